// Checks shared by the webhook parsers, run before a body reaches a JSON parser. Pure.
#pragma once

#include <cstddef>
#include <string_view>

namespace planfix_flow::http {

// Well-formed UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// True if `text` holds a NUL byte. JSON text never does (control characters in strings are
// escaped), and nlohmann's parser takes one for the end of the input, accepting a document
// followed by "\0" and anything at all; the webhook parsers refuse such bodies first.
bool HasNulByte(std::string_view text);

// True if JSON text nests objects/arrays no deeper than `max_depth` (a flat object is 1).
// Brackets inside strings do not count; the text need not be valid JSON.
bool JsonDepthWithin(std::string_view text, std::size_t max_depth);

}  // namespace planfix_flow::http
