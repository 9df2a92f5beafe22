#include "planfix_flow/config/config.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/sandbox/fake_google.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "planfix_flow/app/cli.h"

namespace planfix_flow::config {
namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir(PLANFIX_FLOW_SOURCE_DIR);
const fs::path kExample = kSourceDir / "deploy" / "config.example.toml";

// Secret values distinctive enough to search for in any output.
constexpr const char* kPlanfixToken = "pf-token-s3cr3t-aaaaaaaa";
constexpr const char* kBotToken = "123456:bot-token-s3cr3t-bbbbbbbb";
constexpr const char* kTelegramSecret = "tg-webhook-s3cr3t-cccccccc";
constexpr const char* kPlanfixWebhookSecret = "pf-webhook-s3cr3t-dddddddd";
constexpr const char* kGoogleSecret = "google-webhook-s3cr3t-eeeeeeee";
constexpr const char* kAdminToken = "admin-token-s3cr3t-ffffffff";
constexpr const char* kSigningKey = "signing-key-s3cr3t-gggggggggggggggggggg";

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void WriteText(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Replaces the one line that starts with `line_start` (the example's own line) with
// `replacement` ("" deletes it); fails the test if there is no such line.
std::string ReplaceLine(std::string text, const std::string& line_start,
                        const std::string& replacement) {
  const auto at = text.find("\n" + line_start);
  if (at == std::string::npos) {
    ADD_FAILURE() << "no line starting with " << line_start;
    return text;
  }
  const auto end = text.find('\n', at + 1);
  text.replace(at + 1, end - at - 1, replacement);
  return text;
}

// A scratch directory with a service-account key, removed afterwards.
class ConfigTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    // Unique per process: several checkouts may run this suite at the same time.
    dir_ = fs::path(testing::TempDir()) /
           fmt::format("planfix-flow-config-{}-{}", ::getpid(), info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    key_file_ = dir_ / "google-sa.json";
    WriteText(key_file_,
              google::ServiceAccountKeyJson(google::ServiceAccountKey{
                  "service_account", "agency", "key-1", sandbox::TestRsaKeyPair().private_key_pem,
                  "flow@agency.iam.gserviceaccount.com", google::kGoogleTokenUri}));
    env_ = {
        {std::string(kEnvPlanfixToken), kPlanfixToken},
        {std::string(kEnvTelegramBotToken), kBotToken},
        {std::string(kEnvTelegramWebhookSecret), kTelegramSecret},
        {std::string(kEnvPlanfixWebhookSecret), kPlanfixWebhookSecret},
        {std::string(kEnvGoogleWebhookSecret), kGoogleSecret},
        {std::string(kEnvGoogleSaKeyFile), key_file_.string()},
        {std::string(kEnvAdminToken), kAdminToken},
        {std::string(kEnvSigningKey), kSigningKey},
    };
  }
  void TearDown() override { fs::remove_all(dir_); }

  // The example config as an installation has it, written into the scratch directory after
  // `edit`: templates.dir points back at the repository, and /var/lib/planfix-flow (which the
  // systemd unit's StateDirectory= creates) is stood in for by the scratch directory.
  fs::path WriteConfig(const std::function<std::string(std::string)>& edit = nullptr) {
    std::string text = ReplaceLine(
        ReadText(kExample), "dir = ", "dir = \"" + (kSourceDir / "templates").string() + "\"");
    text = ReplaceLine(text, "path = ", "path = \"" + (dir_ / "planfix-flow.db").string() + "\"");
    if (edit) text = edit(text);
    const fs::path path = dir_ / "config.toml";
    WriteText(path, text);
    return path;
  }

  fs::path InstalledExample() { return WriteConfig(); }

  static std::string AllProblems(const ConfigLoadResult& result) {
    std::string all;
    for (const auto& problem : result.problems) all += problem.ToString() + "\n";
    return all;
  }

  fs::path dir_;
  fs::path key_file_;
  Environment env_;
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(ConfigTest, ShippedExampleConfigPassesWithTheSecretsSet) {
  auto result = LoadConfig(InstalledExample(), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  const Config& config = *result.config;
  EXPECT_EQ(config.server.port, 8080);
  EXPECT_EQ(config.server.body_limit_bytes, 65536u);
  EXPECT_EQ(config.planfix.statuses.brief_filled, 7);
  EXPECT_EQ(config.telegram.staff_chat_id, -1001234567890);
  EXPECT_EQ(config.telegram.mode, TelegramMode::kWebhook);
  ASSERT_EQ(config.brief.answers.size(), 5u);
  EXPECT_EQ(config.brief.answers[2].type, FieldType::kSetOfValues);
  EXPECT_EQ(config.brief.answers[4].type, FieldType::kCheckbox);
  EXPECT_EQ(config.brief.answers[4].true_values,
            (std::vector<std::string>{"Так / Yes", "Так, надав(ла)"}));
  EXPECT_EQ(config.brief.answers[4].false_values, (std::vector<std::string>{"Ні / No", "Ще ні"}));
  EXPECT_EQ(config.planfix.handoff_required_contact_data,
            (std::vector<std::vector<ContactData>>{{ContactData::kName},
                                                   {ContactData::kPhone, ContactData::kEmail}}));
  EXPECT_EQ(config.calendar.time_zone, "Europe/Kyiv");
  EXPECT_EQ(config.calendar.holidays.size(), 2u);
  EXPECT_EQ(config.calendar.work_end.minutes, 18 * 60);
  // Relative paths resolve against the config file's directory.
  EXPECT_EQ(fs::path(config.templates.dir), (kSourceDir / "templates").lexically_normal());
  EXPECT_EQ(config.secrets.planfix_token, kPlanfixToken);
  ASSERT_NE(result.templates, nullptr);
  EXPECT_EQ(result.templates->size(), 2 * templates::Registry().size());
}

TEST_F(ConfigTest, ExampleConfigWithoutSecretsNamesEveryMissingVariable) {
  auto result = LoadConfig(InstalledExample(), {});
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  for (std::string_view name :
       {kEnvPlanfixToken, kEnvTelegramBotToken, kEnvTelegramWebhookSecret, kEnvPlanfixWebhookSecret,
        kEnvGoogleWebhookSecret, kEnvGoogleSaKeyFile, kEnvAdminToken, kEnvSigningKey}) {
    EXPECT_TRUE(Contains(all, std::string(name) + ": is not set")) << name << "\n" << all;
  }
  EXPECT_EQ(result.problems.size(), 8u) << all;
}

TEST_F(ConfigTest, BrokenConfigNamesEachProblemWithItsKeyPath) {
  const auto path = WriteConfig([](std::string text) {
    text = ReplaceLine(text, "brief_filled = ", "brief_filled = \"x\"");
    text = ReplaceLine(text, "in_production = ", "");
    text = ReplaceLine(text, "approved = ", "aproved = 9");
    text = ReplaceLine(text, "mode = ", "mode = \"carrier-pigeon\"");
    text = ReplaceLine(text, "time_zone = ", "time_zone = \"Mars/Olympus_Mons\"");
    text = ReplaceLine(text, "work_start = ", "work_start = \"25:00\"");
    text = ReplaceLine(text, "holidays = ", "holidays = [\"2026-12-25\", \"2026-02-30\"]");
    text = ReplaceLine(text, "job_max_attempts = ", "job_max_attempts = 0");
    text = ReplaceLine(text, "port = ", "port = 70000");
    text = ReplaceLine(text, "brief_code_entry = ", "brief_code_entry = \"1234\"");
    text = ReplaceLine(text, "escalate_to_staff = ", "escalate_to_staff = \"yes\"");
    return text + "\n[telegramm]\nbot_username = \"x\"\n";
  });
  auto result = LoadConfig(path, env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  for (const char* expected : {
           "planfix.statuses.brief_filled: expected an integer, found a string (\"x\")",
           "planfix.statuses.in_production: is missing (required)",
           "planfix.statuses.aproved: unknown key (did you mean \"approved\"?)",
           "telegram.mode: \"carrier-pigeon\" is not one of: webhook, polling",
           "calendar.time_zone: \"Mars/Olympus_Mons\" is not a known IANA time zone",
           "calendar.work_start: \"25:00\" is not a time of day",
           "calendar.holidays[1]: \"2026-02-30\" is not a real calendar date",
           "limits.job_max_attempts: 0 is out of range 1..100",
           "server.port: 70000 is out of range 0..65535",
           "google.brief_code_entry: \"1234\" is not a form entry id",
           "brief.escalate_to_staff: expected a boolean (true or false), found a string",
           "telegramm: unknown section (did you mean \"telegram\"?)",
       }) {
    EXPECT_TRUE(Contains(all, expected)) << "missing: " << expected << "\nall:\n" << all;
  }
  EXPECT_EQ(result.problems.size(), 12u) << all;
}

TEST_F(ConfigTest, ServerConnectionLimitsAreReadAndEachBadProxyIsNamedByItsIndex) {
  auto shipped = LoadConfig(InstalledExample(), env_);
  ASSERT_TRUE(shipped.ok()) << AllProblems(shipped);
  EXPECT_EQ(shipped.config->server.max_connections_per_address, 256);
  EXPECT_EQ(shipped.config->server.trusted_proxies, (std::vector<std::string>{"127.0.0.1", "::1"}));

  auto edited =
      LoadConfig(WriteConfig([](std::string text) {
                   text = ReplaceLine(
                       text, "max_connections_per_address = ", "max_connections_per_address = 16");
                   return ReplaceLine(
                       text, "trusted_proxies = ", "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]");
                 }),
                 env_);
  ASSERT_TRUE(edited.ok()) << AllProblems(edited);
  EXPECT_EQ(edited.config->server.max_connections_per_address, 16);
  EXPECT_EQ(edited.config->server.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));

  auto broken = LoadConfig(
      WriteConfig([](std::string text) {
        text =
            ReplaceLine(text, "max_connections_per_address = ", "max_connections_per_address = 0");
        return ReplaceLine(
            text, "trusted_proxies = ",
            "trusted_proxies = [\"127.0.0.1\", \"proxy.local\", \"10.0.0.1/8\", \"::/129\", 5]");
      }),
      env_);
  ASSERT_FALSE(broken.ok());
  const std::string all = AllProblems(broken);
  for (const char* expected : {
           "server.max_connections_per_address: 0 is out of range 1..1000000",
           "server.trusted_proxies[1]: \"proxy.local\" is not an IPv4 or IPv6 address",
           "server.trusted_proxies[2]: \"10.0.0.1/8\" has address bits set beyond the /8 prefix",
           "server.trusted_proxies[3]: \"::/129\": the prefix must be a number from 0 to 128",
           "server.trusted_proxies[4]: expected a string, found an integer",
       }) {
    EXPECT_TRUE(Contains(all, expected)) << "missing: " << expected << "\nall:\n" << all;
  }
  EXPECT_EQ(broken.problems.size(), 5u) << all;
}

TEST_F(ConfigTest, FindsTyposAndWrongTypesInsideArraysOfTables) {
  const auto path = WriteConfig([](std::string text) {
    text = ReplaceLine(text, "field_id = 212", "feild_id = 212");
    text = ReplaceLine(text, "type = \"date\"", "type = \"calendar\"");
    text = ReplaceLine(text, "threads = ", "threads = 4.5");
    text = ReplaceLine(text, "keep_alive_seconds = ", "keep_alive_seconds = 99999999999");
    return ReplaceLine(text, "working_days = ", "working_days = [\"mon\", 2, \"funday\"]");
  });
  auto result = LoadConfig(path, env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  for (const char* expected : {
           "brief.answers[1].feild_id: unknown key (did you mean \"field_id\"?)",
           "brief.answers[1].field_id: is missing (required)",
           "brief.answers[3].type: \"calendar\" is not one of: line, text, number",
           "server.threads: expected an integer, found a floating-point number",
           "server.keep_alive_seconds: 99999999999 is out of range",
           "calendar.working_days[1]: expected a string, found an integer",
           "calendar.working_days[2]: \"funday\" is not a weekday",
       }) {
    EXPECT_TRUE(Contains(all, expected)) << "missing: " << expected << "\nall:\n" << all;
  }
  EXPECT_EQ(result.problems.size(), 7u) << all;
}

TEST_F(ConfigTest, ASectionOfTheWrongTypeIsReportedOnce) {
  auto result = ParseConfig(
      "planfix = 5\n[storage]\npath = \"x.db\"\n[brief]\nanswers = { question = \"q\" }\n", dir_,
      env_);
  const std::string all = AllProblems(result);
  EXPECT_TRUE(Contains(all, "planfix: expected a table, found an integer")) << all;
  EXPECT_TRUE(Contains(all, "brief.answers: expected an array of tables")) << all;
  EXPECT_FALSE(Contains(all, "planfix.")) << all;
}

TEST_F(ConfigTest, ReportsTemplateProblemsWithTheFilePath) {
  const fs::path templates = dir_ / "templates";
  fs::copy(kSourceDir / "templates", templates, fs::copy_options::recursive);
  WriteText(templates / "en" / "brief_request.mustache", "Hi {{client_name}}, {{{form_url}}}");
  fs::remove(templates / "uk" / "ping.mustache");
  const auto path = WriteConfig(
      [](std::string text) { return ReplaceLine(text, "dir = ", "dir = \"templates\""); });
  auto result = LoadConfig(path, env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  EXPECT_TRUE(Contains(
      all, (templates / "en" / "brief_request.mustache").string() + ": line 1: triple mustache"))
      << all;
  EXPECT_TRUE(Contains(
      all, (templates / "en" / "brief_request.mustache").string() + ": does not use {{form_url}}"))
      << all;
  EXPECT_TRUE(Contains(all, (templates / "uk" / "ping.mustache").string() + ": is missing")) << all;
}

TEST_F(ConfigTest, AMissingTemplatesDirectoryIsAProblem) {
  const auto path = WriteConfig(
      [](std::string text) { return ReplaceLine(text, "dir = ", "dir = \"no-such-templates\""); });
  auto result = LoadConfig(path, env_);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(Contains(AllProblems(result), "templates.dir: ")) << AllProblems(result);
  EXPECT_TRUE(Contains(AllProblems(result), (dir_ / "no-such-templates").string()));
}

TEST_F(ConfigTest, TelegramWebhookSecretIsRequiredOnlyInWebhookMode) {
  env_.erase(std::string(kEnvTelegramWebhookSecret));
  auto webhook = LoadConfig(WriteConfig(), env_);
  ASSERT_FALSE(webhook.ok());
  EXPECT_TRUE(Contains(AllProblems(webhook), "PLANFIX_FLOW_TELEGRAM_WEBHOOK_SECRET: is not set"));
  EXPECT_EQ(webhook.problems.size(), 1u) << AllProblems(webhook);

  auto polling = LoadConfig(WriteConfig([](std::string text) {
                              return ReplaceLine(text, "mode = ", "mode = \"polling\"");
                            }),
                            env_);
  EXPECT_TRUE(polling.ok()) << AllProblems(polling);
}

TEST_F(ConfigTest, RejectsABadTelegramWebhookSecretWithoutEchoingIt) {
  env_[std::string(kEnvTelegramWebhookSecret)] = "has spaces and s3cr3t!";
  auto result = LoadConfig(WriteConfig(), env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  EXPECT_TRUE(Contains(all, "PLANFIX_FLOW_TELEGRAM_WEBHOOK_SECRET: must be 1-256 characters"))
      << all;
  EXPECT_FALSE(Contains(all, "s3cr3t")) << all;
}

TEST_F(ConfigTest, TheSigningKeyIsLongAndTheServicesAloneAndNeverEchoed) {
  env_[std::string(kEnvSigningKey)] = "short-s3cr3t";
  auto result = LoadConfig(WriteConfig(), env_);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(Contains(AllProblems(result),
                       "PLANFIX_FLOW_SIGNING_KEY: is too short (at least 32 characters)"))
      << AllProblems(result);

  // The Google secret is in the Apps Script's properties, readable by every form editor.
  const std::string shared = "shared-s3cr3t-0123456789abcdef0123456789";
  env_[std::string(kEnvGoogleWebhookSecret)] = shared;
  env_[std::string(kEnvSigningKey)] = shared;
  result = LoadConfig(WriteConfig(), env_);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(Contains(AllProblems(result),
                       "PLANFIX_FLOW_SIGNING_KEY: must not be the same as "
                       "PLANFIX_FLOW_GOOGLE_WEBHOOK_SECRET: that one is in the form's Apps "
                       "Script properties"))
      << AllProblems(result);
  EXPECT_EQ(result.problems.size(), 1u) << AllProblems(result);

  // The previous key: optional, as strong, not the current one, nor another secret.
  env_[std::string(kEnvGoogleWebhookSecret)] = kGoogleSecret;
  env_[std::string(kEnvSigningKey)] = kSigningKey;
  env_[std::string(kEnvSigningKeyPrevious)] = kSigningKey;
  result = LoadConfig(WriteConfig(), env_);
  EXPECT_TRUE(
      Contains(AllProblems(result),
               "PLANFIX_FLOW_SIGNING_KEY_PREVIOUS: is the same as PLANFIX_FLOW_SIGNING_KEY"))
      << AllProblems(result);
  env_[std::string(kEnvSigningKeyPrevious)] = "prev-s3cr3t";
  result = LoadConfig(WriteConfig(), env_);
  EXPECT_TRUE(Contains(AllProblems(result), "PLANFIX_FLOW_SIGNING_KEY_PREVIOUS: is too short"))
      << AllProblems(result);
  const std::string admin = "admin-s3cr3t-0123456789abcdef0123456789";
  env_[std::string(kEnvAdminToken)] = admin;
  env_[std::string(kEnvSigningKeyPrevious)] = admin;
  result = LoadConfig(WriteConfig(), env_);
  EXPECT_TRUE(Contains(AllProblems(result),
                       "PLANFIX_FLOW_SIGNING_KEY_PREVIOUS: must not be the same as "
                       "PLANFIX_FLOW_ADMIN_TOKEN"))
      << AllProblems(result);
  EXPECT_FALSE(Contains(AllProblems(result), "s3cr3t")) << AllProblems(result);

  env_[std::string(kEnvSigningKeyPrevious)] = "previous-s3cr3t-0123456789abcdef01234567";
  result = LoadConfig(WriteConfig(), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_EQ(result.config->secrets.signing_key, kSigningKey);
  EXPECT_EQ(result.config->secrets.signing_key_previous,
            "previous-s3cr3t-0123456789abcdef01234567");
}

TEST_F(ConfigTest, TheRotationGracePeriodIsReadAndRangeChecked) {
  auto result = LoadConfig(WriteConfig([](std::string text) {
                             return ReplaceLine(
                                 text, "previous_key_grace_days = ", "previous_key_grace_days = 7");
                           }),
                           env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_EQ(result.config->signing.previous_key_grace_days, 7);
  for (const char* days : {"0", "366"}) {
    result = LoadConfig(WriteConfig([&](std::string text) {
                          return ReplaceLine(text, "previous_key_grace_days = ",
                                             std::string("previous_key_grace_days = ") + days);
                        }),
                        env_);
    EXPECT_TRUE(Contains(AllProblems(result), std::string("signing.previous_key_grace_days: ") +
                                                  days + " is out of range 1..365"))
        << AllProblems(result);
  }
  // Without the section the default holds.
  result = LoadConfig(WriteConfig([](std::string text) {
                        text = ReplaceLine(text, "[signing]", "");
                        return ReplaceLine(text, "previous_key_grace_days = ", "");
                      }),
                      env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_EQ(result.config->signing.previous_key_grace_days, 30);
}

TEST_F(ConfigTest, StageNamesForOtherLanguagesAreReadAndChecked) {
  auto result = LoadConfig(WriteConfig(), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  ASSERT_EQ(result.config->stages.size(), 3u);
  EXPECT_EQ(result.config->stages[0].names, (std::map<std::string, std::string>{{"en", "Design"}}));

  result = LoadConfig(WriteConfig([](std::string text) {
                        text = ReplaceLine(text, "names = { en = \"Design\" }",
                                           "names = { de = \"Entwurf\", en = \"\" }");
                        return ReplaceLine(text, "names = { en = \"Development\" }",
                                           "names = { en = 5 }");
                      }),
                      env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  for (const char* expected : {"stages[0].names.de: \"de\" is not in templates.languages",
                               "stages[0].names.en: must not be empty",
                               "stages[1].names.en: expected a string, found an integer"}) {
    EXPECT_TRUE(Contains(all, expected)) << "missing: " << expected << "\nall:\n" << all;
  }
}

TEST_F(ConfigTest, ChecksTheServiceAccountKeyFile) {
  WriteText(key_file_, R"({"type":"authorized_user"})");
  auto result = LoadConfig(WriteConfig(), env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  EXPECT_TRUE(Contains(all, "PLANFIX_FLOW_GOOGLE_SA_KEY_FILE: the key file")) << all;
  EXPECT_TRUE(Contains(all, "\"private_key\"")) << all;

  // Shaped like a key but no RSA key inside: serve could not sign with it.
  WriteText(key_file_,
            R"({"type":"service_account","client_email":"flow@agency.iam.gserviceaccount.com",
                "private_key_id":"k1",
                "private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"})");
  result = LoadConfig(WriteConfig(), env_);
  EXPECT_TRUE(Contains(AllProblems(result), "cannot be used")) << AllProblems(result);

  fs::remove(key_file_);
  result = LoadConfig(WriteConfig(), env_);
  EXPECT_TRUE(Contains(AllProblems(result), "cannot be read")) << AllProblems(result);
}

TEST_F(ConfigTest, RejectsTwoFlowsWatchingOneStatusAndASetStatusThatStartsAFlow) {
  auto result = LoadConfig(WriteConfig([](std::string text) {
                             text =
                                 ReplaceLine(text, "awaiting_approval = ", "awaiting_approval = 5");
                             return ReplaceLine(text, "rework = ", "rework = 3");
                           }),
                           env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  EXPECT_TRUE(Contains(all,
                       "planfix.statuses.awaiting_approval: 5 is also "
                       "planfix.statuses.in_production; the flows cannot tell them apart"))
      << all;
  EXPECT_TRUE(Contains(all,
                       "planfix.statuses.rework: 3 is also "
                       "planfix.statuses.handed_to_production: setting it would start the "
                       "handoff check on the task"))
      << all;
}

TEST_F(ConfigTest, ContactDataAlternativesAreJoinedByABar) {
  auto result = LoadConfig(WriteConfig([](std::string text) {
                             return ReplaceLine(text, "required_contact_data = ",
                                                "required_contact_data = [\"telegram | phone\", "
                                                "\"name\", \"phone|fax\", \"email||phone\"]");
                           }),
                           env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  EXPECT_TRUE(Contains(all, "planfix.handoff.required_contact_data[2]: \"fax\" is not one of"))
      << all;
  EXPECT_TRUE(Contains(all, "planfix.handoff.required_contact_data[3]: \"\" is not one of")) << all;
  EXPECT_FALSE(Contains(all, "required_contact_data[0]")) << all;

  result = LoadConfig(WriteConfig([](std::string text) {
                        return ReplaceLine(text, "required_contact_data = ",
                                           "required_contact_data = [\"telegram | phone\"]");
                      }),
                      env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_EQ(result.config->planfix.handoff_required_contact_data,
            (std::vector<std::vector<ContactData>>{{ContactData::kTelegram, ContactData::kPhone}}));
}

TEST_F(ConfigTest, YesNoWordsNeedACheckboxAndBothSidesAndMayNotOverlap) {
  auto result = LoadConfig(
      WriteConfig([](std::string text) {
        text = ReplaceLine(text, "false_values = ", "false_values = [\"Ні / No\", \"так / yes\"]");
        return text + R"(
[[brief.answers]]
question = "Текст"
field_id = 216
type = "text"
true_values = ["Так"]

[[brief.answers]]
question = "Без типу"
field_id = 217
true_values = ["Так", " "]
)";
      }),
      env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  for (const char* expected :
       {"brief.answers[4].false_values[1]: \"так / yes\" is also true_values[0]",
        "brief.answers[5].true_values: only a checkbox field reads yes/no words (type is \"text\")",
        "brief.answers[5].false_values: is needed too",
        "brief.answers[6].true_values[1]: must not be empty"}) {
    EXPECT_TRUE(Contains(all, expected)) << expected << "\n" << all;
  }
}

TEST_F(ConfigTest, RejectsAWebhookUrlTelegramCannotDeliverTo) {
  auto result = LoadConfig(
      WriteConfig([](std::string text) {
        return ReplaceLine(text, "webhook_url = ",
                           "webhook_url = \"http://flow.agency.example:9000/webhooks/telegram\"");
      }),
      env_);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(Contains(AllProblems(result), "telegram.webhook_url: must be an https:// URL"))
      << AllProblems(result);

  result = LoadConfig(WriteConfig([](std::string text) {
                        return ReplaceLine(
                            text, "webhook_url = ",
                            "webhook_url = \"https://flow.agency.example:9000/webhooks/telegram\"");
                      }),
                      env_);
  EXPECT_TRUE(Contains(AllProblems(result), "telegram.webhook_url: port 9000"))
      << AllProblems(result);
}

TEST_F(ConfigTest, RefusesAStageOnAStatusThatHasItsOwnRule) {
  auto result = LoadConfig(
      WriteConfig([](std::string text) { return ReplaceLine(text, "status = 12", "status = 8"); }),
      env_);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(Contains(AllProblems(result),
                       "stages[0].status: 8 is planfix.statuses.awaiting_approval (the approval "
                       "request), which has its own message; this stage's message would never "
                       "be sent"))
      << AllProblems(result);
  result = LoadConfig(
      WriteConfig([](std::string text) { return ReplaceLine(text, "status = 13", "status = 3"); }),
      env_);
  EXPECT_TRUE(
      Contains(AllProblems(result), "stages[1].status: 3 is planfix.statuses.handed_to_production"))
      << AllProblems(result);
  result = LoadConfig(
      WriteConfig([](std::string text) { return ReplaceLine(text, "status = 13", "status = 5"); }),
      env_);
  EXPECT_TRUE(
      Contains(AllProblems(result), "stages[1].status: 5 is planfix.statuses.in_production"))
      << AllProblems(result);
}

TEST_F(ConfigTest, RefusesPlainHttpUrlsExceptToALoopbackHost) {
  const auto with = [this](const std::string& line_start, const std::string& line) {
    return LoadConfig(
        WriteConfig([&](std::string text) { return ReplaceLine(text, line_start, line); }), env_);
  };
  for (const auto& [line_start, line, key] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"base_url = \"https://agency", "base_url = \"http://agency.planfix.com/rest/\"",
            "planfix.base_url"},
           {"base_url = \"https://api.telegram", "base_url = \"http://api.telegram.org\"",
            "telegram.base_url"},
           {"token_url = ", "token_url = \"http://oauth2.googleapis.com/token\"",
            "google.token_url"},
           {"forms_base_url = ", "forms_base_url = \"http://127.0.0.1.example.com\"",
            "google.forms_base_url"},
           {"web_url = ", "web_url = \"http://agency.planfix.com\"", "planfix.web_url"},
       }) {
    const auto result = with(line_start, line);
    EXPECT_TRUE(Contains(AllProblems(result), key + ": \"http://")) << line << "\n"
                                                                    << AllProblems(result);
    EXPECT_TRUE(Contains(AllProblems(result), "is plain http:// to a host that is not loopback"))
        << AllProblems(result);
  }
  for (const std::string loopback : {"http://127.0.0.1:9000/rest/", "http://localhost/rest/",
                                     "http://127.1.2.3/rest/", "http://[::1]:8/rest/"}) {
    const auto result = with("base_url = \"https://agency", "base_url = \"" + loopback + "\"");
    EXPECT_FALSE(Contains(AllProblems(result), "planfix.base_url")) << AllProblems(result);
  }
}

TEST_F(ConfigTest, NamesTheDatabaseDirectoryWhenItIsMissing) {
  const fs::path missing = dir_ / "no-such-dir";
  auto result = LoadConfig(
      WriteConfig([&](std::string text) {
        return ReplaceLine(text, "path = ", "path = \"" + (missing / "flow.db").string() + "\"");
      }),
      env_);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(Contains(AllProblems(result),
                       "storage.path: the directory " + missing.string() + " does not exist"))
      << AllProblems(result);
}

TEST_F(ConfigTest, CommunicationMinutesIsGoneUntilTimeTrackingUsesIt) {
  auto result = LoadConfig(
      WriteConfig([](std::string text) {
        return ReplaceLine(
            text, "access_granted = ", "access_granted = 104\ncommunication_minutes = 105");
      }),
      env_);
  EXPECT_TRUE(
      Contains(AllProblems(result), "planfix.task_fields.communication_minutes: is no longer read"))
      << AllProblems(result);
}

TEST_F(ConfigTest, TakesAnHttpWebhookUrlOnlyToALoopbackHost) {
  auto result = LoadConfig(
      WriteConfig([](std::string text) {
        return ReplaceLine(
            text, "webhook_url = ", "webhook_url = \"http://127.0.0.1:39001/webhooks/telegram\"");
      }),
      env_);
  EXPECT_TRUE(result.ok()) << AllProblems(result);
  result = LoadConfig(WriteConfig([](std::string text) {
                        return ReplaceLine(text, "webhook_url = ",
                                           "webhook_url = \"http://10.0.0.5/webhooks/telegram\"");
                      }),
                      env_);
  EXPECT_TRUE(Contains(AllProblems(result), "telegram.webhook_url: must be an https:// URL"))
      << AllProblems(result);
  // Polling mode does not need one at all.
  result = LoadConfig(WriteConfig([](std::string text) {
                        text = ReplaceLine(text, "mode = ", "mode = \"polling\"");
                        return ReplaceLine(text, "webhook_url = ", "webhook_url = \"\"");
                      }),
                      env_);
  EXPECT_FALSE(Contains(AllProblems(result), "telegram.webhook_url")) << AllProblems(result);
}

TEST_F(ConfigTest, ReadsAndChecksTheWebhookCheckInterval) {
  auto result = LoadConfig(WriteConfig(), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_EQ(result.config->telegram.webhook_check_interval_minutes, 10);
  result = LoadConfig(WriteConfig([](std::string text) {
                        return ReplaceLine(text, "webhook_check_interval_minutes = ",
                                           "webhook_check_interval_minutes = 3");
                      }),
                      env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_EQ(result.config->telegram.webhook_check_interval_minutes, 3);
  result = LoadConfig(WriteConfig([](std::string text) {
                        return ReplaceLine(text, "webhook_check_interval_minutes = ",
                                           "webhook_check_interval_minutes = 0");
                      }),
                      env_);
  EXPECT_TRUE(Contains(AllProblems(result),
                       "telegram.webhook_check_interval_minutes: 0 is out of range 1..1440"))
      << AllProblems(result);
}

TEST_F(ConfigTest, AcceptsBareTomlDatesAndMovedWorkingDays) {
  auto result = LoadConfig(
      WriteConfig([](std::string text) {
        text = ReplaceLine(text, "holidays = ", "holidays = [2026-12-25]");
        return ReplaceLine(text, "moved_working_days = ", "moved_working_days = [\"2026-12-26\"]");
      }),
      env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  ASSERT_EQ(result.config->calendar.holidays.size(), 1u);
  EXPECT_EQ(result.config->calendar.holidays[0].ToString(), "2026-12-25");
  auto calendar = calendar::WorkCalendar::Create(result.config->calendar);
  ASSERT_TRUE(calendar);
  EXPECT_TRUE(calendar->IsWorkingDay({2026, 12, 26}));
}

TEST_F(ConfigTest, RejectsADayThatIsBothAHolidayAndAMovedWorkingDay) {
  auto result = LoadConfig(
      WriteConfig([](std::string text) {
        return ReplaceLine(text, "moved_working_days = ", "moved_working_days = [\"2027-01-01\"]");
      }),
      env_);
  ASSERT_FALSE(result.ok());
  EXPECT_TRUE(
      Contains(AllProblems(result), "calendar.moved_working_days[0]: 2027-01-01 is also listed"))
      << AllProblems(result);
}

TEST_F(ConfigTest, ReportsATomlSyntaxErrorWithItsLine) {
  const fs::path path = dir_ / "broken.toml";
  WriteText(path, "[server]\nport = 8080\nhost = \"unterminated\n");
  auto result = LoadConfig(path, env_);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_TRUE(result.problems[0].key_path.starts_with(path.string() + ":3:"))
      << AllProblems(result);
  EXPECT_TRUE(Contains(result.problems[0].message, "TOML syntax error"));
}

TEST_F(ConfigTest, ReportsAMissingFile) {
  auto result = LoadConfig(dir_ / "nope.toml", env_);
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].ToString(), (dir_ / "nope.toml").string() + ": does not exist");
}

TEST_F(ConfigTest, AnEmptyFileNamesEveryRequiredSectionOnce) {
  auto result = ParseConfig("", dir_, env_);
  const std::string all = AllProblems(result);
  for (const char* section : {"storage", "planfix", "telegram", "google", "brief"}) {
    EXPECT_TRUE(Contains(all, std::string(section) + ": is missing (required)")) << all;
  }
  // Not again for each key of a missing section.
  EXPECT_FALSE(Contains(all, "planfix.base_url")) << all;
  // The default templates dir ("templates" beside the file) does not exist here.
  EXPECT_TRUE(Contains(all, "templates.dir: ")) << all;
  EXPECT_EQ(result.problems.size(), 6u) << all;
}

TEST_F(ConfigTest, DefaultSandboxConfigIsValidOnceItHasAKeyFile) {
  Config config = DefaultSandboxConfig();
  config.secrets.google_sa_key_file = key_file_.string();
  std::string all;
  for (const auto& problem : ValidateConfig(config)) all += problem.ToString() + "\n";
  EXPECT_TRUE(all.empty()) << all;
  std::vector<Problem> problems;
  auto templates = LoadTemplates(config, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_NE(templates.set, nullptr);
}

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

CliRun RunCheckConfig(const fs::path& path, const Environment& env) {
  const std::string config_path = path.string();
  const char* argv[] = {"planfix-flow", "check-config", "--config", config_path.c_str()};
  std::ostringstream out;
  std::ostringstream err;
  const int code = app::RunCli(4, argv, out, err, env);
  return CliRun{code, out.str(), err.str()};
}

TEST_F(ConfigTest, CheckConfigPrintsASummaryWithoutSecretsForAGoodConfig) {
  auto run = RunCheckConfig(InstalledExample(), env_);
  EXPECT_EQ(run.code, app::kExitOk) << run.err;
  EXPECT_TRUE(run.err.empty()) << run.err;
  EXPECT_TRUE(Contains(run.out, "is valid")) << run.out;
  EXPECT_TRUE(Contains(run.out, "listen:    127.0.0.1:8080")) << run.out;
  EXPECT_TRUE(Contains(run.out, "https://agency.planfix.com/rest/")) << run.out;
  EXPECT_TRUE(Contains(run.out, "webhook mode")) << run.out;
  EXPECT_TRUE(Contains(run.out, "Europe/Kyiv, mon,tue,wed,thu,fri 09:00-18:00")) << run.out;
  EXPECT_TRUE(Contains(run.out, "PLANFIX_FLOW_PLANFIX_TOKEN")) << run.out;
  EXPECT_TRUE(Contains(run.out, fmt::format("{:<38} set\n", kEnvSigningKey))) << run.out;
  EXPECT_TRUE(Contains(run.out, fmt::format("{:<38} not set\n", kEnvSigningKeyPrevious)))
      << run.out;
  EXPECT_FALSE(Contains(run.out, "missing")) << run.out;
  EXPECT_FALSE(Contains(run.out, "s3cr3t")) << run.out;
}

TEST_F(ConfigTest, CheckConfigWarnsButPassesWhenTheServerListensBeyondLoopback) {
  const auto path = WriteConfig(
      [](std::string text) { return ReplaceLine(text, "host = ", "host = \"0.0.0.0\""); });
  auto run = RunCheckConfig(path, env_);
  EXPECT_EQ(run.code, app::kExitOk) << run.err;
  EXPECT_TRUE(Contains(run.err, "warning: server.host: \"0.0.0.0\" is not a loopback address"))
      << run.err;
  EXPECT_TRUE(Contains(run.err, "behind a TLS reverse proxy")) << run.err;
  EXPECT_TRUE(Contains(run.out, "is valid")) << run.out;
}

TEST_F(ConfigTest, CheckConfigListsEveryProblemAndExitsNonZero) {
  const auto path = WriteConfig([](std::string text) {
    text = ReplaceLine(text, "brief_filled = ", "brief_filled = \"x\"");
    text = ReplaceLine(text, "time_zone = ", "time_zone = \"Nowhere/Special\"");
    return ReplaceLine(text, "level = ", "levle = \"info\"");
  });
  env_.erase(std::string(kEnvAdminToken));
  auto run = RunCheckConfig(path, env_);
  EXPECT_EQ(run.code, app::kExitFailure);
  for (const char* expected : {"planfix.statuses.brief_filled: ", "calendar.time_zone: ",
                               "logging.levle: unknown key (did you mean \"level\"?)",
                               "PLANFIX_FLOW_ADMIN_TOKEN: ", "4 problems"}) {
    EXPECT_TRUE(Contains(run.err, expected)) << expected << "\n" << run.err;
  }
  EXPECT_FALSE(Contains(run.err + run.out, "s3cr3t")) << run.err;
}

// Issue 11: a Communication process with only New / In progress / Completed had no legal config.
TEST_F(ConfigTest, CheckConfigAcceptsNoExtraStatusesAndSharedOnesAcrossProcesses) {
  // The extras left out, or 0: valid.
  auto run = RunCheckConfig(WriteConfig([](std::string text) {
                              for (const char* key : {"brief_requested = ", "approved = "}) {
                                text = ReplaceLine(text, key, "");
                              }
                              text = ReplaceLine(text, "brief_filled = ", "brief_filled = 0");
                              return ReplaceLine(text, "rework = ", "rework = 0");
                            }),
                            env_);
  EXPECT_EQ(run.code, app::kExitOk) << run.err;

  // "In progress" is the deals' in_production and the Communication tasks' brief_requested:
  // a conflict, unless the processes keep the gate off Communication tasks.
  const auto shared = [](std::string text) {
    return ReplaceLine(text, "brief_requested = ", "brief_requested = 5");
  };
  run = RunCheckConfig(WriteConfig(shared), env_);
  EXPECT_EQ(run.code, app::kExitFailure);
  EXPECT_TRUE(Contains(run.err,
                       "planfix.statuses.brief_requested: 5 is also "
                       "planfix.statuses.in_production"))
      << run.err;
  run = RunCheckConfig(WriteConfig([&](std::string text) {
                         text = ReplaceLine(text, "deal = ", "deal = 1");
                         return ReplaceLine(shared(text), "communication = ", "communication = 2");
                       }),
                       env_);
  EXPECT_EQ(run.code, app::kExitOk) << run.err;
  // The approval request is not limited to deals: sharing its status stays a conflict.
  run = RunCheckConfig(WriteConfig([](std::string text) {
                         text = ReplaceLine(text, "deal = ", "deal = 1");
                         text = ReplaceLine(text, "communication = ", "communication = 2");
                         return ReplaceLine(text, "brief_filled = ", "brief_filled = 8");
                       }),
                       env_);
  EXPECT_EQ(run.code, app::kExitFailure);
  EXPECT_TRUE(Contains(run.err,
                       "planfix.statuses.brief_filled: 8 is also "
                       "planfix.statuses.awaiting_approval"))
      << run.err;

  // The required ones stay required; negative extras and the old "completed" are refused.
  run = RunCheckConfig(WriteConfig([](std::string text) {
                         text = ReplaceLine(text, "in_production = ", "");
                         text = ReplaceLine(text, "approved = ", "approved = -1");
                         return ReplaceLine(text, "rework = ", "rework = 10\ncompleted = 11");
                       }),
                       env_);
  EXPECT_EQ(run.code, app::kExitFailure);
  for (const char* expected : {"planfix.statuses.in_production: is missing (required)",
                               "planfix.statuses.approved: must be 0 (never set) or a status id",
                               "planfix.statuses.completed: is no longer read"}) {
    EXPECT_TRUE(Contains(run.err, expected)) << expected << "\n" << run.err;
  }
}

// Runs the real binary with exactly `env` as its environment; stdout and stderr go to files.
CliRun RunBinary(const fs::path& dir, const std::vector<std::string>& args,
                 const Environment& env) {
  const std::string out_path = (dir / "stdout.txt").string();
  const std::string err_path = (dir / "stderr.txt").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  std::vector<std::string> argv_storage = {PLANFIX_FLOW_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (const auto& [name, value] : env) env_storage.push_back(name + "=" + value);
  // Sanitizer settings pass through so a leak in the child fails like one in the test.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name))
      env_storage.push_back(std::string(name) + "=" + value);
  }
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, PLANFIX_FLOW_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    ADD_FAILURE() << "posix_spawn failed: " << spawned;
    return CliRun{-1, "", ""};
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return CliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadText(out_path),
                ReadText(err_path)};
}

// Runs the binary as the unprivileged user `uid` (the test runs as root): what a service user
// meets. The output files are opened before the switch, so they may stay root's.
CliRun RunBinaryAs(uid_t uid, const fs::path& dir, const std::vector<std::string>& args,
                   const Environment& env) {
  const std::string out_path = (dir / "stdout.txt").string();
  const std::string err_path = (dir / "stderr.txt").string();
  std::vector<std::string> argv_storage = {PLANFIX_FLOW_BINARY};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (const auto& [name, value] : env) env_storage.push_back(name + "=" + value);
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS"}) {
    if (const char* value = std::getenv(name))
      env_storage.push_back(std::string(name) + "=" + value);
  }
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 || setgid(uid) != 0 ||
        setuid(uid) != 0) {
      _exit(126);
    }
    execve(PLANFIX_FLOW_BINARY, argv.data(), envp.data());
    _exit(127);
  }
  if (pid < 0) {
    ADD_FAILURE() << "fork failed";
    return CliRun{-1, "", ""};
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return CliRun{WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadText(out_path),
                ReadText(err_path)};
}

TEST_F(ConfigTest, NamesTheDatabaseDirectoryWhenItIsNotWritable) {
  const fs::path read_only = dir_ / "read-only";
  fs::create_directories(read_only);
  fs::permissions(read_only, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                 fs::perms::group_exec | fs::perms::others_read |
                                 fs::perms::others_exec);
  const auto config = WriteConfig([&](std::string text) {
    return ReplaceLine(text, "path = ", "path = \"" + (read_only / "flow.db").string() + "\"");
  });
  // root may write into any directory: check as "nobody", as a service user would run it.
  constexpr uid_t kNobody = 65534;
  const auto run =
      ::geteuid() == 0
          ? RunBinaryAs(kNobody, dir_, {"check-config", "--config", config.string()}, env_)
          : RunBinary(dir_, {"check-config", "--config", config.string()}, env_);
  fs::permissions(read_only, fs::perms::owner_all);
  EXPECT_EQ(run.code, app::kExitFailure) << run.err;
  EXPECT_TRUE(Contains(run.err, "storage.path: the directory " + read_only.string() +
                                    " is not writable by this user"))
      << run.err;
}

TEST_F(ConfigTest, TheBinaryPassesTheShippedExampleWithSecretsFromItsEnvironment) {
  auto run = RunBinary(dir_, {"check-config", "--config", InstalledExample().string()}, env_);
  EXPECT_EQ(run.code, app::kExitOk) << run.err;
  EXPECT_TRUE(Contains(run.out, "is valid")) << run.out;
  EXPECT_FALSE(Contains(run.out + run.err, "s3cr3t")) << run.out << run.err;
}

TEST_F(ConfigTest, TheBinaryRefusesABrokenConfigNamingEachProblem) {
  const auto path = WriteConfig(
      [](std::string text) { return ReplaceLine(text, "work_end = ", "work_end = \"08:00\""); });
  env_.erase(std::string(kEnvPlanfixToken));
  auto run = RunBinary(dir_, {"check-config", "--config", path.string()}, env_);
  EXPECT_EQ(run.code, app::kExitFailure);
  EXPECT_TRUE(Contains(run.err, "calendar.work_end: 08:00 is not after calendar.work_start"))
      << run.err;
  EXPECT_TRUE(Contains(run.err, "PLANFIX_FLOW_PLANFIX_TOKEN: is not set")) << run.err;
  EXPECT_TRUE(run.out.empty()) << run.out;
}

// What the docs tell an operator to type on the VPS: the secrets sit in the root-only env file
// that systemd reads, not in the shell's environment.
TEST_F(ConfigTest, TheBinaryReadsTheSecretsFromTheEnvFileAsSystemdWould) {
  const fs::path env_file = dir_ / "planfix-flow.env";
  std::string text =
      "# planfix-flow secrets\n\n; a comment systemd also skips\n"
      "UNRELATED=ignored\n";
  for (const auto& [name, value] : env_) {
    // Quoted and unquoted values, spaces around the line: as systemd reads them.
    text += name == std::string(kEnvAdminToken) ? fmt::format("  {}=\"{}\"  \n", name, value)
                                                : fmt::format("{}={}\n", name, value);
  }
  WriteText(env_file, text);
  const auto config = InstalledExample();
  auto run = RunBinary(
      dir_, {"check-config", "--config", config.string(), "--env-file", env_file.string()}, {});
  EXPECT_EQ(run.code, app::kExitOk) << run.err;
  EXPECT_TRUE(Contains(run.out, "is valid")) << run.out;
  EXPECT_FALSE(Contains(run.out + run.err, "s3cr3t")) << run.out << run.err;

  // Without it, the same call names every secret as missing (what the docs used to lead to).
  run = RunBinary(dir_, {"check-config", "--config", config.string()}, {});
  EXPECT_EQ(run.code, app::kExitFailure);
  EXPECT_TRUE(Contains(run.err, "PLANFIX_FLOW_PLANFIX_TOKEN: is not set")) << run.err;

  // A broken line is named by its number, never shown: it may hold a secret.
  WriteText(env_file, text + "PLANFIX_FLOW_ADMIN_TOKEN admin-token-s3cr3t-ffffffff\n");
  run = RunBinary(
      dir_, {"check-config", "--config", config.string(), "--env-file", env_file.string()}, {});
  EXPECT_EQ(run.code, app::kExitFailure);
  EXPECT_TRUE(Contains(run.err, env_file.string() + ":" + std::to_string(4 + env_.size() + 1) +
                                    ": is not NAME=value"))
      << run.err;
  EXPECT_FALSE(Contains(run.out + run.err, "s3cr3t")) << run.err;

  run = RunBinary(
      dir_,
      {"check-config", "--config", config.string(), "--env-file", (dir_ / "missing.env").string()},
      {});
  EXPECT_EQ(run.code, app::kExitFailure);
  EXPECT_TRUE(Contains(run.err, "missing.env: does not exist")) << run.err;
}

// [bank] (issue 13): off in the example, so it needs none of its secrets; on, every key is
// read and every problem named by its key path or variable.
std::string EnableBank(std::string text) {
  text = ReplaceLine(text, "enabled = false", "enabled = true");
  text = ReplaceLine(text, "reconcile_interval_seconds = ", "reconcile_interval_seconds = 120");
  return ReplaceLine(text, "lookback_days = ", "lookback_days = 7");
}

TEST_F(ConfigTest, BankIsOffInTheExampleAndReadWhenEnabled) {
  auto off = LoadConfig(InstalledExample(), env_);
  ASSERT_TRUE(off.ok()) << AllProblems(off);
  EXPECT_FALSE(off.config->bank.enabled);

  env_[std::string(kEnvMonobankToken)] = "monobank-token-s3cr3t";
  env_[std::string(kEnvMonobankWebhookToken)] = "hook_token-0123456789abcdef0123456789";
  auto on = LoadConfig(WriteConfig(EnableBank), env_);
  ASSERT_TRUE(on.ok()) << AllProblems(on);
  const BankConfig& bank = on.config->bank;
  EXPECT_TRUE(bank.enabled);
  EXPECT_EQ(bank.provider, "monobank");
  EXPECT_EQ(bank.base_url, "https://api.monobank.ua");
  EXPECT_EQ(bank.accounts, (std::vector<std::string>{"fop-uah-account-id"}));
  EXPECT_EQ(bank.reconcile_interval_seconds, 120);
  EXPECT_EQ(bank.lookback_days, 7);
  // No public_base_url: the one telegram.webhook_url implies.
  EXPECT_EQ(MonobankWebhookUrl(*on.config),
            "https://flow.agency.example/webhooks/monobank/hook_token-0123456789abcdef0123456789");
  on.config->bank.public_base_url = "https://bank-in.agency.example/";
  EXPECT_EQ(MonobankWebhookUrl(*on.config),
            "https://bank-in.agency.example/webhooks/monobank/"
            "hook_token-0123456789abcdef0123456789");
  EXPECT_FALSE(Contains(Summarize(*on.config, nullptr), "s3cr3t"));
  EXPECT_TRUE(Contains(Summarize(*on.config, nullptr), "PLANFIX_FLOW_MONOBANK_TOKEN"));
}

TEST_F(ConfigTest, BankProblemsAreNamedByKeyPath) {
  auto result =
      LoadConfig(WriteConfig([](std::string text) {
                   text = EnableBank(text);
                   text = ReplaceLine(text, "provider = ", "provider = \"privat\"");
                   text = ReplaceLine(text, "base_url = \"https://api.monobank.ua\"",
                                      "base_url = \"http://bank.example\"");
                   text = ReplaceLine(text, "accounts = ", "accounts = [\"a/b\", \"\"]");
                   text = ReplaceLine(
                       text, "reconcile_interval_seconds = ", "reconcile_interval_seconds = 30");
                   return ReplaceLine(text, "lookback_days = ", "lookback_days = 32");
                 }),
                 env_);
  ASSERT_FALSE(result.ok());
  const std::string all = AllProblems(result);
  for (const char* key :
       {"bank.provider: ", "bank.base_url: ", "bank.accounts[0]: ", "bank.accounts[1]: ",
        "bank.reconcile_interval_seconds: 30 is out of range 60..86400",
        "bank.lookback_days: 32 is out of range 1..31", "PLANFIX_FLOW_MONOBANK_TOKEN: is not set",
        "PLANFIX_FLOW_MONOBANK_WEBHOOK_TOKEN: is not set"}) {
    EXPECT_TRUE(Contains(all, key)) << key << " not in:\n" << all;
  }

  Config config = *LoadConfig(InstalledExample(), env_).config;
  config.bank.enabled = true;
  config.bank.accounts.clear();
  config.telegram.webhook_url.clear();
  config.secrets.monobank_token = "monobank-token";
  config.secrets.monobank_webhook_token = "short/token";
  std::string problems;
  for (const auto& problem : ValidateConfig(config)) problems += problem.ToString() + "\n";
  EXPECT_TRUE(Contains(problems, "bank.accounts: lists no account")) << problems;
  EXPECT_TRUE(Contains(problems, "bank.public_base_url: is required")) << problems;
  EXPECT_TRUE(Contains(problems, "PLANFIX_FLOW_MONOBANK_WEBHOOK_TOKEN: is too short")) << problems;
  EXPECT_TRUE(Contains(problems, "PLANFIX_FLOW_MONOBANK_WEBHOOK_TOKEN: must be characters"))
      << problems;
  EXPECT_FALSE(Contains(problems, "short/token"));
}

}  // namespace
}  // namespace planfix_flow::config

namespace planfix_flow::config {
namespace {

TEST_F(ConfigTest, InvoicesAreReadFromTheirSectionAndOffWithoutIt) {
  auto result = LoadConfig(InstalledExample(), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  const InvoicesConfig& invoices = result.config->invoices;
  EXPECT_TRUE(invoices.enabled);
  EXPECT_EQ(invoices.fields.number, 111);
  EXPECT_EQ(invoices.fields.amount, 112);
  EXPECT_EQ(invoices.fields.due_date, 113);
  EXPECT_EQ(invoices.fields.paid_amount, 117);
  EXPECT_EQ(invoices.payer_fields.edrpou, 203);
  EXPECT_EQ(invoices.payer_fields.iban, 204);
  EXPECT_EQ(invoices.reminder_interval_working_days, 3);
  EXPECT_EQ(invoices.max_reminders, 3);
  EXPECT_EQ(invoices.default_currency, "UAH");

  result = LoadConfig(WriteConfig([](std::string text) {
                        const auto from = text.find("\n[invoices]\n");
                        const auto to = text.find("\n[calendar]\n");
                        EXPECT_NE(from, std::string::npos);
                        EXPECT_NE(to, std::string::npos);
                        // The section and its comment block go; nothing else.
                        const auto comment = text.rfind("\n\n", from);
                        return text.erase(comment + 1, to - comment);
                      }),
                      env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_FALSE(result.config->invoices.enabled);
}

TEST_F(ConfigTest, BadInvoiceSettingsAreNamedByTheirKeyPaths) {
  auto result =
      LoadConfig(WriteConfig([](std::string text) {
                   text = ReplaceLine(text, "number = 111", "number = 0");
                   text = ReplaceLine(text, "paid = 116", "paid = 112");
                   text = ReplaceLine(text, "default_currency = ", "default_currency = \"uah\"");
                   text = ReplaceLine(text, "max_reminders = 3", "max_reminders = 50");
                   text = ReplaceLine(text, "due_date = 113", "due_dates = 113");
                   return ReplaceLine(text, "edrpou = 203", "edrpou = -1");
                 }),
                 env_);
  const std::string all = AllProblems(result);
  EXPECT_FALSE(result.ok());
  for (const char* expected :
       {"invoices.fields.number: 0 is not a Planfix custom field id",
        "invoices.fields.paid: field 112 is already invoices.fields.amount",
        "invoices.default_currency: \"uah\" is not a 3-letter ISO 4217 code",
        "invoices.max_reminders: 50 is out of range 0..20",
        "invoices.fields.due_date: is missing (required)",
        "invoices.fields.due_dates: unknown key (did you mean \"due_date\"?)",
        "invoices.payer_fields.edrpou: -1 is negative"}) {
    EXPECT_TRUE(Contains(all, expected)) << expected << "\n" << all;
  }
  result = LoadConfig(WriteConfig([](std::string text) {
                        // in_production is 5 in the example.
                        return ReplaceLine(text, "issued = 0", "issued = 5");
                      }),
                      env_);
  EXPECT_TRUE(Contains(AllProblems(result),
                       "invoices.statuses.issued: status 5 already starts another flow"))
      << AllProblems(result);
}

// The example's [invoices.income] section, uncommented with these ids.
std::string WithIncome(std::string text, const std::string& data_tag = "601",
                       const std::string& amount = "611") {
  text = ReplaceLine(text, "#[invoices.income]", "[invoices.income]");
  text = ReplaceLine(text, "#data_tag = 0", "data_tag = " + data_tag);
  text = ReplaceLine(text, "#[invoices.income.fields]", "[invoices.income.fields]");
  text = ReplaceLine(text, "#amount = 0", "amount = " + amount);
  text = ReplaceLine(text, "#date = 0", "date = 612");
  text = ReplaceLine(text, "#invoice_number = 0", "invoice_number = 613");
  text = ReplaceLine(text, "#payer = 0", "payer = 614");
  return ReplaceLine(text, "#purpose = 0", "purpose = 615");
}

TEST_F(ConfigTest, TheIncomeEntryIsOffByDefaultAndReadFromItsSection) {
  auto result = LoadConfig(InstalledExample(), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_FALSE(result.config->invoices.income.enabled);

  result = LoadConfig(WriteConfig([](std::string text) { return WithIncome(text); }), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  const InvoiceIncome& income = result.config->invoices.income;
  EXPECT_TRUE(income.enabled);
  EXPECT_EQ(income.data_tag, 601);
  EXPECT_EQ(income.fields.amount, 611);
  EXPECT_EQ(income.fields.date, 612);
  EXPECT_EQ(income.fields.invoice_number, 613);
  EXPECT_EQ(income.fields.payer, 614);
  EXPECT_EQ(income.fields.purpose, 615);
}

TEST_F(ConfigTest, TheDigestIsOffByDefaultAndItsTimeIsChecked) {
  auto result = LoadConfig(InstalledExample(), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_FALSE(result.config->invoices.digest.enabled);
  EXPECT_EQ(result.config->invoices.digest.time, "09:30");

  // The example's [invoices.digest], uncommented with this time.
  const auto with_digest = [](std::string text, const std::string& time) {
    text = ReplaceLine(text, "#[invoices.digest]", "[invoices.digest]");
    text = ReplaceLine(text, "#enabled = true", "enabled = true");
    return ReplaceLine(text, "#time = \"09:30\"", "time = " + time);
  };
  result = LoadConfig(WriteConfig([&](std::string text) { return with_digest(text, "\"08:15\""); }),
                      env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_TRUE(result.config->invoices.digest.enabled);
  EXPECT_EQ(result.config->invoices.digest.time, "08:15");

  result = LoadConfig(WriteConfig([&](std::string text) { return with_digest(text, "\"9.30\""); }),
                      env_);
  EXPECT_TRUE(Contains(AllProblems(result),
                       "invoices.digest.time: \"9.30\" is not a time such as \"09:30\""))
      << AllProblems(result);
}

TEST_F(ConfigTest, BadIncomeSettingsAreNamedByTheirKeyPaths) {
  auto result = LoadConfig(WriteConfig([](std::string text) {
                             text = WithIncome(text, "0", "0");
                             text = ReplaceLine(text, "date = 612", "date = -3");
                             return ReplaceLine(text, "payer = 614", "payer = 613");
                           }),
                           env_);
  EXPECT_FALSE(result.ok());
  std::string all = AllProblems(result);
  for (const char* expected : {"invoices.income.data_tag: 0 is not a Planfix data tag id",
                               "invoices.income.fields.amount: 0 is not a field id of the data tag",
                               "invoices.income.fields.date: -3 is negative",
                               "invoices.income.fields.payer: field 613 is already "
                               "invoices.income.fields.invoice_number"}) {
    EXPECT_TRUE(Contains(all, expected)) << expected << "\n" << all;
  }
  result = LoadConfig(WriteConfig([](std::string text) {
                        text = WithIncome(text);
                        return ReplaceLine(text, "amount = 611", "#amount = 611");
                      }),
                      env_);
  all = AllProblems(result);
  EXPECT_TRUE(Contains(all, "invoices.income.fields.amount: is missing (required)")) << all;
}

}  // namespace
}  // namespace planfix_flow::config

namespace planfix_flow::config {
namespace {

// The example's [report] section, uncommented with these ids.
std::string WithReport(std::string text, const std::string& deal_template = "501",
                       const std::string& time = "\"10:00\"") {
  text = ReplaceLine(text, "#[report]", "[report]");
  text = ReplaceLine(text, "#deal_template_id = 0", "deal_template_id = " + deal_template);
  text = ReplaceLine(text, "#retainer_field = 0", "retainer_field = 502");
  text = ReplaceLine(text, "#days_before_month_end = 3", "days_before_month_end = 2");
  text = ReplaceLine(text, "#time = \"10:00\"", "time = " + time);
  text = ReplaceLine(text, "#template_id = 0", "template_id = 503");
  text = ReplaceLine(text, "#process_id = 0", "process_id = 504");
  return ReplaceLine(text, "#sent_status = 0", "sent_status = 505");
}

TEST_F(ConfigTest, TheReportIsOffByDefaultAndReadFromItsSection) {
  auto result = LoadConfig(InstalledExample(), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  EXPECT_FALSE(result.config->report.enabled);

  result = LoadConfig(WriteConfig([](std::string text) { return WithReport(text); }), env_);
  ASSERT_TRUE(result.ok()) << AllProblems(result);
  const ReportConfig& report = result.config->report;
  EXPECT_TRUE(report.enabled);
  EXPECT_EQ(report.deal_template_id, 501);
  EXPECT_EQ(report.retainer_field, 502);
  EXPECT_EQ(report.days_before_month_end, 2);
  EXPECT_EQ(report.time, "10:00");
  EXPECT_EQ(report.template_id, 503);
  EXPECT_EQ(report.process_id, 504);
  EXPECT_EQ(report.sent_status, 505);
}

TEST_F(ConfigTest, BadReportSettingsAreNamedByTheirKeyPaths) {
  auto result = LoadConfig(WriteConfig([](std::string text) {
                             text = WithReport(text, "0", "\"25:00\"");
                             text = ReplaceLine(text, "days_before_month_end = 2",
                                                "days_before_month_end = 40");
                             return ReplaceLine(text, "template_id = 503", "templates_id = 503");
                           }),
                           env_);
  const std::string all = AllProblems(result);
  EXPECT_FALSE(result.ok());
  for (const char* expected :
       {"report.deal_template_id: 0 is not a Planfix id",
        "report.days_before_month_end: 40 is out of range 1..15",
        "report.time: \"25:00\" is not a time", "report.template_id: is missing (required)"}) {
    EXPECT_TRUE(Contains(all, expected)) << expected << "\n" << all;
  }
}

}  // namespace
}  // namespace planfix_flow::config
