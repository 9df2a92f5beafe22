// The real `planfix-flow serve` binary as a process: started with a config file and secrets in
// its environment, it becomes ready, stores a webhook, reads Telegram by long polling, and
// on SIGTERM or SIGINT stops cleanly with exit code 0 and a database that opens.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "app/serve_process_util.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_telegram.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using testing::ReadText;
using testing::ReplaceLine;

constexpr const char* kPlanfixToken = "proc-pf-token-s3cr3t-aaaa";
constexpr const char* kPlanfixWebhookSecret = "proc-pf-webhook-s3cr3t-bbbb";
constexpr const char* kGoogleSecret = "proc-google-s3cr3t-cccc";
constexpr const char* kAdminToken = "proc-admin-s3cr3t-dddd";
constexpr const char* kSigningKey = "proc-signing-key-s3cr3t-eeeeeeeeeeeeeeee";
constexpr std::int64_t kUser = 7012345678;

class ServeProcess : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           fmt::format("pff-serve-proc-{}-{}", ::getpid(), std::to_string(GetParam()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    telegram_.AddPrivateChat(kUser, "Olena");
    telegram_.Start();

    port_ = testing::FreeLoopbackPort();
    ASSERT_GT(port_, 0);
    db_path_ = dir_ / "flow.db";
    log_path_ = dir_ / "serve.log";
    key_file_ = dir_ / "google-sa.json";
    testing::WriteServiceAccountKey(key_file_);

    std::string text = testing::LoopbackServeConfig(port_, telegram_.api_base_url());
    ReplaceLine(text, "mode = ", "mode = \"polling\"");
    // Stop waits for the getUpdates in flight.
    ReplaceLine(text, "polling_timeout_seconds = ", "polling_timeout_seconds = 1");
    config_path_ = dir_ / "config.toml";
    std::ofstream(config_path_) << text;

    secrets_ = {
        {std::string(config::kEnvPlanfixToken), kPlanfixToken},
        {std::string(config::kEnvTelegramBotToken), telegram_.token()},
        {std::string(config::kEnvPlanfixWebhookSecret), kPlanfixWebhookSecret},
        {std::string(config::kEnvGoogleWebhookSecret), kGoogleSecret},
        {std::string(config::kEnvGoogleSaKeyFile), key_file_.string()},
        {std::string(config::kEnvAdminToken), kAdminToken},
        {std::string(config::kEnvSigningKey), kSigningKey},
    };
  }

  void TearDown() override {
    process_.reset();  // killed if still running
    if (HasFailure()) std::cerr << "---- serve log ----\n" << ReadText(log_path_) << "----\n";
    fs::remove_all(dir_);
  }

  void Spawn() {
    ASSERT_NO_FATAL_FAILURE(process_->Spawn(
        {PLANFIX_FLOW_BINARY, "serve", "--config", config_path_.string()}, secrets_, log_path_));
  }

  std::string Url(const std::string& path) const {
    return fmt::format("http://127.0.0.1:{}{}", port_, path);
  }

  void WaitUntilReady(http::CurlHttpClient& http) {
    process_->WaitUntilReady(http, Url("/readyz"));
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
  std::optional<testing::ChildProcess> process_{std::in_place};
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
  ASSERT_TRUE(process_->Signal(signal));
  const auto status = process_->WaitForExit(seconds(30));
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
