// URL encoding for query strings and form bodies. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace planfix_flow::core {

// Percent-encodes for a query string or form body (RFC 3986 unreserved kept).
std::string UrlEncode(std::string_view text);
// '+' is a space; a malformed escape is kept as it is.
std::string UrlDecode(std::string_view text);

// Whether a host (of a URL, or a listen address) is this machine: "localhost", "::1" (also in
// brackets) or 127.0.0.0/8 written as four decimal numbers. Letters compare case-blind.
bool IsLoopbackHost(std::string_view host);

}  // namespace planfix_flow::core
