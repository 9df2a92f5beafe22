// IngressServer: the inbound HTTP server. Webhooks from Planfix, Google Forms (Apps Script),
// Telegram and the bank (monobank) are authenticated, checked and committed to the Inbox before a
// 200; plus health, readiness, Prometheus metrics and admin endpoints for dead jobs.
// Start/Stop/port from one owning thread; handlers run on the server's bounded pool, so the Inbox,
// the hooks and the JobAdmin are called from many threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/http/admin_page.h"
#include "planfix_flow/http/server_options.h"
#include "planfix_flow/storage/inbox.h"

namespace planfix_flow::http {

// What the admin endpoints need from the job store. Answers are JSON texts passed through
// to the client. Errors map to HTTP statuses with HttpStatusFor (kNotFound 404,
// kConflict 409, kInvalidInput 400, kUnavailable 503, ...).
class JobAdmin {
 public:
  virtual ~JobAdmin() = default;
  // A JSON array of at most `limit` jobs in `state` (e.g. "dead"), newest first.
  virtual core::Result<std::string> ListJobs(const std::string& state, int limit) = 0;
  // One job as a JSON object; kNotFound if there is none.
  virtual core::Result<std::string> ShowJob(std::int64_t id) = 0;
  // Queues a dead job again and returns it as a JSON object; kNotFound, or kConflict when
  // the job is not dead.
  virtual core::Result<std::string> ReplayJob(std::int64_t id) = 0;
};

struct IngressHooks {
  // After an event was newly stored (not for duplicates); e.g. wakes the event processor.
  // Must be quick and must not throw.
  std::function<void(std::int64_t event_id)> on_event_stored;
  // /readyz answers 200 when this returns no problem, else 503 naming each problem (e.g. "the
  // database is not writable"). Unset: ready. Called on a server thread; must be quick.
  std::function<std::vector<std::string>()> readiness_problems;
  // Serves /admin/jobs*; unset: those endpoints answer 404. Not owned; must outlive Stop().
  JobAdmin* job_admin = nullptr;
  // Serves the HTML admin page under /admin/ (see admin_page.h) when the admin token is set;
  // unset: those pages answer 404. Not owned; must outlive Stop().
  AdminConsole* admin_console = nullptr;
};

class IngressServer {
 public:
  // Throws std::invalid_argument for unusable options or secrets (the message names the
  // setting, never a secret's value). `inbox`, `metrics` and `clock` must outlive the server.
  IngressServer(ServerOptions options, storage::Inbox& inbox, core::Metrics& metrics,
                core::Clock& clock, Secrets secrets, IngressHooks hooks = {});
  ~IngressServer();
  IngressServer(const IngressServer&) = delete;
  IngressServer& operator=(const IngressServer&) = delete;

  // Binds and serves on a background thread; returns once the server accepts connections.
  // Throws std::runtime_error if it cannot bind. Once only.
  void Start();
  // Stops accepting, closes idle connections, finishes requests in flight and joins the
  // threads. Idempotent.
  void Stop();
  bool running() const;
  int port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The one mapping from error codes to HTTP statuses for answers this server gives.
int HttpStatusFor(core::ErrorCode code);

}  // namespace planfix_flow::http
