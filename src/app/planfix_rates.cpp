#include "app/planfix_rates.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/app/time_ledger.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/timekeeping/amount.h"

namespace planfix_flow::app {

using nlohmann::json;

namespace {

constexpr char kStateKey[] = "time.planfix_rates";

}  // namespace

PlanfixRates StoredPlanfixRates(const storage::Database& database, std::int64_t field) {
  PlanfixRates rates;
  rates.field = field;
  if (field <= 0) return rates;
  const auto stored = database.GetServiceState(kStateKey);
  if (!stored) return rates;
  const json data = json::parse(*stored, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object() || data.value("field", json()) != json(field)) return rates;
  if (const json at = data.value("read_at", json()); at.is_number_integer()) {
    rates.read_at = core::FromUnixSeconds(at.get<std::int64_t>());
  }
  const json stored_rates = data.value("rates", json::object());
  for (const auto& [employee, minor] : stored_rates.items()) {
    if (minor.is_number_integer()) rates.per_employee[employee] = minor.get<std::int64_t>();
  }
  return rates;
}

core::Status RefreshPlanfixRates(planfix::PlanfixClient& planfix, storage::Database& database,
                                 std::int64_t field, core::TimePoint now) {
  if (field <= 0) return core::Ok();
  const PlanfixRates stored = StoredPlanfixRates(database, field);
  if (stored.read_at && now - *stored.read_at < kPlanfixRatesMaxAge) return core::Ok();
  auto users = planfix.ListUsers({field});
  if (!users) {
    core::Logger("time")->warn(
        "event=planfix_rates_not_read field={} error=\"{}\" action=\"the rates read before stay\"",
        field, users.error().ToString());
    return core::Fail(users.error());
  }
  json rates = json::object();
  for (const auto& user : *users) {
    for (const auto& value : user.custom_fields) {
      if (value.field_id != field) continue;
      const bool empty = value.value.is_null() ||
                         (value.value.is_string() && value.value.get<std::string>().empty());
      if (empty || user.id.empty()) continue;
      auto minor = timekeeping::AmountFromJson(value.value);
      if (!minor || *minor > kMaxHourlyRateMinor) {
        core::Logger("time")->warn(
            "event=planfix_rate_skipped employee={} field={} value={} reason=\"{}\"", user.id,
            field, value.value.dump(),
            minor ? fmt::format("above {}", timekeeping::FormatAmount(kMaxHourlyRateMinor))
                  : minor.error().message);
        continue;
      }
      rates[user.id] = *minor;
    }
  }
  core::Logger("time")->info("outcome=planfix_rates_read field={} employees={} rated={}", field,
                             users->size(), rates.size());
  database.SetServiceState(
      kStateKey,
      json{{"field", field}, {"read_at", core::ToUnixSeconds(now)}, {"rates", rates}}.dump(), now);
  return core::Ok();
}

timekeeping::Rates RatesWithPlanfix(const config::TimeConfig& time,
                                    const storage::Database& database) {
  timekeeping::Rates rates = RatesFor(time);
  for (const auto& [employee, minor] : StoredPlanfixRates(database, time.rate_field).per_employee) {
    rates.per_employee.try_emplace(employee, minor);  // the config's own rate wins
  }
  return rates;
}

bool HasRate(const config::TimeConfig& time, const storage::Database& database,
             std::string_view employee) {
  if (!time.default_rate.empty() || time.rates.count(std::string(employee)) > 0) return true;
  const auto planfix = StoredPlanfixRates(database, time.rate_field);
  return planfix.per_employee.find(employee) != planfix.per_employee.end();
}

}  // namespace planfix_flow::app
