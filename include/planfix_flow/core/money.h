// Money as integer minor units (kopecks, cents): the one strict parser for amounts people,
// Planfix and the config write (text and JSON), a formatter, and the word-bounded search for an
// invoice number in a payment's purpose. No floating point anywhere. Pure functions;
// thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "planfix_flow/core/result.h"

namespace planfix_flow::core {

// The largest amount ParseMoney accepts, in minor units: 10^15 (ten trillion hryvnias), far
// above any invoice and far below int64's limit, so sums of a few amounts cannot overflow.
inline constexpr std::int64_t kMaxMoneyMinor = 1'000'000'000'000'000;

// A non-negative amount in major units as text, to minor units (2 decimals): "1500" ->
// 150000, "1 500,50" -> 150050, "1500.5" -> 150050, "0.07" -> 7, "1500.0" -> 150000.
// Digit groups may be split by single spaces (also U+00A0 and U+202F, as spreadsheets and
// Planfix print them) or apostrophes; the decimal mark is one '.' or ','. Refused with
// kInvalidInput, naming what is wrong: empty text, a sign, more than 2 decimals (other than
// trailing zeros), two marks, an exponent, any other character, more than kMaxMoneyMinor.
Result<std::int64_t> ParseMoney(std::string_view text);

// An amount as a JSON value (a Planfix number or line field, a deal's amount): a string
// through ParseMoney; an integer by its digits; a number with a fraction through its shortest
// text, which is the decimal that was sent for up to 15 significant digits (more, or an
// exponent, are refused: the value cannot be read exactly). Negative amounts, booleans, null,
// arrays and objects are refused with kInvalidInput.
Result<std::int64_t> MoneyFromJson(const nlohmann::json& value);

// Minor units as "1500.50" (always two decimals, no grouping; a minus sign when negative):
// ParseMoney(FormatMoney(x)) == x for 0 <= x <= kMaxMoneyMinor.
std::string FormatMoney(std::int64_t minor);

// Whether `text` mentions `number` as a whole word, ignoring case (ASCII and Cyrillic). The
// characters on either side must not be letters or digits; a '.' or ',' beside it must not
// continue into a digit, a '/' or '-' not into a letter or digit (the number would be part of
// a date, an amount or a longer code): "12" is found in "рахунок №12, оплата", "рах.12" and
// "INV 12." but not in "2012", "12.11.2026", "1,12", "2026/12", "INV-12" or "A12". An empty
// `number` is never found.
bool MentionsNumber(std::string_view text, std::string_view number);

}  // namespace planfix_flow::core
