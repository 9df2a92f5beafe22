#include "planfix_flow/http/ingress_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <charconv>
#include <stdexcept>
#include <thread>

#include "http/httplib_tsan.h"
#include "http/ingress_internal.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/http/standard_webhooks.h"

namespace planfix_flow::http {

using core::ErrorCode;
using storage::EventSource;

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
