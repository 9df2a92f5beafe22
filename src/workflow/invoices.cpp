#include "planfix_flow/workflow/invoices.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "planfix_flow/core/money.h"
#include "planfix_flow/planfix/custom_field_value.h"
#include "planfix_flow/workflow/production.h"
#include "rule_support.h"

namespace planfix_flow::workflow {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

using detail::EventKey;

namespace {

// A label in the config's default language (comments and staff messages are read by staff).
std::string Label(const RuleContext& context, const char* uk, const char* en) {
  return context.config->templates.default_language == "en" ? en : uk;
}

// `fmt::format` of the label in the config's default language.
template <typename... Args>
std::string Say(const RuleContext& context, const char* uk, const char* en, const Args&... args) {
  return fmt::format(fmt::runtime(Label(context, uk, en)), args...);
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
  return out;
}

std::string Trimmed(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  return std::string(text.substr(first, text.find_last_not_of(kSpace) - first + 1));
}

// A text field's value; a number field's digits; empty otherwise.
std::string TextOf(const json& value) {
  if (value.is_string()) return Trimmed(value.get<std::string>());
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_object() && value.contains("value")) return TextOf(value["value"]);
  return {};
}

const json* FieldOf(const TaskFacts& task, std::int64_t id) {
  if (id <= 0) return nullptr;
  const auto it = task.fields.find(id);
  return it == task.fields.end() || it->second.is_null() ? nullptr : &it->second;
}

// Planfix's date field ({"date":"27-11-2026"}) or a date typed into a line field, as
// "YYYY-MM-DD"; empty when it is neither.
std::string DueDateOf(const json& value) {
  std::string text;
  if (value.is_object() && value.contains("date") && value["date"].is_string())
    text = value["date"].get<std::string>();
  else if (value.is_string())
    text = Trimmed(value.get<std::string>());
  if (text.empty()) return {};
  auto planfix_date = planfix::ToPlanfixDate(text);  // "dd-MM-yyyy", checked
  if (!planfix_date) return {};
  const std::string& d = *planfix_date;
  return fmt::format("{}-{}-{}", d.substr(6, 4), d.substr(3, 2), d.substr(0, 2));
}

// "2026-11-27" -> "27.11.2026", the way dates are shown in Ukraine.
std::string ShowDate(const std::string& iso) {
  if (iso.size() != 10) return iso;
  return fmt::format("{}.{}.{}", iso.substr(8, 2), iso.substr(5, 2), iso.substr(0, 4));
}

std::string Money(std::int64_t minor) { return core::FormatMoney(minor); }

// The wire value of a number field for an amount in minor units: an integer when whole, else
// the decimal text read back as a JSON number (exact for the digits FormatMoney prints).
json MoneyWire(std::int64_t minor) {
  if (minor % 100 == 0) return json(minor / 100);
  return json::parse(core::FormatMoney(minor));
}

plan::TimerChange SetTimer(std::string key, std::string kind, core::TimePoint due,
                           const json& payload) {
  plan::TimerChange timer;
  timer.action = plan::TimerAction::kSet;
  timer.key = std::move(key);
  timer.kind = std::move(kind);
  timer.due_at = due;
  timer.payload = payload.dump();
  return timer;
}

plan::TimerChange CancelTimer(std::string key) {
  plan::TimerChange timer;
  timer.action = plan::TimerAction::kCancel;
  timer.key = std::move(key);
  return timer;
}

plan::FlowChange InvoiceFlow(const InvoiceState& state) {
  return plan::FlowChange{
      InvoiceFlowKey(state.task), "invoice",           state.task, state.contact,
      InvoiceFlowState(state),    ToJson(state).dump()};
}

std::string SourceLabel(const RuleContext& context, std::string_view source) {
  if (source == "bank") return Label(context, "банк", "bank");
  if (source == "planfix") return Label(context, "позначка в Planfix", "Planfix mark");
  return Label(context, "зіставлено вручну", "matched by hand");
}

// When the first reminder is due: the start of work on the due date (or the next working
// moment after it), never before now.
core::TimePoint FirstReminderAt(const std::string& due_date, const RuleContext& context,
                                core::TimePoint now) {
  auto date = calendar::ParseLocalDate(due_date);
  core::TimePoint at = now;
  if (date) at = context.calendar->ToMoment(*date, calendar::LocalTime{0});
  at = context.calendar->NextWorkingMoment(std::max(at, now));
  return at;
}

// Counts `amount` towards `invoice` under `key` and plans everything a payment does: the
// Planfix paid fields and status (not for Planfix's own mark), a comment, the staff chat's
// "money in", the client's thanks, and the end of reminders when paid in full.
Result<bool> ApplyPayment(const plan::StoredEvent& event, InvoiceState& invoice,
                          const std::string& key, std::int64_t amount, std::string_view source,
                          const std::optional<ContactFacts>& client, const RuleContext& context,
                          core::TimePoint now, plan::Plan& plan) {
  if (std::any_of(invoice.payments.begin(), invoice.payments.end(),
                  [&](const InvoicePayment& payment) { return payment.key == key; })) {
    return false;
  }
  invoice.paid_minor += amount;
  invoice.payments.push_back(InvoicePayment{key, amount, std::string(source)});
  if (client && !client->name.empty()) invoice.client_name = client->name;
  const auto& settings = *context.config;
  const auto& fields = settings.invoices.fields;
  const bool full = invoice.paid_in_full();
  if (source != "planfix") {
    plan::PlanfixSetTaskFields set{invoice.task, {}};
    if (fields.paid_amount > 0)
      set.custom_fields.push_back({fields.paid_amount, MoneyWire(invoice.paid_minor)});
    if (fields.paid > 0 && full) set.custom_fields.push_back({fields.paid, true});
    if (!set.custom_fields.empty())
      plan.effects.push_back(plan::MakeEffect(set, "planfix", EventKey(event, "paid_fields")));
    if (full && settings.invoices.statuses.paid > 0) {
      plan.effects.push_back(detail::TaskStatus(invoice.task, settings.invoices.statuses.paid,
                                                EventKey(event, "paid_status")));
    }
  }
  const std::string remaining = full ? std::string() : Money(invoice.remaining_minor());
  const templates::Values values{{"invoice_number", invoice.number},
                                 {"amount", Money(amount)},
                                 {"currency", invoice.currency},
                                 {"source", SourceLabel(context, source)},
                                 {"paid", Money(invoice.paid_minor)},
                                 {"remaining", remaining},
                                 {"client_name", invoice.client_name},
                                 {"task_number", std::to_string(invoice.task)},
                                 {"task_url", detail::TaskUrl(context, invoice.task)}};
  auto comment = detail::Render(context, "comment_invoice_payment", values);
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(
      detail::TaskComment(invoice.task, *comment, EventKey(event, "payment_comment")));
  auto staff = detail::Render(context, "staff_money_in", values);
  if (!staff) return Fail(staff.error());
  plan.effects.push_back(detail::StaffMessage(context, *staff, EventKey(event, "money_in")));
  if (client && client->telegram_chat_id) {
    auto thanks = detail::RenderFor(context, detail::ClientLanguage(context, client->language),
                                    "invoice_thanks", values);
    if (!thanks) return Fail(thanks.error());
    // Money may come in at night or on a holiday (the bank books around the clock); the client
    // hears the thanks when the agency works, like every other message the agency sends.
    std::optional<core::TimePoint> not_before;
    if (!context.calendar->IsWorkingMoment(now))
      not_before = context.calendar->NextWorkingMoment(now);
    plan.effects.push_back(detail::ClientMessage(
        *client->telegram_chat_id, *thanks, EventKey(event, "thanks"),
        detail::ClientReport{invoice.task, client->id, client->name}, not_before));
  }
  if (full) plan.timers.push_back(CancelTimer(InvoiceReminderTimerKey(invoice.task)));
  plan.flows.push_back(InvoiceFlow(invoice));
  return true;
}

// Counts what Planfix's mark shows above what is already counted; false when nothing.
Result<bool> ApplyPlanfixMark(const plan::StoredEvent& event, const TaskFacts& task,
                              InvoiceState& invoice, const std::optional<ContactFacts>& client,
                              const RuleContext& context, core::TimePoint now, plan::Plan& plan) {
  const auto total = PlanfixPaidTotal(task, invoice, context);
  if (!total || *total <= invoice.paid_minor) return false;
  const std::int64_t added = *total - invoice.paid_minor;
  const std::string key = fmt::format("payment:planfix:{}:{}", invoice.task, *total);
  auto applied = ApplyPayment(event, invoice, key, added, "planfix", client, context, now, plan);
  if (!applied) return Fail(applied.error());
  if (*applied) {
    plan.flows.push_back(plan::FlowChange{key, "payment", invoice.task, invoice.contact, "matched",
                                          json{{"source", "planfix"},
                                               {"amount_minor", added},
                                               {"task", invoice.task},
                                               {"matched_by", "planfix"},
                                               {"total_minor", *total}}
                                              .dump()});
  }
  return *applied;
}

json PaymentJson(const BankPayment& payment) {
  return json{{"source", "monobank"},
              {"account", payment.account},
              {"id", payment.id},
              {"time", payment.time},
              {"amount_minor", payment.amount_minor},
              {"currency_code", payment.currency_code},
              {"description", payment.description},
              {"comment", payment.comment},
              {"counter_edrpou", payment.counter_edrpou},
              {"counter_iban", payment.counter_iban},
              {"counter_name", payment.counter_name},
              {"via", payment.via}};
}

std::string Normalised(std::string_view text, bool letters_and_digits_only) {
  std::string out;
  bool space = false;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (letters_and_digits_only && c < 0x80 && !std::isalnum(c)) continue;
    if (space && !letters_and_digits_only) out += ' ';
    space = false;
    out += c < 0x80 ? static_cast<char>(std::toupper(c)) : ch;
  }
  return out;
}

}  // namespace

std::string InvoiceFlowKey(std::int64_t task) { return fmt::format("invoice:task:{}", task); }
std::string InvoiceReminderTimerKey(std::int64_t task) {
  return fmt::format("invoice.reminder:task:{}", task);
}
std::string BankPaymentFlowKey(std::string_view item_id) {
  return fmt::format("payment:monobank:{}", item_id);
}

// ---- State ----

json ToJson(const InvoiceState& state) {
  json payments = json::array();
  for (const auto& payment : state.payments) {
    payments.push_back(
        {{"key", payment.key}, {"amount_minor", payment.amount_minor}, {"source", payment.source}});
  }
  json data{{"task", state.task},
            {"task_name", state.task_name},
            {"number", state.number},
            {"amount_minor", state.amount_minor},
            {"paid_minor", state.paid_minor},
            {"currency", state.currency},
            {"due_date", state.due_date},
            {"due_at", state.due_at},
            {"client_name", state.client_name},
            {"payment_details", state.payment_details},
            {"reminders_sent", state.reminders_sent},
            {"escalated", state.escalated},
            {"payments", std::move(payments)}};
  if (state.contact) data["contact"] = *state.contact;
  return data;
}

Result<InvoiceState> ParseInvoiceState(std::string_view data) {
  const json parsed = json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return Fail(ErrorCode::kInvalidInput, "invoice data is not an object");
  try {
    InvoiceState state;
    state.task = parsed.at("task").get<std::int64_t>();
    state.task_name = parsed.value("task_name", "");
    state.number = parsed.at("number").get<std::string>();
    state.amount_minor = parsed.at("amount_minor").get<std::int64_t>();
    state.paid_minor = parsed.at("paid_minor").get<std::int64_t>();
    state.currency = parsed.at("currency").get<std::string>();
    state.due_date = parsed.at("due_date").get<std::string>();
    state.due_at = parsed.value("due_at", std::int64_t{0});
    if (parsed.contains("contact") && parsed["contact"].is_number_integer())
      state.contact = parsed["contact"].get<std::int64_t>();
    state.client_name = parsed.value("client_name", "");
    state.payment_details = parsed.value("payment_details", "");
    state.reminders_sent = parsed.value("reminders_sent", 0);
    state.escalated = parsed.value("escalated", false);
    for (const auto& payment : parsed.value("payments", json::array())) {
      state.payments.push_back(InvoicePayment{payment.at("key").get<std::string>(),
                                              payment.at("amount_minor").get<std::int64_t>(),
                                              payment.value("source", "")});
    }
    return state;
  } catch (const json::exception& error) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("invoice data: {}", error.what()));
  }
}

std::string InvoiceFlowState(const InvoiceState& state) {
  if (state.paid_in_full()) return "paid";
  return state.paid_minor > 0 ? "partly_paid" : "open";
}

Result<std::int64_t> MoneyFromJson(const json& value) { return core::MoneyFromJson(value); }

InvoiceFieldsRead ReadInvoiceFields(const TaskFacts& task, const RuleContext& context) {
  const auto& settings = context.config->invoices;
  InvoiceFieldsRead read;
  InvoiceFields fields;
  const json* number = FieldOf(task, settings.fields.number);
  fields.number = number ? TextOf(*number) : std::string();
  if (fields.number.empty() || fields.number.size() > 64)
    read.missing.push_back(Label(context, "номер рахунку", "invoice number"));
  const json* amount = FieldOf(task, settings.fields.amount);
  auto minor = amount ? MoneyFromJson(*amount) : Result<std::int64_t>(0);
  if (!minor || *minor <= 0) {
    read.missing.push_back(
        minor ? Label(context, "сума рахунку (більше 0)", "invoice amount (above 0)")
              : Label(context, "сума рахунку (число, до 2 знаків після коми)",
                      "invoice amount (a number, up to 2 decimals)"));
  } else {
    fields.amount_minor = *minor;
  }
  const json* due = FieldOf(task, settings.fields.due_date);
  fields.due_date = due ? DueDateOf(*due) : std::string();
  if (fields.due_date.empty())
    read.missing.push_back(Label(context, "строк оплати (дата)", "due date"));
  fields.currency = settings.default_currency;
  if (const json* currency = FieldOf(task, settings.fields.currency)) {
    std::string text = TextOf(*currency);
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    if (!text.empty()) fields.currency = text;
  }
  if (fields.currency.size() != 3 || !std::all_of(fields.currency.begin(), fields.currency.end(),
                                                  [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
    read.missing.push_back(
        Label(context, "валюта (код з 3 літер, як UAH)", "currency (a 3-letter code like UAH)"));
  }
  if (const json* details = FieldOf(task, settings.fields.payment_details))
    fields.payment_details = TextOf(*details);
  if (read.missing.empty()) read.fields = std::move(fields);
  return read;
}

// ---- invoice.issued ----

namespace {

void FillInvoice(InvoiceState& state, const TaskFacts& task,
                 const std::optional<ContactFacts>& client, const InvoiceFields& fields) {
  state.task = task.number;
  state.task_name = task.name;
  state.number = fields.number;
  state.amount_minor = fields.amount_minor;
  state.currency = fields.currency;
  state.due_date = fields.due_date;
  state.payment_details = fields.payment_details;
  if (task.contact) state.contact = task.contact;
  if (client) state.client_name = client->name;
}

// Starts the reminders over from the due date; returns when the first one is due, as shown.
std::string ScheduleFirstReminder(InvoiceState& state, const RuleContext& context,
                                  core::TimePoint now, plan::Plan& plan) {
  state.reminders_sent = 0;
  state.escalated = false;
  const auto at = FirstReminderAt(state.due_date, context, now);
  state.due_at = core::ToUnixSeconds(at);
  plan.timers.push_back(SetTimer(InvoiceReminderTimerKey(state.task), kEventInvoiceReminder, at,
                                 json{{"task", state.task}, {"number", 1}}));
  return context.calendar->FormatLocal(at);
}

Result<std::string> RegisteredComment(const InvoiceState& state, const std::string& first_reminder,
                                      const RuleContext& context) {
  return detail::Render(context, "comment_invoice_registered",
                        {{"invoice_number", state.number},
                         {"amount", Money(state.amount_minor)},
                         {"currency", state.currency},
                         {"due_date", ShowDate(state.due_date)},
                         {"first_reminder", first_reminder}});
}

// The task back to whoever set it (the issued path also moves its status), naming what the
// invoice lacks.
Result<plan::Effect> IncompleteComment(const plan::StoredEvent& event, const TaskFacts& task,
                                       const InvoiceFieldsRead& read, const RuleContext& context) {
  auto comment =
      detail::Render(context, "comment_invoice_incomplete", {{"missing", Join(read.missing)}});
  if (!comment) return Fail(comment.error());
  plan::PlanfixAddComment note{task.number, *comment, {}};
  if (!task.assigner.empty()) note.recipients.push_back(task.assigner);
  return plan::MakeEffect(note, "planfix", EventKey(event, "comment"));
}

}  // namespace

Result<plan::Plan> DecideInvoiceIssued(const plan::StoredEvent& event, const TaskFacts& task,
                                       const std::optional<ContactFacts>& client,
                                       const std::optional<plan::Flow>& invoice,
                                       const RuleContext& context, core::TimePoint now) {
  plan::Plan plan;
  const auto read = ReadInvoiceFields(task, context);
  if (!read.fields) {
    auto note = IncompleteComment(event, task, read, context);
    if (!note) return Fail(note.error());
    const auto back = context.config->invoices.statuses.returned;
    if (back > 0 && task.status != back)
      plan.effects.push_back(detail::TaskStatus(task.number, back, EventKey(event, "status")));
    plan.effects.push_back(std::move(*note));
    plan.summary = fmt::format("invoice of task {} not registered: {} missing", task.number,
                               read.missing.size());
    return plan;
  }
  const InvoiceFields& fields = *read.fields;
  InvoiceState state;
  if (invoice) {
    auto stored = ParseInvoiceState(invoice->data);
    if (!stored) return Fail(stored.error());
    state = std::move(*stored);
    if (state.number == fields.number && state.amount_minor == fields.amount_minor &&
        state.currency == fields.currency && state.due_date == fields.due_date) {
      plan.summary =
          fmt::format("invoice {} of task {} already registered", state.number, task.number);
      return plan;
    }
    if (state.paid_in_full()) {
      plan.summary =
          fmt::format("invoice {} of task {} is paid: not changed", state.number, task.number);
      return plan;
    }
  }
  const bool due_changed = state.due_date != fields.due_date;
  FillInvoice(state, task, client, fields);
  std::string first_reminder;
  if (due_changed && !state.paid_in_full())
    first_reminder = ScheduleFirstReminder(state, context, now, plan);
  auto comment = RegisteredComment(state, first_reminder, context);
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(detail::TaskComment(task.number, *comment, EventKey(event, "comment")));
  if (state.paid_in_full())
    plan.timers.push_back(CancelTimer(InvoiceReminderTimerKey(task.number)));
  plan.flows.push_back(InvoiceFlow(state));
  plan.summary = fmt::format("invoice {} of task {} {}: {} {} due {}", state.number, task.number,
                             invoice ? "updated" : "registered", Money(state.amount_minor),
                             state.currency, state.due_date);
  return plan;
}

// ---- Planfix's paid mark ----

std::optional<std::int64_t> PlanfixPaidTotal(const TaskFacts& task, const InvoiceState& invoice,
                                             const RuleContext& context) {
  const auto& settings = context.config->invoices;
  std::optional<std::int64_t> total;
  if (const json* amount = FieldOf(task, settings.fields.paid_amount)) {
    if (auto parsed = MoneyFromJson(*amount); parsed && *parsed > 0) total = *parsed;
  }
  bool full = false;
  if (const json* paid = FieldOf(task, settings.fields.paid))
    full = paid->is_boolean() && paid->get<bool>();
  if (settings.statuses.paid > 0 && task.status == settings.statuses.paid) full = true;
  if (full) total = std::max(total.value_or(0), invoice.amount_minor);
  return total;
}

namespace {

// The accountant marked paid an invoice nobody registered (issued outside the service, or the
// issued button was never pressed): the money is real, so the task's invoice fields register
// it here and the mark counts at once; reminders start only for what is still unpaid. Fields
// missing: the task says which, and pressing the paid button again counts it.
Result<plan::Plan> RegisterOnPaidMark(const plan::StoredEvent& event, const TaskFacts& task,
                                      const std::optional<ContactFacts>& client,
                                      const RuleContext& context, core::TimePoint now) {
  plan::Plan plan;
  const auto read = ReadInvoiceFields(task, context);
  if (!read.fields) {
    auto note = IncompleteComment(event, task, read, context);
    if (!note) return Fail(note.error());
    plan.effects.push_back(std::move(*note));
    plan.summary = fmt::format("paid mark on task {} not counted: no invoice, {} field(s) missing",
                               task.number, read.missing.size());
    return plan;
  }
  InvoiceState state;
  FillInvoice(state, task, client, *read.fields);
  auto applied = ApplyPlanfixMark(event, task, state, client, context, now, plan);
  if (!applied) return Fail(applied.error());
  std::string first_reminder;
  if (!state.paid_in_full()) first_reminder = ScheduleFirstReminder(state, context, now, plan);
  auto comment = RegisteredComment(state, first_reminder, context);
  if (!comment) return Fail(comment.error());
  // Registered before paid, in the task's feed as in time.
  plan.effects.insert(plan.effects.begin(),
                      detail::TaskComment(task.number, *comment, EventKey(event, "comment")));
  plan.flows.push_back(InvoiceFlow(state));  // last: the state with its reminder
  plan.summary =
      fmt::format("invoice {} of task {} registered on Planfix's paid mark: paid {} of {}",
                  state.number, task.number, Money(state.paid_minor), Money(state.amount_minor));
  return plan;
}

}  // namespace

Result<plan::Plan> DecideInvoicePaidMark(const plan::StoredEvent& event, const TaskFacts& task,
                                         const std::optional<ContactFacts>& client,
                                         const std::optional<plan::Flow>& invoice,
                                         const RuleContext& context, core::TimePoint now) {
  plan::Plan plan;
  if (!invoice) return RegisterOnPaidMark(event, task, client, context, now);
  auto state = ParseInvoiceState(invoice->data);
  if (!state) return Fail(state.error());
  auto applied = ApplyPlanfixMark(event, task, *state, client, context, now, plan);
  if (!applied) return Fail(applied.error());
  plan.summary =
      *applied
          ? fmt::format("invoice {} of task {}: Planfix mark counted, paid {} of {}", state->number,
                        task.number, Money(state->paid_minor), Money(state->amount_minor))
          : fmt::format("invoice {} of task {}: Planfix mark adds nothing", state->number,
                        task.number);
  return plan;
}

// ---- Reminders ----

Result<plan::Plan> DecideInvoiceReminder(const plan::StoredEvent& event,
                                         const std::optional<TaskFacts>& task,
                                         const std::optional<ContactFacts>& client,
                                         const std::optional<plan::Flow>& invoice,
                                         const RuleContext& context, core::TimePoint now) {
  auto payload = detail::ParsePayload(event);
  if (!payload) return Fail(payload.error());
  auto number_field = detail::IdField(*payload, "task");
  if (!number_field) return Fail(number_field.error());
  const int number = payload->value("number", 1);
  plan::Plan plan;
  if (!invoice) {
    plan.summary = fmt::format("invoice reminder for task {} skipped: no invoice", *number_field);
    return plan;
  }
  auto state = ParseInvoiceState(invoice->data);
  if (!state) return Fail(state.error());
  if (task) {
    auto applied = ApplyPlanfixMark(event, *task, *state, client, context, now, plan);
    if (!applied) return Fail(applied.error());
  }
  const auto& settings = context.config->invoices;
  if (state->paid_in_full() || number <= state->reminders_sent || state->escalated) {
    plan.summary = fmt::format("invoice reminder {} for task {} skipped: {}", number, state->task,
                               state->paid_in_full() ? "paid" : "already done");
    return plan;
  }
  if (!context.calendar->IsWorkingMoment(now)) {
    // A timer that fired out of hours (the service was down): at the next working moment.
    plan.timers.push_back(SetTimer(InvoiceReminderTimerKey(state->task), kEventInvoiceReminder,
                                   context.calendar->NextWorkingMoment(now),
                                   json{{"task", state->task}, {"number", number}}));
    plan.summary = fmt::format("invoice reminder {} for task {} moved into working hours", number,
                               state->task);
    return plan;
  }
  const std::string remaining = Money(state->remaining_minor());
  const std::string client_name = client ? client->name : state->client_name;
  if (number > settings.max_reminders) {
    if (!settings.escalate_to_staff) {
      plan.summary = fmt::format("invoice {} of task {} unpaid after every reminder", state->number,
                                 state->task);
      return plan;
    }
    const templates::Values values{{"client_name", client_name},
                                   {"invoice_number", state->number},
                                   {"task_number", std::to_string(state->task)},
                                   {"task_url", detail::TaskUrl(context, state->task)},
                                   {"remaining", remaining},
                                   {"currency", state->currency},
                                   {"due_date", ShowDate(state->due_date)},
                                   {"reminders_sent", std::to_string(state->reminders_sent)}};
    auto staff = detail::Render(context, "invoice_escalation", values);
    if (!staff) return Fail(staff.error());
    auto comment = detail::Render(context, "comment_invoice_escalated", values);
    if (!comment) return Fail(comment.error());
    plan.effects.push_back(detail::StaffMessage(context, *staff, EventKey(event, "escalation")));
    plan.effects.push_back(
        detail::TaskComment(state->task, *comment, EventKey(event, "escalation_comment")));
    state->escalated = true;
    plan.flows.push_back(InvoiceFlow(*state));
    plan.summary =
        fmt::format("invoice {} of task {} escalated to the staff", state->number, state->task);
    return plan;
  }
  const core::TimePoint next =
      context.calendar->AddWorkingDays(now, settings.reminder_interval_working_days);
  std::string next_step;
  if (number < settings.max_reminders || settings.escalate_to_staff) {
    plan.timers.push_back(SetTimer(InvoiceReminderTimerKey(state->task), kEventInvoiceReminder,
                                   next, json{{"task", state->task}, {"number", number + 1}}));
    next_step = fmt::format("{} {}",
                            number < settings.max_reminders
                                ? Label(context, "наступне нагадування", "next reminder")
                                : Label(context, "повідомлення команді", "staff told"),
                            context.calendar->FormatLocal(next));
  }
  Result<std::string> comment = std::string();
  if (client && client->telegram_chat_id) {
    auto message = detail::RenderFor(
        context, detail::ClientLanguage(context, client->language), "invoice_reminder",
        {{"client_name", client_name},
         {"invoice_number", state->number},
         {"amount", remaining},
         {"currency", state->currency},
         {"due_date", ShowDate(state->due_date)},
         {"paid", state->paid_minor > 0 ? Money(state->paid_minor) : std::string()},
         {"payment_details", state->payment_details}});
    if (!message) return Fail(message.error());
    plan.effects.push_back(
        detail::ClientMessage(*client->telegram_chat_id, *message, EventKey(event, "reminder"),
                              detail::ClientReport{state->task, client->id, client_name}));
    comment = detail::Render(context, "comment_invoice_reminder_sent",
                             {{"client_name", client_name},
                              {"reminder_number", std::to_string(number)},
                              {"remaining", remaining},
                              {"currency", state->currency},
                              {"next_step", next_step}});
  } else {
    comment = detail::Render(
        context, "comment_delivery_failed",
        {{"client_name", client_name},
         {"reason", Label(context,
                          "у клієнта немає підключеного Telegram-чату (нагадування про "
                          "оплату не надіслано)",
                          "the client has no bound Telegram chat (payment reminder not sent)")}});
  }
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(detail::TaskComment(state->task, *comment, EventKey(event, "comment")));
  state->reminders_sent = number;
  plan.flows.push_back(InvoiceFlow(*state));
  plan.summary = fmt::format("invoice reminder {} for task {}: {} {} due", number, state->task,
                             remaining, state->currency);
  return plan;
}

// ---- Bank payments ----

Result<BankPayment> ParseBankPayment(std::string_view payload) {
  const json parsed = json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return Fail(ErrorCode::kInvalidInput, "payload is not a JSON object");
  BankPayment payment;
  const auto text = [&](const char* name, std::string& out, bool required) -> core::Status {
    const auto it = parsed.find(name);
    if (it == parsed.end() || it->is_null()) {
      if (required) return Fail(ErrorCode::kInvalidInput, fmt::format("{} is missing", name));
      return core::Ok();
    }
    if (!it->is_string())
      return Fail(ErrorCode::kInvalidInput, fmt::format("{} is not a string", name));
    out = it->get<std::string>();
    return core::Ok();
  };
  const auto integer = [&](const char* name, std::int64_t& out) -> core::Status {
    const auto it = parsed.find(name);
    if (it == parsed.end() || !(it->is_number_integer() || it->is_number_unsigned()))
      return Fail(ErrorCode::kInvalidInput, fmt::format("{} is not an integer", name));
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > INT64_MAX)
      return Fail(ErrorCode::kInvalidInput, fmt::format("{} is too large", name));
    out = it->get<std::int64_t>();
    return core::Ok();
  };
  for (const auto& status :
       {text("account", payment.account, true), text("id", payment.id, true),
        text("description", payment.description, false), text("comment", payment.comment, false),
        text("counter_edrpou", payment.counter_edrpou, false),
        text("counter_iban", payment.counter_iban, false),
        text("counter_name", payment.counter_name, false), text("via", payment.via, false),
        integer("time", payment.time), integer("amount", payment.amount_minor)}) {
    if (!status) return Fail(status.error());
  }
  std::int64_t currency = 0;
  if (auto status = integer("currency_code", currency); !status) return Fail(status.error());
  if (currency < 0 || currency > 999)
    return Fail(ErrorCode::kInvalidInput, "currency_code is not an ISO 4217 numeric code");
  payment.currency_code = static_cast<int>(currency);
  if (payment.id.empty()) return Fail(ErrorCode::kInvalidInput, "id is empty");
  return payment;
}

std::vector<std::int64_t> InvoicesNamedBy(const BankPayment& payment,
                                          const std::vector<InvoiceState>& open) {
  std::vector<std::int64_t> tasks;
  for (const auto& invoice : open) {
    if (core::MentionsNumber(payment.description, invoice.number) ||
        core::MentionsNumber(payment.comment, invoice.number)) {
      tasks.push_back(invoice.task);
    }
  }
  return tasks;
}

bool PayerIsClient(const BankPayment& payment, const ContactFacts& client) {
  const auto digits = [](std::string_view text) { return Normalised(text, true); };
  if (!payment.counter_edrpou.empty() && !client.edrpou.empty() &&
      digits(payment.counter_edrpou) == digits(client.edrpou)) {
    return true;
  }
  if (!payment.counter_iban.empty() && !client.iban.empty() &&
      digits(payment.counter_iban) == digits(client.iban)) {
    return true;
  }
  const std::string payer = Normalised(payment.counter_name, false);
  return !payer.empty() && payer == Normalised(client.name, false);
}

std::string BankPaymentRefusal(const BankPayment& payment, std::string_view language) {
  const bool uk = language == "uk";
  if (payment.currency_code != kCurrencyUah) {
    return fmt::format(
        fmt::runtime(uk ? "платіж у валюті {} (ISO 4217), а не в гривні (980): врахуйте його "
                          "вручну"
                        : "the payment is in currency {} (ISO 4217), not UAH (980): count it "
                          "by hand"),
        payment.currency_code);
  }
  if (payment.amount_minor <= 0) {
    return uk ? "це не надходження (сума не більша за 0)"
              : "the payment is not money in (amount is not above 0)";
  }
  if (payment.amount_minor > kMaxBankPaymentMinor) {
    return fmt::format(fmt::runtime(uk ? "сума {} неправдоподібна (понад {})"
                                       : "the amount {} is beyond belief (above {})"),
                       Money(payment.amount_minor), Money(kMaxBankPaymentMinor));
  }
  return {};
}

namespace {

Result<plan::Plan> RecordUnmatched(const plan::StoredEvent& event, const BankPayment& payment,
                                   const std::string& reason, const RuleContext& context) {
  plan::Plan plan;
  json data = PaymentJson(payment);
  data["reason"] = reason;
  const std::string key = BankPaymentFlowKey(payment.id);
  std::string purpose = payment.description;
  if (!payment.comment.empty()) purpose += (purpose.empty() ? "" : " / ") + payment.comment;
  const std::string currency = payment.currency_code == kCurrencyUah
                                   ? std::string("UAH")
                                   : fmt::format("(ISO {})", payment.currency_code);
  auto staff = detail::Render(context, "staff_payment_unmatched",
                              {{"payment", key},
                               {"amount", Money(payment.amount_minor)},
                               {"currency", currency},
                               {"payer", payment.counter_name},
                               {"purpose", purpose},
                               {"reason", reason}});
  if (!staff) return Fail(staff.error());
  plan.effects.push_back(detail::StaffMessage(context, *staff, EventKey(event, "unmatched")));
  plan.flows.push_back(
      plan::FlowChange{key, "payment", std::nullopt, std::nullopt, "unmatched", data.dump()});
  plan.summary = fmt::format("payment {} unmatched: {}", key, reason);
  return plan;
}

// The income entry of a payment the bank brought ([invoices.income]), on the invoice's task;
// nullopt when not configured. Keyed by the payment, so it is planned once whatever event
// (webhook, reconciliation, a manual match) counts it.
std::optional<plan::Effect> IncomeEntry(const plan::StoredEvent& event, const BankPayment& payment,
                                        const InvoiceState& invoice, const std::string& key,
                                        const RuleContext& context) {
  const auto& income = context.config->invoices.income;
  if (!income.enabled || income.data_tag <= 0 || income.fields.amount <= 0) return std::nullopt;
  plan::PlanfixAddDataTagEntry entry{invoice.task, income.data_tag, {}};
  entry.custom_fields.push_back({income.fields.amount, MoneyWire(payment.amount_minor)});
  if (income.fields.date > 0) {
    const core::TimePoint booked =
        payment.time > 0 ? core::FromUnixSeconds(payment.time) : event.received_at;
    if (auto date = planfix::ToPlanfixDate(context.calendar->ToLocalDate(booked).ToString()))
      entry.custom_fields.push_back({income.fields.date, json{{"date", *date}}});
  }
  if (income.fields.invoice_number > 0)
    entry.custom_fields.push_back({income.fields.invoice_number, invoice.number});
  if (income.fields.payer > 0)
    entry.custom_fields.push_back({income.fields.payer, payment.counter_name});
  if (income.fields.purpose > 0) {
    std::string purpose = payment.description;
    if (!payment.comment.empty()) purpose += (purpose.empty() ? "" : " / ") + payment.comment;
    entry.custom_fields.push_back({income.fields.purpose, purpose});
  }
  return plan::MakeEffect(entry, "planfix", fmt::format("income:{}", key));
}

Result<plan::Plan> RecordMatched(const plan::StoredEvent& event, const BankPayment& payment,
                                 InvoiceCandidate candidate, std::string_view matched_by,
                                 std::string_view source, const RuleContext& context,
                                 core::TimePoint now) {
  plan::Plan plan;
  const std::string key = BankPaymentFlowKey(payment.id);
  InvoiceState& invoice = candidate.invoice;
  auto applied = ApplyPayment(event, invoice, key, payment.amount_minor, source, candidate.client,
                              context, now, plan);
  if (!applied) return Fail(applied.error());
  if (!*applied) {
    plan.summary =
        fmt::format("payment {} already counted towards invoice {}", key, invoice.number);
    return plan;
  }
  if (auto income = IncomeEntry(event, payment, invoice, key, context))
    plan.effects.push_back(std::move(*income));
  json data = PaymentJson(payment);
  data["task"] = invoice.task;
  data["matched_by"] = std::string(matched_by);
  plan.flows.push_back(
      plan::FlowChange{key, "payment", invoice.task, invoice.contact, "matched", data.dump()});
  plan.summary = fmt::format("payment {} of {} matched to invoice {} of task {} by {}", key,
                             Money(payment.amount_minor), invoice.number, invoice.task, matched_by);
  return plan;
}

std::string Numbers(const std::vector<InvoiceCandidate>& candidates, const RuleContext& context) {
  std::vector<std::string> numbers;
  numbers.reserve(candidates.size());
  for (const auto& candidate : candidates) {
    numbers.push_back(Say(context, "{} (задача {})", "{} (task {})", candidate.invoice.number,
                          candidate.invoice.task));
  }
  return Join(numbers);
}

}  // namespace

// The reasons below reach the staff chat and `payments unmatched`: in the staff's language.
Result<plan::Plan> DecideBankPayment(const plan::StoredEvent& event, const BankPayment& payment,
                                     const std::vector<InvoiceCandidate>& named,
                                     const std::vector<InvoiceCandidate>& by_amount,
                                     const std::optional<plan::Flow>& existing,
                                     const RuleContext& context, core::TimePoint now,
                                     const std::vector<InvoiceState>& paid_named) {
  if (existing) {
    plan::Plan plan;
    plan.summary = fmt::format("payment {} already recorded ({})", existing->key, existing->state);
    return plan;
  }
  const auto unmatched = [&](const std::string& reason) {
    return RecordUnmatched(event, payment, reason, context);
  };
  const std::string_view language = context.config->templates.default_language;
  if (const auto refusal = BankPaymentRefusal(payment, language); !refusal.empty())
    return unmatched(refusal);
  if (named.size() > 1) {
    return unmatched(Say(context, "у призначенні названо кілька відкритих рахунків: {}",
                         "the purpose names several open invoices: {}", Numbers(named, context)));
  }
  const auto not_uah = [](const InvoiceCandidate& candidate) {
    return candidate.invoice.currency != "UAH";
  };
  if (named.size() == 1) {
    if (not_uah(named.front())) {
      return unmatched(Say(context, "рахунок {} виставлено в {}, а платіж у гривні",
                           "invoice {} is in {}, the payment in UAH", named.front().invoice.number,
                           named.front().invoice.currency));
    }
    return RecordMatched(event, payment, named.front(), "number", "bank", context, now);
  }
  if (!paid_named.empty()) {
    // Planfix's mark came first (or the payment is for an invoice paid before): never twice.
    std::vector<std::string> numbers;
    numbers.reserve(paid_named.size());
    for (const auto& invoice : paid_named) {
      numbers.push_back(
          Say(context, "{} (задача {})", "{} (task {})", invoice.number, invoice.task));
    }
    return unmatched(
        Say(context,
            "у призначенні названо рахунок {}, уже сплачений повністю; якщо гроші за інший "
            "рахунок, зіставте їх вручну",
            "the purpose names invoice {}, already paid in full; if the money is for another "
            "invoice, match it by hand",
            Join(numbers)));
  }
  std::vector<InvoiceCandidate> fitting;
  for (const auto& candidate : by_amount) {
    if (not_uah(candidate) || candidate.invoice.remaining_minor() != payment.amount_minor) continue;
    if (candidate.client && PayerIsClient(payment, *candidate.client)) fitting.push_back(candidate);
  }
  if (fitting.size() == 1) {
    return RecordMatched(event, payment, fitting.front(), "amount and payer", "bank", context, now);
  }
  if (fitting.size() > 1) {
    return unmatched(Say(context, "кілька відкритих рахунків цього платника чекають саме {}: {}",
                         "several open invoices of this payer await exactly {}: {}",
                         Money(payment.amount_minor), Numbers(fitting, context)));
  }
  if (!by_amount.empty()) {
    return unmatched(
        Say(context,
            "у призначенні немає номера рахунку; відкритих рахунків, що чекають саме {}: {}, "
            "але жоден не від цього платника",
            "no invoice number in the purpose; open invoices awaiting exactly {}: {}, none "
            "from this payer",
            Money(payment.amount_minor), by_amount.size()));
  }
  return unmatched(
      Say(context,
          "у призначенні немає номера відкритого рахунку, і жоден відкритий рахунок не чекає "
          "саме {}",
          "no open invoice's number in the purpose and no open invoice awaits exactly {}",
          Money(payment.amount_minor)));
}

Result<plan::Plan> DecideManualMatch(const plan::StoredEvent& event,
                                     const std::optional<plan::Flow>& payment,
                                     const std::optional<plan::Flow>& invoice,
                                     const std::optional<ContactFacts>& client,
                                     const RuleContext& context, core::TimePoint now) {
  plan::Plan plan;
  if (!payment || payment->kind != "payment") {
    plan.summary = "manual match ignored: no such payment";
    return plan;
  }
  if (payment->state != "unmatched") {
    plan.summary =
        fmt::format("manual match ignored: payment {} is {}", payment->key, payment->state);
    return plan;
  }
  if (!invoice) {
    plan.summary = "manual match ignored: the task has no invoice";
    return plan;
  }
  auto state = ParseInvoiceState(invoice->data);
  if (!state) return Fail(state.error());
  if (state->paid_in_full()) {
    plan.summary = fmt::format("manual match ignored: invoice {} is paid", state->number);
    return plan;
  }
  auto recorded = ParseBankPayment(payment->data);
  if (!recorded) {
    // The stored record is the ingress's payload plus the service's fields: same names.
    const json data = json::parse(payment->data, nullptr, /*allow_exceptions=*/false);
    if (!data.is_object()) return Fail(recorded.error());
    json as_payload = data;
    as_payload["amount"] = data.value("amount_minor", std::int64_t{0});
    recorded = ParseBankPayment(as_payload.dump());
    if (!recorded) return Fail(recorded.error());
  }
  if (recorded->currency_code != kCurrencyUah || state->currency != "UAH") {
    plan.summary = fmt::format("manual match ignored: payment in {} for an invoice in {}",
                               recorded->currency_code, state->currency);
    return plan;
  }
  if (recorded->amount_minor <= 0 || recorded->amount_minor > kMaxBankPaymentMinor) {
    plan.summary = "manual match ignored: the amount is not believable";
    return plan;
  }
  return RecordMatched(event, *recorded, InvoiceCandidate{*state, client}, "hand", "manual",
                       context, now);
}

namespace {

// At most this many open invoices are weighed for one payment (an agency has tens).
constexpr std::size_t kMaxOpenInvoices = 1000;
// At most this many clients are read from Planfix to compare payers (a second each).
constexpr std::size_t kMaxPayerReads = 10;

plan::Plan Skip(std::string summary) {
  plan::Plan plan;
  plan.summary = std::move(summary);
  return plan;
}

// The task; nullopt when Planfix has none.
Result<std::optional<TaskFacts>> LoadTask(FactSource& facts, std::int64_t number) {
  auto task = facts.GetTask(number);
  if (!task) {
    if (task.error().code == ErrorCode::kNotFound) return std::optional<TaskFacts>();
    return Fail(task.error());
  }
  return std::optional<TaskFacts>(std::move(*task));
}

Result<std::optional<ContactFacts>> LoadClient(FactSource& facts, std::optional<std::int64_t> id) {
  if (!id) return std::optional<ContactFacts>();
  auto contact = facts.GetContact(*id);
  if (!contact) {
    if (contact.error().code == ErrorCode::kNotFound) return std::optional<ContactFacts>();
    return Fail(contact.error());
  }
  return std::optional<ContactFacts>(std::move(*contact));
}

std::vector<InvoiceState> OpenInvoices(FactSource& facts) {
  std::vector<InvoiceState> open;
  for (const char* state : {"open", "partly_paid"}) {
    for (const auto& flow : facts.ListFlows("invoice", state, kMaxOpenInvoices)) {
      if (auto parsed = ParseInvoiceState(flow.data)) open.push_back(std::move(*parsed));
    }
  }
  return open;
}

Result<plan::Plan> HandleBank(const plan::StoredEvent& event, FactSource& facts,
                              const RuleContext& context, core::TimePoint now) {
  auto payment = ParseBankPayment(event.payload);
  if (!payment) return Skip(fmt::format("ignored: bank event: {}", payment.error().message));
  const auto existing = facts.GetFlow(BankPaymentFlowKey(payment->id));
  if (existing || !BankPaymentRefusal(*payment).empty())
    return DecideBankPayment(event, *payment, {}, {}, existing, context, now);
  const auto open = OpenInvoices(facts);
  std::vector<InvoiceCandidate> named;
  for (const auto task : InvoicesNamedBy(*payment, open)) {
    for (const auto& invoice : open) {
      if (invoice.task == task) named.push_back(InvoiceCandidate{invoice, std::nullopt});
    }
  }
  if (named.size() == 1) {
    auto client = LoadClient(facts, named.front().invoice.contact);
    if (!client) return Fail(client.error());
    named.front().client = std::move(*client);
  }
  std::vector<InvoiceState> paid_named;
  if (named.empty()) {
    std::vector<InvoiceState> paid;
    for (const auto& flow : facts.ListFlows("invoice", "paid", kMaxOpenInvoices)) {
      if (auto parsed = ParseInvoiceState(flow.data)) paid.push_back(std::move(*parsed));
    }
    for (const auto task : InvoicesNamedBy(*payment, paid)) {
      for (const auto& invoice : paid) {
        if (invoice.task == task) paid_named.push_back(invoice);
      }
    }
  }
  std::vector<InvoiceCandidate> by_amount;
  if (named.empty() && paid_named.empty()) {
    for (const auto& invoice : open) {
      if (invoice.remaining_minor() != payment->amount_minor || invoice.currency != "UAH") continue;
      InvoiceCandidate candidate{invoice, std::nullopt};
      if (by_amount.size() < kMaxPayerReads) {
        auto client = LoadClient(facts, invoice.contact);
        if (!client) return Fail(client.error());
        candidate.client = std::move(*client);
      }
      by_amount.push_back(std::move(candidate));
    }
  }
  return DecideBankPayment(event, *payment, named, by_amount, std::nullopt, context, now,
                           paid_named);
}

}  // namespace

std::optional<Result<plan::Plan>> HandleInvoiceEvent(const plan::StoredEvent& event,
                                                     FactSource& facts, const RuleContext& context,
                                                     core::TimePoint now) {
  const auto& settings = context.config->invoices;
  if (!settings.enabled) return std::nullopt;
  if (event.kind == kEventBankStatementItem) {
    if (event.source != plan::EventSource::kBank)
      return Skip("ignored: a bank event from another source");
    return HandleBank(event, facts, context, now);
  }
  const bool status_event = event.kind == kEventStatusChanged;
  if (!status_event && event.kind != kEventInvoiceIssued && event.kind != kEventInvoicePaid &&
      event.kind != kEventInvoiceReminder && event.kind != kEventPaymentMatch) {
    return std::nullopt;
  }
  // Only the CLI (through the inbox) matches by hand, and only a timer reminds.
  if (event.kind == kEventPaymentMatch && event.source != plan::EventSource::kInternal)
    return Skip("ignored: payment.match from another source than the CLI");
  if (event.kind == kEventInvoiceReminder && event.source != plan::EventSource::kTimer)
    return Skip("ignored: invoice.reminder from another source than a timer");
  auto payload = detail::ParsePayload(event);
  if (!payload) {
    if (status_event) return std::nullopt;
    return Skip(fmt::format("ignored: {}", payload.error().message));
  }
  std::optional<std::int64_t> status;
  if (auto given = detail::IdField(*payload, "status")) status = *given;
  bool issued = event.kind == kEventInvoiceIssued;
  bool paid = event.kind == kEventInvoicePaid;
  if (status_event) {
    issued = status && settings.statuses.issued > 0 && *status == settings.statuses.issued;
    paid = status && settings.statuses.paid > 0 && *status == settings.statuses.paid;
    if (!issued && !paid) return std::nullopt;
  }
  auto number = detail::IdField(*payload, "task");
  if (!number) return Skip(fmt::format("ignored: {}", number.error().message));
  const auto invoice = facts.GetFlow(InvoiceFlowKey(*number));

  if (event.kind == kEventPaymentMatch) {
    std::string payment_key;
    if (payload->contains("payment") && (*payload)["payment"].is_string())
      payment_key = (*payload)["payment"].get<std::string>();
    const auto payment = facts.GetFlow(payment_key);
    std::optional<std::int64_t> contact;
    if (invoice) contact = invoice->contact;
    auto client = LoadClient(facts, contact);
    if (!client) return Fail(client.error());
    return DecideManualMatch(event, payment, invoice, *client, context, now);
  }

  auto task = LoadTask(facts, *number);
  if (!task) return Fail(task.error());
  if (event.kind == kEventInvoiceReminder) {
    std::optional<std::int64_t> contact;
    if (*task) contact = (*task)->contact;
    if (!contact && invoice) contact = invoice->contact;
    auto client = LoadClient(facts, contact);
    if (!client) return Fail(client.error());
    return DecideInvoiceReminder(event, *task, *client, invoice, context, now);
  }
  if (!*task) return Skip("ignored: unknown task");
  auto client = LoadClient(facts, (*task)->contact);
  if (!client) return Fail(client.error());
  auto plan = issued ? DecideInvoiceIssued(event, **task, *client, invoice, context, now)
                     : DecideInvoicePaidMark(event, **task, *client, invoice, context, now);
  if (plan && status_event && status)
    plan->flows.push_back(StatusSeen(*number, *status, std::nullopt));
  return plan;
}

}  // namespace planfix_flow::workflow
