// PlanfixClient: the Planfix REST API v2 calls the service needs (tasks, contacts, comments,
// custom field catalogue, data tags), with Planfix's errors mapped into core::Error and every
// request paced one at a time, each `min_interval` after the previous answer (Pacer::Turn).
// Thread-safe if the HttpClient is.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/core/pacer.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/http/http_client.h"
#include "planfix_flow/planfix/planfix_types.h"

namespace planfix_flow::planfix {

struct PlanfixOptions {
  // The account's REST root, e.g. "https://acme.planfix.com/rest" (a trailing slash is fine).
  std::string base_url;
  // Bearer token of the "robot" employee. Never logged.
  std::string token;
  // Planfix allows one request per second per account.
  std::chrono::milliseconds min_interval{1000};
  std::chrono::milliseconds timeout{15000};
  // Share one pacer between clients of the same account; null: the client keeps its own.
  core::Pacer* pacer = nullptr;
  // Where the account's daily quota shows: planfix_flow_planfix_requests_remaining (from
  // Planfix's approximate X-RateLimit-Remaining) and planfix_flow_planfix_quota_exhausted_total
  // (answers with code 22). Null: not recorded.
  core::Metrics* metrics = nullptr;
};

// One field a 200 answer names in `failures`: Planfix made the rest of the change, not this.
// `field` is Planfix's own name for it ("email", or a custom field such as
// "customFieldData.<id>"; unverified on a live account, so match it loosely).
struct FieldFailure {
  std::string field;
  std::string error;
};

// What a write returned. Planfix answers 202 when the object was busy and the change was
// queued: the change is accepted, only not applied yet. A 200 with `failures` is a partial
// success: everything but the listed fields was changed; the caller decides what that means.
struct UpdateResult {
  bool queued = false;
  std::vector<FieldFailure> failures;
};

// "field: error; field: error", for messages and logs.
std::string DescribeFailures(const std::vector<FieldFailure>& failures);

struct TaskUpdate {
  std::optional<long long> status_id;
  std::optional<std::string> name;
  std::vector<CustomFieldValue> custom_fields;
  // Suppresses Planfix notifications and history entries (`?silent=true`).
  bool silent = false;
};

struct TaskCreate {
  std::string name;  // required
  std::string description;
  std::optional<long long> template_id;
  std::optional<long long> project_id;
  std::optional<long long> process_id;
  std::optional<long long> status_id;
  std::string counterparty_id;            // "contact:12" or "12"
  std::string assigner_id;                // "user:1"
  std::vector<std::string> assignee_ids;  // "user:5", "contact:7"
  std::vector<CustomFieldValue> custom_fields;
};

struct Comment {
  std::string description;                   // HTML is allowed by Planfix
  std::vector<std::string> recipient_ids;    // "user:5", "contact:7"
  std::vector<std::string> recipient_roles;  // "assignee", "participant", "auditor", "assigner"
  bool is_hidden = false;
  bool silent = false;
};

struct ContactUpdate {
  std::optional<std::string> email;
  std::optional<std::vector<Phone>> phones;
  std::optional<std::string> telegram;
  std::optional<std::string> telegram_id;
  std::vector<CustomFieldValue> custom_fields;
  bool silent = false;
};

// One filter of `/contact/list`. Common types: 4026 exact email, 4003 phone, 4234 Telegram
// id, 4226 Telegram username; 4101.. custom fields (then `field` is the custom field id).
struct ContactFilter {
  int type = 0;
  std::string op = "equal";
  nlohmann::json value;
  std::optional<long long> field;
};

struct ContactQuery {
  std::vector<ContactFilter> filters;
  std::vector<long long> custom_field_ids;  // custom fields to read back
  int page_size = 100;                      // 1..100
  std::size_t max_results = 10000;          // stop paging after this many
};

// One filter of `/task/list` (see "REST API: Complex task filters"): e.g. 51 the task template
// (value: the template id), 105 a checkbox custom field (value 1, `field` its id).
struct TaskFilter {
  int type = 0;
  std::string op = "equal";
  nlohmann::json value;
  std::optional<long long> field;
};

struct TaskQuery {
  std::vector<TaskFilter> filters;  // AND
  std::vector<long long> custom_field_ids;
  int page_size = 100;              // 1..100
  std::size_t max_results = 10000;  // stop paging after this many
};

struct DataTagAddResult {
  std::vector<long long> keys;
  std::optional<long long> comment_id;
};

// One filter of `/datatag/{id}/entry/list` (ComplexDataTagFilter): `type` such as 3101 (a date
// field; value {"dateType":"otherRange","dateFrom":"dd-MM-yyyy","dateTo":"dd-MM-yyyy"}) or
// 3104 (an employee field; value "user:N"), `field` the data tag's field id.
struct DataTagFilter {
  int type = 0;
  long long field = 0;
  std::string op = "equal";
  nlohmann::json value;
};

struct DataTagQuery {
  std::optional<long long> task_id;
  std::vector<long long> custom_field_ids;
  int page_size = 100;
  std::size_t max_results = 10000;
  std::vector<DataTagFilter> filters;
};

class PlanfixClient {
 public:
  PlanfixClient(http::HttpClient& http, core::Clock& clock, PlanfixOptions options);

  // `GET /ping`: checks the base URL and the token.
  core::Status Ping();

  // `GET /task/{number}`; custom fields come back only if their ids are listed.
  core::Result<Task> GetTask(long long number, const std::vector<long long>& custom_field_ids = {});
  // `POST /task/{number}`. A 200 with `failures` comes back as success with the failures.
  core::Result<UpdateResult> UpdateTask(long long number, const TaskUpdate& update);
  // `POST /task/`; returns the new task's number.
  core::Result<long long> CreateTask(const TaskCreate& task);
  // `POST /task/list`, paging until a short page.
  core::Result<std::vector<Task>> ListTasks(const TaskQuery& query);
  core::Result<std::vector<TaskStatus>> GetProcessStatuses(long long process_id);
  // `POST /task/{number}/comments/`; returns the comment id.
  core::Result<long long> AddComment(long long task_number, const Comment& comment);

  // `GET /contact/{id}`; `id` is "12" or "contact:12".
  core::Result<Contact> GetContact(const std::string& id,
                                   const std::vector<long long>& custom_field_ids = {});
  // `POST /contact/{id}`; a 200 with `failures` as for UpdateTask.
  core::Result<UpdateResult> UpdateContact(const std::string& id, const ContactUpdate& update);
  // `POST /contact/list`, paging until a short page.
  core::Result<std::vector<Contact>> FindContacts(const ContactQuery& query);

  core::Result<std::vector<CustomFieldDefinition>> GetContactCustomFields();
  core::Result<std::vector<CustomFieldDefinition>> GetTaskCustomFields();
  // Catalogues for the config doctor and `planfix ids` (read-only): `GET /process/task`,
  // `GET /task/templates` and `POST /datatag/list` (the lists page until a short page).
  core::Result<std::vector<TaskProcess>> ListTaskProcesses();
  core::Result<std::vector<TaskTemplate>> ListTaskTemplates();
  core::Result<std::vector<DataTag>> ListDataTags();

  // `POST /task/{number}/datatags/`: one entry per element of `items`.
  core::Result<DataTagAddResult> AddDataTagEntries(
      long long task_number, long long data_tag_id,
      const std::vector<std::vector<CustomFieldValue>>& items);
  // `POST /datatag/{id}/entry/list`, paging until a short page.
  core::Result<std::vector<DataTagEntry>> ListDataTagEntries(long long data_tag_id,
                                                             const DataTagQuery& query);
  // `GET /customfield/datatag/{id}`: the data tag's fields (id, name, type).
  core::Result<std::vector<CustomFieldDefinition>> GetDataTagFields(long long data_tag_id);

  // `GET /task/{number}/files`: the files of the task's description and comments.
  core::Result<std::vector<TaskFile>> ListTaskFiles(long long task_number);
  // `GET /file/{id}/download`: the file's bytes, at most `max_bytes` (a bigger file is refused
  // with kPermanent, read no further). Planfix answers 302 to a download location (the spec)
  // or the bytes themselves; the location, a signed link that may be on another host, is
  // fetched once without the Bearer token, so the token never leaves the account's host.
  core::Result<std::string> DownloadFile(long long file_id, std::size_t max_bytes);
  // `POST /user/list` (prefixed ids), paging until a short page: the employees with the
  // custom fields `custom_field_ids` names.
  core::Result<std::vector<User>> ListUsers(const std::vector<long long>& custom_field_ids);

  const std::string& base_url() const { return base_url_; }

 private:
  void RecordQuota(const http::Headers& headers);
  struct Call;
  struct Answer;
  core::Result<Answer> Perform(const Call& call);
  // One paced request with the token; any HTTP status is a value. `max_bytes`: the largest
  // body to accept (0: the HttpClient's default).
  core::Result<http::HttpResponse> Exchange(const Call& call, std::size_t max_bytes,
                                            const std::string& accept);
  // The error of an answer that is not a success (rate limits pause the pacer).
  core::Error Refusal(const Call& call, const http::HttpResponse& response);

  http::HttpClient& http_;
  core::Clock& clock_;
  PlanfixOptions options_;
  std::string base_url_;
  std::unique_ptr<core::Pacer> own_pacer_;
  core::Pacer* pacer_;
};

// Maps a Planfix answer that is not a success into an Error. `operation` names the call in
// messages ("update task 12"); `scope` is the token scope the call needs. A rate-limit error
// waits the answer's Retry-After (whole seconds, at least 1) when `headers` have one, else 1 s.
// One element of `dataTagEntries` (or a `GET /datatag/entry/{key}` answer) as the client reads
// it; lenient about shapes, as every reader of Planfix answers here is. Never throws.
DataTagEntry ParseDataTagEntry(const nlohmann::json& item, long long data_tag_id);

core::Error MapPlanfixError(int http_status, const std::string& body, const std::string& operation,
                            const std::string& scope, core::TimePoint now,
                            const http::Headers& headers = {});

}  // namespace planfix_flow::planfix
