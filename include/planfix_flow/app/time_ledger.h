// The month's communication-time report from what the service stored (issue 14): the synced
// time entries, classified and priced by the config's rules and assigned to their deal, the
// deals' amounts, and the time saved by the client messages the outbox sent. Reads only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/timekeeping/time_report.h"
#include "planfix_flow/workflow/facts.h"

namespace planfix_flow::app {

timekeeping::ClassifyRule ClassifyRuleFor(const config::TimeConfig& time);
// The config's rates in minor units (the validator has checked them).
timekeeping::Rates RatesFor(const config::TimeConfig& time);

// The deal a task's time counts for: the task itself when it is a deal (or nothing better is
// known), else its parent when that is a deal.
std::int64_t DealOf(const storage::Database& database, std::int64_t deal_process,
                    std::int64_t task);

timekeeping::TimeReportInput TimeReportInputFor(const storage::Database& database,
                                                const config::Config& config,
                                                const calendar::WorkCalendar& calendar,
                                                timekeeping::Month month,
                                                std::optional<std::int64_t> client);

// The minutes recorded in `month` by the deal they count for (DealOf) and kind of work (the
// monthly report's comment); deals without entries in the month are absent.
std::map<std::int64_t, workflow::WorkMinutes> MonthWorkMinutes(const storage::Database& database,
                                                               const config::Config& config,
                                                               timekeeping::Month month);

}  // namespace planfix_flow::app
