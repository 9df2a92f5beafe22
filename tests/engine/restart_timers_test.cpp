// Issue 6, "Restart with timers": 10,000 pending timers across restarts fire once each and
// none early. The database is a real file; each "restart" closes it and opens a new
// Database and Scheduler on it, as serve does.
#include <gtest/gtest.h>

#include <unistd.h>
#include <filesystem>
#include <map>

#include "engine/engine_test_util.h"
#include "planfix_flow/engine/scheduler.h"

namespace planfix_flow::engine {
namespace {

using std::chrono::seconds;
using testing::kStart;

constexpr int kTimers = 10'000;

class RestartWithTimers : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("pff-restart-timers-" + std::to_string(::getpid()) + ".db"))
                .string();
    Remove();
  }
  void TearDown() override { Remove(); }
  void Remove() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  storage::DatabaseOptions Options() const {
    storage::DatabaseOptions options;
    options.path = path_;
    return options;
  }
  // Timer i is due kStart + 1 s + i s (spread over 2 h 47 min).
  static core::TimePoint Due(int i) { return kStart + seconds(1 + i); }

  std::string path_;
};

TEST_F(RestartWithTimers, TenThousandPendingTimersFireOnceEachAndNoneEarly) {
  {
    storage::Database db(Options());
    for (int first = 0; first < kTimers; first += 1000) {
      Plan plan;
      for (int i = first; i < first + 1000; ++i) {
        plan.timers.push_back(testing::SetTimer("t:" + std::to_string(i), Due(i), "bench.timer"));
      }
      testing::CommitPlan(db, plan);
    }
    EXPECT_EQ(db.CountPendingTimers(), kTimers);
  }  // stop: closed with every timer pending

  // Three restarts at moments that split the timers, then one after the last is due; each
  // start fires what is overdue (as App::Start does) and nothing else.
  std::size_t fired_total = 0;
  for (const core::TimePoint restart_at : {kStart, Due(2'500) + std::chrono::milliseconds(500),
                                           Due(7'000), Due(kTimers) + seconds(5)}) {
    core::FakeClock clock(restart_at);
    storage::Database db(Options());
    Scheduler scheduler(db, clock);
    const std::size_t fired = scheduler.RunDue();
    fired_total += fired;
    // Exactly the timers due by now have fired, over all starts so far.
    std::size_t due_by_now = 0;
    for (int i = 0; i < kTimers; ++i) due_by_now += Due(i) <= restart_at ? 1 : 0;
    EXPECT_EQ(fired_total, due_by_now) << storage::FormatTime(restart_at);
    EXPECT_EQ(db.CountPendingTimers(), static_cast<std::int64_t>(kTimers - due_by_now));
  }
  EXPECT_EQ(fired_total, static_cast<std::size_t>(kTimers));

  // Every timer became exactly one event, and none fired before it was due.
  storage::Database db(Options());
  std::map<std::string, int> events_per_timer;
  for (const auto& event : db.ListEvents(std::nullopt, 3 * kTimers)) {
    if (event.kind == "bench.timer") ++events_per_timer[event.dedupe_key];
  }
  EXPECT_EQ(events_per_timer.size(), static_cast<std::size_t>(kTimers));
  for (const auto& [key, count] : events_per_timer) EXPECT_EQ(count, 1) << key;
  int early = 0;
  for (int i = 0; i < kTimers; i += 7) {  // a sample keeps the check fast
    const auto timer = db.GetTimer("t:" + std::to_string(i));
    ASSERT_TRUE(timer);
    EXPECT_EQ(timer->state, storage::TimerState::kFired);
    ASSERT_TRUE(timer->fired_at);
    early += *timer->fired_at < timer->due_at ? 1 : 0;
  }
  EXPECT_EQ(early, 0);
}

}  // namespace
}  // namespace planfix_flow::engine
