#include "planfix_flow/sandbox/fake_monobank.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "planfix_flow/core/parse.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/telegram/telegram_client.h"

namespace planfix_flow::sandbox {

using nlohmann::json;

namespace {

constexpr auto kPerTokenInterval = std::chrono::seconds(60);
constexpr std::int64_t kMaxRangeSeconds = 31 * 24 * 3600 + 3600;
constexpr std::size_t kPageSize = 500;
constexpr auto kDeliveryTimeout = std::chrono::seconds(5);
// After the first and second failed delivery; the third switches the webhook off.
constexpr std::chrono::seconds kRetryDelays[] = {std::chrono::seconds(60),
                                                 std::chrono::seconds(600)};

FakeResponse BankError(int status, const std::string& description) {
  return FakeResponse{status, json{{"errorDescription", description}}.dump()};
}

// A non-negative decimal number, the whole text.
std::optional<std::int64_t> UnixTime(const std::string& text) {
  if (text == "0") return 0;
  return core::ParseId(text);
}

json ItemJson(const FakeStatementItem& item) {
  json object = {{"id", item.id},
                 {"time", item.time},
                 {"description", item.description},
                 {"mcc", 4829},
                 {"originalMcc", 4829},
                 {"hold", false},
                 {"amount", item.amount},
                 {"operationAmount", item.amount},
                 {"currencyCode", item.currency_code},
                 {"commissionRate", 0},
                 {"cashbackAmount", 0},
                 {"balance", 1'000'000}};
  if (!item.comment.empty()) object["comment"] = item.comment;
  if (!item.counter_edrpou.empty()) object["counterEdrpou"] = item.counter_edrpou;
  if (!item.counter_iban.empty()) object["counterIban"] = item.counter_iban;
  if (!item.counter_name.empty()) object["counterName"] = item.counter_name;
  return object;
}

}  // namespace

FakeMonobank::FakeMonobank(core::Clock& clock, FakeMonobankOptions options)
    : FakeServer("monobank"), clock_(clock), options_(std::move(options)) {
  for (const auto& account : options_.accounts) booked_[account.id];
  Route("GET", "/personal/client-info",
        [this](const FakeRequest& request) { return ClientInfo(request); });
  Route("POST", "/personal/webhook",
        [this](const FakeRequest& request) { return SetWebhook(request); });
  Route("GET", R"(/personal/statement/([^/]+)/([^/]+)(?:/([^/]+))?)",
        [this](const FakeRequest& request) { return Statement(request); });
}

FakeMonobank::~FakeMonobank() { Stop(); }

std::optional<FakeResponse> FakeMonobank::CheckToken(const FakeRequest& request) const {
  const std::string token = request.Header("X-Token");
  if (token.empty()) return BankError(401, "Missing required header 'X-Token'");
  if (token != options_.token) return Refusal(BankError(403, "Unknown 'X-Token'"));
  return std::nullopt;
}

std::optional<FakeResponse> FakeMonobank::Pace(const std::string& kind) {
  std::lock_guard lock(state_mutex_);
  const core::TimePoint now = clock_.Now();
  const auto it = last_call_.find(kind);
  if (it != last_call_.end() && now < it->second + kPerTokenInterval) {
    // The bank's limit; a client that keeps to it never sees this.
    return Refusal(BankError(429, "Too many requests"));
  }
  last_call_[kind] = now;
  return std::nullopt;
}

FakeResponse FakeMonobank::ClientInfo(const FakeRequest& request) {
  if (auto refused = CheckToken(request)) return *refused;
  if (!request.body.empty()) return BankError(400, "GET takes no body");
  if (auto limited = Pace("client-info")) return *limited;
  json accounts = json::array();
  for (const auto& account : options_.accounts) {
    accounts.push_back({{"id", account.id},
                        {"sendId", ""},
                        {"balance", 1'000'000},
                        {"creditLimit", 0},
                        {"type", account.type},
                        {"currencyCode", account.currency_code},
                        {"cashbackType", "UAH"},
                        {"maskedPan", json::array()},
                        {"iban", account.iban}});
  }
  std::lock_guard lock(state_mutex_);
  return FakeResponse{200, json{{"clientId", "fakeClient1"},
                                {"name", options_.client_name},
                                {"webHookUrl", webhook_url_},
                                {"permissions", "psfj"},
                                {"accounts", accounts},
                                {"jars", json::array()}}
                               .dump()};
}

FakeResponse FakeMonobank::SetWebhook(const FakeRequest& request) {
  if (auto refused = CheckToken(request)) return *refused;
  const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || body.size() != 1 || !body.contains("webHookUrl") ||
      !body["webHookUrl"].is_string()) {
    return BankError(400, "body must be {\"webHookUrl\": \"<url>\"}");
  }
  const std::string url = body["webHookUrl"].get<std::string>();
  if (url.empty()) {
    std::lock_guard lock(state_mutex_);
    webhook_url_.clear();
    return FakeResponse{200, json{{"status", "ok"}}.dump()};
  }
  if (!telegram::IsLoopbackHttpUrl(url)) {
    return BankError(400, "the sandbox bank reaches only http:// loopback URLs");
  }
  // The bank checks the URL before it takes it: a GET that must answer exactly 200.
  http::CurlHttpClient http;
  http::HttpRequest probe;
  probe.method = "GET";
  probe.url = url;
  probe.timeout = kDeliveryTimeout;
  const auto answer = http.Send(probe);
  {
    std::lock_guard lock(state_mutex_);
    ++probes_;
  }
  if (!answer || answer->status != 200) {
    return BankError(400,
                     fmt::format("webhook check failed: the URL answered {} to GET (200 needed)",
                                 answer ? std::to_string(answer->status) : "nothing"));
  }
  std::lock_guard lock(state_mutex_);
  webhook_url_ = url;
  return FakeResponse{200, json{{"status", "ok"}}.dump()};
}

FakeResponse FakeMonobank::Statement(const FakeRequest& request) {
  if (auto refused = CheckToken(request)) return *refused;
  const std::string& account_id = request.captures.at(0);
  const auto from = UnixTime(request.captures.at(1));
  const std::string to_text = request.captures.size() > 2 ? request.captures[2] : std::string();
  const std::int64_t now = core::ToUnixSeconds(clock_.Now());
  const auto to = to_text.empty() ? std::optional<std::int64_t>(now) : UnixTime(to_text);
  if (!from || !to) return BankError(400, "from and to must be Unix times in seconds");
  if (*to < *from) return BankError(400, "to is before from");
  if (*to - *from > kMaxRangeSeconds) return BankError(400, "Period must be no more than 31 days");
  {
    std::lock_guard lock(state_mutex_);
    const std::string id = account_id == "0" ? options_.accounts.at(0).id : account_id;
    if (booked_.count(id) == 0) return BankError(400, "Account not found");
  }
  if (auto limited = Pace("statement")) return *limited;
  std::lock_guard lock(state_mutex_);
  const std::string id = account_id == "0" ? options_.accounts.at(0).id : account_id;
  std::vector<FakeStatementItem> items;
  for (const auto& item : booked_.at(id)) {
    if (item.time >= *from && item.time <= *to) items.push_back(item);
  }
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.time > b.time; });
  if (items.size() > kPageSize) items.resize(kPageSize);
  json page = json::array();
  for (const auto& item : items) page.push_back(ItemJson(item));
  return FakeResponse{200, page.dump()};
}

void FakeMonobank::Book(const std::string& account, FakeStatementItem item) {
  std::lock_guard lock(state_mutex_);
  const auto it = booked_.find(account);
  if (it == booked_.end()) throw std::invalid_argument("FakeMonobank::Book: unknown account");
  for (const auto& [other, items] : booked_) {
    for (const auto& booked : items) {
      if (booked.id == item.id) throw std::invalid_argument("FakeMonobank::Book: repeated id");
    }
  }
  if (!webhook_url_.empty()) events_.push_back(Event{account, item.id, 0, clock_.Now()});
  it->second.push_back(std::move(item));
}

void FakeMonobank::QueueEventAgain(const std::string& item_id) {
  std::lock_guard lock(state_mutex_);
  for (const auto& [account, items] : booked_) {
    for (const auto& item : items) {
      if (item.id == item_id) {
        events_.push_back(Event{account, item_id, 0, clock_.Now()});
        return;
      }
    }
  }
  throw std::invalid_argument("FakeMonobank::QueueEventAgain: no such item");
}

std::string FakeMonobank::EventBody(const Event& event) const {
  for (const auto& item : booked_.at(event.account)) {
    if (item.id == event.item_id) {
      return json{{"type", "StatementItem"},
                  {"data", {{"account", event.account}, {"statementItem", ItemJson(item)}}}}
          .dump();
    }
  }
  throw std::logic_error("FakeMonobank: an event of no booked item");
}

std::size_t FakeMonobank::DeliverPending() {
  http::CurlHttpClient http;
  std::size_t delivered = 0;
  std::deque<Event> later;
  for (;;) {
    http::HttpRequest request;
    Event event;
    {
      std::lock_guard lock(state_mutex_);
      if (events_.empty() || webhook_url_.empty()) break;
      if (!telegram::IsLoopbackHttpUrl(webhook_url_)) {
        throw std::logic_error("FakeMonobank: the fake reaches only http:// loopback");
      }
      event = events_.front();
      events_.pop_front();
      if (clock_.Now() < event.due) {
        later.push_back(std::move(event));
        continue;
      }
      request.method = "POST";
      request.url = webhook_url_;
      request.headers["Content-Type"] = "application/json";
      request.body = EventBody(event);
      request.timeout = kDeliveryTimeout;
    }
    const auto answer = http.Send(request);  // not under the lock
    std::lock_guard lock(state_mutex_);
    if (answer && answer->status == 200) {
      ++delivered;
      continue;
    }
    ++failed_deliveries_;
    ++event.failures;
    if (event.failures > static_cast<int>(std::size(kRetryDelays))) {
      // The third failure: the bank switches the webhook off; events wait for nobody.
      webhook_url_.clear();
      events_.clear();
      later.clear();
      break;
    }
    event.due = clock_.Now() + kRetryDelays[event.failures - 1];
    later.push_back(std::move(event));
  }
  std::lock_guard lock(state_mutex_);
  for (auto& event : later) events_.push_back(std::move(event));
  return delivered;
}

std::string FakeMonobank::webhook_url() const {
  std::lock_guard lock(state_mutex_);
  return webhook_url_;
}

void FakeMonobank::SetWebhookUrlDirectly(std::string url) {
  std::lock_guard lock(state_mutex_);
  webhook_url_ = std::move(url);
}

std::size_t FakeMonobank::pending_events() const {
  std::lock_guard lock(state_mutex_);
  return events_.size();
}

int FakeMonobank::failed_deliveries() const {
  std::lock_guard lock(state_mutex_);
  return failed_deliveries_;
}

int FakeMonobank::probes() const {
  std::lock_guard lock(state_mutex_);
  return probes_;
}

}  // namespace planfix_flow::sandbox
