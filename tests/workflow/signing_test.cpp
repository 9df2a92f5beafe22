// SigningKeys: one key per purpose from the signing key, and the previous key's grace period.
#include "planfix_flow/workflow/signing.h"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>

#include "planfix_flow/http/standard_webhooks.h"
#include "planfix_flow/workflow/approval.h"
#include "planfix_flow/workflow/brief.h"

namespace planfix_flow::workflow {
namespace {

using std::chrono::hours;

constexpr char kCurrent[] = "signing-test-current-key-0123456789abcdef";
constexpr char kPrevious[] = "signing-test-previous-key-0123456789abcdef";
const core::TimePoint kRotated = core::FromUnixSeconds(1'795'420'800);

constexpr SigningPurpose kPurposes[] = {SigningPurpose::kBriefCode, SigningPurpose::kDeepLink,
                                        SigningPurpose::kApproval};

TEST(SigningKeys, EachPurposeHasItsOwnKeyNoneOfThemTheSigningKeyItself) {
  const SigningKeys keys(kCurrent);
  std::set<std::string> seen;
  for (const auto purpose : kPurposes) {
    const std::string& key = keys.Signing(purpose);
    EXPECT_EQ(key.size(), 32u);
    EXPECT_NE(key, kCurrent);
    seen.insert(key);
  }
  EXPECT_EQ(seen.size(), 3u);
  // A code is no help in forging a deep link: the same task and contact give unrelated MACs.
  const std::string code = MakeBriefCode(keys.Signing(SigningPurpose::kBriefCode), 42, 7);
  EXPECT_FALSE(VerifyBindToken(keys, kRotated, "b42_" + code.substr(code.rfind('-') + 1), 42, 7));
  EXPECT_FALSE(VerifyBriefCode(keys.Signing(SigningPurpose::kDeepLink), code));
}

TEST(SigningKeys, DerivationIsStableAndDependsOnTheKey) {
  const SigningKeys one(kCurrent);
  const SigningKeys again(kCurrent);
  const SigningKeys other(kPrevious);
  for (const auto purpose : kPurposes) {
    EXPECT_EQ(one.Signing(purpose), again.Signing(purpose));
    EXPECT_NE(one.Signing(purpose), other.Signing(purpose));
  }
  EXPECT_EQ(one.fingerprint(), again.fingerprint());
  EXPECT_NE(one.fingerprint(), other.fingerprint());
  EXPECT_EQ(one.fingerprint().size(), 16u);
  EXPECT_EQ(one.fingerprint().find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(SigningKeys, AnEmptySigningKeyIsRefused) {
  EXPECT_THROW(SigningKeys(""), std::invalid_argument);
}

TEST(SigningKeys, ThePreviousKeyVerifiesUntilItsDeadlineAndNeverSigns) {
  const SigningKeys keys(kCurrent, kPrevious, kRotated + hours(24 * 30));
  const SigningKeys old(kPrevious);
  for (const auto purpose : kPurposes) {
    EXPECT_EQ(keys.Signing(purpose), SigningKeys(kCurrent).Signing(purpose));
    const auto within = keys.Verifying(purpose, kRotated + hours(24 * 30) - hours(1));
    ASSERT_EQ(within.size(), 2u);
    EXPECT_EQ(within[0], keys.Signing(purpose));
    EXPECT_EQ(within[1], old.Signing(purpose));
    const auto after = keys.Verifying(purpose, kRotated + hours(24 * 30));
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0], keys.Signing(purpose));
  }
  const std::string code = MakeBriefCode(old.Signing(SigningPurpose::kBriefCode), 42, 7);
  EXPECT_TRUE(VerifyBriefCode(keys, kRotated, code));
  EXPECT_FALSE(VerifyBriefCode(keys, kRotated + hours(24 * 31), code));
  const std::string token = MakeBindToken(old.Signing(SigningPurpose::kDeepLink), 42, 7);
  EXPECT_TRUE(VerifyBindToken(keys, kRotated, token, 42, 7));
  EXPECT_FALSE(VerifyBindToken(keys, kRotated, token, 42, 8));
  EXPECT_FALSE(VerifyBindToken(keys, kRotated + hours(24 * 31), token, 42, 7));
  const std::string button = MakeApprovalCallbackData(old.Signing(SigningPurpose::kApproval), 42,
                                                      31, ApprovalChoice::kApprove);
  EXPECT_TRUE(VerifyApprovalCallbackData(keys, kRotated, button));
  EXPECT_FALSE(VerifyApprovalCallbackData(keys, kRotated + hours(24 * 31), button));
}

TEST(SigningKeys, APreviousKeyWithoutADeadlineVerifiesNothing) {
  const SigningKeys keys(kCurrent, kPrevious);
  EXPECT_TRUE(keys.has_previous());
  EXPECT_EQ(keys.Verifying(SigningPurpose::kBriefCode, kRotated).size(), 1u);
}

// What a form editor can compute from the Google webhook secret is refused, whichever way it
// is used: as the key of the old scheme or as if it were the signing key.
TEST(SigningKeys, NothingMadeWithTheGoogleSecretVerifies) {
  const std::string google = "sandbox-google-webhook-secret";
  const SigningKeys keys(kCurrent);
  const SigningKeys as_root(google);
  EXPECT_FALSE(VerifyBriefCode(keys, kRotated, MakeBriefCode(google, 42, 7)));
  EXPECT_FALSE(VerifyBriefCode(keys, kRotated,
                               MakeBriefCode(as_root.Signing(SigningPurpose::kBriefCode), 42, 7)));
  EXPECT_FALSE(VerifyBindToken(keys, kRotated, MakeBindToken(google, 42, 7), 42, 7));
  EXPECT_FALSE(VerifyApprovalCallbackData(
      keys, kRotated,
      MakeApprovalCallbackData(http::HmacSha256(google, "planfix-flow approval callback key v1"),
                               42, 31, ApprovalChoice::kApprove)));
}

}  // namespace
}  // namespace planfix_flow::workflow
