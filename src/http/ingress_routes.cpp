// The route table: every path the ingress answers, its methods, and what an unknown path or a
// wrong method gets.
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <httplib.h>

#include <charconv>
#include <regex>

#include "http/ingress_internal.h"

namespace planfix_flow::http {

using core::ErrorCode;
using storage::EventSource;

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

}  // namespace planfix_flow::http
