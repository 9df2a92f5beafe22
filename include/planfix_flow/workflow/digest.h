// The daily money digest (issue 13, section 3; [invoices.digest], off by default): on working
// days at a configured local time the staff chat gets the money that came in since the previous
// digest (every payment the service recorded, matched or not) and the invoices overdue now.
// A durable timer holds the next digest; a flow per day keeps it to one. Pure: event + flows +
// now -> Plan.
//
// Flow rows it keeps (storage "flows"):
//   invoices.digest:<YYYY-MM-DD>  the day's digest; state sent; data {from, to, payments,
//                                 overdue} (Unix s, counts)
//   invoices.digest.last          data {to}: where the next digest's window starts
// Timer: invoices.digest (payload {date}); each digest sets the next working day's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/workflow/facts.h"
#include "planfix_flow/workflow/invoices.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::workflow {

inline constexpr char kEventDigestSchedule[] = "invoices.digest.schedule";  // internal, start
inline constexpr char kEventDigest[] = "invoices.digest";                   // timer {date}
inline constexpr char kDigestTimerKey[] = "invoices.digest";
inline constexpr char kDigestLastFlowKey[] = "invoices.digest.last";
std::string DigestFlowKey(const calendar::LocalDate& date);

// The first working day's `at` (local) strictly after `after`.
core::TimePoint NextDigestAt(const calendar::WorkCalendar& calendar, calendar::LocalTime at,
                             core::TimePoint after);

// A payment as the digest lists it.
struct DigestPayment {
  std::string key;  // the payment's flow key
  std::int64_t amount_minor = 0;
  std::string currency;  // "UAH"
  bool matched = false;
  std::string invoice_number;  // matched: the invoice it counts towards
  std::string client;          // matched: the invoice's client; else the bank's payer name
  core::TimePoint recorded_at;
};

struct DigestInput {
  std::vector<DigestPayment> payments;  // recorded within the window, oldest first
  std::vector<InvoiceState> overdue;    // unpaid past their first reminder's moment
  std::optional<core::TimePoint> from;  // the previous digest's end; nullopt: the first digest
  bool already_sent = false;            // the day's digest exists
};

// invoices.digest.schedule: the timer for the next digest (none pending at start).
core::Result<plan::Plan> DecideDigestSchedule(const plan::StoredEvent& event,
                                              const RuleContext& context, core::TimePoint now);

// invoices.digest: the staff message (template staff_money_digest, the default language), the
// day's flow, the window's end, and the next working day's timer. Once per `date`.
core::Result<plan::Plan> DecideDigest(const plan::StoredEvent& event,
                                      const calendar::LocalDate& date, const DigestInput& input,
                                      const RuleContext& context, core::TimePoint now);

// The digest's part of the dispatch: nullopt for other events and while invoices.digest is off.
std::optional<core::Result<plan::Plan>> HandleDigestEvent(const plan::StoredEvent& event,
                                                          FactSource& facts,
                                                          const RuleContext& context,
                                                          core::TimePoint now);

}  // namespace planfix_flow::workflow
