// Issue 6, "Outages": Telegram or Planfix down for a simulated hour (500s, time-outs, then a
// 429 with retry_after) while a brief goes out: everything is delivered once after recovery,
// backoff and retry_after are honoured with no hot loop; a permanent refusal is dead-lettered
// at once with its reason and delivered after a replay. The real App and fakes, simulated
// clock, the production retry settings.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

// Monday 2026-11-23 10:00 in Kyiv.
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
constexpr std::int64_t kChat = 5001;

class Outage : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    // What serve runs with (the sandbox default retries faster).
    world_->config.limits = config::LimitsConfig{};
    world_->config.planfix.request_timeout_seconds = 1;  // a hung Planfix costs 1 s of real time
    // No webhook check within the tests' hours: it would take the one injected 429 itself.
    world_->config.telegram.webhook_check_interval_minutes = 1440;
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set);
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 3});
    app_->Start();
    app_->RunUntilIdle();  // getMe and setWebhook, before the tests' faults
    client_ = world_->AddClient("Олена", "olena@example.com", "", kChat);
  }

  void PressSendBrief() {
    auto answer = world_->PostPlanfix(
        app_->port(), {{"event", "brief.send"}, {"task", std::to_string(client_.task)}});
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200);
    app_->RunUntilIdle();
  }
  std::size_t SendAttempts() const {
    std::size_t count = 0;
    for (const auto& request : world_->telegram.requests()) {
      if (request.path.ends_with("/sendMessage")) ++count;
    }
    return count;
  }
  std::size_t BotMessages() const {
    std::size_t count = 0;
    for (const auto& message : world_->telegram.Messages(kChat)) count += message.from_bot ? 1 : 0;
    return count;
  }
  std::optional<storage::StoredEvent> BriefEvent() const {
    for (const auto& event : app_->database().ListEvents(std::nullopt, 100)) {
      if (event.kind == "brief.send") return event;
    }
    return std::nullopt;
  }
  // Advances the clock a minute at a time, running the service, until `done` or `limit`.
  void RunMinutesUntil(int limit, const std::function<bool()>& done) {
    for (int minute = 1; minute <= limit && !done(); ++minute) {
      clock_->Advance(minutes(1));
      app_->RunUntilIdle();
    }
  }
  std::optional<storage::Job> SendJob() const {
    storage::JobFilter filter;
    for (const auto& job : app_->database().ListJobs(filter)) {
      if (job.kind == "telegram.send_message" &&
          job.destination == "telegram:chat:" + std::to_string(kChat))
        return job;
    }
    return std::nullopt;
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
  SandboxClient client_;
};

TEST_F(Outage, AnHourOfTelegramErrorsIsRiddenOutWithBackoffAndRetryAfter) {
  world_->telegram.FailNext(
      100000, 500, R"({"ok":false,"error_code":500,"description":"Internal Server Error"})");
  PressSendBrief();
  for (int minute = 1; minute <= 60; ++minute) {
    clock_->Advance(minutes(1));
    app_->RunUntilIdle();
  }
  // Exponential backoff from 5 s: about 10 tries in the hour, not a hot loop.
  const std::size_t during = SendAttempts();
  EXPECT_GE(during, 6u);
  EXPECT_LE(during, 12u);
  EXPECT_EQ(BotMessages(), 0u);
  ASSERT_TRUE(SendJob());
  EXPECT_EQ(SendJob()->state, storage::JobState::kPending) << SendJob()->last_error;

  // Recovery starts with a flood refusal: the next try waits retry_after.
  world_->telegram.ClearFaults();
  world_->telegram.FailNext(
      1, 429,
      R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 900","parameters":{"retry_after":900}})");
  const std::size_t before_429 = SendAttempts();
  core::TimePoint refused_at{};
  for (int minute = 1; minute <= 70 && SendAttempts() == before_429; ++minute) {
    clock_->Advance(minutes(1));
    app_->RunUntilIdle();
    refused_at = clock_->Now();
  }
  ASSERT_EQ(SendAttempts(), before_429 + 1);
  const auto job = SendJob();
  ASSERT_TRUE(job);
  EXPECT_GE(job->next_attempt_at, refused_at + seconds(900));
  clock_->Advance(seconds(890));
  app_->RunUntilIdle();
  EXPECT_EQ(SendAttempts(), before_429 + 1);  // not before retry_after
  for (int minute = 1; minute <= 70 && BotMessages() == 0; ++minute) {
    clock_->Advance(minutes(1));
    app_->RunUntilIdle();
  }
  EXPECT_EQ(BotMessages(), 1u);
  EXPECT_EQ(SendJob()->state, storage::JobState::kDone);
  EXPECT_LE(SendJob()->attempts, world_->config.limits.job_max_attempts);
}

TEST_F(Outage, APermanentRefusalIsDeadAtOnceWithItsReasonAndReplayable) {
  world_->telegram.FailNext(
      1, 400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})");
  PressSendBrief();
  auto job = SendJob();
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, storage::JobState::kDead);
  EXPECT_EQ(job->attempts, 1);
  EXPECT_NE(job->last_error.find("chat not found"), std::string::npos) << job->last_error;

  auto replayed = app_->database().ReplayJob(job->id, clock_->Now());
  ASSERT_TRUE(replayed) << replayed.error().ToString();
  app_->RunUntilIdle();
  EXPECT_EQ(SendJob()->state, storage::JobState::kDone);
  EXPECT_EQ(BotMessages(), 1u);
}

TEST_F(Outage, AnHourOfPlanfixRateLimitsErrorsAndTimeOutsDelaysTheBriefButLosesNothing) {
  auto& planfix = world_->planfix;
  // First Planfix refuses with 429 and Retry-After: its limit is set to one call per
  // 15 minutes, so the event's second read is refused and the event waits that long.
  planfix.SetMinInterval(minutes(15));
  const core::TimePoint pressed_at = clock_->Now();
  PressSendBrief();  // acknowledged: stored; handling it needs the task from Planfix
  ASSERT_EQ(planfix.rate_limited_count(), 1);
  ASSERT_TRUE(BriefEvent());
  EXPECT_EQ(BriefEvent()->state, storage::EventState::kPending);
  EXPECT_GE(BriefEvent()->next_attempt_at, pressed_at + seconds(890)) << BriefEvent()->last_error;
  const std::size_t refused = planfix.request_count();
  clock_->Advance(seconds(880));
  app_->RunUntilIdle();
  EXPECT_EQ(planfix.request_count(), refused);  // not before Retry-After

  // Then it answers 500 for ten minutes: the event backs off from 5 s, no hot loop.
  planfix.SetMinInterval(std::chrono::milliseconds(0));
  planfix.FailNext(100000, 500, R"({"result":"fail","code":0,"error":"Internal Server Error"})");
  RunMinutesUntil(10, [] { return false; });
  const std::size_t errors = planfix.request_count() - refused;
  EXPECT_GE(errors, 4u);
  EXPECT_LE(errors, 8u);
  EXPECT_EQ(BriefEvent()->state, storage::EventState::kPending) << BriefEvent()->last_error;
  EXPECT_EQ(SendAttempts(), 0u);

  // Then it hangs: the next read times out (the client waits 1 s here).
  planfix.ClearFaults();
  planfix.DelayNext(1, std::chrono::milliseconds(1500));
  RunMinutesUntil(60,
                  [&] { return BriefEvent()->last_error.find("timeout") != std::string::npos; });
  EXPECT_NE(BriefEvent()->last_error.find("timeout"), std::string::npos)
      << BriefEvent()->last_error;
  EXPECT_EQ(BriefEvent()->state, storage::EventState::kPending);
  EXPECT_EQ(SendAttempts(), 0u);

  // Recovery: the brief goes out once, the task gets its comment, nothing twice.
  RunMinutesUntil(60, [&] { return BotMessages() > 0; });
  EXPECT_EQ(BotMessages(), 1u);
  EXPECT_EQ(BriefEvent()->state, storage::EventState::kDone);
  EXPECT_EQ(planfix.comments(client_.task).size(), 1u);
  RunMinutesUntil(10, [] { return false; });
  EXPECT_EQ(BotMessages(), 1u);
  EXPECT_EQ(planfix.comments(client_.task).size(), 1u);
  EXPECT_LT(BriefEvent()->attempts, world_->config.limits.job_max_attempts);
  EXPECT_LE(clock_->Now() - pressed_at, std::chrono::hours(2));
  for (const auto& job : app_->database().ListJobs(storage::JobFilter{})) {
    EXPECT_EQ(job.state, storage::JobState::kDone) << job.kind << ": " << job.last_error;
  }
}

TEST_F(Outage, APlanfixRefusalIsDeadAtOnceWithItsReasonAndReplayable) {
  // The robot's token may not read tasks (Planfix code 6): no retry can change that.
  world_->planfix.FailNext(1, 400, R"({"result":"fail","code":6,"error":"No access to task"})");
  PressSendBrief();
  auto event = BriefEvent();
  ASSERT_TRUE(event);
  EXPECT_EQ(event->state, storage::EventState::kDead);
  EXPECT_EQ(event->attempts, 1);
  EXPECT_NE(event->last_error.find("No access to task"), std::string::npos) << event->last_error;
  EXPECT_EQ(world_->planfix.request_count(), 1u);
  EXPECT_EQ(SendAttempts(), 0u);

  // The access is granted; the operator replays the event and the brief goes out.
  auto replayed = app_->database().ReplayEvent(event->id, clock_->Now());
  ASSERT_TRUE(replayed) << replayed.error().ToString();
  app_->RunUntilIdle();
  EXPECT_EQ(BriefEvent()->state, storage::EventState::kDone);
  EXPECT_EQ(BotMessages(), 1u);
  EXPECT_EQ(world_->planfix.comments(client_.task).size(), 1u);
}

}  // namespace
}  // namespace planfix_flow::app
