#include "planfix_flow/http/curl_http_client.h"

#include <curl/curl.h>
#include <fmt/format.h>
#include <strings.h>

#include <cctype>
#include <string_view>

namespace planfix_flow::http {

using core::ErrorCode;
using core::Fail;
using core::Result;

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return strcasecmp(a.c_str(), b.c_str()) < 0;
}

namespace {

struct GlobalInit {
  GlobalInit() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~GlobalInit() { curl_global_cleanup(); }
};

void EnsureGlobalInit() { static GlobalInit init; }

struct Transfer {
  HttpResponse response;
  std::size_t limit = 0;
  bool too_large = false;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  if (transfer->response.body.size() + bytes > transfer->limit) {
    transfer->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  transfer->response.body.append(data, bytes);
  return bytes;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    transfer->response.headers.clear();  // a new response (after 100-continue or redirect)
    return bytes;
  }
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  auto trim = [](std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())) != 0) {
      text.remove_prefix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())) != 0) {
      text.remove_suffix(1);
    }
    return text;
  };
  transfer->response.headers[std::string(trim(line.substr(0, colon)))] =
      std::string(trim(line.substr(colon + 1)));
  return bytes;
}

// The URL without its query, so tokens in paths or parameters stay out of messages.
std::string RedactedUrl(const std::string& url) {
  std::string shown = url.substr(0, url.find('?'));
  // Telegram puts the bot token in the path: /bot<token>/method.
  if (const auto bot = shown.find("/bot"); bot != std::string::npos) {
    const auto slash = shown.find('/', bot + 4);
    shown.replace(bot + 4, (slash == std::string::npos ? shown.size() : slash) - (bot + 4), "***");
  }
  return shown;
}

}  // namespace

struct CurlHttpClient::Handle {
  CURL* curl = nullptr;
  ~Handle() {
    if (curl != nullptr) curl_easy_cleanup(curl);
  }
};

CurlHttpClient::CurlHttpClient(CurlOptions options) : options_(std::move(options)) {
  EnsureGlobalInit();
}

CurlHttpClient::~CurlHttpClient() = default;

std::unique_ptr<CurlHttpClient::Handle> CurlHttpClient::Borrow() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  auto handle = std::make_unique<Handle>();
  handle->curl = curl_easy_init();
  return handle;
}

void CurlHttpClient::Return(std::unique_ptr<Handle> handle) {
  std::lock_guard lock(mutex_);
  if (idle_.size() < 16) idle_.push_back(std::move(handle));
}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  auto handle = Borrow();
  if (handle->curl == nullptr) return Fail(ErrorCode::kInternal, "curl_easy_init failed");
  CURL* curl = handle->curl;
  curl_easy_reset(curl);  // keeps the connection cache

  Transfer transfer;
  transfer.limit =
      request.max_response_bytes > 0 ? request.max_response_bytes : options_.max_response_bytes;
  const auto timeout = request.timeout.count() > 0 ? request.timeout : options_.total_timeout;

  curl_slist* header_list = nullptr;
  for (const auto& [name, value] : request.headers) {
    header_list = curl_slist_append(header_list, fmt::format("{}: {}", name, value).c_str());
  }
  // libcurl adds "Expect: 100-continue" to large POSTs; no server we talk to needs it.
  header_list = curl_slist_append(header_list, "Expect:");

  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(transfer.limit));
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
  }

  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(header_list);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  Return(std::move(handle));

  const std::string where = fmt::format("{} {}", request.method, RedactedUrl(request.url));
  if (transfer.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return Fail(ErrorCode::kPermanent,
                fmt::format("{}: response larger than {} bytes", where, transfer.limit));
  }
  switch (code) {
    case CURLE_OK:
      break;
    case CURLE_OPERATION_TIMEDOUT:
      return Fail(ErrorCode::kTimeout, fmt::format("{}: {}", where, curl_easy_strerror(code)));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Fail(ErrorCode::kInvalidInput, fmt::format("{}: {}", where, curl_easy_strerror(code)));
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return Fail(ErrorCode::kPermanent, fmt::format("{}: {}", where, curl_easy_strerror(code)));
    default:
      return Fail(ErrorCode::kUnavailable, fmt::format("{}: {}", where, curl_easy_strerror(code)));
  }
  transfer.response.status = static_cast<int>(status);
  return std::move(transfer.response);
}

}  // namespace planfix_flow::http
