#include "planfix_flow/engine/scheduler.h"

#include "engine/wake.h"
#include "planfix_flow/core/log.h"

namespace planfix_flow::engine {

Scheduler::Scheduler(storage::Database& database, core::Clock& clock, SchedulerOptions options,
                     core::Metrics* metrics)
    : database_(database), clock_(clock), options_(options), metrics_(metrics) {
  if (options_.batch_size == 0) options_.batch_size = 1;
}

std::size_t Scheduler::RunDue() {
  std::size_t total = 0;
  for (;;) {
    const std::size_t fired = database_.FireDueTimers(clock_.Now(), options_.batch_size);
    total += fired;
    if (fired < options_.batch_size) break;
  }
  if (total > 0) {
    core::Logger("engine")->info("event=timers_fired count={}", total);
    if (metrics_) {
      metrics_->GetCounter("planfix_flow_timers_fired_total", "Timers that fell due")
          .Increment(static_cast<double>(total));
    }
  }
  return total;
}

void Scheduler::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    try {
      RunDue();
      const auto wait = internal::TimeUntil(NextDue(), clock_.Now(), options_.max_idle_wait);
      internal::WaitForWork(wake_mutex_, wake_cv_, notified_, stop, wait);
    } catch (const std::exception& error) {
      core::Logger("engine")->error("event=scheduler_error error=\"{}\"", error.what());
      internal::WaitForWork(wake_mutex_, wake_cv_, notified_, stop, std::chrono::seconds(1));
    }
  }
}

void Scheduler::Notify() { internal::Wake(wake_mutex_, wake_cv_, notified_); }

}  // namespace planfix_flow::engine
