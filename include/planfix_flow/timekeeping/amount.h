// Exact decimal quantities for time and money: amounts in minor units (kopecks, read by the
// one money parser in core/money.h), durations in whole minutes. Text and JSON numbers are
// read digit by digit, never through floating point.
// Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "planfix_flow/core/result.h"

namespace planfix_flow::timekeeping {

// A decimal number as written: value = units / 10^scale ("-12.50" is {-1250, 2}).
struct Decimal {
  std::int64_t units = 0;
  int scale = 0;  // 0..9
};

// "12", "-3.5", "0.25", " 1500.00 ": an optional minus, digits, an optional point with at
// most 9 digits after it. No exponent, no thousands separators; kInvalidInput otherwise (and
// on overflow).
core::Result<Decimal> ParseDecimal(std::string_view text);

// A JSON number (read from its shortest decimal text, so 0.29 stays 0.29) or a string holding
// one, as ParseDecimal reads it.
core::Result<Decimal> DecimalFromJson(const nlohmann::json& value);

// `value` × numerator / denominator, rounded half away from zero to an integer. kInvalidInput
// on overflow. (Hours to minutes: numerator 60; major units to minor: 100.)
core::Result<std::int64_t> ScaleRounded(const Decimal& value, std::int64_t numerator,
                                        std::int64_t denominator = 1);

// An amount in major units ("1500.50", 1500.5) as minor units (150050): the one money parser,
// core::ParseMoney and core::MoneyFromJson (no sign, at most 2 decimals, digit groups and a
// decimal comma allowed, nothing rounded).
core::Result<std::int64_t> ParseAmount(std::string_view text);
core::Result<std::int64_t> AmountFromJson(const nlohmann::json& value);

// 150050 -> "1500.50", -5 -> "-0.05".
std::string FormatAmount(std::int64_t minor);
// 245 -> "4:05" (hours:minutes), -30 -> "-0:30".
std::string FormatMinutes(std::int64_t minutes);

// The cost of `minutes` at `per_hour` minor units an hour: minutes × per_hour / 60, rounded
// half up to a minor unit. Throws std::overflow_error beyond int64 (config bounds rates so
// that no real total gets there).
std::int64_t CostOf(std::int64_t minutes, std::int64_t per_hour);

}  // namespace planfix_flow::timekeeping
