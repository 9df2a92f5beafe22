// Google service-account credentials: the JSON key file, RS256 JWTs (signing for the client,
// parsing and verification for the sandbox's token endpoint) and base64url.
// Stateless functions on value types; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"

namespace planfix_flow::google {

inline constexpr char kFormsBodyReadonlyScope[] =
    "https://www.googleapis.com/auth/forms.body.readonly";
inline constexpr char kFormsResponsesReadonlyScope[] =
    "https://www.googleapis.com/auth/forms.responses.readonly";
inline constexpr char kGoogleTokenUri[] = "https://oauth2.googleapis.com/token";
inline constexpr char kJwtBearerGrantType[] = "urn:ietf:params:oauth:grant-type:jwt-bearer";

// The fields of a service account's JSON key file that the client needs.
// `private_key` is a secret: never log it or put it in an error message.
struct ServiceAccountKey {
  std::string type;            // "service_account"
  std::string project_id;      // optional in the file
  std::string private_key_id;  // sent as the JWT's "kid"
  std::string private_key;     // PEM (PKCS#8 "BEGIN PRIVATE KEY" or PKCS#1 RSA)
  std::string client_email;
  std::string token_uri;  // the JWT's audience, and where to exchange it unless overridden
};

// Reads and validates a key file. Errors are kInvalidInput and name the file and the problem
// (unreadable, not JSON, a missing or empty field, type is not "service_account",
// private_key is not an RSA PEM private key), never the key itself.
core::Result<ServiceAccountKey> LoadServiceAccountKey(const std::string& path);
core::Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json_text);

// The key as the JSON file Google's console hands out (for the sandbox and tests).
std::string ServiceAccountKeyJson(const ServiceAccountKey& key);

// An RS256-signed JWT for the jwt-bearer grant: header {"alg":"RS256","typ":"JWT","kid"},
// claims iss = client_email, scope (space-separated), aud = token_uri, iat = now,
// exp = now + 1 h. Fails (kInvalidInput) only if the private key cannot be used.
core::Result<std::string> MakeJwtAssertion(const ServiceAccountKey& key, std::string_view scope,
                                           core::TimePoint now);

// URL-safe base64 without padding (RFC 7515 section 2).
std::string Base64UrlEncode(std::string_view bytes);
// Nullopt for anything that is not unpadded base64url.
std::optional<std::string> Base64UrlDecode(std::string_view text);

// A compact JWS split into its parts. Parsing checks the shape only, not the signature.
struct Jwt {
  nlohmann::json header;
  nlohmann::json claims;
  std::string signing_input;  // "<header b64>.<claims b64>"
  std::string signature;      // raw bytes
};
core::Result<Jwt> ParseJwt(std::string_view token);

core::Result<std::string> SignRs256(std::string_view data, std::string_view private_key_pem);
// True only if `signature` is a valid RSASSA-PKCS1-v1_5 SHA-256 signature of `data`.
bool VerifyRs256(std::string_view data, std::string_view signature,
                 std::string_view public_key_pem);
// The SubjectPublicKeyInfo PEM of a private key.
core::Result<std::string> PublicKeyPem(std::string_view private_key_pem);

}  // namespace planfix_flow::google
