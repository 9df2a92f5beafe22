// The ingress server's insides, shared by its parts: ingress_server.cpp (its life cycle, request
// bodies, the inbox), ingress_routes.cpp (the route table), ingress_webhooks.cpp (the webhook
// endpoints), ingress_admin.cpp (the admin endpoints) and ingress_responses.cpp (answers).
#pragma once

#include <httplib.h>
#include <spdlog/logger.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "http/admin_page_routes.h"
#include "http/parking_server.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/http/client_address.h"
#include "planfix_flow/http/ingress_server.h"
#include "planfix_flow/http/planfix_webhook.h"

namespace planfix_flow::http {

constexpr char kJson[] = "application/json";
// A request line and headers may take this much beyond the body limit.
constexpr std::size_t kMaxRequestHeadBytes = std::size_t{64} * 1024;

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
constexpr std::array kSources = {storage::EventSource::kPlanfix, storage::EventSource::kGoogle,
                                 storage::EventSource::kTelegram, storage::EventSource::kBank};

std::string_view OutcomeName(Outcome outcome);
// The "error" member of a JSON error body for each status this server answers with.
std::string_view ErrorNameFor(int status);
void WriteJson(httplib::Response& res, int status, const nlohmann::json& body);
nlohmann::json ErrorBody(int status, std::string_view detail);
void WriteError(httplib::Response& res, int status, std::string_view detail);

TrustedProxies ParseTrustedProxies(const std::vector<std::string>& texts);
ConnectionLimits LimitsFor(const ServerOptions& options, const TrustedProxies& trusted,
                           core::Metrics& metrics);

// The media type of a Content-Type header, lowercased, and whether its parameters are
// acceptable (none, or charset=utf-8).
struct MediaType {
  std::string type;
  bool utf8_or_unspecified = true;
};

MediaType ParseMediaType(std::string_view header);

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
  void Reject(storage::EventSource source, const httplib::Request& req, httplib::Response& res,
              const Rejection& rejection, bool body_consumed);
  void Append(const httplib::Request& req, storage::NewEvent event, httplib::Response& res);
  void Count(storage::EventSource source, Outcome outcome);

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

}  // namespace planfix_flow::http
