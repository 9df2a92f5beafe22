// Issue 6, "Outages": Telegram down for a simulated hour (500s, then a 429 with retry_after)
// while a brief goes out: the message is delivered once after recovery, backoff and
// retry_after are honoured with no hot loop; a permanent refusal is dead-lettered at once
// with its reason and delivered after a replay. The real App and fakes, simulated clock, the
// production retry settings.
#include <fmt/format.h>
#include <gtest/gtest.h>

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
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set);
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 3});
    app_->Start();
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

}  // namespace
}  // namespace planfix_flow::app
