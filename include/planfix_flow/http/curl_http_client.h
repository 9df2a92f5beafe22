// CurlHttpClient: HttpClient over libcurl. Thread-safe; reuses connections through a
// small pool of easy handles, so keep-alive works across calls from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "planfix_flow/http/http_client.h"

namespace planfix_flow::http {

struct CurlOptions {
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds total_timeout{30000};
  std::size_t max_response_bytes = std::size_t{8} * 1024 * 1024;
  // TLS peer and host verification; on unless a test turns it off for loopback.
  bool verify_tls = true;
  std::string user_agent = "planfix-flow/0.1";
};

class CurlHttpClient final : public HttpClient {
 public:
  explicit CurlHttpClient(CurlOptions options = {});
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  core::Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  struct Handle;
  std::unique_ptr<Handle> Borrow();
  void Return(std::unique_ptr<Handle> handle);

  CurlOptions options_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Handle>> idle_;
};

}  // namespace planfix_flow::http
