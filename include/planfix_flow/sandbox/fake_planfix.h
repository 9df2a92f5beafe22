// FakePlanfix: a stateful loopback fake of the Planfix REST API v2 (the subset this service
// uses), with the paths, methods, envelopes, error codes, Bearer auth, token scopes and the
// 1 request/s rate limit of the real service. Seeded and inspected through this C++ API.
// Thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/sandbox/fake_server.h"

namespace planfix_flow::sandbox {

struct FakePlanfixToken {
  std::string token;
  // Empty: a full-access token. Otherwise only the listed Planfix scopes ("task_readonly",
  // "task_add", "task_update", "contact_readonly", "contact_update", "comment_add",
  // "datatag_readonly", "datatag_add"); other calls answer 405 with code 5.
  std::set<std::string> scopes;
  bool active = true;  // an inactive token answers 401 with code 2
};

struct FakePlanfixOptions {
  std::vector<FakePlanfixToken> tokens = {FakePlanfixToken{"sandbox-token", {}, true}};
  // Requests closer together than this (per account) are refused with HTTP 429 and
  // {"result":"fail","code":0,"error":"Too many requests: rate limit exceeded ..."}. Planfix
  // does not document the refusal's shape; this is the sandbox's choice. Zero disables it.
  // The refusal carries Retry-After: the whole seconds until the next request may come.
  std::chrono::milliseconds min_interval{1000};
  // Time for min_interval; nullptr means the system clock. A client pacing on the same
  // FakeClock then meets the interval exactly, however slow the machine is.
  core::Clock* clock = nullptr;
  // Requests left today; when spent every call answers 400 with code 22. Unset: unlimited.
  std::optional<long long> daily_quota;
};

struct FakeCustomField {
  long long id = 0;
  std::string name;
  int type = 0;  // Planfix field type id (0 line, 1 number, 3 date, 7 checkbox, 8 list, ...)
  std::vector<std::string> enum_values;
  // false: the token's employee may read the field but not change it (Planfix's field
  // rights); an update writes the other fields and answers 200 with a failure for this one.
  bool writable = true;
};

struct FakeStatus {
  long long id = 0;
  std::string name;
  bool is_active = true;
};

struct FakeTask {
  long long id = 0;  // the task number; 0 picks the next free one
  std::string name;
  std::string description;
  long long process_id = 0;
  long long status_id = 0;
  long long project_id = 0;
  std::string counterparty;  // "contact:12"
  std::string assigner;      // "user:1"
  std::vector<std::string> assignees;
  std::map<long long, nlohmann::json> custom_fields;  // field id -> stored wire value
  long long template_id = 0;                          // the task template it was made from; 0: none
  long long parent_id = 0;                            // the parent task's number; 0: none
  bool deleted = false;  // in Planfix's trash: still readable, isDeleted true
};

struct FakeContact {
  long long id = 0;  // 0 picks the next free one
  std::string name;
  std::string lastname;
  std::string email;
  std::vector<std::pair<std::string, int>> phones;  // number, type
  std::string telegram;
  std::string telegram_id;
  std::map<long long, nlohmann::json> custom_fields;
};

// An employee (`POST /user/list`), with the values of employee custom fields.
struct FakeUser {
  long long id = 0;
  std::string name;
  std::string lastname;
  bool active = true;
  bool deleted = false;
  std::map<long long, nlohmann::json> custom_fields;
};

struct FakeComment {
  long long id = 0;
  long long task_id = 0;
  std::string description;
  bool is_hidden = false;
  bool silent = false;
  nlohmann::json recipients;  // as sent
};

struct FakeDataTagEntry {
  long long key = 0;
  long long data_tag_id = 0;
  long long task_id = 0;
  long long comment_id = 0;
  std::map<long long, nlohmann::json> custom_fields;
};

// A file attached to a task (fake_planfix_files.cpp).
struct FakeFile {
  long long id = 0;
  long long task_id = 0;
  std::string name;
  std::string bytes;
  bool in_description = true;  // false: attached to a comment
  std::string link;            // an online document: no bytes to download
};

// One accepted write (POST /task/{id}, POST /contact/{id}, POST /task/), for assertions.
struct FakeWrite {
  std::string path;
  nlohmann::json body;
  bool silent = false;
  int status = 0;
};

class FakePlanfix : public FakeServer {
 public:
  explicit FakePlanfix(FakePlanfixOptions options = {});
  // Stops serving before the state handlers use is destroyed.
  ~FakePlanfix() override;

  // The REST root clients take as their base URL: "<base_url()>/rest", like
  // "https://<account>.planfix.com/rest". Every route lives under it.
  std::string rest_url() const { return base_url() + "/rest"; }

  void AddToken(FakePlanfixToken token);
  void SetMinInterval(std::chrono::milliseconds interval);
  void SetDailyQuota(std::optional<long long> remaining);

  void DefineTaskField(FakeCustomField field);
  void DefineContactField(FakeCustomField field);
  // Employees and their custom fields (fake_planfix_users.cpp); AddUser replaces by id.
  void DefineUserField(FakeCustomField field);
  void AddUser(FakeUser user);
  void DefineProcess(long long process_id, std::vector<FakeStatus> statuses);
  void DefineDataTag(long long data_tag_id, std::string name, std::vector<FakeCustomField> fields);
  // The catalogues `GET /process/task` and `GET /task/templates` list
  // (fake_planfix_catalogue.cpp). A process named here without DefineProcess has no statuses.
  void NameProcess(long long process_id, std::string name);
  void DefineTaskTemplate(long long template_id, std::string name);

  // What people do in Planfix's own interface, for tests of what the service reads back.
  // Adds an entry as the UI would (one comment on the task per entry; the fields unchecked, so
  // a test can store what a person typed wrong) and returns its key.
  long long AddDataTagEntryDirectly(long long data_tag_id, long long task_id,
                                    std::map<long long, nlohmann::json> custom_fields);
  // Replaces an entry's fields, as an edit in the UI does; false when there is no such entry.
  bool EditDataTagEntry(long long key, std::map<long long, nlohmann::json> custom_fields);
  bool DeleteDataTagEntry(long long key);
  // Moves the task to the trash (GET still answers, with isDeleted) or, with `for_good`,
  // removes it (GET answers code 1000); its data-tag entries stay, as in Planfix.
  void DeleteTask(long long task_id, bool for_good = false);

  // A person attaches a file to the task (to its description or to a comment); returns the
  // file id. `GET /task/{id}/files` lists it, `GET /file/{id}/download` serves it.
  enum class FileLocation { kDescription, kComment };
  long long AttachFile(long long task_id, std::string name, std::string bytes,
                       FileLocation location = FileLocation::kDescription);
  // An online document (a Google doc) attached to the task: listed with its link, not
  // downloadable.
  long long AttachOnlineDocument(long long task_id, std::string name, std::string link);
  // The next `count` fetches of a file's bytes from the storage answer 503.
  void FailFileDownloads(int count);
  // Files whose bytes the storage served so far.
  int file_downloads() const;

  // Returns the id used.
  long long AddTask(FakeTask task);
  long long AddContact(FakeContact contact);
  // The next `count` updates of the task answer 202 (queued); the change is still applied.
  void MarkTaskBusy(long long task_id, int count);

  std::optional<FakeTask> task(long long id) const;
  std::optional<FakeContact> contact(long long id) const;
  std::vector<FakeComment> comments(long long task_id) const;
  std::vector<FakeDataTagEntry> data_tag_entries(long long data_tag_id) const;
  std::vector<FakeWrite> writes() const;
  // Requests refused by the rate limit so far.
  int rate_limited_count() const;

 protected:
  FakeResponse MethodNotAllowed(const FakeRequest& request) override;
  FakeResponse UnknownRoute(const FakeRequest& request) override;

 private:
  using PlanfixHandler = FakeResponse (FakePlanfix::*)(const FakeRequest&, const nlohmann::json&);
  void RoutePlanfix(std::string method, const std::string& path_regex, std::string scope,
                    PlanfixHandler handler);
  FakeResponse Answer(const FakeRequest& request, const std::string& scope, PlanfixHandler handler,
                      bool has_body);
  std::optional<FakeResponse> Admit(const FakeRequest& request, const std::string& scope);

  FakeResponse Ping(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse GetTask(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse UpdateTask(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse CreateTask(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse GetStatuses(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse AddComment(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse GetContact(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse UpdateContact(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse ListContacts(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse ListTasks(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse GetContactFields(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse GetTaskFields(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse AddDataTagEntries(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse ListDataTagEntries(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse GetDataTagEntry(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse UpdateDataTagEntry(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse DeleteDataTagEntryRoute(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse GetDataTag(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse GetDataTagFields(const FakeRequest& request, const nlohmann::json& body);
  nlohmann::json EntryJson(const FakeDataTagEntry& entry,
                           const std::vector<std::string>& names) const;

  // Employees (fake_planfix_users.cpp).
  void RouteUsers();
  FakeResponse ListUsers(const FakeRequest& request, const nlohmann::json& body);

  // Read-only catalogues (fake_planfix_catalogue.cpp).
  void RouteCatalogues();
  FakeResponse ListProcesses(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse ListTaskTemplates(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse ListDataTags(const FakeRequest& request, const nlohmann::json& body);

  // Files (fake_planfix_files.cpp).
  void RouteFiles();
  FakeResponse ListTaskFiles(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse DownloadFile(const FakeRequest& request, const nlohmann::json& body);
  FakeResponse ServeStoredFile(const FakeRequest& request);

  nlohmann::json TaskJson(const FakeTask& task, const std::string& fields) const;
  nlohmann::json ContactJson(const FakeContact& contact, const std::string& fields) const;

  mutable std::mutex state_mutex_;
  std::vector<FakePlanfixToken> tokens_;
  std::chrono::milliseconds min_interval_;
  std::optional<long long> daily_quota_;
  core::Clock* clock_;  // not owned; nullptr: system_clock_
  core::SystemClock system_clock_;
  std::optional<core::TimePoint> last_admitted_;
  int rate_limited_ = 0;
  std::map<long long, FakeCustomField> task_fields_;
  std::map<long long, FakeCustomField> contact_fields_;
  std::map<long long, std::vector<FakeStatus>> processes_;
  struct DataTag {
    std::string name;
    std::map<long long, FakeCustomField> fields;
  };
  std::map<long long, DataTag> data_tags_;
  std::map<long long, std::string> process_names_;
  std::map<long long, std::string> task_templates_;
  std::map<long long, FakeTask> tasks_;
  std::map<long long, FakeContact> contacts_;
  std::map<long long, FakeCustomField> user_fields_;
  std::map<long long, FakeUser> users_;
  std::map<long long, int> busy_;
  std::vector<FakeComment> comments_;
  std::vector<FakeDataTagEntry> entries_;
  std::vector<FakeWrite> writes_;
  long long next_task_id_ = 1;
  long long next_contact_id_ = 1;
  long long next_comment_id_ = 1;
  long long next_entry_key_ = 1;
  std::map<long long, FakeFile> files_;
  std::map<std::string, long long> download_links_;  // signature -> file id
  long long next_file_id_ = 9001;
  long long links_made_ = 0;
  int failing_downloads_ = 0;
  int file_downloads_ = 0;
};

}  // namespace planfix_flow::sandbox
