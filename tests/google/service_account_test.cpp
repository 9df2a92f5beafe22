#include "planfix_flow/google/service_account.h"

#include <gtest/gtest.h>

#include "google/google_test_support.h"
#include "planfix_flow/sandbox/fake_google.h"

namespace planfix_flow::google {
namespace {

using google_test::At;
using google_test::TempDir;

ServiceAccountKey TestKey(int slot = 0) {
  ServiceAccountKey key;
  key.type = "service_account";
  key.project_id = "agency-project";
  key.private_key_id = "kid-123";
  key.private_key = sandbox::TestRsaKeyPair(slot).private_key_pem;
  key.client_email = "flow@agency-project.iam.gserviceaccount.com";
  key.token_uri = kGoogleTokenUri;
  return key;
}

// The middle of the PEM body, to look for leaks in messages.
std::string PrivateKeyFragment(const ServiceAccountKey& key) {
  return key.private_key.substr(key.private_key.size() / 2, 24);
}

TEST(ServiceAccountKey, LoadsTheJsonKeyFile) {
  TempDir dir;
  const auto path = google_test::WriteKeyFile(dir, TestKey());
  auto key = LoadServiceAccountKey(path);
  ASSERT_TRUE(key) << key.error().ToString();
  EXPECT_EQ(key->type, "service_account");
  EXPECT_EQ(key->client_email, "flow@agency-project.iam.gserviceaccount.com");
  EXPECT_EQ(key->private_key_id, "kid-123");
  EXPECT_EQ(key->token_uri, kGoogleTokenUri);
  EXPECT_EQ(key->project_id, "agency-project");
  EXPECT_EQ(key->private_key, TestKey().private_key);
}

TEST(ServiceAccountKey, ReportsAnUnreadableFileByPath) {
  auto key = LoadServiceAccountKey("/nonexistent/dir/key.json");
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_NE(key.error().message.find("cannot read"), std::string::npos);
  EXPECT_NE(key.error().message.find("/nonexistent/dir/key.json"), std::string::npos);
}

TEST(ServiceAccountKey, ReportsAFileThatIsNotJson) {
  TempDir dir;
  auto key = LoadServiceAccountKey(dir.Write("key.json", "type = service_account"));
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_NE(key.error().message.find("not a JSON object"), std::string::npos);
}

TEST(ServiceAccountKey, NamesEachMissingField) {
  for (const char* name : {"type", "client_email", "private_key_id", "private_key", "token_uri"}) {
    auto json = nlohmann::json::parse(ServiceAccountKeyJson(TestKey()));
    json.erase(name);
    auto key = ParseServiceAccountKey(json.dump());
    ASSERT_FALSE(key) << name;
    EXPECT_EQ(key.error().code, core::ErrorCode::kInvalidInput);
    EXPECT_NE(key.error().message.find(std::string("\"") + name + "\""), std::string::npos)
        << key.error().message;
  }
}

TEST(ServiceAccountKey, RefusesAnotherCredentialType) {
  auto json = nlohmann::json::parse(ServiceAccountKeyJson(TestKey()));
  json["type"] = "authorized_user";
  auto key = ParseServiceAccountKey(json.dump());
  ASSERT_FALSE(key);
  EXPECT_NE(key.error().message.find("authorized_user"), std::string::npos);
}

TEST(ServiceAccountKey, RefusesABadPemWithoutEchoingIt) {
  auto json = nlohmann::json::parse(ServiceAccountKeyJson(TestKey()));
  std::string broken = TestKey().private_key;
  broken[broken.size() / 2] = '!';
  json["private_key"] = broken;
  auto key = ParseServiceAccountKey(json.dump());
  ASSERT_FALSE(key);
  EXPECT_EQ(key.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_NE(key.error().message.find("not an unencrypted RSA PEM private key"), std::string::npos);
  EXPECT_EQ(key.error().message.find(PrivateKeyFragment(TestKey())), std::string::npos);
  EXPECT_EQ(key.error().message.find("BEGIN"), std::string::npos);
}

TEST(ServiceAccountKey, RefusesAPublicKeyInPlaceOfThePrivateKey) {
  auto json = nlohmann::json::parse(ServiceAccountKeyJson(TestKey()));
  json["private_key"] = sandbox::TestRsaKeyPair().public_key_pem;
  EXPECT_FALSE(ParseServiceAccountKey(json.dump()));
}

TEST(JwtAssertion, IsAnRs256JwtWithGooglesClaims) {
  const auto now = At("2026-11-27T10:00:00Z");
  auto assertion = MakeJwtAssertion(TestKey(), "scope-a scope-b", now);
  ASSERT_TRUE(assertion) << assertion.error().ToString();
  auto jwt = ParseJwt(*assertion);
  ASSERT_TRUE(jwt) << jwt.error().ToString();
  EXPECT_EQ(jwt->header, (nlohmann::json{{"alg", "RS256"}, {"typ", "JWT"}, {"kid", "kid-123"}}));
  EXPECT_EQ(jwt->claims["iss"], "flow@agency-project.iam.gserviceaccount.com");
  EXPECT_EQ(jwt->claims["scope"], "scope-a scope-b");
  EXPECT_EQ(jwt->claims["aud"], kGoogleTokenUri);
  EXPECT_EQ(jwt->claims["iat"], core::ToUnixSeconds(now));
  EXPECT_EQ(jwt->claims["exp"], core::ToUnixSeconds(now) + 3600);
  EXPECT_EQ(assertion->find('='), std::string::npos);  // base64url without padding
  EXPECT_TRUE(
      VerifyRs256(jwt->signing_input, jwt->signature, sandbox::TestRsaKeyPair().public_key_pem));
}

TEST(JwtAssertion, DoesNotVerifyWithAnotherKeyOrAfterTampering) {
  auto assertion = MakeJwtAssertion(TestKey(), "s", At("2026-11-27T10:00:00Z"));
  ASSERT_TRUE(assertion);
  auto jwt = ParseJwt(*assertion);
  ASSERT_TRUE(jwt);
  EXPECT_FALSE(
      VerifyRs256(jwt->signing_input, jwt->signature, sandbox::TestRsaKeyPair(1).public_key_pem));
  std::string tampered = jwt->signing_input;
  tampered[tampered.size() - 2] = tampered[tampered.size() - 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyRs256(tampered, jwt->signature, sandbox::TestRsaKeyPair().public_key_pem));
  EXPECT_FALSE(VerifyRs256(jwt->signing_input, jwt->signature, "not a key"));
}

TEST(JwtAssertion, PublicKeyPemMatchesTheGeneratedPair) {
  auto pem = PublicKeyPem(sandbox::TestRsaKeyPair().private_key_pem);
  ASSERT_TRUE(pem);
  EXPECT_EQ(*pem, sandbox::TestRsaKeyPair().public_key_pem);
}

TEST(Jwt, ParsingRejectsMalformedTokens) {
  EXPECT_FALSE(ParseJwt("only.two"));
  EXPECT_FALSE(ParseJwt("a.b.c.d"));
  EXPECT_FALSE(ParseJwt("!!!.e30.c2ln"));
  EXPECT_FALSE(ParseJwt(Base64UrlEncode("[1]") + ".e30.c2ln"));  // header is not an object
  EXPECT_TRUE(ParseJwt("e30.e30.c2ln"));
}

TEST(Base64Url, EncodesWithoutPaddingInTheUrlAlphabet) {
  EXPECT_EQ(Base64UrlEncode(""), "");
  EXPECT_EQ(Base64UrlEncode("f"), "Zg");
  EXPECT_EQ(Base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(Base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(Base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(Base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
}

TEST(Base64Url, DecodesAndRejectsPaddingAndForeignCharacters) {
  EXPECT_EQ(Base64UrlDecode("Zm9vYg"), "foob");
  EXPECT_EQ(Base64UrlDecode("-_8"), std::string("\xfb\xff", 2));
  EXPECT_FALSE(Base64UrlDecode("Zg=="));
  EXPECT_FALSE(Base64UrlDecode("+/8"));
  EXPECT_FALSE(Base64UrlDecode("Zm9vY"));  // a lone 6-bit group is never valid
  EXPECT_FALSE(Base64UrlDecode("Zh"));     // non-zero leftover bits
}

}  // namespace
}  // namespace planfix_flow::google
