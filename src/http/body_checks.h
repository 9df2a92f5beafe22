// Checks shared by the webhook parsers, run before a body reaches a JSON parser. Pure.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string_view>

#include "planfix_flow/core/result.h"

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

// The one way a webhook body becomes JSON: well-formed UTF-8, nested no deeper than
// `max_depth`, no NUL byte, valid JSON, and no object with the same key twice. A duplicate key
// is refused rather than resolved ("last one wins" would act on a value another reader of the
// same body may not see); none of the senders this service talks to writes one. Every failure
// is kInvalidInput with a reason fit for the 400's detail.
core::Result<nlohmann::json> ParseJsonBody(std::string_view body, std::size_t max_depth);

}  // namespace planfix_flow::http
