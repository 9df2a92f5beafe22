#include "planfix_flow/core/result.h"

#include <gtest/gtest.h>

namespace planfix_flow::core {
namespace {

Result<int> Parse(bool ok) {
  if (!ok) return Fail(ErrorCode::kInvalidInput, "not a number");
  return 42;
}

TEST(Result, HoldsAValue) {
  auto result = Parse(true);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, 42);
  EXPECT_THROW((void)result.error(), BadResultAccess);
}

TEST(Result, HoldsAnErrorAndRefusesToGiveAValue) {
  auto result = Parse(false);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(result.error().message, "not a number");
  EXPECT_THROW((void)result.value(), BadResultAccess);
  EXPECT_EQ(result.value_or(7), 7);
}

TEST(Result, VoidResultCarriesOnlyAnError) {
  Status ok = Ok();
  EXPECT_TRUE(ok);
  Status failed = Fail(ErrorCode::kTimeout, "slow");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().ToString(), "timeout: slow");
}

TEST(ErrorCode, OnlyTransientFailuresAreRetryable) {
  EXPECT_TRUE(IsRetryable(ErrorCode::kRateLimited));
  EXPECT_TRUE(IsRetryable(ErrorCode::kUnavailable));
  EXPECT_TRUE(IsRetryable(ErrorCode::kTimeout));
  EXPECT_FALSE(IsRetryable(ErrorCode::kPermanent));
  EXPECT_FALSE(IsRetryable(ErrorCode::kQuotaExhausted));
  EXPECT_FALSE(IsRetryable(ErrorCode::kUnauthorized));
}

}  // namespace
}  // namespace planfix_flow::core
