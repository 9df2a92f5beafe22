#include "planfix_flow/http/standard_webhooks.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <array>
#include <charconv>
#include <stdexcept>

namespace planfix_flow::http {

using core::ErrorCode;
using core::Fail;

namespace {

constexpr std::size_t kMaxIdLength = 256;
constexpr std::string_view kSecretPrefix = "whsec_";

bool IsPrintableAscii(std::string_view text) {
  for (const char ch : text) {
    if (ch <= 0x20 || ch >= 0x7F) return false;
  }
  return true;
}

}  // namespace

core::Result<std::string> StandardWebhookKey(std::string_view secret) {
  if (secret.empty()) return Fail(ErrorCode::kInvalidInput, "the webhook secret is empty");
  if (secret.substr(0, kSecretPrefix.size()) != kSecretPrefix) return std::string(secret);
  auto key = Base64Decode(secret.substr(kSecretPrefix.size()));
  if (!key || key->empty()) {
    return Fail(ErrorCode::kInvalidInput,
                "the webhook secret starts with whsec_ but the rest "
                "is not base64");
  }
  return std::move(*key);
}

std::string SignStandardWebhook(std::string_view key, std::string_view id, long long timestamp,
                                std::string_view body) {
  const std::string signed_content = fmt::format("{}.{}.{}", id, timestamp, body);
  return "v1," + Base64Encode(HmacSha256(key, signed_content));
}

core::Status VerifyStandardWebhook(std::string_view key, const StandardWebhookHeaders& headers,
                                   std::string_view body, core::TimePoint now,
                                   std::chrono::seconds tolerance) {
  if (headers.id.empty()) return Fail(ErrorCode::kUnauthorized, "missing webhook-id header");
  if (headers.id.size() > kMaxIdLength || !IsPrintableAscii(headers.id)) {
    return Fail(ErrorCode::kUnauthorized,
                "webhook-id must be 1-256 printable ASCII characters without spaces");
  }
  if (headers.timestamp.empty()) {
    return Fail(ErrorCode::kUnauthorized, "missing webhook-timestamp header");
  }
  long long timestamp = 0;
  const char* first = headers.timestamp.data();
  const char* last = first + headers.timestamp.size();
  const auto [end, error] = std::from_chars(first, last, timestamp);
  if (error != std::errc() || end != last || headers.timestamp.front() == '-' ||
      headers.timestamp.front() == '+') {
    return Fail(ErrorCode::kUnauthorized, "webhook-timestamp is not a Unix time in seconds");
  }
  const long long now_seconds = core::ToUnixSeconds(now);
  const long long drift =
      timestamp > now_seconds ? timestamp - now_seconds : now_seconds - timestamp;
  if (drift > tolerance.count()) {
    return Fail(ErrorCode::kUnauthorized,
                fmt::format("webhook-timestamp is more than {} s away from the server's clock",
                            tolerance.count()));
  }
  if (headers.signature.empty()) {
    return Fail(ErrorCode::kUnauthorized, "missing webhook-signature header");
  }
  const std::string expected =
      HmacSha256(key, fmt::format("{}.{}.{}", headers.id, headers.timestamp, body));
  bool matched = false;
  std::string_view rest = headers.signature;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view entry = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (entry.substr(0, 3) != "v1,") continue;  // other versions (v1a) are not ours to check
    const auto decoded = Base64Decode(entry.substr(3));
    if (!decoded || decoded->size() != expected.size()) continue;
    // Keep looking after a match so the time taken does not depend on which entry matched.
    if (CRYPTO_memcmp(decoded->data(), expected.data(), expected.size()) == 0) matched = true;
  }
  if (!matched) return Fail(ErrorCode::kUnauthorized, "no valid v1 webhook-signature");
  return core::Ok();
}

}  // namespace planfix_flow::http
