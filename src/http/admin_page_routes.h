// The admin page's routes and sessions, registered on the IngressServer's httplib server.
// Sessions live in memory (a restart signs everyone out). Thread-safe: handlers run on the
// server's pool. Private to src/http.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/http/admin_page.h"
#include "planfix_flow/http/client_address.h"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace planfix_flow::http {

struct AdminPageOptions {
  std::string token;  // the admin token; must not be empty
  // A session ends this long after sign-in, or after `idle_timeout` without a request.
  std::chrono::seconds session_lifetime{std::chrono::hours(8)};
  std::chrono::seconds idle_timeout{std::chrono::hours(1)};
  // Sessions at once; signing in beyond it ends the one used least recently.
  std::size_t max_sessions = 32;
  std::size_t list_limit = 200;  // rows per list
};

class AdminPage {
 public:
  // `console`, `clock` and `trusted` must outlive the page; `trusted` says whose
  // X-Forwarded-Proto counts.
  AdminPage(AdminPageOptions options, AdminConsole& console, core::Clock& clock,
            const TrustedProxies& trusted, std::shared_ptr<spdlog::logger> log);
  ~AdminPage();
  AdminPage(const AdminPage&) = delete;
  AdminPage& operator=(const AdminPage&) = delete;

  // Adds GET and POST routes under /admin/ (none of the JSON /admin/jobs* ones).
  void Register(httplib::Server& server);

  std::size_t session_count() const;

 private:
  struct Session {
    std::string csrf;
    core::TimePoint created_at;
    core::TimePoint last_seen;
  };
  struct Page;

  // The session the request's cookie names, refreshed; nullopt when none or ended.
  std::optional<Session> FindSession(const httplib::Request& req);
  std::string CreateSession();
  void EndSession(const httplib::Request& req);
  // Whether the request came over TLS (a trusted proxy's X-Forwarded-Proto: https) or
  // straight to a loopback address by a loopback name (an SSH tunnel, the tests).
  bool TransportAcceptable(const httplib::Request& req) const;
  std::string Remote(const httplib::Request& req) const;

  void Answer(httplib::Response& res, int status, const Page& page,
              const std::optional<Session>& session) const;
  void Redirect(httplib::Response& res, const std::string& location) const;

  void GetLogin(const httplib::Request& req, httplib::Response& res);
  void PostLogin(const httplib::Request& req, httplib::Response& res);
  void PostLogout(const httplib::Request& req, httplib::Response& res);
  void GetOverview(const httplib::Request& req, httplib::Response& res);
  void GetDead(const httplib::Request& req, httplib::Response& res);
  void GetJob(const httplib::Request& req, httplib::Response& res);
  void GetEvent(const httplib::Request& req, httplib::Response& res);
  // Replays the dead job or event the path names, then shows it; `noun` is "job" or "event"
  // (its path and log key), `title` the same capitalised.
  void PostReplay(const httplib::Request& req, httplib::Response& res, std::string_view noun,
                  std::string_view title, const std::function<core::Status(std::int64_t)>& replay);
  void PostReplayJob(const httplib::Request& req, httplib::Response& res);
  void PostReplayEvent(const httplib::Request& req, httplib::Response& res);
  void GetUnmatched(const httplib::Request& req, httplib::Response& res);
  void GetTimeline(const httplib::Request& req, httplib::Response& res);

  // For a GET: the session, or a redirect to the login form. For a POST: the session whose
  // CSRF token the form carries, or a 403 that changes nothing.
  std::optional<Session> RequireSession(const httplib::Request& req, httplib::Response& res);
  std::optional<Session> RequireForm(const httplib::Request& req, httplib::Response& res);

  AdminPageOptions options_;
  AdminConsole& console_;
  core::Clock& clock_;
  const TrustedProxies& trusted_;
  std::shared_ptr<spdlog::logger> log_;

  mutable std::mutex mutex_;
  // By the SHA-256 of the cookie's id, so that a lookup's timing says nothing about ids.
  std::map<std::string, Session> sessions_;  // GUARDED_BY(mutex_)
};

}  // namespace planfix_flow::http
