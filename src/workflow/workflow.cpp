#include "planfix_flow/workflow/workflow.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "planfix_flow/core/log.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/telegram/types.h"
#include "planfix_flow/workflow/approval.h"
#include "planfix_flow/workflow/brief.h"
#include "planfix_flow/workflow/digest.h"
#include "planfix_flow/workflow/invoices.h"
#include "planfix_flow/workflow/production.h"
#include "planfix_flow/workflow/report.h"
#include "planfix_flow/workflow/service_notices.h"
#include "rule_support.h"

namespace planfix_flow::workflow {

using core::ErrorCode;
using core::Fail;
using core::Result;
using core::Status;
using nlohmann::json;

using detail::EventKey;
using detail::IdField;
using detail::ParsePayload;
using detail::StaffMessage;

std::int64_t StaffChatId(const RuleContext& context) {
  if (context.staff_chat != nullptr) return context.staff_chat->load(std::memory_order_relaxed);
  return context.config->telegram.staff_chat_id;
}

Result<plan::Plan> DecidePing(const plan::StoredEvent& event, const TaskFacts& task,
                              const RuleContext& context, core::TimePoint now) {
  const auto& language = context.config->templates.default_language;
  auto staff_text = context.templates->Render(
      "ping", language, {{"message", fmt::format("#{} {}", task.number, task.name)}});
  if (!staff_text) return Fail(staff_text.error());
  auto comment =
      context.templates->Render("ping", language, {{"message", fmt::format("event {}", event.id)}});
  if (!comment) return Fail(comment.error());

  plan::Plan plan;
  const std::string key_prefix = fmt::format("event:{}", event.id);
  plan.effects.push_back(StaffMessage(context, *staff_text, key_prefix + ":staff"));
  plan.effects.push_back(detail::TaskComment(task.number, *comment, key_prefix + ":comment"));
  plan::TimerChange follow_up;
  follow_up.action = plan::TimerAction::kSet;
  follow_up.key = fmt::format("ping.followup:task:{}", task.number);
  follow_up.kind = "ping.followup";
  follow_up.due_at = context.calendar->AddWorkingDays(now, 1);
  follow_up.payload = json{{"task", task.number}, {"name", task.name}}.dump();
  plan.timers.push_back(std::move(follow_up));
  plan.flows.push_back(plan::FlowChange{fmt::format("ping:task:{}", task.number), "ping",
                                        task.number, std::nullopt, "pinged", "{}"});
  plan.summary = fmt::format("ping for task {}", task.number);
  return plan;
}

Result<plan::Plan> DecidePingFollowUp(const plan::StoredEvent& event, const RuleContext& context) {
  auto payload = ParsePayload(event);
  if (!payload) return Fail(payload.error());
  auto task = IdField(*payload, "task");
  if (!task) return Fail(task.error());
  auto text = context.templates->Render(
      "ping", context.config->templates.default_language,
      {{"message", fmt::format("follow-up #{} {}", *task, payload->value("name", ""))}});
  if (!text) return Fail(text.error());
  plan::Plan plan;
  plan.effects.push_back(StaffMessage(context, *text, fmt::format("event:{}:staff", event.id)));
  plan.flows.push_back(plan::FlowChange{fmt::format("ping:task:{}", *task), "ping", *task,
                                        std::nullopt, "followed_up", "{}"});
  plan.summary = fmt::format("ping follow-up for task {}", *task);
  return plan;
}

namespace {

std::string MissingStatusFlowKey(std::int64_t process, std::int64_t status) {
  return fmt::format("status.missing:{}:{}", process, status);
}

// The config keys that name `status`, for the people who must fix it.
std::vector<std::string> StatusKeys(const config::Config& config, std::int64_t status) {
  const auto& s = config.planfix.statuses;
  const std::pair<const char*, std::int64_t> keys[] = {
      {"planfix.statuses.returned_to_sales", s.returned_to_sales},
      {"planfix.statuses.brief_requested", s.brief_requested},
      {"planfix.statuses.brief_filled", s.brief_filled},
      {"planfix.statuses.approved", s.approved},
      {"planfix.statuses.rework", s.rework},
      {"planfix.gate.refused_status", config.planfix.gate_refused_status},
  };
  std::vector<std::string> names;
  for (const auto& [name, id] : keys) {
    if (id == status) names.emplace_back(name);
  }
  return names;
}

std::string JoinText(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

}  // namespace

Result<plan::Plan> WithoutMissingStatuses(const plan::StoredEvent& event, plan::Plan plan,
                                          const std::vector<MissingStatus>& missing,
                                          const RuleContext& context) {
  const auto is_missing = [&](const plan::Effect& effect) {
    if (effect.kind != plan::kEffectPlanfixUpdateTask) return false;
    const auto change = plan::Decode<plan::PlanfixUpdateTask>(effect.payload);
    return change && std::any_of(missing.begin(), missing.end(), [&](const MissingStatus& gap) {
             return change->task == gap.task && change->status == gap.status;
           });
  };
  plan.effects.erase(std::remove_if(plan.effects.begin(), plan.effects.end(), is_missing),
                     plan.effects.end());
  std::vector<std::string> notes;
  std::set<std::pair<std::int64_t, std::int64_t>> told;  // (process, status) told in this plan
  for (const auto& gap : missing) {
    notes.push_back(fmt::format("status {} not set on task {}: process {} has no such status{}",
                                gap.status, gap.task, gap.process,
                                gap.told ? " (staff told before)" : ""));
    if (gap.told || !told.emplace(gap.process, gap.status).second) continue;
    std::vector<std::string> names;
    for (const auto& known : gap.process_statuses) {
      names.push_back(known.name.empty() ? std::to_string(known.id)
                                         : fmt::format("{} ({})", known.name, known.id));
    }
    const templates::Values values{
        {"status", std::to_string(gap.status)},
        {"config_keys", JoinText(StatusKeys(*context.config, gap.status))},
        {"process", std::to_string(gap.process)},
        {"process_statuses", JoinText(names)},
        {"task_number", std::to_string(gap.task)},
        {"task_url", detail::TaskUrl(context, gap.task)}};
    auto staff = detail::Render(context, "staff_status_not_in_process", values);
    if (!staff) return Fail(staff.error());
    auto comment = detail::Render(context, "comment_status_not_in_process", values);
    if (!comment) return Fail(comment.error());
    const std::string purpose = fmt::format("status_missing:{}:{}", gap.task, gap.status);
    plan.effects.push_back(detail::StaffMessage(context, *staff, EventKey(event, purpose)));
    plan.effects.push_back(
        detail::TaskComment(gap.task, *comment, EventKey(event, purpose + ":comment")));
    plan.flows.push_back(plan::FlowChange{
        MissingStatusFlowKey(gap.process, gap.status), "status.missing", gap.task, std::nullopt,
        "told", json{{"task", gap.task}, {"status", gap.status}, {"process", gap.process}}.dump()});
  }
  plan.summary += (plan.summary.empty() ? "" : "; ") + JoinText(notes);
  return plan;
}

Workflow::Workflow(RuleContext context, FactSource& facts) : context_(context), facts_(facts) {}

Result<plan::Plan> Workflow::Handle(const plan::StoredEvent& event, core::TimePoint now) {
  tasks_read_.clear();
  auto plan = Dispatch(event, now);
  if (plan) plan = GuardStatusChanges(event, std::move(*plan));
  tasks_read_.clear();
  return plan;
}

Result<plan::Plan> Workflow::Dispatch(const plan::StoredEvent& event, core::TimePoint now) {
  if (auto report = HandleReportEvent(event, facts_, context_, now)) return std::move(*report);
  if (auto invoices = HandleInvoiceEvent(event, facts_, context_, now)) return std::move(*invoices);
  if (auto digest = HandleDigestEvent(event, facts_, context_, now)) return std::move(*digest);
  if (event.kind == "ping") return HandlePing(event, now);
  if (event.kind == "ping.followup") return DecidePingFollowUp(event, context_);
  if (event.kind == kEventBriefSend) return HandleBriefSend(event, now);
  if (event.kind == kEventTelegramUpdate) return HandleTelegramUpdate(event, now);
  if (event.kind == kEventFormSubmitted) return HandleFormSubmitted(event, now);
  if (event.kind == kEventStatusChanged || event.kind == kEventDealHandoff)
    return HandleStatusChanged(event, now);
  if (event.kind == kEventTaskCreated) return DecideHandoffCreated(event, context_);
  if (event.kind == kEventTelegramWebhookProblem) return DecideWebhookProblem(event, context_);
  if (event.kind == kEventTelegramChatMigrated) return DecideChatMigrated(event, context_);
  if (event.kind == kEventContactUpdated) return DecideBriefContactUpdated(event, context_);
  if (event.kind == kEventBriefReminder || event.kind == kEventBriefEscalate ||
      event.kind == kEventEffectFailed) {
    auto payload = ParsePayload(event);
    if (!payload) return Fail(payload.error());
    const json& holder =
        event.kind == kEventEffectFailed ? payload->value("report", json::object()) : *payload;
    auto task = IdField(holder, "task");
    const auto flow = task ? facts_.GetFlow(BriefFlowKey(*task)) : std::optional<plan::Flow>();
    if (event.kind == kEventBriefReminder) return DecideBriefReminder(event, flow, context_, now);
    if (event.kind == kEventBriefEscalate) return DecideBriefEscalation(event, flow, context_);
    return DecideDeliveryFailed(event, flow, context_);
  }
  return Ignore(event, "no_rule");
}

Result<plan::Plan> Workflow::GuardStatusChanges(const plan::StoredEvent& event, plan::Plan plan) {
  std::vector<MissingStatus> missing;
  for (const auto& effect : plan.effects) {
    if (effect.kind != plan::kEffectPlanfixUpdateTask) continue;
    const auto change = plan::Decode<plan::PlanfixUpdateTask>(effect.payload);
    if (!change) continue;
    const std::int64_t task = change->task;
    const std::int64_t status = change->status;
    auto loaded = LoadTask(task);
    if (!loaded) return Fail(loaded.error());
    // Without a known process Planfix is left to judge, as before.
    if (!*loaded || !(*loaded)->process || *(*loaded)->process <= 0) continue;
    const std::int64_t process = *(*loaded)->process;
    auto statuses = facts_.ProcessStatuses(process);
    if (!statuses) {
      if (core::IsRetryable(statuses.error().code)) return Fail(statuses.error());
      core::Logger("workflow")
          ->warn("event={} task={} process={} outcome=statuses_unknown error=\"{}\"", event.id,
                 task, process, statuses.error().ToString());
      continue;
    }
    const bool present =
        std::any_of(statuses->begin(), statuses->end(),
                    [&](const planfix::TaskStatus& known) { return known.id == status; });
    if (present) continue;
    missing.push_back(
        MissingStatus{task, status, process, std::move(*statuses),
                      facts_.GetFlow(MissingStatusFlowKey(process, status)).has_value()});
  }
  if (missing.empty()) return plan;
  return WithoutMissingStatuses(event, std::move(plan), missing, context_);
}

plan::Plan Workflow::Ignore(const plan::StoredEvent& event, std::string_view reason) const {
  core::Logger("workflow")
      ->info("event={} kind={} outcome=ignored reason=\"{}\"", event.id, event.kind, reason);
  plan::Plan plan;
  plan.summary = fmt::format("ignored: {}", reason);
  return plan;
}

// The task with this number; nullopt when Planfix has none (a business problem, not a reason
// to retry).
Result<std::optional<TaskFacts>> Workflow::LoadTask(std::int64_t number) {
  if (const auto seen = tasks_read_.find(number); seen != tasks_read_.end()) return seen->second;
  auto task = facts_.GetTask(number);
  if (!task && task.error().code != ErrorCode::kNotFound) return Fail(task.error());
  std::optional<TaskFacts> found;
  if (task) found = std::move(*task);
  tasks_read_[number] = found;
  return found;
}

// The client contact `id` names; nullopt when none is named or Planfix has no such contact
// (a business problem the rules report, not a reason to retry).
Result<std::optional<ContactFacts>> Workflow::LoadClient(std::optional<std::int64_t> id) {
  if (!id) return std::optional<ContactFacts>();
  auto loaded = facts_.GetContact(*id);
  if (!loaded) {
    if (loaded.error().code == ErrorCode::kNotFound) return std::optional<ContactFacts>();
    return Fail(loaded.error());
  }
  return std::optional<ContactFacts>(std::move(*loaded));
}

Result<plan::Plan> Workflow::HandlePing(const plan::StoredEvent& event, core::TimePoint now) {
  auto payload = ParsePayload(event);
  if (!payload) return Ignore(event, payload.error().message);
  auto number = IdField(*payload, "task");
  if (!number) return Ignore(event, number.error().message);
  auto loaded_task = LoadTask(*number);
  if (!loaded_task) return Fail(loaded_task.error());
  if (!*loaded_task) return Ignore(event, "unknown task");
  const auto& task = *loaded_task;
  return DecidePing(event, *task, context_, now);
}

Result<plan::Plan> Workflow::HandleBriefSend(const plan::StoredEvent& event, core::TimePoint now) {
  auto payload = ParsePayload(event);
  if (!payload) return Ignore(event, payload.error().message);
  auto number = IdField(*payload, "task");
  if (!number) return Ignore(event, number.error().message);
  auto loaded_task = LoadTask(*number);
  if (!loaded_task) return Fail(loaded_task.error());
  if (!*loaded_task) return Ignore(event, "unknown task");
  const auto& task = *loaded_task;
  // The task's counterparty is the client; the button may name one when the task has none.
  std::optional<std::int64_t> contact_id = task->contact;
  if (!contact_id) {
    if (auto from_payload = IdField(*payload, "contact")) contact_id = *from_payload;
  }
  auto contact = LoadClient(contact_id);
  if (!contact) return Fail(contact.error());
  return DecideBriefSend(event, *task, *contact, context_, now);
}

Result<plan::Plan> Workflow::HandleTelegramUpdate(const plan::StoredEvent& event,
                                                  core::TimePoint now) {
  auto update = telegram::ParseUpdate(event.payload);
  if (!update) return Ignore(event, update.error().message);
  // ---- approval: button presses and the client's list of changes (approval.h) ----
  // Every button the bot sends today is an approval button, so every press goes there (and
  // junk data is answered as a refused press). A flow with buttons of its own dispatches on
  // its callback_data prefix here ("ap:" is approval's).
  if (update->kind == telegram::UpdateKind::kCallbackQuery && update->callback_query)
    return HandleApprovalPress(event, *update->callback_query);
  if (update->kind == telegram::UpdateKind::kMessage && update->message &&
      !update->message->text.starts_with("/")) {
    if (auto handled = HandleReworkMessage(event, *update->message)) return std::move(*handled);
  }
  if (!update->message || update->kind != telegram::UpdateKind::kMessage)
    return Ignore(event, "not a message");
  const std::string& text = update->message->text;
  constexpr std::string_view kStart = "/start ";
  if (text.rfind(kStart, 0) != 0) return Ignore(event, "not a /start with a token");
  std::string token = text.substr(kStart.size());
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n')) token.pop_back();
  const auto bind = facts_.GetFlow("brief.bind:" + token);
  if (!bind || bind->state != "waiting" || !bind->task)
    return Ignore(event, "unknown or used token");
  const auto brief = facts_.GetFlow(BriefFlowKey(*bind->task));
  if (!brief || brief->state != "awaiting_bind") return Ignore(event, "the brief no longer waits");
  auto state = ParseBriefState(brief->data);
  if (!state) return Fail(state.error());
  if (state->bind_token != token) return Ignore(event, "token of an earlier press");
  // The stored token is checked again under today's keys: one minted with a key since
  // retired (past its grace period) no longer binds.
  if (!VerifyBindToken(detail::Keys(context_), event.received_at, token, state->task,
                       state->contact))
    return Ignore(event, "token signed with a retired key");
  return DecideBriefBind(event, *state, update->message->chat.id, context_, now);
}

Result<plan::Plan> Workflow::HandleFormSubmitted(const plan::StoredEvent& event,
                                                 core::TimePoint now) {
  auto submission = ParseSubmission(event.payload, context_.config->google.brief_code_question);
  if (!submission) return Ignore(event, submission.error().message);
  if (facts_.GetFlow("brief.response:" + submission->response_id))
    return Ignore(event, "response already handled");

  MatchedSubmission match;
  std::optional<std::int64_t> task;
  std::optional<std::int64_t> contact;
  if (auto ref =
          VerifyBriefCode(detail::Keys(context_), event.received_at, submission->brief_code)) {
    task = ref->task;
    contact = ref->contact;
    match.matched_by = "code";
  } else {
    // No valid code: the respondent's e-mail, then the phone answer, against Planfix contacts
    // that have a brief.
    auto try_contacts = [&](const Result<std::vector<std::int64_t>>& found,
                            const char* by) -> Status {
      if (!found) return Fail(found.error());
      for (const auto id : *found) {
        const auto current = facts_.GetFlow(fmt::format("brief.contact:{}", id));
        if (current && current->task) {
          task = current->task;
          contact = id;
          match.matched_by = by;
          break;
        }
      }
      return {};
    };
    if (!submission->respondent_email.empty()) {
      auto status = try_contacts(facts_.FindContactsByEmail(submission->respondent_email), "email");
      if (!status) return Fail(status.error());
    }
    const auto& phone_question = context_.config->brief.phone_question;
    if (!task && !phone_question.empty()) {
      const auto phone = submission->answers.find(phone_question);
      if (phone != submission->answers.end() && !phone->second.empty() &&
          !phone->second.front().empty()) {
        auto status = try_contacts(facts_.FindContactsByPhone(phone->second.front()), "phone");
        if (!status) return Fail(status.error());
      }
    }
  }
  if (!task || !contact) return DecideBriefUnmatched(event, *submission, context_);

  auto contact_facts = facts_.GetContact(*contact);
  if (!contact_facts) {
    if (contact_facts.error().code == ErrorCode::kNotFound)
      return DecideBriefUnmatched(event, *submission, context_);
    return Fail(contact_facts.error());
  }
  match.contact = std::move(*contact_facts);
  auto fields = facts_.ContactFields();
  if (!fields) return Fail(fields.error());
  match.fields = std::move(*fields);

  const auto flow = facts_.GetFlow(BriefFlowKey(*task));
  std::optional<BriefState> stored;
  if (flow) {
    if (auto parsed = ParseBriefState(flow->data)) stored = std::move(*parsed);
  }
  if (flow && stored && stored->contact == *contact) {
    match.brief = std::move(*stored);
    match.flow_state = flow->state;
  } else {
    // A valid code whose brief is not stored here (e.g. a restored database): the task and
    // contact are still known, so the answers are written all the same.
    auto task_facts = LoadTask(*task);
    if (!task_facts) return Fail(task_facts.error());
    match.brief.task = *task;
    match.brief.task_name = *task_facts ? (*task_facts)->name : std::string();
    match.brief.contact = *contact;
    match.brief.chat_id = match.contact.telegram_chat_id;
  }
  match.brief.client_name = match.contact.name;
  return DecideBriefFilled(event, *submission, match, context_, now);
}

// task.status_changed (and the deal.handoff button): the handoff, the production gate, the
// approval request and stage messages, by the status the task reached.
Result<plan::Plan> Workflow::HandleStatusChanged(const plan::StoredEvent& event,
                                                 core::TimePoint /*now*/) {
  auto payload = ParsePayload(event);
  if (!payload) return Ignore(event, payload.error().message);
  auto number = IdField(*payload, "task");
  if (!number) return Ignore(event, number.error().message);
  const auto& statuses = context_.config->planfix.statuses;
  const bool button = event.kind == kEventDealHandoff;
  std::optional<std::int64_t> status;
  if (auto given = IdField(*payload, "status")) status = *given;

  // Whether any rule cares, before reading Planfix.
  const config::StageNotice* stage = nullptr;
  for (const auto& candidate : context_.config->stages) {
    if (status && candidate.status == *status) stage = &candidate;
  }
  const bool handoff = button || (status && *status == statuses.handed_to_production);
  const bool gate = !handoff && status && *status == statuses.in_production;
  if (!handoff && status && statuses.awaiting_approval > 0 &&
      *status == statuses.awaiting_approval) {
    auto plan = HandleApprovalStatus(event, *number);
    if (plan) plan->flows.push_back(StatusSeen(*number, *status, std::nullopt));
    return plan;
  }
  if (!handoff && !gate && stage == nullptr) {
    plan::Plan plan;
    if (status) plan.flows.push_back(StatusSeen(*number, *status, std::nullopt));
    plan.summary = fmt::format("status {} of task {} noted", status.value_or(0), *number);
    return plan;
  }

  auto loaded_task = LoadTask(*number);
  if (!loaded_task) return Fail(loaded_task.error());
  if (!*loaded_task) return Ignore(event, "unknown task");
  const auto& task = *loaded_task;
  // The handoff and the gate are for deals: a task of another process reaching the same status
  // (Planfix shares statuses such as "In progress" between processes) is only noted.
  const auto deals = context_.config->planfix.processes.deal;
  if (((handoff && !button) || gate) && deals > 0 && task->process && *task->process != deals) {
    plan::Plan noted;
    if (status) noted.flows.push_back(StatusSeen(*number, *status, std::nullopt));
    noted.summary = fmt::format("status {} of task {} noted: the task is in process {}, not {}",
                                status.value_or(0), *number, *task->process, deals);
    return noted;
  }
  auto loaded_client = LoadClient(task->contact);
  if (!loaded_client) return Fail(loaded_client.error());
  const std::optional<ContactFacts>& client = *loaded_client;
  // The status before this one, as last seen, for a gate that sends the task back.
  std::optional<std::int64_t> previous;
  if (const auto seen = facts_.GetFlow(fmt::format("task.status:{}", *number))) {
    const json data = json::parse(seen->data, nullptr, /*allow_exceptions=*/false);
    if (data.is_object() && data.contains("status") && data["status"].is_number_integer() &&
        (!status || data["status"].get<std::int64_t>() != *status)) {
      previous = data["status"].get<std::int64_t>();
    } else if (data.is_object() && data.contains("previous") &&
               data["previous"].is_number_integer()) {
      previous = data["previous"].get<std::int64_t>();  // a repeated webhook for this status
    }
  }

  Result<plan::Plan> plan = plan::Plan{};
  const auto handed = facts_.GetFlow(fmt::format("handoff:task:{}", *number));
  if (handoff && handed && (handed->state == "handing_over" || handed->state == "handed_over")) {
    // Already in production (e.g. the gate sent the deal back to this status): once only.
    plan::Plan noted;
    if (status) noted.flows.push_back(StatusSeen(*number, *status, previous));
    noted.summary = fmt::format("deal {} was already handed over", *number);
    return noted;
  }
  if (handoff) {
    plan = DecideHandoff(event, *task, client, context_);
  } else if (gate) {
    GateFacts facts;
    facts.previous_status = previous;
    if (task->contact) {
      const auto current = facts_.GetFlow(fmt::format("brief.contact:{}", *task->contact));
      if (current && current->task) {
        const auto brief = facts_.GetFlow(BriefFlowKey(*current->task));
        facts.brief_filled = brief && brief->state == "filled";
      }
    }
    plan = DecideGate(event, *task, client, facts, context_);
  } else {
    std::optional<std::int64_t> last;
    if (const auto told = facts_.GetFlow(fmt::format("stage:task:{}", *number))) {
      const json data = json::parse(told->data, nullptr, /*allow_exceptions=*/false);
      if (data.is_object() && data.contains("status") && data["status"].is_number_integer())
        last = data["status"].get<std::int64_t>();
    }
    plan = DecideStage(event, *task, client, *stage, last, context_);
  }
  if (plan && status) plan->flows.push_back(StatusSeen(*number, *status, previous));
  return plan;
}

// ---- Approval ----

Result<plan::Plan> Workflow::HandleApprovalStatus(const plan::StoredEvent& event,
                                                  std::int64_t number) {
  auto loaded_task = LoadTask(number);
  if (!loaded_task) return Fail(loaded_task.error());
  if (!*loaded_task) return Ignore(event, "unknown task");
  const auto& task = *loaded_task;
  auto contact = LoadClient(task->contact);
  if (!contact) return Fail(contact.error());
  return DecideApprovalRequest(event, *task, *contact, context_);
}

Result<plan::Plan> Workflow::HandleApprovalPress(const plan::StoredEvent& event,
                                                 const telegram::CallbackQuery& query) {
  std::optional<plan::Flow> flow;
  std::optional<std::int64_t> status;
  if (const auto ref =
          VerifyApprovalCallbackData(detail::Keys(context_), event.received_at, query.data)) {
    flow = facts_.GetFlow(ApprovalFlowKey(ref->task));
    // The current status decides whether the button still means anything; only a press
    // that could be accepted costs a Planfix read.
    if (flow && flow->state == "waiting") {
      auto task = LoadTask(ref->task);
      if (!task) return Fail(task.error());
      if (*task) status = (*task)->status;
    }
  }
  return DecideApprovalPress(event, query, flow, status, context_);
}

std::optional<Result<plan::Plan>> Workflow::HandleReworkMessage(const plan::StoredEvent& event,
                                                                const telegram::Message& message) {
  const auto wait = facts_.GetFlow(ReworkWaitFlowKey(message.chat.id));
  if (!wait || wait->state != "waiting") return std::nullopt;
  std::optional<plan::Flow> approval;
  if (wait->task) approval = facts_.GetFlow(ApprovalFlowKey(*wait->task));
  return DecideReworkMessage(event, message, *wait, approval, context_);
}

}  // namespace planfix_flow::workflow
