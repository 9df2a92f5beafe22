#include "planfix_flow/http/standard_webhooks.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>
#include <charconv>
#include <stdexcept>

namespace planfix_flow::http {

using core::ErrorCode;
using core::Fail;

namespace {

constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::size_t kMaxIdLength = 256;
constexpr std::string_view kSecretPrefix = "whsec_";

int Base64Value(char ch) {
  if (ch >= 'A' && ch <= 'Z') return ch - 'A';
  if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
  if (ch >= '0' && ch <= '9') return ch - '0' + 52;
  if (ch == '+') return 62;
  if (ch == '/') return 63;
  return -1;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> Sha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

bool IsPrintableAscii(std::string_view text) {
  for (const char ch : text) {
    if (ch <= 0x20 || ch >= 0x7F) return false;
  }
  return true;
}

}  // namespace

std::string Base64Encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const auto n = (static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16) |
                   (static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8) |
                   static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 2]));
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(kBase64Alphabet[(n >> 6) & 63]);
    out.push_back(kBase64Alphabet[n & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    unsigned n = static_cast<unsigned>(static_cast<unsigned char>(bytes[i])) << 16;
    if (rest == 2) n |= static_cast<unsigned>(static_cast<unsigned char>(bytes[i + 1])) << 8;
    out.push_back(kBase64Alphabet[(n >> 18) & 63]);
    out.push_back(kBase64Alphabet[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64Alphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int values[4];
    int padding = 0;
    for (int j = 0; j < 4; ++j) {
      const char ch = text[i + static_cast<std::size_t>(j)];
      if (ch == '=' && last && j >= 2) {
        ++padding;
        values[j] = 0;
        continue;
      }
      if (padding > 0) return std::nullopt;  // data after padding
      values[j] = Base64Value(ch);
      if (values[j] < 0) return std::nullopt;
    }
    const unsigned n = (static_cast<unsigned>(values[0]) << 18) |
                       (static_cast<unsigned>(values[1]) << 12) |
                       (static_cast<unsigned>(values[2]) << 6) | static_cast<unsigned>(values[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (padding < 2) out.push_back(static_cast<char>((n >> 8) & 0xFF));
    if (padding < 1) out.push_back(static_cast<char>(n & 0xFF));
  }
  return out;
}

std::string HmacSha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  // HMAC() with a null key pointer misbehaves for empty keys; point at a dummy byte instead.
  static const unsigned char kEmpty = 0;
  const void* key_data = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(EVP_sha256(), key_data, static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest,
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Sha256Hex(std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto digest = Sha256(data);
  std::string out;
  out.reserve(digest.size() * 2);
  for (const unsigned char byte : digest) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0x0F]);
  }
  return out;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  const auto digest_a = Sha256(a);
  const auto digest_b = Sha256(b);
  return CRYPTO_memcmp(digest_a.data(), digest_b.data(), digest_a.size()) == 0;
}

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
