// Plain data exchanged with the Planfix REST API v2: tasks, contacts, statuses, custom
// field catalogue entries and data-tag entries. Value types; thread-compatible.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <vector>

namespace planfix_flow::planfix {

// Custom field type ids as `GET /customfield/type` numbers them.
enum class FieldType : int {
  kLine = 0,
  kNumber = 1,
  kText = 2,
  kDate = 3,
  kTime = 4,
  kDateTime = 5,
  kPeriod = 6,
  kCheckbox = 7,
  kList = 8,
  kDirectoryEntry = 9,
  kContact = 10,
  kEmployee = 11,
  kCounterparty = 12,
  kGroupEmployeeOrContact = 13,
  kListOfUsers = 14,
  kSetOfDirectoryValues = 15,
  kTask = 16,
  kTaskSet = 17,
  kSetOfValues = 20,
  kFiles = 21,
  kProject = 22,
  kDataTagSummaries = 23,  // computed
  kCalculated = 24,        // computed
  kLocation = 25,
  kSubtaskTotal = 26,       // computed
  kAiResult = 27,           // computed
  kDateWithTimeFrame = 28,  // from and to, each a date and a time (in the spec's examples)
  kComputed29 = 29,         // computed (listed read-only in API-NOTES; unnamed in the spec)
};

// True for the computed types (23, 24, 26, 27, 29) that the API never lets a client write.
bool IsReadOnly(FieldType type);

// One custom field value as the API carries it in `customFieldData`. `value` is already
// shaped for the field's type (see EncodeCustomFieldValue).
struct CustomFieldValue {
  long long field_id = 0;
  nlohmann::json value;
  // Filled when read from Planfix; ignored when writing.
  std::string field_name;
  std::optional<FieldType> field_type;
};

// An entry of the catalogue (`GET /customfield/contact`, `/customfield/task`, data tag fields).
struct CustomFieldDefinition {
  long long id = 0;
  std::string name;
  FieldType type = FieldType::kLine;
  std::vector<std::string> enum_values;  // options of a list (8) or set of values (20)
};

struct TaskStatus {
  long long id = 0;
  std::string name;
  bool is_active = true;
};

struct Task {
  long long id = 0;  // the task number shown in the UI; what /task/{id} takes
  std::string name;
  std::string description;
  std::optional<TaskStatus> status;
  std::optional<long long> process_id;
  std::optional<long long> project_id;
  std::string counterparty_id;            // prefixed, e.g. "contact:12"; empty if none
  std::string assigner_id;                // prefixed, e.g. "user:1"; empty if none
  std::vector<std::string> assignee_ids;  // prefixed user/contact ids
  std::vector<CustomFieldValue> custom_fields;
  std::optional<long long> template_id;  // the task template it was made from
  std::optional<long long> parent_id;    // the parent task's number
  bool is_deleted = false;               // in Planfix's trash
};

struct Phone {
  std::string number;
  int type = 1;  // 1 mobile, 2 work, 3 home, 4 other
};

struct Contact {
  long long id = 0;
  std::string name;
  std::string lastname;
  std::string email;
  std::vector<Phone> phones;
  std::string telegram;     // username or t.me link
  std::string telegram_id;  // numeric chat id as a string
  std::vector<CustomFieldValue> custom_fields;
};

// An employee as `POST /user/list` gives one: "user:5" with the custom fields asked for.
struct User {
  std::string id;  // "user:5"
  std::string name;
  std::vector<CustomFieldValue> custom_fields;
};

struct DataTagEntry {
  long long key = 0;
  long long data_tag_id = 0;
  std::optional<long long> task_id;
  std::optional<long long> comment_id;
  std::vector<CustomFieldValue> custom_fields;
};

// What `GET /process/task` lists: a task process (its statuses come separately).
struct TaskProcess {
  long long id = 0;
  std::string name;
};

// What `GET /task/templates` lists: a task template a new task can be made from.
struct TaskTemplate {
  long long id = 0;
  std::string name;
};

// One file of `GET /task/{id}/files` (FileResponse): a file attached to the task's description
// or to one of its comments. `link` is set for an online document (a Google doc, ...), which
// has no bytes to download.
struct TaskFile {
  long long id = 0;
  std::string name;
  long long size = 0;  // bytes
  std::string link;
};

// What `POST /datatag/list` lists: a data tag with its fields.
struct DataTag {
  long long id = 0;
  std::string name;
  std::string group;  // the group's name; empty when none
  std::vector<CustomFieldDefinition> fields;
};

}  // namespace planfix_flow::planfix
