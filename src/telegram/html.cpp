#include "planfix_flow/telegram/html.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

namespace planfix_flow::telegram {

using core::ErrorCode;
using core::Fail;
using core::Result;

std::string EscapeHtml(std::string_view text, EscapeContext context) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (const char ch : text) {
    switch (ch) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        if (context == EscapeContext::kAttribute) {
          out += "&quot;";
        } else {
          out.push_back(ch);
        }
        break;
      default:
        out.push_back(ch);
    }
  }
  return out;
}

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      code = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      code = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      code = lead & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= text.size()) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3Fu);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
        (extra == 3 && code < 0x10000) || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::size_t CountCodePoints(std::string_view text) {
  return static_cast<std::size_t>(std::count_if(text.begin(), text.end(), [](char ch) {
    return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  }));
}

std::size_t CountUtf16Units(std::string_view text) {
  std::size_t units = 0;
  for (const char ch : text) {
    const auto byte = static_cast<unsigned char>(ch);
    if ((byte & 0xC0) == 0x80) continue;
    units += byte >= 0xF0 ? 2 : 1;  // four-byte sequences become surrogate pairs
  }
  return units;
}

std::string_view TrimWhitespace(std::string_view text) {
  auto is_space = [](char ch) {
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f' || ch == '\v';
  };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

namespace {

bool IsSpace(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }
bool IsAlpha(char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
bool IsDigit(char ch) { return ch >= '0' && ch <= '9'; }
int HexValue(char ch) {
  if (IsDigit(ch)) return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

std::string ToLower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  return out;
}

void AppendUtf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

// Decodes the character reference starting at html[pos] == '&'. On success returns the code
// point and moves pos past the reference (the ';' is optional, as in Telegram); an unknown or
// invalid reference returns nothing and leaves pos alone, so the '&' stays literal.
std::optional<std::uint32_t> DecodeEntity(std::string_view html, std::size_t& pos) {
  std::size_t end = pos + 1;
  std::uint32_t code = 0;
  if (end < html.size() && html[end] == '#') {
    ++end;
    const bool hex = end < html.size() && (html[end] == 'x' || html[end] == 'X');
    if (hex) ++end;
    const std::size_t digits_begin = end;
    while (end < html.size() && (hex ? HexValue(html[end]) >= 0 : IsDigit(html[end])) &&
           end - digits_begin < 8) {
      code = code * (hex ? 16u : 10u) + static_cast<std::uint32_t>(HexValue(html[end]));
      ++end;
    }
    if (end == digits_begin || code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return std::nullopt;
    }
  } else {
    while (end < html.size() && IsAlpha(html[end])) ++end;
    const std::string_view name = html.substr(pos + 1, end - pos - 1);
    if (name == "lt") {
      code = '<';
    } else if (name == "gt") {
      code = '>';
    } else if (name == "amp") {
      code = '&';
    } else if (name == "quot") {
      code = '"';
    } else {
      return std::nullopt;
    }
  }
  if (end < html.size() && html[end] == ';') ++end;
  pos = end;
  return code;
}

bool IsSupportedTag(const std::string& name) {
  static const char* const kTags[] = {"a",    "b",   "strong",     "i",       "em",   "u",
                                      "ins",  "s",   "del",        "strike",  "span", "tg-spoiler",
                                      "code", "pre", "blockquote", "tg-emoji"};
  return std::any_of(std::begin(kTags), std::end(kTags),
                     [&](const char* tag) { return name == tag; });
}

std::string EntityType(const std::string& tag) {
  if (tag == "b" || tag == "strong") return "bold";
  if (tag == "i" || tag == "em") return "italic";
  if (tag == "u" || tag == "ins") return "underline";
  if (tag == "s" || tag == "strike" || tag == "del") return "strikethrough";
  if (tag == "span" || tag == "tg-spoiler") return "spoiler";
  if (tag == "a") return "text_link";
  if (tag == "tg-emoji") return "custom_emoji";
  return tag;  // code, pre, blockquote
}

struct OpenTag {
  std::string name;
  std::size_t byte_offset = 0;
  std::size_t utf16_start = 0;
  std::size_t text_start = 0;  // byte offset in the result
  TextEntity entity;
};

}  // namespace

Result<FormattedText> ParseHtml(std::string_view html) {
  if (!IsValidUtf8(html)) return Fail(ErrorCode::kInvalidInput, "text must be encoded in UTF-8");
  FormattedText out;
  std::vector<OpenTag> stack;
  std::size_t utf16 = 0;
  const std::size_t size = html.size();
  auto fail = [](std::string message) {
    return Fail(ErrorCode::kInvalidInput, std::move(message));
  };

  for (std::size_t i = 0; i < size;) {
    const char ch = html[i];
    if (ch == '&') {
      std::size_t pos = i;
      if (auto code = DecodeEntity(html, pos)) {
        AppendUtf8(out.text, *code);
        utf16 += *code >= 0x10000 ? 2 : 1;
        i = pos;
        continue;
      }
    }
    if (ch != '<') {
      const auto byte = static_cast<unsigned char>(ch);
      if ((byte & 0xC0) != 0x80) utf16 += byte >= 0xF0 ? 2 : 1;
      out.text.push_back(ch);
      ++i;
      continue;
    }

    const std::size_t begin = i;
    if (i + 1 < size && html[i + 1] == '/') {
      // An end tag.
      std::size_t j = i + 2;
      while (j < size && !IsSpace(html[j]) && html[j] != '>') ++j;
      const std::string name = ToLower(html.substr(i + 2, j - i - 2));
      while (j < size && IsSpace(html[j])) ++j;
      if (j >= size || html[j] != '>') {
        return fail(fmt::format("Unclosed end tag at byte offset {}", begin));
      }
      if (stack.empty()) return fail(fmt::format("Unexpected end tag at byte offset {}", begin));
      OpenTag open = std::move(stack.back());
      stack.pop_back();
      if (!name.empty() && name != open.name) {
        return fail(
            fmt::format("Unmatched end tag at byte offset {}, expected \"</{}>\", found \"</{}>\"",
                        begin, open.name, name));
      }
      const std::size_t length = utf16 - open.utf16_start;
      if (length > 0) {
        TextEntity entity = std::move(open.entity);
        entity.offset = static_cast<int>(open.utf16_start);
        entity.length = static_cast<int>(length);
        if (entity.type == "text_link" && entity.url.empty()) {
          entity.url = out.text.substr(open.text_start);
        }
        // <pre><code class="language-x">: the language belongs to the pre entity.
        if (entity.type == "code" && !entity.language.empty() && !stack.empty() &&
            stack.back().name == "pre") {
          stack.back().entity.language = entity.language;
        } else {
          entity.language = entity.type == "pre" ? entity.language : std::string();
          out.entities.push_back(std::move(entity));
        }
      }
      i = j + 1;
      continue;
    }

    // A start tag.
    std::size_t j = i + 1;
    while (j < size && !IsSpace(html[j]) && html[j] != '>') ++j;
    if (j >= size) return fail(fmt::format("Unclosed start tag at byte offset {}", begin));
    OpenTag open;
    open.name = ToLower(html.substr(i + 1, j - i - 1));
    open.byte_offset = begin;
    if (!IsSupportedTag(open.name)) {
      return fail(fmt::format("Unsupported start tag \"{}\" at byte offset {}", open.name, begin));
    }
    std::string span_class;
    bool expandable = false;
    while (true) {
      while (j < size && IsSpace(html[j])) ++j;
      if (j >= size) return fail(fmt::format("Unclosed start tag at byte offset {}", begin));
      if (html[j] == '>') break;
      const std::size_t name_begin = j;
      while (j < size && !IsSpace(html[j]) && html[j] != '=' && html[j] != '>') ++j;
      const std::string attribute = ToLower(html.substr(name_begin, j - name_begin));
      if (attribute.empty()) {
        return fail(fmt::format("Empty attribute name in the tag \"{}\" at byte offset {}",
                                open.name, begin));
      }
      while (j < size && IsSpace(html[j])) ++j;
      if (j >= size || html[j] != '=') {
        if (open.name == "blockquote" && attribute == "expandable") {
          expandable = true;
          continue;
        }
        return fail(
            fmt::format("Expected equal sign in declaration of an attribute of the tag \"{}\" at "
                        "byte offset {}",
                        open.name, begin));
      }
      ++j;
      while (j < size && IsSpace(html[j])) ++j;
      if (j >= size) return fail(fmt::format("Unclosed start tag at byte offset {}", begin));
      std::string value;
      if (html[j] == '"' || html[j] == '\'') {
        const char quote = html[j++];
        while (j < size && html[j] != quote) {
          if (html[j] == '&') {
            std::size_t pos = j;
            if (auto code = DecodeEntity(html, pos)) {
              AppendUtf8(value, *code);
              j = pos;
              continue;
            }
          }
          value.push_back(html[j++]);
        }
        if (j >= size) return fail(fmt::format("Unclosed start tag at byte offset {}", begin));
        ++j;
      } else {
        const std::size_t token_begin = j;
        while (j < size && (std::isalnum(static_cast<unsigned char>(html[j])) != 0 ||
                            html[j] == '.' || html[j] == '-')) {
          ++j;
        }
        value = ToLower(html.substr(token_begin, j - token_begin));
        if (j < size && !IsSpace(html[j]) && html[j] != '>') {
          return fail(fmt::format("Unexpected end of name token at byte offset {}", token_begin));
        }
      }
      if (open.name == "a" && attribute == "href") open.entity.url = value;
      if (open.name == "span" && attribute == "class") span_class = value;
      if (open.name == "code" && attribute == "class" && value.rfind("language-", 0) == 0) {
        open.entity.language = value.substr(9);
      }
      if (open.name == "tg-emoji" && attribute == "emoji-id") open.entity.custom_emoji_id = value;
    }
    if (open.name == "span" && span_class != "tg-spoiler") {
      return fail(
          fmt::format("Tag \"span\" must have class \"tg-spoiler\" at byte offset {}", begin));
    }
    if (open.name == "tg-emoji" && open.entity.custom_emoji_id.empty()) {
      return fail(fmt::format("Custom emoji entity must contain a tg://emoji URL at byte offset {}",
                              begin));
    }
    open.entity.type = EntityType(open.name);
    if (open.name == "blockquote" && expandable) open.entity.type = "expandable_blockquote";
    open.utf16_start = utf16;
    open.text_start = out.text.size();
    stack.push_back(std::move(open));
    i = j + 1;
  }
  if (!stack.empty()) {
    return fail(
        fmt::format("Can't find end tag corresponding to start tag \"{}\"", stack.back().name));
  }
  std::stable_sort(out.entities.begin(), out.entities.end(),
                   [](const TextEntity& a, const TextEntity& b) {
                     return a.offset != b.offset ? a.offset < b.offset : a.length > b.length;
                   });
  return out;
}

}  // namespace planfix_flow::telegram
