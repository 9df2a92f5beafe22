// Communication time's report (issue 14) end to end: the real App syncs the sandbox Planfix's
// time entries into its database, and `planfix-flow report time` classifies, prices and
// orders them from there, with the shipped example config edited as an operator would.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/planfix_rates.h"
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
    text = text.substr(0, text.find("\n[time]")) +
           Replace(kTimeSection, "\n[time]\n", "\n[time]\n" + time_extra_);
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
    argv.reserve(all.size());
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
  std::string time_extra_;  // keys added to the report's [time] section
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

TEST_F(TimeReportFlow, HourlyRatesComeFromAPlanfixEmployeeFieldBelowTheConfigsOwn) {
  constexpr long long kRateField = 601;
  auto& planfix = world_->planfix;
  planfix.DefineUserField({kRateField, "Погодинна ставка", 0});
  planfix.AddUser({.id = 7, .name = "Олена", .custom_fields = {{kRateField, "999.00"}}});
  planfix.AddUser({.id = 9, .name = "Ігор", .custom_fields = {{kRateField, "450,50"}}});
  planfix.AddUser({.id = 10, .name = "Марія", .custom_fields = {{kRateField, "не знаю"}}});
  planfix.AddUser({.id = 11, .name = "Петро"});
  world_->config.time.rate_field = kRateField;
  time_extra_ = "rate_field = 601\n";
  Deal(3001, "Автоматизація лідів", 1500, 12);
  Entry(3001, "10-11-2026", 60, "user:9", "Комунікація");   // 450.50 from Planfix
  Entry(3001, "11-11-2026", 60, "user:7", "Комунікація");   // 600.00: time.rates wins over 999
  Entry(3001, "12-11-2026", 60, "user:10", "Виробництво");  // no readable rate: a problem
  StartAndSync(/*keep_running=*/true);
  const auto list_calls = [&] {
    std::size_t calls = 0;
    for (const auto& request : planfix.requests()) calls += request.path == "/rest/user/list";
    return calls;
  };
  EXPECT_EQ(list_calls(), 1U);
  // Read as exact minor units; Марія's unreadable value and Петро's empty field give none.
  EXPECT_EQ(
      StoredPlanfixRates(app_->database(), kRateField).per_employee,
      (std::map<std::string, std::int64_t, std::less<>>{{"user:7", 99900}, {"user:9", 45050}}));

  // Ігор's rate changes in Planfix: the next sync within the hour keeps the read it has, the
  // first one after the hour reads it again.
  planfix.AddUser({.id = 9, .name = "Ігор", .custom_fields = {{kRateField, 500}}});
  clock_->Advance(minutes(31));
  app_->RunUntilIdle();
  EXPECT_EQ(list_calls(), 1U);
  clock_->Advance(minutes(30));
  app_->RunUntilIdle();
  EXPECT_EQ(list_calls(), 2U);
  app_->Stop();

  auto [code, text] = Report({"time", "--month", "2026-11", "--format", "json"});
  ASSERT_EQ(code, kExitOk) << text;
  const json report = json::parse(text);
  ASSERT_EQ(report["deals"].size(), 1U) << report.dump(2);
  EXPECT_EQ(report["deals"][0]["communication"], (json{{"minutes", 120}, {"cost", 110000}}));
  EXPECT_EQ(report["deals"][0]["production"], (json{{"minutes", 0}, {"cost", 0}}));
  std::tie(code, text) = Report({"problems"});
  ASSERT_EQ(code, kExitOk) << text;
  EXPECT_NE(text.find("unknown employee user:10"), std::string::npos) << text;
}

// Issue 14's revenue from money actually received: invoices registered on Planfix tasks
// (issue 13), paid through the bank's webhook (the fake monobank), counted per deal.
class TimeRevenueFlow : public TimeReportFlow {
 protected:
  void SetUp() override {
    TimeReportFlow::SetUp();
    world_->EnableBank();
    auto& invoices = world_->config.invoices;
    invoices.enabled = true;
    invoices.fields = {.number = 211, .amount = 212, .due_date = 214};
    auto& planfix = world_->planfix;
    planfix.DefineTaskField({211, "Номер рахунку", 0});
    planfix.DefineTaskField({212, "Сума рахунку", 1});
    planfix.DefineTaskField({214, "Строк оплати", 3});
    for (const long long contact : {12, 13, 14}) {
      planfix.AddContact({.id = contact, .name = fmt::format("Клієнт {}", contact)});
    }
  }

  // The PM fills the invoice of `task` and presses "Invoice issued".
  void Invoice(long long task, const std::string& number, const std::string& amount) {
    auto stored = world_->planfix.task(task);
    ASSERT_TRUE(stored);
    stored->custom_fields[211] = number;
    stored->custom_fields[212] = json::parse(amount);
    stored->custom_fields[214] = json{{"date", "10-12-2026"}};
    world_->planfix.AddTask(*stored);
    auto answer = world_->PostPlanfix(
        app_->port(), {{"event", "invoice.issued"}, {"task", std::to_string(task)}});
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }

  // The client pays by bank transfer naming the invoice; the bank posts it to the webhook.
  void Pay(const std::string& id, long long kopecks, const std::string& purpose) {
    world_->bank.Book(kSandboxBankAccount,
                      {id, core::ToUnixSeconds(clock_->Now()), kopecks, 980, purpose});
    ASSERT_EQ(world_->bank.DeliverPending(), 1U);
    app_->RunUntilIdle();
  }

  static const json& DealLine(const json& report, long long deal) {
    for (const auto& line : report["deals"]) {
      if (line["deal"] == deal) return line;
    }
    ADD_FAILURE() << "no deal " << deal << " in " << report.dump(2);
    static const json none;
    return none;
  }
};

TEST_F(TimeRevenueFlow, MoneyReceivedForADealsInvoicesIsItsRevenueBesideItsAmount) {
  // Deal 3001 (1500.00) is invoiced on its subtask 3021 and paid in full.
  Deal(3001, "Автоматизація лідів", 1500, 12);
  world_->planfix.AddTask(
      {.id = 3021, .name = "Рахунок", .counterparty = "contact:12", .parent_id = 3001});
  Entry(3001, "10-11-2026", 240, "user:7", "Комунікація");  // 2400.00
  // Deal 3002 (10000.00) is invoiced on itself and paid in two parts so far.
  Deal(3002, "Сайт", 10000, 13);
  Entry(3002, "13-11-2026", 120, "user:8");  // 600.00
  // An invoice task that is no deal's, for a client with no deal this month.
  world_->planfix.AddTask(
      {.id = 3031, .name = "Рахунок за консультацію", .counterparty = "contact:14"});
  StartAndSync(/*keep_running=*/true);

  Invoice(3021, "A-101", "1500");
  Invoice(3002, "B-202", "10000");
  Invoice(3031, "C-303", "300");
  Pay("tx-a", 150000, "Оплата за рахунком A-101");
  Pay("tx-b1", 400000, "Оплата за рахунком B-202, частина 1");
  clock_->Advance(hours(1));
  Pay("tx-b2", 100000, "Оплата за рахунком B-202, частина 2");
  Pay("tx-c", 30000, "Оплата за рахунком C-303");
  // The bank repeats a delivery: the payment is still counted once.
  world_->bank.QueueEventAgain("tx-b2");
  ASSERT_EQ(world_->bank.DeliverPending(), 1U);
  app_->RunUntilIdle();
  ASSERT_EQ(app_->database().GetFlow("payment:monobank:tx-b2")->state, "matched");
  clock_->Advance(minutes(31));  // the next time sync reads the invoice tasks
  app_->RunUntilIdle();
  app_->Stop();

  auto [code, text] = Report({"time", "--month", "2026-11", "--format", "json"});
  ASSERT_EQ(code, kExitOk) << text;
  const json report = json::parse(text);
  const json& lost = DealLine(report, 3001);
  EXPECT_EQ(lost["amount"], 150000);
  EXPECT_EQ(lost["received"], 150000);
  EXPECT_EQ(lost["revenue_source"], "received");
  EXPECT_EQ(lost["margin"], 150000 - 240000);
  const json& site = DealLine(report, 3002);
  EXPECT_EQ(site["amount"], 1000000);
  EXPECT_EQ(site["received"], 500000);  // two payments, the repeated delivery once
  EXPECT_EQ(site["revenue"], 500000);
  EXPECT_EQ(site["revenue_source"], "received");
  EXPECT_EQ(site["margin"], 500000 - 60000);
  EXPECT_EQ(report["total"]["received"], 650000);
  EXPECT_EQ(report["total"]["amount"], 1150000);
  ASSERT_EQ(report["received_without_deal"].size(), 1U) << report.dump(2);
  EXPECT_EQ(report["received_without_deal"][0]["invoice_task"], 3031);
  EXPECT_EQ(report["received_without_deal"][0]["amount"], 30000);
  EXPECT_EQ(report["received_without_deal"][0]["client"], 14);
  EXPECT_EQ(report["received_without_deal"][0]["payment"], "payment:monobank:tx-c");

  // The table shows the amount and the received money side by side, and the margin's basis.
  std::tie(code, text) = Report({"time", "--month", "2026-11"});
  ASSERT_EQ(code, kExitOk) << text;
  EXPECT_NE(text.find("margin on"), std::string::npos) << text;
  const auto site_row =
      text.substr(text.find("#3002"), text.find('\n', text.find("#3002")) - text.find("#3002"));
  EXPECT_NE(site_row.find("10000.00      5000.00"), std::string::npos) << site_row;
  EXPECT_NE(site_row.find("4400.00  received"), std::string::npos) << site_row;
  EXPECT_NE(text.find("invoice task #3031  contact 14  300.00  payment:monobank:tx-c"),
            std::string::npos)
      << text;
  std::tie(code, text) = Report({"time", "--month", "2026-11", "--format", "csv"});
  ASSERT_EQ(code, kExitOk) << text;
  EXPECT_NE(text.find(",5000.00,received,600.00,4400.00,no,10000.00,5000.00,,,\n"),
            std::string::npos)
      << text;

  // October knew nothing of November's money.
  std::tie(code, text) = Report({"time", "--month", "2026-10", "--format", "json"});
  ASSERT_EQ(code, kExitOk) << text;
  EXPECT_TRUE(json::parse(text)["deals"].empty()) << text;
  EXPECT_TRUE(json::parse(text)["received_without_deal"].empty()) << text;
}

TEST_F(TimeRevenueFlow, APaymentForAnInvoiceOutsideADealCountsForItsClientsOneDealOfTheMonth) {
  Deal(3002, "Сайт", 10000, 13);
  Entry(3002, "13-11-2026", 120, "user:8");
  // The accountant's invoice task for client 13, not under the deal.
  world_->planfix.AddTask({.id = 3041, .name = "Рахунок", .counterparty = "contact:13"});
  StartAndSync(/*keep_running=*/true);
  Invoice(3041, "D-404", "2500");
  Pay("tx-d", 250000, "D-404");
  clock_->Advance(minutes(31));
  app_->RunUntilIdle();
  app_->Stop();
  auto [code, text] = Report({"time", "--month", "2026-11", "--format", "json"});
  ASSERT_EQ(code, kExitOk) << text;
  const json report = json::parse(text);
  EXPECT_EQ(DealLine(report, 3002)["received"], 250000);
  EXPECT_EQ(DealLine(report, 3002)["margin"], 250000 - 60000);
  EXPECT_TRUE(report["received_without_deal"].empty()) << report.dump(2);
}

}  // namespace
}  // namespace planfix_flow::app
