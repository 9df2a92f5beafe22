#include "planfix_flow/http/telegram_webhook.h"

#include <fmt/format.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "http/body_checks.h"

namespace planfix_flow::http {

using core::ErrorCode;
using core::Fail;

core::Result<TelegramWebhook> ParseTelegramWebhook(std::string_view body) {
  if (!IsValidUtf8(body)) return Fail(ErrorCode::kInvalidInput, "body is not valid UTF-8");
  if (!JsonDepthWithin(body, kTelegramMaxJsonDepth)) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("JSON is nested deeper than {} levels", kTelegramMaxJsonDepth));
  }
  const auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || HasNulByte(body))
    return Fail(ErrorCode::kInvalidInput, "body is not valid JSON");
  if (!json.is_object()) return Fail(ErrorCode::kInvalidInput, "body must be a JSON object");
  const auto update_id = json.find("update_id");
  if (update_id == json.end()) return Fail(ErrorCode::kInvalidInput, "missing update_id");
  if (!update_id->is_number_unsigned() ||
      update_id->get<std::uint64_t>() >
          static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return Fail(ErrorCode::kInvalidInput, "update_id must be a non-negative integer");
  }
  return TelegramWebhook{static_cast<std::int64_t>(update_id->get<std::uint64_t>())};
}

}  // namespace planfix_flow::http
