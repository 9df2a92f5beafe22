// Communication time's report (issue 14) end to end: the real App syncs the sandbox Planfix's
// time entries into its database, and `planfix-flow report time` classifies, prices and
// orders them from there, with the shipped example config edited as an operator would.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/cli.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/sandbox/fake_google.h"

namespace planfix_flow::app {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Monday 2026-11-30 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800 + 7 * 24 * 3600);
const fs::path kSourceDir(PLANFIX_FLOW_SOURCE_DIR);
constexpr long long kTag = 50;
constexpr long long kDate = 501;
constexpr long long kDuration = 502;
constexpr long long kEmployee = 503;
constexpr long long kKind = 504;
constexpr long long kDealProcess = 1;
constexpr long long kCommunicationProcess = 2;
constexpr long long kAmountField = 202;  // the sandbox's planfix.task_fields.amount

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << from;
    return text;
  }
  return text.replace(at, from.size(), to);
}

// The [time] part as the operator writes it (the same in the App's config below).
constexpr char kTimeSection[] = R"(
[time]
data_tag = 50
alert_share_percent = 30
sync_interval_minutes = 30
sync_window_days = 45
currency = "UAH"

[time.fields]
date = 501
duration = 502
employee = 503
kind = 504

[time.rates]
"user:7" = "600.00"
"user:8" = "300.00"

[time.classify]
communication_kinds = ["Комунікація"]
production_kinds = ["Виробництво"]
communication_processes = [2]

[time.automation_minutes]
brief = 10
reminder = 5
)";

class TimeReportFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    auto& planfix = world_->planfix;
    planfix.DefineDataTag(kTag, "Фактичний час роботи",
                          {{kDate, "Дата", 3},
                           {kDuration, "Хвилини", 1},
                           {kEmployee, "Співробітник", 11},
                           {kKind, "Вид роботи", 8, {"Комунікація", "Виробництво"}}});
    auto& config = world_->config;
    config.storage.path = (dir_.path() / "flow.db").string();
    config.planfix.processes.deal = kDealProcess;
    auto& time = config.time;
    time.data_tag = kTag;
    time.fields = {.date = kDate, .duration = kDuration, .employee = kEmployee, .kind = kKind};
    time.rates = {{"user:7", "600.00"}, {"user:8", "300.00"}};
    time.classify.communication_kinds = {"Комунікація"};
    time.classify.production_kinds = {"Виробництво"};
    time.classify.communication_processes = {kCommunicationProcess};
    time.automation_minutes = {{"brief", 10}, {"reminder", 5}};
    time.alert_share_percent = 30;
  }

  void StartAndSync(bool keep_running = false) {
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set);
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
    app_->RunUntilIdle();
    if (!keep_running) app_->Stop();  // the report reads the database as another process would
  }

  std::vector<std::string> StaffMessages() const {
    std::vector<std::string> out;
    for (const auto& message : world_->telegram.Messages(world_->config.telegram.staff_chat_id)) {
      out.push_back(message.text);
    }
    return out;
  }

  long long Deal(long long id, const std::string& name, long long amount, long long client) {
    return world_->planfix.AddTask({.id = id,
                                    .name = name,
                                    .process_id = kDealProcess,
                                    .counterparty = fmt::format("contact:{}", client),
                                    .custom_fields = {{kAmountField, amount}}});
  }

  void Entry(long long task, const std::string& date, long long worked, const std::string& employee,
             const std::string& kind = "") {
    std::map<long long, json> fields{
        {kDate, {{"date", date}}}, {kDuration, worked}, {kEmployee, {{"id", employee}}}};
    if (!kind.empty()) fields[kKind] = kind;
    world_->planfix.AddDataTagEntryDirectly(kTag, task, std::move(fields));
  }

  // `planfix-flow report ...` with the shipped example config, edited to this installation.
  std::pair<int, std::string> Report(std::vector<std::string> args) {
    std::string text;
    {
      std::ifstream in(kSourceDir / "deploy" / "config.example.toml", std::ios::binary);
      std::ostringstream buffer;
      buffer << in.rdbuf();
      text = buffer.str();
    }
    text = Replace(text, "dir = \"../templates\"",
                   "dir = \"" + (kSourceDir / "templates").string() + "\"");
    text = Replace(text, "path = \"/var/lib/planfix-flow/planfix-flow.db\"",
                   "path = \"" + world_->config.storage.path + "\"");
    text = Replace(text, "\ndeal = 0\n", fmt::format("\ndeal = {}\n", kDealProcess));
    text = Replace(text, "amount = 102", fmt::format("amount = {}", kAmountField));
    text = text.substr(0, text.find("\n[time]")) + kTimeSection;
    const fs::path config = dir_.path() / "config.toml";
    std::ofstream(config, std::ios::binary) << text;
    const fs::path key_file = dir_.path() / "report-sa.json";
    std::ofstream(key_file) << google::ServiceAccountKeyJson(google::ServiceAccountKey{
        "service_account", "agency", "key-1", sandbox::TestRsaKeyPair().private_key_pem,
        "flow@agency.iam.gserviceaccount.com", google::kGoogleTokenUri});
    const config::Environment env = {
        {std::string(config::kEnvPlanfixToken), "pf-token-s3cr3t-aaaaaaaa"},
        {std::string(config::kEnvTelegramBotToken), "123456:bot-token-s3cr3t-bbbbbbbb"},
        {std::string(config::kEnvTelegramWebhookSecret), "tg-webhook-s3cr3t-cccccccc"},
        {std::string(config::kEnvPlanfixWebhookSecret), "pf-webhook-s3cr3t-dddddddd"},
        {std::string(config::kEnvGoogleWebhookSecret), "google-webhook-s3cr3t-eeeeeeee"},
        {std::string(config::kEnvGoogleSaKeyFile), key_file.string()},
        {std::string(config::kEnvAdminToken), "admin-token-s3cr3t-ffffffff"},
        {std::string(config::kEnvSigningKey), "signing-key-s3cr3t-gggggggggggggggggggg"}};
    std::vector<std::string> all = {"planfix-flow", "report"};
    all.insert(all.end(), args.begin(), args.end());
    all.insert(all.end(), {"-c", config.string()});
    std::vector<const char*> argv;
    for (const auto& arg : all) argv.push_back(arg.c_str());
    std::ostringstream out;
    std::ostringstream err;
    const int code = RunCli(static_cast<int>(argv.size()), argv.data(), out, err, env);
    return {code, code == kExitOk ? out.str() : err.str()};
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
};

TEST_F(TimeReportFlow, ADealWhoseSaleTookLongerThanItsWorkTopsTheReportWithItsLoss) {
  // Ten minutes of work, sold for 1500.00 after four hours of communication, logged on the
  // deal's "Communication" subtask: a loss.
  Deal(3001, "Автоматизація лідів", 1500, 12);
  world_->planfix.AddTask(
      {.id = 3011, .name = "Комунікація", .process_id = kCommunicationProcess, .parent_id = 3001});
  Entry(3011, "10-11-2026", 240, "user:7");
  Entry(3001, "12-11-2026", 10, "user:8", "Виробництво");
  // A healthy deal: two hours of work, half an hour of calls (by kind), 10000.00.
  Deal(3002, "Сайт", 10000, 13);
  Entry(3002, "13-11-2026", 120, "user:8");
  Entry(3002, "14-11-2026", 30, "user:7", "Комунікація");
  // December's time is not November's.
  Entry(3002, "01-12-2026", 60, "user:8");
  StartAndSync();

  auto [code, text] = Report({"time", "--month", "2026-11", "--format", "json"});
  ASSERT_EQ(code, kExitOk) << text;
  const json report = json::parse(text);
  ASSERT_EQ(report["deals"].size(), 2u) << report.dump(2);
  const json& loss = report["deals"][0];
  EXPECT_EQ(loss["deal"], 3001);
  EXPECT_EQ(loss["client"], 12);
  EXPECT_EQ(loss["communication"], (json{{"minutes", 240}, {"cost", 240000}}));  // 4 h × 600
  EXPECT_EQ(loss["production"], (json{{"minutes", 10}, {"cost", 5000}}));        // 10 min × 300
  EXPECT_EQ(loss["revenue"], 150000);
  EXPECT_EQ(loss["margin"], 150000 - 245000);
  EXPECT_EQ(loss["communication_over_production"], true);
  EXPECT_EQ(loss["comm_prod_ratio_hundredths"], 2400);
  const json& healthy = report["deals"][1];
  EXPECT_EQ(healthy["deal"], 3002);
  EXPECT_EQ(healthy["communication"], (json{{"minutes", 30}, {"cost", 30000}}));
  EXPECT_EQ(healthy["production"], (json{{"minutes", 120}, {"cost", 60000}}));
  EXPECT_EQ(healthy["margin"], 1000000 - 90000);
  EXPECT_EQ(report["total"]["communication"], (json{{"minutes", 270}, {"cost", 270000}}));
  EXPECT_EQ(report["total"]["production"], (json{{"minutes", 130}, {"cost", 65000}}));
  EXPECT_EQ(report["total"]["revenue"], 1150000);

  // One client only; and the table names the loss first too.
  std::tie(code, text) =
      Report({"time", "--month", "2026-11", "--client", "13", "--format", "json"});
  ASSERT_EQ(code, kExitOk) << text;
  EXPECT_EQ(json::parse(text)["deals"].size(), 1u);
  std::tie(code, text) = Report({"time", "--month", "2026-11"});
  ASSERT_EQ(code, kExitOk) << text;
  EXPECT_LT(text.find("3001"), text.find("3002")) << text;
  EXPECT_NE(text.find("-950.00"), std::string::npos) << text;
}

TEST_F(TimeReportFlow, ADealWhoseCommunicationPassedItsShareIsAnnouncedOnce) {
  Deal(3001, "Автоматизація лідів", 1500, 12);
  Entry(3001, "10-11-2026", 240, "user:7", "Комунікація");  // 2400.00 of 1500.00
  Deal(3002, "Сайт", 10000, 13);
  Entry(3002, "13-11-2026", 30, "user:7", "Комунікація");  // 300.00 of 10000.00: 3 %
  StartAndSync(/*keep_running=*/true);
  auto staff = StaffMessages();
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_NE(staff[0].find("#3001"), std::string::npos) << staff[0];
  EXPECT_NE(staff[0].find("2400.00 UAH"), std::string::npos) << staff[0];
  EXPECT_NE(staff[0].find("1500.00 UAH"), std::string::npos) << staff[0];
  EXPECT_NE(staff[0].find("30%"), std::string::npos) << staff[0];
  const auto comments = world_->planfix.comments(3001);
  ASSERT_FALSE(comments.empty());
  EXPECT_NE(comments.back().description.find("2400.00"), std::string::npos);
  EXPECT_TRUE(world_->planfix.comments(3002).empty() ||
              world_->planfix.comments(3002).back().description.find("UAH") == std::string::npos);

  // More time later: still one alert for the deal; the other deal passes its share now.
  Entry(3001, "11-11-2026", 60, "user:7", "Комунікація");
  Entry(3002, "14-11-2026", 300, "user:7", "Комунікація");  // 3300.00 of 10000.00: 33 %
  clock_->Advance(minutes(30));
  app_->RunUntilIdle();
  staff = StaffMessages();
  ASSERT_EQ(staff.size(), 2u);
  EXPECT_NE(staff[1].find("#3002"), std::string::npos) << staff[1];
  EXPECT_NE(staff[1].find("3300.00 UAH"), std::string::npos) << staff[1];
  app_->Stop();
}

TEST_F(TimeReportFlow, ProblemsAreListedWithTheirReasonAndABadMonthIsAUsageError) {
  Deal(3001, "Автоматизація лідів", 1500, 12);
  Entry(3001, "10-11-2026", -30, "user:7");
  Entry(3001, "10-11-2026", 30, "user:9");
  StartAndSync();
  auto [code, text] = Report({"problems"});
  ASSERT_EQ(code, kExitOk) << text;
  // An entry that does not parse has no date the service trusts.
  EXPECT_NE(text.find("task 3001  (no date)  the duration is negative (-30 minutes)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("unknown employee user:9"), std::string::npos) << text;
  std::tie(code, text) = Report({"time", "--month", "2026-13"});
  EXPECT_EQ(code, kExitUsage);
  EXPECT_NE(text.find("\"2026-13\" is not a month (YYYY-MM)"), std::string::npos) << text;
}

TEST_F(TimeReportFlow, TimeSavedByAutomationCountsEachClientMessageApartFromPeoplesTime) {
  // The PM sends the brief on Monday 30 November; the client does not fill it, so the service
  // reminds them on Wednesday 2 December: one brief in November, one reminder in December.
  const auto client = world_->AddClient("ТОВ Ромашка", "olena@romashka.ua", "+380501234567", 9001);
  Entry(client.task, "30-11-2026", 30, "user:7", "Комунікація");  // a call, by a person
  StartAndSync(/*keep_running=*/true);
  auto answer = world_->PostPlanfix(
      app_->port(), {{"event", "brief.send"}, {"task", std::to_string(client.task)}, {"at", "1"}});
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  app_->RunUntilIdle();
  for (int hour = 0; hour < 72; ++hour) {
    clock_->Advance(hours(1));
    app_->RunUntilIdle();
  }
  // The client got the brief and one reminder, both on the PM's behalf.
  ASSERT_EQ(world_->telegram.Messages(9001).size(), 2u);
  app_->Stop();

  auto [code, text] = Report({"time", "--month", "2026-11", "--format", "json"});
  ASSERT_EQ(code, kExitOk) << text;
  json report = json::parse(text);
  ASSERT_EQ(report["deals"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["deals"][0]["deal"], client.task);
  EXPECT_EQ(report["deals"][0]["saved_minutes"], 10);  // the brief: 10 minutes
  // People's time stays what they recorded: the saving is never added to it.
  EXPECT_EQ(report["deals"][0]["communication"], (json{{"minutes", 30}, {"cost", 30000}}));
  EXPECT_EQ(report["total"]["saved_minutes"], 10);
  EXPECT_EQ(report["total"]["communication"]["minutes"], 30);

  std::tie(code, text) = Report({"time", "--month", "2026-12", "--format", "json"});
  ASSERT_EQ(code, kExitOk) << text;
  report = json::parse(text);
  ASSERT_EQ(report["deals"].size(), 1u) << report.dump(2);
  EXPECT_EQ(report["deals"][0]["saved_minutes"], 5);  // the reminder: 5 minutes
  EXPECT_EQ(report["deals"][0]["communication"]["minutes"], 0);
  EXPECT_EQ(report["total"]["saved_minutes"], 5);
}

}  // namespace
}  // namespace planfix_flow::app
