#include "http/body_checks.h"

#include <gtest/gtest.h>

#include <string>

namespace planfix_flow::http {
namespace {

TEST(IsValidUtf8, AcceptsAsciiAndWellFormedMultibyteText) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("brief.send"));
  EXPECT_TRUE(IsValidUtf8("Задача №12 — готово ✓ 😀"));
}

TEST(IsValidUtf8, RejectsStrayOverlongSurrogateAndTruncatedSequences) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe0\x80\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate U+D800
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\xd0"));              // truncated
  EXPECT_FALSE(IsValidUtf8("ok\xe2\x82"));        // truncated at the end
}

TEST(JsonDepthWithin, CountsNestingAndIgnoresBracketsInStrings) {
  EXPECT_TRUE(JsonDepthWithin("1", 0));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":1})", 1));
  EXPECT_FALSE(JsonDepthWithin(R"({"a":[1]})", 1));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":[1]})", 2));
  EXPECT_TRUE(JsonDepthWithin(R"({"a":"[[[[{{{{\"]]"})", 1));
  EXPECT_TRUE(JsonDepthWithin(R"([{}, {}, [], []])", 2));
  EXPECT_FALSE(JsonDepthWithin(std::string(10000, '['), 64));
}

}  // namespace
}  // namespace planfix_flow::http
