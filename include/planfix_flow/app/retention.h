// Retention: client messages and webhook bodies are personal data, so what the service has
// finished with is not kept for ever. Every `interval` it blanks the bodies of events and
// jobs done more than `days` ago (storage::Database::PruneBefore), keeping the rows that
// deduplication and the flows need. storage.retention_days sets `days`; 0 turns it off.
#pragma once

#include <cstddef>
#include <optional>
#include <stop_token>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {

struct RetentionOptions {
  int days = 90;
  core::Duration interval = std::chrono::hours(1);
};

class Retention {
 public:
  Retention(storage::Database& database, core::Clock& clock, core::Metrics& metrics,
            RetentionOptions options);

  // A pass if the interval has passed since the last one (the first is due at once): returns
  // how many events and jobs it blanked.
  std::size_t RunDue();
  // Passes every interval until `stop`.
  void Run(std::stop_token stop);

 private:
  storage::Database& database_;
  core::Clock& clock_;
  core::Metrics& metrics_;
  RetentionOptions options_;
  std::optional<core::TimePoint> next_run_;
};

}  // namespace planfix_flow::app
