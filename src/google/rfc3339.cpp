#include "planfix_flow/google/rfc3339.h"

#include <fmt/format.h>

#include <chrono>

namespace planfix_flow::google {

namespace {

// Reads exactly `count` digits at `pos`.
std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
  if (pos + count > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

}  // namespace

std::optional<core::TimePoint> ParseRfc3339(std::string_view text) {
  using namespace std::chrono;
  const auto year = Digits(text, 0, 4);
  const auto month = Digits(text, 5, 2);
  const auto day = Digits(text, 8, 2);
  const auto hour = Digits(text, 11, 2);
  const auto minute = Digits(text, 14, 2);
  const auto second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
  if (text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(*year),
                            std::chrono::month(static_cast<unsigned>(*month)),
                            std::chrono::day(static_cast<unsigned>(*day))};
  // A leap second (60) is allowed by RFC 3339 but not by Google; refuse it too.
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 59) return std::nullopt;

  std::size_t pos = 19;
  nanoseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const std::size_t start = pos;
    long long nanos = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - start >= 9) return std::nullopt;
      nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    if (pos == start) return std::nullopt;
    for (std::size_t digits = pos - start; digits < 9; ++digits) nanos *= 10;
    fraction = nanoseconds(nanos);
  }
  minutes offset{0};
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const auto offset_hours = Digits(text, pos + 1, 2);
    const auto offset_minutes = Digits(text, pos + 4, 2);
    if (!offset_hours || !offset_minutes || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        *offset_hours > 23 || *offset_minutes > 59) {
      return std::nullopt;
    }
    offset = hours(*offset_hours) + minutes(*offset_minutes);
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  // In whole seconds first: years 0000-9999 fit, but a TimePoint (nanoseconds in 64 bits)
  // only spans 1677-2262, and converting a moment outside that would overflow.
  const sys_seconds moment =
      sys_days(date) + hours(*hour) + minutes(*minute) + seconds(*second) - offset;
  constexpr auto kEarliest = ceil<seconds>(core::TimePoint::min().time_since_epoch());
  constexpr auto kLatest = floor<seconds>(core::TimePoint::max().time_since_epoch()) - seconds(1);
  if (moment.time_since_epoch() < kEarliest || moment.time_since_epoch() > kLatest) {
    return std::nullopt;
  }
  return time_point_cast<core::Duration>(moment) + duration_cast<core::Duration>(fraction);
}

std::string FormatRfc3339(core::TimePoint moment) {
  using namespace std::chrono;
  const auto day_start = floor<days>(moment);
  const year_month_day date(day_start);
  const auto since_midnight = moment - day_start;
  const auto whole = floor<seconds>(since_midnight);
  const hh_mm_ss<seconds> time(whole);
  const long long nanos = duration_cast<nanoseconds>(since_midnight - whole).count();
  std::string text =
      fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  time.hours().count(), time.minutes().count(), time.seconds().count());
  if (nanos % 1000000 == 0 && nanos != 0) {
    text += fmt::format(".{:03}", nanos / 1000000);
  } else if (nanos % 1000 == 0 && nanos != 0) {
    text += fmt::format(".{:06}", nanos / 1000);
  } else if (nanos != 0) {
    text += fmt::format(".{:09}", nanos);
  }
  return text + "Z";
}

}  // namespace planfix_flow::google
