// Small crypto helpers (OpenSSL underneath): HMAC-SHA256, SHA-256, base64 and a
// constant-time comparison for secrets. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace planfix_flow::core {

// Raw 32-byte HMAC-SHA256.
std::string HmacSha256(std::string_view key, std::string_view data);
// Lowercase hex SHA-256.
std::string Sha256Hex(std::string_view data);
// Standard alphabet with padding.
std::string Base64Encode(std::string_view bytes);
// Strict: standard alphabet, padding required to a multiple of 4; nullopt otherwise.
std::optional<std::string> Base64Decode(std::string_view text);
// Constant-time in the contents (compares SHA-256 digests, so lengths leak nothing either).
bool ConstantTimeEquals(std::string_view a, std::string_view b);
// Constant-time in the contents for strings of one length (a MAC of a known size); false at
// once when the lengths differ, which are no secret there.
bool SameBytes(std::string_view a, std::string_view b);

}  // namespace planfix_flow::core
