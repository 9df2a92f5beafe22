// Hourly rates from a Planfix employee field (issue 14, "Pricing it"): when time.rate_field
// names an employee custom field, the time sync reads every employee's value of it
// (`POST /user/list`) at most once per kPlanfixRatesMaxAge and stores the rates in the
// database, so the report (another process) and the timers price with them too.
// Precedence: a rate in time.rates > the employee's Planfix field > time.default_rate.
// Thread-safe as the database is.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/timekeeping/time_report.h"

namespace planfix_flow::app {

// How long a read of the employees' rates is used before the next sync reads them again.
inline constexpr core::Duration kPlanfixRatesMaxAge = std::chrono::hours(1);
// The largest hourly rate believed, in minor units (as the config's: 1 000 000.00).
inline constexpr std::int64_t kMaxHourlyRateMinor = 100'000'000;

struct PlanfixRates {
  std::int64_t field = 0;  // the field they were read from
  std::optional<core::TimePoint> read_at;
  std::map<std::string, std::int64_t, std::less<>> per_employee;  // "user:5" -> minor units
};

// The rates last stored (empty when none, or when read from another field than `field`).
PlanfixRates StoredPlanfixRates(const storage::Database& database, std::int64_t field);

// Reads the employees' rates again when time.rate_field is set and the stored read is older
// than kPlanfixRatesMaxAge (or of another field). A value that is not an amount (or beyond
// kMaxHourlyRateMinor) is skipped with a warning; an empty one means "no rate in Planfix".
// An error leaves the stored rates as they were.
core::Status RefreshPlanfixRates(planfix::PlanfixClient& planfix, storage::Database& database,
                                 std::int64_t field, core::TimePoint now);

// The rates the report prices with: the config's over the Planfix field's, then the default.
timekeeping::Rates RatesWithPlanfix(const config::TimeConfig& time,
                                    const storage::Database& database);

// Whether `employee`'s time can be priced (a rate from any source, or a default).
bool HasRate(const config::TimeConfig& time, const storage::Database& database,
             std::string_view employee);

}  // namespace planfix_flow::app
