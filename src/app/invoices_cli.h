// `planfix-flow invoices list` and `planfix-flow payments unmatched|match`: read the invoice
// and payment flows the service keeps, and queue a manual match as an internal inbox event
// (so the running service does it, durably and once). Use from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string_view>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {

enum class InvoiceFilter { kAll, kOpen, kOverdue };

// Open: not paid in full. Overdue: open and past the first reminder's moment (`now`).
void PrintInvoices(const storage::Database& db, InvoiceFilter filter, bool json,
                   core::TimePoint now, std::size_t limit, std::ostream& out);
void PrintUnmatchedPayments(const storage::Database& db, bool json, std::size_t limit,
                            std::ostream& out);

// Checks a manual match and queues it (source internal, kind payment.match, dedupe key
// "payment.match:<payment>:<task>"); returns the event id. `payment` is a flow key
// ("payment:monobank:<id>") or a bare bank item id; `task` a task number. kInvalidInput or
// kNotFound, saying what is wrong, when the payment is unknown, already matched or not in
// UAH, or the task has no open invoice; nothing is stored then.
core::Result<std::int64_t> RequestPaymentMatch(storage::Database& db, std::string_view payment,
                                               std::string_view task, core::TimePoint now);

}  // namespace planfix_flow::app
