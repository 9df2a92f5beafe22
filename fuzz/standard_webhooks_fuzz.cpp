// Standard Webhooks verification. The input is "secret\nid\ntimestamp\nsignature\nbody"; the
// server's clock stands at kNow. A message re-signed with the same key verifies whenever
// only its signature was refused, and no longer once its body or key changes; base64
// decoding inverts encoding.
#include <charconv>
#include <string>

#include "fuzz/fuzz_support.h"
#include "planfix_flow/http/standard_webhooks.h"

namespace {

namespace http = planfix_flow::http;
using planfix_flow::core::FromUnixSeconds;

constexpr long long kNow = 1795000000;
constexpr char kNoValidSignature[] = "no valid v1 webhook-signature";
constexpr char kMissingSignature[] = "missing webhook-signature header";

void CheckBase64(std::string_view text, std::string_view bytes) {
  // Non-zero padding bits are accepted ("wwh=" reads as "wwg="): the same bytes again.
  if (const auto decoded = http::Base64Decode(text)) {
    const std::string encoded = http::Base64Encode(*decoded);
    FUZZ_CHECK(encoded.size() == text.size() && http::Base64Decode(encoded) == decoded);
  }
  const auto round_trip = http::Base64Decode(http::Base64Encode(bytes));
  FUZZ_CHECK(round_trip.has_value() && *round_trip == bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto fields =
      planfix_flow::fuzz::SplitFields(planfix_flow::fuzz::AsText(data, size), '\n', 5);
  const std::string_view secret = fields[0];
  const std::string_view body = fields[4];
  CheckBase64(fields[0], body);

  auto key = http::StandardWebhookKey(secret);
  if (!key) key = std::string("fuzz key");
  http::StandardWebhookHeaders headers{std::string(fields[1]), std::string(fields[2]),
                                       std::string(fields[3])};
  const auto now = FromUnixSeconds(kNow);
  const auto verified = http::VerifyStandardWebhook(*key, headers, body, now);
  FUZZ_CHECK(verified || verified.error().code == planfix_flow::core::ErrorCode::kUnauthorized);

  // Re-sign over the same id, timestamp and body (the timestamp as the signer writes it).
  long long timestamp = 0;
  const auto parsed = std::from_chars(
      headers.timestamp.data(), headers.timestamp.data() + headers.timestamp.size(), timestamp);
  if (parsed.ec != std::errc() || parsed.ptr != headers.timestamp.data() + headers.timestamp.size())
    return 0;
  if (std::to_string(timestamp) != headers.timestamp) return 0;
  http::StandardWebhookHeaders resigned = headers;
  resigned.signature = http::SignStandardWebhook(*key, headers.id, timestamp, body);
  if (!headers.signature.empty()) resigned.signature += " " + headers.signature;
  const auto reverified = http::VerifyStandardWebhook(*key, resigned, body, now);
  const bool only_signature_refused = !verified && (verified.error().message == kNoValidSignature ||
                                                    verified.error().message == kMissingSignature);
  if (verified || only_signature_refused) FUZZ_CHECK(reverified.has_value());
  if (!reverified) return 0;

  const std::string tampered = std::string(body) + "x";
  const auto with_other_body = http::VerifyStandardWebhook(*key, resigned, tampered, now);
  FUZZ_CHECK(!with_other_body && with_other_body.error().message == kNoValidSignature);
  const std::string other_key = *key + "x";
  const auto with_other_key = http::VerifyStandardWebhook(other_key, resigned, body, now);
  FUZZ_CHECK(!with_other_key && with_other_key.error().message == kNoValidSignature);
  return 0;
}
