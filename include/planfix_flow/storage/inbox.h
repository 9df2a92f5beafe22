// Inbox: the durable intake the ingress writes to. AppendEvent returns only after the
// event is committed (or found to be a duplicate), so a 200 may be sent on success.
// Implementations are thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"

namespace planfix_flow::storage {

using plan::EventSource;
using plan::ToString;

struct NewEvent {
  EventSource source = EventSource::kPlanfix;
  // Unique per source: webhook-id, Telegram update_id, or a hash of a Planfix body and
  // its time bucket. A second event with the same (source, dedupe_key) is a duplicate.
  std::string dedupe_key;
  // The event's name after parsing, e.g. "brief.send", "form.submitted", "telegram.update".
  std::string kind;
  // Normalised JSON the workflow reads (ids already parsed to strings/numbers).
  std::string payload;
  core::TimePoint received_at;
};

enum class AppendOutcome { kStored, kDuplicate };

struct AppendResult {
  AppendOutcome outcome = AppendOutcome::kStored;
  std::int64_t event_id = 0;  // the stored row, or the earlier row for a duplicate
};

class Inbox {
 public:
  virtual ~Inbox() = default;
  // Durable on return (SQLite synchronous=FULL by default). Errors: kUnavailable when the
  // database cannot be written (the caller answers 503 and the sender retries).
  virtual core::Result<AppendResult> AppendEvent(const NewEvent& event) = 0;
};

}  // namespace planfix_flow::storage
