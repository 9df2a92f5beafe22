#include "planfix_flow/engine/effect_executor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <stdexcept>
#include <vector>

#include "engine/engine_test_util.h"

namespace planfix_flow::engine {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::CommitPlan;
using testing::kStart;
using testing::MakeEffect;

EffectExecutorOptions Options(int max_attempts = 4) {
  EffectExecutorOptions options;
  options.worker_id = "worker-1";
  options.lease = minutes(5);
  options.max_attempts = max_attempts;
  options.backoff = BackoffPolicy{seconds(2), minutes(10), 2.0, 0.0};
  options.seed = 7;
  return options;
}

core::Result<std::string> Failure(core::ErrorCode code, const std::string& message) {
  return core::Fail(code, message);
}

class EffectExecutorTest : public ::testing::Test {
 protected:
  void AddJob(const std::string& key, const std::string& kind = "telegram.send") {
    Plan plan;
    plan.effects = {MakeEffect(key, kind)};
    CommitPlan(db_, plan, clock_.Now());
  }
  Job OnlyJob() {
    auto jobs = db_.ListJobs({});
    EXPECT_EQ(jobs.size(), 1u);
    return jobs.empty() ? Job{} : jobs[0];
  }

  storage::Database db_{storage::DatabaseOptions{}};
  core::FakeClock clock_{kStart};
  core::Metrics metrics_;
};

TEST_F(EffectExecutorTest, RunsADueJobOnceAndStoresItsResult) {
  EffectExecutor executor(db_, clock_, Options(), &metrics_);
  std::vector<Job> calls;
  executor.Register("telegram.send", [&calls](const Job& job) -> core::Result<std::string> {
    calls.push_back(job);
    return std::string(R"({"message_id":77})");
  });
  AddJob("send:1");
  EXPECT_EQ(executor.RunDue(), 1u);
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kIdle);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].idempotency_key, "send:1");
  EXPECT_EQ(calls[0].payload, R"({"chat_id":42,"text":"hi"})");
  EXPECT_EQ(calls[0].attempts, 1);
  const Job job = OnlyJob();
  EXPECT_EQ(job.state, storage::JobState::kDone);
  EXPECT_EQ(job.result, R"({"message_id":77})");
  const std::string text = metrics_.Render();
  EXPECT_NE(text.find(R"(planfix_flow_job_attempts_total{kind="telegram.send",outcome="done"} 1)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(planfix_flow_effect_latency_seconds_count{kind="telegram.send"} 1)"),
            std::string::npos)
      << text;
}

TEST_F(EffectExecutorTest, AJobWaitsForItsNotBeforeTime) {
  EffectExecutor executor(db_, clock_, Options());
  int calls = 0;
  executor.Register("telegram.send", [&calls](const Job&) -> core::Result<std::string> {
    ++calls;
    return std::string();
  });
  Plan plan;
  plan.effects = {MakeEffect("later")};
  plan.effects[0].not_before = kStart + hours(1);
  CommitPlan(db_, plan);
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kIdle);
  EXPECT_EQ(db_.NextJobAttemptAt(), kStart + hours(1));
  clock_.Advance(hours(1));
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kDone);
  EXPECT_EQ(calls, 1);
}

TEST_F(EffectExecutorTest, RetryableErrorsBackOffExponentially) {
  EffectExecutor executor(db_, clock_, Options(4));
  executor.Register("telegram.send", [](const Job&) {
    return Failure(core::ErrorCode::kUnavailable, "bad gateway");
  });
  AddJob("send:1");
  std::vector<core::Duration> delays;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    EXPECT_EQ(executor.RunOnce(), JobOutcome::kRetry);
    const Job job = OnlyJob();
    EXPECT_EQ(job.state, storage::JobState::kPending);
    EXPECT_EQ(job.attempts, attempt);
    EXPECT_NE(job.last_error.find("bad gateway"), std::string::npos);
    delays.push_back(job.next_attempt_at - clock_.Now());
    EXPECT_EQ(executor.RunOnce(), JobOutcome::kIdle);  // not due before its backoff
    clock_.Set(job.next_attempt_at);
  }
  EXPECT_EQ(delays, (std::vector<core::Duration>{seconds(2), seconds(4), seconds(8)}));
  // The fourth attempt is the last.
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kDead);
  const Job job = OnlyJob();
  EXPECT_EQ(job.state, storage::JobState::kDead);
  EXPECT_NE(job.last_error.find("attempts exhausted (4)"), std::string::npos) << job.last_error;
}

TEST_F(EffectExecutorTest, RetryAfterPostponesTheNextAttempt) {
  EffectExecutor executor(db_, clock_, Options());
  executor.Register("telegram.send", [](const Job&) -> core::Result<std::string> {
    core::Error error = core::MakeError(core::ErrorCode::kRateLimited, "Too Many Requests");
    error.retry_after = seconds(600);
    return core::Fail(error);
  });
  AddJob("send:1");
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kRetry);
  EXPECT_EQ(OnlyJob().next_attempt_at, kStart + seconds(600));
}

TEST_F(EffectExecutorTest, APermanentErrorGoesDeadAtOnceWithTheReason) {
  EffectExecutor executor(db_, clock_, Options(), &metrics_);
  executor.Register("telegram.send", [](const Job&) {
    return Failure(core::ErrorCode::kPermanent, "Forbidden: bot was blocked by the user");
  });
  AddJob("send:1");
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kDead);
  const Job job = OnlyJob();
  EXPECT_EQ(job.state, storage::JobState::kDead);
  EXPECT_EQ(job.attempts, 1);
  EXPECT_NE(job.last_error.find("bot was blocked by the user"), std::string::npos);
  EXPECT_NE(metrics_.Render().find(R"(planfix_flow_dead_letters_total{kind="telegram.send"} 1)"),
            std::string::npos);
}

TEST_F(EffectExecutorTest, AThrowingHandlerGoesDeadWithTheMessage) {
  EffectExecutor executor(db_, clock_, Options());
  executor.Register("telegram.send",
                    [](const Job&) -> core::Result<std::string> { throw std::logic_error("bug"); });
  AddJob("send:1");
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kDead);
  EXPECT_NE(OnlyJob().last_error.find("handler threw: bug"), std::string::npos);
}

TEST_F(EffectExecutorTest, AnUnknownKindGoesDeadWithAClearReason) {
  EffectExecutor executor(db_, clock_, Options());
  AddJob("x:1", "fax.send");
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kDead);
  EXPECT_NE(OnlyJob().last_error.find("no handler is registered for job kind 'fax.send'"),
            std::string::npos);
}

TEST_F(EffectExecutorTest, ASpentDailyQuotaWaitsForTheNextDayWithoutSpendingAttempts) {
  EffectExecutor executor(db_, clock_, Options(1));
  executor.Register("planfix.comment", [](const Job&) {
    return Failure(core::ErrorCode::kQuotaExhausted, "daily limit (code 22)");
  });
  AddJob("comment:1", "planfix.comment");
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kRetry);
  const Job job = OnlyJob();
  EXPECT_EQ(job.state, storage::JobState::kPending);
  EXPECT_EQ(job.attempts, 0);
  // kStart is 2026-11-18T11:06:40Z: the next midnight UTC is 12 h 53 min 20 s later.
  EXPECT_EQ(job.next_attempt_at, core::FromUnixSeconds(1'795'046'400));
}

TEST_F(EffectExecutorTest, AReplayedDeadJobRunsAgainAndRecordsTheReplay) {
  EffectExecutor executor(db_, clock_, Options());
  bool fail = true;
  executor.Register("telegram.send", [&fail](const Job&) -> core::Result<std::string> {
    if (fail) return Failure(core::ErrorCode::kInvalidInput, "chat not found");
    return std::string("{}");
  });
  AddJob("send:1");
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kDead);
  const auto id = OnlyJob().id;
  fail = false;
  clock_.Advance(minutes(3));
  auto replayed = executor.ReplayJob(id);
  ASSERT_TRUE(replayed) << replayed.error().ToString();
  EXPECT_EQ(replayed->state, storage::JobState::kPending);
  EXPECT_EQ(replayed->attempts, 0);
  EXPECT_EQ(replayed->replay_count, 1);
  EXPECT_EQ(replayed->replayed_at, kStart + minutes(3));
  EXPECT_NE(replayed->last_error.find("chat not found"), std::string::npos);
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kDone);
  EXPECT_EQ(OnlyJob().state, storage::JobState::kDone);
  auto again = executor.ReplayJob(id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, core::ErrorCode::kConflict);
}

// How a job ended reaches the workflow as an event stored with the outcome, never without it.
TEST_F(EffectExecutorTest, TheReportOfADoneOrDeadJobIsStoredWithItsOutcomeAndNotForARetry) {
  EffectExecutorOptions options = Options(/*max_attempts=*/2);
  std::vector<std::string> asked;
  options.report =
      [&](const Job& job,
          const core::Result<std::string>& outcome) -> std::optional<storage::NewEvent> {
    asked.push_back(job.idempotency_key + (outcome ? ":done" : ":dead"));
    storage::NewEvent event;
    event.source = storage::EventSource::kInternal;
    event.dedupe_key = "job:" + std::to_string(job.id);
    event.kind = outcome ? "job.done" : "job.dead";
    event.payload = outcome ? *outcome : "{\"error\":\"" + outcome.error().message + "\"}";
    event.received_at = clock_.Now();
    return event;
  };
  EffectExecutor executor(db_, clock_, options, &metrics_);
  executor.Register("ok",
                    [](const Job&) -> core::Result<std::string> { return std::string("{}"); });
  executor.Register("flaky",
                    [](const Job&) { return Failure(core::ErrorCode::kUnavailable, "down"); });
  AddJob("a", "ok");
  AddJob("b", "flaky");
  int notified = 0;
  db_.SetEventsAddedListener([&notified] { ++notified; });
  const auto reports = [&] {
    std::map<std::string, std::string> found;  // kind -> payload
    for (const auto& event : db_.ListEvents(std::nullopt, 10)) {
      if (event.kind.starts_with("job.")) found[event.kind] = event.payload;
    }
    return found;
  };
  EXPECT_EQ(executor.RunDue(), 2u);  // a done; b retried, no report yet
  EXPECT_EQ(asked, (std::vector<std::string>{"a:done"}));
  EXPECT_EQ(reports(), (std::map<std::string, std::string>{{"job.done", "{}"}}));
  EXPECT_EQ(notified, 1);

  clock_.Advance(minutes(1));
  EXPECT_EQ(executor.RunDue(), 1u);  // b's attempts are spent: dead, with its report
  EXPECT_EQ(asked, (std::vector<std::string>{"a:done", "b:dead"}));
  EXPECT_EQ(reports(), (std::map<std::string, std::string>{{"job.done", "{}"},
                                                           {"job.dead", R"({"error":"down"})"}}));
  EXPECT_EQ(notified, 2);
  db_.SetEventsAddedListener(nullptr);
}

TEST(EffectExecutor, AJobLeftRunningByACrashedWorkerRunsAgainOnceItsLeaseExpires) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("pff-executor-lease-" + std::to_string(::getpid()) + ".db"))
                        .string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  core::FakeClock clock(kStart);
  {
    // The first process leases the job and dies before recording anything.
    storage::Database db(storage::DatabaseOptions{path});
    Plan plan;
    plan.effects = {MakeEffect("send:1")};
    CommitPlan(db, plan);
    ASSERT_TRUE(db.LeaseNextJob("crashed-worker", kStart, kStart + minutes(5)));
  }
  {
    storage::Database db(storage::DatabaseOptions{path});
    EffectExecutor executor(db, clock, Options());
    int calls = 0;
    executor.Register("telegram.send", [&calls](const Job& job) -> core::Result<std::string> {
      ++calls;
      EXPECT_EQ(job.attempts, 2);
      return std::string("{}");
    });
    clock.Advance(minutes(4));
    EXPECT_EQ(executor.RunOnce(), JobOutcome::kIdle);  // the lease is still live
    EXPECT_EQ(calls, 0);
    EXPECT_EQ(db.NextJobAttemptAt(), kStart + minutes(5));
    clock.Advance(minutes(1));
    EXPECT_EQ(executor.RunOnce(), JobOutcome::kDone);
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(db.ListJobs({})[0].lease_owner, "");
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST_F(EffectExecutorTest, RunExecutesNotifiedJobsAndStopsWhenAsked) {
  EffectExecutor executor(db_, clock_, Options());
  std::atomic<int> calls{0};
  executor.Register("telegram.send", [&calls](const Job&) -> core::Result<std::string> {
    ++calls;
    return std::string("{}");
  });
  std::jthread loop([&executor](std::stop_token stop) { executor.Run(stop); });
  AddJob("send:1");
  executor.Notify();
  EXPECT_TRUE(testing::Eventually([&] { return calls.load() == 1; }));
  AddJob("send:2");
  executor.Notify();
  EXPECT_TRUE(testing::Eventually([&] { return calls.load() == 2; }));
  loop.request_stop();
  loop.join();
  EXPECT_EQ(db_.CountJobsByState()[storage::JobState::kDone], 2);
}

TEST(Backoff, JitterIsRepeatableForASeedAndStaysWithinItsBounds) {
  const BackoffPolicy policy{seconds(10), minutes(10), 2.0, 0.2};
  Backoff first(policy, 42);
  Backoff second(policy, 42);
  for (int failures = 1; failures <= 10; ++failures) {
    const auto delay = first.Delay(failures);
    EXPECT_EQ(delay, second.Delay(failures));
    const double raw = std::min(600.0, 10.0 * (1 << (failures - 1)));
    const double got = std::chrono::duration<double>(delay).count();
    EXPECT_GE(got, raw * 0.8 - 1e-6) << failures;
    EXPECT_LE(got, raw * 1.2 + 1e-6) << failures;
  }
}

TEST_F(EffectExecutorTest, RunsEveryDueInteractiveJobBeforeAnyDueBulkJob) {
  EffectExecutor executor(db_, clock_, Options(), &metrics_);
  std::vector<std::string> order;
  executor.Register("telegram.send", [&order](const Job& job) -> core::Result<std::string> {
    order.push_back(job.idempotency_key);
    return std::string();
  });
  Plan bulk;
  bulk.effects = {MakeEffect("bulk:1"), MakeEffect("bulk:2")};
  for (auto& effect : bulk.effects) effect.priority = plan::EffectPriority::kBulk;
  CommitPlan(db_, bulk, clock_.Now());
  clock_.Advance(minutes(1));  // the press comes later than the bulk work was due
  AddJob("press:1");
  EXPECT_EQ(executor.RunOnce(), JobOutcome::kDone);
  EXPECT_EQ(executor.RunDue(), 2u);
  EXPECT_EQ(order, (std::vector<std::string>{"press:1", "bulk:1", "bulk:2"}));
  const auto jobs = db_.ListJobs({});  // newest first
  ASSERT_EQ(jobs.size(), 3u);
  EXPECT_EQ(jobs.front().priority, plan::EffectPriority::kInteractive);
  EXPECT_EQ(jobs.back().priority, plan::EffectPriority::kBulk);
}

}  // namespace
}  // namespace planfix_flow::engine
