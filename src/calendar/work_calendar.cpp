#include "planfix_flow/calendar/work_calendar.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <utility>

namespace planfix_flow::calendar {

namespace {

using std::chrono::minutes;
using LocalMoment = date::local_time<core::Duration>;

// More working days than any real calendar skips in a row; guards against a config that
// declares every day a holiday.
constexpr int kMaxDaysScanned = 3660;

bool ParseDigits(std::string_view text, int& value) {
  if (text.empty()) return false;
  value = 0;
  for (char ch : text) {
    if (ch < '0' || ch > '9') return false;
    value = value * 10 + (ch - '0');
  }
  return true;
}

date::local_days ToLocalDays(const LocalDate& date) {
  return date::local_days{date::year{date.year} / date::month{date.month} / date::day{date.day}};
}

LocalDate FromLocalDays(date::local_days days) {
  const date::year_month_day ymd{days};
  return LocalDate{static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                   static_cast<unsigned>(ymd.day())};
}

}  // namespace

std::string LocalDate::ToString() const {
  return fmt::format("{:04}-{:02}-{:02}", year, month, day);
}

std::string LocalTime::ToString() const {
  return fmt::format("{:02}:{:02}", minutes / 60, minutes % 60);
}

core::Result<LocalDate> ParseLocalDate(std::string_view text) {
  int year = 0;
  int month = 0;
  int day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' ||
      !ParseDigits(text.substr(0, 4), year) || !ParseDigits(text.substr(5, 2), month) ||
      !ParseDigits(text.substr(8, 2), day)) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("\"{}\" is not a date in the form YYYY-MM-DD", text));
  }
  const date::year_month_day ymd{date::year{year}, date::month{static_cast<unsigned>(month)},
                                 date::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("\"{}\" is not a real calendar date", text));
  }
  return LocalDate{year, static_cast<unsigned>(month), static_cast<unsigned>(day)};
}

core::Result<LocalTime> ParseLocalTime(std::string_view text, bool allow_end_of_day) {
  int hours = 0;
  int mins = 0;
  if (text.size() != 5 || text[2] != ':' || !ParseDigits(text.substr(0, 2), hours) ||
      !ParseDigits(text.substr(3, 2), mins)) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("\"{}\" is not a time in the form HH:MM", text));
  }
  const bool end_of_day = allow_end_of_day && hours == 24 && mins == 0;
  if (!end_of_day && (hours > 23 || mins > 59)) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("\"{}\" is not a time of day (00:00..23:59{})", text,
                                  allow_end_of_day ? " or 24:00" : ""));
  }
  return LocalTime{hours * 60 + mins};
}

core::Result<unsigned> ParseWeekday(std::string_view text) {
  static constexpr std::string_view kNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (unsigned index = 0; index < 7; ++index) {
    if (lower == kNames[index]) return index;
  }
  return core::Fail(
      core::ErrorCode::kInvalidInput,
      fmt::format("\"{}\" is not a weekday (mon, tue, wed, thu, fri, sat, sun)", text));
}

struct WorkCalendar::Impl {
  CalendarSettings settings;
  const date::time_zone* zone = nullptr;
  std::set<date::local_days> holidays;
  std::set<date::local_days> moved_working_days;

  bool IsWorkingDay(date::local_days day) const {
    if (moved_working_days.count(day) > 0) return true;
    if (holidays.count(day) > 0) return false;
    return settings.working_weekdays.count(date::weekday{day}.c_encoding()) > 0;
  }

  date::local_days NextWorkingDayAfter(date::local_days day) const {
    for (int step = 0; step < kMaxDaysScanned; ++step) {
      day += date::days{1};
      if (IsWorkingDay(day)) return day;
    }
    throw std::logic_error("work calendar: no working day within ten years");
  }

  // Nonexistent wall times (DST gap) map to the transition; ambiguous ones to the earliest.
  core::TimePoint ToMoment(date::local_days day, core::Duration time_of_day) const {
    const LocalMoment local = LocalMoment{day.time_since_epoch()} + time_of_day;
    return core::TimePoint{zone->to_sys(local, date::choose::earliest).time_since_epoch()};
  }

  LocalMoment ToLocal(core::TimePoint moment) const {
    return zone->to_local(date::sys_time<core::Duration>{moment.time_since_epoch()});
  }
};

WorkCalendar::WorkCalendar(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

core::Result<WorkCalendar> WorkCalendar::Create(const CalendarSettings& settings) {
  auto impl = std::make_shared<Impl>();
  impl->settings = settings;
  try {
    impl->zone = date::locate_zone(settings.time_zone);
  } catch (const std::exception&) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("\"{}\" is not a known IANA time zone", settings.time_zone));
  }
  if (settings.working_weekdays.empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput, "the working week has no working days");
  }
  for (unsigned weekday : settings.working_weekdays) {
    if (weekday > 6) {
      return core::Fail(core::ErrorCode::kInvalidInput,
                        fmt::format("weekday {} is out of range 0..6", weekday));
    }
  }
  if (settings.work_start.minutes < 0 || settings.work_end.minutes > 24 * 60 ||
      settings.work_end <= settings.work_start) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("working hours {}..{} are empty or out of range",
                                  settings.work_start.ToString(), settings.work_end.ToString()));
  }
  for (const auto& day : settings.holidays) {
    if (!date::year_month_day{ToLocalDays(day)}.ok()) {
      return core::Fail(core::ErrorCode::kInvalidInput,
                        fmt::format("holiday {} is not a real date", day.ToString()));
    }
    impl->holidays.insert(ToLocalDays(day));
  }
  for (const auto& day : settings.moved_working_days) {
    if (impl->holidays.count(ToLocalDays(day)) > 0) {
      return core::Fail(
          core::ErrorCode::kInvalidInput,
          fmt::format("{} is both a holiday and a moved working day", day.ToString()));
    }
    impl->moved_working_days.insert(ToLocalDays(day));
  }
  return WorkCalendar(std::move(impl));
}

const CalendarSettings& WorkCalendar::settings() const { return impl_->settings; }

bool WorkCalendar::IsWorkingDay(const LocalDate& date) const {
  return impl_->IsWorkingDay(ToLocalDays(date));
}

bool WorkCalendar::IsWorkingMoment(core::TimePoint moment) const {
  return NextWorkingMoment(moment) == moment;
}

core::TimePoint WorkCalendar::NextWorkingMoment(core::TimePoint moment) const {
  const Impl& impl = *impl_;
  const LocalMoment local = impl.ToLocal(moment);
  const auto day = date::floor<date::days>(local);
  const core::Duration time_of_day = local - day;
  const core::Duration start = minutes{impl.settings.work_start.minutes};
  const core::Duration end = minutes{impl.settings.work_end.minutes};
  if (impl.IsWorkingDay(day)) {
    // max(): on a day the clocks go back, the start's first occurrence may precede `moment`.
    if (time_of_day < start) return std::max(moment, impl.ToMoment(day, start));
    if (time_of_day < end) return moment;
  }
  return impl.ToMoment(impl.NextWorkingDayAfter(day), start);
}

core::TimePoint WorkCalendar::AddWorkingDays(core::TimePoint moment, int days) const {
  if (days < 0) throw std::invalid_argument("AddWorkingDays: days must not be negative");
  const Impl& impl = *impl_;
  const core::TimePoint start = NextWorkingMoment(moment);
  const LocalMoment local = impl.ToLocal(start);
  auto day = date::floor<date::days>(local);
  const core::Duration time_of_day = local - day;
  if (days == 0) return start;
  for (int step = 0; step < days; ++step) day = impl.NextWorkingDayAfter(day);
  return impl.ToMoment(day, time_of_day);
}

LocalDate WorkCalendar::ToLocalDate(core::TimePoint moment) const {
  return FromLocalDays(date::floor<date::days>(impl_->ToLocal(moment)));
}

core::TimePoint WorkCalendar::ToMoment(const LocalDate& date, LocalTime time) const {
  return impl_->ToMoment(ToLocalDays(date), minutes{time.minutes});
}

std::string WorkCalendar::FormatLocal(core::TimePoint moment) const {
  return date::format("%d.%m.%Y %H:%M", date::floor<minutes>(impl_->ToLocal(moment)));
}

}  // namespace planfix_flow::calendar
