// HttpClient: the seam every API client sends through. Implementations must be
// safe to call from several threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>

#include "planfix_flow/core/result.h"
#include "planfix_flow/core/url.h"

namespace planfix_flow::http {

// Header names compare case-insensitively.
struct CaseInsensitiveLess {
  bool operator()(const std::string& a, const std::string& b) const;
};
using Headers = std::map<std::string, std::string, CaseInsensitiveLess>;

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  Headers headers;
  std::string body;
  // Zero means the client's default.
  std::chrono::milliseconds timeout{0};
  // The largest body to accept; zero means the client's default (a file download raises it).
  std::size_t max_response_bytes = 0;
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Any HTTP status is a value; only transport failures are errors:
  // kTimeout (no answer in time), kUnavailable (connection refused, reset, DNS),
  // kInvalidInput (bad URL), kPermanent (TLS verification failed, response too large).
  virtual core::Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

// Moved to core (core/url.h); the names stay for the callers here.
using core::UrlDecode;
using core::UrlEncode;

}  // namespace planfix_flow::http
