// The Telegram long-polling poller against the loopback FakeTelegram, with a real SQLite
// database in a temp file; and the App driving it in polling mode.
#include "planfix_flow/app/telegram_poller.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "planfix_flow/app/app.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_planfix.h"
#include "planfix_flow/sandbox/fake_telegram.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::seconds;

constexpr std::int64_t kUser = 7012345678;
const core::TimePoint kStart = core::FromUnixSeconds(1'800'000'000);

std::filesystem::path TempDatabasePath(const std::string& tag) {
  return std::filesystem::temp_directory_path() /
         ("pff-poller-" + std::to_string(::getpid()) + "-" + tag + "-" +
          ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
}

void RemoveDatabase(const std::filesystem::path& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(path.string() + suffix);
  }
}

// Fails the append with the given 1-based call number, otherwise writes to the database.
class FlakyInbox final : public storage::Inbox {
 public:
  explicit FlakyInbox(storage::Inbox& inner) : inner_(inner) {}
  void FailCall(int call) { fail_call_ = call; }
  core::Result<storage::AppendResult> AppendEvent(const storage::NewEvent& event) override {
    if (++calls_ == fail_call_) {
      return core::Fail(core::ErrorCode::kUnavailable, "database is locked (test)");
    }
    return inner_.AppendEvent(event);
  }

 private:
  storage::Inbox& inner_;
  int calls_ = 0;
  int fail_call_ = 0;
};

sandbox::FakeTelegramOptions OnClock(core::Clock& clock) {
  sandbox::FakeTelegramOptions options;
  options.clock = &clock;
  return options;
}

class TelegramPollerTest : public ::testing::Test {
 protected:
  TelegramPollerTest()
      : fake_(OnClock(clock_)),
        db_path_(TempDatabasePath("unit")),
        database_(DatabaseAt(db_path_)),
        inbox_(database_) {}

  ~TelegramPollerTest() override { RemoveDatabase(db_path_); }

  void SetUp() override {
    fake_.AddPrivateChat(kUser, "Olena");
    fake_.Start();
    client_ = std::make_unique<telegram::TelegramClient>(http_, clock_, ClientOptions());
  }

  static storage::DatabaseOptions DatabaseAt(const std::filesystem::path& path) {
    RemoveDatabase(path);
    storage::DatabaseOptions options;
    options.path = path.string();
    return options;
  }

  telegram::TelegramOptions ClientOptions() const {
    telegram::TelegramOptions options;
    options.base_url = fake_.api_base_url();
    options.token = fake_.token();
    return options;
  }

  std::vector<storage::StoredEvent> Events() const {
    auto events = database_.ListEvents(std::nullopt, 100);
    std::sort(events.begin(), events.end(),
              [](const auto& a, const auto& b) { return a.id < b.id; });
    return events;
  }

  // The getUpdates requests the fake received, as JSON bodies.
  std::vector<json> GetUpdatesCalls() const {
    std::vector<json> calls;
    for (const auto& request : fake_.requests()) {
      if (request.path.ends_with("/getUpdates")) calls.push_back(json::parse(request.body));
    }
    return calls;
  }

  core::FakeClock clock_{kStart};
  sandbox::FakeTelegram fake_;
  std::filesystem::path db_path_;
  storage::Database database_;
  http::CurlHttpClient http_;
  FlakyInbox inbox_;
  std::unique_ptr<telegram::TelegramClient> client_;  // after the fake has its port
};

TEST_F(TelegramPollerTest, StoresEachUpdateOnceWithItsUpdateIdAsTheDedupeKey) {
  TelegramPoller poller(*client_, inbox_, clock_);
  const std::int64_t first = fake_.SimulateUserMessage(kUser, kUser, "hello");
  const std::int64_t second = fake_.SimulateUserMessage(kUser, kUser, "a brief, please");

  auto stored = poller.PollOnce(seconds(0));
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored, 2u);
  EXPECT_EQ(poller.offset(), second + 1);

  const auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  const std::vector<std::pair<std::int64_t, std::string>> expected{{first, "hello"},
                                                                   {second, "a brief, please"}};
  for (std::size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].source, storage::EventSource::kTelegram);
    EXPECT_EQ(events[i].kind, "telegram.update");
    EXPECT_EQ(events[i].dedupe_key, std::to_string(expected[i].first));
    const json payload = json::parse(events[i].payload);
    EXPECT_EQ(payload["update_id"], expected[i].first);
    EXPECT_EQ(payload["message"]["text"], expected[i].second);
    EXPECT_EQ(payload["message"]["chat"]["id"], kUser);
  }

  // The next call confirms both with its offset and stores nothing new.
  stored = poller.PollOnce(seconds(0));
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored, 0u);
  EXPECT_EQ(fake_.pending_update_count(), 0u);
  const auto calls = GetUpdatesCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_FALSE(calls[0].contains("offset"));
  EXPECT_EQ(calls[1]["offset"], second + 1);
  EXPECT_EQ(Events().size(), 2u);
  EXPECT_TRUE(fake_.failures().empty());
}

TEST_F(TelegramPollerTest, DeletesTheWebhookBeforeTheFirstGetUpdates) {
  telegram::SetWebhookRequest webhook;
  webhook.url = "https://flow.example.com/webhooks/telegram";
  ASSERT_TRUE(client_->SetWebhook(webhook));
  ASSERT_EQ(fake_.webhook().url, webhook.url);
  fake_.SimulateUserMessage(kUser, kUser, "hello");
  fake_.ClearRecords();

  TelegramPoller poller(*client_, inbox_, clock_);
  auto stored = poller.PollOnce(seconds(0));
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored, 1u);
  EXPECT_TRUE(poller.webhook_deleted());
  EXPECT_EQ(fake_.webhook().url, "");
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].path.ends_with("/deleteWebhook"));
  EXPECT_EQ(json::parse(requests[0].body).value("drop_pending_updates", false), false);
  EXPECT_TRUE(requests[1].path.ends_with("/getUpdates"));

  // Only once.
  ASSERT_TRUE(poller.PollOnce(seconds(0)));
  EXPECT_EQ(fake_.request_count(), 3u);
}

TEST_F(TelegramPollerTest, AnUpdateWhoseAppendFailedIsFetchedAgain) {
  TelegramPollerOptions options;
  options.backoff_base = seconds(1);
  TelegramPoller poller(*client_, inbox_, clock_, options);
  const std::int64_t first = fake_.SimulateUserMessage(kUser, kUser, "one");
  const std::int64_t second = fake_.SimulateUserMessage(kUser, kUser, "two");
  inbox_.FailCall(2);

  auto stored = poller.PollOnce(seconds(0));
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error().code, core::ErrorCode::kUnavailable);
  EXPECT_EQ(poller.offset(), first + 1);  // past the committed update only
  ASSERT_EQ(Events().size(), 1u);
  EXPECT_EQ(poller.next_attempt_at(), clock_.Now() + seconds(1));

  clock_.Advance(seconds(1));
  stored = poller.PollOnce(seconds(0));
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored, 1u);
  EXPECT_EQ(poller.offset(), second + 1);
  const auto calls = GetUpdatesCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1]["offset"], first + 1);  // the failed update was not confirmed
  const auto events = Events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].dedupe_key, std::to_string(first));
  EXPECT_EQ(events[1].dedupe_key, std::to_string(second));
  EXPECT_EQ(json::parse(events[1].payload)["message"]["text"], "two");
}

TEST_F(TelegramPollerTest, AnUpdateDeliveredTwiceIsStoredOnce) {
  TelegramPoller poller(*client_, inbox_, clock_);
  const std::string update = json{
      {"update_id", 555},
      {"message",
       {{"message_id", 1},
        {"date", 1'800'000'000},
        {"chat", {{"id", kUser}, {"type", "private"}}},
        {"text", "hi"}}}}.dump();
  fake_.PushUpdate(update);
  fake_.PushUpdate(update);

  auto stored = poller.PollOnce(seconds(0));
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored, 1u);
  EXPECT_EQ(poller.offset(), 556);
  const auto events = Events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].dedupe_key, "555");
}

TEST_F(TelegramPollerTest, AfterARestartUnconfirmedUpdatesComeAgainAndAreNotStoredTwice) {
  fake_.SimulateUserMessage(kUser, kUser, "hello");
  {
    TelegramPoller before_crash(*client_, inbox_, clock_);
    ASSERT_EQ(before_crash.PollOnce(seconds(0)).value_or(0), 1u);
  }  // gone before its next call could confirm the update
  EXPECT_EQ(fake_.pending_update_count(), 1u);

  TelegramPoller after_restart(*client_, inbox_, clock_);
  auto stored = after_restart.PollOnce(seconds(0));
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored, 0u);
  EXPECT_EQ(Events().size(), 1u);
  ASSERT_TRUE(after_restart.PollOnce(seconds(0)));
  EXPECT_EQ(fake_.pending_update_count(), 0u);
}

TEST_F(TelegramPollerTest, WaitsRetryAfterOn429WithoutCallingTelegram) {
  TelegramPoller poller(*client_, inbox_, clock_);
  ASSERT_TRUE(poller.PollOnce(seconds(0)));  // deletes the webhook
  fake_.SimulateUserMessage(kUser, kUser, "hello");
  fake_.FailNext(1, 429,
                 R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7",)"
                 R"("parameters":{"retry_after":7}})");

  auto stored = poller.PollOnce(seconds(0));
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error().code, core::ErrorCode::kRateLimited);
  EXPECT_EQ(poller.next_attempt_at(), clock_.Now() + seconds(7));
  const std::size_t requests = fake_.request_count();

  clock_.Advance(seconds(6));
  stored = poller.PollOnce(seconds(0));
  ASSERT_TRUE(stored);
  EXPECT_EQ(*stored, 0u);
  EXPECT_EQ(fake_.request_count(), requests);  // still backing off: no call

  clock_.Advance(seconds(1));
  stored = poller.PollOnce(seconds(0));
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored, 1u);
  EXPECT_EQ(fake_.request_count(), requests + 1);
  EXPECT_EQ(poller.consecutive_failures(), 0);
}

TEST_F(TelegramPollerTest, BacksOffExponentiallyOnServerErrors) {
  TelegramPollerOptions options;
  options.backoff_base = seconds(2);
  options.backoff_max = seconds(5);
  TelegramPoller poller(*client_, inbox_, clock_, options);
  ASSERT_TRUE(poller.PollOnce(seconds(0)));  // deletes the webhook
  fake_.SimulateUserMessage(kUser, kUser, "hello");
  fake_.FailNext(3, 502, "<html>Bad Gateway</html>");

  for (const auto delay : {seconds(2), seconds(4), seconds(5)}) {
    const std::size_t requests = fake_.request_count();
    auto stored = poller.PollOnce(seconds(0));
    ASSERT_FALSE(stored);
    EXPECT_EQ(stored.error().code, core::ErrorCode::kUnavailable);
    EXPECT_EQ(fake_.request_count(), requests + 1);
    EXPECT_EQ(poller.next_attempt_at() - clock_.Now(), delay);
    // Not before the delay: no call at all.
    clock_.Advance(delay - seconds(1));
    EXPECT_EQ(poller.PollOnce(seconds(0)).value_or(99), 0u);
    EXPECT_EQ(fake_.request_count(), requests + 1);
    clock_.Advance(seconds(1));
  }
  auto stored = poller.PollOnce(seconds(0));
  ASSERT_TRUE(stored) << stored.error().ToString();
  EXPECT_EQ(*stored, 1u);
  EXPECT_EQ(poller.consecutive_failures(), 0);
}

TEST_F(TelegramPollerTest, RunStoresUpdatesFromALongPollAndStopsWithinThePollTimeout) {
  std::mutex mutex;
  std::condition_variable added;
  bool notified = false;
  database_.SetEventsAddedListener([&] {
    {
      std::lock_guard lock(mutex);
      notified = true;
    }
    added.notify_all();
  });
  TelegramPollerOptions options;
  options.poll_timeout = seconds(1);
  TelegramPoller poller(*client_, database_, clock_, options);
  std::jthread thread([&](std::stop_token stop) { poller.Run(stop); });

  fake_.SimulateUserMessage(kUser, kUser, "hello");
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(added.wait_for(lock, seconds(10), [&] { return notified; }));
  }
  EXPECT_EQ(Events().size(), 1u);

  const auto stop_started = std::chrono::steady_clock::now();
  thread.request_stop();
  thread.join();
  // One poll timeout at most, plus generous slack for a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - stop_started, seconds(5));
}

TEST(TelegramPollingApp, AUserMessageBecomesAStoredTelegramUpdateAfterRunUntilIdle) {
  core::FakeClock clock(kStart);
  sandbox::FakePlanfixOptions planfix_options;
  planfix_options.min_interval = std::chrono::milliseconds(0);
  sandbox::FakePlanfix planfix(planfix_options);
  planfix.Start();
  sandbox::FakeTelegram telegram(OnClock(clock));
  telegram.Start();

  config::Config config = config::DefaultSandboxConfig();
  ASSERT_EQ(config.telegram.mode, config::TelegramMode::kPolling);
  const auto db_path = TempDatabasePath("app");
  RemoveDatabase(db_path);
  config.storage.path = db_path.string();
  config.planfix.base_url = planfix.rest_url();
  config.telegram.base_url = telegram.api_base_url();
  config.secrets.planfix_token = planfix_options.tokens.at(0).token;
  config.secrets.telegram_bot_token = telegram.token();
  telegram.AddSupergroup(config.telegram.staff_chat_id, "Staff");
  telegram.AddPrivateChat(kUser, "Olena");
  std::vector<config::Problem> problems;
  auto templates = config::LoadTemplates(config, problems);
  ASSERT_TRUE(templates.set) << (problems.empty() ? "" : problems[0].ToString());

  http::CurlHttpClient http;
  {
    App app(config, templates.set, clock, http, AppOptions{.background_threads = false});
    app.Start();
    const std::int64_t update_id = telegram.SimulateUserMessage(kUser, kUser, "hello");
    app.RunUntilIdle();

    const auto events = app.database().ListEvents(std::nullopt, 100);
    const auto found = std::find_if(events.begin(), events.end(), [](const auto& event) {
      return event.source == storage::EventSource::kTelegram;
    });
    ASSERT_NE(found, events.end());
    EXPECT_EQ(found->kind, "telegram.update");
    EXPECT_EQ(found->dedupe_key, std::to_string(update_id));
    EXPECT_EQ(json::parse(found->payload)["message"]["text"], "hello");
    app.Stop();
  }
  RemoveDatabase(db_path);
  EXPECT_TRUE(telegram.failures().empty());
}

}  // namespace
}  // namespace planfix_flow::app
