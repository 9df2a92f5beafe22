#include "app/workflow_facts.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "planfix_flow/app/time_ledger.h"

namespace planfix_flow::app {

using core::Fail;
using nlohmann::json;

namespace {

std::optional<std::int64_t> ParseChatId(const json& value) {
  if (value.is_number_integer() && value.get<std::int64_t>() != 0) return value.get<std::int64_t>();
  if (!value.is_string()) return std::nullopt;
  const std::string text = value.get<std::string>();
  if (text.empty() || text.size() > 20) return std::nullopt;
  std::size_t used = 0;
  try {
    const long long id = std::stoll(text, &used);
    if (used == text.size() && id != 0) return id;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// "contact:12" -> 12; anything else (a company, an employee, empty) -> nullopt.
std::optional<std::int64_t> ContactIdOf(const std::string& counterparty) {
  constexpr std::string_view kPrefix = "contact:";
  if (counterparty.rfind(kPrefix, 0) != 0) return std::nullopt;
  return ParseChatId(json(counterparty.substr(kPrefix.size())));
}

}  // namespace

core::Result<workflow::TaskFacts> WorkflowFacts::GetTask(std::int64_t number) {
  const auto& ids = config_.planfix.task_fields;
  std::vector<long long> fields;
  for (const auto id : {ids.work_type, ids.amount, ids.payment_received, ids.access_granted}) {
    if (id > 0) fields.push_back(id);
  }
  if (config_.invoices.enabled) {
    const auto& invoice = config_.invoices.fields;
    for (const auto id : {invoice.number, invoice.amount, invoice.currency, invoice.due_date,
                          invoice.payment_details, invoice.paid, invoice.paid_amount}) {
      if (id > 0 && std::find(fields.begin(), fields.end(), id) == fields.end())
        fields.push_back(id);
    }
  }
  auto task = planfix_.GetTask(number, fields);
  if (!task) return Fail(task.error());
  workflow::TaskFacts facts{task->id, task->name, ContactIdOf(task->counterparty_id)};
  facts.project = task->project_id;
  if (task->process_id && *task->process_id > 0) facts.process = *task->process_id;
  if (task->status) facts.status = task->status->id;
  facts.assigner = task->assigner_id;
  facts.assignees = task->assignee_ids;
  for (const auto& field : task->custom_fields) {
    if (!field.value.is_null()) facts.fields[field.field_id] = field.value;
  }
  return facts;
}

core::Result<workflow::ContactFacts> WorkflowFacts::GetContact(std::int64_t id) {
  const auto chat_field = config_.planfix.contact_fields.telegram_chat_id;
  const auto language_field = config_.planfix.contact_fields.language;
  std::vector<long long> fields;
  if (chat_field > 0) fields.push_back(chat_field);
  if (language_field > 0) fields.push_back(language_field);
  const auto& payer = config_.invoices.payer_fields;
  const auto edrpou_field = config_.invoices.enabled ? payer.edrpou : 0;
  const auto iban_field = config_.invoices.enabled ? payer.iban : 0;
  for (const auto field : {edrpou_field, iban_field}) {
    if (field > 0) fields.push_back(field);
  }
  auto contact = planfix_.GetContact(std::to_string(id), fields);
  if (!contact) return Fail(contact.error());
  workflow::ContactFacts facts;
  facts.id = contact->id;
  facts.name = contact->name;
  if (!contact->lastname.empty()) facts.name += (facts.name.empty() ? "" : " ") + contact->lastname;
  facts.email = contact->email;
  for (const auto& phone : contact->phones) facts.phones.push_back(phone.number);
  for (const auto& field : contact->custom_fields) {
    if (field.field_id == chat_field) facts.telegram_chat_id = ParseChatId(field.value);
    // A line or list field: Planfix gives its text (anything else is no language).
    if (language_field > 0 && field.field_id == language_field && field.value.is_string())
      facts.language = field.value.get<std::string>();
    // Line fields; a number field (an EDRPOU typed as a number) as its digits.
    for (const auto& [payer_field, out] :
         {std::pair{edrpou_field, &facts.edrpou}, std::pair{iban_field, &facts.iban}}) {
      if (payer_field <= 0 || field.field_id != payer_field) continue;
      if (field.value.is_string()) *out = field.value.get<std::string>();
      if (field.value.is_number_integer()) *out = field.value.dump();
    }
  }
  if (!facts.telegram_chat_id) facts.telegram_chat_id = ParseChatId(json(contact->telegram_id));
  facts.telegram_username = contact->telegram;
  return facts;
}

core::Result<std::vector<planfix::CustomFieldDefinition>> WorkflowFacts::ContactFields() {
  return planfix_.GetContactCustomFields();
}

// Cached for a few minutes: a process's statuses change rarely, and a status added to the
// process after the staff were told is picked up without a restart.
core::Result<std::vector<planfix::TaskStatus>> WorkflowFacts::ProcessStatuses(
    std::int64_t process) {
  const auto now = clock_.Now();
  if (const auto it = statuses_.find(process);
      it != statuses_.end() && now < it->second.first + kStatusesTtl) {
    return it->second.second;
  }
  auto statuses = planfix_.GetProcessStatuses(process);
  if (!statuses) return Fail(statuses.error());
  statuses_[process] = {now, *statuses};
  return statuses;
}

core::Result<std::vector<std::int64_t>> WorkflowFacts::FindContactsByEmail(
    const std::string& email) {
  return Find(planfix::ContactFilter{kContactFilterEmail, "equal", email, std::nullopt});
}

core::Result<std::vector<std::int64_t>> WorkflowFacts::FindContactsByPhone(
    const std::string& phone) {
  return Find(planfix::ContactFilter{kContactFilterPhone, "equal", phone, std::nullopt});
}

std::optional<storage::Flow> WorkflowFacts::GetFlow(const std::string& key) {
  return flows_ ? flows_->GetFlow(key) : std::nullopt;
}

std::vector<storage::Flow> WorkflowFacts::ListFlows(const std::string& kind,
                                                    const std::string& state, std::size_t limit) {
  return flows_ ? flows_->ListFlows(kind, state, limit) : std::vector<storage::Flow>();
}

core::Result<std::vector<workflow::TaskFacts>> WorkflowFacts::TasksWithCheckbox(
    std::int64_t template_id, std::int64_t field) {
  planfix::TaskQuery query;
  query.filters.push_back(
      planfix::TaskFilter{kTaskFilterTemplate, "equal", template_id, std::nullopt});
  query.filters.push_back(planfix::TaskFilter{kTaskFilterCheckboxField, "equal", 1, field});
  auto tasks = planfix_.ListTasks(query);
  if (!tasks) return Fail(tasks.error());
  std::vector<workflow::TaskFacts> out;
  for (const auto& task : *tasks) {
    workflow::TaskFacts facts{task.id, task.name, ContactIdOf(task.counterparty_id)};
    facts.project = task.project_id;
    if (task.process_id && *task.process_id > 0) facts.process = *task.process_id;
    if (task.status) facts.status = task.status->id;
    facts.assigner = task.assigner_id;
    facts.assignees = task.assignee_ids;
    out.push_back(std::move(facts));
  }
  return out;
}

std::vector<storage::Flow> WorkflowFacts::FlowsForTask(std::int64_t task, std::size_t limit) {
  return flows_ ? flows_->FlowsForTask(task, limit) : std::vector<storage::Flow>();
}

std::optional<std::map<std::int64_t, workflow::WorkMinutes>> WorkflowFacts::MonthWorkMinutes(
    std::string_view month) {
  auto parsed = timekeeping::ParseMonth(month);
  if (time_ == nullptr || config_.time.data_tag <= 0 || !parsed) return std::nullopt;
  return app::MonthWorkMinutes(*time_, config_, *parsed);
}

core::Result<std::vector<std::int64_t>> WorkflowFacts::Find(planfix::ContactFilter filter) {
  planfix::ContactQuery query;
  query.filters.push_back(std::move(filter));
  query.max_results = 20;
  auto found = planfix_.FindContacts(query);
  if (!found) return Fail(found.error());
  std::vector<std::int64_t> ids;
  for (const auto& contact : *found) ids.push_back(contact.id);
  return ids;
}

}  // namespace planfix_flow::app
