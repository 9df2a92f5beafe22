#include "planfix_flow/planfix/planfix_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <optional>

#include "planfix_flow/core/log.h"
#include "planfix_flow/core/parse.h"
#include "planfix_flow/core/utf8.h"

namespace planfix_flow::planfix {

using nlohmann::json;

namespace {

constexpr int kMaxPageSize = 100;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string JoinIds(const std::vector<long long>& ids) {
  std::string joined;
  for (long long id : ids) {
    if (!joined.empty()) joined += ',';
    joined += std::to_string(id);
  }
  return joined;
}

core::Error WithCode(core::ErrorCode code, std::string message, int remote_code) {
  core::Error error = core::MakeError(code, std::move(message));
  error.remote_code = remote_code;
  return error;
}

std::chrono::seconds UntilNextUtcMidnight(core::TimePoint now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  constexpr long long kDay = 24LL * 60 * 60;
  const long long into_day = ((seconds.count() % kDay) + kDay) % kDay;
  return std::chrono::seconds(kDay - into_day);
}

// Planfix answers ids as numbers; person ids ("user:5") as strings; be lenient either way.
long long AsId(const json& value) {
  if (value.is_number_integer()) return value.get<long long>();
  if (value.is_number()) return static_cast<long long>(value.get<double>());
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    const std::size_t colon = text.find(':');
    // "contact:12" or "12"; "12abc" is no id.
    return core::ParseId(colon == std::string::npos ? std::string_view(text)
                                                    : std::string_view(text).substr(colon + 1))
        .value_or(0);
  }
  return 0;
}

std::string AsPersonId(const json& value, std::string_view default_prefix) {
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    return text.find(':') == std::string::npos ? std::string(default_prefix) + ":" + text : text;
  }
  if (value.is_number_integer()) {
    return std::string(default_prefix) + ":" + std::to_string(value.get<long long>());
  }
  return {};
}

std::string StringField(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

// The spec's catalogue declares types as strings like "0 // Line"; real answers are numbers.
FieldType AsFieldType(const json& value) {
  if (value.is_number_integer()) return static_cast<FieldType>(value.get<int>());
  if (value.is_string()) {
    try {
      return static_cast<FieldType>(std::stoi(value.get<std::string>()));
    } catch (const std::exception&) {
    }
  }
  return FieldType::kLine;
}

std::vector<CustomFieldValue> ParseCustomFieldData(const json& object) {
  std::vector<CustomFieldValue> values;
  const auto it = object.find("customFieldData");
  if (it == object.end() || !it->is_array()) return values;
  for (const auto& entry : *it) {
    if (!entry.is_object() || !entry.contains("field")) continue;
    const json& field = entry["field"];
    CustomFieldValue value;
    value.field_id = AsId(field.value("id", json()));
    value.field_name = StringField(field, "name");
    if (field.contains("type")) value.field_type = AsFieldType(field["type"]);
    value.value = entry.value("value", json());
    values.push_back(std::move(value));
  }
  return values;
}

json EncodeCustomFieldData(const std::vector<CustomFieldValue>& values) {
  json data = json::array();
  for (const auto& value : values) {
    data.push_back({{"field", {{"id", value.field_id}}}, {"value", value.value}});
  }
  return data;
}

Task ParseTask(const json& object) {
  Task task;
  task.id = AsId(object.value("id", json()));
  task.name = StringField(object, "name");
  task.description = StringField(object, "description");
  if (object.contains("status") && object["status"].is_object()) {
    TaskStatus status;
    status.id = AsId(object["status"].value("id", json()));
    status.name = StringField(object["status"], "name");
    status.is_active = object["status"].value("isActive", true);
    task.status = status;
  }
  if (object.contains("processId")) task.process_id = AsId(object["processId"]);
  if (object.contains("project") && object["project"].is_object()) {
    task.project_id = AsId(object["project"].value("id", json()));
  }
  if (object.contains("counterparty") && object["counterparty"].is_object()) {
    task.counterparty_id = AsPersonId(object["counterparty"].value("id", json()), "contact");
  }
  if (object.contains("assigner") && object["assigner"].is_object()) {
    task.assigner_id = AsPersonId(object["assigner"].value("id", json()), "user");
  }
  if (object.contains("assignees") && object["assignees"].is_object()) {
    for (const auto& user : object["assignees"].value("users", json::array())) {
      if (user.is_object())
        task.assignee_ids.push_back(AsPersonId(user.value("id", json()), "user"));
    }
  }
  task.custom_fields = ParseCustomFieldData(object);
  if (object.contains("template") && object["template"].is_object()) {
    const long long id = AsId(object["template"].value("id", json()));
    if (id > 0) task.template_id = id;
  }
  if (object.contains("parent") && object["parent"].is_object()) {
    const long long id = AsId(object["parent"].value("id", json()));
    if (id > 0) task.parent_id = id;
  }
  task.is_deleted = object.value("isDeleted", json(false)) == json(true);
  return task;
}

Contact ParseContact(const json& object) {
  Contact contact;
  contact.id = AsId(object.value("id", json()));
  contact.name = StringField(object, "name");
  contact.lastname = StringField(object, "lastname");
  contact.email = StringField(object, "email");
  contact.telegram = StringField(object, "telegram");
  if (object.contains("telegramId")) {
    const json& telegram_id = object["telegramId"];
    contact.telegram_id = telegram_id.is_string()   ? telegram_id.get<std::string>()
                          : telegram_id.is_number() ? telegram_id.dump()
                                                    : std::string();
  }
  if (object.contains("phones") && object["phones"].is_array()) {
    for (const auto& phone : object["phones"]) {
      if (!phone.is_object()) continue;
      contact.phones.push_back(Phone{StringField(phone, "number"), phone.value("type", 1)});
    }
  }
  contact.custom_fields = ParseCustomFieldData(object);
  return contact;
}

std::vector<CustomFieldDefinition> ParseCatalogue(const json& list) {
  std::vector<CustomFieldDefinition> fields;
  if (!list.is_array()) return fields;
  for (const auto& entry : list) {
    if (!entry.is_object()) continue;
    CustomFieldDefinition field;
    field.id = AsId(entry.value("id", json()));
    field.name = StringField(entry, "name");
    field.type = AsFieldType(entry.value("type", json(0)));
    for (const auto& option : entry.value("enumValues", json::array())) {
      if (option.is_string()) field.enum_values.push_back(option.get<std::string>());
    }
    fields.push_back(std::move(field));
  }
  return fields;
}

// "contact:12" and "12" both name contact 12; anything else is refused before a call is made.
core::Result<std::string> ContactPathId(const std::string& id) {
  std::string digits = id;
  if (digits.rfind("contact:", 0) == 0) digits = digits.substr(8);
  if (digits.empty() || digits.size() > 18 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return core::Fail(
        core::ErrorCode::kInvalidInput,
        fmt::format("\"{}\" is not a contact id (12 or contact:12)", core::Utf8Prefix(id, 40)));
  }
  return digits;
}

std::string PrefixedContact(const std::string& id) {
  return id.find(':') == std::string::npos ? "contact:" + id : id;
}

// `failures` per the spec is an array of {field, error}; the spec's own example is a bare
// object, so accept both.
std::vector<FieldFailure> ParseFailures(const json& failures) {
  std::vector<json> list;
  if (failures.is_array()) {
    list.assign(failures.begin(), failures.end());
  } else if (failures.is_object() && !failures.empty()) {
    list.push_back(failures);
  }
  std::vector<FieldFailure> parsed;
  for (const auto& failure : list) {
    const json field = failure.is_object() ? failure.value("field", json()) : json();
    const json error = failure.is_object() ? failure.value("error", json()) : json();
    parsed.push_back(FieldFailure{field.is_string() ? field.get<std::string>() : field.dump(),
                                  error.is_string() ? error.get<std::string>() : error.dump()});
  }
  return parsed;
}

// Retry-After in delay-seconds (RFC 9110), at least 1 s and at most a day; an HTTP-date or
// garbage is ignored.
std::optional<std::chrono::seconds> RetryAfter(const http::Headers& headers) {
  const auto it = headers.find("Retry-After");
  if (it == headers.end()) return std::nullopt;
  return core::ParseRetryAfter(it->second);
}

}  // namespace

std::string DescribeFailures(const std::vector<FieldFailure>& failures) {
  std::string text;
  for (const auto& failure : failures) {
    if (!text.empty()) text += "; ";
    text += fmt::format("{}: {}", failure.field, failure.error);
  }
  return text;
}

core::Error MapPlanfixError(int http_status, const std::string& body, const std::string& operation,
                            const std::string& scope, core::TimePoint now,
                            const http::Headers& headers) {
  int code = 0;
  std::string text;
  bool planfix_envelope = false;
  const json parsed = json::parse(body, nullptr, false);
  if (parsed.is_object() && parsed.value("result", "") == "fail") {
    planfix_envelope = true;
    if (parsed.contains("code") && parsed["code"].is_number_integer())
      code = parsed["code"].get<int>();
    text = StringField(parsed, "error");
  }
  const std::string detail = text.empty() ? fmt::format("HTTP {}", http_status)
                                          : fmt::format("HTTP {}, code {}: {}", http_status, code,
                                                        core::Utf8Prefix(text, 300));
  const std::string lower = Lower(text);
  const bool mentions_rate = lower.find("rate limit") != std::string::npos ||
                             lower.find("too many requests") != std::string::npos ||
                             lower.find("requests per second") != std::string::npos;
  const auto make = [&](core::ErrorCode error_code, const std::string& message) {
    return WithCode(error_code, message, code != 0 ? code : http_status);
  };
  const std::string what = fmt::format("Planfix {} failed ({})", operation, detail);

  if (code == 22) {
    core::Error error =
        make(core::ErrorCode::kQuotaExhausted,
             fmt::format("Planfix daily request quota is spent; {} ({})", operation, detail));
    error.retry_after = UntilNextUtcMidnight(now);
    return error;
  }
  if (http_status == 429 || mentions_rate) {
    core::Error error = make(core::ErrorCode::kRateLimited,
                             fmt::format("Planfix rate limit hit on {} ({})", operation, detail));
    error.retry_after = RetryAfter(headers).value_or(std::chrono::seconds(1));
    return error;
  }
  if (code == 1 || code == 2 || (http_status == 401 && code == 0)) {
    return make(core::ErrorCode::kUnauthorized,
                fmt::format("Planfix rejected the token on {} ({})", operation, detail));
  }
  if (code == 5 || (http_status == 405 && !planfix_envelope)) {
    return make(core::ErrorCode::kUnauthorized,
                fmt::format("Planfix token lacks the scope {} needed to {} ({})", scope, operation,
                            detail));
  }
  if (code == 3) return make(core::ErrorCode::kConflict, what);
  if (code == 6) return make(core::ErrorCode::kPermanent, what);
  if (code == 30 || code == 40 || code == 41) return make(core::ErrorCode::kInvalidInput, what);
  // 7000: "File not found by id" (the spec's answer of /file/{id} and /file/{id}/download).
  if (code == 1000 || code == 2000 || code == 3000 || code == 4000 || code == 5000 ||
      code == 6000 || code == 7000) {
    return make(core::ErrorCode::kNotFound, what);
  }
  if (code == 6001 || code == 6002) return make(core::ErrorCode::kInvalidInput, what);
  if ((code > 5000 && code <= 5002) || (code > 6002 && code <= 6013)) {
    return make(core::ErrorCode::kPermanent, what);
  }
  if (http_status >= 500) return make(core::ErrorCode::kUnavailable, what);
  if (http_status == 401) return make(core::ErrorCode::kUnauthorized, what);
  if (http_status == 404 && !planfix_envelope) {
    return make(core::ErrorCode::kPermanent,
                fmt::format("{}; a 404 without a Planfix error body: check base_url", what));
  }
  if (http_status == 404) return make(core::ErrorCode::kNotFound, what);
  if (http_status >= 400 || planfix_envelope) return make(core::ErrorCode::kPermanent, what);
  return make(core::ErrorCode::kInternal,
              fmt::format("Planfix {}: unexpected answer ({})", operation, detail));
}

struct PlanfixClient::Call {
  std::string method;
  std::string path;  // with the query string
  json body;         // null for GET
  std::string operation;
  std::string scope;
};

struct PlanfixClient::Answer {
  int status = 0;
  json body;  // null for an empty 202
};

PlanfixClient::PlanfixClient(http::HttpClient& http, core::Clock& clock, PlanfixOptions options)
    : http_(http), clock_(clock), options_(std::move(options)) {
  base_url_ = options_.base_url;
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  if (options_.pacer == nullptr) own_pacer_ = std::make_unique<core::Pacer>(clock_);
  pacer_ = options_.pacer != nullptr ? options_.pacer : own_pacer_.get();
}

core::Result<http::HttpResponse> PlanfixClient::Exchange(const Call& call, std::size_t max_bytes,
                                                         const std::string& accept) {
  const std::string pacer_key = "planfix:" + base_url_;
  // Planfix counts requests as they arrive: one call at a time, each `min_interval` after the
  // previous answer (see Pacer::Turn), so jitter never brings two closer than the limit.
  std::optional<core::Pacer::Turn> turn;
  if (options_.min_interval.count() > 0) {
    turn.emplace(pacer_->TakeTurn(pacer_key, options_.min_interval));
  }
  http::HttpRequest request;
  request.method = call.method;
  request.url = base_url_ + call.path;
  request.headers["Authorization"] = "Bearer " + options_.token;
  request.headers["Accept"] = accept;
  if (!call.body.is_null()) {
    request.headers["Content-Type"] = "application/json";
    request.body = call.body.dump();
  }
  request.timeout = options_.timeout;
  request.max_response_bytes = max_bytes;
  auto logger = core::Logger("planfix");
  logger->debug("call={} method={} path={}", call.operation, call.method, call.path);

  auto response = http_.Send(request);
  if (!response) {
    core::Error error = response.error();
    error.message = fmt::format("Planfix {}: {}", call.operation, error.message);
    logger->warn("call={} error={}", call.operation, core::ToString(error.code));
    return core::Fail(std::move(error));
  }
  RecordQuota(response->headers);
  return response;
}

core::Error PlanfixClient::Refusal(const Call& call, const http::HttpResponse& response) {
  core::Error error = MapPlanfixError(response.status, response.body, call.operation, call.scope,
                                      clock_.Now(), response.headers);
  if (error.code == core::ErrorCode::kRateLimited && error.retry_after) {
    pacer_->Pause("planfix:" + base_url_, clock_.Now() + *error.retry_after);
  }
  if (error.code == core::ErrorCode::kQuotaExhausted && options_.metrics != nullptr) {
    options_.metrics
        ->GetCounter("planfix_flow_planfix_quota_exhausted_total",
                     "Planfix answers saying the account's daily request quota is spent")
        .Increment();
  }
  core::Logger("planfix")->warn("call={} status={} error={} remote_code={}", call.operation,
                                response.status, core::ToString(error.code), error.remote_code);
  return error;
}

core::Result<PlanfixClient::Answer> PlanfixClient::Perform(const Call& call) {
  auto response = Exchange(call, 0, "application/json");
  if (!response) return core::Fail(response.error());
  Answer answer;
  answer.status = response->status;
  if (response->status == 202) return answer;  // queued: accepted, body (if any) irrelevant
  if (response->status >= 200 && response->status < 300) {
    answer.body = json::parse(response->body, nullptr, false);
    if (answer.body.is_object() && answer.body.value("result", "") != "fail") return answer;
    if (!answer.body.is_object() || answer.body.is_discarded()) {
      return core::Fail(WithCode(core::ErrorCode::kInternal,
                                 fmt::format("Planfix {}: answer is not a JSON object (HTTP {})",
                                             call.operation, response->status),
                                 response->status));
    }
  }
  return core::Fail(Refusal(call, *response));
}

void PlanfixClient::RecordQuota(const http::Headers& headers) {
  if (options_.metrics == nullptr) return;
  const auto it = headers.find("X-RateLimit-Remaining");
  if (it == headers.end()) return;
  long long remaining = 0;
  const std::string& text = it->second;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), remaining);
  if (error != std::errc() || end != text.data() + text.size() || remaining < 0) return;
  options_.metrics
      ->GetGauge("planfix_flow_planfix_requests_remaining",
                 "Planfix requests left today for the account (Planfix's approximate "
                 "X-RateLimit-Remaining of the last answer)")
      .Set(static_cast<double>(remaining));
}

core::Status PlanfixClient::Ping() {
  auto answer = Perform(Call{"GET", "/ping", json(), "ping", "(any)"});
  if (!answer) return core::Fail(answer.error());
  return core::Ok();
}

core::Result<Task> PlanfixClient::GetTask(long long number,
                                          const std::vector<long long>& custom_field_ids) {
  std::string fields =
      "id,name,description,status,processId,project,counterparty,assigner,assignees,template,"
      "parent,isDeleted";
  if (!custom_field_ids.empty()) fields += "," + JoinIds(custom_field_ids);
  auto answer =
      Perform(Call{"GET", fmt::format("/task/{}?fields={}", number, http::UrlEncode(fields)),
                   json(), fmt::format("get task {}", number), "task_readonly"});
  if (!answer) return core::Fail(answer.error());
  if (!answer->body.contains("task") || !answer->body["task"].is_object()) {
    return core::Fail(core::ErrorCode::kInternal, "Planfix get task: answer has no \"task\"");
  }
  return ParseTask(answer->body["task"]);
}

namespace {

UpdateResult ToUpdateResult(int status, const json& body, const std::string& operation) {
  UpdateResult result;
  result.queued = status == 202;
  if (!result.queued && body.is_object() && body.contains("failures")) {
    result.failures = ParseFailures(body["failures"]);
  }
  if (!result.failures.empty()) {
    core::Logger("planfix")->warn("call={} outcome=partly_refused failures=\"{}\"", operation,
                                  DescribeFailures(result.failures));
  }
  return result;
}

}  // namespace

core::Result<UpdateResult> PlanfixClient::UpdateTask(long long number, const TaskUpdate& update) {
  json body = json::object();
  if (update.status_id) body["status"] = {{"id", *update.status_id}};
  if (update.name) body["name"] = *update.name;
  if (!update.custom_fields.empty())
    body["customFieldData"] = EncodeCustomFieldData(update.custom_fields);
  if (body.empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput, "Planfix update task: nothing to change");
  }
  const std::string operation = fmt::format("update task {}", number);
  auto answer =
      Perform(Call{"POST", fmt::format("/task/{}{}", number, update.silent ? "?silent=true" : ""),
                   body, operation, "task_update"});
  if (!answer) return core::Fail(answer.error());
  return ToUpdateResult(answer->status, answer->body, operation);
}

core::Result<long long> PlanfixClient::CreateTask(const TaskCreate& task) {
  if (task.name.empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput, "Planfix create task: name is required");
  }
  json body = {{"name", task.name}};
  if (!task.description.empty()) body["description"] = task.description;
  if (task.template_id) body["template"] = {{"id", *task.template_id}};
  if (task.project_id) body["project"] = {{"id", *task.project_id}};
  if (task.process_id) body["processId"] = *task.process_id;
  if (task.status_id) body["status"] = {{"id", *task.status_id}};
  if (!task.counterparty_id.empty())
    body["counterparty"] = {{"id", PrefixedContact(task.counterparty_id)}};
  if (!task.assigner_id.empty()) body["assigner"] = {{"id", task.assigner_id}};
  if (!task.assignee_ids.empty()) {
    json users = json::array();
    for (const auto& id : task.assignee_ids) users.push_back({{"id", id}});
    body["assignees"] = {{"users", users}};
  }
  if (!task.custom_fields.empty())
    body["customFieldData"] = EncodeCustomFieldData(task.custom_fields);
  auto answer = Perform(Call{"POST", "/task/", body, "create task", "task_add"});
  if (!answer) return core::Fail(answer.error());
  if (!answer->body.contains("id")) {
    return core::Fail(core::ErrorCode::kInternal, "Planfix create task: answer has no \"id\"");
  }
  return AsId(answer->body["id"]);
}

core::Result<std::vector<TaskStatus>> PlanfixClient::GetProcessStatuses(long long process_id) {
  auto answer =
      Perform(Call{"GET",
                   fmt::format("/process/task/{}/statuses?fields={}", process_id,
                               http::UrlEncode("id,name,isActive")),
                   json(), fmt::format("get statuses of process {}", process_id), "task_readonly"});
  if (!answer) return core::Fail(answer.error());
  std::vector<TaskStatus> statuses;
  for (const auto& entry : answer->body.value("statuses", json::array())) {
    if (!entry.is_object()) continue;
    statuses.push_back(TaskStatus{AsId(entry.value("id", json())), StringField(entry, "name"),
                                  entry.value("isActive", true)});
  }
  return statuses;
}

core::Result<long long> PlanfixClient::AddComment(long long task_number, const Comment& comment) {
  if (comment.description.empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput, "Planfix add comment: empty description");
  }
  json body = {{"description", comment.description}, {"isHidden", comment.is_hidden}};
  if (!comment.recipient_ids.empty() || !comment.recipient_roles.empty()) {
    json recipients = json::object();
    if (!comment.recipient_ids.empty()) {
      json users = json::array();
      for (const auto& id : comment.recipient_ids) users.push_back({{"id", id}});
      recipients["users"] = users;
    }
    if (!comment.recipient_roles.empty()) recipients["roles"] = comment.recipient_roles;
    body["recipients"] = recipients;
  }
  auto answer = Perform(
      Call{"POST",
           fmt::format("/task/{}/comments/{}", task_number, comment.silent ? "?silent=true" : ""),
           body, fmt::format("comment task {}", task_number), "comment_add"});
  if (!answer) return core::Fail(answer.error());
  if (!answer->body.contains("id")) {
    return core::Fail(core::ErrorCode::kInternal, "Planfix add comment: answer has no \"id\"");
  }
  return AsId(answer->body["id"]);
}

core::Result<Contact> PlanfixClient::GetContact(const std::string& id,
                                                const std::vector<long long>& custom_field_ids) {
  auto path_id = ContactPathId(id);
  if (!path_id) return core::Fail(path_id.error());
  std::string fields = "id,name,lastname,email,phones,telegram,telegramId";
  if (!custom_field_ids.empty()) fields += "," + JoinIds(custom_field_ids);
  auto answer =
      Perform(Call{"GET", fmt::format("/contact/{}?fields={}", *path_id, http::UrlEncode(fields)),
                   json(), fmt::format("get contact {}", *path_id), "contact_readonly"});
  if (!answer) return core::Fail(answer.error());
  if (!answer->body.contains("contact") || !answer->body["contact"].is_object()) {
    return core::Fail(core::ErrorCode::kInternal, "Planfix get contact: answer has no \"contact\"");
  }
  return ParseContact(answer->body["contact"]);
}

core::Result<UpdateResult> PlanfixClient::UpdateContact(const std::string& id,
                                                        const ContactUpdate& update) {
  auto path_id = ContactPathId(id);
  if (!path_id) return core::Fail(path_id.error());
  json body = json::object();
  if (update.email) body["email"] = *update.email;
  if (update.telegram) body["telegram"] = *update.telegram;
  if (update.telegram_id) body["telegramId"] = *update.telegram_id;
  if (update.phones) {
    json phones = json::array();
    for (const auto& phone : *update.phones) {
      phones.push_back({{"number", phone.number}, {"type", phone.type}});
    }
    body["phones"] = phones;
  }
  if (!update.custom_fields.empty())
    body["customFieldData"] = EncodeCustomFieldData(update.custom_fields);
  if (body.empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput, "Planfix update contact: nothing to change");
  }
  const std::string operation = fmt::format("update contact {}", *path_id);
  auto answer = Perform(
      Call{"POST", fmt::format("/contact/{}{}", *path_id, update.silent ? "?silent=true" : ""),
           body, operation, "contact_update"});
  if (!answer) return core::Fail(answer.error());
  return ToUpdateResult(answer->status, answer->body, operation);
}

namespace {

// POST /contact/list and /task/list: the same filters and offset paging. `fetch` posts one
// page's body and returns the answer's body; `parse` reads one entry.
template <typename Item, typename Filter, typename Fetch, typename Parse>
core::Result<std::vector<Item>> ListAllPages(const std::vector<Filter>& query_filters,
                                             const std::string& fields, int requested_page_size,
                                             std::size_t max_results, std::string_view list_key,
                                             std::string_view what, Fetch fetch, Parse parse) {
  const int page_size = std::clamp(requested_page_size, 1, kMaxPageSize);
  json filters = json::array();
  for (const auto& filter : query_filters) {
    json entry = {{"type", filter.type}, {"operator", filter.op}, {"value", filter.value}};
    if (filter.field) entry["field"] = *filter.field;
    filters.push_back(std::move(entry));
  }
  std::vector<Item> items;
  for (std::size_t offset = 0;; offset += static_cast<std::size_t>(page_size)) {
    json body = {{"offset", offset}, {"pageSize", page_size}, {"fields", fields}};
    if (!filters.empty()) body["filters"] = filters;
    auto answer = fetch(std::move(body));
    if (!answer) return core::Fail(answer.error());
    const json page = answer->value(std::string(list_key), json::array());
    if (!page.is_array()) {
      return core::Fail(core::ErrorCode::kInternal,
                        fmt::format("Planfix {}: \"{}\" is not a list", what, list_key));
    }
    for (const auto& entry : page) {
      if (entry.is_object()) items.push_back(parse(entry));
    }
    if (page.size() < static_cast<std::size_t>(page_size) || items.size() >= max_results) break;
  }
  if (items.size() > max_results) items.resize(max_results);
  return items;
}

}  // namespace

core::Result<std::vector<Contact>> PlanfixClient::FindContacts(const ContactQuery& query) {
  std::string fields = "id,name,lastname,email,phones,telegram,telegramId";
  if (!query.custom_field_ids.empty()) fields += "," + JoinIds(query.custom_field_ids);
  return ListAllPages<Contact>(
      query.filters, fields, query.page_size, query.max_results, "contacts", "find contacts",
      [this](json body) -> core::Result<json> {
        auto answer = Perform(
            Call{"POST", "/contact/list", std::move(body), "find contacts", "contact_readonly"});
        if (!answer) return core::Fail(answer.error());
        return std::move(answer->body);
      },
      [](const json& entry) { return ParseContact(entry); });
}

core::Result<std::vector<User>> PlanfixClient::ListUsers(
    const std::vector<long long>& custom_field_ids) {
  std::string fields = "id,name";
  if (!custom_field_ids.empty()) fields += "," + JoinIds(custom_field_ids);
  return ListAllPages<User>(
      std::vector<TaskFilter>{}, fields, kMaxPageSize, std::numeric_limits<std::size_t>::max(),
      "users", "list employees",
      [this](json body) -> core::Result<json> {
        body["prefixedId"] = true;
        auto answer =
            Perform(Call{"POST", "/user/list", std::move(body), "list employees", "user_readonly"});
        if (!answer) return core::Fail(answer.error());
        return std::move(answer->body);
      },
      [](const json& entry) {
        User user;
        const json id = entry.value("id", json());
        user.id = id.is_string()           ? id.get<std::string>()
                  : id.is_number_integer() ? fmt::format("user:{}", id.get<long long>())
                                           : std::string();
        user.name = StringField(entry, "name");
        user.custom_fields = ParseCustomFieldData(entry);
        return user;
      });
}

core::Result<std::vector<Task>> PlanfixClient::ListTasks(const TaskQuery& query) {
  std::string fields = "id,name,status,processId,project,counterparty,assigner,assignees";
  if (!query.custom_field_ids.empty()) fields += "," + JoinIds(query.custom_field_ids);
  return ListAllPages<Task>(
      query.filters, fields, query.page_size, query.max_results, "tasks", "list tasks",
      [this](json body) -> core::Result<json> {
        auto answer =
            Perform(Call{"POST", "/task/list", std::move(body), "list tasks", "task_readonly"});
        if (!answer) return core::Fail(answer.error());
        return std::move(answer->body);
      },
      [](const json& entry) { return ParseTask(entry); });
}

core::Result<std::vector<CustomFieldDefinition>> PlanfixClient::GetContactCustomFields() {
  auto answer = Perform(
      Call{"GET", "/customfield/contact?fields=" + http::UrlEncode("id,name,type,enumValues"),
           json(), "get contact custom fields", "(any)"});
  if (!answer) return core::Fail(answer.error());
  return ParseCatalogue(answer->body.value("customfields", json::array()));
}

core::Result<std::vector<CustomFieldDefinition>> PlanfixClient::GetTaskCustomFields() {
  auto answer =
      Perform(Call{"GET", "/customfield/task?fields=" + http::UrlEncode("id,name,type,enumValues"),
                   json(), "get task custom fields", "(any)"});
  if (!answer) return core::Fail(answer.error());
  return ParseCatalogue(answer->body.value("customfields", json::array()));
}

core::Result<std::vector<TaskProcess>> PlanfixClient::ListTaskProcesses() {
  auto answer = Perform(Call{"GET", "/process/task?fields=" + http::UrlEncode("id,name"), json(),
                             "list task processes", "task_readonly"});
  if (!answer) return core::Fail(answer.error());
  const json list = answer->body.value("processes", json::array());
  if (!list.is_array()) {
    return core::Fail(core::ErrorCode::kInternal,
                      "Planfix list task processes: \"processes\" is not a list");
  }
  std::vector<TaskProcess> processes;
  for (const auto& entry : list) {
    if (entry.is_object())
      processes.push_back({AsId(entry.value("id", json())), StringField(entry, "name")});
  }
  return processes;
}

core::Result<std::vector<TaskTemplate>> PlanfixClient::ListTaskTemplates() {
  std::vector<TaskTemplate> templates;
  for (std::size_t offset = 0;; offset += kMaxPageSize) {
    auto answer = Perform(Call{"GET",
                               fmt::format("/task/templates?offset={}&pageSize={}&fields={}",
                                           offset, kMaxPageSize, http::UrlEncode("id,name")),
                               json(), "list task templates", "task_readonly"});
    if (!answer) return core::Fail(answer.error());
    const json page = answer->body.value("templates", json::array());
    if (!page.is_array()) {
      return core::Fail(core::ErrorCode::kInternal,
                        "Planfix list task templates: \"templates\" is not a list");
    }
    for (const auto& entry : page) {
      if (entry.is_object())
        templates.push_back({AsId(entry.value("id", json())), StringField(entry, "name")});
    }
    if (page.size() < static_cast<std::size_t>(kMaxPageSize)) break;
  }
  return templates;
}

core::Result<std::vector<DataTag>> PlanfixClient::ListDataTags() {
  std::vector<DataTag> tags;
  for (std::size_t offset = 0;; offset += kMaxPageSize) {
    json body = {
        {"offset", offset}, {"pageSize", kMaxPageSize}, {"fields", "id,name,group,fields"}};
    auto answer =
        Perform(Call{"POST", "/datatag/list", body, "list data tags", "datatag_readonly"});
    if (!answer) return core::Fail(answer.error());
    // The spec's schema says "dataTags", its example "dataTag": read either.
    json page = answer->body.value("dataTags", json());
    if (page.is_null()) page = answer->body.value("dataTag", json::array());
    if (!page.is_array()) {
      return core::Fail(core::ErrorCode::kInternal,
                        "Planfix list data tags: \"dataTags\" is not a list");
    }
    for (const auto& entry : page) {
      if (!entry.is_object()) continue;
      DataTag tag;
      tag.id = AsId(entry.value("id", json()));
      tag.name = StringField(entry, "name");
      if (entry.contains("group") && entry["group"].is_object()) {
        tag.group = StringField(entry["group"], "name");
      }
      tag.fields = ParseCatalogue(entry.value("fields", json::array()));
      tags.push_back(std::move(tag));
    }
    if (page.size() < static_cast<std::size_t>(kMaxPageSize)) break;
  }
  return tags;
}

core::Result<DataTagAddResult> PlanfixClient::AddDataTagEntries(
    long long task_number, long long data_tag_id,
    const std::vector<std::vector<CustomFieldValue>>& items) {
  if (items.empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput, "Planfix add data tag entries: no entries");
  }
  json entries = json::array();
  for (const auto& item : items)
    entries.push_back({{"customFieldData", EncodeCustomFieldData(item)}});
  json body = {{"dataTag", {{"id", data_tag_id}}}, {"items", entries}};
  auto answer = Perform(Call{
      "POST", fmt::format("/task/{}/datatags/", task_number), body,
      fmt::format("add data tag {} entries to task {}", data_tag_id, task_number), "datatag_add"});
  if (!answer) return core::Fail(answer.error());
  DataTagAddResult result;
  for (const auto& key : answer->body.value("keys", json::array()))
    result.keys.push_back(AsId(key));
  if (answer->body.contains("commentId")) result.comment_id = AsId(answer->body["commentId"]);
  return result;
}

DataTagEntry ParseDataTagEntry(const json& item, long long data_tag_id) {
  DataTagEntry entry;
  if (!item.is_object()) return entry;
  entry.key = AsId(item.value("key", json()));
  entry.data_tag_id = data_tag_id;
  if (item.contains("task") && item["task"].is_object()) {
    const long long task = AsId(item["task"].value("id", json()));
    if (task > 0) entry.task_id = task;
  }
  if (item.contains("commentId")) entry.comment_id = AsId(item["commentId"]);
  entry.custom_fields = ParseCustomFieldData(item);
  return entry;
}

core::Result<std::vector<DataTagEntry>> PlanfixClient::ListDataTagEntries(
    long long data_tag_id, const DataTagQuery& query) {
  const int page_size = std::clamp(query.page_size, 1, kMaxPageSize);
  std::string fields = "dataTag,key,commentId,task";
  if (!query.custom_field_ids.empty()) fields += "," + JoinIds(query.custom_field_ids);
  json filters = json::array();
  for (const auto& filter : query.filters) {
    filters.push_back({{"type", filter.type},
                       {"field", filter.field},
                       {"operator", filter.op},
                       {"value", filter.value}});
  }
  std::vector<DataTagEntry> entries;
  for (std::size_t offset = 0;; offset += static_cast<std::size_t>(page_size)) {
    json body = {{"offset", offset}, {"pageSize", page_size}, {"fields", fields}};
    if (query.task_id) body["taskId"] = *query.task_id;
    if (!filters.empty()) body["filters"] = filters;
    auto answer =
        Perform(Call{"POST", fmt::format("/datatag/{}/entry/list", data_tag_id), body,
                     fmt::format("list data tag {} entries", data_tag_id), "datatag_readonly"});
    if (!answer) return core::Fail(answer.error());
    const json page = answer->body.value("dataTagEntries", json::array());
    if (!page.is_array()) {
      return core::Fail(core::ErrorCode::kInternal,
                        "Planfix list data tag entries: \"dataTagEntries\" is not a list");
    }
    for (const auto& item : page) {
      if (item.is_object()) entries.push_back(ParseDataTagEntry(item, data_tag_id));
    }
    if (page.size() < static_cast<std::size_t>(page_size) || entries.size() >= query.max_results) {
      break;
    }
  }
  if (entries.size() > query.max_results) entries.resize(query.max_results);
  return entries;
}

core::Result<std::vector<CustomFieldDefinition>> PlanfixClient::GetDataTagFields(
    long long data_tag_id) {
  auto answer = Perform(Call{"GET",
                             fmt::format("/customfield/datatag/{}?fields={}", data_tag_id,
                                         http::UrlEncode("id,name,type,enumValues")),
                             json(), fmt::format("get data tag {} fields", data_tag_id), "(any)"});
  if (!answer) return core::Fail(answer.error());
  return ParseCatalogue(answer->body.value("customfields", json::array()));
}

core::Result<std::vector<TaskFile>> PlanfixClient::ListTaskFiles(long long task_number) {
  auto answer = Perform(Call{"GET", fmt::format("/task/{}/files", task_number), json(),
                             fmt::format("list files of task {}", task_number), "task_readonly"});
  if (!answer) return core::Fail(answer.error());
  std::vector<TaskFile> files;
  for (const auto& entry : answer->body.value("files", json::array())) {
    if (!entry.is_object()) continue;
    TaskFile file;
    file.id = AsId(entry.value("id", json()));
    file.name = StringField(entry, "name");
    const json size = entry.value("size", json());
    if (size.is_number_integer()) file.size = size.get<long long>();
    file.link = StringField(entry, "link");
    if (file.id > 0) files.push_back(std::move(file));
  }
  return files;
}

namespace {

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// "https://acme.planfix.com/rest" -> "https://acme.planfix.com".
std::string OriginOf(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

}  // namespace

core::Result<std::string> PlanfixClient::DownloadFile(long long file_id, std::size_t max_bytes) {
  const Call call{"GET", fmt::format("/file/{}/download", file_id), json(),
                  fmt::format("download file {}", file_id), "task_readonly"};
  auto response = Exchange(call, max_bytes, "*/*");
  if (!response) return core::Fail(response.error());
  if (response->status == 200) {
    // A JSON error envelope with 200 is still an error, never the file.
    const auto type = response->headers.find("Content-Type");
    if (type != response->headers.end() && type->second.rfind("application/json", 0) == 0) {
      const json parsed = json::parse(response->body, nullptr, false);
      if (parsed.is_object() && parsed.value("result", "") == "fail")
        return core::Fail(Refusal(call, *response));
    }
    return std::move(response->body);
  }
  if (!IsRedirect(response->status)) return core::Fail(Refusal(call, *response));
  const auto location = response->headers.find("Location");
  std::string url = location == response->headers.end() ? std::string() : location->second;
  if (url.rfind('/', 0) == 0) url = OriginOf(base_url_) + url;
  if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
    return core::Fail(core::ErrorCode::kUnavailable,
                      fmt::format("Planfix {}: HTTP {} without a usable Location", call.operation,
                                  response->status));
  }
  http::HttpRequest request;
  request.url = std::move(url);
  request.headers["Accept"] = "*/*";
  request.timeout = options_.timeout;
  request.max_response_bytes = max_bytes;
  auto fetched = http_.Send(request);
  if (!fetched) {
    core::Error error = fetched.error();
    error.message =
        fmt::format("Planfix {} (download location): {}", call.operation, error.message);
    return core::Fail(std::move(error));
  }
  if (fetched->status == 200) return std::move(fetched->body);
  // A signed link that expired or a storage hiccup: the next attempt asks Planfix for a fresh
  // location, so these are worth retrying; anything else is not.
  const bool retry = fetched->status >= 500 || fetched->status == 429 || fetched->status == 403;
  core::Error error =
      core::MakeError(retry ? core::ErrorCode::kUnavailable : core::ErrorCode::kPermanent,
                      fmt::format("Planfix {}: the download location answered HTTP {}",
                                  call.operation, fetched->status));
  error.remote_code = fetched->status;
  return core::Fail(std::move(error));
}

}  // namespace planfix_flow::planfix
