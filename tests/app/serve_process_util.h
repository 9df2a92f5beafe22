// Helpers for tests that run a service binary as a child process: a config written from
// deploy/config.example.toml, a free loopback port, spawning with secrets in the environment,
// waiting (bounded) for /readyz and for the process to exit.
#pragma once

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

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/loopback_port.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_google.h"
#include "planfix_flow/sandbox/fake_telegram.h"

extern char** environ;

namespace planfix_flow::testing {

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Replaces the one line of `text` starting with `line_start`.
inline void ReplaceLine(std::string& text, const std::string& line_start, const std::string& line) {
  const auto at = text.find("\n" + line_start);
  ASSERT_NE(at, std::string::npos) << "no line starting with " << line_start;
  const auto end = text.find('\n', at + 1);
  text.replace(at + 1, end - at - 1, line);
}

// deploy/config.example.toml for a service on loopback `port` with its database "flow.db"
// beside the config file, Telegram at `telegram_base_url` (a FakeTelegram with its default
// bot, which the service checks with getMe), the repository's templates, and
// Planfix and Google unreachable (nothing listens on port 1: calls fail at once and are
// retried later). Tests replace further lines with ReplaceLine.
inline std::string LoopbackServeConfig(int port, const std::string& telegram_base_url) {
  std::string text =
      ReadText(std::filesystem::path(PLANFIX_FLOW_SOURCE_DIR) / "deploy" / "config.example.toml");
  ReplaceLine(text, "port = ", fmt::format("port = {}", port));
  ReplaceLine(text, "keep_alive_seconds = ", "keep_alive_seconds = 1");
  ReplaceLine(text, "path = ", "path = \"flow.db\"");  // relative to the config file
  ReplaceLine(text, "base_url = \"https://agency.planfix.com/rest/\"",
              "base_url = \"http://127.0.0.1:1/rest/\"");
  ReplaceLine(text, "base_url = \"https://api.telegram.org\"",
              "base_url = \"" + telegram_base_url + "\"");
  ReplaceLine(text, "bot_username = ",
              "bot_username = \"" + sandbox::FakeTelegramOptions{}.bot_username + "\"");
  ReplaceLine(text, "forms_base_url = ", "forms_base_url = \"http://127.0.0.1:1\"");
  ReplaceLine(text, "token_url = ", "token_url = \"http://127.0.0.1:1/token\"");
  ReplaceLine(
      text, "dir = ",
      "dir = \"" + (std::filesystem::path(PLANFIX_FLOW_SOURCE_DIR) / "templates").string() + "\"");
  return text;
}

// A Google service-account key file (the sandbox's test key) at `path`.
inline void WriteServiceAccountKey(const std::filesystem::path& path) {
  std::ofstream(path) << google::ServiceAccountKeyJson(google::ServiceAccountKey{
      "service_account", "agency", "key-1", sandbox::TestRsaKeyPair().private_key_pem,
      "flow@agency.iam.gserviceaccount.com", google::kGoogleTokenUri});
}

enum class LogMode { kTruncate, kAppend };

// One child process at a time; killed (SIGKILL) and reaped when the object goes away.
class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }

  // Starts `argv` with this process's environment minus PLANFIX_FLOW_* plus `env`, its
  // stdout and stderr going to `log`. posix_spawn rather than fork: the test has threads.
  void Spawn(std::vector<std::string> argv, const std::map<std::string, std::string>& env,
             const std::filesystem::path& log, LogMode mode = LogMode::kTruncate) {
    ASSERT_EQ(pid_, 0) << "a child is still running";
    std::vector<std::string> env_text;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      if (std::string_view(*entry).starts_with("PLANFIX_FLOW_")) continue;
      env_text.emplace_back(*entry);
    }
    for (const auto& [name, value] : env) env_text.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    std::vector<char*> args;
    for (auto& arg : argv) args.push_back(arg.data());
    args.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    const int flags = O_WRONLY | O_CREAT | (mode == LogMode::kAppend ? O_APPEND : O_TRUNC);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), flags, 0600);
    posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
    const int error =
        ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    if (error != 0) pid_ = 0;
    ASSERT_EQ(error, 0) << "posix_spawn " << argv[0] << ": " << std::strerror(error);
  }

  pid_t pid() const { return pid_; }
  bool Signal(int signal) const { return pid_ > 0 && ::kill(pid_, signal) == 0; }

  // The wait status once the process ended within `max`; nullopt if it is still running.
  std::optional<int> WaitForExit(std::chrono::steady_clock::duration max) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    for (;;) {
      int status = 0;
      const pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        pid_ = 0;
        return status;
      }
      if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, bounded above
    }
  }

  // Polls `readyz_url` until it answers 200 (bounded by `max`); fails early if the process
  // exits.
  void WaitUntilReady(http::CurlHttpClient& http, const std::string& readyz_url,
                      std::chrono::seconds max = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + max;
    for (;;) {
      http::HttpRequest request;
      request.url = readyz_url;
      request.timeout = std::chrono::milliseconds(1000);
      auto response = http.Send(request);
      if (response && response->status == 200) return;
      if (auto status = WaitForExit(std::chrono::milliseconds(0))) {
        FAIL() << "the process exited before it was ready, status " << *status;
      }
      ASSERT_LT(std::chrono::steady_clock::now(), deadline)
          << "not ready within " << max.count() << " s";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

 private:
  pid_t pid_ = 0;
};

}  // namespace planfix_flow::testing
