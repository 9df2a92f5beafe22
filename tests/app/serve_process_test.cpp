// The real `planfix-flow serve` binary as a process: started with a config file and secrets in
// its environment, it becomes ready, stores a webhook, reads Telegram by long polling, and
// on SIGTERM or SIGINT stops cleanly with exit code 0 and a database that opens.
#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "planfix_flow/config/config.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_google.h"
#include "planfix_flow/sandbox/fake_telegram.h"
#include "planfix_flow/storage/database.h"

extern char** environ;

namespace planfix_flow::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr const char* kPlanfixToken = "proc-pf-token-s3cr3t-aaaa";
constexpr const char* kPlanfixWebhookSecret = "proc-pf-webhook-s3cr3t-bbbb";
constexpr const char* kGoogleSecret = "proc-google-s3cr3t-cccc";
constexpr const char* kAdminToken = "proc-admin-s3cr3t-dddd";
constexpr std::int64_t kUser = 7012345678;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces the example's one line starting with `line_start`.
void ReplaceLine(std::string& text, const std::string& line_start, const std::string& line) {
  const auto at = text.find("\n" + line_start);
  ASSERT_NE(at, std::string::npos) << "no line starting with " << line_start;
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

class ServeProcess : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("pff-serve-proc-{}-{}", ::getpid(), std::to_string(GetParam()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    telegram_.AddPrivateChat(kUser, "Olena");
    telegram_.Start();

    port_ = FreeLoopbackPort();
    ASSERT_GT(port_, 0);
    db_path_ = dir_ / "flow.db";
    log_path_ = dir_ / "serve.log";
    key_file_ = dir_ / "google-sa.json";
    std::ofstream(key_file_) << google::ServiceAccountKeyJson(google::ServiceAccountKey{
        "service_account", "agency", "key-1", sandbox::TestRsaKeyPair().private_key_pem,
        "flow@agency.iam.gserviceaccount.com", google::kGoogleTokenUri});

    std::string text =
        ReadText(fs::path(PLANFIX_FLOW_SOURCE_DIR) / "deploy" / "config.example.toml");
    ReplaceLine(text, "port = ", fmt::format("port = {}", port_));
    ReplaceLine(text, "keep_alive_seconds = ", "keep_alive_seconds = 1");
    ReplaceLine(text, "path = ", "path = \"flow.db\"");  // relative to the config file
    // Nothing listens on port 1: Planfix calls fail at once and are retried later.
    ReplaceLine(text, "base_url = \"https://agency.planfix.com/rest/\"",
                "base_url = \"http://127.0.0.1:1/rest/\"");
    ReplaceLine(text, "base_url = \"https://api.telegram.org\"",
                "base_url = \"" + telegram_.api_base_url() + "\"");
    ReplaceLine(text, "mode = ", "mode = \"polling\"");
    // Stop waits for the getUpdates in flight.
    ReplaceLine(text, "polling_timeout_seconds = ", "polling_timeout_seconds = 1");
    ReplaceLine(text, "dir = ",
                "dir = \"" + (fs::path(PLANFIX_FLOW_SOURCE_DIR) / "templates").string() + "\"");
    config_path_ = dir_ / "config.toml";
    std::ofstream(config_path_) << text;

    secrets_ = {
        {std::string(config::kEnvPlanfixToken), kPlanfixToken},
        {std::string(config::kEnvTelegramBotToken), telegram_.token()},
        {std::string(config::kEnvPlanfixWebhookSecret), kPlanfixWebhookSecret},
        {std::string(config::kEnvGoogleWebhookSecret), kGoogleSecret},
        {std::string(config::kEnvGoogleSaKeyFile), key_file_.string()},
        {std::string(config::kEnvAdminToken), kAdminToken},
    };
  }

  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (HasFailure()) std::cerr << "---- serve log ----\n" << ReadText(log_path_) << "----\n";
    fs::remove_all(dir_);
  }

  // posix_spawn rather than fork: this process has threads (the fake's server).
  void Spawn() {
    std::vector<std::string> env_text;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      if (std::string_view(*entry).starts_with("PLANFIX_FLOW_")) continue;
      env_text.emplace_back(*entry);
    }
    for (const auto& [name, value] : secrets_) env_text.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);

    std::string binary = PLANFIX_FLOW_BINARY;
    std::string serve = "serve";
    std::string flag = "--config";
    std::string config = config_path_.string();
    std::vector<char*> argv{binary.data(), serve.data(), flag.data(), config.data(), nullptr};

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_path_.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int error =
        ::posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    ASSERT_EQ(error, 0) << "posix_spawn " << binary << ": " << std::strerror(error);
  }

  // The exit status once the process ended within `max`; nullopt if it is still running.
  std::optional<int> WaitForExit(steady_clock::duration max) {
    const auto deadline = steady_clock::now() + max;
    for (;;) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = 0;
        return status;
      }
      if (steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(milliseconds(20));  // polling the child, bounded above
    }
  }

  std::string Url(const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", port_, path);
  }

  // Polls /readyz until 200 (bounded); fails early if the process exits.
  void WaitUntilReady(http::CurlHttpClient& http) {
    const auto deadline = steady_clock::now() + seconds(30);
    for (;;) {
      http::HttpRequest request;
      request.url = Url("/readyz");
      request.timeout = milliseconds(1000);
      auto response = http.Send(request);
      if (response && response->status == 200) return;
      if (auto status = WaitForExit(milliseconds(0))) {
        FAIL() << "serve exited before it was ready, status " << *status;
      }
      ASSERT_LT(steady_clock::now(), deadline) << "serve not ready within 30 s";
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  // Waits (bounded) until the fake has no unconfirmed update: the poller stored it and
  // confirmed it with its next offset.
  void WaitUntilTelegramConfirmed() {
    const auto deadline = steady_clock::now() + seconds(30);
    while (telegram_.pending_update_count() != 0) {
      ASSERT_LT(steady_clock::now(), deadline) << "the update was never confirmed";
      std::this_thread::sleep_for(milliseconds(20));
    }
  }

  sandbox::FakeTelegram telegram_;
  fs::path dir_;
  fs::path db_path_;
  fs::path log_path_;
  fs::path key_file_;
  fs::path config_path_;
  std::map<std::string, std::string> secrets_;
  int port_ = 0;
  pid_t pid_ = 0;
};

TEST_P(ServeProcess, ServesAWebhookAndPollingThenStopsCleanlyOnTheSignal) {
  const int signal = GetParam();
  const std::int64_t update_id = telegram_.SimulateUserMessage(kUser, kUser, "hello");
  ASSERT_NO_FATAL_FAILURE(Spawn());
  {
    http::CurlHttpClient http;  // gone before the signal: no idle keep-alive connection
    ASSERT_NO_FATAL_FAILURE(WaitUntilReady(http));

    http::HttpRequest webhook;
    webhook.method = "POST";
    webhook.url = Url("/webhooks/planfix");
    webhook.headers["Content-Type"] = "application/json";
    webhook.headers["Authorization"] = std::string("Bearer ") + kPlanfixWebhookSecret;
    webhook.body = R"({"event":"ping","task":"42"})";
    auto answer = http.Send(webhook);
    ASSERT_TRUE(answer) << answer.error().ToString();
    EXPECT_EQ(answer->status, 200) << answer->body;
  }
  ASSERT_NO_FATAL_FAILURE(WaitUntilTelegramConfirmed());

  const auto signalled = steady_clock::now();
  ASSERT_EQ(::kill(pid_, signal), 0);
  const auto status = WaitForExit(seconds(30));
  ASSERT_TRUE(status) << "serve did not exit within 30 s of " << strsignal(signal);
  const auto took = steady_clock::now() - signalled;
  ASSERT_TRUE(WIFEXITED(*status)) << "serve ended by signal " << WTERMSIG(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  // Shutdown waits for at most one poll (1 s) and one idle keep-alive (1 s); slack for ASan.
  EXPECT_LT(took, seconds(10));

  const std::string log = ReadText(log_path_);
  EXPECT_NE(log.find(signal == SIGTERM ? "signal=SIGTERM" : "signal=SIGINT"), std::string::npos)
      << log;
  EXPECT_NE(log.find("outcome=stopped"), std::string::npos) << log;
  for (const auto& [name, secret] : secrets_) {
    if (name == config::kEnvGoogleSaKeyFile) continue;  // a path, not a secret
    EXPECT_EQ(log.find(secret), std::string::npos) << name << " appears in the log";
  }

  storage::Database database(storage::DatabaseOptions{db_path_.string()});
  const auto events = database.ListEvents(std::nullopt, 100);
  const auto find = [&](storage::EventSource source) {
    return std::find_if(events.begin(), events.end(),
                        [source](const auto& event) { return event.source == source; });
  };
  const auto ping = find(storage::EventSource::kPlanfix);
  ASSERT_NE(ping, events.end());
  EXPECT_EQ(ping->kind, "ping");
  const auto update = find(storage::EventSource::kTelegram);
  ASSERT_NE(update, events.end());
  EXPECT_EQ(update->kind, "telegram.update");
  EXPECT_EQ(update->dedupe_key, std::to_string(update_id));
  EXPECT_EQ(nlohmann::json::parse(update->payload)["message"]["text"], "hello");
}

INSTANTIATE_TEST_SUITE_P(Signals, ServeProcess, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return std::string(param.param == SIGTERM ? "SIGTERM" : "SIGINT");
                         });

}  // namespace
}  // namespace planfix_flow::app
