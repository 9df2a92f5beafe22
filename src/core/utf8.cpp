#include "planfix_flow/core/utf8.h"

namespace planfix_flow::core {

std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t cut = max_bytes;
  // Back off continuation bytes (10xxxxxx) to the start of the character at the cut.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut);
}

std::string FoldCase(std::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte >= 'A' && byte <= 'Z') {
      folded.push_back(static_cast<char>(byte - 'A' + 'a'));
      continue;
    }
    // Cyrillic capitals are two-byte sequences: D0 80..AF (U+0400..U+042F) and D2 90 (Ґ).
    if (i + 1 < text.size() && (byte == 0xD0 || byte == 0xD2)) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      const unsigned code = ((byte & 0x1Fu) << 6) | (next & 0x3Fu);
      unsigned lower = code;
      if (code >= 0x410 && code <= 0x42F) {
        lower = code + 0x20;  // А..Я -> а..я
      } else if (code >= 0x400 && code <= 0x40F) {
        lower = code + 0x50;  // Ѐ..Џ (Є, І, Ї, Ў among them) -> ѐ..џ
      } else if (code == 0x490) {
        lower = 0x491;  // Ґ -> ґ
      }
      if (lower != code && (next & 0xC0) == 0x80) {
        folded.push_back(static_cast<char>(0xC0 | (lower >> 6)));
        folded.push_back(static_cast<char>(0x80 | (lower & 0x3F)));
        ++i;
        continue;
      }
    }
    folded.push_back(static_cast<char>(byte));
  }
  return folded;
}

}  // namespace planfix_flow::core
