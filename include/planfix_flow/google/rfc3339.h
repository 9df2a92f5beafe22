// RFC 3339 timestamps as Google's APIs write them ("2026-11-27T10:00:00.123456Z").
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::google {

// Accepts "YYYY-MM-DDTHH:MM:SS", an optional fraction of 1 to 9 digits, then "Z" or
// "+HH:MM"/"-HH:MM" ('t' and 'z' in lower case too). Nullopt for anything else,
// including impossible dates such as February 30 and moments a TimePoint cannot hold
// (before 1677-09-22 or after 2262-04-11).
std::optional<core::TimePoint> ParseRfc3339(std::string_view text);

// Always UTC with "Z"; the fraction is left out when zero, else written with 3, 6 or 9 digits.
std::string FormatRfc3339(core::TimePoint moment);

}  // namespace planfix_flow::google
