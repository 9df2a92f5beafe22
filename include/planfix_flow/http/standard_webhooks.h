// Standard Webhooks signatures (HMAC-SHA256 over "id.timestamp.body"): verify inbound
// requests, sign outbound ones (tests, the sandbox), plus the small crypto helpers both use.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/crypto.h"
#include "planfix_flow/core/result.h"

namespace planfix_flow::http {

inline constexpr std::chrono::seconds kStandardWebhooksTolerance{300};

// The three headers as received ("webhook-id", "webhook-timestamp", "webhook-signature").
struct StandardWebhookHeaders {
  std::string id;
  std::string timestamp;  // Unix seconds
  std::string signature;  // space-separated "v1,<base64>" entries; any one may match
};

// The HMAC key for a configured secret: "whsec_<base64>" is base64-decoded, anything else is
// used as raw bytes. kInvalidInput if it is empty or the whsec_ part is not base64. Error
// messages never contain the secret.
core::Result<std::string> StandardWebhookKey(std::string_view secret);

// kUnauthorized (with a reason fit for a 401 body) when a header is missing or malformed,
// the timestamp is more than `tolerance` away from `now` in either direction, or no v1
// signature matches. Comparison is constant-time.
core::Status VerifyStandardWebhook(std::string_view key, const StandardWebhookHeaders& headers,
                                   std::string_view body, core::TimePoint now,
                                   std::chrono::seconds tolerance = kStandardWebhooksTolerance);

// "v1,<base64 HMAC-SHA256(key, id + "." + timestamp + "." + body)>".
std::string SignStandardWebhook(std::string_view key, std::string_view id, long long timestamp,
                                std::string_view body);

// The crypto helpers moved to core (core/crypto.h); these names stay for the callers here.
using core::Base64Decode;
using core::Base64Encode;
using core::ConstantTimeEquals;
using core::HmacSha256;
using core::Sha256Hex;

}  // namespace planfix_flow::http
