// The online config doctor against the sandbox fakes: deploy/config.example.toml pointed at
// a Planfix, Telegram and Google seeded to match it passes every check; then each id (and
// each other thing the doctor judges) is made wrong in turn and must give exactly one
// problem line naming its key. Also through the real binary (check-config --online) and
// `planfix ids`.
#include "planfix_flow/app/config_doctor.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <sstream>

#include "app/serve_process_util.h"
#include "planfix_flow/app/cli.h"
#include "planfix_flow/app/planfix_ids.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_google.h"
#include "planfix_flow/sandbox/fake_monobank.h"
#include "planfix_flow/sandbox/fake_planfix.h"
#include "planfix_flow/sandbox/fake_telegram.h"

namespace planfix_flow::app {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ReplaceLine;

constexpr char kPlanfixToken[] = "doctor-planfix-token";
constexpr char kServiceAccount[] = "flow@agency.iam.gserviceaccount.com";
constexpr char kFormId[] = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
constexpr char kWebhookUrl[] = "https://flow.agency.example/webhooks/telegram";
constexpr std::int64_t kStaffChat = -1001234567890;

sandbox::FakePlanfixOptions PlanfixOptions(std::chrono::milliseconds min_interval) {
  sandbox::FakePlanfixOptions options;
  options.tokens = {{kPlanfixToken, {}, true}};
  options.min_interval = min_interval;
  return options;
}

// The three fakes seeded as deploy/config.example.toml expects them, and that config pointed
// at them (with a Communication template and both processes named).
class DoctorWorld {
 public:
  explicit DoctorWorld(std::chrono::milliseconds planfix_interval = 0ms)
      : planfix(PlanfixOptions(planfix_interval)) {
    planfix.Start();
    telegram.Start();
    google.Start();
    dir = fs::temp_directory_path() / ("planfix-flow-doctor-" + std::to_string(::getpid()) + "-" +
                                       std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    fs::create_directories(dir);

    planfix.NameProcess(1, "Угоди");
    planfix.DefineProcess(1, {{3, "Передано у виробництво"},
                              {4, "Повернено продажам"},
                              {5, "У виробництві"},
                              {8, "На погодженні"},
                              {9, "Погоджено"},
                              {10, "Доопрацювання"},
                              {11, "Роботу завершено"},
                              {12, "Дизайн"},
                              {13, "Розробка"}});
    planfix.NameProcess(2, "Комунікація");
    planfix.DefineProcess(2, {{1, "Нова"}, {6, "Бриф запитано"}, {7, "Бриф заповнено"}});
    planfix.DefineTaskField({101, "Тип робіт", 0});
    planfix.DefineTaskField({102, "Сума", 1});
    planfix.DefineTaskField({103, "Оплату отримано", 7});
    planfix.DefineTaskField({104, "Доступи надано", 7});
    planfix.DefineTaskField({111, "Номер рахунку", 0});
    planfix.DefineTaskField({112, "Сума рахунку", 1});
    planfix.DefineTaskField({113, "Строк оплати", 3});
    planfix.DefineTaskField({114, "Валюта", 8, {"UAH", "USD"}});
    planfix.DefineTaskField({115, "Реквізити", 0});
    planfix.DefineTaskField({116, "Сплачено", 7});
    planfix.DefineTaskField({117, "Сплачено, сума", 1});
    planfix.DefineContactField({201, "Telegram chat", 0});
    planfix.DefineContactField({202, "Мова", 8, {"uk", "en"}});
    planfix.DefineContactField({211, "Очікування", 2});
    planfix.DefineContactField({212, "Підрядники", 2});
    planfix.DefineContactField({213, "Доступи", 20, {"Google Ads", "Meta Ads"}});
    planfix.DefineContactField({214, "Дата запуску", 3});
    planfix.DefineContactField({215, "Доступи надано", 7});
    planfix.DefineContactField({203, "ЄДРПОУ", 0});
    planfix.DefineContactField({204, "IBAN", 0});
    planfix.DefineTaskTemplate(5, "Комунікація з клієнтом");
    planfix.DefineTaskTemplate(6, "Звіт");

    telegram.AddSupergroup(kStaffChat, "Agency staff");
    sandbox::FakeWebhook webhook;
    webhook.url = kWebhookUrl;
    telegram.SeedWebhook(webhook);

    google.AddForm(
        kFormId, "Бриф клієнта",
        {{"0a000001", "Що ви очікуєте від проєкту?", google::QuestionKind::kParagraph},
         {"0a000002", "З якими підрядниками ви працюєте?", google::QuestionKind::kParagraph},
         {"0a000003",
          "До яких акаунтів ви надасте доступ?",
          google::QuestionKind::kCheckbox,
          {"Google Ads", "Meta Ads"}},
         {"0a000004", "Бажана дата запуску", google::QuestionKind::kDate},
         {"0a000005",
          "Ви вже надали нам доступи до рекламних кабінетів?",
          google::QuestionKind::kRadio,
          {"Так / Yes", "Ні / No"}},
         {"0a000006", "Ваш номер телефону", google::QuestionKind::kShortText},
         // entry.1234567890 of the example config: 1234567890 = 0x499602d2.
         {"499602d2", "Brief code", google::QuestionKind::kShortText}});
    const auto key = google.CreateServiceAccount(kServiceAccount);
    google.ShareWith(kFormId, kServiceAccount);
    key_file = dir / "google-key.json";
    std::ofstream(key_file) << google::ServiceAccountKeyJson(key);

    text = testing::LoopbackServeConfig(18080, telegram.api_base_url());
    ReplaceLine(text, "base_url = \"http://127.0.0.1:1/rest/\"",
                "base_url = \"" + planfix.rest_url() + "/\"");
    ReplaceLine(
        text, "min_interval_ms = ", fmt::format("min_interval_ms = {}", planfix_interval.count()));
    ReplaceLine(text, "forms_base_url = ", "forms_base_url = \"" + google.base_url() + "\"");
    ReplaceLine(text, "token_url = ", "token_url = \"" + google.token_url() + "\"");
    ReplaceLine(text, "communication_template_id = ", "communication_template_id = 5");
    env = {
        {std::string(config::kEnvPlanfixToken), kPlanfixToken},
        {std::string(config::kEnvTelegramBotToken), telegram.token()},
        {std::string(config::kEnvTelegramWebhookSecret), "doctor-telegram-webhook-secret"},
        {std::string(config::kEnvPlanfixWebhookSecret), "doctor-planfix-webhook-secret"},
        {std::string(config::kEnvGoogleWebhookSecret), "doctor-google-webhook-secret"},
        {std::string(config::kEnvGoogleSaKeyFile), key_file.string()},
        {std::string(config::kEnvAdminToken), "doctor-admin-token-0123456789"},
        {std::string(config::kEnvSigningKey), "doctor-signing-key-0123456789abcdef"},
    };
  }

  ~DoctorWorld() { fs::remove_all(dir); }

  // The config as LoadConfig reads `text` (it must be valid offline).
  config::Config Load() const {
    auto result = config::ParseConfig(text, dir, config::Environment(env.begin(), env.end()));
    std::string problems;
    for (const auto& problem : result.problems) problems += problem.ToString() + "\n";
    EXPECT_TRUE(result.ok()) << problems;
    return result.ok() ? *result.config : config::Config{};
  }

  sandbox::FakePlanfix planfix;
  sandbox::FakeTelegram telegram;
  sandbox::FakeGoogle google;
  fs::path dir;
  fs::path key_file;
  std::string text;
  std::map<std::string, std::string> env;
};

std::string Lines(const std::vector<DoctorCheck>& checks, Verdict verdict) {
  std::string lines;
  for (const auto& check : checks) {
    if (check.verdict == verdict) lines += check.ToString() + "\n";
  }
  return lines;
}

class ConfigDoctor : public ::testing::Test {
 protected:
  void SetUp() override { config_ = world_.Load(); }

  std::vector<DoctorCheck> Planfix() {
    planfix::PlanfixOptions options;
    options.base_url = config_.planfix.base_url;
    options.token = config_.secrets.planfix_token;
    options.min_interval = 0ms;
    planfix::PlanfixClient client(http_, clock_, options);
    return CheckPlanfixAccount(config_, client, &facts_);
  }

  std::vector<DoctorCheck> Telegram() {
    telegram::TelegramOptions options;
    options.base_url = config_.telegram.base_url;
    options.token = config_.secrets.telegram_bot_token;
    telegram::TelegramClient client(http_, clock_, options);
    return CheckTelegramBot(config_, client, clock_);
  }

  std::vector<DoctorCheck> Google(std::optional<google::ServiceAccountKey> key = std::nullopt) {
    google::GoogleOptions options;
    options.forms_base_url = config_.google.forms_base_url;
    options.token_url = config_.google.token_url;
    options.key = key ? *key : *google::LoadServiceAccountKey(config_.secrets.google_sa_key_file);
    google::GoogleFormsClient client(http_, clock_, options);
    return CheckGoogleForm(config_, client, facts_);
  }

  std::vector<DoctorCheck> All() {
    auto all = Planfix();
    for (auto part : {Telegram(), Google()}) all.insert(all.end(), part.begin(), part.end());
    return all;
  }

  // Exactly one problem, and it is `expected` (the whole line after the verdict).
  static void ExpectOneProblem(const std::vector<DoctorCheck>& checks,
                               const std::string& expected) {
    const std::string problems = Lines(checks, Verdict::kProblem);
    EXPECT_EQ(std::count(problems.begin(), problems.end(), '\n'), 1) << problems;
    EXPECT_NE(problems.find("problem  " + expected), std::string::npos)
        << "expected: " << expected << "\ngot:\n"
        << problems;
  }

  DoctorWorld world_;
  config::Config config_;
  PlanfixFacts facts_;
  http::CurlHttpClient http_;
  core::SystemClock clock_;
};

TEST_F(ConfigDoctor, TheExampleConfigAgainstMatchingAccountsPassesEveryCheck) {
  config_.planfix.processes = {.deal = 1, .communication = 2};
  const auto checks = All();
  EXPECT_EQ(Lines(checks, Verdict::kProblem), "");
  EXPECT_EQ(Lines(checks, Verdict::kNote), "");
  const std::string ok = Lines(checks, Verdict::kOk);
  for (const std::string expected : {
           "ok       PLANFIX_FLOW_PLANFIX_TOKEN: Planfix at ",
           "ok       planfix.processes.deal = 1: process 1 \"Угоди\" (9 statuses)",
           "ok       planfix.processes.communication = 2: process 2 \"Комунікація\" (3 statuses)",
           "ok       planfix.statuses.handed_to_production = 3: \"Передано у виробництво\" in "
           "process 1 \"Угоди\"",
           "ok       planfix.statuses.returned_to_sales = 4:",
           "ok       planfix.statuses.in_production = 5:",
           "ok       planfix.statuses.brief_requested = 6: \"Бриф запитано\" in process 2",
           "ok       planfix.statuses.brief_filled = 7:",
           "ok       planfix.statuses.awaiting_approval = 8: \"На погодженні\" in process 1",
           "ok       planfix.statuses.approved = 9:",
           "ok       planfix.statuses.rework = 10:",
           "ok       stages[1].status = 12: \"Дизайн\"",
           "ok       stages[2].status = 13:",
           "ok       stages[3].status = 11:",
           "ok       planfix.task_fields.work_type = 101: task field \"Тип робіт\" (line)",
           "ok       planfix.task_fields.amount = 102:",
           "ok       planfix.task_fields.payment_received = 103: task field \"Оплату отримано\" "
           "(checkbox)",
           "ok       planfix.task_fields.access_granted = 104:",
           "ok       planfix.contact_fields.telegram_chat_id = 201:",
           "ok       planfix.contact_fields.language = 202: contact field \"Мова\" (list)",
           "ok       brief.answers[1].field_id = 211:",
           "ok       brief.answers[5].field_id = 215:",
           "ok       invoices.fields.number = 111: task field \"Номер рахунку\" (line)",
           "ok       invoices.fields.due_date = 113: task field \"Строк оплати\" (date)",
           "ok       invoices.fields.paid_amount = 117:",
           "ok       invoices.payer_fields.edrpou = 203: contact field \"ЄДРПОУ\" (line)",
           "ok       invoices.payer_fields.iban = 204:",
           "ok       planfix.handoff.communication_template_id = 5: task template \"Комунікація з "
           "клієнтом\"",
           "ok       telegram.bot_username = \"planfix_flow_bot\": the token is "
           "@planfix_flow_bot's",
           "ok       telegram.staff_chat_id = -1001234567890: the bot may post to supergroup "
           "\"Agency staff\" (status \"member\"; nothing was sent)",
           "ok       telegram.webhook_url = \"https://flow.agency.example/webhooks/telegram\": "
           "registered, no delivery error",
           "ok       PLANFIX_FLOW_GOOGLE_SA_KEY_FILE: the service account gets a token",
           "ok       google.form_id = \"1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789\": form \"Бриф "
           "клієнта\" with 7 questions",
           "ok       google.brief_code_question = \"Brief code\": question \"Brief code\"",
           "ok       google.brief_code_entry = \"entry.1234567890\": the entry of question "
           "\"Brief code\"",
           "ok       brief.answers[1].question = \"Що ви очікуєте від проєкту?\": a paragraph "
           "question",
           "ok       brief.answers[4].question = \"Бажана дата запуску\": a date question",
           "ok       brief.answers[5].question = ",
       }) {
    EXPECT_NE(ok.find(expected), std::string::npos) << expected << "\n" << ok;
  }
}

TEST_F(ConfigDoctor, ItChangesNothingInAnyAccount) {
  const auto webhook_before = world_.telegram.webhook();
  const auto checks = All();
  EXPECT_EQ(Lines(checks, Verdict::kProblem), "");
  EXPECT_TRUE(world_.planfix.writes().empty());
  for (const auto& request : world_.planfix.requests()) {
    // The only POST is a list (Planfix's data tag list takes its paging in a body).
    if (request.method == "POST") {
      EXPECT_EQ(request.path, "/rest/datatag/list");
    }
  }
  EXPECT_TRUE(world_.telegram.Messages(kStaffChat).empty());
  for (const auto& request : world_.telegram.requests()) {
    const std::string method = request.path.substr(request.path.rfind('/') + 1);
    EXPECT_TRUE(method == "getMe" || method == "getChat" || method == "getChatMember" ||
                method == "getWebhookInfo")
        << method;
  }
  EXPECT_EQ(world_.telegram.webhook().url, webhook_before.url);
  for (const auto& request : world_.google.requests()) {
    EXPECT_TRUE(request.method == "GET" || request.path == "/token") << request.path;
  }
}

TEST_F(ConfigDoctor, EachStatusIdWrongInTurnGivesOneProblemNamingItsKey) {
  config_.planfix.processes = {.deal = 1, .communication = 2};
  auto& s = config_.planfix.statuses;
  struct Case {
    std::int64_t* id;
    std::string expected;
  };
  const std::string deal_statuses =
      "(statuses: 3 Передано у виробництво, 4 Повернено продажам, 5 У виробництві, 8 На "
      "погодженні, 9 Погоджено, 10 Доопрацювання, 11 Роботу завершено, 12 Дизайн, 13 Розробка)";
  const std::vector<Case> cases = {
      {&s.handed_to_production,
       "planfix.statuses.handed_to_production = 999: no such status in process 1 \"Угоди\" " +
           deal_statuses},
      {&s.returned_to_sales,
       "planfix.statuses.returned_to_sales = 999: no such status in process 1"},
      {&s.in_production, "planfix.statuses.in_production = 999: no such status in process 1"},
      // Statuses of the Communication tasks are looked for in that process only: 3 is a deal's.
      {&s.brief_requested,
       "planfix.statuses.brief_requested = 999: no such status in process 2 \"Комунікація\" "
       "(statuses: 1 Нова, 6 Бриф запитано, 7 Бриф заповнено)"},
      {&s.brief_filled, "planfix.statuses.brief_filled = 999: no such status in process 2"},
      {&s.awaiting_approval,
       "planfix.statuses.awaiting_approval = 999: no such status in any task process (process 1 "
       "\"Угоди\": 3 Передано у виробництво"},
      {&s.approved, "planfix.statuses.approved = 999: no such status in any task process"},
      {&s.rework, "planfix.statuses.rework = 999: no such status in any task process"},
      {&config_.planfix.gate_refused_status,
       "planfix.gate.refused_status = 999: no such status in process 1"},
      {&config_.stages[1].status, "stages[2].status = 999: no such status in any task process"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.expected);
    const std::int64_t before = *c.id;
    *c.id = 999;
    ExpectOneProblem(Planfix(), c.expected);
    *c.id = before;
  }
  // A deal status set on the Communication task's process is wrong there.
  s.brief_filled = 3;
  ExpectOneProblem(Planfix(), "planfix.statuses.brief_filled = 3: no such status in process 2");
}

TEST_F(ConfigDoctor, AWrongProcessIdIsOneProblemAndItsStatusesAreNotJudgedAgainstIt) {
  config_.planfix.processes = {.deal = 77, .communication = 2};
  ExpectOneProblem(Planfix(),
                   "planfix.processes.deal = 77: no such task process (processes: 1 \"Угоди\", 2 "
                   "\"Комунікація\")");
}

TEST_F(ConfigDoctor, WithoutProcessesEveryStatusIsLookedForInAnyProcess) {
  const auto checks = Planfix();
  EXPECT_EQ(Lines(checks, Verdict::kProblem), "");
  EXPECT_NE(Lines(checks, Verdict::kOk)
                .find("ok       planfix.statuses.brief_filled = 7: \"Бриф заповнено\" in process 2 "
                      "\"Комунікація\""),
            std::string::npos);
  config_.planfix.statuses.in_production = 55;
  ExpectOneProblem(Planfix(),
                   "planfix.statuses.in_production = 55: no such status in any task process");
}

TEST_F(ConfigDoctor, EachCustomFieldIdWrongInTurnGivesOneProblemNamingItsKey) {
  auto& t = config_.planfix.task_fields;
  auto& c = config_.planfix.contact_fields;
  struct Case {
    std::int64_t* id;
    std::int64_t wrong;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {&t.work_type, 998, "planfix.task_fields.work_type = 998: no such task custom field"},
      {&t.amount, 998, "planfix.task_fields.amount = 998: no such task custom field"},
      {&t.payment_received, 998,
       "planfix.task_fields.payment_received = 998: no such task custom field"},
      {&t.access_granted, 998,
       "planfix.task_fields.access_granted = 998: no such task custom field"},
      // A contact field's id under task fields: the line says where that id is.
      {&t.access_granted, 215,
       "planfix.task_fields.access_granted = 215: no such task custom field (contact field 215 "
       "is \"Доступи надано\", checkbox: a field of the wrong object?)"},
      {&c.telegram_chat_id, 998,
       "planfix.contact_fields.telegram_chat_id = 998: no such contact custom field"},
      {&c.language, 101,
       "planfix.contact_fields.language = 101: no such contact custom field (task field 101 is "
       "\"Тип робіт\", line: a field of the wrong object?)"},
      {&config_.brief.answers[0].field_id, 998,
       "brief.answers[1].field_id = 998: no such contact custom field"},
      {&config_.brief.answers[4].field_id, 998,
       "brief.answers[5].field_id = 998: no such contact custom field"},
  };
  for (const auto& c_case : cases) {
    SCOPED_TRACE(c_case.expected);
    const std::int64_t before = *c_case.id;
    *c_case.id = c_case.wrong;
    ExpectOneProblem(Planfix(), c_case.expected);
    *c_case.id = before;
  }
}

TEST_F(ConfigDoctor, AFieldOfATypeTheServiceCannotUseIsOneProblem) {
  world_.planfix.DefineTaskField({103, "Оплату отримано", 0});
  ExpectOneProblem(Planfix(),
                   "planfix.task_fields.payment_received = 103: task field \"Оплату отримано\" is "
                   "a line field; the service needs checkbox");
  world_.planfix.DefineTaskField({103, "Оплату отримано", 7});
  world_.planfix.DefineContactField({201, "Telegram chat", 1});
  ExpectOneProblem(Planfix(),
                   "planfix.contact_fields.telegram_chat_id = 201: contact field \"Telegram chat\" "
                   "is a number field; the service needs line or text");
  world_.planfix.DefineContactField({201, "Telegram chat", 0});
  // The declared type of a brief answer against the catalogue's.
  world_.planfix.DefineContactField({214, "Дата запуску", 0});
  ExpectOneProblem(Planfix(),
                   "brief.answers[4].type = \"date\": contact field 214 \"Дата запуску\" is a line "
                   "field in Planfix");
}

TEST_F(ConfigDoctor, AnInvoiceFieldMissingOrOfAWrongTypeIsOneProblem) {
  world_.planfix.DefineTaskField({113, "Строк оплати", 0});
  ExpectOneProblem(Planfix(),
                   "invoices.fields.due_date = 113: task field \"Строк оплати\" is a line field; "
                   "the service needs date");
  world_.planfix.DefineTaskField({113, "Строк оплати", 3});
  config_.invoices.payer_fields.iban = 299;
  ExpectOneProblem(Planfix(), "invoices.payer_fields.iban = 299: no such contact custom field");
}

TEST_F(ConfigDoctor, AWrongTemplateIdIsOneProblemListingTheTemplates) {
  config_.planfix.communication_template_id = 77;
  ExpectOneProblem(Planfix(),
                   "planfix.handoff.communication_template_id = 77: no such task template "
                   "(templates: 5 \"Комунікація з клієнтом\", 6 \"Звіт\")");
}

TEST_F(ConfigDoctor, TheReportIdsMustBeInTheAccount) {
  world_.planfix.DefineTaskField({120, "Щомісячний ретейнер", 7});
  config_.planfix.processes = {.deal = 1, .communication = 2};
  auto& report = config_.report;
  report.enabled = true;
  report.deal_template_id = 6;
  report.template_id = 6;
  report.retainer_field = 120;
  report.process_id = 1;
  report.sent_status = 11;
  auto checks = Planfix();
  EXPECT_EQ(Lines(checks, Verdict::kProblem), "");
  const std::string ok = Lines(checks, Verdict::kOk);
  for (const std::string expected : {
           "ok       report.process_id = 1: process 1 \"Угоди\"",
           "ok       report.sent_status = 11: \"Роботу завершено\" in process 1 \"Угоди\"",
           "ok       report.retainer_field = 120: task field \"Щомісячний ретейнер\" (checkbox)",
           "ok       report.deal_template_id = 6: task template \"Звіт\"",
           "ok       report.template_id = 6: task template \"Звіт\"",
       }) {
    EXPECT_NE(ok.find(expected), std::string::npos) << expected << "\n" << ok;
  }

  report.template_id = 77;
  ExpectOneProblem(Planfix(),
                   "report.template_id = 77: no such task template (templates: 5 \"Комунікація з "
                   "клієнтом\", 6 \"Звіт\")");
  report.template_id = 6;
  report.retainer_field = 101;
  ExpectOneProblem(Planfix(),
                   "report.retainer_field = 101: task field \"Тип робіт\" is a line field; the "
                   "service needs checkbox");
  report.retainer_field = 120;
  report.sent_status = 7;  // a status of the Communication process, not the report's
  ExpectOneProblem(Planfix(), "report.sent_status = 7: no such status in process 1 \"Угоди\"");
  report.process_id = 0;  // the template's process: any process will do
  EXPECT_EQ(Lines(Planfix(), Verdict::kProblem), "");
  report.process_id = 42;
  ExpectOneProblem(Planfix(), "report.process_id = 42: no such task process");
}

TEST_F(ConfigDoctor, TheBankTokenAndEachConfiguredAccountMustBeTheBanks) {
  core::SystemClock bank_clock;
  sandbox::FakeMonobank bank(bank_clock);
  bank.Start();
  config_.bank.enabled = true;
  config_.bank.base_url = bank.base_url();
  config_.bank.accounts = {"fop-uah-account", "closed-account"};
  config_.secrets.monobank_token = bank.token();
  const auto check = [&] {
    bank::MonobankOptions options;
    options.base_url = config_.bank.base_url;
    options.token = config_.secrets.monobank_token;
    bank::MonobankClient client(http_, clock_, options);
    return CheckMonobank(config_, client);
  };
  auto checks = check();
  ExpectOneProblem(checks,
                   "bank.accounts[1] = \"closed-account\": no such account of the token "
                   "(accounts: fop-uah-account (fop, 980), black-card (black, 980))");
  const std::string ok = Lines(checks, Verdict::kOk);
  EXPECT_NE(ok.find("ok       PLANFIX_FLOW_MONOBANK_TOKEN: monobank at " + bank.base_url() +
                    " accepts the token (client-info: 2 account(s))"),
            std::string::npos)
      << ok;
  EXPECT_NE(ok.find("ok       bank.accounts[0] = \"fop-uah-account\": fop account in UAH"),
            std::string::npos)
      << ok;
  EXPECT_EQ(Lines(checks, Verdict::kNote),
            "note     bank.public_base_url: the bank holds no webhook; the service registers it "
            "when it starts\n");

  // A token the bank does not know (another fake: each answers client-info once a minute).
  sandbox::FakeMonobank other(bank_clock);
  other.Start();
  config_.bank.base_url = other.base_url();
  config_.secrets.monobank_token = "uWrongToken";
  other.ExpectRefusals(1);
  checks = check();
  ExpectOneProblem(checks, "PLANFIX_FLOW_MONOBANK_TOKEN: monobank refused the token");
  EXPECT_EQ(checks.size(), 2u);  // and the note that the rest were skipped
  EXPECT_EQ(checks[0].ToString().find(config_.secrets.monobank_token), std::string::npos);

  config_.bank.enabled = false;
  EXPECT_TRUE(check().empty());
}

TEST_F(ConfigDoctor, ARefusedPlanfixTokenIsOneProblemAndStopsThePlanfixChecks) {
  config_.secrets.planfix_token = "wrong";
  world_.planfix.ExpectRefusals(1);
  const auto checks = Planfix();
  ExpectOneProblem(checks, "PLANFIX_FLOW_PLANFIX_TOKEN: Planfix refused the token:");
  EXPECT_EQ(checks.size(), 2u);  // the problem and the note that the rest were skipped
}

TEST_F(ConfigDoctor, DataTagsTheConfigNamesMustExist) {
  world_.planfix.DefineDataTag(4, "Фактичний час", {{10, "Тривалість", 4}});
  planfix::PlanfixOptions options;
  options.base_url = config_.planfix.base_url;
  options.token = kPlanfixToken;
  options.min_interval = 0ms;
  planfix::PlanfixClient client(http_, clock_, options);
  const auto checks =
      CheckDataTags({{"planfix.time.data_tag", 4}, {"planfix.money.data_tag", 9}}, client);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].ToString(),
            "ok       planfix.time.data_tag = 4: data tag \"Фактичний час\" (1 fields)");
  EXPECT_EQ(checks[1].ToString(),
            "problem  planfix.money.data_tag = 9: no such data tag (data tags: 4 \"Фактичний "
            "час\")");
  EXPECT_TRUE(CheckDataTags({}, client).empty());
}

TEST_F(ConfigDoctor, TheTimeDataTagAndItsFieldsMustExist) {
  world_.planfix.DefineDataTag(4, "Фактичний час", {{10, "Тривалість", 4}, {11, "Дата", 3}});
  EXPECT_TRUE(ConfiguredDataTags(config_).empty());  // [time] not configured: nothing to check
  config_.time.data_tag = 4;
  config_.time.fields.duration = 10;
  config_.time.fields.date = 12;
  const auto keys = ConfiguredDataTags(config_);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_path, "time.data_tag");
  const auto checks = Planfix();
  ExpectOneProblem(checks,
                   "time.fields.date = 12: no such field in data tag \"Фактичний час\" "
                   "(fields: 10 \"Тривалість\", 11 \"Дата\")");
  bool duration_ok = false;
  for (const auto& check : checks) {
    if (check.ToString() == "ok       time.fields.duration = 10: field \"Тривалість\" (time)") {
      duration_ok = true;
    }
  }
  EXPECT_TRUE(duration_ok);
}

TEST_F(ConfigDoctor, TheIncomeDataTagAndItsFieldsMustExist) {
  world_.planfix.DefineDataTag(7, "Надходження", {{71, "Сума", 1}, {72, "Дата", 3}});
  auto& income = config_.invoices.income;
  income.enabled = true;
  income.data_tag = 7;
  income.fields.amount = 71;
  income.fields.date = 72;
  income.fields.payer = 79;
  const auto keys = ConfiguredDataTags(config_);
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_path, "invoices.income.data_tag");
  const auto checks = Planfix();
  ExpectOneProblem(checks,
                   "invoices.income.fields.payer = 79: no such field in data tag \"Надходження\" "
                   "(fields: 71 \"Сума\", 72 \"Дата\")");
  bool amount_ok = false;
  for (const auto& check : checks) {
    if (check.ToString() ==
        "ok       invoices.income.fields.amount = 71: field \"Сума\" (number)") {
      amount_ok = true;
    }
  }
  EXPECT_TRUE(amount_ok);
}

TEST_F(ConfigDoctor, ABotUsernameOfAnotherBotIsOneProblem) {
  config_.telegram.bot_username = "other_bot";
  ExpectOneProblem(Telegram(),
                   "telegram.bot_username = \"other_bot\": the token belongs to @planfix_flow_bot "
                   "(id 123456789)");
}

TEST_F(ConfigDoctor, ARefusedTelegramTokenIsOneProblemAndStopsTheTelegramChecks) {
  config_.secrets.telegram_bot_token = "1:wrong";
  world_.telegram.ExpectRefusals(1);
  const auto checks = Telegram();
  ExpectOneProblem(checks, "PLANFIX_FLOW_TELEGRAM_BOT_TOKEN: Telegram refused the bot token");
  EXPECT_EQ(checks.size(), 2u);
}

TEST_F(ConfigDoctor, AStaffChatTheBotCannotPostToIsOneProblem) {
  const std::string key = "telegram.staff_chat_id = -1001234567890: ";
  world_.telegram.SetBotStatus(kStaffChat, sandbox::FakeBotStatus::kKicked);
  ExpectOneProblem(Telegram(), key +
                                   "the bot cannot read the chat: telegram getChat: Forbidden: "
                                   "bot was kicked from the supergroup chat");
  world_.telegram.SetBotStatus(kStaffChat, sandbox::FakeBotStatus::kLeft);
  ExpectOneProblem(Telegram(), key +
                                   "the bot cannot read the chat: telegram getChat: Forbidden: "
                                   "bot is not a member of the supergroup chat");
  world_.telegram.SetBotStatus(kStaffChat, sandbox::FakeBotStatus::kRestricted);
  ExpectOneProblem(Telegram(), key +
                                   "the bot is restricted in supergroup \"Agency staff\" and may "
                                   "not send messages");
  world_.telegram.SetBotStatus(kStaffChat, sandbox::FakeBotStatus::kMember);
  world_.telegram.SetMembersCanSend(kStaffChat, false);
  ExpectOneProblem(Telegram(), key +
                                   "members of supergroup \"Agency staff\" may not send "
                                   "messages: make @planfix_flow_bot an administrator");
  // An administrator may post whatever members may.
  world_.telegram.SetBotStatus(kStaffChat, sandbox::FakeBotStatus::kAdministrator);
  EXPECT_EQ(Lines(Telegram(), Verdict::kProblem), "");
}

TEST_F(ConfigDoctor, AStaffChatIdTheBotDoesNotKnowOrThatMovedIsOneProblem) {
  config_.telegram.staff_chat_id = -1009999;
  ExpectOneProblem(Telegram(),
                   "telegram.staff_chat_id = -1009999: the bot knows no such chat (telegram "
                   "getChat: Bad Request: chat not found): add @planfix_flow_bot to the staff "
                   "group, or fix the id");
  world_.telegram.AddGroup(-4001, "Old staff group");
  world_.telegram.MigrateGroup(-4001, -1004001);
  config_.telegram.staff_chat_id = -4001;
  ExpectOneProblem(Telegram(),
                   "telegram.staff_chat_id = -4001: the group became a supergroup: set "
                   "telegram.staff_chat_id = -1004001");
}

TEST_F(ConfigDoctor, AWebhookElsewhereOrFailingIsOneProblemAndNoneYetANote) {
  const std::string key =
      "telegram.webhook_url = \"https://flow.agency.example/webhooks/telegram\": ";
  sandbox::FakeWebhook webhook;
  webhook.url = "https://old.agency.example/webhooks/telegram";
  world_.telegram.SeedWebhook(webhook);
  ExpectOneProblem(Telegram(), key +
                                   "the bot's webhook is "
                                   "\"https://old.agency.example/webhooks/telegram\" (another "
                                   "deployment of the bot?)");

  webhook.url = kWebhookUrl;
  webhook.last_error_date = core::ToUnixSeconds(clock_.Now()) - 300;
  webhook.last_error_message = "Wrong response from the webhook: 502 Bad Gateway";
  world_.telegram.SeedWebhook(webhook);
  ExpectOneProblem(Telegram(), key +
                                   "Telegram's last delivery failed 5 min ago: \"Wrong response "
                                   "from the webhook: 502 Bad Gateway\" (pending updates: 0)");

  // An error older than an hour is told, not judged: Telegram keeps it after later successes.
  webhook.last_error_date = core::ToUnixSeconds(clock_.Now()) - 3 * 3600;
  world_.telegram.SeedWebhook(webhook);
  auto checks = Telegram();
  EXPECT_EQ(Lines(checks, Verdict::kProblem), "");
  EXPECT_NE(Lines(checks, Verdict::kNote)
                .find("note     " + key +
                      "registered; Telegram's last "
                      "delivery failed 3 h ago"),
            std::string::npos)
      << Lines(checks, Verdict::kNote);

  world_.telegram.SeedWebhook({});
  checks = Telegram();
  EXPECT_EQ(Lines(checks, Verdict::kProblem), "");
  EXPECT_NE(Lines(checks, Verdict::kNote).find("note     " + key + "no webhook is registered yet"),
            std::string::npos);
}

TEST_F(ConfigDoctor, InPollingModeAWebhookIsANoteAndNoneIsOk) {
  config_.telegram.mode = config::TelegramMode::kPolling;
  world_.telegram.SeedWebhook({});
  auto checks = Telegram();
  EXPECT_EQ(Lines(checks, Verdict::kProblem) + Lines(checks, Verdict::kNote), "");
  EXPECT_NE(Lines(checks, Verdict::kOk)
                .find("ok       telegram.mode = \"polling\": no webhook is set, so getUpdates "
                      "can poll"),
            std::string::npos);
  sandbox::FakeWebhook webhook;
  webhook.url = kWebhookUrl;
  world_.telegram.SeedWebhook(webhook);
  checks = Telegram();
  EXPECT_EQ(Lines(checks, Verdict::kProblem), "");
  EXPECT_NE(Lines(checks, Verdict::kNote).find("`serve` deletes it at start"), std::string::npos);
}

TEST_F(ConfigDoctor, AGoogleTokenRefusedIsOneProblemAndStopsTheGoogleChecks) {
  // A key Google does not know: signed by another private key than the one registered.
  auto key = *google::LoadServiceAccountKey(config_.secrets.google_sa_key_file);
  key.private_key = sandbox::TestRsaKeyPair(1).private_key_pem;
  world_.google.ExpectRefusals(1);
  const auto checks = Google(key);
  ExpectOneProblem(checks,
                   "PLANFIX_FLOW_GOOGLE_SA_KEY_FILE: Google gave the service account no token:");
  EXPECT_EQ(checks.size(), 2u);
}

TEST_F(ConfigDoctor, AFormNotSharedOrNotThereIsOneProblem) {
  world_.google.AddForm("other-form", "Other", {{"0b000001", "Brief code"}});
  config_.google.form_id = "other-form";
  ExpectOneProblem(Google(),
                   "google.form_id = \"other-form\": the form cannot be read (forms.get)");
  config_.google.form_id = "no-such-form";
  ExpectOneProblem(Google(), "google.form_id = \"no-such-form\": the form cannot be read");
}

TEST_F(ConfigDoctor, EachFormQuestionMissingOrOfAWrongKindIsOneProblem) {
  Planfix();  // the contact catalogue, for answers without a declared type
  config_.brief.answers[1].question = "Хто ваші підрядники?";
  ExpectOneProblem(Google(),
                   "brief.answers[2].question = \"Хто ваші підрядники?\": no question with this "
                   "exact title in the form (questions: \"Що ви очікуєте від проєкту?\"");
  config_.brief.answers[1].question = "З якими підрядниками ви працюєте?";

  // A date field fed by a short-text question.
  config_.brief.answers[3].question = "Ваш номер телефону";
  ExpectOneProblem(Google(),
                   "brief.answers[4].question = \"Ваш номер телефону\": a text question, but "
                   "type = \"date\": it takes date answers");
  config_.brief.answers[3].question = "Бажана дата запуску";

  // Without a declared type, the Planfix field's type is the judge.
  config_.brief.answers[2].type.reset();
  config_.brief.answers[2].question = "Бажана дата запуску";
  ExpectOneProblem(Google(),
                   "brief.answers[3].question = \"Бажана дата запуску\": a date question, but "
                   "contact field 213 is a set of values field: it takes checkbox, radio, "
                   "drop_down answers");
}

TEST_F(ConfigDoctor, TheBriefCodeQuestionAndItsEntryMustMatchTheForm) {
  config_.google.brief_code_question = "Код";
  ExpectOneProblem(Google(), "google.brief_code_question = \"Код\": no such question in the form");
  config_.google.brief_code_question = "brief CODE";  // case and spaces do not matter
  config_.google.brief_code_entry = "entry.1234567";
  ExpectOneProblem(Google(),
                   "google.brief_code_entry = \"entry.1234567\": question \"Brief code\" is "
                   "entry.1234567890 (questionId 499602d2)");
  config_.google.brief_code_entry = "entry.1234567890";
  config_.google.brief_code_question = "Бажана дата запуску";
  const auto checks = Google();
  EXPECT_NE(Lines(checks, Verdict::kProblem)
                .find("problem  google.brief_code_question = \"Бажана дата запуску\": question "
                      "\"Бажана дата запуску\" is a date question; a pre-filled code needs a "
                      "short-text one"),
            std::string::npos)
      << Lines(checks, Verdict::kProblem);
}

TEST_F(ConfigDoctor, RunOnlineChecksKeepsToPlanfixsRateLimit) {
  // A fake that refuses requests closer than 100 ms, and the config's pacing of 100 ms.
  DoctorWorld paced(100ms);
  const auto config = paced.Load();
  std::ostringstream out;
  core::SystemClock clock;
  // Its own client, closed before the fakes stop (they would wait out its kept-alive
  // connections).
  http::CurlHttpClient http;
  EXPECT_EQ(RunOnlineChecks(config, http, clock, out), 0u) << out.str();
  EXPECT_EQ(paced.planfix.rate_limited_count(), 0);
  // ping, processes, the statuses of both, task fields, contact fields, templates.
  EXPECT_EQ(paced.planfix.request_count(), 7u);
  EXPECT_NE(out.str().find("online checks: "), std::string::npos) << out.str();
  EXPECT_NE(out.str().find(", 0 problems, "), std::string::npos) << out.str();
}

TEST_F(ConfigDoctor, PlanfixIdsListsEveryCatalogue) {
  world_.planfix.DefineDataTag(4, "Фактичний час", {{10, "Тривалість", 4}});
  const fs::path config_path = world_.dir / "config.toml";
  std::ofstream(config_path) << world_.text;
  std::ostringstream out;
  std::ostringstream err;
  const int code =
      RunPlanfixIds(config_path, config::Environment(world_.env.begin(), world_.env.end()), http_,
                    clock_, out, err);
  EXPECT_EQ(code, kExitOk) << err.str();
  const std::string text = out.str();
  for (const std::string expected : {
           "process 1 \"Угоди\"\n",
           "           3  Передано у виробництво\n",
           "process 2 \"Комунікація\"\n",
           "           7  Бриф заповнено\n",
           "       103  checkbox                  Оплату отримано\n",
           "       202  list                      Мова  (options: uk, en)\n",
           "       214  date                      Дата запуску\n",
           "         5  Комунікація з клієнтом\n",
           "         4  Фактичний час\n",
           "    field       10  time                      Тривалість\n",
       }) {
    EXPECT_NE(text.find(expected), std::string::npos) << expected << "\n" << text;
  }
  // Without the token it says which variable is missing.
  std::ostringstream no_out;
  std::ostringstream no_err;
  EXPECT_EQ(RunPlanfixIds(config_path, {}, http_, clock_, no_out, no_err), kExitFailure);
  EXPECT_NE(no_err.str().find("PLANFIX_FLOW_PLANFIX_TOKEN: not set"), std::string::npos);
}

// Through the real binary: `check-config --online` with the secrets in an env file.
TEST_F(ConfigDoctor, TheBinaryChecksOnlineAndExitsNonZeroOnAProblem) {
  const fs::path config_path = world_.dir / "config.toml";
  const fs::path env_path = world_.dir / "planfix-flow.env";
  const fs::path log_path = world_.dir / "out.log";
  std::ofstream(config_path) << world_.text;
  {
    std::ofstream env_file(env_path);
    for (const auto& [name, value] : world_.env) env_file << name << "=" << value << "\n";
  }
  const auto run = [&] {
    testing::ChildProcess process;
    process.Spawn({PLANFIX_FLOW_BINARY, "check-config", "--config", config_path.string(),
                   "--env-file", env_path.string(), "--online"},
                  {}, log_path);
    const auto status = process.WaitForExit(60s);
    EXPECT_TRUE(status.has_value()) << "check-config --online did not finish in 60 s";
    return std::pair{status && WIFEXITED(*status) ? WEXITSTATUS(*status) : -1,
                     testing::ReadText(log_path)};
  };
  auto [code, output] = run();
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("ok       planfix.statuses.in_production = 5: \"У виробництві\" in "
                        "process 1 \"Угоди\""),
            std::string::npos)
      << output;
  EXPECT_NE(output.find(", 0 problems, 0 notes"), std::string::npos) << output;

  ReplaceLine(world_.text, "in_production = ", "in_production = 55");
  std::ofstream(config_path) << world_.text;
  std::tie(code, output) = run();
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("problem  planfix.statuses.in_production = 55: no such status in any "
                        "task process"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find(", 1 problem, "), std::string::npos) << output;
}

}  // namespace
}  // namespace planfix_flow::app
