#include "planfix_flow/sandbox/fake_planfix.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <regex>

namespace planfix_flow::sandbox {

using nlohmann::json;

namespace {

// Planfix's error envelope.
FakeResponse Fail(int status, int code, std::string error) {
  return FakeResponse{status,
                      json{{"result", "fail"}, {"code", code}, {"error", std::move(error)}}.dump()};
}

FakeResponse Success(int status, const json& body = json::object()) {
  json envelope = {{"result", "success"}};
  envelope.update(body);
  return FakeResponse{status, envelope.dump()};
}

std::vector<std::string> SplitFields(const std::string& fields) {
  std::vector<std::string> names;
  std::size_t start = 0;
  while (start <= fields.size()) {
    std::size_t comma = fields.find(',', start);
    if (comma == std::string::npos) comma = fields.size();
    std::string name = fields.substr(start, comma - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (!name.empty()) names.push_back(name);
    start = comma + 1;
  }
  return names;
}

bool IsDigits(const std::string& text) {
  return !text.empty() && text.size() <= 18 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Lower(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

bool ValidDate(const json& value) {
  static const std::regex date_pattern(R"((\d{2})-(\d{2})-(\d{4}))");
  if (!value.is_string()) return false;
  const std::string text = value.get<std::string>();
  std::smatch match;
  if (!std::regex_match(text, match, date_pattern)) return false;
  const int day = std::stoi(match[1]);
  const int month = std::stoi(match[2]);
  const int year = std::stoi(match[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return day <= (month == 2 && leap ? 29 : kDays[month - 1]);
}

bool ValidTime(const json& value) {
  static const std::regex time_pattern(R"(([01]\d|2[0-3]):[0-5]\d)");
  return value.is_string() && std::regex_match(value.get<std::string>(), time_pattern);
}

// "dd-MM-yyyy HH:mm[:ss]", the string form the spec shows for date-time fields.
bool ValidDateTimeString(const json& value) {
  static const std::regex date_time_pattern(R"((\d{2}-\d{2}-\d{4}) (\d{2}:\d{2})(:\d{2})?)");
  if (!value.is_string()) return false;
  std::smatch match;
  const std::string text = value.get<std::string>();
  return std::regex_match(text, match, date_time_pattern) && ValidDate(json(match[1].str())) &&
         ValidTime(json(match[2].str()));
}

bool ValidPrefixedId(const json& value, const std::vector<std::string>& prefixes,
                     bool allow_number) {
  if (value.is_number_integer()) return allow_number && value.get<long long>() >= 0;
  if (!value.is_string()) return false;
  const std::string text = value.get<std::string>();
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) return allow_number && IsDigits(text);
  return std::find(prefixes.begin(), prefixes.end(), text.substr(0, colon)) != prefixes.end() &&
         IsDigits(text.substr(colon + 1));
}

bool IsIdObject(const json& value) { return value.is_object() && value.contains("id"); }

// Whether `value` has the wire shape Planfix documents for a field of `field.type`.
// Returns an error text, empty when valid.
std::string CheckValue(const FakeCustomField& field, const json& value) {
  std::string bad =
      fmt::format("Invalid value for custom field {} of type {}", field.id, field.type);
  switch (field.type) {
    case 0:
    case 2:
      return value.is_string() ? "" : bad;
    case 1:
      return value.is_number() ? "" : bad;
    case 3:
      return value.is_object() && value.contains("date") && ValidDate(value["date"]) ? "" : bad;
    case 4:
      return value.is_object() && value.contains("time") && ValidTime(value["time"]) ? "" : bad;
    case 5:
      if (ValidDateTimeString(value)) return "";
      if (!value.is_object() || !value.contains("date") || !ValidDate(value["date"])) return bad;
      return !value.contains("time") || ValidTime(value["time"]) ? "" : bad;
    case 6: {
      if (!value.is_object()) return bad;
      for (const char* end : {"from", "to"}) {
        if (!value.contains(end) || !value[end].is_object()) return bad;
        const json& point = value[end];
        if (!point.contains("time") && !point.contains("date")) return bad;
        if (point.contains("time") && !ValidTime(point["time"])) return bad;
        if (point.contains("date") && !ValidDate(point["date"])) return bad;
      }
      return "";
    }
    case 28: {  // date with time frame: both ends need a date and a time
      if (!value.is_object()) return bad;
      for (const char* end : {"from", "to"}) {
        if (!value.contains(end) || !value[end].is_object()) return bad;
        const json& point = value[end];
        if (!point.contains("date") || !ValidDate(point["date"]) || !point.contains("time") ||
            !ValidTime(point["time"])) {
          return bad;
        }
      }
      return "";
    }
    case 7:
      return value.is_boolean() ? "" : bad;
    case 8: {
      if (!value.is_string()) return bad;
      const std::string text = value.get<std::string>();
      if (!field.enum_values.empty() &&
          std::find(field.enum_values.begin(), field.enum_values.end(), text) ==
              field.enum_values.end()) {
        return fmt::format("Value '{}' is not an option of custom field {}", text, field.id);
      }
      return "";
    }
    case 9:
      return IsIdObject(value) && (value["id"].is_number_integer() || value["id"].is_string())
                 ? ""
                 : bad;
    case 10:
    case 12:
      return IsIdObject(value) && ValidPrefixedId(value["id"], {"contact"}, true) ? "" : bad;
    case 11:
      return IsIdObject(value) && ValidPrefixedId(value["id"], {"user"}, true) ? "" : bad;
    case 13:
      return IsIdObject(value) && ValidPrefixedId(value["id"], {"user", "contact", "group"}, false)
                 ? ""
                 : bad;
    case 14:
      if (!value.is_array()) return bad;
      for (const auto& item : value) {
        if (!IsIdObject(item) ||
            !ValidPrefixedId(item["id"], {"user", "contact", "group"}, false)) {
          return bad;
        }
      }
      return "";
    case 15:
      if (!value.is_array()) return bad;
      for (const auto& item : value) {
        if (!IsIdObject(item) || !(item["id"].is_number_integer() || item["id"].is_string())) {
          return bad;
        }
      }
      return "";
    case 16:
    case 22:
      return IsIdObject(value) && value["id"].is_number_integer() ? "" : bad;
    case 17:
      if (!value.is_array()) return bad;
      for (const auto& item : value) {
        if (!IsIdObject(item) || !item["id"].is_number_integer()) return bad;
      }
      return "";
    case 20:
      if (!value.is_array()) return bad;
      for (const auto& item : value) {
        if (!item.is_string()) return bad;
        if (!field.enum_values.empty() &&
            std::find(field.enum_values.begin(), field.enum_values.end(),
                      item.get<std::string>()) == field.enum_values.end()) {
          return fmt::format("Value '{}' is not an option of custom field {}",
                             item.get<std::string>(), field.id);
        }
      }
      return "";
    case 21:
      if (!value.is_array()) return bad;
      for (const auto& item : value) {
        if (!item.is_number_integer()) return bad;
      }
      return "";
    case 25:
      return value.is_object() && value.contains("address") && value["address"].is_string() ? ""
                                                                                            : bad;
    case 23:
    case 24:
    case 26:
    case 27:
    case 29:
      return fmt::format("Custom field {} is read-only", field.id);
    default:
      return fmt::format("Custom field {} has a type the sandbox does not model", field.id);
  }
}

// Stores what the API would later return: dates gain time and datetime; people ids are
// prefixed.
json Normalize(const FakeCustomField& field, const json& value) {
  if (field.type == 3) {
    const std::string date = value["date"].get<std::string>();
    return json{{"date", date},
                {"time", "00:00"},
                {"datetime", fmt::format("{}-{}-{}T00:00Z", date.substr(6, 4), date.substr(3, 2),
                                         date.substr(0, 2))}};
  }
  if (field.type == 5 && value.is_string()) {
    const std::string text = value.get<std::string>();
    return json{{"date", text.substr(0, 10)}, {"time", text.substr(11, 5)}};
  }
  if ((field.type == 10 || field.type == 12 || field.type == 11) &&
      value["id"].is_number_integer()) {
    return json{{"id", fmt::format("{}:{}", field.type == 11 ? "user" : "contact",
                                   value["id"].get<long long>())}};
  }
  return value;
}

struct FieldProblem {
  std::string field;
  std::string error;
};

// Checks a customFieldData array against `catalogue`. Structural problems come back in
// `structural` (the whole request is malformed); per-field problems in the returned list.
std::vector<FieldProblem> CheckCustomFieldData(
    const json& data, const std::map<long long, FakeCustomField>& catalogue,
    std::string& structural, std::map<long long, json>& accepted) {
  std::vector<FieldProblem> problems;
  if (!data.is_array()) {
    structural = "customFieldData must be an array";
    return problems;
  }
  for (const auto& entry : data) {
    if (!entry.is_object() || !entry.contains("field") || !entry["field"].is_object() ||
        !entry["field"].contains("id") || !entry["field"]["id"].is_number_integer() ||
        !entry.contains("value")) {
      structural = "customFieldData entries need field.id and value";
      return problems;
    }
    const long long id = entry["field"]["id"].get<long long>();
    const std::string name = fmt::format("customFieldData.{}", id);
    const auto field = catalogue.find(id);
    if (field == catalogue.end()) {
      problems.push_back({name, fmt::format("Custom field not found by id {}", id)});
      continue;
    }
    if (!field->second.writable) {
      problems.push_back({name, fmt::format("No rights to change custom field {}", id)});
      continue;
    }
    const std::string error = CheckValue(field->second, entry["value"]);
    if (!error.empty()) {
      problems.push_back({name, error});
      continue;
    }
    accepted[id] = Normalize(field->second, entry["value"]);
  }
  return problems;
}

json FailuresJson(const std::vector<FieldProblem>& problems) {
  json failures = json::array();
  for (const auto& problem : problems) {
    failures.push_back({{"field", problem.field}, {"error", problem.error}});
  }
  return failures;
}

std::string JoinProblems(const std::vector<FieldProblem>& problems) {
  std::string text;
  for (const auto& problem : problems) {
    if (!text.empty()) text += "; ";
    text += problem.field + ": " + problem.error;
  }
  return text;
}

json CustomFieldJson(const FakeCustomField& field, int object_type, const json& value) {
  json definition = {
      {"id", field.id}, {"name", field.name}, {"type", field.type}, {"objectType", object_type}};
  return json{{"field", definition}, {"value", value}};
}

// Compares a stored custom field value with a filter value: ids compare by number whatever
// their prefix, arrays match if any element does.
bool Matches(const json& stored, const json& target) {
  if (stored.is_array()) {
    return std::any_of(stored.begin(), stored.end(),
                       [&](const json& item) { return Matches(item, target); });
  }
  if (stored.is_object()) {
    if (stored.contains("id")) return Matches(stored["id"], target);
    if (stored.contains("date") && target.is_string()) return stored["date"] == target;
    return stored == target;
  }
  const auto text = [](const json& value) {
    std::string shown = value.is_string() ? value.get<std::string>() : value.dump();
    const std::size_t colon = shown.find(':');
    if (colon != std::string::npos && IsDigits(shown.substr(colon + 1))) {
      shown = shown.substr(colon + 1);
    }
    return shown;
  };
  if (stored.is_number() && target.is_number()) return stored.get<double>() == target.get<double>();
  return text(stored) == text(target);
}

std::string Digits(const std::string& text) {
  std::string digits;
  for (char c : text) {
    if (c >= '0' && c <= '9') digits.push_back(c);
  }
  return digits;
}

std::string TelegramUsername(std::string text) {
  for (const char* prefix : {"https://t.me/", "http://t.me/", "t.me/", "@"}) {
    if (text.rfind(prefix, 0) == 0) text = text.substr(std::string(prefix).size());
  }
  return Lower(text);
}

bool ParsePaging(const json& body, long long& offset, long long& page_size, std::string& error) {
  offset = 0;
  page_size = 100;
  if (body.contains("offset")) {
    if (!body["offset"].is_number_integer() || body["offset"].get<long long>() < 0) {
      error = "offset must be a non-negative integer";
      return false;
    }
    offset = body["offset"].get<long long>();
  }
  if (body.contains("pageSize")) {
    if (!body["pageSize"].is_number_integer() || body["pageSize"].get<long long>() < 1 ||
        body["pageSize"].get<long long>() > 100) {
      error = "pageSize must be an integer from 1 to 100";
      return false;
    }
    page_size = body["pageSize"].get<long long>();
  }
  if (body.contains("fields") && !body["fields"].is_string()) {
    error = "fields must be a comma-delimited string";
    return false;
  }
  return true;
}

}  // namespace

FakePlanfix::FakePlanfix(FakePlanfixOptions options)
    : FakeServer("planfix"),
      tokens_(std::move(options.tokens)),
      min_interval_(options.min_interval),
      daily_quota_(options.daily_quota),
      clock_(options.clock) {
  RoutePlanfix("GET", "/rest/ping", "", &FakePlanfix::Ping);
  RoutePlanfix("POST", "/rest/task/", "task_add", &FakePlanfix::CreateTask);
  RoutePlanfix("GET", R"(/rest/task/(\d+))", "task_readonly", &FakePlanfix::GetTask);
  RoutePlanfix("POST", R"(/rest/task/(\d+))", "task_update", &FakePlanfix::UpdateTask);
  RoutePlanfix("POST", R"(/rest/task/(\d+)/comments/)", "comment_add", &FakePlanfix::AddComment);
  RoutePlanfix("POST", R"(/rest/task/(\d+)/datatags/)", "datatag_add",
               &FakePlanfix::AddDataTagEntries);
  RoutePlanfix("GET", R"(/rest/process/task/(\d+)/statuses)", "", &FakePlanfix::GetStatuses);
  RoutePlanfix("POST", "/rest/contact/list", "contact_readonly", &FakePlanfix::ListContacts);
  RoutePlanfix("POST", "/rest/task/list", "task_readonly", &FakePlanfix::ListTasks);
  RoutePlanfix("GET", R"(/rest/contact/(?:contact:)?(\d+))", "contact_readonly",
               &FakePlanfix::GetContact);
  RoutePlanfix("POST", R"(/rest/contact/(?:contact:)?(\d+))", "contact_update",
               &FakePlanfix::UpdateContact);
  RoutePlanfix("GET", "/rest/customfield/contact", "", &FakePlanfix::GetContactFields);
  RoutePlanfix("GET", "/rest/customfield/task", "", &FakePlanfix::GetTaskFields);
  RoutePlanfix("POST", R"(/rest/datatag/(\d+)/entry/list)", "datatag_readonly",
               &FakePlanfix::ListDataTagEntries);
  RouteCatalogues();
  RouteFiles();
  RouteUsers();
  RoutePlanfix("GET", R"(/rest/datatag/entry/(\d+))", "datatag_readonly",
               &FakePlanfix::GetDataTagEntry);
  RoutePlanfix("POST", R"(/rest/datatag/entry/(\d+))", "datatag_update",
               &FakePlanfix::UpdateDataTagEntry);
  RoutePlanfix("DELETE", R"(/rest/datatag/entry/(\d+))", "datatag_update",
               &FakePlanfix::DeleteDataTagEntryRoute);
  RoutePlanfix("GET", R"(/rest/datatag/(\d+))", "datatag_readonly", &FakePlanfix::GetDataTag);
  RoutePlanfix("GET", R"(/rest/customfield/datatag/(\d+))", "", &FakePlanfix::GetDataTagFields);
}

FakePlanfix::~FakePlanfix() { Stop(); }

void FakePlanfix::RoutePlanfix(std::string method, const std::string& path_regex, std::string scope,
                               PlanfixHandler handler) {
  const bool has_body = method == "POST";
  Route(std::move(method), path_regex,
        [this, scope = std::move(scope), handler, has_body](const FakeRequest& request) {
          std::lock_guard lock(state_mutex_);
          FakeResponse response = Answer(request, scope, handler, has_body);
          // Planfix tells how many of the day's requests are left (approximately) on its
          // answers; the fake does when it has a daily quota.
          if (daily_quota_)
            response.headers["X-RateLimit-Remaining"] = std::to_string(*daily_quota_);
          return response;
        });
}

FakeResponse FakePlanfix::Answer(const FakeRequest& request, const std::string& scope,
                                 PlanfixHandler handler, bool has_body) {
  if (auto refused = Admit(request, scope)) return *refused;
  if (request.HasQuery("silent") && request.Query("silent") != "true" &&
      request.Query("silent") != "false") {
    return Fail(400, 41, "silent must be true or false");
  }
  json body = json::object();
  if (has_body) {
    body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return Fail(400, 30, "Rest API error, not valid JSON: expected a JSON object");
    }
  }
  return (this->*handler)(request, body);
}

std::optional<FakeResponse> FakePlanfix::Admit(const FakeRequest& request,
                                               const std::string& scope) {
  const std::string authorization = request.Header("Authorization");
  const FakePlanfixToken* token = nullptr;
  if (authorization.rfind("Bearer ", 0) == 0) {
    const std::string presented = authorization.substr(7);
    for (const auto& candidate : tokens_) {
      if (!presented.empty() && candidate.token == presented) token = &candidate;
    }
  }
  if (token == nullptr) return Fail(401, 1, "Access denied, unknown token");
  // Deactivated by an admin after the service was configured: no fault of the request's.
  if (!token->active) return WorldStateAnswer(Fail(401, 2, "Access denied, token is inactive"));
  const core::TimePoint now = clock_ != nullptr ? clock_->Now() : system_clock_.Now();
  if (min_interval_.count() > 0 && last_admitted_ && now - *last_admitted_ < min_interval_) {
    ++rate_limited_;
    FakeResponse refused =
        Fail(429, 0,
             fmt::format("Too many requests: rate limit exceeded (1 request per {} ms)",
                         min_interval_.count()));
    const auto wait =
        std::chrono::ceil<std::chrono::seconds>(*last_admitted_ + min_interval_ - now);
    refused.headers["Retry-After"] = std::to_string(wait.count());
    return refused;
  }
  last_admitted_ = now;
  if (daily_quota_) {
    if (*daily_quota_ <= 0) return WorldStateAnswer(Fail(400, 22, "Daily request limit exceeded"));
    --*daily_quota_;
  }
  if (!token->scopes.empty() && !scope.empty() && token->scopes.count(scope) == 0) {
    return Fail(405, 5, "Scope denied, method not allowed");
  }
  return std::nullopt;
}

FakeResponse FakePlanfix::MethodNotAllowed(const FakeRequest&) {
  return Fail(405, 405, "Method not allowed");
}

FakeResponse FakePlanfix::UnknownRoute(const FakeRequest&) {
  return Fail(500, 0, "Rest API error");
}

void FakePlanfix::AddToken(FakePlanfixToken token) {
  std::lock_guard lock(state_mutex_);
  tokens_.push_back(std::move(token));
}

void FakePlanfix::SetMinInterval(std::chrono::milliseconds interval) {
  std::lock_guard lock(state_mutex_);
  min_interval_ = interval;
}

void FakePlanfix::SetDailyQuota(std::optional<long long> remaining) {
  std::lock_guard lock(state_mutex_);
  daily_quota_ = remaining;
}

void FakePlanfix::DefineTaskField(FakeCustomField field) {
  std::lock_guard lock(state_mutex_);
  task_fields_[field.id] = std::move(field);
}

void FakePlanfix::DefineContactField(FakeCustomField field) {
  std::lock_guard lock(state_mutex_);
  contact_fields_[field.id] = std::move(field);
}

void FakePlanfix::DefineProcess(long long process_id, std::vector<FakeStatus> statuses) {
  std::lock_guard lock(state_mutex_);
  processes_[process_id] = std::move(statuses);
}

void FakePlanfix::DefineDataTag(long long data_tag_id, std::string name,
                                std::vector<FakeCustomField> fields) {
  std::lock_guard lock(state_mutex_);
  DataTag tag;
  tag.name = std::move(name);
  for (auto& field : fields) tag.fields[field.id] = std::move(field);
  data_tags_[data_tag_id] = std::move(tag);
}

long long FakePlanfix::AddDataTagEntryDirectly(long long data_tag_id, long long task_id,
                                               std::map<long long, json> custom_fields) {
  std::lock_guard lock(state_mutex_);
  FakeComment comment;
  comment.id = next_comment_id_++;
  comment.task_id = task_id;
  comments_.push_back(comment);
  FakeDataTagEntry entry;
  entry.key = next_entry_key_++;
  entry.data_tag_id = data_tag_id;
  entry.task_id = task_id;
  entry.comment_id = comment.id;
  entry.custom_fields = std::move(custom_fields);
  entries_.push_back(entry);
  return entry.key;
}

bool FakePlanfix::EditDataTagEntry(long long key, std::map<long long, json> custom_fields) {
  std::lock_guard lock(state_mutex_);
  for (auto& entry : entries_) {
    if (entry.key != key) continue;
    entry.custom_fields = std::move(custom_fields);
    return true;
  }
  return false;
}

bool FakePlanfix::DeleteDataTagEntry(long long key) {
  std::lock_guard lock(state_mutex_);
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [&](const FakeDataTagEntry& entry) { return entry.key == key; });
  if (it == entries_.end()) return false;
  entries_.erase(it);
  return true;
}

void FakePlanfix::DeleteTask(long long task_id, bool for_good) {
  std::lock_guard lock(state_mutex_);
  if (for_good) {
    tasks_.erase(task_id);
  } else if (const auto it = tasks_.find(task_id); it != tasks_.end()) {
    it->second.deleted = true;
  }
}

long long FakePlanfix::AddTask(FakeTask task) {
  std::lock_guard lock(state_mutex_);
  if (task.id == 0) task.id = next_task_id_;
  next_task_id_ = std::max(next_task_id_, task.id + 1);
  const long long id = task.id;
  tasks_[id] = std::move(task);
  return id;
}

long long FakePlanfix::AddContact(FakeContact contact) {
  std::lock_guard lock(state_mutex_);
  if (contact.id == 0) contact.id = next_contact_id_;
  next_contact_id_ = std::max(next_contact_id_, contact.id + 1);
  const long long id = contact.id;
  contacts_[id] = std::move(contact);
  return id;
}

void FakePlanfix::MarkTaskBusy(long long task_id, int count) {
  std::lock_guard lock(state_mutex_);
  busy_[task_id] = count;
}

std::optional<FakeTask> FakePlanfix::task(long long id) const {
  std::lock_guard lock(state_mutex_);
  const auto it = tasks_.find(id);
  if (it == tasks_.end()) return std::nullopt;
  return it->second;
}

std::optional<FakeContact> FakePlanfix::contact(long long id) const {
  std::lock_guard lock(state_mutex_);
  const auto it = contacts_.find(id);
  if (it == contacts_.end()) return std::nullopt;
  return it->second;
}

std::vector<FakeComment> FakePlanfix::comments(long long task_id) const {
  std::lock_guard lock(state_mutex_);
  std::vector<FakeComment> found;
  for (const auto& comment : comments_) {
    if (comment.task_id == task_id) found.push_back(comment);
  }
  return found;
}

std::vector<FakeDataTagEntry> FakePlanfix::data_tag_entries(long long data_tag_id) const {
  std::lock_guard lock(state_mutex_);
  std::vector<FakeDataTagEntry> found;
  for (const auto& entry : entries_) {
    if (entry.data_tag_id == data_tag_id) found.push_back(entry);
  }
  return found;
}

std::vector<FakeWrite> FakePlanfix::writes() const {
  std::lock_guard lock(state_mutex_);
  return writes_;
}

int FakePlanfix::rate_limited_count() const {
  std::lock_guard lock(state_mutex_);
  return rate_limited_;
}

FakeResponse FakePlanfix::Ping(const FakeRequest&, const json&) { return Success(200); }

json FakePlanfix::TaskJson(const FakeTask& task, const std::string& fields) const {
  json out = {{"id", task.id}};
  std::vector<std::string> names = SplitFields(fields);
  if (names.empty()) names = {"id", "name"};
  for (const auto& name : names) {
    if (name == "name") {
      out["name"] = task.name;
    } else if (name == "description") {
      out["description"] = task.description;
    } else if (name == "processId") {
      out["processId"] = task.process_id;
    } else if (name == "status") {
      json status = {{"id", task.status_id}, {"name", ""}};
      const auto process = processes_.find(task.process_id);
      if (process != processes_.end()) {
        for (const auto& candidate : process->second) {
          if (candidate.id == task.status_id) {
            status["name"] = candidate.name;
            status["isActive"] = candidate.is_active;
          }
        }
      }
      out["status"] = status;
    } else if (name == "project" && task.project_id != 0) {
      out["project"] = {{"id", task.project_id}};
    } else if (name == "counterparty" && !task.counterparty.empty()) {
      json counterparty = {{"id", task.counterparty}};
      const std::string digits = task.counterparty.substr(task.counterparty.find(':') + 1);
      if (IsDigits(digits)) {
        const auto contact = contacts_.find(std::stoll(digits));
        if (contact != contacts_.end()) {
          counterparty["name"] = contact->second.lastname.empty()
                                     ? contact->second.name
                                     : contact->second.lastname + " " + contact->second.name;
        }
      }
      out["counterparty"] = counterparty;
    } else if (name == "assigner" && !task.assigner.empty()) {
      out["assigner"] = {{"id", task.assigner}};
    } else if (name == "template" && task.template_id != 0) {
      out["template"] = {{"id", task.template_id}};
    } else if (name == "parent" && task.parent_id != 0) {
      out["parent"] = {{"id", task.parent_id}};
    } else if (name == "isDeleted") {
      out["isDeleted"] = task.deleted;
    } else if (name == "assignees") {
      json users = json::array();
      for (const auto& id : task.assignees) users.push_back({{"id", id}});
      out["assignees"] = {{"users", users}, {"groups", json::array()}};
    } else if (IsDigits(name)) {
      const long long id = std::stoll(name);
      const auto field = task_fields_.find(id);
      const auto value = task.custom_fields.find(id);
      if (field == task_fields_.end() || value == task.custom_fields.end()) continue;
      if (!out.contains("customFieldData")) out["customFieldData"] = json::array();
      out["customFieldData"].push_back(CustomFieldJson(field->second, 0, value->second));
    }
  }
  return out;
}

json FakePlanfix::ContactJson(const FakeContact& contact, const std::string& fields) const {
  json out = {{"id", contact.id}};
  std::vector<std::string> names = SplitFields(fields);
  if (names.empty()) names = {"id", "name"};
  for (const auto& name : names) {
    if (name == "name") {
      out["name"] = contact.name;
    } else if (name == "lastname") {
      out["lastname"] = contact.lastname;
    } else if (name == "email") {
      out["email"] = contact.email;
    } else if (name == "telegram") {
      out["telegram"] = contact.telegram;
    } else if (name == "telegramId") {
      out["telegramId"] = contact.telegram_id;
    } else if (name == "phones") {
      json phones = json::array();
      for (const auto& [number, type] : contact.phones) {
        phones.push_back({{"number", number}, {"maskedNumber", number}, {"type", type}});
      }
      out["phones"] = phones;
    } else if (IsDigits(name)) {
      const long long id = std::stoll(name);
      const auto field = contact_fields_.find(id);
      const auto value = contact.custom_fields.find(id);
      if (field == contact_fields_.end() || value == contact.custom_fields.end()) continue;
      if (!out.contains("customFieldData")) out["customFieldData"] = json::array();
      out["customFieldData"].push_back(CustomFieldJson(field->second, 1, value->second));
    }
  }
  return out;
}

FakeResponse FakePlanfix::GetTask(const FakeRequest& request, const json&) {
  const long long id = std::stoll(request.captures.at(0));
  const auto it = tasks_.find(id);
  if (it == tasks_.end()) return Fail(404, 1000, fmt::format("Task not found by id {}", id));
  return Success(200, {{"task", TaskJson(it->second, request.Query("fields"))}});
}

namespace {

// A status id valid for `process_id` (any process when 0).
bool KnownStatus(const std::map<long long, std::vector<FakeStatus>>& processes,
                 long long process_id, long long status_id) {
  for (const auto& [id, statuses] : processes) {
    if (process_id != 0 && id != process_id) continue;
    for (const auto& status : statuses) {
      if (status.id == status_id) return true;
    }
  }
  return false;
}

bool IdObject(const json& body, const char* key, long long& id) {
  if (!body.contains(key)) return false;
  const json& value = body[key];
  if (!value.is_object() || !value.contains("id") || !value["id"].is_number_integer()) {
    id = -1;
    return true;
  }
  id = value["id"].get<long long>();
  return true;
}

}  // namespace

FakeResponse FakePlanfix::UpdateTask(const FakeRequest& request, const json& body) {
  const long long id = std::stoll(request.captures.at(0));
  const auto it = tasks_.find(id);
  if (it == tasks_.end()) {
    return Fail(404, 1000, fmt::format("Task for update not found by id {}", id));
  }
  FakeTask updated = it->second;
  if (body.contains("processId")) {
    if (!body["processId"].is_number_integer() ||
        processes_.count(body["processId"].get<long long>()) == 0) {
      return Fail(400, 41, fmt::format("Process not found by id {}", body["processId"].dump()));
    }
    updated.process_id = body["processId"].get<long long>();
  }
  long long status_id = 0;
  if (IdObject(body, "status", status_id)) {
    if (status_id < 0) return Fail(400, 41, "status must be {\"id\": number}");
    if (!KnownStatus(processes_, updated.process_id, status_id)) {
      return Fail(400, 41, fmt::format("Status not find by id {}", status_id));
    }
    updated.status_id = status_id;
  }
  if (body.contains("name")) {
    if (!body["name"].is_string()) return Fail(400, 41, "name must be a string");
    updated.name = body["name"].get<std::string>();
  }
  if (body.contains("description")) {
    if (!body["description"].is_string()) return Fail(400, 41, "description must be a string");
    updated.description = body["description"].get<std::string>();
  }
  long long counterparty = 0;
  if (IdObject(body, "counterparty", counterparty)) {
    if (counterparty < 0 && body["counterparty"].is_object() &&
        body["counterparty"].value("id", json()).is_string()) {
      const std::string text = body["counterparty"]["id"].get<std::string>();
      const std::string digits = text.substr(text.find(':') + 1);
      counterparty = IsDigits(digits) ? std::stoll(digits) : -1;
    }
    if (counterparty < 0) return Fail(400, 41, "counterparty must be {\"id\": ...}");
    updated.counterparty = fmt::format("contact:{}", counterparty);
  }
  std::vector<FieldProblem> problems;
  if (body.contains("customFieldData")) {
    std::string structural;
    std::map<long long, json> accepted;
    problems = CheckCustomFieldData(body["customFieldData"], task_fields_, structural, accepted);
    if (!structural.empty()) return Fail(400, 41, structural);
    for (auto& [field_id, value] : accepted) updated.custom_fields[field_id] = std::move(value);
  }
  it->second = std::move(updated);
  int status = 200;
  if (auto busy = busy_.find(id); busy != busy_.end() && busy->second > 0) {
    --busy->second;
    status = 202;
  }
  writes_.push_back(FakeWrite{request.path, body, request.Query("silent") == "true", status});
  if (status == 202) return FakeResponse{202, ""};
  if (!problems.empty()) return Success(200, {{"failures", FailuresJson(problems)}});
  return Success(200);
}

FakeResponse FakePlanfix::CreateTask(const FakeRequest& request, const json& body) {
  if (!body.contains("name") || !body["name"].is_string() ||
      body["name"].get<std::string>().empty()) {
    return Fail(400, 40, "Parameter name is required");
  }
  FakeTask task;
  task.name = body["name"].get<std::string>();
  if (body.contains("description") && body["description"].is_string()) {
    task.description = body["description"].get<std::string>();
  }
  if (body.contains("processId")) {
    if (!body["processId"].is_number_integer() ||
        processes_.count(body["processId"].get<long long>()) == 0) {
      return Fail(400, 41, fmt::format("Process not found by id {}", body["processId"].dump()));
    }
    task.process_id = body["processId"].get<long long>();
  }
  long long id = 0;
  if (IdObject(body, "status", id)) {
    if (id < 0) return Fail(400, 41, "status must be {\"id\": number}");
    if (!KnownStatus(processes_, task.process_id, id)) {
      return Fail(400, 41, fmt::format("Status not find by id {}", id));
    }
    task.status_id = id;
    if (task.process_id == 0) {
      for (const auto& [process_id, statuses] : processes_) {
        for (const auto& status : statuses) {
          if (status.id == id && task.process_id == 0) task.process_id = process_id;
        }
      }
    }
  } else if (task.process_id != 0 && !processes_[task.process_id].empty()) {
    task.status_id = processes_[task.process_id].front().id;
  }
  if (IdObject(body, "project", id)) {
    if (id < 0) return Fail(400, 41, "project must be {\"id\": number}");
    task.project_id = id;
  }
  if (IdObject(body, "template", id)) {
    if (id < 0) return Fail(400, 41, "template must be {\"id\": number}");
    task.template_id = id;
  }
  if (body.contains("counterparty")) {
    const json& counterparty = body["counterparty"];
    if (!IsIdObject(counterparty) || !ValidPrefixedId(counterparty["id"], {"contact"}, true)) {
      return Fail(400, 41, "counterparty must be {\"id\": \"contact:N\"}");
    }
    const std::string text = counterparty["id"].is_string() ? counterparty["id"].get<std::string>()
                                                            : counterparty["id"].dump();
    const long long contact_id = std::stoll(text.substr(text.find(':') + 1));
    if (contacts_.count(contact_id) == 0) {
      return Fail(404, 2000, fmt::format("Contact not found by id {}", contact_id));
    }
    task.counterparty = fmt::format("contact:{}", contact_id);
  }
  if (body.contains("assigner")) {
    if (!IsIdObject(body["assigner"]) || !ValidPrefixedId(body["assigner"]["id"], {"user"}, true)) {
      return Fail(400, 41, "assigner must be {\"id\": \"user:N\"}");
    }
    task.assigner = body["assigner"]["id"].is_string() ? body["assigner"]["id"].get<std::string>()
                                                       : "user:" + body["assigner"]["id"].dump();
  }
  if (body.contains("assignees")) {
    const json& assignees = body["assignees"];
    if (!assignees.is_object()) return Fail(400, 41, "assignees must be an object");
    for (const auto& user : assignees.value("users", json::array())) {
      if (!IsIdObject(user) || !ValidPrefixedId(user["id"], {"user", "contact"}, false)) {
        return Fail(400, 41, "assignees.users need prefixed ids such as user:5");
      }
      task.assignees.push_back(user["id"].get<std::string>());
    }
  }
  if (body.contains("customFieldData")) {
    std::string structural;
    std::map<long long, json> accepted;
    auto problems =
        CheckCustomFieldData(body["customFieldData"], task_fields_, structural, accepted);
    if (!structural.empty()) return Fail(400, 41, structural);
    if (!problems.empty()) return Fail(400, 41, JoinProblems(problems));
    task.custom_fields = std::move(accepted);
  }
  task.id = next_task_id_++;
  const long long number = task.id;
  tasks_[number] = std::move(task);
  writes_.push_back(FakeWrite{request.path, body, request.Query("silent") == "true", 201});
  return Success(201, {{"id", number}});
}

FakeResponse FakePlanfix::GetStatuses(const FakeRequest& request, const json&) {
  const long long id = std::stoll(request.captures.at(0));
  const auto it = processes_.find(id);
  // The id comes from the agency's config, not from the shape of the request: asking about a
  // process that does not exist is how a client (the config doctor) finds a wrong id.
  if (it == processes_.end()) {
    return WorldStateAnswer(Fail(400, 41, fmt::format("Process not found by id {}", id)));
  }
  json statuses = json::array();
  for (const auto& status : it->second) {
    statuses.push_back({{"id", status.id}, {"name", status.name}, {"isActive", status.is_active}});
  }
  return Success(200, {{"statuses", statuses}});
}

FakeResponse FakePlanfix::AddComment(const FakeRequest& request, const json& body) {
  const long long task_id = std::stoll(request.captures.at(0));
  if (tasks_.count(task_id) == 0) {
    return Fail(404, 1000, fmt::format("Task not found by id {}", task_id));
  }
  const bool has_description = body.contains("description");
  if (has_description && !body["description"].is_string()) {
    return Fail(400, 41, "description must be a string");
  }
  const bool has_files =
      body.contains("files") && body["files"].is_array() && !body["files"].empty();
  if ((!has_description || body["description"].get<std::string>().empty()) && !has_files) {
    return Fail(400, 40, "Parameter description is required");
  }
  for (const char* flag : {"isHidden", "isPinned"}) {
    if (body.contains(flag) && !body[flag].is_boolean()) {
      return Fail(400, 41, fmt::format("{} must be a boolean", flag));
    }
  }
  if (body.contains("recipients")) {
    const json& recipients = body["recipients"];
    if (!recipients.is_object()) return Fail(400, 41, "recipients must be an object");
    for (const auto& user : recipients.value("users", json::array())) {
      if (!IsIdObject(user) || !ValidPrefixedId(user["id"], {"user", "contact"}, false)) {
        return Fail(400, 41, "recipients.users need prefixed ids such as user:5");
      }
    }
    for (const auto& group : recipients.value("groups", json::array())) {
      if (!IsIdObject(group) || !group["id"].is_number_integer()) {
        return Fail(400, 41, "recipients.groups need numeric ids");
      }
    }
    static const std::vector<std::string> known_roles = {"assignee", "participant", "auditor",
                                                         "assigner"};
    for (const auto& role : recipients.value("roles", json::array())) {
      if (!role.is_string() || std::find(known_roles.begin(), known_roles.end(),
                                         role.get<std::string>()) == known_roles.end()) {
        return Fail(400, 41, fmt::format("Unknown recipient role {}", role.dump()));
      }
    }
  }
  FakeComment comment;
  comment.id = next_comment_id_++;
  comment.task_id = task_id;
  comment.description = has_description ? body["description"].get<std::string>() : "";
  comment.is_hidden = body.value("isHidden", false);
  comment.silent = request.Query("silent") == "true";
  comment.recipients = body.value("recipients", json());
  comments_.push_back(comment);
  return Success(201, {{"id", comment.id}});
}

FakeResponse FakePlanfix::GetContact(const FakeRequest& request, const json&) {
  const long long id = std::stoll(request.captures.at(0));
  const auto it = contacts_.find(id);
  if (it == contacts_.end()) return Fail(404, 2000, fmt::format("Contact not found by id {}", id));
  return Success(200, {{"contact", ContactJson(it->second, request.Query("fields"))}});
}

FakeResponse FakePlanfix::UpdateContact(const FakeRequest& request, const json& body) {
  const long long id = std::stoll(request.captures.at(0));
  const auto it = contacts_.find(id);
  if (it == contacts_.end()) {
    return Fail(404, 2000, fmt::format("Contact for update not found by id {}", id));
  }
  FakeContact updated = it->second;
  std::vector<FieldProblem> problems;
  for (const char* key : {"name", "lastname", "email", "telegram", "telegramId"}) {
    if (body.contains(key) && !body[key].is_string()) {
      return Fail(400, 41, fmt::format("{} must be a string", key));
    }
  }
  if (body.contains("name")) updated.name = body["name"].get<std::string>();
  if (body.contains("lastname")) updated.lastname = body["lastname"].get<std::string>();
  if (body.contains("email")) {
    static const std::regex email_pattern(R"([^@\s]+@[^@\s]+\.[^@\s]+)");
    const std::string email = body["email"].get<std::string>();
    if (!email.empty() && !std::regex_match(email, email_pattern)) {
      problems.push_back({"email", "Field change failed: invalid email"});
    } else {
      updated.email = email;
    }
  }
  if (body.contains("telegram")) updated.telegram = body["telegram"].get<std::string>();
  if (body.contains("telegramId")) {
    const std::string telegram_id = body["telegramId"].get<std::string>();
    if (!telegram_id.empty() && !IsDigits(telegram_id)) {
      problems.push_back({"telegramId", "Field change failed: not a Telegram id"});
    } else {
      updated.telegram_id = telegram_id;
    }
  }
  if (body.contains("phones")) {
    const json& phones = body["phones"];
    if (!phones.is_array()) return Fail(400, 41, "phones must be an array");
    std::vector<std::pair<std::string, int>> numbers;
    bool valid = true;
    for (const auto& phone : phones) {
      if (!phone.is_object() || !phone.contains("number") || !phone["number"].is_string() ||
          Digits(phone["number"].get<std::string>()).size() < 5) {
        valid = false;
        break;
      }
      int type = 1;
      if (phone.contains("type")) {
        if (!phone["type"].is_number_integer() || phone["type"].get<int>() < 1 ||
            phone["type"].get<int>() > 4) {
          valid = false;
          break;
        }
        type = phone["type"].get<int>();
      }
      numbers.emplace_back(phone["number"].get<std::string>(), type);
    }
    if (valid) {
      updated.phones = std::move(numbers);
    } else {
      problems.push_back({"phones", "Field change failed: invalid phone"});
    }
  }
  if (body.contains("customFieldData")) {
    std::string structural;
    std::map<long long, json> accepted;
    auto field_problems =
        CheckCustomFieldData(body["customFieldData"], contact_fields_, structural, accepted);
    if (!structural.empty()) return Fail(400, 41, structural);
    problems.insert(problems.end(), field_problems.begin(), field_problems.end());
    for (auto& [field_id, value] : accepted) updated.custom_fields[field_id] = std::move(value);
  }
  it->second = std::move(updated);
  writes_.push_back(FakeWrite{request.path, body, request.Query("silent") == "true", 200});
  if (!problems.empty()) return Success(200, {{"failures", FailuresJson(problems)}});
  return Success(200);
}

FakeResponse FakePlanfix::ListContacts(const FakeRequest&, const json& body) {
  long long offset = 0;
  long long page_size = 0;
  std::string error;
  if (!ParsePaging(body, offset, page_size, error)) return Fail(400, 41, error);
  std::vector<const FakeContact*> matched;
  for (const auto& [id, contact] : contacts_) matched.push_back(&contact);
  const json filters = body.value("filters", json::array());
  if (!filters.is_array()) return Fail(400, 41, "filters must be an array");
  for (const auto& filter : filters) {
    if (!filter.is_object() || !filter.contains("type") || !filter["type"].is_number_integer() ||
        !filter.contains("operator") || !filter["operator"].is_string() ||
        !filter.contains("value")) {
      return Fail(400, 40, "Each filter needs type, operator and value");
    }
    const int type = filter["type"].get<int>();
    const std::string op = filter["operator"].get<std::string>();
    const json& value = filter["value"];
    if (op != "equal" && op != "notequal") {
      RecordFailure(fmt::format("planfix: contact filter operator '{}' is not modelled", op));
      return Fail(500, 0, "Rest API error");
    }
    std::function<bool(const FakeContact&)> test;
    const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    switch (type) {
      case 4001:
        test = [&](const FakeContact& c) {
          const std::string full = Lower(c.lastname + " " + c.name);
          const std::string reversed = Lower(c.name + " " + c.lastname);
          return full.find(Lower(text)) != std::string::npos ||
                 reversed.find(Lower(text)) != std::string::npos;
        };
        break;
      case 4014:
        test = [&](const FakeContact& c) { return c.name == text; };
        break;
      case 4015:
        test = [&](const FakeContact& c) { return c.lastname == text; };
        break;
      case 4003:
        test = [&](const FakeContact& c) {
          const std::string wanted = Digits(text);
          return !wanted.empty() && std::any_of(c.phones.begin(), c.phones.end(), [&](auto& p) {
            const std::string have = Digits(p.first);
            const std::size_t tail = std::min<std::size_t>(9, std::min(have.size(), wanted.size()));
            return have == wanted || (tail >= 9 && have.substr(have.size() - tail) ==
                                                       wanted.substr(wanted.size() - tail));
          });
        };
        break;
      case 4005:
        test = [&](const FakeContact& c) {
          return !text.empty() && Lower(c.email).find(Lower(text)) != std::string::npos;
        };
        break;
      case 4026:
        test = [&](const FakeContact& c) {
          return !c.email.empty() && Lower(c.email) == Lower(text);
        };
        break;
      case 4226:
        test = [&](const FakeContact& c) {
          return !c.telegram.empty() && TelegramUsername(c.telegram) == TelegramUsername(text);
        };
        break;
      case 4234:
        test = [&](const FakeContact& c) {
          return !c.telegram_id.empty() && c.telegram_id == text;
        };
        break;
      case 4231:
        test = [&](const FakeContact& c) {
          return value.is_array() ? std::any_of(value.begin(), value.end(),
                                                [&](const json& v) { return v == json(c.id); })
                                  : value == json(c.id);
        };
        break;
      case 4101:
      case 4102:
      case 4105:
      case 4106:
      case 4107:
      case 4108:
      case 4109:
      case 4110:
      case 4112:
      case 4113:
      case 4115:
      case 4117: {
        if (!filter.contains("field") || !filter["field"].is_number_integer()) {
          return Fail(400, 40, fmt::format("Filter {} needs field", type));
        }
        const long long field_id = filter["field"].get<long long>();
        test = [&value, field_id](const FakeContact& c) {
          const auto stored = c.custom_fields.find(field_id);
          return stored != c.custom_fields.end() && Matches(stored->second, value);
        };
        break;
      }
      default:
        RecordFailure(fmt::format("planfix: contact filter type {} is not modelled", type));
        return Fail(500, 0, "Rest API error");
    }
    const bool negate = op == "notequal";
    std::vector<const FakeContact*> kept;
    for (const auto* contact : matched) {
      if (test(*contact) != negate) kept.push_back(contact);
    }
    matched = std::move(kept);
  }
  json contacts = json::array();
  const std::string fields = body.value("fields", std::string());
  const bool prefixed = body.value("prefixedId", json(false)) == json(true);
  for (long long i = offset; i < offset + page_size && i < static_cast<long long>(matched.size());
       ++i) {
    json contact = ContactJson(*matched[static_cast<std::size_t>(i)], fields);
    if (prefixed) contact["id"] = fmt::format("contact:{}", contact["id"].get<long long>());
    contacts.push_back(std::move(contact));
  }
  return Success(200, {{"contacts", contacts}});
}

// Models the filters the service uses (51 template, 105 checkbox custom field, 7
// counterparty); any other type is recorded as a failure, as for contacts.
FakeResponse FakePlanfix::ListTasks(const FakeRequest&, const json& body) {
  long long offset = 0;
  long long page_size = 0;
  std::string error;
  if (!ParsePaging(body, offset, page_size, error)) return Fail(400, 41, error);
  std::vector<const FakeTask*> matched;
  for (const auto& [id, task] : tasks_) matched.push_back(&task);
  const json filters = body.value("filters", json::array());
  if (!filters.is_array()) return Fail(400, 41, "filters must be an array");
  for (const auto& filter : filters) {
    if (!filter.is_object() || !filter.contains("type") || !filter["type"].is_number_integer() ||
        !filter.contains("operator") || !filter["operator"].is_string() ||
        !filter.contains("value")) {
      return Fail(400, 40, "Each filter needs type, operator and value");
    }
    const int type = filter["type"].get<int>();
    const std::string op = filter["operator"].get<std::string>();
    const json& value = filter["value"];
    if (op != "equal" && op != "notequal") {
      RecordFailure(fmt::format("planfix: task filter operator '{}' is not modelled", op));
      return Fail(500, 0, "Rest API error");
    }
    std::function<bool(const FakeTask&)> test;
    switch (type) {
      case 51:
        if (!value.is_number_integer()) return Fail(400, 41, "Filter 51 needs a template id");
        test = [&](const FakeTask& t) { return t.template_id == value.get<long long>(); };
        break;
      case 7:
        test = [&](const FakeTask& t) {
          return !t.counterparty.empty() && Matches(json(t.counterparty), value);
        };
        break;
      case 105: {
        if (!filter.contains("field") || !filter["field"].is_number_integer())
          return Fail(400, 40, "Filter 105 needs field");
        if (value != json(1) && value != json(0))
          return Fail(400, 41, "Filter 105 needs the value 1 or 0");
        const long long field_id = filter["field"].get<long long>();
        const bool wanted = value == json(1);
        test = [field_id, wanted](const FakeTask& t) {
          const auto stored = t.custom_fields.find(field_id);
          const bool ticked = stored != t.custom_fields.end() && stored->second == json(true);
          return ticked == wanted;
        };
        break;
      }
      default:
        RecordFailure(fmt::format("planfix: task filter type {} is not modelled", type));
        return Fail(500, 0, "Rest API error");
    }
    const bool negate = op == "notequal";
    std::vector<const FakeTask*> kept;
    for (const auto* task : matched) {
      if (test(*task) != negate) kept.push_back(task);
    }
    matched = std::move(kept);
  }
  json tasks = json::array();
  const std::string fields = body.value("fields", std::string());
  for (long long i = offset; i < offset + page_size && i < static_cast<long long>(matched.size());
       ++i) {
    tasks.push_back(TaskJson(*matched[static_cast<std::size_t>(i)], fields));
  }
  return Success(200, {{"tasks", tasks}});
}

FakeResponse FakePlanfix::GetContactFields(const FakeRequest&, const json&) {
  json fields = json::array();
  for (const auto& [id, field] : contact_fields_) {
    fields.push_back({{"id", id},
                      {"name", field.name},
                      {"type", field.type},
                      {"objectType", 1},
                      {"enumValues", field.enum_values}});
  }
  return Success(200, {{"customfields", fields}});
}

FakeResponse FakePlanfix::GetTaskFields(const FakeRequest&, const json&) {
  json fields = json::array();
  for (const auto& [id, field] : task_fields_) {
    fields.push_back({{"id", id},
                      {"name", field.name},
                      {"type", field.type},
                      {"objectType", 0},
                      {"enumValues", field.enum_values}});
  }
  return Success(200, {{"customfields", fields}});
}

FakeResponse FakePlanfix::AddDataTagEntries(const FakeRequest& request, const json& body) {
  const long long task_id = std::stoll(request.captures.at(0));
  if (tasks_.count(task_id) == 0) {
    return Fail(404, 1000, fmt::format("Task not found by id {}", task_id));
  }
  long long tag_id = 0;
  if (!IdObject(body, "dataTag", tag_id)) return Fail(400, 40, "Parameter dataTag is required");
  if (tag_id < 0) return Fail(400, 41, "dataTag must be {\"id\": number}");
  const auto tag = data_tags_.find(tag_id);
  if (tag == data_tags_.end()) {
    return Fail(400, 6000, fmt::format("Data tag not found by id {}", tag_id));
  }
  if (!body.contains("items") || !body["items"].is_array() || body["items"].empty()) {
    return Fail(400, 40, "Parameter items is required");
  }
  std::vector<std::map<long long, json>> items;
  for (const auto& item : body["items"]) {
    if (!item.is_object() || !item.contains("customFieldData")) {
      return Fail(400, 6001, "Error add entry: each item needs customFieldData");
    }
    std::string structural;
    std::map<long long, json> accepted;
    auto problems =
        CheckCustomFieldData(item["customFieldData"], tag->second.fields, structural, accepted);
    if (!structural.empty()) return Fail(400, 6001, "Error add entry: " + structural);
    if (!problems.empty()) return Fail(400, 6001, "Error add entry: " + JoinProblems(problems));
    items.push_back(std::move(accepted));
  }
  FakeComment comment;
  comment.id = next_comment_id_++;
  comment.task_id = task_id;
  comments_.push_back(comment);
  json keys = json::array();
  for (auto& fields : items) {
    FakeDataTagEntry entry;
    entry.key = next_entry_key_++;
    entry.data_tag_id = tag_id;
    entry.task_id = task_id;
    entry.comment_id = comment.id;
    entry.custom_fields = std::move(fields);
    keys.push_back(entry.key);
    entries_.push_back(std::move(entry));
  }
  return Success(201, {{"keys", keys}, {"commentId", comment.id}});
}

namespace {

// "dd-MM-yyyy" as a comparable number yyyymmdd; 0 when not a date.
long long DateKey(const json& value) {
  if (!ValidDate(value)) return 0;
  const std::string text = value.get<std::string>();
  return std::stoll(text.substr(6, 4)) * 10000 + std::stoll(text.substr(3, 2)) * 100 +
         std::stoll(text.substr(0, 2));
}

// The date a stored date (3), date-time (5) or date-with-time-frame (28) value starts on.
long long StoredDateKey(const json& stored) {
  if (!stored.is_object()) return 0;
  if (stored.contains("date")) return DateKey(stored["date"]);
  if (stored.contains("from") && stored["from"].is_object() && stored["from"].contains("date")) {
    return DateKey(stored["from"]["date"]);
  }
  return 0;
}

}  // namespace

json FakePlanfix::EntryJson(const FakeDataTagEntry& entry,
                            const std::vector<std::string>& names) const {
  const auto tag = data_tags_.find(entry.data_tag_id);
  json out = {{"key", entry.key}};
  for (const auto& name : names) {
    if (name == "dataTag") {
      out["dataTag"] = {{"id", entry.data_tag_id},
                        {"name", tag == data_tags_.end() ? std::string() : tag->second.name}};
    } else if (name == "commentId") {
      out["commentId"] = entry.comment_id;
    } else if (name == "task") {
      const auto task = tasks_.find(entry.task_id);
      out["task"] = {{"id", entry.task_id},
                     {"name", task == tasks_.end() ? std::string() : task->second.name}};
    } else if (IsDigits(name) && tag != data_tags_.end()) {
      const long long field_id = std::stoll(name);
      const auto field = tag->second.fields.find(field_id);
      const auto value = entry.custom_fields.find(field_id);
      if (field == tag->second.fields.end() || value == entry.custom_fields.end()) continue;
      if (!out.contains("customFieldData")) out["customFieldData"] = json::array();
      out["customFieldData"].push_back(CustomFieldJson(field->second, 4, value->second));
    }
  }
  return out;
}

FakeResponse FakePlanfix::ListDataTagEntries(const FakeRequest& request, const json& body) {
  const long long tag_id = std::stoll(request.captures.at(0));
  const auto tag = data_tags_.find(tag_id);
  if (tag == data_tags_.end()) {
    return Fail(400, 6000, fmt::format("Data tag not found by id {}", tag_id));
  }
  long long offset = 0;
  long long page_size = 0;
  std::string error;
  if (!ParsePaging(body, offset, page_size, error)) return Fail(400, 41, error);
  std::optional<long long> task_filter;
  if (body.contains("taskId")) {
    if (!body["taskId"].is_number_integer()) return Fail(400, 41, "taskId must be a number");
    task_filter = body["taskId"].get<long long>();
  }
  const bool contact_filter = body.contains("contactId");  // entries here hang off tasks only
  // Filters (ComplexDataTagFilter): each needs type, field, operator and value. The sandbox
  // models the two the service uses: 3101, a date field in a range of dates, and 3104, an
  // employee field equal to "user:N".
  std::vector<std::function<bool(const FakeDataTagEntry&)>> tests;
  const json filters = body.value("filters", json::array());
  if (!filters.is_array()) return Fail(400, 41, "filters must be an array");
  for (const auto& filter : filters) {
    // The spec's own examples of task-level filters (12, 51, 5, ...) carry no field: judge
    // the type first, so they are refused loudly as not modelled rather than as malformed.
    if (filter.is_object() && filter.contains("type") && filter["type"].is_number_integer() &&
        filter["type"] != 3101 && filter["type"] != 3104) {
      RecordFailure(fmt::format("planfix: data tag entry filter type {} is not modelled",
                                filter["type"].get<int>()));
      return Fail(500, 0, "Rest API error");
    }
    if (!filter.is_object() || !filter.contains("type") || !filter["type"].is_number_integer() ||
        !filter.contains("field") || !filter["field"].is_number_integer() ||
        !filter.contains("operator") || !filter["operator"].is_string() ||
        !filter.contains("value")) {
      return Fail(400, 40, "Each filter needs type, field, operator and value");
    }
    const int type = filter["type"].get<int>();
    const long long field_id = filter["field"].get<long long>();
    const std::string op = filter["operator"].get<std::string>();
    if (op != "equal" && op != "notequal" && op != "gt" && op != "lt") {
      return Fail(400, 41, fmt::format("Unknown filter operator '{}'", op));
    }
    const auto field = tag->second.fields.find(field_id);
    if (field == tag->second.fields.end()) {
      return Fail(400, 41, fmt::format("Field {} is not a field of data tag {}", field_id, tag_id));
    }
    const json& value = filter["value"];
    if (type == 3101) {
      if (field->second.type != 3 && field->second.type != 5 && field->second.type != 28) {
        return Fail(400, 41, fmt::format("Filter 3101 needs a date field, {} is not", field_id));
      }
      if (op != "equal" || !value.is_object() || value.value("dateType", "") != "otherRange") {
        RecordFailure(
            fmt::format("planfix: date filter {} is not modelled (only equal with "
                        "dateType otherRange)",
                        value.dump()));
        return Fail(500, 0, "Rest API error");
      }
      const long long from = DateKey(value.value("dateFrom", json()));
      const long long to = DateKey(value.value("dateTo", json()));
      if (from == 0 || to == 0) {
        return Fail(400, 41, "dateFrom and dateTo must be dates (dd-MM-yyyy)");
      }
      tests.emplace_back([field_id, from, to](const FakeDataTagEntry& entry) {
        const auto stored = entry.custom_fields.find(field_id);
        if (stored == entry.custom_fields.end()) return false;
        const long long date = StoredDateKey(stored->second);
        return date != 0 && date >= from && date <= to;
      });
    } else if (type == 3104) {
      if (field->second.type != 11) {
        return Fail(400, 41,
                    fmt::format("Filter 3104 needs an employee field, {} is not", field_id));
      }
      if ((op != "equal" && op != "notequal") || !ValidPrefixedId(value, {"user"}, false)) {
        return Fail(400, 41, "Filter 3104 takes equal or notequal and \"user:N\"");
      }
      const bool negate = op == "notequal";
      tests.emplace_back([field_id, value, negate](const FakeDataTagEntry& entry) {
        const auto stored = entry.custom_fields.find(field_id);
        const bool same = stored != entry.custom_fields.end() && Matches(stored->second, value);
        return same != negate;
      });
    } else {
      RecordFailure(fmt::format("planfix: data tag entry filter type {} is not modelled", type));
      return Fail(500, 0, "Rest API error");
    }
  }
  std::vector<const FakeDataTagEntry*> matched;
  for (const auto& entry : entries_) {
    if (entry.data_tag_id != tag_id || contact_filter) continue;
    if (task_filter && entry.task_id != *task_filter) continue;
    if (!std::all_of(tests.begin(), tests.end(), [&](const auto& test) { return test(entry); }))
      continue;
    matched.push_back(&entry);
  }
  std::vector<std::string> names = SplitFields(body.value("fields", std::string()));
  if (names.empty()) names = {"dataTag", "key"};
  json list = json::array();
  for (long long i = offset; i < offset + page_size && i < static_cast<long long>(matched.size());
       ++i) {
    list.push_back(EntryJson(*matched[static_cast<std::size_t>(i)], names));
  }
  return Success(200, {{"dataTagEntries", list}});
}

FakeResponse FakePlanfix::GetDataTagEntry(const FakeRequest& request, const json&) {
  const long long key = std::stoll(request.captures.at(0));
  for (const auto& entry : entries_) {
    if (entry.key != key) continue;
    std::vector<std::string> names = SplitFields(request.Query("fields"));
    if (names.empty()) names = {"dataTag", "key"};
    return Success(200, {{"entry", EntryJson(entry, names)}});
  }
  // The spec's own example: a missing entry is a 400 with code 6000.
  return WorldStateAnswer(Fail(400, 6000, fmt::format("Entry not found by key - {}", key)));
}

FakeResponse FakePlanfix::UpdateDataTagEntry(const FakeRequest& request, const json& body) {
  const long long key = std::stoll(request.captures.at(0));
  const auto entry = std::find_if(entries_.begin(), entries_.end(),
                                  [&](const FakeDataTagEntry& e) { return e.key == key; });
  if (entry == entries_.end()) {
    return WorldStateAnswer(Fail(400, 6000, fmt::format("Entry not found by key - {}", key)));
  }
  if (!body.contains("customFieldData"))
    return Fail(400, 40, "Parameter customFieldData is required");
  std::string structural;
  std::map<long long, json> accepted;
  auto problems = CheckCustomFieldData(
      body["customFieldData"], data_tags_.at(entry->data_tag_id).fields, structural, accepted);
  if (!structural.empty()) return Fail(400, 6002, "Update error: " + structural);
  if (!problems.empty()) return Fail(400, 6002, "Update error: " + JoinProblems(problems));
  for (auto& [field_id, value] : accepted) entry->custom_fields[field_id] = std::move(value);
  return Success(200);
}

FakeResponse FakePlanfix::DeleteDataTagEntryRoute(const FakeRequest& request, const json&) {
  const long long key = std::stoll(request.captures.at(0));
  const auto entry = std::find_if(entries_.begin(), entries_.end(),
                                  [&](const FakeDataTagEntry& e) { return e.key == key; });
  if (entry == entries_.end()) {
    return WorldStateAnswer(Fail(400, 6000, fmt::format("Entry not found by key - {}", key)));
  }
  entries_.erase(entry);
  return Success(200);
}

FakeResponse FakePlanfix::GetDataTag(const FakeRequest& request, const json&) {
  const long long tag_id = std::stoll(request.captures.at(0));
  const auto tag = data_tags_.find(tag_id);
  if (tag == data_tags_.end()) {
    return WorldStateAnswer(Fail(404, 6000, fmt::format("Data tag not found by id {}", tag_id)));
  }
  json out = {{"id", tag_id}};
  std::vector<std::string> names = SplitFields(request.Query("fields"));
  if (names.empty()) names = {"id", "name"};
  for (const auto& name : names) {
    if (name == "name") out["name"] = tag->second.name;
    if (name == "fields") {
      out["fields"] = json::array();
      for (const auto& [id, field] : tag->second.fields) {
        out["fields"].push_back(
            {{"id", id}, {"name", field.name}, {"type", field.type}, {"objectType", 4}});
      }
    }
  }
  return Success(200, {{"dataTag", out}});
}

FakeResponse FakePlanfix::GetDataTagFields(const FakeRequest& request, const json&) {
  const long long tag_id = std::stoll(request.captures.at(0));
  const auto tag = data_tags_.find(tag_id);
  // The spec documents only a 500 for this call; an unknown tag answers as Planfix's other
  // data-tag calls do.
  if (tag == data_tags_.end()) {
    return WorldStateAnswer(Fail(400, 6000, fmt::format("Data tag not found by id {}", tag_id)));
  }
  json fields = json::array();
  for (const auto& [id, field] : tag->second.fields) {
    fields.push_back({{"id", id},
                      {"name", field.name},
                      {"type", field.type},
                      {"objectType", 4},
                      {"enumValues", field.enum_values}});
  }
  return Success(200, {{"customfields", fields}});
}

}  // namespace planfix_flow::sandbox
