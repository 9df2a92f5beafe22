#include "planfix_flow/workflow/production.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "rule_support.h"

namespace planfix_flow::workflow {

using core::Fail;
using core::Result;
using nlohmann::json;

using detail::EventKey;

namespace {

// A label in the config's default language (the comment is read by staff).
std::string Label(const RuleContext& context, const char* uk, const char* en) {
  return context.config->templates.default_language == "en" ? en : uk;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

// A custom field holds something: a ticked checkbox, a positive number, a non-empty text or
// a chosen entry.
bool IsSet(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() > 0;
  if (value.is_string()) {
    const auto text = value.get<std::string>();
    return !text.empty() && text != "0" && text != "false";
  }
  if (value.is_object()) return !value.empty() && !value.value("value", json()).is_null();
  if (value.is_array()) return !value.empty();
  return false;
}

bool FieldSet(const TaskFacts& task, std::int64_t field) {
  if (field <= 0) return true;  // not configured: not required
  const auto it = task.fields.find(field);
  return it != task.fields.end() && IsSet(it->second);
}

// A positive amount, given as a number or a numeric string.
bool AmountPositive(const TaskFacts& task, std::int64_t field) {
  if (field <= 0) return true;
  const auto it = task.fields.find(field);
  if (it == task.fields.end()) return false;
  if (it->second.is_number()) return it->second.get<double>() > 0;
  if (it->second.is_string()) {
    try {
      return std::stod(it->second.get<std::string>()) > 0;
    } catch (const std::exception&) {
      return false;
    }
  }
  return false;
}

// Sends the client `message_template` and notes it on the task (comment_client_notified with
// `comment_values`); without a bound chat, the task gets a comment that the client could not
// be told.
core::Status TellClient(const plan::StoredEvent& event, const TaskFacts& task,
                        const std::optional<ContactFacts>& client,
                        std::string_view message_template, const templates::Values& message_values,
                        const templates::Values& comment_values, const RuleContext& context,
                        plan::Plan& plan) {
  const std::string client_name = client ? client->name : std::string();
  Result<std::string> comment = std::string();
  if (client && client->telegram_chat_id) {
    auto message = detail::RenderFor(context, detail::ClientLanguage(context, client->language),
                                     message_template, message_values);
    if (!message) return Fail(message.error());
    plan.effects.push_back(
        detail::ClientMessage(*client->telegram_chat_id, *message, EventKey(event, "client"),
                              detail::ClientReport{task.number, client->id, client_name}));
    comment = detail::Render(context, "comment_client_notified", comment_values);
  } else {
    comment =
        detail::Render(context, "comment_delivery_failed",
                       {{"client_name", client_name},
                        {"reason", Label(context, "у клієнта немає підключеного Telegram-чату",
                                         "the client has no bound Telegram chat")}});
  }
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(detail::TaskComment(task.number, *comment, EventKey(event, "comment")));
  return core::Ok();
}

bool HasContactData(const ContactFacts& client, config::ContactData data) {
  switch (data) {
    case config::ContactData::kName:
      return !client.name.empty();
    case config::ContactData::kEmail:
      return !client.email.empty();
    case config::ContactData::kPhone:
      return !client.phones.empty();
    case config::ContactData::kTelegram:
      // A bound chat, or the contact's Telegram field (a username or t.me link).
      return client.telegram_chat_id.has_value() || !client.telegram_username.empty();
  }
  return false;
}

// "телефон або e-mail клієнта" / "client phone or e-mail": exactly what would satisfy the
// requirement.
std::string ContactDataLabel(const RuleContext& context,
                             const std::vector<config::ContactData>& alternatives) {
  const bool english = context.config->templates.default_language == "en";
  std::string words;
  for (std::size_t index = 0; index < alternatives.size(); ++index) {
    if (index > 0) {
      words += index + 1 == alternatives.size() ? (english ? " or " : " або ") : ", ";
    }
    switch (alternatives[index]) {
      case config::ContactData::kName:
        words += english ? "name" : "ім'я";
        break;
      case config::ContactData::kEmail:
        words += "e-mail";
        break;
      case config::ContactData::kPhone:
        words += english ? "phone" : "телефон";
        break;
      case config::ContactData::kTelegram:
        words += "Telegram";
        break;
    }
  }
  return english ? "client " + words : words + " клієнта";
}

}  // namespace

plan::FlowChange StatusSeen(std::int64_t task, std::int64_t status,
                            std::optional<std::int64_t> previous) {
  json data{{"status", status}};
  if (previous) data["previous"] = *previous;
  return plan::FlowChange{
      fmt::format("task.status:{}", task), "task.status", task, std::nullopt, "seen", data.dump()};
}

// ---- Handoff ----

std::vector<std::string> MissingForHandoff(const TaskFacts& deal,
                                           const std::optional<ContactFacts>& client,
                                           const RuleContext& context) {
  const auto& planfix = context.config->planfix;
  std::vector<std::string> missing;
  if (!deal.project) missing.push_back(Label(context, "проєкт", "project"));
  if (!FieldSet(deal, planfix.task_fields.work_type))
    missing.push_back(Label(context, "тип робіт", "work type"));
  if (!AmountPositive(deal, planfix.task_fields.amount))
    missing.push_back(Label(context, "сума (більше 0)", "amount (above 0)"));
  if (!client) {
    missing.push_back(
        Label(context, "клієнт (контакт-контрагент)", "client (counterparty contact)"));
    return missing;
  }
  for (const auto& alternatives : planfix.handoff_required_contact_data) {
    if (alternatives.empty() ||
        std::any_of(alternatives.begin(), alternatives.end(),
                    [&](config::ContactData data) { return HasContactData(*client, data); })) {
      continue;
    }
    missing.push_back(ContactDataLabel(context, alternatives));
  }
  return missing;
}

Result<plan::Plan> DecideHandoff(const plan::StoredEvent& event, const TaskFacts& deal,
                                 const std::optional<ContactFacts>& client,
                                 const RuleContext& context) {
  const auto& planfix = context.config->planfix;
  plan::Plan plan;
  const auto missing = MissingForHandoff(deal, client, context);
  const std::string flow_key = fmt::format("handoff:task:{}", deal.number);
  if (!missing.empty()) {
    auto comment = detail::Render(context, "comment_handoff_rejected",
                                  {{"missing", Join(missing)}, {"deal_name", deal.name}});
    if (!comment) return Fail(comment.error());
    if (planfix.statuses.returned_to_sales > 0) {
      plan.effects.push_back(detail::TaskStatus(deal.number, planfix.statuses.returned_to_sales,
                                                EventKey(event, "status")));
    }
    plan::PlanfixAddComment note{deal.number, *comment, {}};
    if (!deal.assigner.empty()) note.recipients.push_back(deal.assigner);
    plan.effects.push_back(plan::MakeEffect(note, "planfix", EventKey(event, "comment")));
    plan.flows.push_back(plan::FlowChange{flow_key, "handoff", deal.number,
                                          client ? std::optional(client->id) : std::nullopt,
                                          "rejected", json{{"missing", missing}}.dump()});
    plan.summary =
        fmt::format("handoff of deal {} rejected: {} missing", deal.number, missing.size());
    return plan;
  }
  std::string pm = planfix.pm_user;
  if (pm.empty()) {
    for (const auto& assignee : deal.assignees) {
      if (assignee.rfind("user:", 0) == 0) {
        pm = assignee;
        break;
      }
    }
  }
  plan::PlanfixCreateTask create;
  create.name = fmt::format("{}: {}", Label(context, "Комунікація", "Communication"),
                            client->name.empty() ? deal.name : client->name);
  create.description =
      fmt::format("{} #{} «{}»", Label(context, "Угода", "Deal"), deal.number, deal.name);
  create.counterparty = fmt::format("contact:{}", client->id);
  create.deal = deal.number;
  if (planfix.communication_template_id > 0) create.template_id = planfix.communication_template_id;
  if (deal.project) create.project_id = *deal.project;
  if (planfix.processes.communication > 0) create.process_id = planfix.processes.communication;
  if (!pm.empty()) create.assignees.push_back(pm);
  plan.effects.push_back(
      plan::MakeEffect(create, "planfix", EventKey(event, "create_communication")));
  plan.flows.push_back(
      plan::FlowChange{flow_key, "handoff", deal.number, client->id, "handing_over", "{}"});
  plan.summary =
      fmt::format("handoff of deal {} complete: creating the Communication task", deal.number);
  return plan;
}

Result<plan::Plan> DecideHandoffCreated(const plan::StoredEvent& event,
                                        const RuleContext& context) {
  auto payload = detail::ParsePayload(event);
  if (!payload) return Fail(payload.error());
  const json request = payload->value("payload", json::object());
  const json result = payload->value("result", json::object());
  auto deal = detail::IdField(request, "deal");
  auto created = detail::IdField(result, "task");
  plan::Plan plan;
  if (!deal || !created) {
    plan.summary = "created task without a deal: nothing to link";
    return plan;
  }
  auto comment = detail::Render(context, "comment_handoff_done",
                                {{"task_number", std::to_string(*created)},
                                 {"task_url", detail::TaskUrl(context, *created)}});
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(detail::TaskComment(*deal, *comment, EventKey(event, "comment")));
  plan.flows.push_back(plan::FlowChange{fmt::format("handoff:task:{}", *deal), "handoff", *deal,
                                        std::nullopt, "handed_over",
                                        json{{"communication_task", *created}}.dump()});
  plan.summary = fmt::format("deal {} handed over: Communication task {}", *deal, *created);
  return plan;
}

// ---- Production gate ----

std::vector<std::string> MissingForProduction(const TaskFacts& task, const GateFacts& gate,
                                              const RuleContext& context) {
  const auto& fields = context.config->planfix.task_fields;
  std::vector<std::string> missing;
  if (!FieldSet(task, fields.payment_received))
    missing.push_back(Label(context, "оплата або передоплата", "payment or prepayment"));
  if (!FieldSet(task, fields.access_granted))
    missing.push_back(
        Label(context, "доступи до акаунтів клієнта", "access to the client's accounts"));
  if (!gate.brief_filled) missing.push_back(Label(context, "заповнений бриф", "the filled brief"));
  return missing;
}

Result<plan::Plan> DecideGate(const plan::StoredEvent& event, const TaskFacts& task,
                              const std::optional<ContactFacts>& client, const GateFacts& gate,
                              const RuleContext& context) {
  plan::Plan plan;
  const auto missing = MissingForProduction(task, gate, context);
  const std::string flow_key = fmt::format("gate:task:{}", task.number);
  const auto contact = client ? std::optional(client->id) : std::nullopt;
  if (!missing.empty()) {
    const std::int64_t back = gate.previous_status.value_or(
        std::max<std::int64_t>(context.config->planfix.gate_refused_status, 0));  // 0: stays
    auto comment =
        detail::Render(context, "comment_gate_refused",
                       {{"missing", Join(missing)}, {"moved_back", back > 0 ? "1" : ""}});
    if (!comment) return Fail(comment.error());
    if (back > 0)
      plan.effects.push_back(detail::TaskStatus(task.number, back, EventKey(event, "status")));
    plan.effects.push_back(detail::TaskComment(task.number, *comment, EventKey(event, "comment")));
    plan.flows.push_back(plan::FlowChange{flow_key, "gate", task.number, contact, "refused",
                                          json{{"missing", missing}}.dump()});
    plan.summary =
        fmt::format("production gate of task {} refused: {} missing", task.number, missing.size());
    return plan;
  }
  const std::string client_name = client ? client->name : std::string();
  auto told =
      TellClient(event, task, client, "work_started",
                 {{"client_name", client_name}, {"project_name", ""}, {"task_name", task.name}},
                 {{"client_name", client_name},
                  {"stage_name", ""},
                  {"message_kind", Label(context, "роботу розпочато", "work started")}},
                 context, plan);
  if (!told) return Fail(told.error());
  plan.flows.push_back(plan::FlowChange{flow_key, "gate", task.number, contact, "passed", "{}"});
  plan.summary = fmt::format("production gate of task {} passed", task.number);
  return plan;
}

// ---- Stage notifications ----

Result<plan::Plan> DecideStage(const plan::StoredEvent& event, const TaskFacts& task,
                               const std::optional<ContactFacts>& client,
                               const config::StageNotice& stage,
                               std::optional<std::int64_t> last_notified,
                               const RuleContext& context) {
  plan::Plan plan;
  if (last_notified && *last_notified == stage.status) {
    plan.summary = fmt::format("stage \"{}\" of task {} already told", stage.name, task.number);
    return plan;
  }
  const std::string client_name = client ? client->name : std::string();
  // The stage as the client reads it (names.<language>); the comment keeps the staff's name.
  std::string client_stage = stage.name;
  if (client) {
    const auto named = stage.names.find(detail::ClientLanguage(context, client->language));
    if (named != stage.names.end()) client_stage = named->second;
  }
  auto told = TellClient(
      event, task, client, stage.template_name,
      {{"client_name", client_name}, {"task_name", task.name}, {"stage_name", client_stage}},
      {{"client_name", client_name}, {"stage_name", stage.name}, {"message_kind", ""}}, context,
      plan);
  if (!told) return Fail(told.error());
  plan.flows.push_back(plan::FlowChange{fmt::format("stage:task:{}", task.number), "stage",
                                        task.number,
                                        client ? std::optional(client->id) : std::nullopt,
                                        "notified", json{{"status", stage.status}}.dump()});
  plan.summary = fmt::format("stage \"{}\" of task {} told to the client", stage.name, task.number);
  return plan;
}

}  // namespace planfix_flow::workflow
