#include "planfix_flow/timekeeping/amount.h"

#include <fmt/format.h>

#include <limits>
#include <stdexcept>

#include "planfix_flow/core/money.h"

namespace planfix_flow::timekeeping {

using core::ErrorCode;
using core::Fail;
using core::Result;

namespace {

constexpr int kMaxScale = 9;
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

constexpr std::int64_t Pow10(int exponent) {
  std::int64_t value = 1;
  for (int i = 0; i < exponent; ++i) value *= 10;
  return value;
}

bool MultiplyOverflows(std::int64_t a, std::int64_t b) {
  if (a == 0 || b == 0) return false;
  return a > kMax / b;
}

}  // namespace

Result<Decimal> ParseDecimal(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  const auto bad = [&] {
    return Fail(ErrorCode::kInvalidInput, "not a decimal number (digits, optionally .digits)");
  };
  if (text.empty()) return bad();
  bool negative = false;
  if (text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  Decimal decimal;
  bool digits = false;
  bool point = false;
  for (const char ch : text) {
    if (ch == '.') {
      if (point || !digits) return bad();
      point = true;
      continue;
    }
    if (ch < '0' || ch > '9') return bad();
    if (point && ++decimal.scale > kMaxScale) {
      return Fail(ErrorCode::kInvalidInput, "more than 9 digits after the point");
    }
    if (decimal.units > (kMax - (ch - '0')) / 10) {
      return Fail(ErrorCode::kInvalidInput, "the number is too large");
    }
    decimal.units = decimal.units * 10 + (ch - '0');
    digits = true;
  }
  if (!digits || text.back() == '.') return bad();
  if (negative) decimal.units = -decimal.units;
  return decimal;
}

Result<Decimal> DecimalFromJson(const nlohmann::json& value) {
  if (value.is_number_integer()) {
    if (value.is_number_unsigned() && value.get<std::uint64_t>() > static_cast<std::uint64_t>(kMax))
      return Fail(ErrorCode::kInvalidInput, "the number is too large");
    return Decimal{value.get<std::int64_t>(), 0};
  }
  // nlohmann writes a double as its shortest round-trip text: the digits as they were sent.
  if (value.is_number_float()) return ParseDecimal(value.dump());
  if (value.is_string()) return ParseDecimal(value.get_ref<const std::string&>());
  return Fail(ErrorCode::kInvalidInput, "not a number");
}

Result<std::int64_t> ScaleRounded(const Decimal& value, std::int64_t numerator,
                                  std::int64_t denominator) {
  if (numerator <= 0 || denominator <= 0) throw std::invalid_argument("ScaleRounded: bad ratio");
  const bool negative = value.units < 0;
  const std::int64_t magnitude = negative ? -value.units : value.units;
  if (MultiplyOverflows(magnitude, numerator)) {
    return Fail(ErrorCode::kInvalidInput, "the number is too large");
  }
  const std::int64_t scaled_denominator = Pow10(value.scale);
  if (MultiplyOverflows(scaled_denominator, denominator)) {
    return Fail(ErrorCode::kInvalidInput, "the number is too large");
  }
  const std::int64_t top = magnitude * numerator;
  const std::int64_t bottom = scaled_denominator * denominator;
  std::int64_t rounded = top / bottom;
  if ((top % bottom) * 2 >= bottom) ++rounded;  // half away from zero
  return negative ? -rounded : rounded;
}

Result<std::int64_t> ParseAmount(std::string_view text) { return core::ParseMoney(text); }

Result<std::int64_t> AmountFromJson(const nlohmann::json& value) {
  return core::MoneyFromJson(value);
}

std::string FormatAmount(std::int64_t minor) { return core::FormatMoney(minor); }

std::string FormatMinutes(std::int64_t minutes) {
  const bool negative = minutes < 0;
  const std::uint64_t magnitude =
      negative ? 0 - static_cast<std::uint64_t>(minutes) : static_cast<std::uint64_t>(minutes);
  return fmt::format("{}{}:{:02}", negative ? "-" : "", magnitude / 60, magnitude % 60);
}

std::int64_t CostOf(std::int64_t minutes, std::int64_t per_hour) {
  if (minutes < 0 || per_hour < 0) throw std::invalid_argument("CostOf: negative input");
  if (MultiplyOverflows(minutes, per_hour) || minutes * per_hour > kMax - 30) {
    throw std::overflow_error("CostOf: the cost does not fit in 64 bits");
  }
  return (minutes * per_hour + 30) / 60;
}

}  // namespace planfix_flow::timekeeping
