#include "planfix_flow/http/ingress_server.h"

#include <gtest/gtest.h>

#include <cstring>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>

#include "http/ingress_test_support.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/http/standard_webhooks.h"

namespace planfix_flow::http {
namespace {

using core::ErrorCode;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using storage::AppendOutcome;
using storage::AppendResult;
using storage::EventSource;
using storage::NewEvent;
using test_support::AllSecrets;
using test_support::FakeInbox;
using test_support::FakeJobAdmin;
using test_support::kAdminToken;
using test_support::kGoogleSecret;
using test_support::kPlanfixSecret;
using test_support::kStart;
using test_support::kTelegramSecret;
using test_support::RawAnswer;
using test_support::RawExchange;

class IngressServerTest : public ::testing::Test {
 protected:
  void StartServer(ServerOptions options = {}, Secrets secrets = AllSecrets(),
                   IngressHooks hooks = {}) {
    server_ = std::make_unique<IngressServer>(options, inbox_, metrics_, clock_, std::move(secrets),
                                              std::move(hooks));
    server_->Start();
    client_ = std::make_unique<CurlHttpClient>();
  }
  void TearDown() override {
    inbox_.Release();
    client_.reset();  // closes keep-alive connections so Stop does not wait on them
    if (server_) server_->Stop();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + path;
  }

  HttpResponse Send(const std::string& method, const std::string& path, std::string body = {},
                    Headers headers = {}) {
    HttpRequest request;
    request.method = method;
    request.url = Url(path);
    request.body = std::move(body);
    request.headers = std::move(headers);
    request.timeout = milliseconds(20000);
    auto response = client_->Send(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : HttpResponse{};
  }

  HttpResponse PostPlanfix(std::string body, std::string content_type = "application/json",
                           std::string authorization = std::string("Bearer ") + kPlanfixSecret) {
    Headers headers;
    if (!content_type.empty()) headers["Content-Type"] = content_type;
    if (!authorization.empty()) headers["Authorization"] = authorization;
    return Send("POST", "/webhooks/planfix", std::move(body), std::move(headers));
  }

  Headers GoogleHeaders(const std::string& id, long long timestamp, const std::string& body) {
    Headers headers;
    headers["Content-Type"] = "application/json";
    headers["webhook-id"] = id;
    headers["webhook-timestamp"] = std::to_string(timestamp);
    headers["webhook-signature"] =
        SignStandardWebhook(StandardWebhookKey(kGoogleSecret).value(), id, timestamp, body);
    return headers;
  }

  HttpResponse PostTelegram(std::string body, std::string secret = kTelegramSecret) {
    Headers headers;
    headers["Content-Type"] = "application/json";
    if (!secret.empty()) headers["X-Telegram-Bot-Api-Secret-Token"] = secret;
    return Send("POST", "/webhooks/telegram", std::move(body), std::move(headers));
  }

  double Received(const std::string& source, const std::string& outcome) {
    return metrics_
        .GetCounter("planfix_flow_events_received_total", "",
                    {{"source", source}, {"outcome", outcome}})
        .value();
  }

  static json BodyJson(const HttpResponse& response) {
    return json::parse(response.body, nullptr, false);
  }

  core::FakeClock clock_{core::FromUnixSeconds(kStart)};
  core::Metrics metrics_;
  FakeInbox inbox_;
  std::unique_ptr<IngressServer> server_;
  std::unique_ptr<CurlHttpClient> client_;
};

constexpr char kBriefSend[] = R"({"event":"brief.send","task":"123","contact":"contact:45"})";

TEST_F(IngressServerTest, AnswersPlanfixOnlyAfterTheInboxCommitted) {
  StartServer();
  inbox_.Hold();
  auto answer = std::async(std::launch::async, [&] { return PostPlanfix(kBriefSend); });
  ASSERT_TRUE(inbox_.WaitUntilEntered(1));
  EXPECT_EQ(answer.wait_for(milliseconds(200)), std::future_status::timeout)
      << "answered before the inbox returned";
  inbox_.Release();
  const HttpResponse response = answer.get();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(BodyJson(response), json::parse(R"({"status":"stored","event_id":1})"));
  const auto events = inbox_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].source, EventSource::kPlanfix);
  EXPECT_EQ(events[0].kind, "brief.send");
  EXPECT_EQ(json::parse(events[0].payload),
            json::parse(R"({"event":"brief.send","task":"123","contact":"45"})"));
  EXPECT_EQ(events[0].received_at, core::FromUnixSeconds(kStart));
  EXPECT_EQ(Received("planfix", "stored"), 1.0);
}

TEST_F(IngressServerTest, AcceptsPlanfixBasicAuthWithTheSecretAsPasswordOrAsTheWholePair) {
  StartServer({}, Secrets{"robot:pa:ss", kGoogleSecret, kTelegramSecret, kAdminToken});
  EXPECT_EQ(PostPlanfix(kBriefSend, "application/json", "Basic " + Base64Encode("any:robot:pa:ss"))
                .status,
            200);  // password = secret
  EXPECT_EQ(PostPlanfix(R"({"event":"brief.send","task":"2"})", "application/json",
                        "basic " + Base64Encode("robot:pa:ss"))
                .status,
            200);  // user:password = secret
  EXPECT_EQ(inbox_.events().size(), 2u);
}

TEST_F(IngressServerTest, StoresAPlanfixFormBodyLikeTheSameJson) {
  StartServer();
  const auto response = PostPlanfix("event=brief.send&task=123&contact=contact%3A45",
                                    "application/x-www-form-urlencoded; charset=UTF-8");
  EXPECT_EQ(response.status, 200) << response.body;
  const auto duplicate = PostPlanfix(kBriefSend);
  EXPECT_EQ(duplicate.status, 200);
  EXPECT_EQ(BodyJson(duplicate)["status"], "duplicate");
  EXPECT_EQ(inbox_.events().size(), 1u);
}

TEST_F(IngressServerTest, TreatsPlanfixRetriesWithinTheWindowAsDuplicatesAndLaterPressesAsNew) {
  ServerOptions options;
  options.planfix_dedupe_window = minutes(10);
  StartServer(options);
  EXPECT_EQ(BodyJson(PostPlanfix(kBriefSend))["status"], "stored");
  clock_.Advance(minutes(9));
  const auto retry = PostPlanfix(R"({"task":123,"contact":45,"event":"brief.send"})");
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(BodyJson(retry), json::parse(R"({"status":"duplicate","event_id":1})"));
  clock_.Advance(minutes(2));
  EXPECT_EQ(BodyJson(PostPlanfix(kBriefSend))["status"], "stored");
  const auto events = inbox_.events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_NE(events[0].dedupe_key, events[1].dedupe_key);
  EXPECT_EQ(Received("planfix", "duplicate"), 1.0);
}

TEST_F(IngressServerTest, AcceptsUnknownPlanfixEventNamesBecauseBusinessProblemsAreNever4xx) {
  StartServer();
  EXPECT_EQ(PostPlanfix(R"({"event":"something.new","task":"999999"})").status, 200);
  EXPECT_EQ(inbox_.events().size(), 1u);
}

TEST_F(IngressServerTest, RefusesPlanfixRequestsWithoutTheRightCredentials) {
  StartServer();
  const std::vector<std::string> bad = {
      "",
      "Bearer wrong",
      std::string("Bearer ") + kPlanfixSecret + "x",
      std::string("Token ") + kPlanfixSecret,
      "Basic " + Base64Encode("user:wrong"),
      "Basic " + Base64Encode(kPlanfixSecret),  // no colon: not user:password
      "Basic not-base64!",
      std::string("Bearer"),
  };
  for (const auto& authorization : bad) {
    const auto response = PostPlanfix(kBriefSend, "application/json", authorization);
    EXPECT_EQ(response.status, 401) << authorization;
    EXPECT_EQ(BodyJson(response)["error"], "unauthorized") << authorization;
    EXPECT_EQ(response.headers.count("WWW-Authenticate"), 1u);
    EXPECT_EQ(response.body.find(kPlanfixSecret), std::string::npos);
  }
  EXPECT_EQ(PostPlanfix(kBriefSend, "application/json", "").body.find("missing Authorization"),
            std::string(R"({"detail":")").size());
  EXPECT_TRUE(inbox_.events().empty());
  EXPECT_EQ(Received("planfix", "unauthorized"), static_cast<double>(bad.size() + 1));
}

TEST_F(IngressServerTest, RefusesWrongContentTypesWith415) {
  StartServer();
  // (libcurl adds a form Content-Type when there is none; a raw request below has none.)
  for (const std::string type : {"text/plain", "application/json; charset=windows-1251",
                                 "multipart/form-data; boundary=x", "application/jsonx"}) {
    const auto response = PostPlanfix(kBriefSend, type);
    EXPECT_EQ(response.status, 415) << type;
    EXPECT_EQ(BodyJson(response)["error"], "bad_content_type");
  }
  Headers headers;
  headers["Content-Type"] = "application/x-www-form-urlencoded";
  headers["X-Telegram-Bot-Api-Secret-Token"] = kTelegramSecret;
  EXPECT_EQ(Send("POST", "/webhooks/telegram", R"({"update_id":1})", headers).status, 415);
  const std::string no_type =
      std::string(
          "POST /webhooks/planfix HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
          "Authorization: Bearer ") +
      kPlanfixSecret + "\r\nContent-Length: " + std::to_string(std::strlen(kBriefSend)) +
      "\r\n\r\n" + kBriefSend;
  EXPECT_EQ(RawExchange(server_->port(), no_type, seconds(10)).text.rfind("HTTP/1.1 415", 0), 0u);
  EXPECT_TRUE(inbox_.events().empty());
  EXPECT_EQ(Received("planfix", "bad_content_type"), 5.0);
  EXPECT_EQ(Received("telegram", "bad_content_type"), 1.0);
}

TEST_F(IngressServerTest, RefusesBodiesOverTheLimitWith413) {
  ServerOptions options;
  options.body_limit_bytes = 1024;
  StartServer(options);
  std::string big = R"({"event":"brief.send","task":"1","note":")" + std::string(1100, 'x') + "\"}";
  const auto response = PostPlanfix(big);
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(BodyJson(response),
            json::parse(R"({"error":"too_large","detail":"the body is larger than 1024 bytes"})"));
  // A body exactly at the limit is fine.
  std::string exact = R"({"event":"brief.send","task":"1","note":")";
  exact += std::string(1024 - exact.size() - 2, 'x') + "\"}";
  ASSERT_EQ(exact.size(), 1024u);
  EXPECT_EQ(PostPlanfix(exact).status, 200);
  EXPECT_EQ(inbox_.events().size(), 1u);
  EXPECT_EQ(Received("planfix", "too_large"), 1.0);
}

TEST_F(IngressServerTest, RefusesAnOversizeChunkedBodyAndClosesTheConnection) {
  ServerOptions options;
  options.body_limit_bytes = 1024;
  StartServer(options);
  std::string request =
      std::string(
          "POST /webhooks/telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "X-Telegram-Bot-Api-Secret-Token: ") +
      kTelegramSecret + "\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 20; ++i) request += "64\r\n" + std::string(100, ' ') + "\r\n";
  request += "0\r\n\r\n";
  const RawAnswer answer = RawExchange(server_->port(), request, milliseconds(10000));
  EXPECT_EQ(answer.text.rfind("HTTP/1.1 413", 0), 0u) << answer.text;
  EXPECT_NE(answer.text.find("Connection: close"), std::string::npos);
  EXPECT_NE(answer.text.find(R"("error":"too_large")"), std::string::npos);
  EXPECT_TRUE(inbox_.events().empty());
}

TEST_F(IngressServerTest, RefusesAnAnnouncedOversizeBodyBeforeItIsSent) {
  ServerOptions options;
  options.body_limit_bytes = 1024;
  StartServer(options);
  const std::string request =
      std::string("POST /webhooks/planfix HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ") +
      kPlanfixSecret +
      "\r\nContent-Type: application/json\r\nContent-Length: 5000000\r\nExpect: "
      "100-continue\r\n\r\n";
  const RawAnswer answer = RawExchange(server_->port(), request, milliseconds(10000));
  EXPECT_EQ(answer.text.rfind("HTTP/1.1 413", 0), 0u) << answer.text;
  EXPECT_NE(answer.text.find(R"("error":"too_large")"), std::string::npos);
}

TEST_F(IngressServerTest, NamesTheProblemInA400ForMalformedPlanfixBodies) {
  StartServer();
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"event":"brief.send",)", "body is not valid JSON"},
      {R"({"task":"1"})", "missing event"},
      {R"({"event":"brief.send","task":"12a"})",
       "task must be a positive integer (optionally \"task:N\")"},
      {"{\"event\":\"brief.send\",\"note\":\"\xff\"}", "body is not valid UTF-8"},
      {R"({"event":"brief.send","x":[[[[[1]]]]]})", "JSON is nested deeper than 4 levels"},
  };
  for (const auto& [body, detail] : cases) {
    const auto response = PostPlanfix(body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_EQ(response.headers.at("Content-Type"), "application/json");
    EXPECT_EQ(BodyJson(response), json({{"error", "malformed"}, {"detail", detail}})) << body;
  }
  EXPECT_TRUE(inbox_.events().empty());
  EXPECT_EQ(Received("planfix", "malformed"), static_cast<double>(cases.size()));
}

TEST_F(IngressServerTest, Answers503WhenTheInboxCannotStoreAndRecovers) {
  StartServer();
  inbox_.SetFailing(true);
  const auto refused = PostPlanfix(kBriefSend);
  EXPECT_EQ(refused.status, 503);
  EXPECT_EQ(BodyJson(refused)["error"], "unavailable");
  EXPECT_EQ(refused.headers.at("Retry-After"), "5");
  EXPECT_EQ(refused.body.find("locked"), std::string::npos) << "no internals in the answer";
  EXPECT_EQ(Received("planfix", "error"), 1.0);
  inbox_.SetFailing(false);
  EXPECT_EQ(PostPlanfix(kBriefSend).status, 200);  // the retry stores it
  EXPECT_EQ(inbox_.events().size(), 1u);
}

TEST_F(IngressServerTest, Answers500WithoutInternalsWhenSomethingThrows) {
  StartServer();
  inbox_.SetThrowing(true);
  const auto response = PostPlanfix(kBriefSend);
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(BodyJson(response), json::parse(R"({"error":"internal","detail":"internal error"})"));
}

TEST_F(IngressServerTest, CallsTheStoredHookOnlyForNewEvents) {
  std::mutex mutex;
  std::vector<std::int64_t> stored;
  IngressHooks hooks;
  hooks.on_event_stored = [&](std::int64_t id) {
    std::lock_guard lock(mutex);
    stored.push_back(id);
  };
  StartServer({}, AllSecrets(), hooks);
  PostPlanfix(kBriefSend);
  PostPlanfix(kBriefSend);
  PostTelegram(R"({"update_id":5})");
  std::lock_guard lock(mutex);
  EXPECT_EQ(stored, (std::vector<std::int64_t>{1, 2}));
}

TEST_F(IngressServerTest, StoresASignedGoogleFormSubmissionKeyedByWebhookId) {
  StartServer();
  const std::string body =
      R"({"responseId":"r1","formId":"f1","timestamp":"2026-11-27T09:59:00Z","briefCode":"b1.x",)"
      R"("answers":[{"title":"Q","value":["a","b"]}]})";
  const auto response =
      Send("POST", "/webhooks/google-forms", body, GoogleHeaders("r1", kStart - 30, body));
  EXPECT_EQ(response.status, 200) << response.body;
  const auto again =
      Send("POST", "/webhooks/google-forms", body, GoogleHeaders("r1", kStart - 10, body));
  EXPECT_EQ(BodyJson(again)["status"], "duplicate");
  const auto events = inbox_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].source, EventSource::kGoogle);
  EXPECT_EQ(events[0].dedupe_key, "r1");
  EXPECT_EQ(events[0].kind, "form.submitted");
  const json payload = json::parse(events[0].payload);
  EXPECT_EQ(payload["briefCode"], "b1.x");
  EXPECT_EQ(payload["answers"][0]["value"], json::array({"a", "b"}));
}

TEST_F(IngressServerTest, RefusesGoogleRequestsWithBadSignaturesOrStaleTimestamps) {
  StartServer();
  const std::string body =
      R"({"responseId":"r1","formId":"f1","timestamp":"2026-11-27T09:59:00Z","answers":[]})";
  auto wrong = GoogleHeaders("r1", kStart, body);
  wrong["webhook-signature"] = "v1," + Base64Encode(std::string(32, 'x'));
  EXPECT_EQ(Send("POST", "/webhooks/google-forms", body, wrong).status, 401);

  const auto stale =
      Send("POST", "/webhooks/google-forms", body, GoogleHeaders("r1", kStart - 301, body));
  EXPECT_EQ(stale.status, 401);
  EXPECT_NE(BodyJson(stale)["detail"].get<std::string>().find("more than 300 s"),
            std::string::npos);
  EXPECT_EQ(
      Send("POST", "/webhooks/google-forms", body, GoogleHeaders("r1", kStart + 301, body)).status,
      401);

  // Headers of a genuine delivery replayed with a modified body.
  const std::string modified =
      R"({"responseId":"r2","formId":"f1","timestamp":"2026-11-27T09:59:00Z","answers":[]})";
  EXPECT_EQ(
      Send("POST", "/webhooks/google-forms", modified, GoogleHeaders("r1", kStart, body)).status,
      401);
  Headers unsigned_headers;
  unsigned_headers["Content-Type"] = "application/json";
  const auto missing = Send("POST", "/webhooks/google-forms", body, unsigned_headers);
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(BodyJson(missing)["detail"], "missing webhook-id header");
  EXPECT_TRUE(inbox_.events().empty());
  EXPECT_EQ(Received("google", "unauthorized"), 5.0);
}

TEST_F(IngressServerTest, RefusesAMalformedGoogleSubmissionEvenWhenSigned) {
  StartServer();
  const std::string body = R"({"responseId":"r1","formId":"f1","answers":[]})";
  const auto response =
      Send("POST", "/webhooks/google-forms", body, GoogleHeaders("r1", kStart, body));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(BodyJson(response)["detail"], "missing timestamp");
  auto text = GoogleHeaders("r1", kStart, body);
  text["Content-Type"] = "text/plain";
  EXPECT_EQ(Send("POST", "/webhooks/google-forms", body, text).status, 415);
}

// Found by fuzz_body_checks: with "last one wins" the service would act on a value that a
// reader keeping the first key (or a person reading the body) does not see.
TEST_F(IngressServerTest, RefusesABodyWithADuplicateKeyOnEveryWebhookNamingTheKey) {
  StartServer();
  const auto planfix = PostPlanfix(R"({"event":"brief.send","task":"12","task":"13"})");
  EXPECT_EQ(planfix.status, 400);
  EXPECT_EQ(BodyJson(planfix),
            json({{"error", "malformed"}, {"detail", R"(JSON object has the key "task" twice)"}}));

  const auto telegram =
      PostTelegram(R"({"update_id":5,"message":{"chat":{"id":1},"chat":{"id":2}}})");
  EXPECT_EQ(telegram.status, 400);
  EXPECT_EQ(BodyJson(telegram)["detail"], R"(JSON object has the key "chat" twice)");

  const std::string form =
      R"({"responseId":"r1","formId":"f1","timestamp":"2026-11-27T09:59:00Z","answers":[)"
      R"({"title":"Budget","title":"Бюджет","value":"10"}]})";
  const auto google =
      Send("POST", "/webhooks/google-forms", form, GoogleHeaders("r1", kStart, form));
  EXPECT_EQ(google.status, 400);
  EXPECT_EQ(BodyJson(google)["detail"], R"(JSON object has the key "title" twice)");

  // The same key in two different objects is no duplicate.
  EXPECT_EQ(PostTelegram(R"({"update_id":6,"message":{"chat":{"id":1},"from":{"id":1}}})").status,
            200);
  ASSERT_EQ(inbox_.events().size(), 1u);
  EXPECT_EQ(Received("planfix", "malformed"), 1.0);
  EXPECT_EQ(Received("telegram", "malformed"), 1.0);
  EXPECT_EQ(Received("google", "malformed"), 1.0);
}

TEST_F(IngressServerTest, StoresATelegramUpdateOnceKeyedByUpdateId) {
  StartServer();
  const std::string update = R"({"update_id":4242,"message":{"text":"hi"}})";
  EXPECT_EQ(PostTelegram(update).status, 200);
  const auto again = PostTelegram(update);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(BodyJson(again)["status"], "duplicate");
  const auto events = inbox_.events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].source, EventSource::kTelegram);
  EXPECT_EQ(events[0].dedupe_key, "4242");
  EXPECT_EQ(events[0].kind, "telegram.update");
  EXPECT_EQ(events[0].payload, update);
}

TEST_F(IngressServerTest, RefusesTelegramRequestsWithoutTheSecretToken) {
  StartServer();
  const auto missing = PostTelegram(R"({"update_id":1})", "");
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(BodyJson(missing)["detail"], "missing X-Telegram-Bot-Api-Secret-Token");
  EXPECT_EQ(PostTelegram(R"({"update_id":1})", "tg_Secret-43").status, 401);
  EXPECT_EQ(PostTelegram(R"({"update_id":"x"})").status, 400);
  EXPECT_TRUE(inbox_.events().empty());
  EXPECT_EQ(Received("telegram", "unauthorized"), 2.0);
  EXPECT_EQ(Received("telegram", "malformed"), 1.0);
}

TEST_F(IngressServerTest, AnswersHealthReadinessAndMetrics) {
  std::atomic<bool> ready{true};
  IngressHooks hooks;
  hooks.readiness_problems = [&] {
    return ready.load() ? std::vector<std::string>{}
                        : std::vector<std::string>{"the disk is full", "telegram: no webhook"};
  };
  StartServer({}, AllSecrets(), hooks);
  const auto health = Send("GET", "/healthz");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(BodyJson(health), json::parse(R"({"status":"ok"})"));
  EXPECT_EQ(Send("GET", "/readyz").status, 200);
  ready = false;
  const auto not_ready = Send("GET", "/readyz");
  EXPECT_EQ(not_ready.status, 503);
  EXPECT_EQ(BodyJson(not_ready)["error"], "unavailable");
  EXPECT_EQ(BodyJson(not_ready)["detail"], "not ready: the disk is full; telegram: no webhook");

  PostPlanfix(kBriefSend);
  const auto scrape = Send("GET", "/metrics");
  EXPECT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.headers.at("Content-Type").rfind("text/plain; version=0.0.4", 0), 0u);
  EXPECT_NE(scrape.body.find(
                R"(planfix_flow_events_received_total{source="planfix",outcome="stored"} 1)"),
            std::string::npos)
      << scrape.body;
  EXPECT_NE(scrape.body.find(
                R"(planfix_flow_events_received_total{source="telegram",outcome="malformed"} 0)"),
            std::string::npos);
  EXPECT_NE(scrape.body.find(
                R"(planfix_flow_http_request_duration_seconds_count{route="/webhooks/planfix"} 1)"),
            std::string::npos);
}

TEST_F(IngressServerTest, AnswersUnknownRoutesWith404AndWrongMethodsWith405) {
  StartServer();
  const auto unknown = Send("GET", "/nope");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(BodyJson(unknown)["error"], "not_found");
  const auto wrong = Send("GET", "/webhooks/planfix");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers.at("Allow"), "POST");
  EXPECT_EQ(BodyJson(wrong)["error"], "method_not_allowed");
  EXPECT_EQ(Send("POST", "/healthz", "{}", {{"Content-Type", "application/json"}}).status, 405);
}

TEST_F(IngressServerTest, AnswersDisabledSourcesWith404) {
  StartServer({}, Secrets{"", kGoogleSecret, "", kAdminToken});
  const auto planfix = PostPlanfix(kBriefSend);
  EXPECT_EQ(planfix.status, 404);
  EXPECT_EQ(BodyJson(planfix)["detail"], "the Planfix webhook is not configured");
  EXPECT_EQ(PostPlanfix(kBriefSend, "application/json", "Bearer ").status, 404);
  EXPECT_EQ(PostTelegram(R"({"update_id":1})", "").status, 404);
  EXPECT_TRUE(inbox_.events().empty());
}

TEST_F(IngressServerTest, ServesDeadJobsBehindTheAdminToken) {
  FakeJobAdmin admin;
  IngressHooks hooks;
  hooks.job_admin = &admin;
  StartServer({}, AllSecrets(), hooks);
  const Headers auth{{"Authorization", std::string("Bearer ") + kAdminToken}};

  EXPECT_EQ(Send("GET", "/admin/jobs").status, 401);
  EXPECT_EQ(Send("GET", "/admin/jobs", {}, {{"Authorization", "Bearer nope"}}).status, 401);
  EXPECT_EQ(Send("POST", "/admin/jobs/7/replay", {}, {{"Authorization", "Bearer nope"}}).status,
            401);

  const auto list = Send("GET", "/admin/jobs", {}, auth);
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body, R"([{"id":7,"state":"dead"}])");
  EXPECT_EQ(Send("GET", "/admin/jobs?state=queued&limit=5", {}, auth).status, 200);
  EXPECT_EQ(Send("GET", "/admin/jobs?limit=0", {}, auth).status, 400);
  EXPECT_EQ(Send("GET", "/admin/jobs?limit=abc", {}, auth).status, 400);
  EXPECT_EQ(Send("GET", "/admin/jobs?state=DROP%20TABLE", {}, auth).status, 400);

  EXPECT_EQ(Send("GET", "/admin/jobs/7", {}, auth).body, R"({"id":7,"state":"dead"})");
  const auto missing = Send("GET", "/admin/jobs/8", {}, auth);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(BodyJson(missing),
            json::parse(R"({"error":"not_found","detail":"job 8 does not exist"})"));
  EXPECT_EQ(Send("POST", "/admin/jobs/7/replay", {}, auth).status, 200);
  EXPECT_EQ(Send("POST", "/admin/jobs/9/replay", {}, auth).status, 409);
  EXPECT_EQ(Send("GET", "/admin/jobs/7/replay", {}, auth).status, 405);

  std::lock_guard lock(admin.mutex_);
  EXPECT_EQ(admin.calls, (std::vector<std::string>{"list dead 50", "list queued 5", "show 7",
                                                   "show 8", "replay 7", "replay 9"}));
}

TEST_F(IngressServerTest, HidesTheAdminEndpointsWhenNoTokenIsConfigured) {
  FakeJobAdmin admin;
  IngressHooks hooks;
  hooks.job_admin = &admin;
  StartServer({}, Secrets{kPlanfixSecret, kGoogleSecret, kTelegramSecret, ""}, hooks);
  EXPECT_EQ(Send("GET", "/admin/jobs", {}, {{"Authorization", "Bearer "}}).status, 404);
  EXPECT_EQ(Send("POST", "/admin/jobs/7/replay").status, 404);
  EXPECT_EQ(Send("DELETE", "/admin/jobs/7").status, 404);
  EXPECT_TRUE(admin.calls.empty());
}

TEST_F(IngressServerTest, FreesAWorkerFromAnIdleConnectionAfterTheReadTimeout) {
  ServerOptions options;
  options.threads = 1;
  options.read_timeout = seconds(1);
  options.keep_alive_timeout = seconds(1);
  StartServer(options);
  // Half a request line, then silence: the only worker is busy with this connection.
  auto idle = std::async(std::launch::async, [&] {
    return RawExchange(server_->port(), "POST /webhooks/planfix HTTP/1.1\r\nHost:", seconds(10));
  });
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(Send("GET", "/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(8));
  EXPECT_TRUE(idle.get().closed) << "the server should drop a client that stops sending";
}

TEST_F(IngressServerTest, AnswersManySequentialKeepAliveRequestsQuickly) {
  // With Nagle's algorithm on (httplib's default), each answer waits ~40 ms for a delayed ACK,
  // so 200 requests would take at least 8 s.
  StartServer();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 200; ++i) ASSERT_EQ(Send("GET", "/healthz").status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

TEST(IngressServer, RefusesUnusableSecretsWithoutEchoingThem) {
  core::FakeClock clock{core::FromUnixSeconds(kStart)};
  core::Metrics metrics;
  FakeInbox inbox;
  try {
    IngressServer server({}, inbox, metrics, clock, Secrets{"", "", "bad secret!", ""});
    ADD_FAILURE() << "accepted a Telegram secret Telegram would refuse";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()).find("bad secret!"), std::string::npos);
  }
  try {
    IngressServer server({}, inbox, metrics, clock, Secrets{"", "whsec_%%%", "", ""});
    ADD_FAILURE() << "accepted an undecodable whsec_ secret";
  } catch (const std::invalid_argument& error) {
    EXPECT_EQ(std::string(error.what()).find("%%%"), std::string::npos);
  }
}

TEST(IngressServer, ReportsTheBoundPortAndStopsTwiceSafely) {
  core::FakeClock clock{core::FromUnixSeconds(kStart)};
  core::Metrics metrics;
  FakeInbox inbox;
  IngressServer server({}, inbox, metrics, clock, AllSecrets());
  server.Start();
  EXPECT_GT(server.port(), 0);
  EXPECT_TRUE(server.running());
  server.Stop();
  server.Stop();
  EXPECT_FALSE(server.running());
}

TEST(IngressServer, RefusesToShareAPortWithAnotherServer) {
  // httplib sets SO_REUSEPORT by default, which would let a second instance silently take
  // half of the traffic.
  core::FakeClock clock{core::FromUnixSeconds(kStart)};
  core::Metrics metrics;
  FakeInbox inbox;
  IngressServer first({}, inbox, metrics, clock, AllSecrets());
  first.Start();
  ServerOptions same_port;
  same_port.port = first.port();
  IngressServer second(same_port, inbox, metrics, clock, AllSecrets());
  EXPECT_THROW(second.Start(), std::runtime_error);
}

}  // namespace
}  // namespace planfix_flow::http
