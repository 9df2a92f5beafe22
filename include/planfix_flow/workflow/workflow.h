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
#include "planfix_flow/plan/event_handler.h"
#include "planfix_flow/planfix/planfix_types.h"
#include "planfix_flow/telegram/types.h"
#include "planfix_flow/templates/template_set.h"
#include "planfix_flow/workflow/facts.h"
#include "planfix_flow/workflow/signing.h"

namespace planfix_flow::workflow {

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

// The effect kinds and their payloads: plan/effects.h.

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
core::Result<plan::Plan> DecidePing(const plan::StoredEvent& event, const TaskFacts& task,
                                    const RuleContext& context, core::TimePoint now);
core::Result<plan::Plan> DecidePingFollowUp(const plan::StoredEvent& event,
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
core::Result<plan::Plan> WithoutMissingStatuses(const plan::StoredEvent& event, plan::Plan plan,
                                                const std::vector<MissingStatus>& missing,
                                                const RuleContext& context);

class Workflow final : public plan::EventHandler {
 public:
  Workflow(RuleContext context, FactSource& facts);
  // Decides by the event's rule, then checks every status the plan would set against the
  // task's process (WithoutMissingStatuses).
  core::Result<plan::Plan> Handle(const plan::StoredEvent& event, core::TimePoint now) override;

 private:
  core::Result<plan::Plan> Dispatch(const plan::StoredEvent& event, core::TimePoint now);
  core::Result<plan::Plan> GuardStatusChanges(const plan::StoredEvent& event, plan::Plan plan);
  plan::Plan Ignore(const plan::StoredEvent& event, std::string_view reason) const;
  core::Result<std::optional<TaskFacts>> LoadTask(std::int64_t number);
  core::Result<std::optional<ContactFacts>> LoadClient(std::optional<std::int64_t> id);
  core::Result<plan::Plan> HandlePing(const plan::StoredEvent& event, core::TimePoint now);
  core::Result<plan::Plan> HandleBriefSend(const plan::StoredEvent& event, core::TimePoint now);
  core::Result<plan::Plan> HandleTelegramUpdate(const plan::StoredEvent& event,
                                                core::TimePoint now);
  core::Result<plan::Plan> HandleFormSubmitted(const plan::StoredEvent& event, core::TimePoint now);
  core::Result<plan::Plan> HandleStatusChanged(const plan::StoredEvent& event, core::TimePoint now);
  // Approval (approval.h).
  // `number`: the task, already read from the event by HandleStatusChanged.
  core::Result<plan::Plan> HandleApprovalStatus(const plan::StoredEvent& event,
                                                std::int64_t number);
  core::Result<plan::Plan> HandleApprovalPress(const plan::StoredEvent& event,
                                               const telegram::CallbackQuery& query);
  // nullopt when no changes are awaited in the message's chat (the update goes on to the
  // other rules).
  std::optional<core::Result<plan::Plan>> HandleReworkMessage(const plan::StoredEvent& event,
                                                              const telegram::Message& message);

  RuleContext context_;
  FactSource& facts_;
  // Tasks read while handling the current event (a Planfix read each costs a second).
  std::map<std::int64_t, std::optional<TaskFacts>> tasks_read_;
};

}  // namespace planfix_flow::workflow
