// Money received per deal for the time report (issue 14, "Pricing it"): the payments matched
// to invoices (issue 13's "payment" flows) as report receipts, each placed under the deal its
// invoice task belongs to. Reads only; call from one thread at a time per database.
//
// The model: a payment records the invoice's task. That task's deal is the task itself when
// it is in the deal process (planfix.processes.deal; with no deal process configured every
// task is its own deal, as for time), else its parent when the parent is a deal. Otherwise
// the report gives the payment to its client's one deal with work in the month, or lists it
// apart (timekeeping::BuildTimeReport). The task facts come from the time sync, which reads
// the tasks of recent payments and their parents (TimeSync::ReadPaymentTasks).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/timekeeping/time_report.h"

namespace planfix_flow::app {

// At most this many matched payments are read (an agency books hundreds a year).
inline constexpr std::size_t kMaxReceipts = 100'000;

// The deal `invoice_task` belongs to by the task facts the time sync stored; none when the
// task is neither a deal nor a deal's subtask (or its facts are not read yet).
std::optional<std::int64_t> InvoiceDealOf(const storage::Database& database,
                                          std::int64_t deal_process, std::int64_t invoice_task);

// Every matched payment booked up to the end of `last_day` (the bank's booking time when it
// has one, else when the service counted it), with its amount in minor units. A payment
// record without a task or a whole positive amount is skipped (logged).
std::vector<timekeeping::Receipt> ReceiptsUpTo(const storage::Database& database,
                                               std::int64_t deal_process,
                                               const calendar::WorkCalendar& calendar,
                                               const calendar::LocalDate& last_day);

}  // namespace planfix_flow::app
