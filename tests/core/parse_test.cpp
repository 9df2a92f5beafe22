#include "planfix_flow/core/parse.h"

#include <gtest/gtest.h>

#include "planfix_flow/core/url.h"

namespace planfix_flow::core {
namespace {

TEST(ParseId, AcceptsAPositiveDecimalOnly) {
  EXPECT_EQ(ParseId("12"), 12);
  EXPECT_EQ(ParseId("999999999999999999"), 999999999999999999);
  EXPECT_EQ(ParseId("007"), 7);
}

TEST(ParseId, RefusesTrailingGarbageSignsSpacesAndZero) {
  for (const char* text : {"12abc", "abc12", "", "0", "000", "-5", "+5", " 12", "12 ", "1.5", "1e3",
                           "0x1f", "1234567890123456789", "contact:12"}) {
    EXPECT_EQ(ParseId(text), std::nullopt) << text;
  }
}

TEST(ParseRetryAfter, ReadsDelaySecondsClampedToOneSecondAndOneDay) {
  EXPECT_EQ(ParseRetryAfter("30"), std::chrono::seconds(30));
  EXPECT_EQ(ParseRetryAfter(" 7 "), std::chrono::seconds(7));
  EXPECT_EQ(ParseRetryAfter("0"), std::chrono::seconds(1));
  EXPECT_EQ(ParseRetryAfter("999999"), std::chrono::seconds(24 * 60 * 60));
}

TEST(ParseRetryAfter, RefusesDatesNegativesAndGarbage) {
  for (const char* text : {"", "-1", "5s", "1.5", "Wed, 21 Oct 2026 07:28:00 GMT", "soon"}) {
    EXPECT_EQ(ParseRetryAfter(text), std::nullopt) << text;
  }
}

TEST(Trim, DropsAsciiWhitespaceAtBothEnds) {
  EXPECT_EQ(Trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(Trim(" \t "), "");
  EXPECT_EQ(Trim(""), "");
  EXPECT_EQ(Trim("x"), "x");
}

TEST(AsciiLower, LowersAsciiLettersOnly) {
  EXPECT_EQ(AsciiLower("Bearer ABC-xyz"), "bearer abc-xyz");
  EXPECT_EQ(AsciiLower("ТАК Yes"), "ТАК yes");
}

TEST(IsLoopbackHost, KnowsLocalhostTheIpv6LoopbackAnd127Slash8) {
  for (const char* host : {"localhost", "LocalHost", "::1", "[::1]", "127.0.0.1", "127.1.2.255"}) {
    EXPECT_TRUE(IsLoopbackHost(host)) << host;
  }
}

TEST(IsLoopbackHost, RefusesOtherHostsAndMalformedAddresses) {
  for (const char* host : {"", "example.com", "localhost.example.com", "10.0.0.1", "127.0.0",
                           "127.0.0.1.5", "127.0.0.256", "127.0.-1.1", "127.0.0.0001", "127..0.1",
                           "127.0.0.1:80", "::2", "128.0.0.1"}) {
    EXPECT_FALSE(IsLoopbackHost(host)) << host;
  }
}

}  // namespace
}  // namespace planfix_flow::core
