// EventProcessor: takes committed events in id order, asks the EventHandler for a Plan and
// commits the plan together with marking the event done. A failed or throwing handler
// leaves the event pending with backoff, then dead after max attempts.
// RunOnce is for one thread at a time; Notify may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <stop_token>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/engine/backoff.h"
#include "planfix_flow/engine/event_handler.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::engine {

struct EventProcessorOptions {
  int max_attempts = 5;
  BackoffPolicy backoff{std::chrono::seconds(5), std::chrono::minutes(10), 2.0, 0.2};
  std::optional<std::uint64_t> seed;  // jitter seed; random when absent
  // Run re-checks the database at least this often even without Notify (real time).
  core::Duration max_idle_wait = std::chrono::seconds(30);
};

// Called after a plan was committed (outside any lock); wire them to the executor's and the
// scheduler's Notify.
struct PlanListeners {
  std::function<void()> jobs_added;
  std::function<void()> timers_changed;
};

enum class ProcessOutcome { kIdle, kDone, kRetry, kDead };

class EventProcessor {
 public:
  EventProcessor(storage::Database& database, EventHandler& handler, core::Clock& clock,
                 EventProcessorOptions options = {}, core::Metrics* metrics = nullptr);

  void SetListeners(PlanListeners listeners) { listeners_ = std::move(listeners); }

  // Processes the next due event, if any. Database errors throw.
  ProcessOutcome RunOnce();
  // Processes events until `stop`; sleeps (without polling) until Notify or the next
  // retry is due. Exceptions are logged and retried after a pause.
  void Run(const std::stop_token& stop);
  // New events were committed (wire to Database::SetEventsAddedListener).
  void Notify();

 private:
  storage::Database& database_;
  EventHandler& handler_;
  core::Clock& clock_;
  EventProcessorOptions options_;
  core::Metrics* metrics_;
  Backoff backoff_;
  PlanListeners listeners_;

  std::mutex wake_mutex_;
  std::condition_variable_any wake_cv_;
  bool notified_ = false;
};

}  // namespace planfix_flow::engine
