#include "app/invoices_cli.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "planfix_flow/core/money.h"
#include "planfix_flow/core/parse.h"
#include "planfix_flow/workflow/invoices.h"

namespace planfix_flow::app {

using core::ErrorCode;
using core::Fail;
using nlohmann::json;

namespace {

constexpr std::size_t kAllRows = 100000;

std::string Field(const json& data, const char* name) {
  if (!data.is_object() || !data.contains(name)) return {};
  const auto& value = data[name];
  return value.is_string() ? value.get<std::string>() : value.dump();
}

std::int64_t IntField(const json& data, const char* name) {
  if (!data.is_object() || !data.contains(name) || !data[name].is_number_integer()) return 0;
  return data[name].get<std::int64_t>();
}

}  // namespace

void PrintInvoices(const storage::Database& db, InvoiceFilter filter, bool json_output,
                   core::TimePoint now, std::size_t limit, std::ostream& out) {
  std::vector<const char*> states = {"open", "partly_paid"};
  if (filter == InvoiceFilter::kAll) states.push_back("paid");
  json rows = json::array();
  std::vector<workflow::InvoiceState> invoices;
  for (const char* state : states) {
    for (const auto& flow : db.ListFlows("invoice", state, kAllRows)) {
      auto invoice = workflow::ParseInvoiceState(flow.data);
      if (!invoice) continue;
      const bool overdue = !invoice->paid_in_full() && invoice->due_at > 0 &&
                           core::ToUnixSeconds(now) >= invoice->due_at;
      if (filter == InvoiceFilter::kOverdue && !overdue) continue;
      if (invoices.size() >= limit) break;
      json row = workflow::ToJson(*invoice);
      row["state"] = flow.state;
      row["overdue"] = overdue;
      rows.push_back(std::move(row));
      invoices.push_back(std::move(*invoice));
    }
  }
  if (json_output) {
    out << rows.dump(2) << "\n";
    return;
  }
  out << fmt::format("{:>8}  {:<16}  {:<12}  {:>14}  {:>14}  {:<3}  {:<10}  {:>9}  {}\n", "TASK",
                     "NUMBER", "STATE", "AMOUNT", "PAID", "CUR", "DUE", "REMINDERS", "CLIENT");
  for (std::size_t i = 0; i < invoices.size(); ++i) {
    const auto& invoice = invoices[i];
    std::string state = rows[i]["state"].get<std::string>();
    if (rows[i]["overdue"].get<bool>()) state += "!";
    out << fmt::format("{:>8}  {:<16}  {:<12}  {:>14}  {:>14}  {:<3}  {:<10}  {:>9}  {}\n",
                       invoice.task, invoice.number, state, core::FormatMoney(invoice.amount_minor),
                       core::FormatMoney(invoice.paid_minor), invoice.currency, invoice.due_date,
                       invoice.reminders_sent, invoice.client_name);
  }
  if (invoices.empty())
    out << "(no invoices)\n";
  else if (filter != InvoiceFilter::kOverdue)
    out << "(\"!\": overdue)\n";
}

void PrintUnmatchedPayments(const storage::Database& db, bool json_output, std::size_t limit,
                            std::ostream& out) {
  const auto flows = db.ListFlows("payment", "unmatched", limit);
  if (json_output) {
    json array = json::array();
    for (const auto& flow : flows) array.push_back(storage::ToJson(flow));
    out << array.dump(2) << "\n";
    return;
  }
  for (const auto& flow : flows) {
    const json data = json::parse(flow.data, nullptr, /*allow_exceptions=*/false);
    const auto code = IntField(data, "currency_code");
    out << fmt::format(
        "{}  {} {}  {}  {}\n", flow.key, core::FormatMoney(IntField(data, "amount_minor")),
        code == workflow::kCurrencyUah ? std::string("UAH") : fmt::format("(ISO {})", code),
        storage::FormatTime(core::FromUnixSeconds(IntField(data, "time"))),
        Field(data, "counter_name"));
    out << "    purpose: " << Field(data, "description");
    if (!Field(data, "comment").empty()) out << " / " << Field(data, "comment");
    out << "\n    reason: " << Field(data, "reason") << "\n";
  }
  if (flows.empty()) out << "(no unmatched payments)\n";
}

core::Result<std::int64_t> RequestPaymentMatch(storage::Database& db, std::string_view payment,
                                               std::string_view task, core::TimePoint now) {
  const auto number = core::ParseId(task);
  if (!number)
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("'{}' is not a task number (a positive integer)", task));
  std::string key(payment);
  if (!key.starts_with("payment:")) key = workflow::BankPaymentFlowKey(payment);
  const auto flow = db.GetFlow(key);
  if (!flow || flow->kind != "payment")
    return Fail(ErrorCode::kNotFound,
                fmt::format("no payment {} (see `planfix-flow payments unmatched`)", key));
  if (flow->state != "unmatched") {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("payment {} is already {}{}", key, flow->state,
                            flow->task ? fmt::format(" (task {})", *flow->task) : std::string()));
  }
  const json data = json::parse(flow->data, nullptr, /*allow_exceptions=*/false);
  const auto code = IntField(data, "currency_code");
  if (code != workflow::kCurrencyUah)
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("payment {} is in currency {} (ISO 4217), not UAH: record it in "
                            "Planfix by hand",
                            key, code));
  const auto amount = IntField(data, "amount_minor");
  if (amount <= 0 || amount > workflow::kMaxBankPaymentMinor)
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("payment {} has an amount no invoice can take ({})", key,
                            core::FormatMoney(amount)));
  const auto invoice_flow = db.GetFlow(workflow::InvoiceFlowKey(*number));
  if (!invoice_flow)
    return Fail(ErrorCode::kNotFound, fmt::format("task {} has no registered invoice", *number));
  auto invoice = workflow::ParseInvoiceState(invoice_flow->data);
  if (!invoice) return Fail(invoice.error());
  if (invoice->paid_in_full())
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("invoice {} of task {} is already paid", invoice->number, *number));
  if (invoice->currency != "UAH")
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("invoice {} of task {} is in {}, the payment in UAH", invoice->number,
                            *number, invoice->currency));
  storage::NewEvent event;
  event.source = plan::EventSource::kInternal;
  event.dedupe_key = fmt::format("{}:{}:{}", workflow::kEventPaymentMatch, key, *number);
  event.kind = workflow::kEventPaymentMatch;
  event.payload = json{{"payment", key}, {"task", *number}}.dump();
  event.received_at = now;
  auto stored = db.AppendEvent(event);
  if (!stored) return Fail(stored.error());
  if (stored->outcome == storage::AppendOutcome::kDuplicate)
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("this match was already requested (event {}); the service handles it",
                            stored->event_id));
  return stored->event_id;
}

}  // namespace planfix_flow::app
