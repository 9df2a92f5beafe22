// Time records as the agency keeps them in a Planfix data tag ("actual time worked"): one entry
// per piece of work with a date, a duration (or a from-to period), the employee and the task.
// ParseTimeEntry turns a data-tag entry into a checked TimeEntry, or says why it cannot count.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/planfix/planfix_types.h"

namespace planfix_flow::timekeeping {

// The longest a single entry may be: more is a typo (a day of 25 hours is not work).
inline constexpr std::int64_t kMaxEntryMinutes = std::int64_t{24} * 60;

// How a "number" duration field counts.
enum class DurationUnit { kMinutes, kHours };

// Which fields of the time data tag hold what (field ids; 0 = the tag has no such field).
// An entry's duration comes from `duration` when it holds a value, else from `period`; its date
// from `date`, else from the start of a `period` that carries dates.
struct EntryLayout {
  std::int64_t date = 0;      // date (3) or date and time (5)
  std::int64_t duration = 0;  // number (1, in `duration_unit`) or time (4, "HH:mm" worked)
  std::int64_t period = 0;    // period of time (6, from-to times) or date with time frame (28)
  std::int64_t employee = 0;  // employee (11): who worked
  std::int64_t kind = 0;      // optional "kind of work" (a list, a line or a directory entry)
  DurationUnit duration_unit = DurationUnit::kMinutes;
};

struct TimeEntry {
  std::int64_t key = 0;   // the data-tag entry's key in Planfix
  std::int64_t task = 0;  // the task number it was recorded on
  std::string employee;   // "user:5"
  calendar::LocalDate date;
  std::int64_t minutes = 0;  // 0..kMaxEntryMinutes
  std::string kind;          // the kind-of-work value as text; empty when none

  bool operator==(const TimeEntry&) const = default;
};

// Why an entry does not count: the error message is the reason, for the log and
// `report problems` ("duration is negative (-30 minutes)", "no employee", ...). Never throws,
// whatever the entry holds.
core::Result<TimeEntry> ParseTimeEntry(const planfix::DataTagEntry& entry,
                                       const EntryLayout& layout);

// "user:5" from what an employee field holds ({"id":"user:5"}, {"id":5}, "user:5", 5);
// empty when it names no employee (a contact, a group, nothing).
std::string EmployeeId(const nlohmann::json& value);

}  // namespace planfix_flow::timekeeping
