// Planfix "Send HTTP request" bodies, as JSON and as a form: a body that parses re-serialises
// (payload JSON, form) to a body that parses to the same webhook and content hash.
#include <string>

#include "fuzz/fuzz_support.h"
#include "http/body_checks.h"
#include "planfix_flow/http/http_client.h"
#include "planfix_flow/http/planfix_webhook.h"

namespace {

using planfix_flow::http::ParsePlanfixWebhook;
using planfix_flow::http::PlanfixBodyFormat;
using planfix_flow::http::PlanfixContentHash;
using planfix_flow::http::PlanfixWebhook;

bool SameWebhook(const PlanfixWebhook& a, const PlanfixWebhook& b) {
  return a.event == b.event && a.ids == b.ids && a.at == b.at &&
         PlanfixContentHash(a) == PlanfixContentHash(b);
}

std::string ToForm(const PlanfixWebhook& webhook) {
  using planfix_flow::http::UrlEncode;
  std::string form = "event=" + UrlEncode(webhook.event);
  for (const auto& [field, id] : webhook.ids) form += "&" + field + "=" + UrlEncode(id);
  if (!webhook.at.empty()) form += "&at=" + UrlEncode(webhook.at);
  return form;
}

void CheckRoundTrips(const PlanfixWebhook& webhook) {
  for (const auto& [field, id] : webhook.ids) {
    FUZZ_CHECK(!id.empty() && id.size() <= 18 && id.front() != '0');
    FUZZ_CHECK(id.find_first_not_of("0123456789") == std::string::npos);
  }
  // The payload the workflow reads leaves `at` out.
  auto from_payload = ParsePlanfixWebhook(webhook.ToPayloadJson(), PlanfixBodyFormat::kJson);
  FUZZ_CHECK(from_payload.has_value());
  PlanfixWebhook without_at = webhook;
  without_at.at.clear();
  FUZZ_CHECK(SameWebhook(*from_payload, without_at));

  auto from_form = ParsePlanfixWebhook(ToForm(webhook), PlanfixBodyFormat::kForm);
  FUZZ_CHECK(from_form.has_value());
  FUZZ_CHECK(SameWebhook(*from_form, webhook));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = planfix_flow::fuzz::AsText(data, size);
  for (const auto format : {PlanfixBodyFormat::kJson, PlanfixBodyFormat::kForm}) {
    auto webhook = ParsePlanfixWebhook(body, format);
    if (webhook) {
      if (format == PlanfixBodyFormat::kJson) FUZZ_CHECK(!planfix_flow::http::HasNulByte(body));
      CheckRoundTrips(*webhook);
    } else {
      FUZZ_CHECK(webhook.error().code == planfix_flow::core::ErrorCode::kInvalidInput);
      FUZZ_CHECK(!webhook.error().message.empty());
    }
  }
  return 0;
}
