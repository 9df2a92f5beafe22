// Invoices and money in (issue 13, sections 2 and 3): a Planfix button or status registers a
// task's invoice; unpaid invoices get polite reminders from the due date (working hours), then
// an escalation; payments come from Planfix (the accountant's paid mark) and from the bank
// (monobank statement items the ingress stores) and are matched to open invoices. Every Decide
// function is pure: event + facts + context + now -> Plan.
//
// Flow rows it keeps (storage "flows"):
//   invoice:task:<N>          the invoice of task N; state open | partly_paid | paid; data
//                             InvoiceState (amounts in minor units)
//   payment:monobank:<id>     a bank payment; state matched | unmatched; data PaymentRecord
//   payment:planfix:<N>:<total>  what Planfix's paid mark added (state matched)
//
// How the two sources reconcile: an invoice's paid_minor is the sum of the payments counted
// towards it, each counted once under its flow key. The service writes that total into the
// task's paid-amount field (and ticks "paid", sets the paid status) itself, so Planfix's
// mark is read as "the total paid according to Planfix": a mark adds only what it shows
// above paid_minor (a full mark: up to the amount), and the echo of the service's own write,
// or a mark for money the bank already brought, adds nothing. A bank payment for an invoice
// already paid in full is kept as unmatched for a person rather than counted twice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/workflow/facts.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::workflow {

// Event kinds.
inline constexpr char kEventInvoiceIssued[] = "invoice.issued";      // Planfix button
inline constexpr char kEventInvoicePaid[] = "invoice.paid";          // Planfix button/automation
inline constexpr char kEventInvoiceReminder[] = "invoice.reminder";  // timer {task, number}
inline constexpr char kEventBankStatementItem[] = "bank.statement_item";  // source bank
// The CLI's `payments match <payment> <task>` (source internal, dedupe key
// "payment.match:<payment>"): {payment (flow key), task}.
inline constexpr char kEventPaymentMatch[] = "payment.match";

// ISO 4217 numeric code of the hryvnia: bank payments in any other currency stay unmatched.
inline constexpr int kCurrencyUah = 980;
// An incoming payment above this (10^11 kopecks, a billion hryvnias) is not believed.
inline constexpr std::int64_t kMaxBankPaymentMinor = 100'000'000'000;

std::string InvoiceFlowKey(std::int64_t task);
std::string InvoiceReminderTimerKey(std::int64_t task);
std::string BankPaymentFlowKey(std::string_view item_id);

struct InvoicePayment {
  std::string key;  // the payment's flow key
  std::int64_t amount_minor = 0;
  std::string source;  // "bank", "planfix", "manual"
};

struct InvoiceState {
  std::int64_t task = 0;
  std::string task_name;
  std::string number;
  std::int64_t amount_minor = 0;
  std::int64_t paid_minor = 0;
  std::string currency;     // "UAH"
  std::string due_date;     // "YYYY-MM-DD" (the calendar's time zone)
  std::int64_t due_at = 0;  // Unix s: the first reminder's moment (overdue from then on)
  std::optional<std::int64_t> contact;
  std::string client_name;
  std::string payment_details;
  int reminders_sent = 0;
  bool escalated = false;
  std::vector<InvoicePayment> payments;

  std::int64_t remaining_minor() const { return amount_minor - paid_minor; }
  bool paid_in_full() const { return paid_minor >= amount_minor; }
};
core::Result<InvoiceState> ParseInvoiceState(std::string_view data);
nlohmann::json ToJson(const InvoiceState& state);
// "open", "partly_paid" or "paid".
std::string InvoiceFlowState(const InvoiceState& state);

// An amount as Planfix gives a number or line field, to minor units without floating point:
// core::MoneyFromJson, the one money parser.
core::Result<std::int64_t> MoneyFromJson(const nlohmann::json& value);

// The invoice fields of a task, or the labels of what is missing or unreadable (in the
// default language, for the comment).
struct InvoiceFields {
  std::string number;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string due_date;  // "YYYY-MM-DD"
  std::string payment_details;
};
struct InvoiceFieldsRead {
  std::optional<InvoiceFields> fields;
  std::vector<std::string> missing;
};
InvoiceFieldsRead ReadInvoiceFields(const TaskFacts& task, const RuleContext& context);

// invoice.issued (or the issued status): registers the invoice (or sends the task back naming
// what is missing). Registering the same invoice again changes nothing; a changed amount, number
// or due date on an unpaid invoice updates it.
core::Result<plan::Plan> DecideInvoiceIssued(const plan::StoredEvent& event, const TaskFacts& task,
                                             const std::optional<ContactFacts>& client,
                                             const std::optional<plan::Flow>& invoice,
                                             const RuleContext& context, core::TimePoint now);

// What Planfix says was paid: the paid-amount field (a total), the paid checkbox or the paid
// status (in full). nullopt: no mark.
std::optional<std::int64_t> PlanfixPaidTotal(const TaskFacts& task, const InvoiceState& invoice,
                                             const RuleContext& context);

// invoice.paid (or the paid status): counts what Planfix shows above what is already counted.
// On a task with no registered invoice the task's invoice fields register it first (reminders
// only for what stays unpaid); fields missing: a comment names them and nothing is counted.
core::Result<plan::Plan> DecideInvoicePaidMark(const plan::StoredEvent& event,
                                               const TaskFacts& task,
                                               const std::optional<ContactFacts>& client,
                                               const std::optional<plan::Flow>& invoice,
                                               const RuleContext& context, core::TimePoint now);

// invoice.reminder: the next reminder, or the escalation after the last one. `task` is the
// task as Planfix has it now (a paid mark found here is counted first and stops the reminder).
core::Result<plan::Plan> DecideInvoiceReminder(const plan::StoredEvent& event,
                                               const std::optional<TaskFacts>& task,
                                               const std::optional<ContactFacts>& client,
                                               const std::optional<plan::Flow>& invoice,
                                               const RuleContext& context, core::TimePoint now);

// A bank statement item as the ingress stores it (the bank branch's contract).
struct BankPayment {
  std::string account;
  std::string id;
  std::int64_t time = 0;
  std::int64_t amount_minor = 0;
  int currency_code = 0;
  std::string description;
  std::string comment;
  std::string counter_edrpou;
  std::string counter_iban;
  std::string counter_name;
  std::string via;
};
// kInvalidInput naming the field when the payload does not have the contract's shape.
core::Result<BankPayment> ParseBankPayment(std::string_view payload);

// An open invoice the payment may be for, with its client when the rules need the payer.
struct InvoiceCandidate {
  InvoiceState invoice;
  std::optional<ContactFacts> client;
};

// The open invoices whose number the payment's description or comment mentions.
std::vector<std::int64_t> InvoicesNamedBy(const BankPayment& payment,
                                          const std::vector<InvoiceState>& open);
// Whether the payer (EDRPOU, IBAN or name) is the client.
bool PayerIsClient(const BankPayment& payment, const ContactFacts& client);

// Why a payment cannot be matched by itself (empty: it may be): not UAH, absurd amount. In
// Ukrainian when `language` is "uk", else in English.
std::string BankPaymentRefusal(const BankPayment& payment, std::string_view language = "en");

// bank.statement_item: `named` are the open invoices the purpose names (by number);
// `by_amount` the open invoices whose remaining amount equals the payment, with their clients
// (only read when `named` is empty). Matched: the invoice is paid or partly paid, with every
// effect of a payment; otherwise the payment is recorded unmatched with the reason and the
// staff chat is told. `existing`: the payment's flow when already recorded (nothing again).
// `paid_named`: invoices paid in full that the purpose names (when `named` is empty): the
// payment stays unmatched rather than counted twice (Planfix's mark may have come first).
core::Result<plan::Plan> DecideBankPayment(const plan::StoredEvent& event,
                                           const BankPayment& payment,
                                           const std::vector<InvoiceCandidate>& named,
                                           const std::vector<InvoiceCandidate>& by_amount,
                                           const std::optional<plan::Flow>& existing,
                                           const RuleContext& context, core::TimePoint now,
                                           const std::vector<InvoiceState>& paid_named = {});

// payment.match: a person matched an unmatched payment to the invoice of a task.
core::Result<plan::Plan> DecideManualMatch(const plan::StoredEvent& event,
                                           const std::optional<plan::Flow>& payment,
                                           const std::optional<plan::Flow>& invoice,
                                           const std::optional<ContactFacts>& client,
                                           const RuleContext& context, core::TimePoint now);

// The invoice rules' part of the dispatch: loads the facts an invoice or payment event needs
// through `facts` and decides; nullopt for any other event, and for every event while
// invoices.enabled is false. A task.status_changed to invoices.statuses.issued or .paid is an
// invoice event.
std::optional<core::Result<plan::Plan>> HandleInvoiceEvent(const plan::StoredEvent& event,
                                                           FactSource& facts,
                                                           const RuleContext& context,
                                                           core::TimePoint now);

}  // namespace planfix_flow::workflow
