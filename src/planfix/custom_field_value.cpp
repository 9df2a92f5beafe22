#include "planfix_flow/planfix/custom_field_value.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "planfix_flow/core/parse.h"
#include "planfix_flow/core/utf8.h"

namespace planfix_flow::planfix {

namespace {

using nlohmann::json;

// Input is echoed in messages so a PM can see what did not convert; keep it short.
std::string Shown(const json& input) {
  std::string text = input.is_string() ? input.get<std::string>() : input.dump();
  if (text.size() > 60) text = std::string(core::Utf8Prefix(text, 57)) + "...";
  return text;
}

core::Unexpected Invalid(FieldType type, const json& input, std::string_view why) {
  return core::Fail(core::ErrorCode::kInvalidInput,
                    fmt::format("cannot write \"{}\" to a {} field ({}): {}", Shown(input),
                                FieldTypeName(type), static_cast<int>(type), why));
}

bool AllDigits(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::vector<std::string> Split(std::string_view text, std::string_view separators) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || separators.find(text[i]) != std::string_view::npos) {
      parts.emplace_back(core::Trim(text.substr(start, i - start)));
      start = i + 1;
    }
  }
  return parts;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// Number: JSON numbers pass; text may use a decimal comma and spaces between digit groups.
core::Result<json> EncodeNumber(const json& input) {
  if (input.is_number()) {
    if (input.is_number_float() && !std::isfinite(input.get<double>())) {
      return Invalid(FieldType::kNumber, input, "not a finite number");
    }
    return input;
  }
  if (!input.is_string()) return Invalid(FieldType::kNumber, input, "expected a number");
  std::string text;
  const std::string raw = input.get<std::string>();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    // Group separators: space, no-break space (C2 A0), narrow no-break space (E2 80 AF).
    if (raw[i] == ' ') continue;
    if (raw.compare(i, 2, "\xC2\xA0") == 0) {
      ++i;
      continue;
    }
    if (raw.compare(i, 3, "\xE2\x80\xAF") == 0) {
      i += 2;
      continue;
    }
    text.push_back(raw[i]);
  }
  if (text.find(',') != std::string::npos) {
    if (text.find('.') != std::string::npos || std::count(text.begin(), text.end(), ',') > 1) {
      return Invalid(FieldType::kNumber, input, "ambiguous decimal separators");
    }
    std::replace(text.begin(), text.end(), ',', '.');
  }
  if (!text.empty() && text[0] == '+') text.erase(0, 1);
  const bool plausible = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == '-';
  }) && std::any_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (!plausible) return Invalid(FieldType::kNumber, input, "not a number");
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return Invalid(FieldType::kNumber, input, "not a number");
  }
  if (std::trunc(value) == value && std::fabs(value) < 9007199254740992.0) {
    return json(static_cast<long long>(value));
  }
  return json(value);
}

core::Result<json> EncodeDate(const json& input) {
  if (input.is_object() && input.contains("date") && input["date"].is_string()) {
    auto date = ToPlanfixDate(input["date"].get<std::string>());
    if (!date) return Invalid(FieldType::kDate, input, date.error().message);
    return json{{"date", *date}};
  }
  if (!input.is_string()) return Invalid(FieldType::kDate, input, "expected a date");
  auto date = ToPlanfixDate(input.get<std::string>());
  if (!date) return Invalid(FieldType::kDate, input, date.error().message);
  return json{{"date", *date}};
}

core::Result<json> EncodeTime(const json& input) {
  const json* text = &input;
  if (input.is_object() && input.contains("time")) text = &input["time"];
  if (!text->is_string()) return Invalid(FieldType::kTime, input, "expected a time HH:mm");
  auto time = ToPlanfixTime(text->get<std::string>());
  if (!time) return Invalid(FieldType::kTime, input, time.error().message);
  return json{{"time", *time}};
}

core::Result<json> EncodeDateTime(const json& input) {
  std::string date_text;
  std::string time_text;
  if (input.is_object()) {
    if (!input.contains("date") || !input["date"].is_string()) {
      return Invalid(FieldType::kDateTime, input, "expected {\"date\":..,\"time\":..}");
    }
    date_text = input["date"].get<std::string>();
    if (input.contains("time") && input["time"].is_string()) {
      time_text = input["time"].get<std::string>();
    }
  } else if (input.is_string()) {
    const std::string text(core::Trim(input.get<std::string>()));
    const std::size_t split = text.find_first_of("T ");
    date_text = text.substr(0, split);
    if (split != std::string::npos) time_text = core::Trim(text.substr(split + 1));
  } else {
    return Invalid(FieldType::kDateTime, input, "expected a date and time");
  }
  if (!time_text.empty() && (time_text.back() == 'Z' || time_text.find('+') != std::string::npos)) {
    return Invalid(FieldType::kDateTime, input,
                   "time zone offsets are not supported; give the account's local time");
  }
  auto date = ToPlanfixDate(date_text);
  if (!date) return Invalid(FieldType::kDateTime, input, date.error().message);
  std::string time = "00:00";
  if (!time_text.empty()) {
    auto parsed = ToPlanfixTime(time_text);
    if (!parsed) return Invalid(FieldType::kDateTime, input, parsed.error().message);
    time = *parsed;
  }
  return json{{"date", *date}, {"time", time}};
}

core::Result<json> EncodePeriod(const json& input) {
  std::string from;
  std::string to;
  if (input.is_object() && input.contains("from") && input.contains("to") &&
      input["from"].is_object() && input["to"].is_object() && input["from"].contains("time") &&
      input["to"].contains("time") && input["from"]["time"].is_string() &&
      input["to"]["time"].is_string()) {
    from = input["from"]["time"].get<std::string>();
    to = input["to"]["time"].get<std::string>();
  } else if (input.is_string()) {
    const auto parts = Split(input.get<std::string>(), "-");
    if (parts.size() != 2) return Invalid(FieldType::kPeriod, input, "expected HH:mm-HH:mm");
    from = parts[0];
    to = parts[1];
  } else {
    return Invalid(FieldType::kPeriod, input, "expected HH:mm-HH:mm");
  }
  auto from_time = ToPlanfixTime(from);
  auto to_time = ToPlanfixTime(to);
  if (!from_time) return Invalid(FieldType::kPeriod, input, from_time.error().message);
  if (!to_time) return Invalid(FieldType::kPeriod, input, to_time.error().message);
  return json{{"from", {{"time", *from_time}}}, {"to", {{"time", *to_time}}}};
}

core::Result<json> EncodeCheckbox(const json& input) {
  if (input.is_boolean()) return input;
  if (input.is_number_integer() && (input.get<long long>() == 0 || input.get<long long>() == 1)) {
    return json(input.get<long long>() == 1);
  }
  if (input.is_string()) {
    auto parsed = ParseCheckboxAnswer(input.get<std::string>());
    if (parsed) return json(*parsed);
  }
  return Invalid(FieldType::kCheckbox, input, "expected yes/no (true, false, так, ні, 1, 0)");
}

// A text option (list). A one-element array is taken as its element (a form may send one).
core::Result<json> EncodeOption(const json& input) {
  const json* value = &input;
  if (input.is_array() && input.size() == 1) value = &input[0];
  if (!value->is_string()) return Invalid(FieldType::kList, input, "expected one option text");
  const std::string text(core::Trim(value->get<std::string>()));
  if (text.empty()) return Invalid(FieldType::kList, input, "empty option");
  return json(text);
}

// A directory key: numeric keys become numbers, other keys stay strings.
std::optional<json> DirectoryKey(const json& input) {
  if (input.is_object() && input.contains("id")) return DirectoryKey(input["id"]);
  if (input.is_number_integer()) return input;
  if (!input.is_string()) return std::nullopt;
  const std::string text(core::Trim(input.get<std::string>()));
  if (text.empty()) return std::nullopt;
  if (auto id = core::ParseId(text)) return json(*id);
  return json(text);
}

// A person: "user:5", "contact:7", "group:3", or a bare number given `default_prefix`.
std::optional<std::string> PersonId(const json& input, std::string_view default_prefix,
                                    const std::vector<std::string_view>& allowed) {
  if (input.is_object() && input.contains("id"))
    return PersonId(input["id"], default_prefix, allowed);
  std::string text;
  if (input.is_number_integer()) {
    text = std::to_string(input.get<long long>());
  } else if (input.is_string()) {
    text = core::Trim(input.get<std::string>());
  } else {
    return std::nullopt;
  }
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) {
    if (default_prefix.empty() || !core::ParseId(text)) return std::nullopt;
    return std::string(default_prefix) + ":" + text;
  }
  const std::string prefix = core::AsciiLower(text.substr(0, colon));
  if (std::find(allowed.begin(), allowed.end(), prefix) == allowed.end()) return std::nullopt;
  if (!core::ParseId(text.substr(colon + 1))) return std::nullopt;
  return prefix + text.substr(colon);
}

std::optional<long long> PlainId(const json& input) {
  if (input.is_object() && input.contains("id")) return PlainId(input["id"]);
  if (input.is_number_integer() && input.get<long long>() > 0) return input.get<long long>();
  if (input.is_string()) {
    std::string text(core::Trim(input.get<std::string>()));
    if (!text.empty() && text[0] == '#') text.erase(0, 1);
    return core::ParseId(text);
  }
  return std::nullopt;
}

// Many-valued inputs: an array, or text separated by commas or semicolons.
std::vector<json> Elements(const json& input) {
  if (input.is_array()) return std::vector<json>(input.begin(), input.end());
  if (input.is_string()) {
    std::vector<json> elements;
    for (auto& part : Split(input.get<std::string>(), ",;")) {
      if (!part.empty()) elements.emplace_back(part);
    }
    return elements;
  }
  return {input};
}

core::Result<json> EncodeText(FieldType type, const json& input) {
  if (input.is_string()) {
    return json(type == FieldType::kLine ? std::string(core::Trim(input.get<std::string>()))
                                         : input.get<std::string>());
  }
  if (input.is_number()) return json(input.dump());
  if (input.is_array()) {
    std::string joined;
    for (const auto& element : input) {
      if (!element.is_string()) return Invalid(type, input, "expected text");
      if (!joined.empty()) joined += ", ";
      joined += element.get<std::string>();
    }
    return json(joined);
  }
  return Invalid(type, input, "expected text");
}

}  // namespace

bool IsReadOnly(FieldType type) {
  switch (type) {
    case FieldType::kDataTagSummaries:
    case FieldType::kCalculated:
    case FieldType::kSubtaskTotal:
    case FieldType::kAiResult:
    case FieldType::kComputed29:
      return true;
    default:
      return false;
  }
}

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kLine:
      return "line";
    case FieldType::kNumber:
      return "number";
    case FieldType::kText:
      return "text";
    case FieldType::kDate:
      return "date";
    case FieldType::kTime:
      return "time";
    case FieldType::kDateTime:
      return "date-time";
    case FieldType::kPeriod:
      return "period of time";
    case FieldType::kDateWithTimeFrame:
      return "date with time frame";
    case FieldType::kCheckbox:
      return "checkbox";
    case FieldType::kList:
      return "list";
    case FieldType::kDirectoryEntry:
      return "directory entry";
    case FieldType::kContact:
      return "contact";
    case FieldType::kEmployee:
      return "employee";
    case FieldType::kCounterparty:
      return "counterparty";
    case FieldType::kGroupEmployeeOrContact:
      return "group, employee or contact";
    case FieldType::kListOfUsers:
      return "list of users";
    case FieldType::kSetOfDirectoryValues:
      return "set of directory values";
    case FieldType::kTask:
      return "task";
    case FieldType::kTaskSet:
      return "task set";
    case FieldType::kSetOfValues:
      return "set of values";
    case FieldType::kFiles:
      return "files";
    case FieldType::kProject:
      return "project";
    case FieldType::kDataTagSummaries:
      return "data tag summaries";
    case FieldType::kCalculated:
      return "calculated";
    case FieldType::kLocation:
      return "location";
    case FieldType::kSubtaskTotal:
      return "subtask total";
    case FieldType::kAiResult:
      return "AI result";
    case FieldType::kComputed29:
      return "computed";
  }
  return "unknown";
}

core::Result<bool> ParseCheckboxAnswer(std::string_view answer, const CheckboxWords& words) {
  const std::string folded = core::FoldCase(core::Trim(answer));
  const auto listed = [&](const std::vector<std::string>& values) {
    return std::any_of(values.begin(), values.end(), [&](const std::string& value) {
      return core::FoldCase(core::Trim(value)) == folded;
    });
  };
  if (!words.true_values.empty() || !words.false_values.empty()) {
    const bool yes = listed(words.true_values);
    const bool no = listed(words.false_values);
    if (yes != no) return yes;
    return core::Fail(
        core::ErrorCode::kInvalidInput,
        fmt::format("\"{}\" is neither a yes ({}) nor a no ({})", Shown(json(std::string(answer))),
                    fmt::join(words.true_values, ", "), fmt::join(words.false_values, ", ")));
  }
  static const std::vector<std::string> kTrue = {"true", "yes", "y", "1", "on", "так", "да"};
  static const std::vector<std::string> kFalse = {"false", "no", "n", "0", "off", "ні", "нет"};
  // "Так / Yes": every part must say the same thing.
  std::optional<bool> meaning;
  bool understood = !folded.empty();
  for (const auto& part : Split(folded, "/|")) {
    std::string word = part;
    while (!word.empty() && (word.back() == '.' || word.back() == '!')) word.pop_back();
    const bool yes = std::find(kTrue.begin(), kTrue.end(), word) != kTrue.end();
    const bool no = std::find(kFalse.begin(), kFalse.end(), word) != kFalse.end();
    if (yes == no || (meaning && *meaning != yes)) {
      understood = false;
      break;
    }
    meaning = yes;
  }
  if (understood && meaning) return *meaning;
  return core::Fail(core::ErrorCode::kInvalidInput,
                    fmt::format("\"{}\" is neither a yes (так, yes, true, 1, on) nor a no (ні, "
                                "no, false, 0, off)",
                                Shown(json(std::string(answer)))));
}

core::Result<std::string> ToPlanfixDate(std::string_view raw) {
  const std::string text(core::Trim(raw));
  const auto fail = [&](std::string_view why) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("\"{}\" is not a date: {}", core::Utf8Prefix(text, 40), why));
  };
  const char separator = text.find('-') != std::string::npos   ? '-'
                         : text.find('.') != std::string::npos ? '.'
                                                               : '\0';
  if (separator == '\0') return fail("use YYYY-MM-DD or dd-MM-yyyy");
  const auto parts = Split(text, std::string(1, separator));
  if (parts.size() != 3 || !AllDigits(parts[0]) || !AllDigits(parts[1]) || !AllDigits(parts[2])) {
    return fail("use YYYY-MM-DD or dd-MM-yyyy");
  }
  std::string year_text;
  std::string month_text = parts[1];
  std::string day_text;
  if (separator == '-' && parts[0].size() == 4) {
    year_text = parts[0];
    day_text = parts[2];
  } else if (parts[2].size() == 4) {
    day_text = parts[0];
    year_text = parts[2];
  } else {
    return fail("the year needs four digits");
  }
  if (day_text.size() > 2 || month_text.size() > 2) return fail("use YYYY-MM-DD or dd-MM-yyyy");
  const int year = std::stoi(year_text);
  const int month = std::stoi(month_text);
  const int day = std::stoi(day_text);
  if (year < 1000 || month < 1 || month > 12) return fail("no such month");
  if (day < 1 || day > DaysInMonth(year, month)) return fail("no such day in that month");
  return fmt::format("{:02}-{:02}-{:04}", day, month, year);
}

core::Result<std::string> ToPlanfixTime(std::string_view raw) {
  const std::string text(core::Trim(raw));
  const auto parts = Split(text, ":");
  const auto fail = [&] {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("\"{}\" is not a time: use HH:mm", core::Utf8Prefix(text, 40)));
  };
  if (parts.size() < 2 || parts.size() > 3) return fail();
  for (const auto& part : parts) {
    if (!AllDigits(part) || part.size() > 2) return fail();
  }
  if (parts[1].size() != 2 || (parts.size() == 3 && parts[2].size() != 2)) return fail();
  const int hours = std::stoi(parts[0]);
  const int minutes = std::stoi(parts[1]);
  const int seconds = parts.size() == 3 ? std::stoi(parts[2]) : 0;
  if (hours > 23 || minutes > 59 || seconds > 59) return fail();
  return fmt::format("{:02}:{:02}", hours, minutes);
}

core::Result<json> EncodeCustomFieldValue(FieldType type, const json& input) {
  if (IsReadOnly(type)) return Invalid(type, input, "the field is computed and read-only");
  if (input.is_null()) return Invalid(type, input, "no value given");
  switch (type) {
    case FieldType::kLine:
    case FieldType::kText:
      return EncodeText(type, input);
    case FieldType::kNumber:
      return EncodeNumber(input);
    case FieldType::kDate:
      return EncodeDate(input);
    case FieldType::kTime:
      return EncodeTime(input);
    case FieldType::kDateTime:
      return EncodeDateTime(input);
    case FieldType::kPeriod:
      return EncodePeriod(input);
    case FieldType::kCheckbox:
      return EncodeCheckbox(input);
    case FieldType::kList:
      return EncodeOption(input);
    case FieldType::kDirectoryEntry: {
      auto key = DirectoryKey(input);
      if (!key) return Invalid(type, input, "expected a directory entry key");
      return json{{"id", *key}};
    }
    case FieldType::kContact:
    case FieldType::kCounterparty: {
      auto id = PersonId(input, "contact", {"contact"});
      if (!id) return Invalid(type, input, "expected a contact id (12 or contact:12)");
      return json{{"id", *id}};
    }
    case FieldType::kEmployee: {
      auto id = PersonId(input, "user", {"user"});
      if (!id) return Invalid(type, input, "expected an employee id (3 or user:3)");
      return json{{"id", *id}};
    }
    case FieldType::kGroupEmployeeOrContact: {
      auto id = PersonId(input, "", {"user", "contact", "group"});
      if (!id) return Invalid(type, input, "expected user:N, contact:N or group:N");
      return json{{"id", *id}};
    }
    case FieldType::kListOfUsers: {
      json users = json::array();
      for (const auto& element : Elements(input)) {
        auto id = PersonId(element, "user", {"user", "contact", "group"});
        if (!id) return Invalid(type, input, "expected user:N, contact:N or group:N items");
        users.push_back({{"id", *id}});
      }
      if (users.empty()) return Invalid(type, input, "no users given");
      return users;
    }
    case FieldType::kSetOfDirectoryValues: {
      json keys = json::array();
      for (const auto& element : Elements(input)) {
        auto key = DirectoryKey(element);
        if (!key) return Invalid(type, input, "expected directory entry keys");
        keys.push_back({{"id", *key}});
      }
      if (keys.empty()) return Invalid(type, input, "no keys given");
      return keys;
    }
    case FieldType::kTask:
    case FieldType::kProject: {
      auto id = PlainId(input);
      if (!id) return Invalid(type, input, "expected a positive number");
      return json{{"id", *id}};
    }
    case FieldType::kTaskSet: {
      json tasks = json::array();
      for (const auto& element : Elements(input)) {
        auto id = PlainId(element);
        if (!id) return Invalid(type, input, "expected task numbers");
        tasks.push_back({{"id", *id}});
      }
      if (tasks.empty()) return Invalid(type, input, "no tasks given");
      return tasks;
    }
    case FieldType::kSetOfValues: {
      json values = json::array();
      const json list = input.is_array() ? input : json::array({input});
      for (const auto& element : list) {
        if (!element.is_string()) return Invalid(type, input, "expected option texts");
        const std::string text(core::Trim(element.get<std::string>()));
        if (text.empty()) continue;
        if (std::find(values.begin(), values.end(), json(text)) == values.end()) {
          values.push_back(text);
        }
      }
      return values;
    }
    case FieldType::kFiles: {
      json files = json::array();
      for (const auto& element : Elements(input)) {
        auto id = PlainId(element);
        if (!id) return Invalid(type, input, "expected file ids");
        files.push_back(*id);
      }
      return files;
    }
    case FieldType::kLocation: {
      if (input.is_string() && !std::string(core::Trim(input.get<std::string>())).empty()) {
        return json{{"address", std::string(core::Trim(input.get<std::string>()))}};
      }
      if (input.is_object() && input.contains("address") && input["address"].is_string()) {
        return input;
      }
      return Invalid(type, input, "expected an address");
    }
    default:
      break;
  }
  return Invalid(type, input, "unsupported custom field type");
}

core::Result<json> EncodeCustomFieldValue(const CustomFieldDefinition& field, const json& input) {
  auto encoded = EncodeCustomFieldValue(field.type, input);
  if (!encoded) {
    core::Error error = encoded.error();
    error.message = fmt::format("field {} \"{}\": {}", field.id, field.name, error.message);
    return core::Fail(std::move(error));
  }
  if (field.enum_values.empty()) return encoded;
  if (field.type != FieldType::kList && field.type != FieldType::kSetOfValues) return encoded;
  const json options = encoded->is_array() ? *encoded : json::array({*encoded});
  for (const auto& option : options) {
    const std::string text = option.get<std::string>();
    if (std::find(field.enum_values.begin(), field.enum_values.end(), text) ==
        field.enum_values.end()) {
      return core::Fail(core::ErrorCode::kInvalidInput,
                        fmt::format("field {} \"{}\": \"{}\" is not one of its options", field.id,
                                    field.name, Shown(option)));
    }
  }
  return encoded;
}

core::Result<CustomFieldValue> MakeCustomFieldValue(const CustomFieldDefinition& field,
                                                    const json& input) {
  auto encoded = EncodeCustomFieldValue(field, input);
  if (!encoded) return core::Fail(encoded.error());
  CustomFieldValue value;
  value.field_id = field.id;
  value.value = std::move(*encoded);
  value.field_name = field.name;
  value.field_type = field.type;
  return value;
}

}  // namespace planfix_flow::planfix
