// Facts: what the rules know about the outside world when they decide (a Planfix task, its
// client, the field catalogue, process statuses, the stored flows), and FactSource, the one
// seam that reads them (I/O, implemented by the App). Plain data; FactSource implementations
// are called from the event processor's one thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/planfix/planfix_types.h"

namespace planfix_flow::workflow {

// What the rules need to know about a Planfix task.
struct TaskFacts {
  std::int64_t number = 0;
  std::string name;
  std::optional<std::int64_t> contact;  // the counterparty, when it is a contact
  std::optional<std::int64_t> status;   // the current status id, when Planfix gives one
  std::optional<std::int64_t> project;
  std::optional<std::int64_t> process;  // the task's process, when Planfix gives one
  std::string assigner;                 // "user:1"; empty when none
  std::vector<std::string> assignees;   // "user:5", ...
  // The configured task custom fields (work type, amount, payment, access) by id, as Planfix
  // returned them; absent when empty.
  std::map<std::int64_t, nlohmann::json> fields;
};

// What the rules need to know about a Planfix contact (the client).
struct ContactFacts {
  std::int64_t id = 0;
  std::string name;  // first name and last name
  std::string email;
  std::vector<std::string> phones;
  // The bound Telegram chat: the configured contact field, else the system telegramId.
  std::optional<std::int64_t> telegram_chat_id;
  std::string telegram_username;  // the contact's Telegram field (username or t.me link)
  // The contact's language field (planfix.contact_fields.language) as Planfix holds it;
  // empty when the field is empty or not configured. detail::ClientLanguage interprets it.
  std::string language;
  // The payer fields (invoices.payer_fields) as Planfix holds them; empty when not configured.
  std::string edrpou;
  std::string iban;
};

// Minutes of work recorded in a month (communication time, issue 14), by kind.
struct WorkMinutes {
  std::int64_t communication = 0;
  std::int64_t production = 0;
};

// Reads current facts from the outside world (Planfix and the flow store). Errors
// (kNotFound included) are values.
class FactSource {
 public:
  virtual ~FactSource() = default;
  virtual core::Result<TaskFacts> GetTask(std::int64_t number) = 0;
  virtual core::Result<ContactFacts> GetContact(std::int64_t id) = 0;
  // The contacts' custom field catalogue (types decide how answers are written).
  virtual core::Result<std::vector<planfix::CustomFieldDefinition>> ContactFields() = 0;
  // The statuses of a task process (GET /process/task/{id}/statuses); may be cached briefly.
  virtual core::Result<std::vector<planfix::TaskStatus>> ProcessStatuses(std::int64_t process) = 0;
  // Contact ids with this exact e-mail / phone; empty when none.
  virtual core::Result<std::vector<std::int64_t>> FindContactsByEmail(const std::string& email) = 0;
  virtual core::Result<std::vector<std::int64_t>> FindContactsByPhone(const std::string& phone) = 0;
  virtual std::optional<plan::Flow> GetFlow(const std::string& key) = 0;
  // Flows of one kind in one state, newest first, at most `limit`.
  virtual std::vector<plan::Flow> ListFlows(const std::string& kind, const std::string& state,
                                            std::size_t limit) = 0;
  // The tasks created from `template_id` whose checkbox `field` is ticked (the monthly report's
  // retainer deals, POST /task/list), with their contact, project and assignees. A source
  // that cannot list says kUnavailable.
  virtual core::Result<std::vector<TaskFacts>> TasksWithCheckbox(std::int64_t template_id,
                                                                 std::int64_t field) {
    (void)template_id;
    (void)field;
    return core::Fail(core::ErrorCode::kUnavailable, "this fact source cannot list tasks");
  }
  // The files attached to a task, its description and comments (the monthly report the PM
  // attached, GET /task/{id}/files). A source that cannot list says kUnavailable.
  virtual core::Result<std::vector<planfix::TaskFile>> TaskFiles(std::int64_t task) {
    (void)task;
    return core::Fail(core::ErrorCode::kUnavailable, "this fact source cannot list files");
  }
  // The flows about a task, newest first (the monthly report's summary); none by default.
  virtual std::vector<plan::Flow> FlowsForTask(std::int64_t task, std::size_t limit) {
    (void)task;
    (void)limit;
    return {};
  }
  // The work recorded in the month ("YYYY-MM") by the deal it counts for (a subtask's time
  // counts for its deal); a deal without entries is absent. nullopt: time is not tracked
  // ([time] not configured), the default.
  virtual std::optional<std::map<std::int64_t, WorkMinutes>> MonthWorkMinutes(
      std::string_view month) {
    (void)month;
    return std::nullopt;
  }
};

}  // namespace planfix_flow::workflow
