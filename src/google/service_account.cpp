#include "planfix_flow/google/service_account.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <fstream>
#include <memory>
#include <sstream>

namespace planfix_flow::google {

using core::ErrorCode;
using core::Fail;
using core::Result;

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

// Refuses encrypted PEMs instead of letting OpenSSL prompt on the terminal.
int NoPassword(char*, int, int, void*) { return -1; }

BioPtr MemoryBio(std::string_view text) {
  return BioPtr(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

PkeyPtr ReadPrivateKey(std::string_view pem) {
  auto bio = MemoryBio(pem);
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassword, nullptr) : nullptr);
  if (!key || EVP_PKEY_is_a(key.get(), "RSA") != 1) {
    ERR_clear_error();
    return nullptr;
  }
  return key;
}

PkeyPtr ReadPublicKey(std::string_view pem) {
  auto bio = MemoryBio(pem);
  PkeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassword, nullptr) : nullptr);
  if (!key) ERR_clear_error();
  return key;
}

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string Base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto at = [&](std::size_t index) -> unsigned { return static_cast<unsigned char>(bytes[index]); };
  for (; i + 3 <= bytes.size(); i += 3) {
    const unsigned chunk = (at(i) << 16) | (at(i + 1) << 8) | at(i + 2);
    out.push_back(kBase64UrlAlphabet[(chunk >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(chunk >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(chunk >> 6) & 63]);
    out.push_back(kBase64UrlAlphabet[chunk & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const unsigned chunk = at(i) << 16;
    out.push_back(kBase64UrlAlphabet[(chunk >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(chunk >> 12) & 63]);
  } else if (rest == 2) {
    const unsigned chunk = (at(i) << 16) | (at(i + 1) << 8);
    out.push_back(kBase64UrlAlphabet[(chunk >> 18) & 63]);
    out.push_back(kBase64UrlAlphabet[(chunk >> 12) & 63]);
    out.push_back(kBase64UrlAlphabet[(chunk >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> Base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::array<int, 256> value{};
  value.fill(-1);
  for (int index = 0; index < 64; ++index) {
    value[static_cast<unsigned char>(kBase64UrlAlphabet[index])] = index;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned buffer = 0;
  int bits = 0;
  for (const char ch : text) {
    const int digit = value[static_cast<unsigned char>(ch)];
    if (digit < 0) return std::nullopt;
    buffer = (buffer << 6) | static_cast<unsigned>(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  // Leftover bits must be zero in a canonical encoding.
  if (bits > 0 && (buffer & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

Result<ServiceAccountKey> ParseServiceAccountKey(std::string_view json_text) {
  const auto json = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return Fail(ErrorCode::kInvalidInput, "service account key is not a JSON object");
  }
  auto field = [&](const char* name, std::string& out, bool required) -> core::Status {
    const auto it = json.find(name);
    if (it != json.end() && it->is_string() && !it->get<std::string>().empty()) {
      out = it->get<std::string>();
      return core::Ok();
    }
    if (!required) return core::Ok();
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("service account key has no \"{}\" (a non-empty string)", name));
  };
  ServiceAccountKey key;
  for (auto status :
       {field("type", key.type, true), field("client_email", key.client_email, true),
        field("private_key_id", key.private_key_id, true),
        field("private_key", key.private_key, true), field("token_uri", key.token_uri, true),
        field("project_id", key.project_id, false)}) {
    if (!status) return Fail(status.error());
  }
  if (key.type != "service_account") {
    return Fail(
        ErrorCode::kInvalidInput,
        fmt::format("service account key has type \"{}\", not \"service_account\"", key.type));
  }
  if (!ReadPrivateKey(key.private_key)) {
    return Fail(ErrorCode::kInvalidInput,
                "service account key's private_key is not an unencrypted RSA PEM private key");
  }
  return key;
}

Result<ServiceAccountKey> LoadServiceAccountKey(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("cannot read the service account key file {}", path));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("cannot read the service account key file {}", path));
  }
  auto key = ParseServiceAccountKey(text.str());
  if (!key) return Fail(ErrorCode::kInvalidInput, fmt::format("{}: {}", path, key.error().message));
  return key;
}

std::string ServiceAccountKeyJson(const ServiceAccountKey& key) {
  nlohmann::json json{{"type", key.type},
                      {"project_id", key.project_id},
                      {"private_key_id", key.private_key_id},
                      {"private_key", key.private_key},
                      {"client_email", key.client_email},
                      {"token_uri", key.token_uri}};
  return json.dump(2);
}

Result<std::string> SignRs256(std::string_view data, std::string_view private_key_pem) {
  auto key = ReadPrivateKey(private_key_pem);
  if (!key) return Fail(ErrorCode::kInvalidInput, "not an RSA PEM private key");
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  const auto* input = reinterpret_cast<const unsigned char*>(data.data());
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length, input, data.size()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kInternal, "RS256 signing failed");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length, input,
                     data.size()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kInternal, "RS256 signing failed");
  }
  signature.resize(length);
  return signature;
}

bool VerifyRs256(std::string_view data, std::string_view signature,
                 std::string_view public_key_pem) {
  auto key = ReadPublicKey(public_key_pem);
  if (!key || EVP_PKEY_is_a(key.get(), "RSA") != 1) return false;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  const bool ok =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                       signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                       data.size()) == 1;
  ERR_clear_error();
  return ok;
}

Result<std::string> PublicKeyPem(std::string_view private_key_pem) {
  auto key = ReadPrivateKey(private_key_pem);
  if (!key) return Fail(ErrorCode::kInvalidInput, "not an RSA PEM private key");
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key.get()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kInternal, "cannot write the public key");
  }
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

Result<Jwt> ParseJwt(std::string_view token) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Fail(ErrorCode::kInvalidInput, "a JWT has three dot-separated parts");
  }
  const auto header = Base64UrlDecode(token.substr(0, first));
  const auto claims = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  const auto signature = Base64UrlDecode(token.substr(second + 1));
  if (!header || !claims || !signature) {
    return Fail(ErrorCode::kInvalidInput, "a JWT part is not base64url");
  }
  Jwt jwt;
  jwt.header = nlohmann::json::parse(*header, nullptr, false);
  jwt.claims = nlohmann::json::parse(*claims, nullptr, false);
  if (!jwt.header.is_object() || !jwt.claims.is_object()) {
    return Fail(ErrorCode::kInvalidInput, "a JWT header or claim set is not a JSON object");
  }
  jwt.signing_input = std::string(token.substr(0, second));
  jwt.signature = *signature;
  return jwt;
}

Result<std::string> MakeJwtAssertion(const ServiceAccountKey& key, std::string_view scope,
                                     core::TimePoint now) {
  const long long issued_at = core::ToUnixSeconds(now);
  const nlohmann::json header{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", key.private_key_id}};
  const nlohmann::json claims{{"iss", key.client_email},
                              {"scope", scope},
                              {"aud", key.token_uri},
                              {"iat", issued_at},
                              {"exp", issued_at + 3600}};
  std::string signing_input = Base64UrlEncode(header.dump()) + "." + Base64UrlEncode(claims.dump());
  auto signature = SignRs256(signing_input, key.private_key);
  if (!signature) {
    return Fail(ErrorCode::kInvalidInput,
                "cannot sign with the service account key: " + signature.error().message);
  }
  return signing_input + "." + Base64UrlEncode(*signature);
}

}  // namespace planfix_flow::google
