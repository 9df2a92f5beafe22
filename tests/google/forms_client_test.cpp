#include "planfix_flow/google/forms_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "google/google_test_support.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_google.h"

namespace planfix_flow::google {
namespace {

using core::ErrorCode;
using google_test::At;
using sandbox::FakeQuestion;
using namespace std::chrono_literals;

constexpr char kEmail[] = "flow@agency.iam.gserviceaccount.com";

std::string GoogleErrorBody(int code, const std::string& status, const std::string& message) {
  return nlohmann::json{{"error", {{"code", code}, {"message", message}, {"status", status}}}}
      .dump();
}

class GoogleFormsClientTest : public ::testing::Test {
 protected:
  GoogleFormsClientTest() : clock_(At("2026-11-27T10:00:00Z")), fake_(FakeOptions()) {}

  sandbox::FakeGoogleOptions FakeOptions() {
    sandbox::FakeGoogleOptions options;
    options.clock = &clock_;
    options.quota_retry_after = 42s;
    return options;
  }

  void SetUp() override {
    fake_.Start();
    key_ = fake_.CreateServiceAccount(kEmail);
    fake_.AddForm("brief", "Project brief",
                  {{"q-code", "Brief code", QuestionKind::kShortText, {}, true},
                   {"q-expect", "Expectations", QuestionKind::kParagraph},
                   {"q-channels", "Channels", QuestionKind::kCheckbox, {"Ads", "SEO", "SMM"}},
                   {"q-start", "Start date", QuestionKind::kDate},
                   {"q-call", "Call time", QuestionKind::kTime},
                   {"q-logo", "Logo", QuestionKind::kFileUpload}});
    fake_.AddGrid("brief", "Access", {{"q-row-ga", "Google Ads"}, {"q-row-fb", "Meta"}},
                  {"Granted", "Not yet"});
    fake_.ShareWith("brief", kEmail);
  }

  GoogleOptions Options() const {
    GoogleOptions options;
    options.forms_base_url = fake_.base_url();
    options.key = key_;
    return options;
  }

  FormResponse Submission(const std::string& code, std::string_view submitted) {
    FormResponse response;
    response.create_time = At(submitted);
    response.respondent_email = "client@example.com";
    response.answers["q-code"] = {code};
    return response;
  }

  std::size_t CountRequests(const std::string& path_prefix) const {
    std::size_t count = 0;
    for (const auto& request : fake_.requests()) {
      if (request.path.rfind(path_prefix, 0) == 0) ++count;
    }
    return count;
  }

  core::FakeClock clock_;
  sandbox::FakeGoogle fake_;
  ServiceAccountKey key_;
  http::CurlHttpClient http_;
};

TEST_F(GoogleFormsClientTest, GetsAFormWithItsQuestionsAndKinds) {
  GoogleFormsClient client(http_, clock_, Options());
  auto form = client.GetForm("brief");
  ASSERT_TRUE(form) << form.error().ToString();
  EXPECT_EQ(form->form_id, "brief");
  EXPECT_EQ(form->title, "Project brief");
  ASSERT_EQ(form->items.size(), 7u);
  EXPECT_EQ(form->items[0].title, "Brief code");
  ASSERT_EQ(form->items[0].questions.size(), 1u);
  EXPECT_FALSE(form->items[0].item_id.empty());
  const FormQuestion& code = form->items[0].questions[0];
  EXPECT_EQ(code.question_id, "q-code");
  EXPECT_EQ(code.kind, QuestionKind::kShortText);
  EXPECT_TRUE(code.required);
  EXPECT_EQ(form->FindQuestion("q-expect")->kind, QuestionKind::kParagraph);
  EXPECT_EQ(form->FindQuestion("q-channels")->kind, QuestionKind::kCheckbox);
  EXPECT_EQ(form->FindQuestion("q-channels")->options,
            (std::vector<std::string>{"Ads", "SEO", "SMM"}));
  EXPECT_EQ(form->FindQuestion("q-start")->kind, QuestionKind::kDate);
  EXPECT_EQ(form->FindQuestion("q-call")->kind, QuestionKind::kTime);
  EXPECT_EQ(form->FindQuestion("q-logo")->kind, QuestionKind::kFileUpload);
  const FormItem& grid = form->items[6];
  EXPECT_EQ(grid.title, "Access");
  ASSERT_EQ(grid.questions.size(), 2u);
  EXPECT_EQ(grid.questions[1].question_id, "q-row-fb");
  EXPECT_EQ(grid.questions[1].title, "Meta");
  EXPECT_EQ(grid.questions[1].kind, QuestionKind::kGridRow);
  EXPECT_EQ(grid.questions[1].options, (std::vector<std::string>{"Granted", "Not yet"}));
  EXPECT_EQ(form->FindQuestion("nope"), nullptr);
  // Authorised with a token from the token endpoint.
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].path, "/token");
  EXPECT_EQ(requests[1].path, "/v1/forms/brief");
  EXPECT_EQ(requests[1].headers.at("Authorization").rfind("Bearer ya29.", 0), 0u);
}

TEST_F(GoogleFormsClientTest, ListsEveryResponseAcrossPages) {
  for (int i = 0; i < 5; ++i) {
    fake_.AddResponse("brief", Submission("code-" + std::to_string(i),
                                          "2026-11-2" + std::to_string(i) + "T09:00:00Z"));
  }
  auto options = Options();
  options.page_size = 2;
  GoogleFormsClient client(http_, clock_, options);
  auto responses = client.ListResponses("brief");
  ASSERT_TRUE(responses) << responses.error().ToString();
  ASSERT_EQ(responses->size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*responses)[i].answers.at("q-code"),
              std::vector<std::string>{"code-" + std::to_string(i)});
    EXPECT_EQ((*responses)[i].form_id, "brief");  // filled in: list answers leave it out
  }
  EXPECT_EQ(CountRequests("/v1/forms/brief/responses"), 3u);
  const auto requests = fake_.requests();
  EXPECT_EQ(requests[1].query_string, "pageSize=2");
  EXPECT_EQ(requests[2].query_string.rfind("pageSize=2&pageToken=", 0), 0u);
}

TEST_F(GoogleFormsClientTest, ListsOnlyResponsesSubmittedAfterAMoment) {
  fake_.AddResponse("brief", Submission("old", "2026-11-27T09:00:00Z"));
  fake_.AddResponse("brief", Submission("edge", "2026-11-27T09:30:00.250Z"));
  fake_.AddResponse("brief", Submission("new", "2026-11-27T09:30:00.251Z"));
  GoogleFormsClient client(http_, clock_, Options());
  auto responses = client.ListResponses("brief", At("2026-11-27T09:30:00.250Z"));
  ASSERT_TRUE(responses) << responses.error().ToString();
  ASSERT_EQ(responses->size(), 1u);
  EXPECT_EQ(responses->at(0).answers.at("q-code"), std::vector<std::string>{"new"});
  EXPECT_EQ(fake_.requests().back().query_string,
            "filter=timestamp%20%3E%202026-11-27T09%3A30%3A00.250Z");
}

TEST_F(GoogleFormsClientTest, ListsNothingForAFormWithoutResponses) {
  GoogleFormsClient client(http_, clock_, Options());
  auto responses = client.ListResponses("brief");
  ASSERT_TRUE(responses) << responses.error().ToString();
  EXPECT_TRUE(responses->empty());
}

TEST_F(GoogleFormsClientTest, GetsOneResponseWithTextChoiceAndFileAnswers) {
  FormResponse seed = Submission("A1", "2026-11-26T08:00:00.123456Z");
  seed.last_submitted_time = At("2026-11-26T08:05:00Z");
  seed.answers["q-channels"] = {"Ads", "SMM"};
  seed.answers["q-start"] = {"2026-12-01"};
  seed.answers["q-logo"] = {"drive-file-1"};
  seed.answers["q-row-ga"] = {"Granted"};
  const std::string id = fake_.AddResponse("brief", seed);
  GoogleFormsClient client(http_, clock_, Options());
  auto response = client.GetResponse("brief", id);
  ASSERT_TRUE(response) << response.error().ToString();
  EXPECT_EQ(response->response_id, id);
  EXPECT_EQ(response->form_id, "brief");
  EXPECT_EQ(response->create_time, At("2026-11-26T08:00:00.123456Z"));
  EXPECT_EQ(response->last_submitted_time, At("2026-11-26T08:05:00Z"));
  EXPECT_EQ(response->respondent_email, "client@example.com");
  EXPECT_EQ(response->answers, seed.answers);
}

TEST_F(GoogleFormsClientTest, KeysAnswersByQuestionTitle) {
  FormResponse seed = Submission("B7", "2026-11-26T08:00:00Z");
  seed.answers["q-channels"] = {"Ads", "SMM"};
  seed.answers["q-row-fb"] = {"Not yet"};
  const std::string id = fake_.AddResponse("brief", seed);
  GoogleFormsClient client(http_, clock_, Options());
  auto form = client.GetForm("brief");
  auto response = client.GetResponse("brief", id);
  ASSERT_TRUE(form && response);
  EXPECT_EQ(form->FindQuestionByTitle("Channels")->question_id, "q-channels");
  EXPECT_EQ(form->FindQuestionByTitle("Meta")->question_id, "q-row-fb");
  EXPECT_EQ(form->FindQuestionByTitle("Nothing"), nullptr);
  const auto answers = AnswersByTitle(*form, *response);
  EXPECT_EQ(
      answers,
      (std::map<std::string, std::vector<std::string>>{
          {"Brief code", {"B7"}}, {"Channels", {"Ads", "SMM"}}, {"Access: Meta", {"Not yet"}}}));
}

TEST_F(GoogleFormsClientTest, ReusesTheTokenUntilAMinuteBeforeItExpires) {
  GoogleFormsClient client(http_, clock_, Options());
  ASSERT_TRUE(client.GetForm("brief"));
  ASSERT_TRUE(client.ListResponses("brief"));
  EXPECT_EQ(fake_.tokens_issued(), 1u);
  clock_.Advance(3599s - 60s - 1s);  // the fake's tokens live 3599 s
  ASSERT_TRUE(client.GetForm("brief"));
  EXPECT_EQ(fake_.tokens_issued(), 1u);
  clock_.Advance(1s);
  ASSERT_TRUE(client.GetForm("brief"));
  EXPECT_EQ(fake_.tokens_issued(), 2u);
  EXPECT_EQ(CountRequests("/token"), 2u);
}

TEST_F(GoogleFormsClientTest, FetchesANewTokenAndRetriesOnceAfterA401) {
  GoogleFormsClient client(http_, clock_, Options());
  ASSERT_TRUE(client.GetForm("brief"));
  fake_.RevokeTokens();
  auto form = client.GetForm("brief");
  ASSERT_TRUE(form) << form.error().ToString();
  EXPECT_EQ(fake_.tokens_issued(), 2u);
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 5u);
  EXPECT_EQ(requests[2].status, 401);
  EXPECT_EQ(requests[3].path, "/token");
  EXPECT_EQ(requests[4].status, 200);
}

// Hands out tokens, then revokes them at once: the API answers 401 to every call.
class RevokingHttpClient : public http::HttpClient {
 public:
  RevokingHttpClient(http::HttpClient& inner, sandbox::FakeGoogle& fake)
      : inner_(inner), fake_(fake) {}
  core::Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    auto response = inner_.Send(request);
    if (request.url == fake_.token_url()) fake_.RevokeTokens();
    return response;
  }

 private:
  http::HttpClient& inner_;
  sandbox::FakeGoogle& fake_;
};

TEST_F(GoogleFormsClientTest, GivesUpAfterASecond401) {
  RevokingHttpClient revoking(http_, fake_);
  GoogleFormsClient client(revoking, clock_, Options());
  auto form = client.GetForm("brief");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(form.error().remote_code, 401);
  EXPECT_NE(form.error().message.find("UNAUTHENTICATED"), std::string::npos);
  EXPECT_EQ(CountRequests("/token"), 2u);
  EXPECT_EQ(CountRequests("/v1/forms/brief"), 2u);
}

TEST_F(GoogleFormsClientTest, SharesOneTokenAcrossThreads) {
  GoogleFormsClient client(http_, clock_, Options());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 3; ++i) {
        if (client.GetForm("brief")) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 12);
  EXPECT_EQ(fake_.tokens_issued(), 1u);
}

TEST_F(GoogleFormsClientTest, WorksWithAKeyLoadedFromAKeyFile) {
  google_test::TempDir dir;
  auto loaded = LoadServiceAccountKey(google_test::WriteKeyFile(dir, key_));
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  auto options = Options();
  options.key = *loaded;
  GoogleFormsClient client(http_, clock_, options);
  EXPECT_TRUE(client.GetForm("brief"));
}

TEST_F(GoogleFormsClientTest, SendsTheJwtToTheTokenUrlOverride) {
  // A key with Google's token_uri (the JWT audience), exchanged at the sandbox.
  auto options = Options();
  options.key.token_uri = kGoogleTokenUri;
  options.token_url = fake_.token_url();
  GoogleFormsClient client(http_, clock_, options);
  ASSERT_TRUE(client.GetForm("brief"));
  const auto token_request = fake_.requests().at(0);
  EXPECT_EQ(token_request.headers.at("Content-Type"), "application/x-www-form-urlencoded");
  EXPECT_EQ(token_request.body.rfind("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-"
                                     "bearer&assertion=",
                                     0),
            0u);
}

TEST_F(GoogleFormsClientTest, MapsAnUnknownFormToNotFound) {
  GoogleFormsClient client(http_, clock_, Options());
  auto form = client.GetForm("no-such-form");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(form.error().remote_code, 404);
  auto response = client.GetResponse("brief", "no-such-response");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, ErrorCode::kNotFound);
}

TEST_F(GoogleFormsClientTest, MapsAFormNotSharedWithTheAccountToUnauthorized) {
  fake_.AddForm("private", "Not shared", {{"q", "Q"}});
  GoogleFormsClient client(http_, clock_, Options());
  auto responses = client.ListResponses("private");
  ASSERT_FALSE(responses);
  EXPECT_EQ(responses.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(responses.error().remote_code, 403);
  EXPECT_NE(responses.error().message.find("PERMISSION_DENIED"), std::string::npos);
  EXPECT_NE(responses.error().message.find("shared with the service account"), std::string::npos);
  EXPECT_FALSE(core::IsRetryable(responses.error().code));
}

TEST_F(GoogleFormsClientTest, MapsAMissingScopeToUnauthorized) {
  auto options = Options();
  options.scopes = {kFormsBodyReadonlyScope};
  GoogleFormsClient client(http_, clock_, options);
  EXPECT_TRUE(client.GetForm("brief"));
  fake_.ExpectRefusals(1);  // configured without the scope the method needs
  auto responses = client.ListResponses("brief");
  ASSERT_FALSE(responses);
  EXPECT_EQ(responses.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(responses.error().remote_code, 403);
  EXPECT_NE(responses.error().message.find("ACCESS_TOKEN_SCOPE_INSUFFICIENT"), std::string::npos);
}

TEST_F(GoogleFormsClientTest, MapsTheReadQuotaToRateLimitedWithRetryAfter) {
  fake_.SetReadsPerMinute(2);
  GoogleFormsClient client(http_, clock_, Options());
  clock_.Set(At("2026-11-27T10:00:05Z"));
  ASSERT_TRUE(client.GetForm("brief"));
  ASSERT_TRUE(client.GetForm("brief"));
  auto refused = client.GetForm("brief");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(refused.error().remote_code, 429);
  EXPECT_EQ(refused.error().retry_after, 42s);
  EXPECT_NE(refused.error().message.find("RESOURCE_EXHAUSTED"), std::string::npos);
  clock_.Advance(1min);
  EXPECT_TRUE(client.GetForm("brief"));
}

TEST_F(GoogleFormsClientTest, MapsA400ToInvalidInput) {
  GoogleFormsClient client(http_, clock_, Options());
  ASSERT_TRUE(client.AccessToken());
  fake_.FailNext(1, 400, GoogleErrorBody(400, "INVALID_ARGUMENT", "Invalid filter"));
  auto responses = client.ListResponses("brief", At("2026-11-27T00:00:00Z"));
  ASSERT_FALSE(responses);
  EXPECT_EQ(responses.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(responses.error().message.find("Invalid filter"), std::string::npos);
}

TEST_F(GoogleFormsClientTest, MapsServerErrorsToUnavailable) {
  GoogleFormsClient client(http_, clock_, Options());
  ASSERT_TRUE(client.AccessToken());
  fake_.FailNext(1, 503, GoogleErrorBody(503, "UNAVAILABLE", "The service is unavailable."));
  auto form = client.GetForm("brief");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(form.error().remote_code, 503);
  EXPECT_TRUE(client.GetForm("brief"));
}

TEST_F(GoogleFormsClientTest, MapsASlowAnswerToTimeout) {
  // The token request shares the timeout: a second leaves room for a loaded machine, and the
  // answer comes three times later.
  auto options = Options();
  options.timeout = 1000ms;
  GoogleFormsClient client(http_, clock_, options);
  ASSERT_TRUE(client.AccessToken());
  fake_.DelayNext(1, 3000ms);
  auto form = client.GetForm("brief");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().code, ErrorCode::kTimeout);
}

TEST_F(GoogleFormsClientTest, MapsADroppedConnectionToUnavailable) {
  GoogleFormsClient client(http_, clock_, Options());
  ASSERT_TRUE(client.AccessToken());
  fake_.DropNext(1);
  auto form = client.GetForm("brief");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().code, ErrorCode::kUnavailable);
}

TEST_F(GoogleFormsClientTest, MapsAnAnswerThatDoesNotParseToInternal) {
  GoogleFormsClient client(http_, clock_, Options());
  ASSERT_TRUE(client.AccessToken());
  fake_.FailNext(1, 200, "<html>not json</html>");
  auto form = client.GetForm("brief");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().code, ErrorCode::kInternal);
}

TEST_F(GoogleFormsClientTest, RefusesEmptyIdsWithoutCallingGoogle) {
  GoogleFormsClient client(http_, clock_, Options());
  EXPECT_EQ(client.GetForm("").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(client.ListResponses("").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(client.GetResponse("brief", "").error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(fake_.request_count(), 0u);
}

TEST_F(GoogleFormsClientTest, MapsAnUnregisteredAccountToUnauthorized) {
  auto options = Options();
  options.key.client_email = "stranger@other.iam.gserviceaccount.com";
  GoogleFormsClient client(http_, clock_, options);
  fake_.ExpectRefusals(1);
  auto form = client.GetForm("brief");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(form.error().remote_code, 400);
  EXPECT_NE(form.error().message.find("invalid_grant"), std::string::npos);
  EXPECT_EQ(CountRequests("/v1/"), 0u);
}

TEST_F(GoogleFormsClientTest, MapsASignatureByAnotherKeyToUnauthorized) {
  auto options = Options();
  options.key.private_key = sandbox::TestRsaKeyPair(1).private_key_pem;
  GoogleFormsClient client(http_, clock_, options);
  fake_.ExpectRefusals(1);
  auto token = client.AccessToken();
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(token.error().message.find("Invalid JWT Signature"), std::string::npos);
}

TEST_F(GoogleFormsClientTest, MapsAClockFarBehindToUnauthorized) {
  core::FakeClock behind(clock_.Now() - 2h);
  GoogleFormsClient client(http_, behind, Options());
  fake_.ExpectRefusals(1);  // the JWT's times are two hours off
  auto token = client.AccessToken();
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, ErrorCode::kUnauthorized);
  EXPECT_NE(token.error().message.find("iat and exp"), std::string::npos);
}

TEST_F(GoogleFormsClientTest, MapsTokenEndpointFailuresToUnavailable) {
  GoogleFormsClient client(http_, clock_, Options());
  fake_.FailNext(1, 500, R"({"error":"internal_failure"})");
  auto token = client.AccessToken();
  ASSERT_FALSE(token);
  EXPECT_EQ(token.error().code, ErrorCode::kUnavailable);
  EXPECT_TRUE(client.AccessToken());  // not cached as a failure
}

TEST_F(GoogleFormsClientTest, MapsAnUnreachableTokenEndpointToUnavailable) {
  auto options = Options();
  options.token_url = "http://127.0.0.1:1/token";
  GoogleFormsClient client(http_, clock_, options);
  auto form = client.GetForm("brief");
  ASSERT_FALSE(form);
  EXPECT_EQ(form.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(form.error().message.find("token exchange"), std::string::npos);
}

TEST_F(GoogleFormsClientTest, KeepsSecretsOutOfErrorMessages) {
  GoogleFormsClient client(http_, clock_, Options());
  auto token = client.AccessToken();
  ASSERT_TRUE(token);
  fake_.RevokeTokens();
  RevokingHttpClient revoking(http_, fake_);
  GoogleFormsClient failing(revoking, clock_, Options());
  std::vector<core::Error> errors;
  errors.push_back(failing.GetForm("brief").error());
  auto wrong_key = Options();
  wrong_key.key.private_key = sandbox::TestRsaKeyPair(1).private_key_pem;
  fake_.ExpectRefusals(1);
  errors.push_back(GoogleFormsClient(http_, clock_, wrong_key).GetForm("brief").error());
  const std::string key_fragment = key_.private_key.substr(key_.private_key.size() / 2, 24);
  for (const auto& error : errors) {
    EXPECT_EQ(error.message.find("ya29."), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find(*token), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find(key_fragment), std::string::npos) << error.message;
    EXPECT_EQ(error.message.find("assertion"), std::string::npos) << error.message;
  }
}

}  // namespace
}  // namespace planfix_flow::google
