// App: wires config, storage, the ingress server, the workflow, the engine (processor,
// executor, scheduler) and the API clients into one running service. Start/Stop from one
// owning thread. With background threads off (tests, demo), RunUntilIdle drives the engine
// step by step against any Clock, so time can be simulated.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/engine/event_handler.h"
#include "planfix_flow/http/http_client.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/templates/template_set.h"

namespace planfix_flow::app {

struct AppOptions {
  // serve: the processor, executor and scheduler run on their own threads. Off: nothing runs
  // until RunUntilIdle.
  bool background_threads = true;
  // Seeds the executor's and processor's jitter (tests); random when absent.
  std::optional<std::uint64_t> seed;
  // Test seam: when set, builds the event handler used in place of the workflow (e.g. one
  // that plans effects and timers due within seconds, for fault tests of the engine).
  std::function<std::unique_ptr<engine::EventHandler>()> make_handler;
};

class App {
 public:
  // `templates` are the ones LoadConfig checked. `http` carries every outbound call and must
  // outlive the App. Throws on a config the App cannot use (it should have been checked).
  App(config::Config config, std::shared_ptr<const templates::TemplateSet> templates,
      core::Clock& clock, http::HttpClient& http, AppOptions options = {});
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Opens the database (migrations), fires overdue timers, starts the HTTP server and, if
  // enabled, the background threads (the Telegram setup, getMe and setWebhook, runs on one
  // of them; /readyz answers 503 until it has succeeded). Throws if the port cannot be bound.
  void Start();
  // Stops accepting requests, lets in-flight work finish or releases it, joins the threads
  // and closes the database. Idempotent.
  void Stop();

  // The HTTP server's bound port (after Start).
  int port() const;

  // Without background threads: processes due events, fires due timers and runs due jobs
  // until none is left at the clock's current time. Each round first does what is due of the
  // Telegram setup (getMe, setWebhook, the webhook check) and, in polling mode, polls Telegram
  // once without waiting. Returns how many steps did something.
  std::size_t RunUntilIdle();

  storage::Database& database();
  core::Metrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// `serve`: runs the App on the system clock until SIGTERM or SIGINT, then stops it cleanly.
// Returns the process exit code.
int Serve(config::Config config, std::shared_ptr<const templates::TemplateSet> templates,
          AppOptions options = {});

}  // namespace planfix_flow::app
