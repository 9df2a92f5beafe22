#include "planfix_flow/bank/monobank_client.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/log.h"
#include "planfix_flow/core/parse.h"

namespace planfix_flow::bank {

using core::ErrorCode;
using core::Fail;
using core::Result;

namespace {

// The bank's {"errorDescription": "..."} when there is one (it never holds the token).
std::string Describe(const http::HttpResponse& response) {
  const auto body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("errorDescription") &&
      body["errorDescription"].is_string()) {
    return fmt::format("HTTP {}: {}", response.status,
                       body["errorDescription"].get<std::string>().substr(0, 200));
  }
  return fmt::format("HTTP {}", response.status);
}

}  // namespace

MonobankClient::MonobankClient(http::HttpClient& http, core::Clock& clock, MonobankOptions options)
    : http_(http), clock_(clock), options_(std::move(options)) {
  while (options_.base_url.ends_with('/')) options_.base_url.pop_back();
}

Result<http::HttpResponse> MonobankClient::Call(Kind kind, const std::string& method,
                                                const std::string& path, const std::string& body) {
  const std::string_view name = kind == Kind::kClientInfo  ? "client-info"
                                : kind == Kind::kStatement ? "statement"
                                                           : "webhook";
  const bool paced = kind != Kind::kWebhook;
  {
    std::lock_guard lock(mutex_);
    const core::TimePoint now = clock_.Now();
    if (paced) {
      if (const auto it = next_allowed_.find(kind); it != next_allowed_.end() && now < it->second) {
        auto error = core::MakeError(ErrorCode::kRateLimited,
                                     fmt::format("monobank {}: one call per {} s (not sent)", name,
                                                 options_.call_interval.count()));
        error.retry_after = std::chrono::ceil<std::chrono::seconds>(it->second - now);
        return Fail(std::move(error));
      }
      next_allowed_[kind] = now + options_.call_interval;
    }
  }
  http::HttpRequest request;
  request.method = method;
  request.url = options_.base_url + path;
  request.headers["X-Token"] = options_.token;
  if (!body.empty()) request.headers["Content-Type"] = "application/json";
  request.body = body;
  request.timeout = options_.timeout;
  auto response = http_.Send(request);
  if (!response) {
    return Fail(response.error().code,
                fmt::format("monobank {}: {}", name, response.error().message));
  }
  if (response->status == 429) {
    std::chrono::seconds wait = options_.call_interval;
    if (const auto it = response->headers.find("Retry-After"); it != response->headers.end()) {
      wait = core::ParseRetryAfter(it->second).value_or(wait);
    }
    if (paced) {
      std::lock_guard lock(mutex_);
      next_allowed_[kind] = std::max(next_allowed_[kind], clock_.Now() + wait);
    }
    core::Logger("monobank")
        ->warn("event=rate_limited call={} retry_after_s={}", name, wait.count());
    auto error = core::MakeError(ErrorCode::kRateLimited,
                                 fmt::format("monobank {}: too many requests (429)", name));
    error.retry_after = wait;
    return Fail(std::move(error));
  }
  if (response->status == 401 || response->status == 403) {
    return Fail(ErrorCode::kUnauthorized,
                fmt::format("monobank {}: the bank refused the token ({}); check "
                            "PLANFIX_FLOW_MONOBANK_TOKEN",
                            name, Describe(*response)));
  }
  if (response->status >= 500) {
    return Fail(ErrorCode::kUnavailable, fmt::format("monobank {}: {}", name, Describe(*response)));
  }
  if (response->status != 200) {
    return Fail(ErrorCode::kPermanent, fmt::format("monobank {}: {}", name, Describe(*response)));
  }
  return response;
}

Result<ClientInfo> MonobankClient::GetClientInfo() {
  auto response = Call(Kind::kClientInfo, "GET", "/personal/client-info", {});
  if (!response) return Fail(response.error());
  auto info = ParseClientInfo(response->body);
  if (!info) {
    return Fail(ErrorCode::kUnavailable, "monobank client-info: " + info.error().message);
  }
  return info;
}

core::Status MonobankClient::SetWebhook(const std::string& url) {
  auto response =
      Call(Kind::kWebhook, "POST", "/personal/webhook", nlohmann::json{{"webHookUrl", url}}.dump());
  if (!response) return Fail(response.error());
  return core::Ok();
}

Result<std::vector<StatementItem>> MonobankClient::GetStatement(const std::string& account,
                                                                std::int64_t from,
                                                                std::int64_t to) {
  if (to < from || from < 0) {
    return Fail(ErrorCode::kInvalidInput, "monobank statement: to is before from");
  }
  if (to - from > kStatementMaxRange.count()) {
    return Fail(ErrorCode::kInvalidInput,
                "monobank statement: longer than 31 days and 1 hour in one call");
  }
  auto response =
      Call(Kind::kStatement, "GET",
           fmt::format("/personal/statement/{}/{}/{}", http::UrlEncode(account), from, to), {});
  if (!response) return Fail(response.error());
  auto items = ParseStatement(response->body);
  if (!items) return Fail(ErrorCode::kUnavailable, "monobank statement: " + items.error().message);
  if (items->size() > kStatementPageSize) {
    return Fail(ErrorCode::kUnavailable, "monobank statement: more than 500 items in one answer");
  }
  return items;
}

}  // namespace planfix_flow::bank
