#include "http/body_checks.h"

#include <fmt/format.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planfix_flow/core/utf8.h"

namespace planfix_flow::http {

using core::ErrorCode;
using core::Fail;

bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    unsigned code_point = 0;
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code_point = byte & 0x1Fu;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code_point = byte & 0x0Fu;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code_point = byte & 0x07u;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t j = 1; j < length; ++j) {
      const auto next = static_cast<unsigned char>(text[i + j]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3Fu);
    }
    const bool overlong = (length == 2 && code_point < 0x80) ||
                          (length == 3 && code_point < 0x800) ||
                          (length == 4 && code_point < 0x10000);
    if (overlong || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

bool HasNulByte(std::string_view text) { return text.find('\0') != std::string_view::npos; }

bool JsonDepthWithin(std::string_view text, std::size_t max_depth) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (const char ch : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (ch == '\\') {
        escaped = true;
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
    } else if (ch == '{' || ch == '[') {
      if (++depth > max_depth) return false;
    } else if ((ch == '}' || ch == ']') && depth > 0) {
      --depth;
    }
  }
  return true;
}

core::Result<nlohmann::json> ParseJsonBody(std::string_view body, std::size_t max_depth) {
  if (!IsValidUtf8(body)) return Fail(ErrorCode::kInvalidInput, "body is not valid UTF-8");
  if (!JsonDepthWithin(body, max_depth)) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("JSON is nested deeper than {} levels", max_depth));
  }
  if (HasNulByte(body)) return Fail(ErrorCode::kInvalidInput, "body is not valid JSON");
  // The keys seen so far in each object being parsed, innermost last.
  std::vector<std::set<std::string>> open_objects;
  std::optional<std::string> duplicate;
  const nlohmann::json::parser_callback_t track_keys =
      [&](int /*depth*/, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) {
          open_objects.emplace_back();
        } else if (event == Event::object_end) {
          if (!open_objects.empty()) open_objects.pop_back();
        } else if (event == Event::key && !open_objects.empty() && !duplicate) {
          auto key = parsed.get<std::string>();
          if (open_objects.back().count(key) > 0)
            duplicate = std::move(key);
          else
            open_objects.back().insert(std::move(key));
        }
        return true;
      };
  nlohmann::json json = nlohmann::json::parse(body, track_keys, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Fail(ErrorCode::kInvalidInput, "body is not valid JSON");
  if (duplicate) {
    // Quoted and escaped as JSON, so a key with a quote or a newline reads as one token.
    const std::string key(core::Utf8Prefix(*duplicate, 64));
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("JSON object has the key {} twice", nlohmann::json(key).dump()));
  }
  return json;
}

}  // namespace planfix_flow::http
