// End to end through the real HTTP server, SQLite storage, the engine and the sandbox fakes:
// the service core's promises with the trivial "ping" rule set.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "planfix_flow/app/app.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_planfix.h"
#include "planfix_flow/sandbox/fake_telegram.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::seconds;

// Friday 2026-11-27 12:00 in Kyiv.
const core::TimePoint kFridayNoon = core::FromUnixSeconds(1'795'773'600);
constexpr std::int64_t kStaffChat = -1001000000001;

class ServeEndToEnd : public ::testing::Test {
 protected:
  ServeEndToEnd() : clock_(kFridayNoon), telegram_(TelegramOptions(clock_)) {}

  static sandbox::FakeTelegramOptions TelegramOptions(core::Clock& clock) {
    sandbox::FakeTelegramOptions options;
    options.clock = &clock;
    options.bot_username = config::DefaultSandboxConfig().telegram.bot_username;
    return options;
  }

  void SetUp() override {
    sandbox::FakePlanfixOptions planfix_options;
    planfix_options.tokens = {sandbox::FakePlanfixToken{"e2e-planfix-token", {}, true}};
    // The client paces on the simulated clock, which real time does not follow.
    planfix_options.min_interval = std::chrono::milliseconds(0);
    planfix_ = std::make_unique<sandbox::FakePlanfix>(planfix_options);
    planfix_->Start();
    planfix_->AddTask(sandbox::FakeTask{.id = 42, .name = "Landing"});
    telegram_.Start();
    telegram_.AddSupergroup(kStaffChat, "Staff");

    db_path_ = std::filesystem::temp_directory_path() /
               ("pff-e2e-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    RemoveDatabase();

    config_ = config::DefaultSandboxConfig();
    config_.storage.path = db_path_.string();
    config_.storage.synchronous = config::SqliteSynchronous::kFull;
    config_.planfix.base_url = planfix_->rest_url();
    config_.telegram.base_url = telegram_.api_base_url();
    config_.telegram.staff_chat_id = kStaffChat;
    config_.telegram.mode = config::TelegramMode::kWebhook;
    config_.telegram.webhook_url = "https://flow.e2e.test/webhooks/telegram";
    // App::Stop waits for idle keep-alive connections (the test's client keeps one open).
    config_.server.keep_alive_seconds = 1;
    config_.secrets.planfix_token = "e2e-planfix-token";
    config_.secrets.telegram_bot_token = telegram_.token();
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(config_, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    templates_ = loaded.set;
    StartApp();
  }

  void TearDown() override {
    app_.reset();
    RemoveDatabase();
  }

  // Started and set up with Telegram (getMe, setWebhook), so the tests' faults hit their calls.
  void StartApp() {
    app_ = std::make_unique<App>(config_, templates_, clock_, http_,
                                 AppOptions{.background_threads = false, .seed = 7});
    app_->Start();
    app_->RunUntilIdle();
  }

  void RestartApp() {
    app_.reset();
    StartApp();
  }

  void RemoveDatabase() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(db_path_.string() + suffix);
    }
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(app_->port()) + path;
  }

  http::HttpResponse Post(const std::string& path, std::string body, http::Headers headers = {}) {
    http::HttpRequest request;
    request.method = "POST";
    request.url = Url(path);
    request.body = std::move(body);
    request.headers = std::move(headers);
    if (!request.headers.count("Content-Type")) {
      request.headers["Content-Type"] = "application/json";
    }
    auto response = http_.Send(request);
    if (!response) ADD_FAILURE() << response.error().ToString();
    return response ? *response : http::HttpResponse{};
  }

  http::HttpResponse Get(const std::string& path, http::Headers headers = {}) {
    http::HttpRequest request;
    request.url = Url(path);
    request.headers = std::move(headers);
    auto response = http_.Send(request);
    if (!response) ADD_FAILURE() << response.error().ToString();
    return response ? *response : http::HttpResponse{};
  }

  http::HttpResponse PostPing(int task = 42) {
    return Post("/webhooks/planfix", json{{"event", "ping"}, {"task", std::to_string(task)}}.dump(),
                {{"Authorization", "Bearer " + config_.secrets.planfix_webhook_secret}});
  }

  http::Headers Admin() const {
    return {{"Authorization", "Bearer " + config_.secrets.admin_token}};
  }

  std::vector<storage::Job> Jobs(std::optional<storage::JobState> state = std::nullopt) {
    storage::JobFilter filter;
    filter.state = state;
    filter.newest_first = false;
    return app_->database().ListJobs(filter);
  }

  std::size_t EventCount() { return app_->database().ListEvents(std::nullopt, 1000).size(); }

  core::FakeClock clock_;
  std::unique_ptr<sandbox::FakePlanfix> planfix_;
  sandbox::FakeTelegram telegram_;
  http::CurlHttpClient http_;
  std::filesystem::path db_path_;
  config::Config config_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  std::unique_ptr<App> app_;
};

TEST_F(ServeEndToEnd, StoresAnEventBeforeAnsweringAndStoresADuplicateOnce) {
  auto first = PostPing();
  EXPECT_EQ(first.status, 200) << first.body;
  // Nothing has processed it yet, and it is already committed.
  auto events = app_->database().ListEvents(std::nullopt, 10);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "ping");
  EXPECT_EQ(events[0].state, storage::EventState::kPending);

  auto retry = PostPing();  // Planfix retries the same body
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(EventCount(), 1u);
}

TEST_F(ServeEndToEnd, DeliversTheRuleEffectsToTheFakes) {
  ASSERT_EQ(PostPing().status, 200);
  app_->RunUntilIdle();

  const auto staff = telegram_.Messages(kStaffChat);
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_NE(staff[0].text.find("#42 Landing"), std::string::npos) << staff[0].text;
  const auto comments = planfix_->comments(42);
  ASSERT_EQ(comments.size(), 1u);
  for (const auto& job : Jobs()) EXPECT_EQ(job.state, storage::JobState::kDone) << job.kind;
  auto timer = app_->database().GetTimer("ping.followup:task:42");
  ASSERT_TRUE(timer);
  EXPECT_EQ(timer->state, storage::TimerState::kPending);
}

TEST_F(ServeEndToEnd, RejectsBadRequestsAndStoresNothing) {
  const std::string body = json{{"event", "ping"}, {"task", "42"}}.dump();
  const http::Headers planfix_auth{
      {"Authorization", "Bearer " + config_.secrets.planfix_webhook_secret}};
  EXPECT_EQ(Post("/webhooks/planfix", body).status, 401);
  EXPECT_EQ(Post("/webhooks/planfix", body, {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(Post("/webhooks/planfix", std::string(70 * 1024, ' '), planfix_auth).status, 413);
  http::Headers text_plain = planfix_auth;
  text_plain["Content-Type"] = "text/plain";
  EXPECT_EQ(Post("/webhooks/planfix", body, text_plain).status, 415);
  auto malformed = Post("/webhooks/planfix", "{\"event\":", planfix_auth);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("\"error\""), std::string::npos) << malformed.body;
  EXPECT_EQ(Post("/webhooks/planfix", R"({"task":"42"})", planfix_auth).status, 400);
  EXPECT_EQ(Post("/webhooks/telegram", R"({"update_id":1})",
                 {{"X-Telegram-Bot-Api-Secret-Token", "wrong"}})
                .status,
            401);
  EXPECT_EQ(Post("/webhooks/google-forms", R"({"responseId":"r1"})",
                 {{"webhook-id", "msg_1"},
                  {"webhook-timestamp", std::to_string(core::ToUnixSeconds(clock_.Now()))},
                  {"webhook-signature", "v1,AAAA"}})
                .status,
            401);
  EXPECT_EQ(EventCount(), 0u);
}

TEST_F(ServeEndToEnd, AcceptsATelegramUpdateWithTheSecretOnce) {
  const http::Headers auth{
      {"X-Telegram-Bot-Api-Secret-Token", config_.secrets.telegram_webhook_secret}};
  const std::string update = R"({"update_id":1001,"message":{"message_id":5,"date":1795773600,)"
                             R"("chat":{"id":777,"type":"private"},"text":"hi"}})";
  EXPECT_EQ(Post("/webhooks/telegram", update, auth).status, 200);
  EXPECT_EQ(Post("/webhooks/telegram", update, auth).status, 200);
  EXPECT_EQ(EventCount(), 1u);
}

TEST_F(ServeEndToEnd, RetriesAFailingFakeWithBackoffUntilItSucceeds) {
  telegram_.FailNext(2, 500,
                     R"({"ok":false,"error_code":500,"description":"Internal Server Error"})");
  ASSERT_EQ(PostPing().status, 200);
  app_->RunUntilIdle();
  EXPECT_TRUE(telegram_.Messages(kStaffChat).empty());
  auto pending = Jobs(storage::JobState::kPending);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].attempts, 1);
  EXPECT_GT(pending[0].next_attempt_at, clock_.Now());  // backing off, not hot-looping

  const auto sends_before = telegram_.request_count();
  app_->RunUntilIdle();  // nothing is due yet
  EXPECT_EQ(telegram_.request_count(), sends_before);

  clock_.Set(pending[0].next_attempt_at);
  app_->RunUntilIdle();  // second failure
  auto again = Jobs(storage::JobState::kPending);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].attempts, 2);
  // Exponential: the second wait is longer than the first (jitter is at most 20%).
  EXPECT_GT(again[0].next_attempt_at - clock_.Now(),
            (pending[0].next_attempt_at - kFridayNoon) / 2);

  clock_.Set(again[0].next_attempt_at);
  app_->RunUntilIdle();
  ASSERT_EQ(telegram_.Messages(kStaffChat).size(), 1u);
  EXPECT_TRUE(Jobs(storage::JobState::kPending).empty());
  EXPECT_TRUE(Jobs(storage::JobState::kDead).empty());
}

TEST_F(ServeEndToEnd, DeadLettersAPermanentErrorAndReplaysItFromTheAdminEndpoint) {
  telegram_.FailNext(
      1, 400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})");
  ASSERT_EQ(PostPing().status, 200);
  app_->RunUntilIdle();
  auto dead = Jobs(storage::JobState::kDead);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].attempts, 1);  // permanent: no retries
  EXPECT_NE(dead[0].last_error.find("chat not found"), std::string::npos) << dead[0].last_error;

  EXPECT_EQ(Get("/admin/jobs?state=dead").status, 401);
  auto listed = Get("/admin/jobs?state=dead", Admin());
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(json::parse(listed.body).size(), 1u);
  auto replayed = Post("/admin/jobs/" + std::to_string(dead[0].id) + "/replay", "", Admin());
  ASSERT_EQ(replayed.status, 200) << replayed.body;

  app_->RunUntilIdle();
  EXPECT_EQ(telegram_.Messages(kStaffChat).size(), 1u);
  EXPECT_EQ(app_->database().GetJob(dead[0].id)->state, storage::JobState::kDone);
}

TEST_F(ServeEndToEnd, FiresATimerAfterARestartExactlyOnce) {
  ASSERT_EQ(PostPing().status, 200);
  app_->RunUntilIdle();
  ASSERT_EQ(telegram_.Messages(kStaffChat).size(), 1u);

  app_.reset();                            // the service stops ...
  clock_.Advance(std::chrono::hours(96));  // ... and is down past the follow-up's due time
  StartApp();                              // overdue timers fire at start
  app_->RunUntilIdle();
  auto staff = telegram_.Messages(kStaffChat);
  ASSERT_EQ(staff.size(), 2u);
  EXPECT_NE(staff[1].text.find("follow-up #42"), std::string::npos) << staff[1].text;

  RestartApp();
  clock_.Advance(std::chrono::hours(96));
  app_->RunUntilIdle();
  EXPECT_EQ(telegram_.Messages(kStaffChat).size(), 2u);
  EXPECT_EQ(app_->database().GetTimer("ping.followup:task:42")->state, storage::TimerState::kFired);
}

TEST_F(ServeEndToEnd, AnswersHealthReadinessAndMetrics) {
  EXPECT_EQ(Get("/healthz").status, 200);
  EXPECT_EQ(Get("/readyz").status, 200);
  ASSERT_EQ(PostPing().status, 200);
  app_->RunUntilIdle();
  auto metrics = Get("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("planfix_flow_events_received_total"), std::string::npos);
  EXPECT_NE(metrics.body.find("planfix_flow_timers_pending"), std::string::npos);
}

TEST_F(ServeEndToEnd, BlanksWhatItFinishedAfterTheRetentionDaysAndKeepsTheDedupeKeys) {
  ASSERT_EQ(PostPing().status, 200);
  app_->RunUntilIdle();
  const auto first = app_->database().ListEvents(storage::EventState::kDone, 10);
  ASSERT_EQ(first.size(), 1u);
  const auto jobs = Jobs(storage::JobState::kDone);
  ASSERT_FALSE(jobs.empty());

  clock_.Advance(std::chrono::days(config_.storage.retention_days) - std::chrono::hours(2));
  app_->RunUntilIdle();
  EXPECT_EQ(app_->database().GetEvent(first[0].id)->payload, first[0].payload);

  clock_.Advance(std::chrono::hours(3));  // past the retention and the hourly pass
  app_->RunUntilIdle();
  const auto pruned = app_->database().GetEvent(first[0].id);
  ASSERT_TRUE(pruned);
  EXPECT_TRUE(pruned->payload.starts_with(R"({"pruned_at":)")) << pruned->payload;
  EXPECT_EQ(pruned->state, storage::EventState::kDone);
  for (const auto& job : jobs) {
    EXPECT_TRUE(app_->database().GetJob(job.id)->payload.starts_with(R"({"pruned_at":)"))
        << job.kind;
  }
  auto metrics = Get("/metrics");
  EXPECT_NE(metrics.body.find(R"(planfix_flow_retention_pruned_total{table="events"} )"),
            std::string::npos)
      << metrics.body;
}

TEST_F(ServeEndToEnd, KeepsEverythingWhenRetentionIsOff) {
  config_.storage.retention_days = 0;
  RestartApp();
  ASSERT_EQ(PostPing().status, 200);
  app_->RunUntilIdle();
  const auto first = app_->database().ListEvents(storage::EventState::kDone, 10);
  ASSERT_EQ(first.size(), 1u);
  clock_.Advance(std::chrono::days(400));
  app_->RunUntilIdle();
  EXPECT_EQ(app_->database().GetEvent(first[0].id)->payload, first[0].payload);
}

}  // namespace
}  // namespace planfix_flow::app
