// Workflow: the business rules. Handling an event is two steps: load the facts it needs
// (through FactSource, which does I/O) and call a pure Decide function that turns event +
// facts + config + now into a Plan. Decide functions never do I/O and are unit-tested as data.
// Workflow::Handle is called from the event processor's one thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/engine/event_handler.h"
#include "planfix_flow/planfix/planfix_types.h"
#include "planfix_flow/storage/records.h"
#include "planfix_flow/telegram/types.h"
#include "planfix_flow/templates/template_set.h"
#include "planfix_flow/workflow/signing.h"

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
  virtual std::optional<storage::Flow> GetFlow(const std::string& key) = 0;
};

// Everything a rule may read besides the event and its facts. Not owned.
struct RuleContext {
  const config::Config* config = nullptr;
  const templates::TemplateSet* templates = nullptr;
  const calendar::WorkCalendar* calendar = nullptr;
  const SigningKeys* signing = nullptr;  // required by the rules that sign or verify
  // The staff chat as Telegram knows it now: telegram.staff_chat_id, or the supergroup that
  // group became (the App keeps it current, from any thread). Null: telegram.staff_chat_id.
  const std::atomic<std::int64_t>* staff_chat = nullptr;
};

// The staff chat the rules write to and take button presses from (see RuleContext).
std::int64_t StaffChatId(const RuleContext& context);

// Effect kinds the executor knows (see app/effects.h) and their JSON payloads.
// telegram.send_message: chat_id, text, and optionally `report` {task, contact, client_name}:
// when the message cannot be delivered (blocked bot, unknown chat) the staff chat and the task
// are told instead of retrying forever.
inline constexpr char kEffectTelegramSend[] = "telegram.send_message";
inline constexpr char kEffectPlanfixComment[] = "planfix.add_comment";  // task, description
// contact, custom_fields [{id, value}] (wire values), optionally telegram_id (string) and
// `report` (the brief's: when the job ends, a contact.updated event says what Planfix took);
// result {queued, failures [{field, error}]}: a field Planfix refused is not retried.
inline constexpr char kEffectPlanfixUpdateContact[] = "planfix.update_contact";
inline constexpr char kEffectPlanfixUpdateTask[] = "planfix.update_task";  // task, status
// name, description, template_id?, project_id?, process_id?, counterparty ("contact:N"), assignees
// ["user:N"], deal (the task whose handoff created it); result {"task": number}
inline constexpr char kEffectPlanfixCreateTask[] = "planfix.create_task";
// telegram.send_message may carry `reply_markup` {inline_keyboard: [[{text, callback_data}]]}.
// telegram.answer_callback: callback_query_id, text (plain, up to 200 characters).
inline constexpr char kEffectTelegramAnswerCallback[] = "telegram.answer_callback";
// telegram.edit_message: chat_id, message_id, text (HTML); the inline keyboard is removed.
inline constexpr char kEffectTelegramEdit[] = "telegram.edit_message";

// The internal event the service stores when a job with a `report` went dead.
inline constexpr char kEventEffectFailed[] = "effect.failed";
// The internal event the service stores when a planfix.create_task job is done (payload:
// the job's payload and its result).
inline constexpr char kEventTaskCreated[] = "task.created";
// The internal event the service stores when a planfix.update_contact job with a `report` is
// done (payload: job, the job's payload and its result) or dead (job, payload, error).
inline constexpr char kEventContactUpdated[] = "contact.updated";

// The Telegram update types the rules act on (HandleTelegramUpdate): the webhook asks Telegram
// for these only. A rule that reads another type must add it here.
inline constexpr std::array<const char*, 2> kTelegramUpdateTypes = {"message", "callback_query"};

// Internal events the App stores about Telegram itself (service_notices.h): the webhook
// watch found a problem, or a chat answered "migrated to a supergroup".
inline constexpr char kEventTelegramWebhookProblem[] = "telegram.webhook_problem";
inline constexpr char kEventTelegramChatMigrated[] = "telegram.chat_migrated";

// The end-to-end check rule ("ping"): a Planfix "ping" event for task N tells the staff chat,
// comments on the task and sets a follow-up timer one working day later; the follow-up tells
// the staff chat once more. Pure.
core::Result<engine::Plan> DecidePing(const engine::StoredEvent& event, const TaskFacts& task,
                                      const RuleContext& context, core::TimePoint now);
core::Result<engine::Plan> DecidePingFollowUp(const engine::StoredEvent& event,
                                              const RuleContext& context);

// A status a plan would set that the task's process does not have (Planfix would refuse it
// with a 400).
struct MissingStatus {
  std::int64_t task = 0;
  std::int64_t status = 0;
  std::int64_t process = 0;
  std::vector<planfix::TaskStatus> process_statuses;  // what the process has
  bool told = false;  // the staff already heard that this process lacks this status
};

// `plan` without the status changes of `missing`; the first time a process lacks a status,
// the staff chat and the task are told which config key names it and what the process has
// (the flow status.missing:<process>:<status> remembers that), later times only the summary
// says so. Pure.
core::Result<engine::Plan> WithoutMissingStatuses(const engine::StoredEvent& event,
                                                  engine::Plan plan,
                                                  const std::vector<MissingStatus>& missing,
                                                  const RuleContext& context);

class Workflow final : public engine::EventHandler {
 public:
  Workflow(RuleContext context, FactSource& facts);
  // Decides by the event's rule, then checks every status the plan would set against the
  // task's process (WithoutMissingStatuses).
  core::Result<engine::Plan> Handle(const engine::StoredEvent& event, core::TimePoint now) override;

 private:
  core::Result<engine::Plan> Dispatch(const engine::StoredEvent& event, core::TimePoint now);
  core::Result<engine::Plan> GuardStatusChanges(const engine::StoredEvent& event,
                                                engine::Plan plan);
  engine::Plan Ignore(const engine::StoredEvent& event, std::string_view reason) const;
  core::Result<std::optional<TaskFacts>> LoadTask(std::int64_t number);
  core::Result<std::optional<ContactFacts>> LoadClient(std::optional<std::int64_t> id);
  core::Result<engine::Plan> HandlePing(const engine::StoredEvent& event, core::TimePoint now);
  core::Result<engine::Plan> HandleBriefSend(const engine::StoredEvent& event, core::TimePoint now);
  core::Result<engine::Plan> HandleTelegramUpdate(const engine::StoredEvent& event,
                                                  core::TimePoint now);
  core::Result<engine::Plan> HandleFormSubmitted(const engine::StoredEvent& event,
                                                 core::TimePoint now);
  core::Result<engine::Plan> HandleStatusChanged(const engine::StoredEvent& event,
                                                 core::TimePoint now);
  // Approval (approval.h).
  // `number`: the task, already read from the event by HandleStatusChanged.
  core::Result<engine::Plan> HandleApprovalStatus(const engine::StoredEvent& event,
                                                  std::int64_t number);
  core::Result<engine::Plan> HandleApprovalPress(const engine::StoredEvent& event,
                                                 const telegram::CallbackQuery& query);
  // nullopt when no changes are awaited in the message's chat (the update goes on to the
  // other rules).
  std::optional<core::Result<engine::Plan>> HandleReworkMessage(const engine::StoredEvent& event,
                                                                const telegram::Message& message);

  RuleContext context_;
  FactSource& facts_;
  // Tasks read while handling the current event (a Planfix read each costs a second).
  std::map<std::int64_t, std::optional<TaskFacts>> tasks_read_;
};

}  // namespace planfix_flow::workflow
