#include "planfix_flow/sandbox/fake_google.h"

#include <gtest/gtest.h>

#include "google/google_test_support.h"
#include "planfix_flow/http/curl_http_client.h"

namespace planfix_flow::sandbox {
namespace {

using google::QuestionKind;
using google_test::At;
using nlohmann::json;
using namespace std::chrono_literals;

constexpr char kEmail[] = "flow@agency.iam.gserviceaccount.com";
const std::string kBothScopes =
    std::string(google::kFormsBodyReadonlyScope) + " " + google::kFormsResponsesReadonlyScope;

class FakeGoogleTest : public ::testing::Test {
 protected:
  FakeGoogleTest() : clock_(At("2026-11-27T10:00:00Z")), fake_(Options()) {}

  FakeGoogleOptions Options() {
    FakeGoogleOptions options;
    options.clock = &clock_;
    options.token_lifetime = 600s;
    return options;
  }

  void SetUp() override {
    fake_.Start();
    key_ = fake_.CreateServiceAccount(kEmail);
    fake_.AddForm("brief", "Brief",
                  {{"q-code", "Brief code"},
                   {"q-channels", "Channels", QuestionKind::kCheckbox, {"Ads", "SEO"}}});
    fake_.ShareWith("brief", kEmail);
  }

  json Claims(const std::string& scope) const {
    const long long now = core::ToUnixSeconds(clock_.Now());
    return json{{"iss", kEmail},
                {"scope", scope},
                {"aud", fake_.token_url()},
                {"iat", now},
                {"exp", now + 3600}};
  }
  json Header() const {
    return json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", key_.private_key_id}};
  }

  static std::string Sign(const json& header, const json& claims, int key_slot = 0) {
    const std::string input =
        google::Base64UrlEncode(header.dump()) + "." + google::Base64UrlEncode(claims.dump());
    auto signature = google::SignRs256(input, TestRsaKeyPair(key_slot).private_key_pem);
    if (!signature) throw std::runtime_error("signing failed");
    return input + "." + google::Base64UrlEncode(*signature);
  }

  http::HttpResponse PostToken(const std::string& body, const std::string& content_type =
                                                            "application/x-www-form-urlencoded") {
    http::HttpRequest request;
    request.method = "POST";
    request.url = fake_.token_url();
    request.headers["Content-Type"] = content_type;
    request.body = body;
    auto response = http_.Send(request);
    if (!response) throw std::runtime_error(response.error().ToString());
    return *response;
  }

  http::HttpResponse Exchange(const std::string& assertion) {
    return PostToken("grant_type=" + http::UrlEncode(google::kJwtBearerGrantType) +
                     "&assertion=" + http::UrlEncode(assertion));
  }

  // Expects a 400 OAuth error from the token endpoint and returns its "error".
  // The fake records each request it refuses (FakeResponse::IsRefusal) as a failure: a
  // correct client never sends one. These tests send them on purpose, so the check of each
  // refusal also takes its record, which must name the refused status.
  void TakeRefusalOfTheLastRequest() {
    const auto requests = fake_.requests();
    if (requests.empty() || !requests.back().refused) return;
    const auto failures = fake_.TakeFailures();
    ASSERT_EQ(failures.size(), 1u);
    EXPECT_NE(failures[0].find(" with " + std::to_string(requests.back().status) + ": "),
              std::string::npos)
        << failures[0];
  }

  std::string TokenRefusal(const http::HttpResponse& response) {
    TakeRefusalOfTheLastRequest();
    EXPECT_EQ(response.status, 400) << response.body;
    const json body = json::parse(response.body);
    EXPECT_TRUE(body.contains("error_description")) << response.body;
    return body.value("error", "");
  }

  std::string Token(const std::string& scope) {
    const auto response = Exchange(Sign(Header(), Claims(scope)));
    if (response.status != 200) throw std::runtime_error(response.body);
    return json::parse(response.body).at("access_token");
  }

  http::HttpResponse Get(const std::string& path_and_query, const std::string& token,
                         const std::string& method = "GET") {
    http::HttpRequest request;
    request.method = method;
    request.url = fake_.base_url() + path_and_query;
    if (!token.empty()) request.headers["Authorization"] = "Bearer " + token;
    auto response = http_.Send(request);
    if (!response) throw std::runtime_error(response.error().ToString());
    return *response;
  }

  // Expects Google's error envelope with `code` and `status`; returns the message.
  std::string ApiRefusal(const http::HttpResponse& response, int code, const std::string& status) {
    TakeRefusalOfTheLastRequest();
    EXPECT_EQ(response.status, code) << response.body;
    const json body = json::parse(response.body, nullptr, false);
    EXPECT_EQ(body["error"]["code"], code) << response.body;
    EXPECT_EQ(body["error"]["status"], status) << response.body;
    return body["error"].value("message", "");
  }

  std::vector<std::string> ListedIds(const http::HttpResponse& response) {
    EXPECT_EQ(response.status, 200) << response.body;
    std::vector<std::string> ids;
    for (const auto& entry : json::parse(response.body).value("responses", json::array())) {
      ids.push_back(entry.at("responseId"));
    }
    return ids;
  }

  std::string Seed(const std::string& id, std::string_view submitted) {
    google::FormResponse response;
    response.response_id = id;
    response.create_time = At(submitted);
    response.answers["q-code"] = {id};
    return fake_.AddResponse("brief", response);
  }

  core::FakeClock clock_;
  FakeGoogle fake_;
  google::ServiceAccountKey key_;
  http::CurlHttpClient http_;
};

// ---- Token endpoint --------------------------------------------------------------------

TEST_F(FakeGoogleTest, IssuesABearerTokenForAValidJwt) {
  const auto response = Exchange(Sign(Header(), Claims(kBothScopes)));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  EXPECT_EQ(body.at("token_type"), "Bearer");
  EXPECT_EQ(body.at("expires_in"), 600);
  EXPECT_EQ(body.at("access_token").get<std::string>().rfind("ya29.", 0), 0u);
  EXPECT_EQ(fake_.tokens_issued(), 1u);
}

TEST_F(FakeGoogleTest, AcceptsGooglesOwnTokenUrlAsAudience) {
  auto claims = Claims(kBothScopes);
  claims["aud"] = google::kGoogleTokenUri;
  EXPECT_EQ(Exchange(Sign(Header(), claims)).status, 200);
}

TEST_F(FakeGoogleTest, TokenEndpointRequiresAFormEncodedBody) {
  const auto response =
      PostToken(json{{"grant_type", google::kJwtBearerGrantType}, {"assertion", "x"}}.dump(),
                "application/json");
  EXPECT_EQ(TokenRefusal(response), "invalid_request");
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsOtherGrantTypes) {
  EXPECT_EQ(TokenRefusal(PostToken("grant_type=client_credentials&assertion=x")),
            "unsupported_grant_type");
  EXPECT_EQ(TokenRefusal(PostToken("assertion=x")), "invalid_request");
}

TEST_F(FakeGoogleTest, TokenEndpointRequiresAnAssertion) {
  EXPECT_EQ(TokenRefusal(PostToken("grant_type=" + http::UrlEncode(google::kJwtBearerGrantType))),
            "invalid_request");
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsAnAssertionThatIsNotAJwt) {
  EXPECT_EQ(TokenRefusal(Exchange("not-a-jwt")), "invalid_grant");
  EXPECT_EQ(TokenRefusal(Exchange("a.b.c")), "invalid_grant");
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsASignatureByAnotherKey) {
  const auto response = Exchange(Sign(Header(), Claims(kBothScopes), /*key_slot=*/1));
  EXPECT_EQ(TokenRefusal(response), "invalid_grant");
  EXPECT_NE(response.body.find("Invalid JWT Signature."), std::string::npos);
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsATamperedClaimSet) {
  const std::string genuine = Sign(Header(), Claims(kBothScopes));
  auto claims = Claims(kBothScopes);
  claims["iss"] = kEmail;
  claims["exp"] = claims["exp"].get<long long>() - 1;
  const auto first_dot = genuine.find('.');
  const auto second_dot = genuine.find('.', first_dot + 1);
  const std::string forged = genuine.substr(0, first_dot) + "." +
                             google::Base64UrlEncode(claims.dump()) + genuine.substr(second_dot);
  EXPECT_EQ(TokenRefusal(Exchange(forged)), "invalid_grant");
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsAnUnsignedJwt) {
  const std::string unsigned_jwt = google::Base64UrlEncode(json{{"alg", "none"}}.dump()) + "." +
                                   google::Base64UrlEncode(Claims(kBothScopes).dump()) + ".";
  EXPECT_EQ(TokenRefusal(Exchange(unsigned_jwt)), "invalid_grant");
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsAnotherKeyId) {
  auto header = Header();
  header["kid"] = "some-other-key";
  EXPECT_EQ(TokenRefusal(Exchange(Sign(header, Claims(kBothScopes)))), "invalid_grant");
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsAnUnknownIssuer) {
  auto claims = Claims(kBothScopes);
  claims["iss"] = "stranger@example.iam.gserviceaccount.com";
  EXPECT_EQ(TokenRefusal(Exchange(Sign(Header(), claims))), "invalid_grant");
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsAWrongAudience) {
  auto claims = Claims(kBothScopes);
  claims["aud"] = "https://example.com/token";
  const auto response = Exchange(Sign(Header(), claims));
  EXPECT_EQ(TokenRefusal(response), "invalid_grant");
  EXPECT_NE(response.body.find("audience"), std::string::npos);
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsExpiredLongLivedOrUndatedJwts) {
  const long long now = core::ToUnixSeconds(clock_.Now());
  auto expired = Claims(kBothScopes);
  expired["iat"] = now - 3600;
  expired["exp"] = now;
  auto too_long = Claims(kBothScopes);
  too_long["exp"] = now + 3601;
  auto from_the_future = Claims(kBothScopes);
  from_the_future["iat"] = now + 600;
  from_the_future["exp"] = now + 1200;
  auto undated = Claims(kBothScopes);
  undated.erase("iat");
  auto text_times = Claims(kBothScopes);
  text_times["exp"] = std::to_string(now + 60);
  for (const auto& claims : {expired, too_long, from_the_future, undated, text_times}) {
    EXPECT_EQ(TokenRefusal(Exchange(Sign(Header(), claims))), "invalid_grant") << claims.dump();
  }
}

TEST_F(FakeGoogleTest, TokenEndpointRejectsMissingOrUnknownScopes) {
  auto no_scope = Claims(kBothScopes);
  no_scope.erase("scope");
  EXPECT_EQ(TokenRefusal(Exchange(Sign(Header(), no_scope))), "invalid_scope");
  EXPECT_EQ(TokenRefusal(Exchange(Sign(Header(), Claims("https://example.com/auth/everything")))),
            "invalid_scope");
}

TEST_F(FakeGoogleTest, TokenEndpointRefusesGet) {
  http::HttpRequest request;
  request.url = fake_.token_url();
  auto response = http_.Send(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(TokenRefusal(*response), "invalid_request");
}

// ---- Forms API: authentication and access -----------------------------------------------

TEST_F(FakeGoogleTest, ApiRequiresABearerToken) {
  const auto response = Get("/v1/forms/brief", "");
  EXPECT_NE(ApiRefusal(response, 401, "UNAUTHENTICATED").find("missing required authentication"),
            std::string::npos);
  EXPECT_EQ(response.headers.at("WWW-Authenticate"),
            R"(Bearer realm="https://accounts.google.com/")");
}

TEST_F(FakeGoogleTest, ApiRejectsATokenItDidNotIssue) {
  ApiRefusal(Get("/v1/forms/brief", "ya29.made-up"), 401, "UNAUTHENTICATED");
}

// An expired or revoked token is what a correct client may hold when the world moves on: the
// 401 is an answer for it to act on (fetch a new token), not a refusal of a wrong request.
TEST_F(FakeGoogleTest, ApiRejectsAnExpiredToken) {
  const std::string token = Token(kBothScopes);
  EXPECT_EQ(Get("/v1/forms/brief", token).status, 200);
  clock_.Advance(600s);
  ApiRefusal(Get("/v1/forms/brief", token), 401, "UNAUTHENTICATED");
  EXPECT_FALSE(fake_.requests().back().refused);
}

TEST_F(FakeGoogleTest, ApiRejectsRevokedTokens) {
  const std::string token = Token(kBothScopes);
  fake_.RevokeTokens();
  ApiRefusal(Get("/v1/forms/brief", token), 401, "UNAUTHENTICATED");
  EXPECT_FALSE(fake_.requests().back().refused);
}

TEST_F(FakeGoogleTest, ApiAcceptsTheAccessTokenQueryParameter) {
  EXPECT_EQ(Get("/v1/forms/brief?access_token=" + Token(kBothScopes), "").status, 200);
}

TEST_F(FakeGoogleTest, EachMethodNeedsOneOfItsScopes) {
  const std::string body_only = Token(google::kFormsBodyReadonlyScope);
  const std::string responses_only = Token(google::kFormsResponsesReadonlyScope);
  const std::string response_id = Seed("r1", "2026-11-27T09:00:00Z");
  EXPECT_EQ(Get("/v1/forms/brief", body_only).status, 200);
  const auto refused = Get("/v1/forms/brief/responses", body_only);
  EXPECT_EQ(ApiRefusal(refused, 403, "PERMISSION_DENIED"),
            "Request had insufficient authentication scopes.");
  EXPECT_EQ(json::parse(refused.body)["error"]["details"][0]["reason"],
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT");
  ApiRefusal(Get("/v1/forms/brief/responses/" + response_id, body_only), 403, "PERMISSION_DENIED");
  ApiRefusal(Get("/v1/forms/brief", responses_only), 403, "PERMISSION_DENIED");
  EXPECT_EQ(Get("/v1/forms/brief/responses", responses_only).status, 200);
  EXPECT_EQ(Get("/v1/forms/brief/responses/" + response_id, responses_only).status, 200);
  // A broader Drive scope also works, as the discovery document lists it.
  EXPECT_EQ(Get("/v1/forms/brief/responses", Token("https://www.googleapis.com/auth/drive")).status,
            200);
}

TEST_F(FakeGoogleTest, AnswersAnUnknownFormWith404) {
  const std::string token = Token(kBothScopes);
  EXPECT_EQ(ApiRefusal(Get("/v1/forms/nope", token), 404, "NOT_FOUND"),
            "Requested entity was not found.");
  ApiRefusal(Get("/v1/forms/nope/responses", token), 404, "NOT_FOUND");
  ApiRefusal(Get("/v1/forms/nope/responses/r1", token), 404, "NOT_FOUND");
}

TEST_F(FakeGoogleTest, AnswersAFormNotSharedWithTheAccountWith403) {
  fake_.AddForm("private", "Private", {{"q", "Q"}});
  const std::string token = Token(kBothScopes);
  EXPECT_EQ(ApiRefusal(Get("/v1/forms/private", token), 403, "PERMISSION_DENIED"),
            "The caller does not have permission");
  ApiRefusal(Get("/v1/forms/private/responses", token), 403, "PERMISSION_DENIED");
  fake_.ShareWith("private", kEmail);
  EXPECT_EQ(Get("/v1/forms/private", token).status, 200);
}

TEST_F(FakeGoogleTest, AnswersAnUnknownResponseWith404) {
  ApiRefusal(Get("/v1/forms/brief/responses/nope", Token(kBothScopes)), 404, "NOT_FOUND");
}

TEST_F(FakeGoogleTest, RefusesReadsOverThePerMinuteQuotaWith429) {
  fake_.SetReadsPerMinute(2);
  const std::string token = Token(kBothScopes);
  EXPECT_EQ(Get("/v1/forms/brief", token).status, 200);
  EXPECT_EQ(Get("/v1/forms/brief/responses", token).status, 200);
  const auto refused = Get("/v1/forms/brief", token);
  EXPECT_NE(ApiRefusal(refused, 429, "RESOURCE_EXHAUSTED").find("Quota exceeded"),
            std::string::npos);
  EXPECT_EQ(refused.headers.count("Retry-After"), 0u);  // Google sends none
  clock_.Advance(60s);
  EXPECT_EQ(Get("/v1/forms/brief", token).status, 200);
}

// ---- Forms API: shapes, filters and paging ----------------------------------------------

TEST_F(FakeGoogleTest, ServesTheFormWithItsQuestions) {
  fake_.AddGrid("brief", "Access", {{"q-row", "Ads account"}}, {"Yes", "No"});
  const auto response = Get("/v1/forms/brief", Token(kBothScopes));
  ASSERT_EQ(response.status, 200) << response.body;
  const json form = json::parse(response.body);
  EXPECT_EQ(form["formId"], "brief");
  EXPECT_EQ(form["info"]["title"], "Brief");
  ASSERT_EQ(form["items"].size(), 3u);
  EXPECT_EQ(form["items"][0]["questionItem"]["question"],
            (json{{"questionId", "q-code"}, {"textQuestion", json::object()}}));
  EXPECT_EQ(form["items"][1]["questionItem"]["question"]["choiceQuestion"],
            (json{{"type", "CHECKBOX"}, {"options", {{{"value", "Ads"}}, {{"value", "SEO"}}}}}));
  EXPECT_EQ(form["items"][2]["questionGroupItem"]["questions"][0],
            (json{{"questionId", "q-row"}, {"rowQuestion", {{"title", "Ads account"}}}}));
}

TEST_F(FakeGoogleTest, ListLeavesOutFormIdButGetIncludesIt) {
  const std::string id = Seed("r1", "2026-11-27T09:00:00Z");
  const std::string token = Token(kBothScopes);
  const json list = json::parse(Get("/v1/forms/brief/responses", token).body);
  EXPECT_FALSE(list["responses"][0].contains("formId"));
  const json one = json::parse(Get("/v1/forms/brief/responses/" + id, token).body);
  EXPECT_EQ(one["formId"], "brief");
  EXPECT_EQ(one["createTime"], "2026-11-27T09:00:00Z");
  EXPECT_EQ(one["answers"]["q-code"],
            (json{{"questionId", "q-code"}, {"textAnswers", {{"answers", {{{"value", "r1"}}}}}}}));
}

TEST_F(FakeGoogleTest, AnEmptyListIsAnEmptyObject) {
  const auto response = Get("/v1/forms/brief/responses", Token(kBothScopes));
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "{}");
}

TEST_F(FakeGoogleTest, FiltersByTimestampStrictlyOrInclusively) {
  Seed("r1", "2026-11-27T09:00:00Z");
  Seed("r2", "2026-11-27T09:30:00.5Z");
  Seed("r3", "2026-11-27T09:45:00Z");
  const std::string token = Token(kBothScopes);
  const std::string base = "/v1/forms/brief/responses?filter=";
  EXPECT_EQ(ListedIds(Get(base + http::UrlEncode("timestamp > 2026-11-27T09:30:00.5Z"), token)),
            (std::vector<std::string>{"r3"}));
  EXPECT_EQ(ListedIds(Get(base + http::UrlEncode("timestamp >= 2026-11-27T09:30:00.500Z"), token)),
            (std::vector<std::string>{"r2", "r3"}));
  EXPECT_EQ(ListedIds(Get(base + http::UrlEncode("timestamp>2026-11-27T00:00:00Z"), token)),
            (std::vector<std::string>{"r1", "r2", "r3"}));
}

TEST_F(FakeGoogleTest, RejectsAnyOtherFilter) {
  const std::string token = Token(kBothScopes);
  for (const char* filter :
       {"timestamp < 2026-11-27T09:00:00Z", "timestamp = 2026-11-27T09:00:00Z",
        "createTime > 2026-11-27T09:00:00Z", "timestamp > 2026-11-27T09:00:00+02:00",
        "timestamp > 2026-11-27", "timestamp > yesterday", "timestamp >",
        "timestamp > 2026-11-27T09:00:00Z AND timestamp < 2026-11-28T00:00:00Z"}) {
    ApiRefusal(Get("/v1/forms/brief/responses?filter=" + http::UrlEncode(filter), token), 400,
               "INVALID_ARGUMENT");
  }
}

TEST_F(FakeGoogleTest, PagesWithOpaqueTokensTiedToTheFilter) {
  for (int i = 0; i < 5; ++i)
    Seed("r" + std::to_string(i), "2026-11-27T09:0" + std::to_string(i) + ":00Z");
  const std::string token = Token(kBothScopes);
  auto first = Get("/v1/forms/brief/responses?pageSize=2", token);
  EXPECT_EQ(ListedIds(first), (std::vector<std::string>{"r0", "r1"}));
  const std::string page_token = json::parse(first.body).at("nextPageToken");
  auto second = Get("/v1/forms/brief/responses?pageSize=2&pageToken=" + page_token, token);
  EXPECT_EQ(ListedIds(second), (std::vector<std::string>{"r2", "r3"}));
  const std::string last_token = json::parse(second.body).at("nextPageToken");
  auto third = Get("/v1/forms/brief/responses?pageSize=2&pageToken=" + last_token, token);
  EXPECT_EQ(ListedIds(third), (std::vector<std::string>{"r4"}));
  EXPECT_FALSE(json::parse(third.body).contains("nextPageToken"));

  ApiRefusal(Get("/v1/forms/brief/responses?pageToken=forged", token), 400, "INVALID_ARGUMENT");
  const std::string other_filter = http::UrlEncode("timestamp > 2026-11-27T00:00:00Z");
  ApiRefusal(
      Get("/v1/forms/brief/responses?filter=" + other_filter + "&pageToken=" + page_token, token),
      400, "INVALID_ARGUMENT");
}

TEST_F(FakeGoogleTest, ValidatesPageSize) {
  const std::string token = Token(kBothScopes);
  for (const char* size : {"abc", "-1", "2.5", "99999999999"}) {
    ApiRefusal(Get(std::string("/v1/forms/brief/responses?pageSize=") + size, token), 400,
               "INVALID_ARGUMENT");
  }
  EXPECT_EQ(Get("/v1/forms/brief/responses?pageSize=0", token).status, 200);
  EXPECT_EQ(Get("/v1/forms/brief/responses?pageSize=100000", token).status, 200);  // capped
}

TEST_F(FakeGoogleTest, CapsPagesAtTheMaximumPageSize) {
  FakeGoogleOptions options = Options();
  options.max_page_size = 2;
  FakeGoogle small(options);
  small.Start();
  small.CreateServiceAccount(kEmail);
  small.AddForm("f", "F", {{"q", "Q"}});
  small.ShareWith("f", kEmail);
  for (int i = 0; i < 3; ++i) small.AddResponse("f", google::FormResponse{});
  // Reuses this fixture's signing key: CreateServiceAccount registered the same pair.
  auto claims = Claims(kBothScopes);
  claims["aud"] = small.token_url();
  http::HttpRequest request;
  request.method = "POST";
  request.url = small.token_url();
  request.headers["Content-Type"] = "application/x-www-form-urlencoded";
  request.body = "grant_type=" + http::UrlEncode(google::kJwtBearerGrantType) +
                 "&assertion=" + Sign(Header(), claims);
  const std::string token = json::parse(http_.Send(request)->body).at("access_token");
  request = {};
  request.url = small.base_url() + "/v1/forms/f/responses?pageSize=100";
  request.headers["Authorization"] = "Bearer " + token;
  const auto page = http_.Send(request);
  ASSERT_TRUE(page);
  EXPECT_EQ(ListedIds(*page).size(), 2u);
  EXPECT_TRUE(json::parse(page->body).contains("nextPageToken"));
}

TEST_F(FakeGoogleTest, RejectsQueryParametersTheMethodDoesNotDefine) {
  const std::string token = Token(kBothScopes);
  EXPECT_NE(ApiRefusal(Get("/v1/forms/brief?pageSize=10", token), 400, "INVALID_ARGUMENT")
                .find("Unknown name \"pageSize\""),
            std::string::npos);
  ApiRefusal(Get("/v1/forms/brief/responses?page_size=10", token), 400, "INVALID_ARGUMENT");
  EXPECT_EQ(Get("/v1/forms/brief?prettyPrint=false&fields=formId", token).status, 200);
}

// ---- Routing and faults ------------------------------------------------------------------

TEST_F(FakeGoogleTest, AnswersUnknownRoutesWith500AndRecordsAFailure) {
  const std::string token = Token(kBothScopes);
  EXPECT_EQ(Get("/v1/forms/brief:batchUpdate", token, "POST").status, 500);
  EXPECT_EQ(Get("/v1/forms/brief/watches", token).status, 500);
  EXPECT_EQ(Get("/v2/forms/brief", token).status, 500);
  EXPECT_EQ(fake_.TakeFailures().size(), 3u);
}

TEST_F(FakeGoogleTest, AnswersAnotherVerbOnAFormsPathWithGoogles404) {
  const std::string token = Token(kBothScopes);
  ApiRefusal(Get("/v1/forms/brief", token, "DELETE"), 404, "NOT_FOUND");
  ApiRefusal(Get("/v1/forms/brief/responses", token, "POST"), 404, "NOT_FOUND");
}

TEST_F(FakeGoogleTest, InjectsFaultsOnTheTokenEndpointToo) {
  fake_.FailNext(1, 503, R"({"error":"temporarily_unavailable"})");
  EXPECT_EQ(Exchange(Sign(Header(), Claims(kBothScopes))).status, 503);
  EXPECT_EQ(Exchange(Sign(Header(), Claims(kBothScopes))).status, 200);
}

TEST_F(FakeGoogleTest, SeedingMistakesThrow) {
  EXPECT_THROW(fake_.AddForm("brief", "Again", {}), std::invalid_argument);
  EXPECT_THROW(fake_.AddForm("dup", "Dup", {{"q", "A"}, {"q", "B"}}), std::invalid_argument);
  EXPECT_THROW(fake_.AddForm("grid", "Grid", {{"q", "A", QuestionKind::kGridRow}}),
               std::invalid_argument);
  google::FormResponse stray;
  stray.answers["no-such-question"] = {"x"};
  EXPECT_THROW(fake_.AddResponse("brief", stray), std::invalid_argument);
  EXPECT_THROW(fake_.AddResponse("nope", {}), std::invalid_argument);
  EXPECT_THROW(fake_.ShareWith("nope", kEmail), std::invalid_argument);
  Seed("r1", "2026-11-27T09:00:00Z");
  EXPECT_THROW(Seed("r1", "2026-11-27T09:00:00Z"), std::invalid_argument);
}

}  // namespace
}  // namespace planfix_flow::sandbox
