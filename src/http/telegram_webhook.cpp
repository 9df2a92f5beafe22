#include "planfix_flow/http/telegram_webhook.h"

#include <limits>
#include <nlohmann/json.hpp>

#include "http/body_checks.h"

namespace planfix_flow::http {

using core::ErrorCode;
using core::Fail;

core::Result<TelegramWebhook> ParseTelegramWebhook(std::string_view body) {
  auto parsed = ParseJsonBody(body, kTelegramMaxJsonDepth);
  if (!parsed) return Fail(parsed.error());
  const nlohmann::json& json = *parsed;
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
