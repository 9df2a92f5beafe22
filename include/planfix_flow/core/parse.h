// Small parsers every module needs, in one place so that they agree: ids, Retry-After,
// ASCII trim and lowercase. Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace planfix_flow::core {

// A positive decimal id, the whole text: digits only (no sign, space, prefix or suffix, so
// "12abc", " 12" and "+12" are refused), at most 18 digits, greater than zero.
std::optional<std::int64_t> ParseId(std::string_view text);

// A Retry-After header value in delay-seconds (RFC 9110), clamped to 1 s .. 1 day; nullopt
// for an HTTP-date, a negative number or anything else.
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value);

// Without leading and trailing ASCII whitespace (space, tab, CR, LF, FF, VT).
std::string_view Trim(std::string_view text);

// ASCII letters lowercased; other bytes (UTF-8 included) kept.
std::string AsciiLower(std::string_view text);

}  // namespace planfix_flow::core
