#include "app/deal_revenue.h"

#include <nlohmann/json.hpp>

#include <tuple>

#include "planfix_flow/core/log.h"

namespace planfix_flow::app {

using nlohmann::json;

std::optional<std::int64_t> InvoiceDealOf(const storage::Database& database,
                                          std::int64_t deal_process, std::int64_t invoice_task) {
  if (deal_process <= 0) return invoice_task;  // every task its own deal, as for time
  const auto facts = database.GetTimeTask(invoice_task);
  if (!facts || facts->deleted) return std::nullopt;
  if (facts->process == deal_process) return invoice_task;
  if (facts->parent <= 0) return std::nullopt;
  const auto parent = database.GetTimeTask(facts->parent);
  if (!parent || parent->deleted || parent->process != deal_process) return std::nullopt;
  return parent->task;
}

std::vector<timekeeping::Receipt> ReceiptsUpTo(const storage::Database& database,
                                               std::int64_t deal_process,
                                               const calendar::WorkCalendar& calendar,
                                               const calendar::LocalDate& last_day) {
  std::vector<timekeeping::Receipt> receipts;
  for (const auto& flow : database.ListFlows("payment", "matched", kMaxReceipts)) {
    const json data = json::parse(flow.data, nullptr, /*allow_exceptions=*/false);
    const json amount = data.is_object() ? data.value("amount_minor", json()) : json();
    if (!flow.task || *flow.task <= 0 || !amount.is_number_integer() ||
        amount.get<std::int64_t>() <= 0) {
      core::Logger("time")->warn(
          "event=payment_not_counted payment={} reason=\"no task or amount\"", flow.key);
      continue;
    }
    // The bank's booking time; Planfix's paid mark has none: when the service counted it.
    core::TimePoint came = flow.created_at;
    if (const json time = data.value("time", json());
        time.is_number_integer() && time.get<std::int64_t>() > 0) {
      came = core::FromUnixSeconds(time.get<std::int64_t>());
    }
    timekeeping::Receipt receipt;
    receipt.key = flow.key;
    receipt.invoice_task = *flow.task;
    receipt.amount = amount.get<std::int64_t>();
    receipt.date = calendar.ToLocalDate(came);
    const auto& day = receipt.date;
    // Compared field by field: clang-tidy 14 reports a finding inside LocalDate's defaulted <=>.
    if (std::tie(day.year, day.month, day.day) >
        std::tie(last_day.year, last_day.month, last_day.day)) {
      continue;
    }
    receipt.deal = InvoiceDealOf(database, deal_process, receipt.invoice_task);
    if (const auto facts = database.GetTimeTask(receipt.invoice_task);
        facts && facts->counterparty > 0) {
      receipt.client = facts->counterparty;
    } else if (flow.contact && *flow.contact > 0) {
      receipt.client = flow.contact;
    }
    receipts.push_back(std::move(receipt));
  }
  return receipts;
}

}  // namespace planfix_flow::app
