// Issue 13, "kill -9 in the middle" of the month's run (the crash harness pattern): the real
// `planfix-flow serve` binary runs the monthly report against the Planfix fake on loopback and
// is killed with SIGKILL while it creates the report tasks, several times at random moments,
// then restarted on the same database. Afterwards every retainer deal has exactly one report
// task for the month, whatever create was in flight when a kill came.
// REPORT_CRASH_TEST_SEED=<n> repeats a run's kill moments.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "app/serve_process_util.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_planfix.h"
#include "planfix_flow/sandbox/fake_telegram.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/workflow/report.h"

namespace planfix_flow::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using testing::ReadText;
using testing::ReplaceLine;

constexpr const char* kPlanfixToken = "crash-report-pf-token-s3cr3t";
constexpr int kDeals = 12;
constexpr int kKills = 3;
constexpr long long kDealTemplate = 401;
constexpr long long kReportTemplate = 402;
constexpr long long kRetainerField = 230;
constexpr long long kProcess = 1;
constexpr char kMonth[] = "2026-12";

sandbox::FakePlanfixOptions PlanfixOptions() {
  sandbox::FakePlanfixOptions options;
  options.tokens = {{kPlanfixToken, {}, true}};
  options.min_interval = milliseconds(100);
  return options;
}

class ReportCrash : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("pff-report-crash-{}", ::getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    planfix_.Start();
    telegram_.Start();
    planfix_.DefineProcess(kProcess, {{3, "Передано у виробництво"}, {5, "У виробництві"}});
    planfix_.DefineTaskField({kRetainerField, "Щомісячний ретейнер", 7});
    planfix_.DefineTaskTemplate(kDealTemplate, "Угода");
    planfix_.DefineTaskTemplate(kReportTemplate, "Звіт і оплата");
    for (int i = 0; i < kDeals; ++i) {
      const long long contact = planfix_.AddContact({.name = fmt::format("Клієнт {}", i)});
      const long long deal = planfix_.AddTask({.name = fmt::format("Ретейнер {}", i),
                                               .process_id = kProcess,
                                               .project_id = 77,
                                               .counterparty = fmt::format("contact:{}", contact),
                                               .assigner = "user:1",
                                               .assignees = {"user:7"},
                                               .custom_fields = {{kRetainerField, true}},
                                               .template_id = kDealTemplate});
      deals_[deal] = contact;
    }

    port_ = testing::FreeLoopbackPort();
    ASSERT_GT(port_, 0);
    log_path_ = dir_ / "serve.log";
    key_file_ = dir_ / "google-sa.json";
    testing::WriteServiceAccountKey(key_file_);
    std::string text = testing::LoopbackServeConfig(port_, telegram_.api_base_url());
    ReplaceLine(text, "mode = ", "mode = \"polling\"");
    ReplaceLine(text, "polling_timeout_seconds = ", "polling_timeout_seconds = 1");
    ReplaceLine(text, "base_url = \"http://127.0.0.1:1/rest/\"",
                "base_url = \"" + planfix_.rest_url() + "/\"");
    ReplaceLine(text, "min_interval_ms = ", "min_interval_ms = 150");
    ReplaceLine(text, "#[report]", "[report]");
    ReplaceLine(text, "#deal_template_id = 0", fmt::format("deal_template_id = {}", kDealTemplate));
    ReplaceLine(text, "#retainer_field = 0", fmt::format("retainer_field = {}", kRetainerField));
    ReplaceLine(text, "#template_id = 0", fmt::format("template_id = {}", kReportTemplate));
    ReplaceLine(text, "#process_id = 0", fmt::format("process_id = {}", kProcess));
    config_path_ = dir_ / "config.toml";
    std::ofstream(config_path_) << text;
    secrets_ = {
        {std::string(config::kEnvPlanfixToken), kPlanfixToken},
        {std::string(config::kEnvTelegramBotToken), telegram_.token()},
        {std::string(config::kEnvPlanfixWebhookSecret), "crash-report-pf-webhook-s3cr3t"},
        {std::string(config::kEnvGoogleWebhookSecret), "crash-report-google-s3cr3t"},
        {std::string(config::kEnvGoogleSaKeyFile), key_file_.string()},
        {std::string(config::kEnvAdminToken), "crash-report-admin-s3cr3t"},
        {std::string(config::kEnvSigningKey), "crash-report-signing-key-s3cr3t-0123456789"},
    };

    // The month's run is due: its timer fired (as a run missed while the service was down).
    storage::DatabaseOptions options;
    options.path = (dir_ / "flow.db").string();
    storage::Database database(options);
    storage::NewEvent run;
    run.source = storage::EventSource::kTimer;
    run.dedupe_key = "timer:report.run:crash";
    run.kind = workflow::kEventReportRun;
    run.payload = json{{"month", kMonth}}.dump();
    run.received_at = core::SystemClock().Now();
    ASSERT_TRUE(database.AppendEvent(run));
  }

  void TearDown() override {
    process_.reset();  // killed if still running
    if (HasFailure()) std::cerr << "---- serve log ----\n" << ReadText(log_path_) << "----\n";
    fs::remove_all(dir_);
  }

  void Spawn() {
    ASSERT_NO_FATAL_FAILURE(
        process_->Spawn({PLANFIX_FLOW_BINARY, "serve", "--config", config_path_.string()}, secrets_,
                        log_path_, testing::LogMode::kAppend));
    http::CurlHttpClient http;
    process_->WaitUntilReady(http, fmt::format("http://127.0.0.1:{}/readyz", port_));
  }

  // The report tasks Planfix was asked to create (and created), by counterparty.
  std::map<std::string, int> Creates() const {
    std::map<std::string, int> creates;
    for (const auto& write : planfix_.writes()) {
      if (write.path == "/rest/task/" && write.status == 201)
        ++creates[write.body["counterparty"]["id"].get<std::string>()];
    }
    return creates;
  }
  int CreateCount() const {
    int count = 0;
    for (const auto& [counterparty, n] : Creates()) count += n;
    return count;
  }

  sandbox::FakePlanfix planfix_{PlanfixOptions()};
  sandbox::FakeTelegram telegram_;
  std::map<long long, long long> deals_;  // deal -> contact
  fs::path dir_;
  fs::path log_path_;
  fs::path key_file_;
  fs::path config_path_;
  std::map<std::string, std::string> secrets_;
  int port_ = 0;
  std::optional<testing::ChildProcess> process_{std::in_place};
};

TEST_F(ReportCrash, KillNineDuringTheMonthsRunLeavesExactlyOneReportTaskPerRetainerDeal) {
  const char* seed_text = std::getenv("REPORT_CRASH_TEST_SEED");
  const auto seed =
      seed_text != nullptr ? std::strtoull(seed_text, nullptr, 10) : std::random_device{}();
  std::cerr << "REPORT_CRASH_TEST_SEED=" << seed << "\n";
  std::mt19937_64 random(seed);

  for (int round = 0; round < kKills; ++round) {
    ASSERT_NO_FATAL_FAILURE(Spawn());
    // Wait for at least one more create, then a random moment within the next creates.
    const int before = CreateCount();
    const auto deadline = steady_clock::now() + seconds(30);
    while (CreateCount() <= before) {
      ASSERT_LT(steady_clock::now(), deadline) << "round " << round << ": no create in 30 s";
      std::this_thread::sleep_for(milliseconds(5));
    }
    std::this_thread::sleep_for(milliseconds(std::uniform_int_distribution<int>(0, 400)(random)));
    ASSERT_TRUE(process_->Signal(SIGKILL));
    const auto status = process_->WaitForExit(seconds(10));
    ASSERT_TRUE(status) << "not gone 10 s after SIGKILL";
    ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL);
    if (CreateCount() >= kDeals) break;  // the run finished before the kill
  }

  // The last start finishes the run: every deal's report task exists with its summary comment
  // (the fake numbers new tasks after the deals).
  ASSERT_NO_FATAL_FAILURE(Spawn());
  const long long first_new = deals_.rbegin()->first + 1;
  const auto deadline = steady_clock::now() + seconds(90);
  for (;;) {
    std::size_t summarised = 0;
    for (long long id = first_new; id < first_new + 3 * kDeals; ++id) {
      const auto task = planfix_.task(id);
      if (task && task->template_id == kReportTemplate && !planfix_.comments(id).empty())
        ++summarised;
    }
    if (summarised >= deals_.size()) break;
    ASSERT_LT(steady_clock::now(), deadline) << summarised << " of " << deals_.size() << " done";
    std::this_thread::sleep_for(milliseconds(100));
  }
  ASSERT_TRUE(process_->Signal(SIGTERM));
  ASSERT_TRUE(process_->WaitForExit(seconds(30)));

  const auto creates = Creates();
  EXPECT_EQ(creates.size(), deals_.size());
  for (const auto& [deal, contact] : deals_) {
    const auto it = creates.find(fmt::format("contact:{}", contact));
    ASSERT_NE(it, creates.end()) << "no report task for deal " << deal;
    EXPECT_EQ(it->second, 1) << "report tasks for deal " << deal;
  }
  storage::DatabaseOptions options;
  options.path = (dir_ / "flow.db").string();
  storage::Database database(options);
  std::set<std::int64_t> tasks;
  for (const auto& [deal, contact] : deals_) {
    const auto flow = database.GetFlow(workflow::ReportFlowKey(deal, kMonth));
    ASSERT_TRUE(flow);
    const auto task = json::parse(flow->data).at("report_task").get<std::int64_t>();
    tasks.insert(task);
    EXPECT_EQ(planfix_.task(task)->template_id, kReportTemplate);
    EXPECT_EQ(flow->state, "created");
  }
  EXPECT_EQ(tasks.size(), deals_.size());
}

}  // namespace
}  // namespace planfix_flow::app
