#include "planfix_flow/app/retention.h"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>

#include "planfix_flow/core/log.h"
#include "planfix_flow/storage/records.h"

namespace planfix_flow::app {

Retention::Retention(storage::Database& database, core::Clock& clock, core::Metrics& metrics,
                     RetentionOptions options)
    : database_(database), clock_(clock), metrics_(metrics), options_(options) {}

std::size_t Retention::RunDue() {
  if (options_.days <= 0) return 0;
  const core::TimePoint now = clock_.Now();
  if (next_run_ && now < *next_run_) return 0;
  next_run_ = now + options_.interval;
  const core::TimePoint cutoff = now - std::chrono::days(options_.days);
  auto log = core::Logger("retention");
  try {
    const auto pruned = database_.PruneBefore(cutoff, now);
    const char* help = "Bodies of finished events and jobs blanked by storage.retention_days";
    metrics_.GetCounter("planfix_flow_retention_pruned_total", help, {{"table", "events"}})
        .Increment(static_cast<double>(pruned.events));
    metrics_.GetCounter("planfix_flow_retention_pruned_total", help, {{"table", "jobs"}})
        .Increment(static_cast<double>(pruned.jobs));
    if (pruned.events + pruned.jobs > 0) {
      log->info("outcome=pruned events={} jobs={} done_before={}", pruned.events, pruned.jobs,
                storage::FormatTime(cutoff));
    }
    return pruned.events + pruned.jobs;
  } catch (const std::exception& error) {
    // The next pass tries again; nothing is lost by waiting.
    log->error("outcome=error error=\"{}\" next_run={}", error.what(),
               storage::FormatTime(*next_run_));
    return 0;
  }
}

void Retention::Run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    RunDue();
    std::unique_lock lock(mutex);
    const auto wait =
        next_run_ ? std::max<core::Duration>(*next_run_ - clock_.Now(), std::chrono::seconds(1))
                  : core::Duration(options_.interval);
    wake.wait_for(lock, stop, wait, [] { return false; });
  }
}

}  // namespace planfix_flow::app
