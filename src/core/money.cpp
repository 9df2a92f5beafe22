#include "planfix_flow/core/money.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <vector>

namespace planfix_flow::core {

namespace {

bool IsDigit(char ch) { return ch >= '0' && ch <= '9'; }

// The grouping spaces a number may carry: ' ', U+00A0 (C2 A0), U+202F (E2 80 AF). Returns
// the length of the one at `at`, 0 when none.
std::size_t GroupSpaceAt(std::string_view text, std::size_t at) {
  if (text[at] == ' ' || text[at] == '\'') return 1;
  if (text.substr(at, 2) == "\xC2\xA0") return 2;
  if (text.substr(at, 3) == "\xE2\x80\xAF") return 3;
  return 0;
}

// One code point of UTF-8 at `at` and its length; an invalid byte reads as U+FFFD, length 1.
char32_t DecodeAt(std::string_view text, std::size_t at, std::size_t& length) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  length = 1;
  if (lead < 0x80) return lead;
  std::size_t extra = 0;
  char32_t code = 0;
  if ((lead & 0xE0) == 0xC0) {
    extra = 1;
    code = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2;
    code = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3;
    code = lead & 0x07;
  } else {
    return 0xFFFD;
  }
  if (at + extra >= text.size()) return 0xFFFD;
  for (std::size_t i = 1; i <= extra; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0xFFFD;
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  length = extra + 1;
  return code;
}

// Lowercase for ASCII and Cyrillic (Ukrainian and Russian letters included).
char32_t Fold(char32_t code) {
  if (code >= 'A' && code <= 'Z') return code + 0x20;
  if (code >= 0x0410 && code <= 0x042F) return code + 0x20;
  if (code >= 0x0400 && code <= 0x040F) return code + 0x50;
  if (code == 0x0490) return 0x0491;  // Ґ
  return code;
}

std::vector<char32_t> FoldedCodePoints(std::string_view text) {
  std::vector<char32_t> out;
  out.reserve(text.size());
  for (std::size_t at = 0; at < text.size();) {
    std::size_t length = 1;
    out.push_back(Fold(DecodeAt(text, at, length)));
    at += length;
  }
  return out;
}

bool IsDigitCode(char32_t code) { return code >= '0' && code <= '9'; }
bool IsLetterCode(char32_t code) {
  return (code >= 'a' && code <= 'z') || (code >= 'A' && code <= 'Z') ||
         (code >= 0x0400 && code <= 0x04FF);
}
bool IsWordCode(char32_t code) { return IsDigitCode(code) || IsLetterCode(code); }

}  // namespace

Result<std::int64_t> ParseMoney(std::string_view text) {
  // Surrounding ASCII spaces are tolerated; everything else must be part of the number.
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  if (text.empty()) return Fail(ErrorCode::kInvalidInput, "the amount is empty");
  if (text.front() == '-' || text.front() == '+')
    return Fail(ErrorCode::kInvalidInput, "the amount must be written without a sign");
  std::int64_t whole = 0;
  std::int64_t fraction = 0;
  int fraction_digits = 0;
  bool in_fraction = false;
  bool any_digit = false;
  bool last_was_digit = false;
  for (std::size_t at = 0; at < text.size();) {
    const char ch = text[at];
    if (IsDigit(ch)) {
      const int digit = ch - '0';
      if (in_fraction) {
        ++fraction_digits;
        if (fraction_digits > 2) {
          if (digit != 0)
            return Fail(ErrorCode::kInvalidInput, "the amount has more than 2 decimals");
        } else {
          fraction = fraction * 10 + digit;
        }
      } else {
        if (whole > (kMaxMoneyMinor / 100 - digit) / 10)
          return Fail(ErrorCode::kInvalidInput, "the amount is too large");
        whole = whole * 10 + digit;
      }
      any_digit = true;
      last_was_digit = true;
      ++at;
      continue;
    }
    if (ch == '.' || ch == ',') {
      if (in_fraction)
        return Fail(ErrorCode::kInvalidInput, "the amount has more than one decimal mark");
      if (!last_was_digit || at + 1 >= text.size() || !IsDigit(text[at + 1]))
        return Fail(ErrorCode::kInvalidInput, "the decimal mark must stand between digits");
      in_fraction = true;
      last_was_digit = false;
      ++at;
      continue;
    }
    if (const std::size_t space = GroupSpaceAt(text, at); space > 0) {
      // A group separator: between digits of the whole part only, followed by 3 digits.
      const bool three = at + space + 3 <= text.size() && IsDigit(text[at + space]) &&
                         IsDigit(text[at + space + 1]) && IsDigit(text[at + space + 2]) &&
                         (at + space + 3 == text.size() || !IsDigit(text[at + space + 3]));
      if (in_fraction || !last_was_digit || !three)
        return Fail(ErrorCode::kInvalidInput,
                    "a space in the amount may only separate groups of 3 digits");
      last_was_digit = false;
      at += space;
      continue;
    }
    if (ch == 'e' || ch == 'E')
      return Fail(ErrorCode::kInvalidInput, "the amount must be written without an exponent");
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("the amount holds a character that is not a digit (byte {})",
                            static_cast<int>(static_cast<unsigned char>(ch))));
  }
  if (!any_digit) return Fail(ErrorCode::kInvalidInput, "the amount has no digits");
  if (fraction_digits == 1) fraction *= 10;
  const std::int64_t total = whole * 100 + fraction;
  if (total > kMaxMoneyMinor) return Fail(ErrorCode::kInvalidInput, "the amount is too large");
  return total;
}

Result<std::int64_t> MoneyFromJson(const nlohmann::json& value) {
  if (value.is_string()) return ParseMoney(value.get_ref<const std::string&>());
  if (value.is_number_unsigned() || value.is_number_integer()) {
    if (value.is_number_integer() && value.get<std::int64_t>() < 0)
      return Fail(ErrorCode::kInvalidInput, "the amount is negative");
    return ParseMoney(value.dump());
  }
  if (value.is_number_float()) {
    // nlohmann prints the shortest text that reads back to the same double: for up to 15
    // significant digits that is the decimal that was sent (trailing zeros aside).
    const std::string text = value.dump();
    std::size_t digits = 0;
    for (const char ch : text) digits += IsDigit(ch) ? 1 : 0;
    if (digits > 15 || text.find_first_of("eE") != std::string::npos)
      return Fail(ErrorCode::kInvalidInput,
                  fmt::format("the amount {} has too many digits to be read exactly", text));
    if (!text.empty() && text.front() == '-')
      return Fail(ErrorCode::kInvalidInput, "the amount is negative");
    return ParseMoney(text);
  }
  return Fail(ErrorCode::kInvalidInput, "the amount is neither a number nor a text");
}

std::string FormatMoney(std::int64_t minor) {
  const bool negative = minor < 0;
  // The magnitude as unsigned: INT64_MIN has no positive counterpart.
  const std::uint64_t magnitude =
      negative ? static_cast<std::uint64_t>(-(minor + 1)) + 1 : static_cast<std::uint64_t>(minor);
  return fmt::format("{}{}.{:02}", negative ? "-" : "", magnitude / 100, magnitude % 100);
}

bool MentionsNumber(std::string_view text, std::string_view number) {
  const auto needle = FoldedCodePoints(number);
  if (needle.empty()) return false;
  const auto hay = FoldedCodePoints(text);
  if (hay.size() < needle.size()) return false;
  const auto continues = [](char32_t mark, char32_t beyond) {
    if (mark == '.' || mark == ',') return IsDigitCode(beyond);
    if (mark == '/' || mark == '-') return IsWordCode(beyond);
    return false;
  };
  for (std::size_t start = 0; start + needle.size() <= hay.size(); ++start) {
    bool equal = true;
    for (std::size_t i = 0; i < needle.size() && equal; ++i) equal = hay[start + i] == needle[i];
    if (!equal) continue;
    if (start > 0) {
      const char32_t before = hay[start - 1];
      if (IsWordCode(before)) continue;
      if (start > 1 && continues(before, hay[start - 2])) continue;
    }
    const std::size_t end = start + needle.size();
    if (end < hay.size()) {
      const char32_t after = hay[end];
      if (IsWordCode(after)) continue;
      if (end + 1 < hay.size() && continues(after, hay[end + 1])) continue;
    }
    return true;
  }
  return false;
}

}  // namespace planfix_flow::core
