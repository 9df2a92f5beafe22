#include "planfix_flow/engine/scheduler.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

#include "engine/engine_test_util.h"

namespace planfix_flow::engine {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::CancelTimer;
using testing::CommitPlan;
using testing::kStart;
using testing::SetTimer;

std::vector<storage::StoredEvent> TimerEvents(const storage::Database& db) {
  std::vector<storage::StoredEvent> events;
  for (auto& event : db.ListEvents(std::nullopt, 1000)) {
    if (event.source == storage::EventSource::kTimer) events.push_back(event);
  }
  return events;
}

Plan TimersPlan(std::vector<TimerChange> timers) {
  Plan plan;
  plan.timers = std::move(timers);
  return plan;
}

TEST(Scheduler, ADueTimerBecomesOneEventWithItsKindAndPayload) {
  storage::Database db(storage::DatabaseOptions{});
  core::FakeClock clock(kStart);
  core::Metrics metrics;
  Scheduler scheduler(db, clock, {}, &metrics);
  CommitPlan(db, TimersPlan({SetTimer("brief.reminder:task:123", kStart + hours(48))}));
  EXPECT_EQ(scheduler.NextDue(), kStart + hours(48));

  clock.Advance(hours(47));
  EXPECT_EQ(scheduler.RunDue(), 0u);
  clock.Advance(hours(1));
  EXPECT_EQ(scheduler.RunDue(), 1u);
  EXPECT_EQ(scheduler.RunDue(), 0u);
  auto events = TimerEvents(db);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "brief.reminder");
  EXPECT_EQ(events[0].payload, R"({"task":123})");
  EXPECT_EQ(events[0].received_at, kStart + hours(48));
  const auto timer = db.GetTimer("brief.reminder:task:123");
  EXPECT_EQ(timer->state, storage::TimerState::kFired);
  EXPECT_EQ(events[0].dedupe_key, "timer:" + std::to_string(timer->id));
  EXPECT_FALSE(scheduler.NextDue());
  EXPECT_NE(metrics.Render().find("planfix_flow_timers_fired_total 1\n"), std::string::npos);
}

TEST(Scheduler, ACancelledTimerNeverFires) {
  storage::Database db(storage::DatabaseOptions{});
  core::FakeClock clock(kStart);
  Scheduler scheduler(db, clock);
  CommitPlan(db, TimersPlan({SetTimer("t", kStart + hours(1))}));
  CommitPlan(db, TimersPlan({CancelTimer("t")}));
  EXPECT_EQ(db.GetTimer("t")->state, storage::TimerState::kCancelled);
  clock.Advance(hours(2));
  EXPECT_EQ(scheduler.RunDue(), 0u);
  EXPECT_TRUE(TimerEvents(db).empty());
}

TEST(Scheduler, ResettingATimerMovesItsDueTime) {
  storage::Database db(storage::DatabaseOptions{});
  core::FakeClock clock(kStart);
  Scheduler scheduler(db, clock);
  CommitPlan(db, TimersPlan({SetTimer("t", kStart + hours(1))}));
  CommitPlan(db, TimersPlan({SetTimer("t", kStart + hours(3))}));
  clock.Advance(hours(2));
  EXPECT_EQ(scheduler.RunDue(), 0u);
  clock.Advance(hours(1));
  EXPECT_EQ(scheduler.RunDue(), 1u);
  EXPECT_EQ(TimerEvents(db).size(), 1u);
}

TEST(Scheduler, TimersSurviveARestartAndOverdueOnesFireOnceAtStart) {
  const auto path = (std::filesystem::temp_directory_path() /
                     ("pff-scheduler-restart-" + std::to_string(::getpid()) + ".db"))
                        .string();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  core::FakeClock clock(kStart);
  {
    storage::Database db(storage::DatabaseOptions{path});
    CommitPlan(db, TimersPlan({SetTimer("overdue", kStart + hours(1)),
                               SetTimer("future", kStart + hours(30))}));
  }
  clock.Advance(hours(5));  // the service was down past the first timer
  {
    storage::Database db(storage::DatabaseOptions{path});
    Scheduler scheduler(db, clock);
    EXPECT_EQ(scheduler.RunDue(), 1u);  // start-up
    EXPECT_EQ(scheduler.NextDue(), kStart + hours(30));
  }
  {
    storage::Database db(storage::DatabaseOptions{path});
    Scheduler scheduler(db, clock);
    EXPECT_EQ(scheduler.RunDue(), 0u);  // a second start does not fire it again
    ASSERT_EQ(TimerEvents(db).size(), 1u);
    EXPECT_EQ(TimerEvents(db)[0].kind, "brief.reminder");
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TEST(Scheduler, FiresManyDueTimersInBatches) {
  storage::Database db(storage::DatabaseOptions{});
  core::FakeClock clock(kStart);
  Scheduler scheduler(db, clock, SchedulerOptions{3, std::chrono::seconds(60)});
  std::vector<TimerChange> timers;
  for (int i = 0; i < 10; ++i) {
    timers.push_back(SetTimer("t" + std::to_string(i), kStart + minutes(i)));
  }
  CommitPlan(db, TimersPlan(timers));
  clock.Advance(hours(1));
  EXPECT_EQ(scheduler.RunDue(), 10u);
  EXPECT_EQ(db.CountPendingTimers(), 0);
  EXPECT_EQ(TimerEvents(db).size(), 10u);
}

// A FakeClock that lets a test wait until another thread has read it `count` times.
class WatchedClock final : public core::Clock {
 public:
  explicit WatchedClock(core::TimePoint start) : clock_(start) {}

  core::TimePoint Now() const override {
    std::lock_guard lock(mutex_);
    ++reads_;
    read_.notify_all();
    return clock_.Now();
  }
  void SleepUntil(core::TimePoint deadline) override {
    std::lock_guard lock(mutex_);
    clock_.SleepUntil(deadline);
  }
  void Advance(core::Duration duration) {
    std::lock_guard lock(mutex_);
    clock_.Advance(duration);
  }
  bool WaitForReads(int count) {
    std::unique_lock lock(mutex_);
    return read_.wait_for(lock, std::chrono::seconds(20), [&] { return reads_ >= count; });
  }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable read_;
  mutable int reads_ = 0;
  core::FakeClock clock_;
};

// Run sleeps until its next timer; a timer set earlier meanwhile must cut that sleep short.
// The loop reads the clock once to fire what is due and once to time its sleep; only after
// both (so it sleeps, whatever it then learns from the database) does the test set the
// earlier timer, due a minute later on the simulated clock, and move the clock past it. The
// loop, sleeping a minute or more of real time, can only fire it that soon if Notify wakes it.
TEST(Scheduler, RunWakesForAnEarlierTimerWhenNotified) {
  storage::Database db(storage::DatabaseOptions{});
  WatchedClock clock(kStart);
  Scheduler scheduler(db, clock, SchedulerOptions{500, hours(1)});
  CommitPlan(db, TimersPlan({SetTimer("late", kStart + hours(24))}), kStart);
  std::jthread loop([&scheduler](std::stop_token stop) { scheduler.Run(stop); });
  ASSERT_TRUE(clock.WaitForReads(2));

  CommitPlan(db, TimersPlan({SetTimer("early", kStart + minutes(1))}), kStart);
  clock.Advance(minutes(2));
  scheduler.Notify();
  EXPECT_TRUE(testing::Eventually(
      [&] { return db.GetTimer("early")->state == storage::TimerState::kFired; }));
  EXPECT_EQ(db.GetTimer("late")->state, storage::TimerState::kPending);
  loop.request_stop();
  loop.join();
}

}  // namespace
}  // namespace planfix_flow::engine
