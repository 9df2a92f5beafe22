#include "planfix_flow/telegram/html.h"

#include <gtest/gtest.h>

namespace planfix_flow::telegram {
namespace {

TEST(EscapeHtml, EscapesAngleBracketsAndAmpersandsButNotQuotesInText) {
  EXPECT_EQ(EscapeHtml(R"(a < b && c > "d")"), R"(a &lt; b &amp;&amp; c &gt; "d")");
}

TEST(EscapeHtml, AlsoEscapesQuotesInsideAttributes) {
  EXPECT_EQ(EscapeHtml(R"(https://x.test/?a="1"&b=2)", EscapeContext::kAttribute),
            "https://x.test/?a=&quot;1&quot;&amp;b=2");
}

TEST(EscapeHtml, EscapedTextParsesBackToTheOriginal) {
  const std::string original = "Ціна <100 & знижка> \"так\" &amp; 5 > 3";
  auto parsed = ParseHtml(EscapeHtml(original));
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->text, original);
  EXPECT_TRUE(parsed->entities.empty());
}

TEST(ParseHtml, StripsTagsDecodesEntitiesAndReportsUtf16Offsets) {
  // The emoji is two UTF-16 code units, so "bold" starts at offset 3.
  auto parsed =
      ParseHtml("😀 <b>bold</b> &lt;x&gt; <a href=\"https://e.test/?a=1&amp;b=2\">link</a>");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->text, "😀 bold <x> link");
  ASSERT_EQ(parsed->entities.size(), 2u);
  EXPECT_EQ(parsed->entities[0], (TextEntity{"bold", 3, 4}));
  EXPECT_EQ(parsed->entities[1].type, "text_link");
  EXPECT_EQ(parsed->entities[1].offset, 12);
  EXPECT_EQ(parsed->entities[1].url, "https://e.test/?a=1&b=2");
}

TEST(ParseHtml, SupportsEveryTelegramTagAndNesting) {
  auto parsed = ParseHtml(
      "<strong>a</strong><i>b</i><em>c</em><u>d</u><ins>e</ins><s>f</s><strike>g</strike>"
      "<del>h</del><tg-spoiler>i</tg-spoiler><span class=\"tg-spoiler\">j</span><code>k</code>"
      "<pre><code class=\"language-cpp\">l</code></pre><blockquote>m</blockquote>"
      "<blockquote expandable>n</blockquote><tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>"
      "<b>o<i>p</i></b>");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->text, "abcdefghijklmn👍op");
  std::vector<std::string> types;
  for (const auto& entity : parsed->entities) types.push_back(entity.type);
  EXPECT_EQ(types, (std::vector<std::string>{
                       "bold", "italic", "italic", "underline", "underline", "strikethrough",
                       "strikethrough", "strikethrough", "spoiler", "spoiler", "code", "pre",
                       "blockquote", "expandable_blockquote", "custom_emoji", "bold", "italic"}));
  EXPECT_EQ(parsed->entities[11].language, "cpp");
  EXPECT_EQ(parsed->entities[14].custom_emoji_id, "5368324170671202286");
}

TEST(ParseHtml, KeepsUnknownNamedEntitiesLiterallyAndDecodesNumericOnes) {
  auto parsed = ParseHtml("&nbsp;&#1058;&#x0456;&quot;&amp");
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->text, "&nbsp;Ті\"&");
}

struct BadMarkup {
  const char* name;
  const char* html;
  const char* error;
};

void PrintTo(const BadMarkup& markup, std::ostream* out) { *out << markup.name; }

class ParseHtmlRejects : public ::testing::TestWithParam<BadMarkup> {};

TEST_P(ParseHtmlRejects, MarkupTelegramRefusesWithItsWording) {
  auto parsed = ParseHtml(GetParam().html);
  ASSERT_FALSE(parsed) << GetParam().html;
  EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_EQ(parsed.error().message, GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    TelegramWording, ParseHtmlRejects,
    ::testing::Values(
        BadMarkup{"UnsupportedTag", "<div>x</div>",
                  "Unsupported start tag \"div\" at byte offset 0"},
        BadMarkup{"BareLessThan", "a < b", "Unsupported start tag \"\" at byte offset 2"},
        BadMarkup{"MissingEndTag", "<b>bold",
                  "Can't find end tag corresponding to start tag \"b\""},
        BadMarkup{"UnexpectedEndTag", "x</b>", "Unexpected end tag at byte offset 1"},
        BadMarkup{"UnmatchedEndTag", "<b>x</i>",
                  "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\""},
        BadMarkup{"UnclosedStartTag", "<b", "Unclosed start tag at byte offset 0"},
        BadMarkup{"UnclosedEndTag", "<b>x</b", "Unclosed end tag at byte offset 4"},
        BadMarkup{"SpanWithoutSpoilerClass", "<span>x</span>",
                  "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"},
        BadMarkup{"AttributeWithoutValue", "<a href>x</a>",
                  "Expected equal sign in declaration of an attribute of the tag \"a\" at byte "
                  "offset 0"},
        BadMarkup{"InvalidUtf8", "\xff\xfe", "text must be encoded in UTF-8"}),
    [](const ::testing::TestParamInfo<BadMarkup>& param) { return std::string(param.param.name); });

TEST(TextCounting, CountsCodePointsAndUtf16Units) {
  EXPECT_EQ(CountCodePoints("Привіт"), 6u);
  EXPECT_EQ(CountCodePoints("😀a"), 2u);
  EXPECT_EQ(CountUtf16Units("😀a"), 3u);
  EXPECT_TRUE(IsValidUtf8("Привіт 😀"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));  // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));  // truncated
  EXPECT_EQ(TrimWhitespace("  \n x y \t"), "x y");
}

}  // namespace
}  // namespace planfix_flow::telegram
