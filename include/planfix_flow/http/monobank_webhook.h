// The ingress's reading of a monobank webhook POST: the body checks every webhook gets (UTF-8,
// depth, no NUL, no duplicate key), then the bank module's strict event parser. Pure;
// thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "planfix_flow/bank/statement.h"
#include "planfix_flow/core/result.h"

namespace planfix_flow::http {

inline constexpr std::size_t kMonobankMaxJsonDepth = 8;

// kInvalidInput naming the problem (fit for the 400's detail).
core::Result<bank::WebhookEvent> ParseMonobankWebhook(std::string_view body);

}  // namespace planfix_flow::http
