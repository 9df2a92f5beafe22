// The ingress's minimal view of a Telegram webhook update: it checks the body is a JSON
// object with an update_id (the dedupe key) and stores the raw JSON; the telegram module
// parses the rest. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "planfix_flow/core/result.h"

namespace planfix_flow::http {

inline constexpr std::size_t kTelegramMaxJsonDepth = 32;

struct TelegramWebhook {
  std::int64_t update_id = 0;
};

// kInvalidInput naming the problem: invalid UTF-8, malformed JSON, not an object, nesting
// deeper than kTelegramMaxJsonDepth, update_id missing or not a non-negative integer.
core::Result<TelegramWebhook> ParseTelegramWebhook(std::string_view body);

}  // namespace planfix_flow::http
