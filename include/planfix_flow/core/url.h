// URL encoding for query strings and form bodies. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace planfix_flow::core {

// Percent-encodes for a query string or form body (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view text);
// '+' is a space; a malformed escape is kept as it is.
std::string UrlDecode(std::string_view text);

}  // namespace planfix_flow::core
