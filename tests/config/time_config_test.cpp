// The [time] section (issue 14): read, and every bad value named by its key path.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "planfix_flow/config/config.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/sandbox/fake_google.h"

namespace planfix_flow::config {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir(PLANFIX_FLOW_SOURCE_DIR);

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no " << from;
    return text;
  }
  return text.replace(at, from.size(), to);
}

class TimeConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::path(testing::TempDir()) /
           fmt::format("planfix-flow-time-config-{}-{}", ::getpid(), info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const fs::path key_file = dir_ / "google-sa.json";
    std::ofstream(key_file) << google::ServiceAccountKeyJson(google::ServiceAccountKey{
        "service_account", "agency", "key-1", sandbox::TestRsaKeyPair().private_key_pem,
        "flow@agency.iam.gserviceaccount.com", google::kGoogleTokenUri});
    env_ = {{std::string(kEnvPlanfixToken), "pf-token-s3cr3t-aaaaaaaa"},
            {std::string(kEnvTelegramBotToken), "123456:bot-token-s3cr3t-bbbbbbbb"},
            {std::string(kEnvTelegramWebhookSecret), "tg-webhook-s3cr3t-cccccccc"},
            {std::string(kEnvPlanfixWebhookSecret), "pf-webhook-s3cr3t-dddddddd"},
            {std::string(kEnvGoogleWebhookSecret), "google-webhook-s3cr3t-eeeeeeee"},
            {std::string(kEnvGoogleSaKeyFile), key_file.string()},
            {std::string(kEnvAdminToken), "admin-token-s3cr3t-ffffffff"},
            {std::string(kEnvSigningKey), "signing-key-s3cr3t-gggggggggggggggggggg"}};
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The shipped example after `edit` of its [time] part (and the paths an install has).
  ConfigLoadResult Load(const std::function<std::string(std::string)>& edit) {
    std::string text = ReadText(kSourceDir / "deploy" / "config.example.toml");
    text = Replace(text, "dir = \"../templates\"",
                   "dir = \"" + (kSourceDir / "templates").string() + "\"");
    text = Replace(text, "path = \"/var/lib/planfix-flow/planfix-flow.db\"",
                   "path = \"" + (dir_ / "planfix-flow.db").string() + "\"");
    const auto time = text.find("\n[time]");
    EXPECT_NE(time, std::string::npos);
    text = text.substr(0, time) + edit(text.substr(time));
    const fs::path path = dir_ / "config.toml";
    std::ofstream(path, std::ios::binary) << text;
    return LoadConfig(path, env_);
  }

  static std::string Problems(const ConfigLoadResult& result) {
    std::string all;
    for (const auto& problem : result.problems) all += problem.ToString() + "\n";
    return all;
  }

  fs::path dir_;
  Environment env_;
};

TEST_F(TimeConfigTest, TheExampleReadsAsTimeOffWithItsRulesAndRates) {
  const auto result = Load([](std::string text) { return text; });
  ASSERT_TRUE(result.ok()) << Problems(result);
  const TimeConfig& time = result.config->time;
  EXPECT_EQ(time.data_tag, 0);
  EXPECT_EQ(time.sync_interval_minutes, 30);
  EXPECT_EQ(time.sync_window_days, 45);
  EXPECT_EQ(time.default_rate, "400.00");
  EXPECT_EQ(time.currency, "UAH");
  EXPECT_EQ(time.classify.communication_kinds, (std::vector<std::string>{"Комунікація", "Продаж"}));
  EXPECT_EQ(time.classify.fallback, "production");
  EXPECT_EQ(time.automation_minutes.at("brief"), 10);
}

TEST_F(TimeConfigTest, ADataTagNeedsItsFieldsAndReadsThemAll) {
  auto result =
      Load([](std::string text) { return Replace(text, "data_tag = 0", "data_tag = 50"); });
  const std::string problems = Problems(result);
  EXPECT_NE(problems.find("time.fields.employee: is required when time.data_tag is set"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("time.fields.duration: time.fields.duration or time.fields.period"),
            std::string::npos)
      << problems;
  EXPECT_NE(problems.find("time.fields.date: time.fields.date or a time.fields.period"),
            std::string::npos)
      << problems;

  result = Load([](std::string text) {
    text = Replace(text, "data_tag = 0", "data_tag = 50");
    text = Replace(text, "date = 0", "date = 501");
    text = Replace(text, "duration = 0", "duration = 502");
    text = Replace(text, "duration_unit = \"minutes\"", "duration_unit = \"hours\"");
    text = Replace(text, "employee = 0", "employee = 503");
    text =
        Replace(text, "# \"user:5\" = \"650.00\"", "\"user:5\" = \"650.50\"\n\"user:6\" = \"0\"");
    text = Replace(text, "communication_processes = []", "communication_processes = [7, 8]");
    text = Replace(text, "fallback = \"production\"", "fallback = \"communication\"");
    return text;
  });
  ASSERT_TRUE(result.ok()) << Problems(result);
  const TimeConfig& time = result.config->time;
  EXPECT_EQ(time.data_tag, 50);
  EXPECT_EQ(time.fields.date, 501);
  EXPECT_EQ(time.fields.duration, 502);
  EXPECT_EQ(time.fields.duration_unit, "hours");
  EXPECT_EQ(time.fields.employee, 503);
  EXPECT_EQ(time.rates.at("user:5"), "650.50");
  EXPECT_EQ(time.rates.at("user:6"), "0");
  EXPECT_EQ(time.classify.communication_processes, (std::vector<std::int64_t>{7, 8}));
  EXPECT_EQ(time.classify.fallback, "communication");
}

TEST_F(TimeConfigTest, EveryBadValueIsNamedByItsKeyPath) {
  const auto result = Load([](std::string text) {
    text = Replace(text, "sync_interval_minutes = 30", "sync_interval_minutes = 0");
    text = Replace(text, "sync_window_days = 45", "sync_window_days = 400");
    text = Replace(text, "default_rate = \"400.00\"", "default_rate = \"400,00\"");
    text = Replace(text, "duration_unit = \"minutes\"", "duration_unit = \"days\"");
    text = Replace(text, "# \"user:5\" = \"650.00\"", "\"anna\" = \"650\"\n\"user:7\" = \"-1\"");
    text = Replace(text, "fallback = \"production\"", "fallback = \"sales\"");
    text = Replace(text, "brief = 10", "brief = 241");
    text = Replace(text, "communication_templates = []", "communication_templates = [\"x\"]");
    text = Replace(text, "\n[time.classify]", "\n[time.classify]\nkinds = []");
    return text;
  });
  const std::string problems = Problems(result);
  for (const char* expected : {
           "time.sync_interval_minutes: 0 is out of range 1..1440",
           "time.sync_window_days: 400 is out of range 1..366",
           "time.default_rate: \"400,00\" is not an hourly rate",
           "time.fields.duration_unit: \"days\" is not one of: minutes, hours",
           "time.rates.\"anna\": the key must be an employee id such as \"user:5\"",
           "time.rates.\"user:7\": \"-1\" is not an hourly rate",
           "time.classify.fallback: \"sales\" is not one of: communication, production",
           "time.automation_minutes.brief: 241 is out of range 0..240",
           "time.classify.communication_templates[0]: expected an integer",
           "time.classify.kinds: unknown key",
       }) {
    EXPECT_NE(problems.find(expected), std::string::npos) << expected << "\n" << problems;
  }
}

TEST_F(TimeConfigTest, ARateFieldInPlanfixIsReadAndEnoughToPriceTime) {
  auto result = Load([](std::string text) {
    text = Replace(text, "data_tag = 0", "data_tag = 50");
    text = Replace(text, "date = 0", "date = 501");
    text = Replace(text, "duration = 0", "duration = 502");
    text = Replace(text, "employee = 0", "employee = 503");
    text = Replace(text, "default_rate = \"400.00\"\n", "");  // no default, no [time.rates]
    text = Replace(text, "rate_field = 0", "rate_field = 601");
    return text;
  });
  ASSERT_TRUE(result.ok()) << Problems(result);
  EXPECT_EQ(result.config->time.rate_field, 601);

  result =
      Load([](std::string text) { return Replace(text, "rate_field = 0", "rate_field = -4"); });
  EXPECT_NE(Problems(result).find("time.rate_field: -4 is not a valid id (must be > 0)"),
            std::string::npos)
      << Problems(result);
  result = Load([](std::string text) {
    text = Replace(text, "data_tag = 0", "data_tag = 50");
    return Replace(text, "default_rate = \"400.00\"\n", "");
  });
  EXPECT_NE(Problems(result).find(
                "time.default_rate: time.default_rate, time.rates or time.rate_field is required"),
            std::string::npos)
      << Problems(result);
}

}  // namespace
}  // namespace planfix_flow::config
