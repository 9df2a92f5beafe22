// Time records as the service keeps them (issue 14): the entries of the Planfix time data tag
// that count, the ones that cannot (problems, with the reason), the facts of the tasks they
// were recorded on, and the sync's watermark. Plain value types; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::storage {

// One counted time entry (the data-tag entry's key is its identity: a re-read replaces it).
struct TimeEntryRecord {
  std::int64_t key = 0;
  std::int64_t task = 0;
  std::string employee;  // "user:5"
  std::string date;      // "2026-11-23", the day the work was done
  std::int64_t minutes = 0;
  std::string kind;  // the entry's kind of work as text; empty when none

  bool operator==(const TimeEntryRecord&) const = default;
};

// An entry that does not count, and why ("the duration is negative (-30 minutes)").
struct TimeProblemRecord {
  std::int64_t key = 0;
  std::optional<std::int64_t> task;
  std::string date;  // "2026-11-23" when the entry has a readable date; empty otherwise
  std::string reason;
  std::string entry;  // the entry as Planfix sent it (JSON), for a person to look at
  core::TimePoint first_seen{};
  core::TimePoint updated_at{};
};

// One complete read of the time data tag. `window_from` ("YYYY-MM-DD") says what it covered:
// every entry dated on or after it (a windowed read), or, when empty, every entry of the tag
// (a full read). Stored entries and problems inside that scope that the read did not return
// were deleted in Planfix (or moved out of the scope) and are removed.
struct TimeSyncBatch {
  std::string window_from;
  std::vector<TimeEntryRecord> entries;
  std::vector<TimeProblemRecord> problems;
};

struct TimeSyncCounts {
  std::size_t added = 0;
  std::size_t changed = 0;
  std::size_t removed = 0;
  std::size_t unchanged = 0;
  std::size_t problems = 0;      // problems in the batch
  std::size_t new_problems = 0;  // of them, not known before (to log once)
};

// The watermark: where the last complete reads ended.
struct TimeSyncState {
  std::optional<core::TimePoint> last_sync_at;       // the last complete read of any kind
  std::optional<core::TimePoint> last_full_sync_at;  // the last complete read of the whole tag
  std::string window_from;                           // the scope of the last read
  std::int64_t highest_key = 0;                      // the highest entry key ever read
};

// What the service knows of a task time was recorded on.
struct TimeTaskRecord {
  std::int64_t task = 0;
  std::string name;
  std::int64_t process = 0;            // 0: none
  std::int64_t template_id = 0;        // 0: none
  std::int64_t parent = 0;             // 0: none
  std::int64_t counterparty = 0;       // the client contact; 0: none
  std::optional<std::int64_t> amount;  // the task's amount field, minor units
  bool deleted = false;                // in the trash or gone
  core::TimePoint read_at{};
};

}  // namespace planfix_flow::storage
