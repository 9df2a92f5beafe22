#include "planfix_flow/http/ingress_server.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "http/admin_page_routes.h"
#include "http/httplib_tsan.h"
#include "http/parking_server.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/http/client_address.h"
#include "planfix_flow/http/google_form_webhook.h"
#include "planfix_flow/http/monobank_webhook.h"
#include "planfix_flow/http/planfix_webhook.h"
#include "planfix_flow/http/standard_webhooks.h"
#include "planfix_flow/http/telegram_webhook.h"

namespace planfix_flow::http {

using core::ErrorCode;
using storage::EventSource;

namespace {

constexpr char kJson[] = "application/json";
// A request line and headers may take this much beyond the body limit.
constexpr std::size_t kMaxRequestHeadBytes = 64 * 1024;

enum class Outcome {
  kStored,
  kDuplicate,
  kUnauthorized,
  kTooLarge,
  kBadContentType,
  kMalformed,
  kError,
  kIgnored,  // answered 200 and not stored (a bank item of another account, money out)
};
constexpr std::array kOutcomes = {
    Outcome::kStored,         Outcome::kDuplicate, Outcome::kUnauthorized, Outcome::kTooLarge,
    Outcome::kBadContentType, Outcome::kMalformed, Outcome::kError,        Outcome::kIgnored};
constexpr std::array kSources = {EventSource::kPlanfix, EventSource::kGoogle,
                                 EventSource::kTelegram, EventSource::kBank};

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kStored:
      return "stored";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kUnauthorized:
      return "unauthorized";
    case Outcome::kTooLarge:
      return "too_large";
    case Outcome::kBadContentType:
      return "bad_content_type";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kError:
      return "error";
    case Outcome::kIgnored:
      return "ignored";
  }
  return "error";
}

// The "error" member of a JSON error body for each status this server answers with.
std::string_view ErrorNameFor(int status) {
  switch (status) {
    case 400:
      return "malformed";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "request_timeout";
    case 409:
      return "conflict";
    case 413:
      return "too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "bad_content_type";
    case 422:
      return "unprocessable";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    case 504:
      return "timeout";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

void WriteJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

nlohmann::json ErrorBody(int status, std::string_view detail) {
  return nlohmann::json{{"error", std::string(ErrorNameFor(status))},
                        {"detail", std::string(detail)}};
}

void WriteError(httplib::Response& res, int status, std::string_view detail) {
  WriteJson(res, status, ErrorBody(status, detail));
}

TrustedProxies ParseTrustedProxies(const std::vector<std::string>& texts) {
  std::vector<IpRange> ranges;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    auto range = ParseIpRange(texts[i]);
    if (!range) {
      throw std::invalid_argument(fmt::format("trusted_proxies[{}]: {}", i, range.error().message));
    }
    ranges.push_back(*range);
  }
  return TrustedProxies(std::move(ranges));
}

ConnectionLimits LimitsFor(const ServerOptions& options, const TrustedProxies& trusted,
                           core::Metrics& metrics) {
  ConnectionLimits limits;
  limits.server = options;
  limits.trusted_proxies = trusted;
  limits.max_request_bytes = options.body_limit_bytes + kMaxRequestHeadBytes;
  limits.timeout_body =
      ErrorBody(408, fmt::format("the request did not arrive in time ({} s at most between "
                                 "bytes, {} s in all)",
                                 options.read_timeout.count(), options.request_deadline.count()))
          .dump();
  limits.too_large_body =
      ErrorBody(413, fmt::format("the request is larger than {} bytes", limits.max_request_bytes))
          .dump();
  limits.overload_body = ErrorBody(503, fmt::format("more than {} open connections; retry later",
                                                    options.max_connections))
                             .dump();
  limits.per_address_body =
      ErrorBody(429, fmt::format("more than {} connections open from your address; close some "
                                 "or retry later",
                                 options.max_connections_per_address))
          .dump();
  limits.open_connections = &metrics.GetGauge("planfix_flow_http_open_connections",
                                              "HTTP connections open now, idle ones included.");
  limits.timed_out =
      &metrics.GetCounter("planfix_flow_http_requests_timed_out_total",
                          "Requests answered 408 because they did not arrive within the deadline.");
  limits.refused =
      &metrics.GetCounter("planfix_flow_http_connections_refused_total",
                          "Connections answered 503 and closed because max_connections were open.");
  limits.refused_per_address =
      &metrics.GetCounter("planfix_flow_http_connections_refused_per_address_total",
                          "Connections answered 429 and closed because their client address had "
                          "max_connections_per_address open.");
  return limits;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return out;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The media type of a Content-Type header, lowercased, and whether its parameters are
// acceptable (none, or charset=utf-8).
struct MediaType {
  std::string type;
  bool utf8_or_unspecified = true;
};

MediaType ParseMediaType(std::string_view header) {
  MediaType media;
  const std::size_t semicolon = header.find(';');
  media.type = Lowercase(Trim(header.substr(0, semicolon)));
  std::string_view params =
      semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
  while (!params.empty()) {
    const std::size_t next = params.find(';');
    const std::string param = Lowercase(Trim(params.substr(0, next)));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    if (param.rfind("charset=", 0) == 0) {
      std::string value = param.substr(8);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (value != "utf-8" && value != "utf8") media.utf8_or_unspecified = false;
    }
  }
  return media;
}

// Parses a decimal id from a path capture; 0 when it is out of range.
std::int64_t ParseId(const std::string& text) {
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) return 0;
  return id;
}

enum class BodyState { kRead, kTooLarge, kUnreadable };

struct Body {
  BodyState state = BodyState::kRead;
  std::string text;
};

// A failure answer before the event reaches the inbox.
struct Rejection {
  int status;
  Outcome outcome;
  std::string detail;
};

struct KnownPath {
  std::regex pattern;
  std::string allow;
  bool admin;
};

}  // namespace

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPermanent:
      return 422;
    case ErrorCode::kRateLimited:
    case ErrorCode::kQuotaExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kTimeout:
      return 504;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

struct IngressServer::Impl {
  Impl(ServerOptions options_in, storage::Inbox& inbox_in, core::Metrics& metrics_in,
       core::Clock& clock_in, Secrets secrets_in, IngressHooks hooks_in)
      : options(std::move(options_in)),
        inbox(inbox_in),
        metrics(metrics_in),
        clock(clock_in),
        secrets(std::move(secrets_in)),
        hooks(std::move(hooks_in)),
        dedupe(options.planfix_dedupe_window),
        log(core::Logger("ingress")),
        trusted(ParseTrustedProxies(options.trusted_proxies)),
        server(LimitsFor(options, trusted, metrics)) {}

  void Validate();
  void RegisterMetrics();
  void RegisterRoutes();

  Body ReadBody(const httplib::Request& req, const httplib::ContentReader& reader) const;
  std::optional<Rejection> CheckBody(const Body& body) const;
  std::string Remote(const httplib::Request& req) const;
  bool PlanfixAuthorized(const httplib::Request& req) const;
  bool AdminAuthorized(const httplib::Request& req, httplib::Response& res) const;

  void HandlePlanfix(const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader);
  void HandleGoogle(const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader);
  void HandleTelegram(const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader);
  bool MonobankTokenMatches(const httplib::Request& req, httplib::Response& res);
  void HandleMonobankProbe(const httplib::Request& req, httplib::Response& res);
  void HandleMonobank(const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader);
  void IgnoreBankItem(const httplib::Request& req, httplib::Response& res, const char* reason);
  void Reject(EventSource source, const httplib::Request& req, httplib::Response& res,
              const Rejection& rejection, bool body_consumed);
  void Append(const httplib::Request& req, storage::NewEvent event, httplib::Response& res);
  void Count(EventSource source, Outcome outcome);

  void HandleJobList(const httplib::Request& req, httplib::Response& res);
  void HandleJobShow(const httplib::Request& req, httplib::Response& res);
  void HandleJobReplay(const httplib::Request& req, httplib::Response& res);
  void AnswerAdmin(const core::Result<std::string>& result, httplib::Response& res);

  httplib::Server::HandlerResponse HandleError(const httplib::Request& req, httplib::Response& res);

  template <typename Handler>
  auto Timed(const std::string& route, Handler handler);

  ServerOptions options;
  storage::Inbox& inbox;
  core::Metrics& metrics;
  core::Clock& clock;
  Secrets secrets;
  IngressHooks hooks;
  std::string google_key;
  PlanfixDedupe dedupe;
  std::shared_ptr<spdlog::logger> log;
  TrustedProxies trusted;

  // received[source][outcome]
  std::array<std::array<core::Counter*, kOutcomes.size()>, kSources.size()> received{};
  std::vector<KnownPath> known_paths;
  std::unique_ptr<AdminPage> admin_page;

  ParkingServer server;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  bool started = false;
  bool stopped = false;
  int port = 0;
};

void IngressServer::Impl::Validate() {
  if (options.body_limit_bytes == 0) {
    throw std::invalid_argument("body_limit_bytes must be > 0");
  }
  if (options.threads == 0) throw std::invalid_argument("threads must be > 0");
  if (options.max_queued_connections == 0) {
    throw std::invalid_argument("max_queued_connections must be > 0");
  }
  if (options.keep_alive_max_count == 0) {
    throw std::invalid_argument("keep_alive_max_count must be > 0");
  }
  if (options.max_connections == 0) throw std::invalid_argument("max_connections must be > 0");
  if (options.max_connections_per_address == 0) {
    throw std::invalid_argument("max_connections_per_address must be > 0");
  }
  if (options.read_timeout.count() <= 0 || options.request_deadline.count() <= 0) {
    throw std::invalid_argument("read_timeout and request_deadline must be > 0");
  }
  if (!secrets.google_webhook_secret.empty()) {
    auto key = StandardWebhookKey(secrets.google_webhook_secret);
    if (!key) throw std::invalid_argument("google webhook secret: " + key.error().message);
    google_key = std::move(*key);
  }
  const std::string& telegram = secrets.telegram_webhook_secret;
  const bool telegram_ok =
      telegram.size() <= 256 && std::all_of(telegram.begin(), telegram.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '-';
      });
  if (!telegram_ok) {
    throw std::invalid_argument(
        "telegram webhook secret must be 1-256 characters of A-Za-z0-9_- (Telegram's rule)");
  }
}

void IngressServer::Impl::RegisterMetrics() {
  for (std::size_t s = 0; s < kSources.size(); ++s) {
    for (std::size_t o = 0; o < kOutcomes.size(); ++o) {
      received[s][o] = &metrics.GetCounter("planfix_flow_events_received_total",
                                           "Webhook deliveries received, by source and outcome.",
                                           {{"source", std::string(storage::ToString(kSources[s]))},
                                            {"outcome", std::string(OutcomeName(kOutcomes[o]))}});
    }
  }
}

void IngressServer::Impl::Count(EventSource source, Outcome outcome) {
  const auto s = static_cast<std::size_t>(std::find(kSources.begin(), kSources.end(), source) -
                                          kSources.begin());
  const auto o = static_cast<std::size_t>(std::find(kOutcomes.begin(), kOutcomes.end(), outcome) -
                                          kOutcomes.begin());
  if (s < kSources.size() && o < kOutcomes.size()) received[s][o]->Increment();
}

template <typename Handler>
auto IngressServer::Impl::Timed(const std::string& route, Handler handler) {
  core::Histogram& histogram = metrics.GetHistogram(
      "planfix_flow_http_request_duration_seconds",
      "Time from a request's headers to its answer, by route.", {{"route", route}});
  return [&histogram, handler = std::move(handler)](auto&&... args) {
    const auto start = std::chrono::steady_clock::now();
    handler(std::forward<decltype(args)>(args)...);
    histogram.Observe(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  };
}

Body IngressServer::Impl::ReadBody(const httplib::Request& req,
                                   const httplib::ContentReader& reader) const {
  Body body;
  const std::size_t limit = options.body_limit_bytes;
  if (req.has_header("Content-Length")) {
    const std::string length_text = req.get_header_value("Content-Length");
    std::uint64_t length = 0;
    const auto [end, error] =
        std::from_chars(length_text.data(), length_text.data() + length_text.size(), length);
    if (error == std::errc::result_out_of_range ||
        (error == std::errc() && end == length_text.data() + length_text.size() &&
         length > limit)) {
      body.state = BodyState::kTooLarge;  // refuse without reading a byte of it
      return body;
    }
  }
  bool too_large = false;
  const bool complete = reader([&](const char* data, std::size_t size) {
    if (body.text.size() + size > limit) {
      too_large = true;
      return false;
    }
    body.text.append(data, size);
    return true;
  });
  if (too_large) {
    body.state = BodyState::kTooLarge;
  } else if (!complete) {
    body.state = BodyState::kUnreadable;
  }
  return body;
}

std::optional<Rejection> IngressServer::Impl::CheckBody(const Body& body) const {
  if (body.state == BodyState::kTooLarge) {
    return Rejection{413, Outcome::kTooLarge,
                     fmt::format("the body is larger than {} bytes", options.body_limit_bytes)};
  }
  if (body.state == BodyState::kUnreadable) {
    return Rejection{400, Outcome::kMalformed, "the body could not be read"};
  }
  return std::nullopt;
}

// The client for log lines: the peer, or (through a trusted proxy) the client its
// X-Forwarded-For names, followed by " via=<proxy>".
std::string IngressServer::Impl::Remote(const httplib::Request& req) const {
  std::string forwarded;
  const std::size_t headers = req.get_header_value_count("X-Forwarded-For");
  for (std::size_t i = 0; i < headers; ++i) {
    if (i > 0) forwarded += ',';
    forwarded += req.get_header_value("X-Forwarded-For", i);
  }
  const ClientOrigin origin = OriginOf(req.remote_addr, forwarded, trusted);
  if (!origin.via_proxy) return origin.client;
  return fmt::format("{} via={}", origin.client, req.remote_addr);
}

bool IngressServer::Impl::PlanfixAuthorized(const httplib::Request& req) const {
  const std::string header = req.get_header_value("Authorization");
  const std::size_t space = header.find(' ');
  if (space == std::string::npos) return false;
  const std::string scheme = Lowercase(header.substr(0, space));
  const std::string_view credentials = Trim(std::string_view(header).substr(space + 1));
  const std::string& secret = secrets.planfix_webhook_secret;
  if (scheme == "bearer") return ConstantTimeEquals(credentials, secret);
  if (scheme != "basic") return false;
  const auto decoded = Base64Decode(credentials);
  if (!decoded) return false;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  // Either the password is the secret (any user name), or "user:password" as a whole is.
  const bool password_matches =
      ConstantTimeEquals(std::string_view(*decoded).substr(colon + 1), secret);
  const bool pair_matches = ConstantTimeEquals(*decoded, secret);
  return password_matches || pair_matches;
}

void IngressServer::Impl::Reject(EventSource source, const httplib::Request& req,
                                 httplib::Response& res, const Rejection& rejection,
                                 bool body_consumed) {
  Count(source, rejection.outcome);
  WriteError(res, rejection.status, rejection.detail);
  if (rejection.status == 401) {
    if (source == EventSource::kPlanfix) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"planfix-flow\"");
    }
    log->warn("source={} outcome={} remote={} reason=\"{}\"", storage::ToString(source),
              OutcomeName(rejection.outcome), Remote(req), rejection.detail);
  } else {
    log->info("source={} outcome={} status={} remote={} detail=\"{}\"", storage::ToString(source),
              OutcomeName(rejection.outcome), rejection.status, Remote(req), rejection.detail);
  }
  // The rest of an unread body would be taken for the next request on this connection.
  if (!body_consumed) res.set_header("Connection", "close");
}

void IngressServer::Impl::Append(const httplib::Request& req, storage::NewEvent event,
                                 httplib::Response& res) {
  const EventSource source = event.source;
  const auto result = inbox.AppendEvent(event);
  if (!result) {
    Count(source, Outcome::kError);
    log->error("source={} outcome=error kind={} remote={} error=\"{}\"", storage::ToString(source),
               event.kind, Remote(req), result.error().ToString());
    res.set_header("Retry-After", "5");
    WriteError(res, 503, "the event could not be stored; retry later");
    return;
  }
  const bool stored = result->outcome == storage::AppendOutcome::kStored;
  Count(source, stored ? Outcome::kStored : Outcome::kDuplicate);
  if (stored) {
    log->info("source={} outcome=stored kind={} event_id={} remote={}", storage::ToString(source),
              event.kind, result->event_id, Remote(req));
    if (hooks.on_event_stored) hooks.on_event_stored(result->event_id);
  } else {
    log->debug("source={} outcome=duplicate kind={} event_id={} remote={}",
               storage::ToString(source), event.kind, result->event_id, Remote(req));
  }
  WriteJson(
      res, 200,
      nlohmann::json{{"status", stored ? "stored" : "duplicate"}, {"event_id", result->event_id}});
}

void IngressServer::Impl::HandlePlanfix(const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
  const EventSource source = EventSource::kPlanfix;
  if (secrets.planfix_webhook_secret.empty()) {
    res.set_header("Connection", "close");
    return WriteError(res, 404, "the Planfix webhook is not configured");
  }
  if (!PlanfixAuthorized(req)) {
    const std::string detail = req.has_header("Authorization")
                                   ? "wrong credentials"
                                   : "missing Authorization (Bearer or Basic)";
    return Reject(source, req, res, {401, Outcome::kUnauthorized, detail}, false);
  }
  const MediaType media = ParseMediaType(req.get_header_value("Content-Type"));
  PlanfixBodyFormat format = PlanfixBodyFormat::kJson;
  if (media.type == "application/x-www-form-urlencoded") {
    format = PlanfixBodyFormat::kForm;
  } else if (media.type != "application/json") {
    return Reject(source, req, res,
                  {415, Outcome::kBadContentType,
                   "Content-Type must be application/json or application/x-www-form-urlencoded"},
                  false);
  }
  if (!media.utf8_or_unspecified) {
    return Reject(source, req, res,
                  {415, Outcome::kBadContentType, "only the UTF-8 charset is accepted"}, false);
  }
  const Body body = ReadBody(req, reader);
  if (auto rejection = CheckBody(body)) {
    return Reject(source, req, res, *rejection, body.state == BodyState::kRead);
  }
  auto webhook = ParsePlanfixWebhook(body.text, format);
  if (!webhook) {
    return Reject(source, req, res, {400, Outcome::kMalformed, webhook.error().message}, true);
  }
  const core::TimePoint now = clock.Now();
  storage::NewEvent event;
  event.source = source;
  event.dedupe_key = dedupe.KeyFor(*webhook, now);
  event.kind = webhook->event;
  event.payload = webhook->ToPayloadJson();
  event.received_at = now;
  Append(req, std::move(event), res);
}

void IngressServer::Impl::HandleGoogle(const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& reader) {
  const EventSource source = EventSource::kGoogle;
  if (google_key.empty()) {
    res.set_header("Connection", "close");
    return WriteError(res, 404, "the Google Forms webhook is not configured");
  }
  const MediaType media = ParseMediaType(req.get_header_value("Content-Type"));
  if (media.type != "application/json" || !media.utf8_or_unspecified) {
    return Reject(source, req, res,
                  {415, Outcome::kBadContentType, "Content-Type must be application/json"}, false);
  }
  const Body body = ReadBody(req, reader);
  if (auto rejection = CheckBody(body)) {
    return Reject(source, req, res, *rejection, body.state == BodyState::kRead);
  }
  StandardWebhookHeaders headers;
  headers.id = req.get_header_value("webhook-id");
  headers.timestamp = req.get_header_value("webhook-timestamp");
  headers.signature = req.get_header_value("webhook-signature");
  const core::TimePoint now = clock.Now();
  if (auto verified = VerifyStandardWebhook(google_key, headers, body.text, now,
                                            options.google_timestamp_tolerance);
      !verified) {
    return Reject(source, req, res, {401, Outcome::kUnauthorized, verified.error().message}, true);
  }
  auto submission = ParseGoogleFormSubmission(body.text);
  if (!submission) {
    return Reject(source, req, res, {400, Outcome::kMalformed, submission.error().message}, true);
  }
  storage::NewEvent event;
  event.source = source;
  event.dedupe_key = headers.id;
  event.kind = "form.submitted";
  event.payload = submission->ToPayloadJson();
  event.received_at = now;
  Append(req, std::move(event), res);
}

void IngressServer::Impl::HandleTelegram(const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
  const EventSource source = EventSource::kTelegram;
  if (secrets.telegram_webhook_secret.empty()) {
    res.set_header("Connection", "close");
    return WriteError(res, 404, "the Telegram webhook is not configured");
  }
  if (!req.has_header("X-Telegram-Bot-Api-Secret-Token")) {
    return Reject(source, req, res,
                  {401, Outcome::kUnauthorized, "missing X-Telegram-Bot-Api-Secret-Token"}, false);
  }
  if (!ConstantTimeEquals(req.get_header_value("X-Telegram-Bot-Api-Secret-Token"),
                          secrets.telegram_webhook_secret)) {
    return Reject(source, req, res,
                  {401, Outcome::kUnauthorized, "wrong X-Telegram-Bot-Api-Secret-Token"}, false);
  }
  const MediaType media = ParseMediaType(req.get_header_value("Content-Type"));
  if (media.type != "application/json" || !media.utf8_or_unspecified) {
    return Reject(source, req, res,
                  {415, Outcome::kBadContentType, "Content-Type must be application/json"}, false);
  }
  const Body body = ReadBody(req, reader);
  if (auto rejection = CheckBody(body)) {
    return Reject(source, req, res, *rejection, body.state == BodyState::kRead);
  }
  auto update = ParseTelegramWebhook(body.text);
  if (!update) {
    return Reject(source, req, res, {400, Outcome::kMalformed, update.error().message}, true);
  }
  storage::NewEvent event;
  event.source = source;
  event.dedupe_key = std::to_string(update->update_id);
  event.kind = "telegram.update";
  event.payload = body.text;
  event.received_at = clock.Now();
  Append(req, std::move(event), res);
}

// The path token is the endpoint's only credential (the bank does not sign its events). A
// wrong one gets the answer of an unknown path, so a guess learns nothing; nor does the log
// show the path.
bool IngressServer::Impl::MonobankTokenMatches(const httplib::Request& req,
                                               httplib::Response& res) {
  const std::string& token = secrets.monobank_webhook_token;
  if (!token.empty() && ConstantTimeEquals(req.matches[1].str(), token)) return true;
  Count(EventSource::kBank, Outcome::kUnauthorized);
  log->warn(
      "source=bank outcome=unauthorized method={} remote={} reason=\"wrong or unset path "
      "token\"",
      req.method, Remote(req));
  res.set_header("Connection", "close");
  WriteError(res, 404, "no such endpoint");
  return false;
}

// The bank checks the URL with a GET before it takes it, and needs exactly 200.
void IngressServer::Impl::HandleMonobankProbe(const httplib::Request& req, httplib::Response& res) {
  if (!MonobankTokenMatches(req, res)) return;
  WriteJson(res, 200, nlohmann::json{{"status", "ok"}});
}

void IngressServer::Impl::IgnoreBankItem(const httplib::Request& req, httplib::Response& res,
                                         const char* reason) {
  Count(EventSource::kBank, Outcome::kIgnored);
  metrics
      .GetCounter("planfix_flow_bank_items_ignored_total",
                  "Bank webhook events answered 200 and not stored, by reason.",
                  {{"reason", reason}})
      .Increment();
  log->info("source=bank outcome=ignored reason={} remote={}", reason, Remote(req));
  WriteJson(res, 200, nlohmann::json{{"status", "ignored"}, {"reason", reason}});
}

// Every answer but a refused body is 200: the bank switches the webhook off after three
// non-200 answers, and it sends the items of every account of the token, money out included.
void IngressServer::Impl::HandleMonobank(const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
  const EventSource source = EventSource::kBank;
  if (!MonobankTokenMatches(req, res)) return;
  const Body body = ReadBody(req, reader);
  if (auto rejection = CheckBody(body)) {
    return Reject(source, req, res, *rejection, body.state == BodyState::kRead);
  }
  auto event = ParseMonobankWebhook(body.text);
  if (!event) {
    return Reject(source, req, res, {400, Outcome::kMalformed, event.error().message}, true);
  }
  if (!event->item) return IgnoreBankItem(req, res, "other_type");
  const auto& accounts = options.monobank_accounts;
  if (std::find(accounts.begin(), accounts.end(), event->account) == accounts.end()) {
    return IgnoreBankItem(req, res, "unknown_account");
  }
  const bank::StatementItem& item = *event->item;
  if (item.amount <= 0) return IgnoreBankItem(req, res, "money_out");
  if (item.amount > bank::kAbsurdAmountMinor || item.currency_code != bank::kCurrencyUah) {
    log->warn("source=bank event=unusual_item item={} amount={} currency={} action=stored", item.id,
              item.amount, item.currency_code);
  }
  storage::NewEvent stored;
  stored.source = source;
  stored.dedupe_key = bank::DedupeKey(item.id);
  stored.kind = bank::kEventStatementItem;
  stored.payload = bank::InboxPayload(event->account, item, bank::Via::kWebhook);
  stored.received_at = clock.Now();
  Append(req, std::move(stored), res);
}

bool IngressServer::Impl::AdminAuthorized(const httplib::Request& req,
                                          httplib::Response& res) const {
  if (secrets.admin_token.empty() || hooks.job_admin == nullptr) {
    WriteError(res, 404, "the admin endpoints are not enabled");
    return false;
  }
  const std::string header = req.get_header_value("Authorization");
  const std::size_t space = header.find(' ');
  const bool authorized =
      space != std::string::npos && Lowercase(header.substr(0, space)) == "bearer" &&
      ConstantTimeEquals(Trim(std::string_view(header).substr(space + 1)), secrets.admin_token);
  if (!authorized) {
    log->warn("admin request refused remote={} path={}", Remote(req), req.path);
    res.set_header("WWW-Authenticate", "Bearer realm=\"planfix-flow admin\"");
    WriteError(
        res, 401,
        req.has_header("Authorization") ? "wrong admin token" : "missing Authorization: Bearer");
  }
  return authorized;
}

void IngressServer::Impl::AnswerAdmin(const core::Result<std::string>& result,
                                      httplib::Response& res) {
  if (!result) {
    const int status = HttpStatusFor(result.error().code);
    if (status >= 500) log->error("admin request failed: {}", result.error().ToString());
    return WriteError(res, status, result.error().message);
  }
  res.status = 200;
  res.set_content(*result, kJson);
}

void IngressServer::Impl::HandleJobList(const httplib::Request& req, httplib::Response& res) {
  if (!AdminAuthorized(req, res)) return;
  std::string state = req.has_param("state") ? req.get_param_value("state") : "dead";
  const bool state_ok = !state.empty() && state.size() <= 32 &&
                        std::all_of(state.begin(), state.end(),
                                    [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_'; });
  if (!state_ok) return WriteError(res, 400, "state must be 1-32 characters of a-z and _");
  int limit = 50;
  if (req.has_param("limit")) {
    const std::string text = req.get_param_value("limit");
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (error != std::errc() || end != text.data() + text.size() || limit < 1 || limit > 1000) {
      return WriteError(res, 400, "limit must be an integer from 1 to 1000");
    }
  }
  AnswerAdmin(hooks.job_admin->ListJobs(state, limit), res);
}

void IngressServer::Impl::HandleJobShow(const httplib::Request& req, httplib::Response& res) {
  if (!AdminAuthorized(req, res)) return;
  const std::int64_t id = ParseId(req.matches[1].str());
  if (id == 0) return WriteError(res, 404, "no such job");
  AnswerAdmin(hooks.job_admin->ShowJob(id), res);
}

void IngressServer::Impl::HandleJobReplay(const httplib::Request& req, httplib::Response& res) {
  if (!AdminAuthorized(req, res)) return;
  const std::int64_t id = ParseId(req.matches[1].str());
  if (id == 0) return WriteError(res, 404, "no such job");
  auto result = hooks.job_admin->ReplayJob(id);
  if (result) log->info("admin replayed job_id={} remote={}", id, Remote(req));
  AnswerAdmin(result, res);
}

httplib::Server::HandlerResponse IngressServer::Impl::HandleError(const httplib::Request& req,
                                                                  httplib::Response& res) {
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Handled;  // our own answer
  if (res.status == 404) {
    for (const auto& known : known_paths) {
      if (!std::regex_match(req.path, known.pattern)) continue;
      if (known.admin && (secrets.admin_token.empty() || hooks.job_admin == nullptr)) break;
      res.status = 405;
      res.set_header("Allow", known.allow);
      WriteError(res, 405, fmt::format("{} is not allowed here; use {}", req.method, known.allow));
      return httplib::Server::HandlerResponse::Handled;
    }
    WriteError(res, 404, "no such endpoint");
    return httplib::Server::HandlerResponse::Handled;
  }
  if (res.status == 413) {
    WriteError(res, 413, fmt::format("the body is larger than {} bytes", options.body_limit_bytes));
    return httplib::Server::HandlerResponse::Handled;
  }
  WriteError(res, res.status, res.status >= 500 ? "internal error" : "bad request");
  return httplib::Server::HandlerResponse::Handled;
}

void IngressServer::Impl::RegisterRoutes() {
  using httplib::ContentReader;
  using httplib::Request;
  using httplib::Response;
  server.Post("/webhooks/planfix",
              httplib::Server::HandlerWithContentReader(
                  Timed("/webhooks/planfix",
                        [this](const Request& req, Response& res, const ContentReader& reader) {
                          HandlePlanfix(req, res, reader);
                        })));
  server.Post("/webhooks/google-forms",
              httplib::Server::HandlerWithContentReader(
                  Timed("/webhooks/google-forms",
                        [this](const Request& req, Response& res, const ContentReader& reader) {
                          HandleGoogle(req, res, reader);
                        })));
  server.Post("/webhooks/telegram",
              httplib::Server::HandlerWithContentReader(
                  Timed("/webhooks/telegram",
                        [this](const Request& req, Response& res, const ContentReader& reader) {
                          HandleTelegram(req, res, reader);
                        })));
  server.Post(R"(/webhooks/monobank/([^/]*))",
              httplib::Server::HandlerWithContentReader(
                  Timed("/webhooks/monobank/{token}",
                        [this](const Request& req, Response& res, const ContentReader& reader) {
                          HandleMonobank(req, res, reader);
                        })));
  server.Get(R"(/webhooks/monobank/([^/]*))",
             Timed("/webhooks/monobank/{token}",
                   [this](const Request& req, Response& res) { HandleMonobankProbe(req, res); }));
  server.Get("/healthz", Timed("/healthz", [](const Request&, Response& res) {
               WriteJson(res, 200, nlohmann::json{{"status", "ok"}});
             }));
  server.Get("/readyz", Timed("/readyz", [this](const Request&, Response& res) {
               const std::vector<std::string> problems = hooks.readiness_problems
                                                             ? hooks.readiness_problems()
                                                             : std::vector<std::string>{};
               if (problems.empty())
                 return WriteJson(res, 200, nlohmann::json{{"status", "ready"}});
               WriteError(res, 503, fmt::format("not ready: {}", fmt::join(problems, "; ")));
             }));
  server.Get("/metrics", Timed("/metrics", [this](const Request&, Response& res) {
               res.status = 200;
               res.set_content(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
             }));
  server.Get("/admin/jobs", Timed("/admin/jobs", [this](const Request& req, Response& res) {
               HandleJobList(req, res);
             }));
  server.Get(R"(/admin/jobs/(\d+))",
             Timed("/admin/jobs/{id}",
                   [this](const Request& req, Response& res) { HandleJobShow(req, res); }));
  server.Post(R"(/admin/jobs/(\d+)/replay)",
              httplib::Server::Handler(
                  Timed("/admin/jobs/{id}/replay",
                        [this](const Request& req, Response& res) { HandleJobReplay(req, res); })));

  known_paths.push_back({std::regex("/webhooks/(planfix|google-forms|telegram)"), "POST", false});
  known_paths.push_back({std::regex("/(healthz|readyz|metrics)"), "GET", false});
  known_paths.push_back({std::regex(R"(/admin/jobs(/\d+)?)"), "GET", true});
  known_paths.push_back({std::regex(R"(/admin/jobs/\d+/replay)"), "POST", true});
  if (!secrets.admin_token.empty() && hooks.admin_console != nullptr) {
    admin_page = std::make_unique<AdminPage>(AdminPageOptions{secrets.admin_token},
                                             *hooks.admin_console, clock, trusted, log);
    admin_page->Register(server);
    known_paths.push_back(
        {std::regex(R"(/admin/?|/admin/(dead|unmatched|timeline|(job|event)/\d+))"), "GET", false});
    known_paths.push_back({std::regex(R"(/admin/(logout|(job|event)/\d+/replay))"), "POST", false});
    known_paths.push_back({std::regex("/admin/login"), "GET, POST", false});
  }

  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [this](const Request& req, Response& res) { return HandleError(req, res); }));
  server.set_exception_handler(
      [this](const Request& req, Response& res, const std::exception_ptr& error) {
        std::string what = "unknown exception";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& caught) {
          what = caught.what();
        } catch (...) {
        }
        // The monobank path carries the endpoint's token: never logged.
        const std::string path =
            req.path.starts_with("/webhooks/monobank/") ? "/webhooks/monobank/{token}" : req.path;
        log->error("handler for {} {} threw: {}", req.method, path, what);
        WriteError(res, 500, "internal error");
      });
  // Refuse an announced oversize body before the client sends it.
  server.set_expect_100_continue_handler([this](const Request& req, Response& res) {
    const std::string length = req.get_header_value("Content-Length");
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(length.data(), length.data() + length.size(), value);
    if (error == std::errc::result_out_of_range ||
        (error == std::errc() && value > options.body_limit_bytes)) {
      WriteError(res, 413,
                 fmt::format("the body is larger than {} bytes", options.body_limit_bytes));
      res.set_header("Connection", "close");
      return 413;
    }
    return 100;
  });
}

IngressServer::IngressServer(ServerOptions options, storage::Inbox& inbox, core::Metrics& metrics,
                             core::Clock& clock, Secrets secrets, IngressHooks hooks)
    : impl_(std::make_unique<Impl>(std::move(options), inbox, metrics, clock, std::move(secrets),
                                   std::move(hooks))) {
  impl_->Validate();
  impl_->RegisterMetrics();
  impl_->RegisterRoutes();
}

IngressServer::~IngressServer() { Stop(); }

void IngressServer::Start() {
  Impl& impl = *impl_;
  if (impl.started) throw std::logic_error("IngressServer::Start called twice");
  impl.started = true;
  internal::PrepareHttplibForTsan();
  const ServerOptions& options = impl.options;
  auto& server = impl.server;
  server.set_tcp_nodelay(true);
  // httplib's default also sets SO_REUSEPORT, which would let a second instance bind the same
  // port and silently take part of the traffic.
  server.set_socket_options([](socket_t socket) {
    int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  server.set_keep_alive_max_count(options.keep_alive_max_count);
  server.set_keep_alive_timeout(static_cast<time_t>(options.keep_alive_timeout.count()));
  server.set_read_timeout(static_cast<time_t>(options.read_timeout.count()), 0);
  server.set_write_timeout(static_cast<time_t>(options.write_timeout.count()), 0);
  server.set_payload_max_length(options.body_limit_bytes);

  if (options.port == 0) {
    impl.port = server.bind_to_any_port(options.host);
  } else if (server.bind_to_port(options.host, options.port)) {
    impl.port = options.port;
  } else {
    impl.port = -1;
  }
  if (impl.port <= 0) {
    throw std::runtime_error(fmt::format("ingress: cannot bind {}:{}", options.host, options.port));
  }
  server.WidenBacklog();
  impl.thread = std::thread([&impl] {
    impl.server.listen_after_bind();
    impl.listen_returned = true;
  });
  // stop() is a no-op until the accept loop runs, so wait for it before returning.
  while (!server.is_running() && !impl.listen_returned) std::this_thread::yield();
  if (!server.is_running()) {
    impl.thread.join();
    throw std::runtime_error(
        fmt::format("ingress: cannot listen on {}:{}", options.host, impl.port));
  }
  impl.log->info("listening host={} port={} threads={} body_limit={}", options.host, impl.port,
                 options.threads, options.body_limit_bytes);
}

void IngressServer::Stop() {
  Impl& impl = *impl_;
  if (!impl.started || impl.stopped) return;
  impl.stopped = true;
  impl.server.Shutdown();
  if (impl.thread.joinable()) impl.thread.join();
  impl.log->info("stopped port={}", impl.port);
}

bool IngressServer::running() const {
  return impl_->started && !impl_->stopped && impl_->server.is_running();
}

int IngressServer::port() const { return impl_->port; }

}  // namespace planfix_flow::http
