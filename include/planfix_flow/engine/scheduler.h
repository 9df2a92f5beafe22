// Scheduler: turns due timers into events (which then take the normal event path). Timers
// live in the database only; the scheduler keeps just the next due time in mind, so a
// million pending timers cost no memory. Overdue timers fire once at start (RunDue).
// RunDue/Run on one thread; Notify and NextDue from any thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <stop_token>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::engine {

struct SchedulerOptions {
  std::size_t batch_size = 500;  // timers fired per transaction
  // Run re-checks the database at least this often (real time), covering clock jumps.
  core::Duration max_idle_wait = std::chrono::seconds(60);
};

class Scheduler {
 public:
  Scheduler(storage::Database& database, core::Clock& clock, SchedulerOptions options = {},
            core::Metrics* metrics = nullptr);

  // Fires every timer due now; returns how many fired.
  std::size_t RunDue();
  std::optional<core::TimePoint> NextDue() const { return database_.NextTimerDue(); }
  // Fires due timers, then sleeps until the earliest due time or Notify, until `stop`.
  void Run(std::stop_token stop);
  // Timers changed (an earlier one may have been set).
  void Notify();

 private:
  storage::Database& database_;
  core::Clock& clock_;
  SchedulerOptions options_;
  core::Metrics* metrics_;

  std::mutex wake_mutex_;
  std::condition_variable_any wake_cv_;
  bool notified_ = false;
};

}  // namespace planfix_flow::engine
