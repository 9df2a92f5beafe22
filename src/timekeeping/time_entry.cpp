#include "planfix_flow/timekeeping/time_entry.h"

#include <fmt/format.h>

#include <optional>

#include "planfix_flow/core/utf8.h"
#include "planfix_flow/timekeeping/amount.h"

namespace planfix_flow::timekeeping {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

Result<TimeEntry> Problem(std::string reason) {
  return Fail(ErrorCode::kInvalidInput, std::move(reason));
}

const json* FieldValue(const planfix::DataTagEntry& entry, std::int64_t field) {
  if (field <= 0) return nullptr;
  for (const auto& value : entry.custom_fields) {
    if (value.field_id != field) continue;
    if (value.value.is_null()) return nullptr;
    if (value.value.is_string() && value.value.get_ref<const std::string&>().empty())
      return nullptr;
    return &value.value;
  }
  return nullptr;
}

// What a value shows a person, shortened for a reason text: at most 40 bytes, then "…".
std::string Shown(const json& value) {
  const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  const std::string_view shown = core::Utf8Prefix(text, 40);
  return shown.size() == text.size() ? text : std::string(shown) + "…";
}

bool Digits(std::string_view text, std::size_t from, std::size_t count) {
  if (from + count > text.size()) return false;
  for (std::size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return true;
}

int Number(std::string_view text, std::size_t from, std::size_t count) {
  int value = 0;
  for (std::size_t i = from; i < from + count; ++i) value = value * 10 + (text[i] - '0');
  return value;
}

// Planfix's "dd-MM-yyyy" (also "dd.MM.yyyy"), a real calendar date.
std::optional<calendar::LocalDate> ParsePlanfixDate(std::string_view text) {
  if (text.size() != 10 || !Digits(text, 0, 2) || !Digits(text, 3, 2) || !Digits(text, 6, 4) ||
      text[2] != text[5] || (text[2] != '-' && text[2] != '.')) {
    return std::nullopt;
  }
  const std::string iso =
      fmt::format("{}-{}-{}", text.substr(6, 4), text.substr(3, 2), text.substr(0, 2));
  auto date = calendar::ParseLocalDate(iso);
  if (!date) return std::nullopt;
  return *date;
}

// "HH:mm" (also "H:mm" and "HH:mm:ss", seconds ignored) as minutes since midnight, 0..1439.
std::optional<int> ParseClock(std::string_view text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 2 || !Digits(text, 0, colon) ||
      !Digits(text, colon + 1, 2)) {
    return std::nullopt;
  }
  const std::size_t rest = colon + 3;
  if (rest != text.size() && !(rest + 3 == text.size() && text[rest] == ':' &&
                               Digits(text, rest + 1, 2) && Number(text, rest + 1, 2) < 60)) {
    return std::nullopt;
  }
  const int hours = Number(text, 0, colon);
  const int minutes = Number(text, colon + 1, 2);
  if (hours > 23 || minutes > 59) return std::nullopt;
  return hours * 60 + minutes;
}

// A date field's value: {"date":"dd-MM-yyyy",...} or the text itself ("dd-MM-yyyy[ HH:mm]").
std::optional<calendar::LocalDate> DateOf(const json& value) {
  if (value.is_object()) {
    const auto date = value.find("date");
    if (date == value.end() || !date->is_string()) return std::nullopt;
    return ParsePlanfixDate(date->get_ref<const std::string&>());
  }
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.get_ref<const std::string&>();
  return ParsePlanfixDate(std::string_view(text).substr(0, 10));
}

// One end of a period: its time and, for a "date with time frame", its date.
struct PeriodEnd {
  std::optional<calendar::LocalDate> date;
  int minutes = 0;
};

std::optional<PeriodEnd> EndOf(const json& period, const char* name) {
  const auto end = period.find(name);
  if (end == period.end() || !end->is_object()) return std::nullopt;
  PeriodEnd out;
  const auto time = end->find("time");
  if (time == end->end() || !time->is_string()) return std::nullopt;
  const auto clock = ParseClock(time->get_ref<const std::string&>());
  if (!clock) return std::nullopt;
  out.minutes = *clock;
  if (const auto date = end->find("date"); date != end->end()) {
    if (!date->is_string()) return std::nullopt;
    out.date = ParsePlanfixDate(date->get_ref<const std::string&>());
    if (!out.date) return std::nullopt;
  }
  return out;
}

long long DayNumber(const calendar::LocalDate& date) {
  // Days since 1970-01-01 (Howard Hinnant's days_from_civil), for spans across midnight.
  const int y = date.year - (date.month <= 2 ? 1 : 0);
  const long long era = (y >= 0 ? y : y - 399) / 400;
  const long long yoe = y - era * 400;
  const long long mp = (date.month + 9) % 12;
  const long long doy = (153 * mp + 2) / 5 + date.day - 1;
  const long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Span {
  std::int64_t minutes = 0;
  std::optional<calendar::LocalDate> start_date;
};

Result<Span> PeriodMinutes(const json& value) {
  const auto unreadable = [&] {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("the period is unparsable ({})", Shown(value)));
  };
  if (!value.is_object()) return unreadable();
  const auto from = EndOf(value, "from");
  const auto to = EndOf(value, "to");
  if (!from || !to || from->date.has_value() != to->date.has_value()) return unreadable();
  long long minutes = to->minutes - from->minutes;
  if (from->date) minutes += (DayNumber(*to->date) - DayNumber(*from->date)) * 24 * 60;
  if (minutes < 0) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("the period ends before it starts ({})", Shown(value)));
  }
  return Span{minutes, from->date};
}

Result<std::int64_t> DurationMinutes(const json& value, DurationUnit unit) {
  if (value.is_object()) {  // a time field: {"time":"HH:mm"}
    const auto time = value.find("time");
    if (time == value.end() || !time->is_string()) {
      return Fail(ErrorCode::kInvalidInput,
                  fmt::format("the duration is unparsable ({})", Shown(value)));
    }
    const auto clock = ParseClock(time->get_ref<const std::string&>());
    if (!clock) {
      return Fail(ErrorCode::kInvalidInput,
                  fmt::format("the duration is unparsable ({})", Shown(value)));
    }
    return *clock;
  }
  if (value.is_string()) {
    if (const auto clock = ParseClock(value.get_ref<const std::string&>())) return *clock;
  }
  auto decimal = DecimalFromJson(value);
  if (!decimal) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("the duration is unparsable ({})", Shown(value)));
  }
  auto minutes = ScaleRounded(*decimal, unit == DurationUnit::kHours ? 60 : 1);
  if (!minutes) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("the duration is absurd ({} {})", Shown(value),
                            unit == DurationUnit::kHours ? "hours" : "minutes"));
  }
  return *minutes;
}

std::string KindOf(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object()) {
    for (const char* name : {"value", "name"}) {
      const auto it = value.find(name);
      if (it != value.end() && it->is_string()) return it->get<std::string>();
    }
  }
  return {};
}

}  // namespace

std::string EmployeeId(const json& value) {
  const json* id = &value;
  if (value.is_object()) {
    const auto it = value.find("id");
    if (it == value.end()) return {};
    id = &*it;
  }
  std::string digits;
  if (id->is_number_integer()) {
    if (id->get<long long>() <= 0) return {};
    digits = std::to_string(id->get<long long>());
  } else if (id->is_string()) {
    std::string_view text = id->get_ref<const std::string&>();
    if (text.starts_with("user:")) text.remove_prefix(5);
    if (text.empty() || text.size() > 18 || !Digits(text, 0, text.size())) return {};
    while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
    if (text == "0") return {};
    digits = std::string(text);
  } else {
    return {};
  }
  return "user:" + digits;
}

Result<TimeEntry> ParseTimeEntry(const planfix::DataTagEntry& entry, const EntryLayout& layout) {
  TimeEntry out;
  out.key = entry.key;
  if (!entry.task_id || *entry.task_id <= 0) return Problem("the entry is on no task");
  out.task = *entry.task_id;

  const json* employee = FieldValue(entry, layout.employee);
  if (employee == nullptr) return Problem("no employee");
  out.employee = EmployeeId(*employee);
  if (out.employee.empty()) {
    return Problem(fmt::format("the employee is not an employee ({})", Shown(*employee)));
  }

  std::optional<calendar::LocalDate> period_date;
  const json* duration = FieldValue(entry, layout.duration);
  const json* period = FieldValue(entry, layout.period);
  if (duration != nullptr) {
    auto minutes = DurationMinutes(*duration, layout.duration_unit);
    if (!minutes) return Fail(minutes.error());
    out.minutes = *minutes;
  } else if (period != nullptr) {
    auto span = PeriodMinutes(*period);
    if (!span) return Fail(span.error());
    out.minutes = span->minutes;
    period_date = span->start_date;
  } else {
    return Problem("no duration and no period");
  }
  if (out.minutes < 0) {
    return Problem(fmt::format("the duration is negative ({} minutes)", out.minutes));
  }
  if (out.minutes > kMaxEntryMinutes) {
    return Problem(
        fmt::format("the duration is absurd ({} minutes, more than 24 hours)", out.minutes));
  }

  if (const json* date = FieldValue(entry, layout.date)) {
    const auto parsed = DateOf(*date);
    if (!parsed) return Problem(fmt::format("the date is unparsable ({})", Shown(*date)));
    out.date = *parsed;
  } else if (period_date) {
    out.date = *period_date;
  } else {
    return Problem("no date");
  }
  if (const json* kind = FieldValue(entry, layout.kind)) out.kind = KindOf(*kind);
  return out;
}

}  // namespace planfix_flow::timekeeping
