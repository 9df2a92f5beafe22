// `planfix-flow demo --serve`: the service against the sandbox fakes, left running so that a
// person (or scripts/test-browser) can use the admin page without any account.
#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "planfix_flow/app/app.h"
#include "planfix_flow/app/demo.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/core/log.h"

namespace planfix_flow::app {

namespace {

// Friday 2026-11-27 12:00 in Kyiv: a working hour, so nothing waits for the morning.
const core::TimePoint kStart = core::FromUnixSeconds(1'795'773'600);

class TempDir {
 public:
  TempDir() {
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("planfix-flow-demo-serve-{}", ::getpid());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace

int RunDemoServe(const DemoServeOptions& options, const config::Environment& env, std::ostream& out,
                 std::ostream& err) {
  const auto token = env.find(config::kEnvAdminToken);
  if (token == env.end() || token->second.size() < 16) {
    err << "demo --serve: set " << config::kEnvAdminToken
        << " (at least 16 characters) in the environment: it is the admin page's sign-in "
           "token\n";
    return 1;
  }
  if (options.port < 0 || options.port > 65535) {
    err << "demo --serve: --port must be 0 (any free port) to 65535\n";
    return 1;
  }
  core::SetLogLevel("warn");
  // Stop signals are waited for on this thread (every thread started below inherits the mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  core::FakeClock clock(kStart);
  TempDir dir;
  SandboxWorld world(clock, dir.path());
  world.config.server.port = options.port;
  world.config.secrets.admin_token = token->second;
  world.config.storage.path = (dir.path() / "demo.db").string();
  std::vector<config::Problem> problems;
  auto templates = config::LoadTemplates(world.config, problems);
  if (!templates.set) {
    for (const auto& problem : problems) err << problem.ToString() << "\n";
    return 1;
  }
  const auto client = world.AddClient("Olena Koval", "olena@example.com", "+380501112233", 5001);
  App app(world.config, templates.set, clock, world.http(),
          AppOptions{.background_threads = false, .seed = 1});
  app.Start();
  app.RunUntilIdle();

  // One dead job to replay: Telegram refuses the staff message for good, once.
  world.telegram.FailNext(
      1, 400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})");
  auto posted = world.PostPlanfix(
      app.port(), nlohmann::json{{"event", "ping"}, {"task", std::to_string(client.task)}});
  if (!posted || posted->status != 200) {
    err << "demo --serve: the Planfix webhook was not accepted\n";
    return 1;
  }
  app.RunUntilIdle();
  storage::JobFilter dead_filter;
  dead_filter.state = storage::JobState::kDead;
  const auto dead = app.database().ListJobs(dead_filter);
  if (dead.size() != 1) {
    err << "demo --serve: expected one dead job, found " << dead.size() << "\n";
    return 1;
  }
  out << fmt::format(
             "admin page: http://127.0.0.1:{}/admin/ (sign in with {}); dead job {}; task {}; "
             "Ctrl-C to stop",
             app.port(), config::kEnvAdminToken, dead[0].id, client.task)
      << std::endl;

  // The simulated clock follows real time from kStart, so sessions expire as they would.
  const auto began = std::chrono::steady_clock::now();
  const timespec tick{0, 100'000'000};
  for (;;) {
    if (sigtimedwait(&signals, nullptr, &tick) > 0) break;
    clock.Set(kStart +
              std::chrono::duration_cast<core::Duration>(std::chrono::steady_clock::now() - began));
    app.RunUntilIdle();
  }
  app.Stop();
  return 0;
}

}  // namespace planfix_flow::app
