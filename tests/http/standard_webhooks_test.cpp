#include "planfix_flow/http/standard_webhooks.h"

#include <gtest/gtest.h>

namespace planfix_flow::http {
namespace {

// Derived once, independently of this code, with
//   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' |
//     openssl dgst -sha256 -mac HMAC -macopt hexkey:<base64-decoded secret> -binary | base64
// (it matches the example published with the Standard Webhooks specification).
constexpr char kSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr char kId[] = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr long long kTimestamp = 1614265330;
constexpr char kBody[] = R"({"test": 2432232314})";
constexpr char kSignature[] = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

std::string Key() { return StandardWebhookKey(kSecret).value(); }

StandardWebhookHeaders Headers(std::string signature = kSignature) {
  return StandardWebhookHeaders{kId, std::to_string(kTimestamp), std::move(signature)};
}

core::TimePoint At(long long seconds) { return core::FromUnixSeconds(seconds); }

TEST(StandardWebhooks, AcceptsTheKnownAnswerVector) {
  EXPECT_TRUE(VerifyStandardWebhook(Key(), Headers(), kBody, At(kTimestamp)));
  EXPECT_EQ(SignStandardWebhook(Key(), kId, kTimestamp, kBody), kSignature);
}

TEST(StandardWebhooks, UsesARawSecretAsBytesWhenItHasNoWhsecPrefix) {
  // printf '%s' 'evt_1.1764238500.{"responseId":"r1"}' |
  //   openssl dgst -sha256 -hmac 'plain-secret' -binary | base64
  const auto key = StandardWebhookKey("plain-secret");
  ASSERT_TRUE(key);
  EXPECT_EQ(*key, "plain-secret");
  const StandardWebhookHeaders headers{"evt_1", "1764238500",
                                       "v1,I+q7DRquVtwzK0u0E65axGWnEpOVbldT4erDKHsCDbQ="};
  EXPECT_TRUE(VerifyStandardWebhook(*key, headers, R"({"responseId":"r1"})", At(1764238500)));
}

TEST(StandardWebhooks, RejectsAFlippedByteInTheBody) {
  std::string body = kBody;
  body[10] ^= 0x01;
  const auto status = VerifyStandardWebhook(Key(), Headers(), body, At(kTimestamp));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, core::ErrorCode::kUnauthorized);
  EXPECT_EQ(status.error().message, "no valid v1 webhook-signature");
}

TEST(StandardWebhooks, RejectsAFlippedByteInTheSignature) {
  std::string signature = kSignature;
  signature[5] = signature[5] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(VerifyStandardWebhook(Key(), Headers(signature), kBody, At(kTimestamp)));
}

TEST(StandardWebhooks, RejectsAnotherIdOrTimestampUnderTheSameSignature) {
  auto other_id = Headers();
  other_id.id = "msg_other";
  EXPECT_FALSE(VerifyStandardWebhook(Key(), other_id, kBody, At(kTimestamp)));
  auto other_time = Headers();
  other_time.timestamp = std::to_string(kTimestamp + 1);
  EXPECT_FALSE(VerifyStandardWebhook(Key(), other_time, kBody, At(kTimestamp)));
}

TEST(StandardWebhooks, RejectsAnotherSecret) {
  EXPECT_FALSE(VerifyStandardWebhook("another key", Headers(), kBody, At(kTimestamp)));
}

TEST(StandardWebhooks, AcceptsTimestampsUpToFiveMinutesOffEitherWay) {
  EXPECT_TRUE(VerifyStandardWebhook(Key(), Headers(), kBody, At(kTimestamp + 300)));
  EXPECT_TRUE(VerifyStandardWebhook(Key(), Headers(), kBody, At(kTimestamp - 300)));
}

TEST(StandardWebhooks, RejectsStaleAndFutureTimestamps) {
  const auto stale = VerifyStandardWebhook(Key(), Headers(), kBody, At(kTimestamp + 301));
  ASSERT_FALSE(stale);
  EXPECT_NE(stale.error().message.find("more than 300 s"), std::string::npos);
  EXPECT_FALSE(VerifyStandardWebhook(Key(), Headers(), kBody, At(kTimestamp - 301)));
}

TEST(StandardWebhooks, AcceptsAnyMatchingEntryInASpaceSeparatedList) {
  const std::string list =
      "v1a,ignored v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + std::string(kSignature) +
      " v1,not-base64";
  EXPECT_TRUE(VerifyStandardWebhook(Key(), Headers(list), kBody, At(kTimestamp)));
}

TEST(StandardWebhooks, ReportsEachMissingOrMalformedHeader) {
  auto headers = Headers();
  headers.id.clear();
  EXPECT_EQ(VerifyStandardWebhook(Key(), headers, kBody, At(kTimestamp)).error().message,
            "missing webhook-id header");
  headers = Headers();
  headers.timestamp.clear();
  EXPECT_EQ(VerifyStandardWebhook(Key(), headers, kBody, At(kTimestamp)).error().message,
            "missing webhook-timestamp header");
  for (const char* bad :
       {"16142653x0", "-1614265330", "+1614265330", "1614265330.5", "99999999999999999999999"}) {
    headers = Headers();
    headers.timestamp = bad;
    EXPECT_EQ(VerifyStandardWebhook(Key(), headers, kBody, At(kTimestamp)).error().message,
              "webhook-timestamp is not a Unix time in seconds")
        << bad;
  }
  headers = Headers("");
  EXPECT_EQ(VerifyStandardWebhook(Key(), headers, kBody, At(kTimestamp)).error().message,
            "missing webhook-signature header");
  headers = Headers();
  headers.id = "has space";
  EXPECT_FALSE(VerifyStandardWebhook(Key(), headers, kBody, At(kTimestamp)));
  headers.id = std::string(257, 'a');
  EXPECT_FALSE(VerifyStandardWebhook(Key(), headers, kBody, At(kTimestamp)));
}

TEST(StandardWebhooks, RefusesEmptyOrUndecodableSecretsWithoutEchoingThem) {
  EXPECT_FALSE(StandardWebhookKey(""));
  const auto bad = StandardWebhookKey("whsec_not*base64!");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.find("not*base64"), std::string::npos);
}

TEST(Base64, RoundTripsEveryLengthAndRejectsMalformedText) {
  std::string bytes;
  for (int i = 0; i < 40; ++i) {
    EXPECT_EQ(Base64Decode(Base64Encode(bytes)), bytes) << i;
    bytes.push_back(static_cast<char>(i * 37));
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  for (const char* bad : {"Zm9", "Zm9v=mFy", "Zm=vYmFy", "Zm9vYmF*", "Zg==Zg==", "Z==="}) {
    EXPECT_FALSE(Base64Decode(bad)) << bad;
  }
}

TEST(ConstantTimeEquals, ComparesContentsOfAnyLength) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

TEST(Sha256Hex, MatchesTheFipsVectorForAbc) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace planfix_flow::http
