#include "planfix_flow/config/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

extern char** environ;  // NOLINT: POSIX

namespace planfix_flow::config {

namespace {

constexpr std::string_view kEnvPrefix = "PLANFIX_FLOW_";

std::string SetOrMissing(const std::string& secret) { return secret.empty() ? "missing" : "set"; }

std::string WeekdayList(const std::set<unsigned>& weekdays) {
  static constexpr std::string_view kNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
  std::vector<std::string_view> names;
  // Monday first, the way the agency reads a week.
  for (unsigned offset = 1; offset <= 7; ++offset) {
    const unsigned weekday = offset % 7;
    if (weekdays.count(weekday) > 0) names.push_back(kNames[weekday]);
  }
  return fmt::format("{}", fmt::join(names, ","));
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (!text.starts_with(kEnvPrefix)) continue;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return env;
}

std::vector<Problem> ReadEnvironmentFile(const std::filesystem::path& path, Environment& into) {
  std::vector<Problem> problems;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    problems.push_back({path.string(), std::filesystem::exists(path)
                                           ? "cannot be read by this user (run it with sudo)"
                                           : "does not exist"});
    return problems;
  }
  const auto trim = [](std::string_view text) {
    const auto begin = text.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) return std::string_view();
    return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
  };
  Environment read;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    const std::string_view text = trim(line);
    if (text.empty() || text.front() == '#' || text.front() == ';') continue;
    const auto equals = text.find('=');
    const std::string_view name =
        equals == std::string_view::npos ? text : trim(text.substr(0, equals));
    const bool valid_name =
        !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char ch) {
          return std::isupper(ch) || std::isdigit(ch) || ch == '_';
        });
    if (equals == std::string_view::npos || !valid_name) {
      problems.push_back({fmt::format("{}:{}", path.string(), number),
                          "is not NAME=value (the line is not shown: it may hold a secret)"});
      continue;
    }
    std::string_view value = trim(text.substr(equals + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (name.starts_with(kEnvPrefix)) read[std::string(name)] = std::string(value);
  }
  if (problems.empty()) {
    for (auto& [name, value] : read) into[name] = std::move(value);
  }
  return problems;
}

std::string_view ToString(TelegramMode mode) {
  return mode == TelegramMode::kWebhook ? "webhook" : "polling";
}

std::string_view ToString(SqliteSynchronous synchronous) {
  return synchronous == SqliteSynchronous::kFull ? "full" : "normal";
}

std::string_view ToString(FieldType type) {
  switch (type) {
    case FieldType::kLine:
      return "line";
    case FieldType::kText:
      return "text";
    case FieldType::kNumber:
      return "number";
    case FieldType::kDate:
      return "date";
    case FieldType::kTime:
      return "time";
    case FieldType::kCheckbox:
      return "checkbox";
    case FieldType::kList:
      return "list";
    case FieldType::kSetOfValues:
      return "set";
  }
  return "text";
}

std::string_view ToString(ContactData data) {
  switch (data) {
    case ContactData::kName:
      return "name";
    case ContactData::kEmail:
      return "email";
    case ContactData::kPhone:
      return "phone";
    case ContactData::kTelegram:
      return "telegram";
  }
  return "name";
}

Config DefaultSandboxConfig() {
  Config config;
  config.server.host = "127.0.0.1";
  config.server.port = 0;  // any free port
  config.storage.path = ":memory:";
  config.storage.synchronous = SqliteSynchronous::kNormal;

  auto& planfix = config.planfix;
  planfix.base_url = "http://127.0.0.1:0/rest/";
  planfix.web_url = "http://127.0.0.1:0";
  planfix.account = "sandbox";
  planfix.min_interval_ms = 0;
  planfix.statuses = PlanfixStatuses{.handed_to_production = 101,
                                     .returned_to_sales = 102,
                                     .in_production = 103,
                                     .awaiting_approval = 106,
                                     .brief_requested = 104,
                                     .brief_filled = 105,
                                     .approved = 107,
                                     .rework = 108};
  planfix.task_fields = PlanfixTaskFields{
      .work_type = 201, .amount = 202, .payment_received = 203, .access_granted = 204};
  planfix.contact_fields = PlanfixContactFields{.telegram_chat_id = 301, .language = 302};

  auto& telegram = config.telegram;
  telegram.base_url = "http://127.0.0.1:0";
  telegram.bot_username = "sandbox_agency_bot";
  telegram.staff_chat_id = -1001000000001;
  telegram.mode = TelegramMode::kPolling;
  telegram.polling_timeout_seconds = 1;
  telegram.per_chat_interval_ms = 0;

  auto& google = config.google;
  google.forms_base_url = "http://127.0.0.1:0";
  google.token_url = "http://127.0.0.1:0/token";
  google.form_id = "sandbox-form";
  google.form_url = "https://docs.google.com/forms/d/e/sandbox-form/viewform";
  google.brief_code_entry = "entry.1000001";
  google.brief_code_question = "Код брифу";

  config.brief.answers = {
      {"Що ви очікуєте від проєкту?", 401, FieldType::kText},
      {"Хто ваші підрядники?", 402, FieldType::kText},
      {"Доступи до акаунтів", 403, FieldType::kSetOfValues},
  };
  config.brief.phone_question = "Ваш номер телефону";
  config.stages = {{110, "Дизайн", "stage_changed", {{"en", "Design"}}},
                   {111, "Розробка", "stage_changed", {{"en", "Development"}}},
                   {109, "Роботу завершено", "stage_changed", {{"en", "Work completed"}}}};
  config.templates.dir = std::string(PLANFIX_FLOW_SOURCE_DIR) + "/templates";
  config.limits.backoff_base_seconds = 1;
  config.limits.backoff_max_seconds = 10;

  auto& secrets = config.secrets;
  secrets.planfix_token = "sandbox-planfix-token";
  secrets.telegram_bot_token = "123456:sandbox-bot-token";
  secrets.telegram_webhook_secret = "sandbox-telegram-webhook-secret";
  secrets.planfix_webhook_secret = "sandbox-planfix-webhook-secret";
  secrets.google_webhook_secret = "sandbox-google-webhook-secret";
  secrets.admin_token = "sandbox-admin-token-0123456789";
  secrets.signing_key = "sandbox-signing-key-0123456789abcdef";
  // No key file: the sandbox's token endpoint accepts the sandbox's own key, which the demo
  // writes and sets here; ValidateConfig reports it until then.
  return config;
}

std::string Summarize(const Config& config, const templates::TemplateSet* templates) {
  std::ostringstream out;
  if (!config.source.empty()) out << "config " << config.source.string() << " is valid\n";
  out << fmt::format("  listen:    {}:{}\n", config.server.host, config.server.port);
  out << fmt::format(
      "  database:  {} (synchronous={}, {})\n", config.storage.path,
      ToString(config.storage.synchronous),
      config.storage.retention_days == 0
          ? std::string("processed bodies kept forever")
          : fmt::format("processed bodies blanked after {} days", config.storage.retention_days));
  out << fmt::format("  planfix:   {} (account {})\n", config.planfix.base_url,
                     config.planfix.account);
  out << fmt::format("  telegram:  {} ({} mode, bot @{}, staff chat {})\n",
                     config.telegram.base_url, ToString(config.telegram.mode),
                     config.telegram.bot_username, config.telegram.staff_chat_id);
  out << fmt::format("  google:    {} (form {}, {} answers mapped)\n", config.google.forms_base_url,
                     config.google.form_id, config.brief.answers.size());
  if (config.bank.enabled) {
    out << fmt::format("  bank:      {} ({}, {} accounts, reconciled every {} s)\n",
                       config.bank.base_url, config.bank.provider, config.bank.accounts.size(),
                       config.bank.reconcile_interval_seconds);
  }
  const auto& calendar = config.calendar;
  out << fmt::format("  calendar:  {}, {} {}-{}, {} holidays, {} moved working days\n",
                     calendar.time_zone, WeekdayList(calendar.working_weekdays),
                     calendar.work_start.ToString(), calendar.work_end.ToString(),
                     calendar.holidays.size(), calendar.moved_working_days.size());
  out << fmt::format("  templates: {} ({} texts; languages {}, default {})\n", config.templates.dir,
                     templates != nullptr ? templates->size() : 0,
                     fmt::join(config.templates.languages, ", "),
                     config.templates.default_language);
  const auto& secrets = config.secrets;
  out << "  secrets:\n";
  const std::pair<std::string_view, const std::string*> all[] = {
      {kEnvPlanfixToken, &secrets.planfix_token},
      {kEnvTelegramBotToken, &secrets.telegram_bot_token},
      {kEnvTelegramWebhookSecret, &secrets.telegram_webhook_secret},
      {kEnvPlanfixWebhookSecret, &secrets.planfix_webhook_secret},
      {kEnvGoogleWebhookSecret, &secrets.google_webhook_secret},
      {kEnvGoogleSaKeyFile, &secrets.google_sa_key_file},
      {kEnvAdminToken, &secrets.admin_token},
      {kEnvSigningKey, &secrets.signing_key},
      {kEnvSigningKeyPrevious, &secrets.signing_key_previous},
  };
  for (const auto& [name, value] : all) {
    // The previous signing key is set only during a rotation: its absence is no gap.
    const bool optional = name == kEnvSigningKeyPrevious;
    out << fmt::format("    {:<38} {}\n", name,
                       optional && value->empty() ? "not set" : SetOrMissing(*value));
  }
  if (config.bank.enabled) {
    for (const auto& [name, value] :
         {std::pair{kEnvMonobankToken, &secrets.monobank_token},
          std::pair{kEnvMonobankWebhookToken, &secrets.monobank_webhook_token}}) {
      out << fmt::format("    {:<38} {}\n", name, SetOrMissing(*value));
    }
  }
  return out.str();
}

std::string MonobankWebhookUrl(const Config& config) {
  std::string base = config.bank.public_base_url;
  if (base.empty()) {
    constexpr std::string_view kTelegramPath = "/webhooks/telegram";
    const std::string& telegram = config.telegram.webhook_url;
    if (!telegram.ends_with(kTelegramPath)) return {};
    base = telegram.substr(0, telegram.size() - kTelegramPath.size());
  }
  while (base.ends_with('/')) base.pop_back();
  if (base.empty()) return {};
  return fmt::format("{}/webhooks/monobank/{}", base, config.secrets.monobank_webhook_token);
}

}  // namespace planfix_flow::config
