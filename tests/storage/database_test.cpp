#include "planfix_flow/storage/database.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <thread>
#include <vector>

#include "planfix_flow/storage/backup.h"
#include "storage/schema.h"

namespace planfix_flow::storage {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

const core::TimePoint kStart = core::FromUnixSeconds(1'795'000'000);  // Nov 2026

// A temporary database file, removed (with its WAL files) at the end of the test.
class TempDatabaseFile {
 public:
  TempDatabaseFile() {
    const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            (std::string("pff-") + test->test_suite_name() + "-" + test->name() + "-" +
             std::to_string(::getpid()) + ".db");
    Remove();
  }
  ~TempDatabaseFile() { Remove(); }
  std::string path() const { return path_.string(); }

 private:
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(path_.string() + suffix);
    }
  }
  std::filesystem::path path_;
};

NewEvent MakeEvent(std::string dedupe_key, std::string kind = "brief.send") {
  NewEvent event;
  event.source = EventSource::kPlanfix;
  event.dedupe_key = std::move(dedupe_key);
  event.kind = std::move(kind);
  event.payload = R"({"task":123})";
  event.received_at = kStart;
  return event;
}

Effect MakeEffect(std::string key, std::string kind = "telegram.send_message") {
  Effect effect;
  effect.kind = std::move(kind);
  effect.destination = "telegram:chat:42";
  effect.payload = R"({"text":"hi"})";
  effect.idempotency_key = std::move(key);
  return effect;
}

TimerChange SetTimer(std::string key, core::TimePoint due) {
  TimerChange change;
  change.action = TimerAction::kSet;
  change.key = std::move(key);
  change.kind = "brief.reminder";
  change.due_at = due;
  change.payload = R"({"task":123})";
  return change;
}

TEST(Database, StoresAnEventAndReportsADuplicateWithTheFirstId) {
  Database db(DatabaseOptions{});
  auto first = db.AppendEvent(MakeEvent("hook-1"));
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->outcome, AppendOutcome::kStored);
  auto second = db.AppendEvent(MakeEvent("hook-1"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->outcome, AppendOutcome::kDuplicate);
  EXPECT_EQ(second->event_id, first->event_id);

  auto stored = db.GetEvent(first->event_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->source, EventSource::kPlanfix);
  EXPECT_EQ(stored->kind, "brief.send");
  EXPECT_EQ(stored->payload, R"({"task":123})");
  EXPECT_EQ(stored->received_at, kStart);
  EXPECT_EQ(stored->state, EventState::kPending);
  EXPECT_EQ(db.ListEvents(std::nullopt, 10).size(), 1u);
}

TEST(Database, SameDedupeKeyFromAnotherSourceIsANewEvent) {
  Database db(DatabaseOptions{});
  auto planfix = db.AppendEvent(MakeEvent("1"));
  auto telegram_event = MakeEvent("1");
  telegram_event.source = EventSource::kTelegram;
  auto telegram = db.AppendEvent(telegram_event);
  ASSERT_TRUE(planfix && telegram);
  EXPECT_EQ(telegram->outcome, AppendOutcome::kStored);
  EXPECT_NE(telegram->event_id, planfix->event_id);
}

TEST(Database, RefusesAnEventWithoutDedupeKeyAsInvalidInput) {
  Database db(DatabaseOptions{});
  auto result = db.AppendEvent(MakeEvent(""));
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidInput);
}

TEST(Database, AnAcknowledgedEventSurvivesReopeningTheFile) {
  TempDatabaseFile file;
  std::int64_t id = 0;
  {
    Database db(DatabaseOptions{file.path()});
    auto result = db.AppendEvent(MakeEvent("hook-1"));
    ASSERT_TRUE(result);
    id = result->event_id;
  }
  Database reopened(DatabaseOptions{file.path()});
  auto stored = reopened.GetEvent(id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->dedupe_key, "hook-1");
  auto again = reopened.AppendEvent(MakeEvent("hook-1"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, AppendOutcome::kDuplicate);
}

TEST(Database, AFileItCannotOpenIsNamedWithItsPath) {
  const std::string path =
      (std::filesystem::path(::testing::TempDir()) / "planfix-flow-no-such-dir" / "sub" / "flow.db")
          .string();
  try {
    Database database(DatabaseOptions{path});
    FAIL() << "opened a database in a directory that does not exist";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("cannot open the database " + path), std::string::npos) << message;
    EXPECT_NE(message.find("unable to open database file"), std::string::npos) << message;
  }
}

TEST(Database, OpensFilesInWalMode) {
  TempDatabaseFile file;
  Database db(DatabaseOptions{file.path()});
  SQLite::Database probe(file.path(), SQLite::OPEN_READONLY);
  EXPECT_EQ(probe.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST(Database, MigrationsAreAppliedOnceAndReopeningIsIdempotent) {
  TempDatabaseFile file;
  int version = 0;
  {
    Database db(DatabaseOptions{file.path()});
    version = db.schema_version();
    EXPECT_GE(version, 1);
  }
  {
    Database db(DatabaseOptions{file.path()});
    EXPECT_EQ(db.schema_version(), version);
  }
  SQLite::Database probe(file.path(), SQLite::OPEN_READONLY);
  EXPECT_EQ(probe.execAndGet("SELECT COUNT(*) FROM schema_version").getInt(), version);
}

TEST(Database, RemembersChatMigrationsAcrossAReopenAndFollowsThemToTheEnd) {
  TempDatabaseFile file;
  {
    Database db(DatabaseOptions{file.path()});
    EXPECT_EQ(db.CurrentChatId(-4001), -4001);  // never migrated
    EXPECT_TRUE(db.RecordChatMigration(-4001, -1001000000002, kStart));
    EXPECT_FALSE(db.RecordChatMigration(-4001, -1001000000002, kStart + minutes(1)));
    EXPECT_EQ(db.CurrentChatId(-4001), -1001000000002);
    // A chain (never seen from Telegram, but the data may hold one) is followed.
    EXPECT_TRUE(db.RecordChatMigration(-1001000000002, -1001000000003, kStart));
    EXPECT_EQ(db.CurrentChatId(-4001), -1001000000003);
    // A loop in the data ends instead of spinning.
    EXPECT_TRUE(db.RecordChatMigration(-1001000000003, -4001, kStart));
    const std::int64_t looped = db.CurrentChatId(-4001);
    EXPECT_TRUE(looped == -4001 || looped == -1001000000002 || looped == -1001000000003);
    EXPECT_TRUE(db.RecordChatMigration(-1001000000003, -1001000000004, kStart));
  }
  Database db(DatabaseOptions{file.path()});
  EXPECT_EQ(db.CurrentChatId(-4001), -1001000000004);
  EXPECT_EQ(db.CurrentChatId(5001), 5001);
}

TEST(Database, KeepsServiceStateByKey) {
  TempDatabaseFile file;
  {
    Database db(DatabaseOptions{file.path()});
    EXPECT_FALSE(db.GetServiceState("telegram.webhook_watch"));
    db.SetServiceState("telegram.webhook_watch", R"({"notices":1})", kStart);
    db.SetServiceState("telegram.webhook_watch", R"({"notices":2})", kStart + minutes(1));
  }
  Database db(DatabaseOptions{file.path()});
  EXPECT_EQ(db.GetServiceState("telegram.webhook_watch"), R"({"notices":2})");
  EXPECT_FALSE(db.GetServiceState("other"));
}

TEST(Database, RefusesAFileWithANewerSchema) {
  TempDatabaseFile file;
  { Database db(DatabaseOptions{file.path()}); }
  {
    SQLite::Database raw(file.path(), SQLite::OPEN_READWRITE);
    raw.exec("INSERT INTO schema_version (version, applied_at) VALUES (999, 0)");
  }
  EXPECT_THROW(Database(DatabaseOptions{file.path()}), std::runtime_error);
}

TEST(Database, ConcurrentAppendsShareCommitsAndEachReturnsOnlyAfterItsCommit) {
  TempDatabaseFile file;
  Database db(DatabaseOptions{file.path()});
  constexpr int kWriters = 16;
  std::vector<core::Result<AppendResult>> results(
      kWriters, core::Fail(core::ErrorCode::kInternal, "not run"));
  std::vector<std::thread> threads;
  {
    // Hold the writer so every append queues behind the first leader.
    auto blocked = db.BlockWriterForTesting();
    for (int i = 0; i < kWriters; ++i) {
      threads.emplace_back([&, i] { results[i] = db.AppendEvent(MakeEvent(std::to_string(i))); });
    }
    // The first caller leads with its own batch; everyone else waits in the queue.
    const auto deadline = std::chrono::steady_clock::now() + seconds(20);
    while (db.queued_appends() < kWriters - 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    ASSERT_EQ(db.queued_appends(), static_cast<std::size_t>(kWriters - 1));
    EXPECT_EQ(db.append_commits(), 0u);  // nothing returned while the writer is held
  }
  for (auto& thread : threads) thread.join();
  EXPECT_LE(db.append_commits(), 2u);
  SQLite::Database probe(file.path(), SQLite::OPEN_READONLY);
  EXPECT_EQ(probe.execAndGet("SELECT COUNT(*) FROM events").getInt(), kWriters);
  for (const auto& result : results) {
    ASSERT_TRUE(result) << result.error().ToString();
    EXPECT_EQ(result->outcome, AppendOutcome::kStored);
  }
}

TEST(Database, EventsAddedListenerFiresForNewEventsOnly) {
  Database db(DatabaseOptions{});
  int calls = 0;
  db.SetEventsAddedListener([&calls] { ++calls; });
  ASSERT_TRUE(db.AppendEvent(MakeEvent("a")));
  ASSERT_TRUE(db.AppendEvent(MakeEvent("a")));
  EXPECT_EQ(calls, 1);
}

TEST(Database, TheEventsAddedListenerCanBeReplacedWhileOtherThreadsAppend) {
  Database db(DatabaseOptions{});
  std::atomic<bool> stop{false};
  std::vector<std::thread> writers;
  for (int writer = 0; writer < 3; ++writer) {
    writers.emplace_back([&db, &stop, writer] {
      for (int i = 0; !stop; ++i) {
        auto stored = db.AppendEvent(MakeEvent(std::to_string(writer) + "-" + std::to_string(i)));
        ASSERT_TRUE(stored) << stored.error().ToString();
      }
    });
  }
  for (int round = 0; round < 20; ++round) {
    auto calls = std::make_shared<std::atomic<int>>(0);
    auto running = std::make_shared<std::atomic<int>>(0);
    // Too big for std::function's small buffer: replacing the listener frees heap memory,
    // which ASan reports if a call still uses it.
    std::array<char, 256> state{};
    state[0] = 1;
    db.SetEventsAddedListener([calls, running, state] {
      ++*running;
      for (int i = 0; i < 50 && state[0] == 1; ++i) std::this_thread::yield();
      ++*calls;
      --*running;
    });
    const auto deadline = std::chrono::steady_clock::now() + seconds(10);
    while (calls->load() == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    ASSERT_GT(calls->load(), 0) << "round " << round;
    // Once this returns the old listener is not running and will not start again.
    db.SetEventsAddedListener(round % 2 == 0 ? nullptr : std::function<void()>([] {}));
    ASSERT_EQ(running->load(), 0) << "round " << round;
    const int after = calls->load();
    const std::uint64_t commits = db.append_commits();
    // Appends after the replacement do not reach the old listener.
    while (db.append_commits() < commits + 2 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    EXPECT_EQ(calls->load(), after) << "round " << round;
  }
  stop = true;
  for (auto& writer : writers) writer.join();
}

TEST(Database, NextDueEventSkipsEventsWaitingForARetry) {
  Database db(DatabaseOptions{});
  auto first = db.AppendEvent(MakeEvent("a"));
  auto second = db.AppendEvent(MakeEvent("b"));
  ASSERT_TRUE(first && second);
  db.FailEvent(first->event_id, "boom", FailureOutcome::kRetry, kStart + minutes(1), kStart);
  auto next = db.NextDueEvent(kStart);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->id, second->event_id);
  EXPECT_EQ(db.NextEventAttemptAt(), kStart);
  auto later = db.NextDueEvent(kStart + minutes(1));
  ASSERT_TRUE(later);
  EXPECT_EQ(later->id, first->event_id);
  EXPECT_EQ(later->attempts, 1);
  EXPECT_EQ(later->last_error, "boom");
}

TEST(Database, CompletingAnEventAddsJobsTimersAndFlowsAndMarksItDone) {
  Database db(DatabaseOptions{});
  auto event = db.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  FlowChange flow{"brief:task:123", "brief", 123, 12, "sent", R"({"token":"x"})"};
  auto summary =
      db.CompleteEvent(event->event_id, {MakeEffect("send:1"), MakeEffect("send:2")},
                       {SetTimer("brief.reminder:task:123", kStart + hours(48))}, {flow}, kStart);
  EXPECT_EQ(summary.jobs_added, 2u);
  EXPECT_EQ(summary.timers_set, 1u);
  EXPECT_EQ(summary.earliest_timer, kStart + hours(48));
  EXPECT_EQ(db.GetEvent(event->event_id)->state, EventState::kDone);
  auto jobs = db.ListJobs(JobFilter{JobState::kPending, 10, false});
  ASSERT_EQ(jobs.size(), 2u);
  EXPECT_EQ(jobs[0].idempotency_key, "send:1");
  EXPECT_EQ(jobs[0].event_id, event->event_id);
  EXPECT_EQ(jobs[0].next_attempt_at, kStart);
  EXPECT_EQ(db.NextTimerDue(), kStart + hours(48));
  auto stored = db.GetFlow("brief:task:123");
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->state, "sent");
  EXPECT_EQ(stored->contact, 12);
  EXPECT_EQ(db.FlowsForTask(123, 10).size(), 1u);
}

TEST(Database, AnUpsertedFlowKeepsItsTaskWhenTheChangeOmitsIt) {
  Database db(DatabaseOptions{});
  auto a = db.AppendEvent(MakeEvent("a"));
  auto b = db.AppendEvent(MakeEvent("b"));
  ASSERT_TRUE(a && b);
  db.CompleteEvent(a->event_id, {}, {}, {{"brief:task:1", "brief", 1, 7, "sent", "{}"}}, kStart);
  db.CompleteEvent(b->event_id, {}, {},
                   {{"brief:task:1", "brief", std::nullopt, std::nullopt, "filled", "{}"}},
                   kStart + minutes(5));
  auto flow = db.GetFlow("brief:task:1");
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->state, "filled");
  EXPECT_EQ(flow->task, 1);
  EXPECT_EQ(flow->contact, 7);
  EXPECT_EQ(flow->created_at, kStart);
  EXPECT_EQ(flow->updated_at, kStart + minutes(5));
}

TEST(Database, EnsureFlowInsertsOnceThenReturnsTheStoredFlowUnchanged) {
  TempDatabaseFile file;
  const FlowChange key{"signing.key:abc", "signing.key", std::nullopt,
                       std::nullopt,      "in_use",      R"({"n":1})"};
  {
    Database db(DatabaseOptions{file.path()});
    const Flow first = db.EnsureFlow(key, kStart);
    EXPECT_EQ(first.key, "signing.key:abc");
    EXPECT_EQ(first.state, "in_use");
    EXPECT_EQ(first.data, R"({"n":1})");
    EXPECT_EQ(first.created_at, kStart);
  }
  // After a restart, a second call with other contents changes nothing.
  Database db(DatabaseOptions{file.path()});
  FlowChange other = key;
  other.state = "other";
  other.data = R"({"n":2})";
  const Flow again = db.EnsureFlow(other, kStart + hours(24));
  EXPECT_EQ(again.state, "in_use");
  EXPECT_EQ(again.data, R"({"n":1})");
  EXPECT_EQ(again.created_at, kStart);
  EXPECT_EQ(again.updated_at, kStart);
  EXPECT_THROW(db.EnsureFlow(FlowChange{"", "k", {}, {}, "s", "{}"}, kStart),
               std::invalid_argument);
}

TEST(Database, AFailedCommitLeavesNoPartialJobs) {
  Database db(DatabaseOptions{});
  auto event = db.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  // The second effect is invalid: nothing of the plan may be stored.
  EXPECT_THROW(
      db.CompleteEvent(event->event_id, {MakeEffect("send:1"), MakeEffect("")}, {}, {}, kStart),
      std::invalid_argument);
  EXPECT_TRUE(db.ListJobs(JobFilter{}).empty());
  EXPECT_EQ(db.GetEvent(event->event_id)->state, EventState::kPending);
  // An event already done cannot be completed twice.
  db.CompleteEvent(event->event_id, {MakeEffect("send:1")}, {}, {}, kStart);
  EXPECT_THROW(db.CompleteEvent(event->event_id, {MakeEffect("send:2")}, {}, {}, kStart),
               std::runtime_error);
  EXPECT_EQ(db.ListJobs(JobFilter{}).size(), 1u);
}

TEST(Database, LeasesADueJobOnceUntilTheLeaseExpires) {
  Database db(DatabaseOptions{});
  auto event = db.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  db.CompleteEvent(event->event_id, {MakeEffect("send:1")}, {}, {}, kStart);
  auto leased = db.LeaseNextJob("w1", kStart, kStart + minutes(5));
  ASSERT_TRUE(leased);
  EXPECT_EQ(leased->state, JobState::kRunning);
  EXPECT_EQ(leased->attempts, 1);
  EXPECT_EQ(leased->lease_owner, "w1");
  EXPECT_FALSE(db.LeaseNextJob("w2", kStart + minutes(4), kStart + minutes(9)));
  auto taken_over = db.LeaseNextJob("w2", kStart + minutes(5), kStart + minutes(10));
  ASSERT_TRUE(taken_over);
  EXPECT_EQ(taken_over->attempts, 2);
  // The first worker lost its lease: its late result is not recorded.
  EXPECT_FALSE(db.CompleteJob(leased->id, "w1", "{}", kStart + minutes(6)));
  EXPECT_TRUE(db.CompleteJob(leased->id, "w2", R"({"message_id":5})", kStart + minutes(6)));
  auto done = db.GetJob(leased->id);
  EXPECT_EQ(done->state, JobState::kDone);
  EXPECT_EQ(done->result, R"({"message_id":5})");
  EXPECT_EQ(done->done_at, kStart + minutes(6));
}

// A serve process killed during a job's call left it leased for minutes; the next process
// released nothing and waited the whole lease (the crash test's jobs stayed undelivered).
TEST(Database, ReleasesJobsLeftRunningByAProcessThatDiedAtOnce) {
  Database db(DatabaseOptions{});
  auto event = db.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  db.CompleteEvent(event->event_id, {MakeEffect("send:1")}, {}, {}, kStart);
  auto abandoned = db.LeaseNextJob("executor-41", kStart, kStart + minutes(5));
  ASSERT_TRUE(abandoned);

  EXPECT_EQ(db.ReleaseAbandonedJobs(kStart + seconds(1)), 1u);
  auto released = db.GetJob(abandoned->id);
  EXPECT_EQ(released->state, JobState::kPending);
  EXPECT_EQ(released->attempts, 1);  // the call may have reached the remote
  EXPECT_EQ(released->lease_owner, "");
  EXPECT_FALSE(released->lease_expires_at);
  EXPECT_EQ(released->next_attempt_at, kStart + seconds(1));
  // The next process takes it at once, long before the old lease would expire; the dead
  // worker's late answer is not recorded.
  auto retried = db.LeaseNextJob("executor-42", kStart + seconds(1), kStart + minutes(6));
  ASSERT_TRUE(retried);
  EXPECT_EQ(retried->id, abandoned->id);
  EXPECT_EQ(retried->attempts, 2);
  EXPECT_FALSE(db.CompleteJob(abandoned->id, "executor-41", "{}", kStart + seconds(2)));
  EXPECT_EQ(db.ReleaseAbandonedJobs(kStart + seconds(2)), 1u);  // the retry's, if it died too
  EXPECT_EQ(db.ReleaseAbandonedJobs(kStart + seconds(2)), 0u);
  EXPECT_EQ(db.GetJob(abandoned->id)->state, JobState::kPending);
}

TEST(Database, ReplayOnlyRevivesDeadJobs) {
  Database db(DatabaseOptions{});
  auto event = db.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  db.CompleteEvent(event->event_id, {MakeEffect("send:1")}, {}, {}, kStart);
  const auto id = db.ListJobs(JobFilter{})[0].id;
  auto not_dead = db.ReplayJob(id, kStart);
  ASSERT_FALSE(not_dead);
  EXPECT_EQ(not_dead.error().code, core::ErrorCode::kConflict);
  auto missing = db.ReplayJob(id + 1, kStart);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
}

TEST(Database, FiringATimerTwiceStoresOneEvent) {
  Database db(DatabaseOptions{});
  auto event = db.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(event);
  db.CompleteEvent(event->event_id, {}, {SetTimer("t", kStart + hours(1))}, {}, kStart);
  const auto timer = db.GetTimer("t");
  ASSERT_TRUE(timer);
  // As if an earlier run stored the timer's event and crashed before marking it fired.
  NewEvent earlier;
  earlier.source = EventSource::kTimer;
  earlier.dedupe_key = "timer:" + std::to_string(timer->id);
  earlier.kind = "brief.reminder";
  earlier.received_at = kStart + hours(1);
  auto stored = db.AppendEvent(earlier);
  ASSERT_TRUE(stored);
  EXPECT_EQ(db.FireDueTimers(kStart + hours(1), 100), 1u);
  EXPECT_EQ(db.GetTimer("t")->state, TimerState::kFired);
  EXPECT_EQ(db.GetTimer("t")->event_id, stored->event_id);
  EXPECT_EQ(db.ListEvents(EventState::kPending, 10).size(), 1u);
}

TEST(Database, ResettingAFiredTimerFiresItAgainAsANewEvent) {
  Database db(DatabaseOptions{});
  auto a = db.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(a);
  db.CompleteEvent(a->event_id, {}, {SetTimer("t", kStart + hours(1))}, {}, kStart);
  EXPECT_EQ(db.FireDueTimers(kStart + hours(1), 100), 1u);
  auto b = db.AppendEvent(MakeEvent("b"));
  ASSERT_TRUE(b);
  db.CompleteEvent(b->event_id, {}, {SetTimer("t", kStart + hours(2))}, {}, kStart + hours(1));
  EXPECT_EQ(db.GetTimer("t")->state, TimerState::kPending);
  EXPECT_EQ(db.FireDueTimers(kStart + hours(2), 100), 1u);
  int timer_events = 0;
  for (const auto& event : db.ListEvents(std::nullopt, 100)) {
    if (event.source == EventSource::kTimer) ++timer_events;
  }
  EXPECT_EQ(timer_events, 2);
}

TEST(Database, MetricsCountJobsByStateAndPendingTimers) {
  Database db(DatabaseOptions{});
  auto a = db.AppendEvent(MakeEvent("a"));
  ASSERT_TRUE(a);
  db.CompleteEvent(a->event_id, {MakeEffect("1"), MakeEffect("2")},
                   {SetTimer("t", kStart + hours(1))}, {}, kStart);
  core::Metrics metrics;
  metrics.AddCollector([&db](core::Metrics& m) { db.CollectMetrics(m); });
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("planfix_flow_jobs{state=\"pending\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("planfix_flow_jobs{state=\"dead\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("planfix_flow_timers_pending 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("planfix_flow_events{state=\"done\"} 1\n"), std::string::npos) << text;
}

TEST(Database, MetricsShowHowLongTheOldestEventAndDueJobHaveWaited) {
  Database db(DatabaseOptions{});
  core::Metrics metrics;
  core::TimePoint now = kStart;
  metrics.AddCollector([&](core::Metrics& m) { db.CollectMetrics(m, now); });
  const auto oldest = [&](const std::string& queue) {
    metrics.Render();  // runs the collectors
    return metrics.GetGauge("planfix_flow_backlog_oldest_seconds", "", {{"queue", queue}}).value();
  };
  EXPECT_EQ(oldest("events"), 0);  // nothing waits
  EXPECT_EQ(oldest("jobs"), 0);

  ASSERT_TRUE(db.AppendEvent(MakeEvent("a")));  // received at kStart
  now = kStart + seconds(90);
  EXPECT_EQ(oldest("events"), 90);

  auto b = db.AppendEvent(MakeEvent("b"));
  ASSERT_TRUE(b);
  Effect later = MakeEffect("later");
  later.not_before = kStart + hours(2);  // planned for later: not waiting yet
  db.CompleteEvent(b->event_id, {MakeEffect("now"), later}, {}, {}, kStart + seconds(30));
  now = kStart + seconds(100);
  EXPECT_EQ(oldest("jobs"), 70);     // due since it was planned at kStart + 30 s
  EXPECT_EQ(oldest("events"), 100);  // "a" still waits
}

TEST(Records, JobJsonEmbedsPayloadAndFormatsTimes) {
  Job job;
  job.id = 7;
  job.kind = "telegram.send_message";
  job.payload = R"({"chat_id":42})";
  job.state = JobState::kDead;
  job.next_attempt_at = kStart + std::chrono::milliseconds(120);
  const auto json = ToJson(job);
  EXPECT_EQ(json["state"], "dead");
  EXPECT_EQ(json["payload"]["chat_id"], 42);
  EXPECT_EQ(json["next_attempt_at"], "2026-11-18T11:06:40.120Z");
  EXPECT_TRUE(json["done_at"].is_null());
}

}  // namespace
}  // namespace planfix_flow::storage

namespace planfix_flow::storage {
namespace {

TEST(Database, IsWritableUntilAnotherWriterHoldsTheLockPastTheBusyTimeout) {
  TempDatabaseFile file;
  DatabaseOptions options;
  options.path = file.path();
  options.busy_timeout = std::chrono::milliseconds(50);
  Database database(options);
  EXPECT_TRUE(database.IsWritable());

  SQLite::Database other(file.path(), SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  EXPECT_FALSE(database.IsWritable());
  other.exec("ROLLBACK");
  EXPECT_TRUE(database.IsWritable());
}

// ---- Backups, migrations and retention ----

std::int64_t CountRows(const std::string& path, const char* table) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet(std::string("SELECT COUNT(*) FROM ") + table).getInt64();
}

TEST(Backup, CopiesOneConsistentSnapshotWhileAnotherConnectionKeepsWriting) {
  TempDatabaseFile file;
  TempDatabaseFile copy_file;
  const std::string copy = copy_file.path() + ".copy";
  Database db(DatabaseOptions{file.path()});
  for (int i = 0; i < 200; ++i)
    ASSERT_TRUE(db.AppendEvent(MakeEvent("before-" + std::to_string(i))));
  // Each event of the writer completes with one job in the same transaction: a copy that
  // tore a transaction would hold an event marked done without its job.
  std::atomic<bool> stop{false};
  std::atomic<int> written{0};
  std::thread writer([&] {
    for (int i = 0; !stop.load(); ++i) {
      auto appended = db.AppendEvent(MakeEvent("during-" + std::to_string(i)));
      ASSERT_TRUE(appended);
      db.CompleteEvent(appended->event_id, {MakeEffect("job-" + std::to_string(i))}, {}, {},
                       kStart);
      written.fetch_add(1);
    }
  });
  while (written.load() < 20) std::this_thread::yield();
  auto copied = BackupDatabase(file.path(), copy);
  stop.store(true);
  writer.join();
  ASSERT_TRUE(copied) << copied.error().ToString();
  EXPECT_EQ(copied->path, copy);
  EXPECT_EQ(copied->schema_version, db.schema_version());
  EXPECT_EQ(copied->bytes, std::filesystem::file_size(copy));
  for (const char* left : {".partial", ".partial-wal", ".partial-shm", "-wal", "-shm"}) {
    EXPECT_FALSE(std::filesystem::exists(copy + left)) << left;  // one file, nothing beside it
  }
  SQLite::Database backup(copy, SQLite::OPEN_READONLY);
  EXPECT_EQ(backup.execAndGet("PRAGMA integrity_check").getString(), "ok");
  const auto done =
      backup.execAndGet("SELECT COUNT(*) FROM events WHERE state = 'done'").getInt64();
  EXPECT_EQ(backup.execAndGet("SELECT COUNT(*) FROM jobs").getInt64(), done);
  EXPECT_GE(done, 20);
  EXPECT_LE(done, written.load());
  EXPECT_EQ(
      backup.execAndGet("SELECT COUNT(*) FROM events WHERE dedupe_key LIKE 'before-%'").getInt64(),
      200);
  std::filesystem::remove(copy);
}

TEST(Backup, RefusesAnExistingDestinationOrAMissingDatabaseAndChangesNothing) {
  TempDatabaseFile file;
  TempDatabaseFile other;
  { Database db(DatabaseOptions{file.path()}); }
  {
    std::ofstream existing(other.path());
    existing << "keep me";
  }
  auto refused = BackupDatabase(file.path(), other.path());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_NE(refused.error().message.find("already exists"), std::string::npos);
  std::ifstream kept(other.path());
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(kept), {}), "keep me");

  const std::string missing = file.path() + ".missing";
  auto none = BackupDatabase(missing, file.path() + ".copy");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no database at " + missing), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(missing));
  EXPECT_FALSE(std::filesystem::exists(file.path() + ".copy"));

  auto no_directory = BackupDatabase(file.path(), file.path() + ".nowhere/copy.db");
  ASSERT_FALSE(no_directory);
  EXPECT_EQ(no_directory.error().code, core::ErrorCode::kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(file.path() + ".nowhere"));
}

// A database as the previous release left it: every migration but the last.
void MakeOlderDatabase(const std::string& path) {
  const auto& migrations = Migrations();
  ASSERT_GE(migrations.size(), 2u);
  SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  for (std::size_t i = 0; i + 1 < migrations.size(); ++i) {
    db.exec(std::string(migrations[i].sql));
    db.exec("INSERT INTO schema_version VALUES (" + std::to_string(migrations[i].version) + ", 0)");
  }
  db.exec(
      "INSERT INTO events (source, dedupe_key, kind, payload, received_at, next_attempt_at) "
      "VALUES ('planfix', 'old-1', 'brief.send', '{}', 0, 0)");
}

std::vector<std::filesystem::path> BackupsOf(const std::string& path) {
  std::vector<std::filesystem::path> found;
  const std::filesystem::path file(path);
  for (const auto& entry : std::filesystem::directory_iterator(file.parent_path())) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with(file.filename().string() + ".schema-v")) found.push_back(entry.path());
  }
  return found;
}

TEST(Database, BacksUpAnOlderSchemaBeforeMigratingIt) {
  TempDatabaseFile file;
  MakeOlderDatabase(file.path());
  const int older = Migrations()[Migrations().size() - 2].version;
  {
    Database db(DatabaseOptions{file.path()});
    EXPECT_EQ(db.schema_version(), Migrations().back().version);
  }
  const auto backups = BackupsOf(file.path());
  ASSERT_EQ(backups.size(), 1u);
  const std::string name = backups[0].filename().string();
  EXPECT_TRUE(name.find(".schema-v" + std::to_string(older) + "-") != std::string::npos) << name;
  EXPECT_TRUE(name.ends_with("Z.backup")) << name;
  SQLite::Database copy(backups[0].string(), SQLite::OPEN_READONLY);
  EXPECT_EQ(copy.execAndGet("SELECT MAX(version) FROM schema_version").getInt(), older);
  EXPECT_EQ(CountRows(backups[0].string(), "events"), 1);

  // Opening the migrated file again takes no second backup.
  { Database again(DatabaseOptions{file.path()}); }
  EXPECT_EQ(BackupsOf(file.path()).size(), 1u);
  std::filesystem::remove(backups[0]);
}

TEST(Database, RefusesANewerSchemaAndSaysWhatToDo) {
  TempDatabaseFile file;
  { Database db(DatabaseOptions{file.path()}); }
  {
    SQLite::Database raw(file.path(), SQLite::OPEN_READWRITE);
    raw.exec("INSERT INTO schema_version VALUES (" +
             std::to_string(Migrations().back().version + 1) + ", 0)");
  }
  try {
    Database db(DatabaseOptions{file.path()});
    FAIL() << "a newer schema was opened";
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("newer than this build knows"), std::string::npos) << message;
    EXPECT_NE(message.find("Install that version again, or restore the backup"), std::string::npos)
        << message;
  }
  EXPECT_TRUE(BackupsOf(file.path()).empty());
}

TEST(Database, PruneBlanksFinishedBodiesOnlyAndKeepsTheirKeys) {
  Database db(DatabaseOptions{});
  const core::TimePoint later = kStart + std::chrono::days(100);
  std::vector<std::int64_t> done;
  for (int i = 0; i < 5; ++i) {
    auto appended = db.AppendEvent(MakeEvent("done-" + std::to_string(i)));
    ASSERT_TRUE(appended);
    db.CompleteEvent(appended->event_id, {MakeEffect("job-" + std::to_string(i))}, {}, {}, kStart);
    done.push_back(appended->event_id);
  }
  // Done later than the cutoff: kept.
  auto recent = db.AppendEvent(MakeEvent("recent"));
  ASSERT_TRUE(recent);
  db.CompleteEvent(recent->event_id, {}, {}, {}, later);
  auto dead = db.AppendEvent(MakeEvent("dead"));
  ASSERT_TRUE(dead);
  db.FailEvent(dead->event_id, "broken", FailureOutcome::kDead, kStart, kStart);
  auto pending = db.AppendEvent(MakeEvent("pending"));
  ASSERT_TRUE(pending);
  // Four jobs done at kStart, one still pending.
  for (int i = 0; i < 4; ++i) {
    auto job = db.LeaseNextJob("w", kStart, kStart + minutes(1));
    ASSERT_TRUE(job);
    ASSERT_TRUE(db.CompleteJob(job->id, "w", R"({"message_id":7})", kStart));
  }

  // A batch of 2 goes round three times for the five events.
  const auto pruned = db.PruneBefore(kStart + std::chrono::days(10), later, 2);
  EXPECT_EQ(pruned.events, 5u);
  EXPECT_EQ(pruned.jobs, 4u);
  const std::string marker = R"({"pruned_at":")" + FormatTime(later) + R"("})";
  for (auto id : done) EXPECT_EQ(db.GetEvent(id)->payload, marker);
  EXPECT_EQ(db.GetEvent(recent->event_id)->payload, R"({"task":123})");
  EXPECT_EQ(db.GetEvent(dead->event_id)->payload, R"({"task":123})");
  EXPECT_EQ(db.GetEvent(pending->event_id)->payload, R"({"task":123})");
  std::size_t blank_jobs = 0;
  for (const auto& job : db.ListJobs(JobFilter{})) {
    if (job.state == JobState::kDone) {
      EXPECT_EQ(job.payload, marker);
      EXPECT_EQ(job.result, R"({"message_id":7})");  // results stay: rules may read them
      ++blank_jobs;
    } else {
      EXPECT_EQ(job.payload, R"({"text":"hi"})");
    }
  }
  EXPECT_EQ(blank_jobs, 4u);
  // The keys stay: the same webhook or effect is still a duplicate.
  auto again = db.AppendEvent(MakeEvent("done-0"));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->outcome, AppendOutcome::kDuplicate);
  auto next = db.AppendEvent(MakeEvent("next"));
  ASSERT_TRUE(next);
  const auto summary = db.CompleteEvent(next->event_id, {MakeEffect("job-0")}, {}, {}, later);
  EXPECT_EQ(summary.jobs_added, 0u);
  // A second pass finds nothing new to blank.
  const auto second = db.PruneBefore(kStart + std::chrono::days(10), later, 2);
  EXPECT_EQ(second.events + second.jobs, 0u);
}

}  // namespace
}  // namespace planfix_flow::storage
