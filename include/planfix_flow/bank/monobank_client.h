// MonobankClient: monobank's personal API (client-info, the webhook URL, statements) over the
// project's HttpClient. The token goes in X-Token and never into a log or an error message.
// The bank allows one client-info and one statement call per 60 s: a call that would come
// sooner is not sent but answered kRateLimited with retry_after (never a sleep, so a loop
// using the client stops at once); a 429 from the bank is kRateLimited too and holds that kind
// of call back for Retry-After (60 s without one). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "planfix_flow/bank/statement.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/http/http_client.h"

namespace planfix_flow::bank {

// The bank's limits on one statement call.
inline constexpr std::size_t kStatementPageSize = 500;
inline constexpr std::chrono::seconds kStatementMaxRange = std::chrono::hours(24 * 31 + 1);
inline constexpr std::chrono::seconds kCallInterval{60};

struct MonobankOptions {
  std::string base_url = "https://api.monobank.ua";
  std::string token;  // X-Token
  std::chrono::seconds timeout{20};
  // Between two calls of one kind (client-info, statement).
  std::chrono::seconds call_interval = kCallInterval;
};

class MonobankClient {
 public:
  MonobankClient(http::HttpClient& http, core::Clock& clock, MonobankOptions options);

  core::Result<ClientInfo> GetClientInfo();
  // POST /personal/webhook: the bank probes `url` with a GET first; an empty URL removes it.
  core::Status SetWebhook(const std::string& url);
  // One page: items of `account` with from <= time <= to, newest first, at most 500. Refuses
  // (kInvalidInput, nothing sent) a range longer than kStatementMaxRange or to < from.
  core::Result<std::vector<StatementItem>> GetStatement(const std::string& account,
                                                        std::int64_t from, std::int64_t to);

 private:
  enum class Kind { kClientInfo, kStatement, kWebhook };
  // The answer of one call, or the error (kRateLimited before sending when its kind is held).
  core::Result<http::HttpResponse> Call(Kind kind, const std::string& method,
                                        const std::string& path, const std::string& body);

  http::HttpClient& http_;
  core::Clock& clock_;
  MonobankOptions options_;
  std::mutex mutex_;
  std::map<Kind, core::TimePoint> next_allowed_;  // guarded by mutex_
};

}  // namespace planfix_flow::bank
