// UTF-8 text helpers shared by every module that shortens outside text for a message.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace planfix_flow::core {

// The longest prefix of `text` of at most `max_bytes` that does not cut a UTF-8 character in
// two (a cut character would make the message invalid UTF-8, which JSON refuses).
std::string_view Utf8Prefix(std::string_view text, std::size_t max_bytes);

// `text` with Latin and Cyrillic capitals made small (А-Я, Ѐ-Џ, Ґ as well as A-Z), for
// comparing answers such as "ТАК" and "так" without a locale. Other bytes are kept as they are.
std::string FoldCase(std::string_view text);

}  // namespace planfix_flow::core
