// The agency's work calendar: which local days and hours are working time, and deadlines
// such as "2 working days from now". Immutable after Create; safe to share between threads.
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"

namespace planfix_flow::calendar {

// A calendar date in the calendar's own time zone.
struct LocalDate {
  int year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=> as a 0.
  auto operator<=>(const LocalDate&) const = default;
  std::string ToString() const;  // "2026-03-31"
};

// A local wall-clock time of day, in minutes since midnight (0..1440; 1440 means 24:00).
struct LocalTime {
  int minutes = 0;

  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=> as a 0.
  auto operator<=>(const LocalTime&) const = default;
  std::string ToString() const;  // "09:00"
};

// Parses "YYYY-MM-DD" (a real calendar date); kInvalidInput otherwise.
core::Result<LocalDate> ParseLocalDate(std::string_view text);
// Parses "HH:MM" in 00:00..23:59, or "24:00" only when `allow_end_of_day`.
core::Result<LocalTime> ParseLocalTime(std::string_view text, bool allow_end_of_day = false);
// Parses a weekday as "mon", "tue", ... "sun" (case-insensitive); returns 0 = Sunday .. 6.
core::Result<unsigned> ParseWeekday(std::string_view text);

struct CalendarSettings {
  std::string time_zone = "Europe/Kyiv";  // an IANA zone name
  // Weekdays that are normally working days: 0 = Sunday, 1 = Monday .. 6 = Saturday.
  std::set<unsigned> working_weekdays = {1, 2, 3, 4, 5};
  LocalTime work_start{9 * 60};
  LocalTime work_end{18 * 60};  // exclusive; must be after work_start
  // Non-working days even when they fall on a working weekday.
  std::vector<LocalDate> holidays;
  // Working days even when they fall on a non-working weekday (a Saturday moved by decree).
  std::vector<LocalDate> moved_working_days;
};

// Semantics (all in the calendar's time zone):
// - A date is a working day if it is in moved_working_days, or its weekday is a working
//   weekday and it is not a holiday. Working hours are [work_start, work_end) on working days.
// - NextWorkingMoment(t) is t itself when t is inside working hours, else the start of the
//   next working period (later the same day, or the next working day's work_start).
// - AddWorkingDays(t, n) first moves t to NextWorkingMoment(t), then keeps that local wall
//   time and moves n working days forward. A wall time that does not exist that day (skipped
//   by a DST change) maps to the moment the clocks jumped to; a repeated one (clocks set back)
//   maps to its first occurrence. n = 0 gives NextWorkingMoment(t); n < 0 is a bug (throws).
class WorkCalendar {
 public:
  // Fails with kInvalidInput naming the problem: unknown time zone, empty working week,
  // work_end not after work_start, or a date that is both a holiday and a moved working day.
  static core::Result<WorkCalendar> Create(const CalendarSettings& settings);

  const CalendarSettings& settings() const;

  bool IsWorkingDay(const LocalDate& date) const;
  bool IsWorkingMoment(core::TimePoint moment) const;
  core::TimePoint NextWorkingMoment(core::TimePoint moment) const;
  core::TimePoint AddWorkingDays(core::TimePoint moment, int days) const;

  LocalDate ToLocalDate(core::TimePoint moment) const;
  // The moment a local wall time happens (DST gaps and overlaps resolved as above).
  core::TimePoint ToMoment(const LocalDate& date, LocalTime time) const;
  // Local wall time as "DD.MM.YYYY HH:MM", the way deadlines are shown to clients.
  std::string FormatLocal(core::TimePoint moment) const;

 private:
  struct Impl;
  explicit WorkCalendar(std::shared_ptr<const Impl> impl);
  std::shared_ptr<const Impl> impl_;
};

}  // namespace planfix_flow::calendar
