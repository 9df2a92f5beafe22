#include "planfix_flow/http/monobank_webhook.h"

#include "http/body_checks.h"

namespace planfix_flow::http {

core::Result<bank::WebhookEvent> ParseMonobankWebhook(std::string_view body) {
  auto parsed = ParseJsonBody(body, kMonobankMaxJsonDepth);
  if (!parsed) return core::Fail(parsed.error());
  return bank::ParseWebhookEvent(*parsed);
}

}  // namespace planfix_flow::http
