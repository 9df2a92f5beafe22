// Footprint benchmark: the real `planfix-flow serve` binary started as a process with a
// config made from deploy/config.example.toml (ports and paths replaced, secrets in its
// environment, Telegram long polling against the sandbox fake, Planfix unreachable). Reports
// the time from spawning it to the first 200 from GET /readyz, and its resident memory once
// idle. Stopped with SIGTERM afterwards.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/sandbox/fake_google.h"
#include "planfix_flow/sandbox/fake_telegram.h"

extern char** environ;

namespace planfix_flow::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces the example's one line starting with `line_start`.
void ReplaceLine(std::string& text, const std::string& line_start, const std::string& line) {
  const auto at = text.find("\n" + line_start);
  if (at == std::string::npos) throw std::runtime_error("no line starting with " + line_start);
  const auto end = text.find('\n', at + 1);
  text.replace(at + 1, end - at - 1, line);
}

// A loopback port that was free a moment ago: bound to port 0, read back, released.
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

int Main(int argc, char** argv) {
  const fs::path dir =
      fs::temp_directory_path() / ("pff-bench-footprint-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Output out((dir / "bench.log").string());
  const std::string binary = argc > 1 ? argv[1] : PLANFIX_FLOW_BINARY;

  sandbox::FakeTelegram telegram;
  telegram.AddPrivateChat(7012345678, "Olena");
  telegram.Start();

  const int port = FreeLoopbackPort();
  const fs::path key_file = dir / "google-sa.json";
  std::ofstream(key_file) << google::ServiceAccountKeyJson(google::ServiceAccountKey{
      "service_account", "agency", "key-1", sandbox::TestRsaKeyPair().private_key_pem,
      "flow@agency.iam.gserviceaccount.com", google::kGoogleTokenUri});
  std::string text = ReadText(fs::path(PLANFIX_FLOW_SOURCE_DIR) / "deploy" / "config.example.toml");
  ReplaceLine(text, "port = ", fmt::format("port = {}", port));
  ReplaceLine(text, "path = ", "path = \"flow.db\"");
  ReplaceLine(text, "base_url = \"https://agency.planfix.com/rest/\"",
              "base_url = \"http://127.0.0.1:1/rest/\"");
  ReplaceLine(text, "base_url = \"https://api.telegram.org\"",
              "base_url = \"" + telegram.api_base_url() + "\"");
  ReplaceLine(text, "mode = ", "mode = \"polling\"");
  ReplaceLine(text, "polling_timeout_seconds = ", "polling_timeout_seconds = 1");
  ReplaceLine(text, "dir = ",
              "dir = \"" + (fs::path(PLANFIX_FLOW_SOURCE_DIR) / "templates").string() + "\"");
  const fs::path config_path = dir / "config.toml";
  std::ofstream(config_path) << text;

  std::vector<std::string> env_text;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (std::string_view(*entry).starts_with("PLANFIX_FLOW_")) continue;
    env_text.emplace_back(*entry);
  }
  const std::map<std::string, std::string> secrets = {
      {std::string(config::kEnvPlanfixToken), "bench-pf-token"},
      {std::string(config::kEnvTelegramBotToken), telegram.token()},
      {std::string(config::kEnvPlanfixWebhookSecret), "bench-pf-webhook-secret"},
      {std::string(config::kEnvGoogleWebhookSecret), "bench-google-secret"},
      {std::string(config::kEnvGoogleSaKeyFile), key_file.string()},
      {std::string(config::kEnvAdminToken), "bench-admin-token"},
  };
  for (const auto& [name, value] : secrets) env_text.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : env_text) envp.push_back(entry.data());
  envp.push_back(nullptr);

  std::string program = binary, serve = "serve", flag = "--config", config = config_path.string();
  std::vector<char*> child_argv{program.data(), serve.data(), flag.data(), config.data(), nullptr};
  const std::string log_path = (dir / "serve.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);

  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(std::chrono::milliseconds(200));
  client.set_read_timeout(std::chrono::seconds(1));
  pid_t pid = 0;
  const auto start = SteadyClock::now();
  if (::posix_spawn(&pid, program.c_str(), &actions, nullptr, child_argv.data(), envp.data()) !=
      0) {
    out.Row("footprint", "serve", "could not start " + program, "", "NOT MET");
    return 1;
  }
  posix_spawn_file_actions_destroy(&actions);
  bool ready = false;
  double ready_seconds = 0;
  while (SteadyClock::now() - start < std::chrono::seconds(30)) {
    if (auto res = client.Get("/readyz"); res && res->status == 200) {
      ready = true;
      ready_seconds = Seconds(SteadyClock::now() - start);
      break;
    }
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      pid = 0;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  client.stop();
  if (!ready) {
    out.Row("footprint", "serve ready", "never (see " + log_path + ")", "", "NOT MET");
    if (pid > 0) ::kill(pid, SIGKILL);
    return 1;
  }
  out.Row("footprint", "serve: spawn to first 200 from /readyz (s)", Fixed(ready_seconds, 3));
  const double rss_ready = ResidentMiB(std::to_string(pid));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // idle: only long polling goes on
  const double rss_idle = ResidentMiB(std::to_string(pid));
  out.Row("footprint", "serve: resident memory when ready / idle 3 s later (MiB)",
          Fixed(rss_ready, 1) + " / " + Fixed(rss_idle, 1));

  ::kill(pid, SIGTERM);
  const auto stop_start = SteadyClock::now();
  int status = 0;
  bool exited = false;
  while (SteadyClock::now() - stop_start < std::chrono::seconds(15)) {
    if (::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  out.Row("footprint", "serve: SIGTERM to exit (s)",
          exited ? Fixed(Seconds(SteadyClock::now() - stop_start), 2) : "did not exit in 15 s");
  telegram.Stop();
  fs::remove_all(dir);
  return exited ? 0 : 1;
}

}  // namespace
}  // namespace planfix_flow::bench

int main(int argc, char** argv) { return planfix_flow::bench::Main(argc, argv); }
