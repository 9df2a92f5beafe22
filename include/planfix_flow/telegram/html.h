// Telegram's HTML parse mode: escaping text for it, and parsing markup the way the Bot API
// does, so a message can be measured and refused before it is sent. Pure functions;
// thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/result.h"

namespace planfix_flow::telegram {

enum class EscapeContext {
  kText,       // between tags: escapes <, > and &
  kAttribute,  // inside a double-quoted attribute value: also escapes "
};

// Makes arbitrary text safe to embed in an HTML-mode message.
std::string EscapeHtml(std::string_view text, EscapeContext context = EscapeContext::kText);

// A formatting entity as the Bot API reports it: offset and length in UTF-16 code units.
struct TextEntity {
  std::string type;  // "bold", "italic", "underline", "strikethrough", "spoiler", "code",
                     // "pre", "text_link", "blockquote", "expandable_blockquote",
                     // "custom_emoji"
  int offset = 0;
  int length = 0;
  std::string url;              // text_link
  std::string language;         // pre
  std::string custom_emoji_id;  // custom_emoji

  bool operator==(const TextEntity&) const = default;
};

struct FormattedText {
  std::string text;  // the markup with tags removed and entities decoded (UTF-8)
  std::vector<TextEntity> entities;
};

// Parses Telegram HTML: the tags b, strong, i, em, u, ins, s, strike, del, tg-spoiler,
// span class="tg-spoiler", a href, code, pre, blockquote [expandable], tg-emoji emoji-id;
// the entities &lt; &gt; &amp; &quot; and numeric ones (&#NNN; &#xHH;). Like Telegram, an
// unknown named entity such as &nbsp; is kept literally. Fails with kInvalidInput and the
// Bot API's own wording (what follows "can't parse entities: "), e.g.
// `Unsupported start tag "div" at byte offset 0`. Also fails on invalid UTF-8.
core::Result<FormattedText> ParseHtml(std::string_view html);

bool IsValidUtf8(std::string_view text);
// Unicode code points in valid UTF-8 text.
std::size_t CountCodePoints(std::string_view text);
// UTF-16 code units (what Telegram's entity offsets count).
std::size_t CountUtf16Units(std::string_view text);
// The text without leading and trailing whitespace (Telegram trims message texts).
std::string_view TrimWhitespace(std::string_view text);

}  // namespace planfix_flow::telegram
