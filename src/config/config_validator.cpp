// Semantic checks of a Config: ranges, URLs, ids, calendar, secrets and files. Every problem
// names its key path (or the environment variable); no message ever contains a secret.
#include <fmt/format.h>
#include <openssl/crypto.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <system_error>

#include <unistd.h>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/parse.h"
#include "planfix_flow/core/url.h"
#include "planfix_flow/core/utf8.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/http/client_address.h"
#include "planfix_flow/telegram/telegram_client.h"
#include "planfix_flow/timekeeping/amount.h"

namespace planfix_flow::config {

namespace {

namespace fs = std::filesystem;

// The host of "host[:port][/path]" (an IPv6 address in brackets), lowercased.
std::string UrlHost(std::string_view rest) {
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view host = authority.substr(authority.rfind('@') + 1);
  if (host.starts_with('[')) {
    host =
        host.substr(1, host.find(']') == std::string_view::npos ? host.size() : host.find(']') - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  return core::AsciiLower(host);
}

bool IsLoopbackUrlHost(std::string_view rest) { return core::IsLoopbackHost(UrlHost(rest)); }

class Checker {
 public:
  explicit Checker(std::vector<Problem>& problems) : problems_(problems) {}

  void Add(std::string key_path, std::string message) {
    problems_.push_back(Problem{std::move(key_path), std::move(message)});
  }

  void Range(std::string_view key_path, long long value, long long min, long long max) {
    if (value < min || value > max) {
      Add(std::string(key_path), fmt::format("{} is out of range {}..{}", value, min, max));
    }
  }

  void NotEmpty(std::string_view key_path, const std::string& value) {
    if (value.empty()) Add(std::string(key_path), "must not be empty");
  }

  void Id(std::string_view key_path, std::int64_t value) {
    if (value <= 0)
      Add(std::string(key_path), fmt::format("{} is not a valid id (must be > 0)", value));
  }

  // https://host[...], or http:// to a loopback host (the sandbox and tests): tokens and
  // client data must not cross a network in clear text. `https_only` refuses even loopback
  // http:// (URLs Telegram itself must reach).
  void Url(std::string_view key_path, const std::string& value, bool https_only = false) {
    if (value.empty()) {
      Add(std::string(key_path), "must not be empty");
      return;
    }
    const bool https = value.starts_with("https://");
    const bool http = value.starts_with("http://");
    const std::size_t host_start = https ? 8 : (http ? 7 : 0);
    if ((!https && !http) || value.size() == host_start || value[host_start] == '/' ||
        std::any_of(value.begin(), value.end(),
                    [](unsigned char ch) { return std::isspace(ch) || std::iscntrl(ch); })) {
      Add(std::string(key_path), fmt::format("\"{}\" is not an http(s) URL", value));
      return;
    }
    if (https_only && !https) {
      Add(std::string(key_path), "must be an https:// URL");
    } else if (http && !IsLoopbackUrlHost(value.substr(host_start))) {
      Add(std::string(key_path),
          fmt::format("\"{}\" is plain http:// to a host that is not loopback; use https:// "
                      "(tokens and client data would travel in clear text)",
                      value));
    }
  }

 private:
  std::vector<Problem>& problems_;
};

bool IsSecretCharacter(unsigned char ch) { return ch > 0x20 && ch < 0x7f; }

// Required secrets must be set; every secret must be printable ASCII without spaces (a stray
// newline from an env file would otherwise break an HTTP header).
void CheckSecret(Checker& check, std::string_view name, const std::string& value,
                 std::string_view what, bool required, std::size_t min_length = 1) {
  if (value.empty()) {
    if (required)
      check.Add(std::string(name), fmt::format("is not set in the environment ({})", what));
    return;
  }
  if (!std::all_of(value.begin(), value.end(),
                   [](char ch) { return IsSecretCharacter(static_cast<unsigned char>(ch)); })) {
    check.Add(std::string(name), "contains spaces or control characters");
  }
  if (value.size() < min_length) {
    check.Add(std::string(name), fmt::format("is too short (at least {} characters)", min_length));
  }
}

void CheckServiceAccountKey(Checker& check, const std::string& path) {
  const std::string name(kEnvGoogleSaKeyFile);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    check.Add(name, fmt::format("the key file {} cannot be read", path));
    return;
  }
  const nlohmann::json key = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!key.is_object()) {
    check.Add(name, fmt::format("the key file {} is not JSON", path));
    return;
  }
  for (const char* field : {"client_email", "private_key"}) {
    if (!key.contains(field) || !key[field].is_string() || key[field].get<std::string>().empty()) {
      check.Add(name, fmt::format("the key file {} has no \"{}\" (not a service-account key?)",
                                  path, field));
    }
  }
  if (key.value("type", "") != "service_account") {
    check.Add(name, fmt::format("the key file {} is not of type \"service_account\"", path));
    return;
  }
  // What the Forms client will need of it (an RSA private key among them): a key that passes
  // here is one `serve` can use.
  if (auto parsed = google::ParseServiceAccountKey(key.dump()); !parsed) {
    check.Add(name,
              fmt::format("the key file {} cannot be used: {}", path, parsed.error().message));
  }
}

void CheckServer(Checker& check, const ServerConfig& server) {
  check.NotEmpty("server.host", server.host);
  check.Range("server.port", server.port, 0, 65535);  // 0: any free port (tests, demo)
  check.Range("server.body_limit_bytes", static_cast<long long>(server.body_limit_bytes), 1024,
              16LL * 1024 * 1024);
  check.Range("server.threads", server.threads, 1, 64);
  check.Range("server.max_connections", server.max_connections, 1, 1'000'000);
  check.Range("server.max_connections_per_address", server.max_connections_per_address, 1,
              1'000'000);
  for (std::size_t i = 0; i < server.trusted_proxies.size(); ++i) {
    if (auto range = http::ParseIpRange(server.trusted_proxies[i]); !range) {
      check.Add(fmt::format("server.trusted_proxies[{}]", i), range.error().message);
    }
  }
  check.Range("server.keep_alive_seconds", server.keep_alive_seconds, 0, 3600);
  check.Range("server.read_timeout_seconds", server.read_timeout_seconds, 1, 600);
  check.Range("server.planfix_dedupe_window_seconds", server.planfix_dedupe_window_seconds, 60,
              30LL * 24 * 60 * 60);
}

// The database's directory must exist and take new files (SQLite also writes the -wal and
// -shm files beside it); otherwise `serve` fails at start with SQLite's "unable to open
// database file", which does not say where.
void CheckStorage(Checker& check, const StorageConfig& storage) {
  check.NotEmpty("storage.path", storage.path);
  check.Range("storage.retention_days", storage.retention_days, 0, 36500);
  if (storage.path.empty() || storage.path == ":memory:" || storage.path.starts_with("file:")) {
    return;
  }
  const fs::path file(storage.path);
  const fs::path dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    check.Add("storage.path",
              fmt::format("the directory {} does not exist (create it, owned by the service's "
                          "user; the systemd unit's StateDirectory= does this for "
                          "/var/lib/planfix-flow)",
                          dir.string()));
    return;
  }
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    check.Add("storage.path",
              fmt::format("the directory {} is not writable by this user (SQLite creates the "
                          "database and its -wal and -shm files there)",
                          dir.string()));
    return;
  }
  if (fs::exists(file, error) && ::access(file.c_str(), R_OK | W_OK) != 0) {
    check.Add("storage.path", fmt::format("{} exists but is not readable and writable by this user",
                                          file.string()));
  }
}

// The statuses the flows react to must be set and tell the flows apart; a status the service
// sets must not be one of them, or setting it would start that flow on the task. The extras
// are 0 (never set) or an id.
void CheckStatuses(Checker& check, const PlanfixConfig& planfix) {
  const auto& s = planfix.statuses;
  struct Trigger {
    std::string_view name;
    std::int64_t id;
    std::string_view flow;
    bool deals_only;  // acts only on deals when planfix.processes.deal is set
  };
  const Trigger triggers[] = {
      {"handed_to_production", s.handed_to_production, "the handoff check", true},
      {"in_production", s.in_production, "the production gate", true},
      {"awaiting_approval", s.awaiting_approval, "the approval request", false},
  };
  std::map<std::int64_t, std::string_view> seen;
  for (const auto& trigger : triggers) {
    const std::string path = fmt::format("planfix.statuses.{}", trigger.name);
    check.Id(path, trigger.id);
    if (trigger.id <= 0) continue;
    const auto [it, inserted] = seen.emplace(trigger.id, trigger.name);
    if (!inserted) {
      check.Add(path,
                fmt::format("{} is also planfix.statuses.{}; the flows cannot tell them apart",
                            trigger.id, it->second));
    }
  }
  check.Id("planfix.statuses.returned_to_sales", s.returned_to_sales);

  // The statuses the service sets: on a deal (returned_to_sales, the gate's), on the
  // Communication task (the brief's), on the task that awaited approval (approved, rework).
  struct Set {
    std::string path;
    std::int64_t id;
    bool on_communication_task;
  };
  const Set sets[] = {
      {"planfix.statuses.returned_to_sales", s.returned_to_sales, false},
      {"planfix.statuses.brief_requested", s.brief_requested, true},
      {"planfix.statuses.brief_filled", s.brief_filled, true},
      {"planfix.statuses.approved", s.approved, false},
      {"planfix.statuses.rework", s.rework, false},
      {"planfix.gate.refused_status", planfix.gate_refused_status, false},
  };
  const auto& processes = planfix.processes;
  // Communication tasks are out of the deal-only flows' reach when both processes are named
  // and differ (Planfix shares statuses such as "In progress" between processes).
  const bool separate = processes.deal > 0 && processes.communication > 0 &&
                        processes.deal != processes.communication;
  for (const auto& set : sets) {
    // returned_to_sales is required (checked above); the others may be 0.
    if (set.id < 0 && set.path != "planfix.statuses.returned_to_sales") {
      check.Add(set.path, "must be 0 (never set) or a status id");
    }
    if (set.id <= 0) continue;
    for (const auto& trigger : triggers) {
      if (set.id != trigger.id) continue;
      // The gate sending a deal back to "handed to production" is the usual case: the handoff
      // knows the deal and does nothing twice.
      if (set.path == "planfix.gate.refused_status" && trigger.name == "handed_to_production") {
        continue;
      }
      if (set.on_communication_task && trigger.deals_only && separate) continue;
      check.Add(set.path, fmt::format("{} is also planfix.statuses.{}: setting it would start {} "
                                      "on the task",
                                      set.id, trigger.name, trigger.flow));
    }
  }
  if (processes.deal < 0) check.Add("planfix.processes.deal", "must be 0 (not said) or an id");
  if (processes.communication < 0) {
    check.Add("planfix.processes.communication", "must be 0 (not said) or an id");
  }
}

void CheckPlanfix(Checker& check, const PlanfixConfig& planfix) {
  check.Url("planfix.base_url", planfix.base_url);
  check.Url("planfix.web_url", planfix.web_url);
  check.NotEmpty("planfix.account", planfix.account);
  check.Range("planfix.min_interval_ms", planfix.min_interval_ms, 0, 60000);
  check.Range("planfix.request_timeout_seconds", planfix.request_timeout_seconds, 1, 300);

  CheckStatuses(check, planfix);

  const auto& t = planfix.task_fields;
  check.Id("planfix.task_fields.work_type", t.work_type);
  check.Id("planfix.task_fields.amount", t.amount);
  check.Id("planfix.task_fields.payment_received", t.payment_received);
  check.Id("planfix.task_fields.access_granted", t.access_granted);
  check.Id("planfix.contact_fields.telegram_chat_id", planfix.contact_fields.telegram_chat_id);
  if (planfix.contact_fields.language < 0) {
    check.Add("planfix.contact_fields.language", "must be 0 (not used) or an id");
  }
}

bool IsBotUsername(std::string_view name) {
  if (name.size() < 5 || name.size() > 32) return false;
  if (!std::all_of(name.begin(), name.end(),
                   [](unsigned char ch) { return std::isalnum(ch) || ch == '_'; })) {
    return false;
  }
  return core::AsciiLower(name.substr(name.size() - 3)) == "bot";
}

// Telegram delivers webhooks only to HTTPS on ports 443, 80, 88 or 8443; http:// to a loopback
// host is let through for tests against the sandbox fake (Telegram itself refuses it).
void CheckWebhookUrl(Checker& check, const std::string& url) {
  const std::string path = "telegram.webhook_url";
  if (url.empty()) {
    check.Add(path, "is required when telegram.mode is \"webhook\"");
    return;
  }
  if (auto valid = telegram::ValidateWebhookUrl(url); !valid) {
    constexpr std::string_view kPrefix = "telegram: webhook URL: ";
    std::string message = valid.error().message;
    if (message.starts_with(kPrefix)) message.erase(0, kPrefix.size());
    check.Add(path, message);
  }
}

void CheckTelegram(Checker& check, const TelegramConfig& telegram) {
  check.Url("telegram.base_url", telegram.base_url);
  if (!IsBotUsername(telegram.bot_username)) {
    check.Add("telegram.bot_username",
              fmt::format("\"{}\" is not a bot username (5-32 letters, digits or _, ending in "
                          "\"bot\", without @)",
                          telegram.bot_username));
  }
  if (telegram.staff_chat_id == 0) check.Add("telegram.staff_chat_id", "must be a chat id, not 0");
  if (telegram.mode == TelegramMode::kWebhook) CheckWebhookUrl(check, telegram.webhook_url);
  check.Range("telegram.webhook_check_interval_minutes", telegram.webhook_check_interval_minutes, 1,
              1440);
  check.Range("telegram.polling_timeout_seconds", telegram.polling_timeout_seconds, 1, 50);
  check.Range("telegram.per_chat_interval_ms", telegram.per_chat_interval_ms, 0, 60000);
  check.Range("telegram.group_messages_per_minute", telegram.group_messages_per_minute, 1, 60);
  check.Range("telegram.global_messages_per_second", telegram.global_messages_per_second, 1, 30);
}

void CheckGoogle(Checker& check, const GoogleConfig& google) {
  check.Url("google.forms_base_url", google.forms_base_url);
  check.Url("google.token_url", google.token_url);
  check.NotEmpty("google.form_id", google.form_id);
  check.Url("google.form_url", google.form_url);
  // Pre-filled links (?usp=pp_url&entry.N=...) work only on the long /viewform address.
  if (!google.form_url.empty() && !google.form_url.ends_with("/viewform")) {
    check.Add("google.form_url",
              "must be the form's address ending in /viewform (short forms.gle "
              "links cannot be pre-filled)");
  }
  const std::string_view entry = google.brief_code_entry;
  if (!entry.starts_with("entry.") || entry.size() == 6 ||
      !std::all_of(entry.begin() + 6, entry.end(),
                   [](unsigned char ch) { return std::isdigit(ch); })) {
    check.Add("google.brief_code_entry",
              fmt::format("\"{}\" is not a form entry id like \"entry.123456789\"", entry));
  }
  check.Range("google.reconcile_interval_minutes", google.reconcile_interval_minutes, 1, 1440);
  check.Range("google.webhook_max_skew_seconds", google.webhook_max_skew_seconds, 30, 3600);
}

// Yes/no words only mean something for a checkbox, and one answer cannot mean both.
void CheckCheckboxWords(Checker& check, const std::string& path, const BriefAnswer& answer) {
  if (answer.true_values.empty() && answer.false_values.empty()) return;
  if (answer.type && *answer.type != FieldType::kCheckbox) {
    check.Add(path + (answer.true_values.empty() ? ".false_values" : ".true_values"),
              fmt::format("only a checkbox field reads yes/no words (type is \"{}\")",
                          ToString(*answer.type)));
  }
  if (answer.true_values.empty() != answer.false_values.empty()) {
    check.Add(path + (answer.true_values.empty() ? ".true_values" : ".false_values"),
              "is needed too: a checkbox answer must be able to clear the field as well as tick "
              "it");
  }
  std::map<std::string, std::size_t> yes;
  for (std::size_t index = 0; index < answer.true_values.size(); ++index) {
    yes.emplace(core::FoldCase(answer.true_values[index]), index);
  }
  for (std::size_t index = 0; index < answer.false_values.size(); ++index) {
    const auto it = yes.find(core::FoldCase(answer.false_values[index]));
    if (it != yes.end()) {
      check.Add(
          fmt::format("{}.false_values[{}]", path, index),
          fmt::format("\"{}\" is also true_values[{}]", answer.false_values[index], it->second));
    }
  }
}

void CheckInvoiceIncome(Checker& check, const InvoiceIncome& income) {
  if (!income.enabled) return;
  if (income.data_tag <= 0)
    check.Add("invoices.income.data_tag",
              fmt::format("{} is not a Planfix data tag id (> 0)", income.data_tag));
  const auto& fields = income.fields;
  if (fields.amount <= 0)
    check.Add("invoices.income.fields.amount",
              fmt::format("{} is not a field id of the data tag (> 0)", fields.amount));
  const std::pair<const char*, std::int64_t> named[] = {
      {"invoices.income.fields.amount", fields.amount},
      {"invoices.income.fields.date", fields.date},
      {"invoices.income.fields.invoice_number", fields.invoice_number},
      {"invoices.income.fields.payer", fields.payer},
      {"invoices.income.fields.purpose", fields.purpose}};
  std::map<std::int64_t, std::string> seen;
  for (const auto& [path, id] : named) {
    if (id < 0) check.Add(path, fmt::format("{} is negative (0 means not written)", id));
    if (id <= 0) continue;
    const auto [it, fresh] = seen.emplace(id, path);
    if (!fresh) check.Add(path, fmt::format("field {} is already {}", id, it->second));
  }
}

void CheckInvoices(Checker& check, const InvoicesConfig& invoices) {
  if (!invoices.enabled) return;
  const std::pair<const char*, std::int64_t> required[] = {
      {"invoices.fields.number", invoices.fields.number},
      {"invoices.fields.amount", invoices.fields.amount},
      {"invoices.fields.due_date", invoices.fields.due_date}};
  for (const auto& [path, id] : required) {
    if (id <= 0) check.Add(path, fmt::format("{} is not a Planfix custom field id (> 0)", id));
  }
  const std::pair<const char*, std::int64_t> optional[] = {
      {"invoices.fields.currency", invoices.fields.currency},
      {"invoices.fields.payment_details", invoices.fields.payment_details},
      {"invoices.fields.paid", invoices.fields.paid},
      {"invoices.fields.paid_amount", invoices.fields.paid_amount},
      {"invoices.statuses.issued", invoices.statuses.issued},
      {"invoices.statuses.paid", invoices.statuses.paid},
      {"invoices.statuses.returned", invoices.statuses.returned},
      {"invoices.payer_fields.edrpou", invoices.payer_fields.edrpou},
      {"invoices.payer_fields.iban", invoices.payer_fields.iban}};
  for (const auto& [path, id] : optional) {
    if (id < 0) check.Add(path, fmt::format("{} is negative (0 means not used)", id));
  }
  std::map<std::int64_t, std::string> seen;
  const std::pair<const char*, std::int64_t> task_fields[] = {
      {"invoices.fields.number", invoices.fields.number},
      {"invoices.fields.amount", invoices.fields.amount},
      {"invoices.fields.due_date", invoices.fields.due_date},
      {"invoices.fields.currency", invoices.fields.currency},
      {"invoices.fields.payment_details", invoices.fields.payment_details},
      {"invoices.fields.paid", invoices.fields.paid},
      {"invoices.fields.paid_amount", invoices.fields.paid_amount}};
  for (const auto& [path, id] : task_fields) {
    if (id <= 0) continue;
    const auto [it, fresh] = seen.emplace(id, path);
    if (!fresh) check.Add(path, fmt::format("field {} is already {}", id, it->second));
  }
  if (invoices.statuses.issued > 0 && invoices.statuses.issued == invoices.statuses.paid)
    check.Add("invoices.statuses.paid", "is the same status as invoices.statuses.issued");
  const auto& currency = invoices.default_currency;
  if (currency.size() != 3 || !std::all_of(currency.begin(), currency.end(),
                                           [](char ch) { return ch >= 'A' && ch <= 'Z'; })) {
    check.Add("invoices.default_currency",
              fmt::format("\"{}\" is not a 3-letter ISO 4217 code such as \"UAH\"", currency));
  }
  check.Range("invoices.reminder_interval_working_days", invoices.reminder_interval_working_days, 1,
              60);
  check.Range("invoices.max_reminders", invoices.max_reminders, 0, 20);
  CheckInvoiceIncome(check, invoices.income);
  if (!calendar::ParseLocalTime(invoices.digest.time)) {
    check.Add("invoices.digest.time",
              fmt::format("\"{}\" is not a time such as \"09:30\"", invoices.digest.time));
  }
}

void CheckReport(Checker& check, const Config& config) {
  const auto& report = config.report;
  if (!report.enabled) return;
  if (!config.invoices.enabled)
    check.Add("report", "needs an [invoices] section (the report task carries the invoice)");
  const std::pair<const char*, std::int64_t> required[] = {
      {"report.deal_template_id", report.deal_template_id},
      {"report.retainer_field", report.retainer_field},
      {"report.template_id", report.template_id}};
  for (const auto& [path, id] : required) {
    if (id <= 0) check.Add(path, fmt::format("{} is not a Planfix id (> 0)", id));
  }
  if (report.process_id < 0)
    check.Add("report.process_id",
              fmt::format("{} is negative (0 means the template's)", report.process_id));
  if (report.sent_status < 0)
    check.Add("report.sent_status",
              fmt::format("{} is negative (0 means not used)", report.sent_status));
  if (report.sent_status > 0 && (report.sent_status == config.invoices.statuses.issued ||
                                 report.sent_status == config.invoices.statuses.paid)) {
    check.Add("report.sent_status", "is also an invoices status; the report registers the invoice");
  }
  check.Range("report.days_before_month_end", report.days_before_month_end, 1, 15);
  if (!calendar::ParseLocalTime(report.time))
    check.Add("report.time", fmt::format("\"{}\" is not a time such as \"10:00\"", report.time));
}

void CheckBrief(Checker& check, const BriefConfig& brief) {
  check.Range("brief.deadline_working_days", brief.deadline_working_days, 1, 30);
  check.Range("brief.reminder_interval_working_days", brief.reminder_interval_working_days, 1, 30);
  check.Range("brief.max_reminders", brief.max_reminders, 0, 10);
  if (brief.answers.empty()) {
    check.Add("brief.answers", "maps no form question to a contact field ([[brief.answers]])");
  }
  std::map<std::string, std::size_t> questions;
  for (std::size_t index = 0; index < brief.answers.size(); ++index) {
    const auto& answer = brief.answers[index];
    const std::string path = fmt::format("brief.answers[{}]", index);
    check.NotEmpty(path + ".question", answer.question);
    check.Id(path + ".field_id", answer.field_id);
    CheckCheckboxWords(check, path, answer);
    if (answer.question.empty()) continue;
    const auto [it, inserted] = questions.emplace(answer.question, index);
    if (!inserted) {
      check.Add(path + ".question", fmt::format("\"{}\" is already mapped by brief.answers[{}]",
                                                answer.question, it->second));
    }
  }
}

void CheckStages(Checker& check, const std::vector<StageNotice>& stages,
                 const PlanfixStatuses& statuses, const std::vector<std::string>& languages) {
  // A status with a rule of its own never reaches the stage messages: its stage would be
  // accepted and silently never sent.
  const std::vector<std::pair<std::int64_t, std::string_view>> own_rules = {
      {statuses.handed_to_production, "handed_to_production (the handoff)"},
      {statuses.in_production, "in_production (the production gate)"},
      {statuses.awaiting_approval, "awaiting_approval (the approval request)"},
  };
  std::map<std::int64_t, std::size_t> seen;
  for (std::size_t index = 0; index < stages.size(); ++index) {
    const auto& stage = stages[index];
    const std::string path = fmt::format("stages[{}]", index);
    check.Id(path + ".status", stage.status);
    check.NotEmpty(path + ".name", stage.name);
    for (const auto& [language, name] : stage.names) {
      const std::string name_path = fmt::format("{}.names.{}", path, language);
      if (std::find(languages.begin(), languages.end(), language) == languages.end()) {
        check.Add(name_path, fmt::format("\"{}\" is not in templates.languages", language));
      }
      check.NotEmpty(name_path, name);
    }
    const auto* spec = templates::FindSpec(stage.template_name);
    if (spec == nullptr || spec->channel != templates::Channel::kTelegram ||
        std::find(spec->variables.begin(), spec->variables.end(), "stage_name") ==
            spec->variables.end()) {
      check.Add(path + ".template",
                fmt::format("\"{}\" is not a client message template with stage_name",
                            stage.template_name));
    }
    for (const auto& [status, rule] : own_rules) {
      if (stage.status > 0 && stage.status == status) {
        check.Add(path + ".status",
                  fmt::format("{} is planfix.statuses.{}, which has its own message; this "
                              "stage's message would never be sent",
                              stage.status, rule));
      }
    }
    const auto [it, inserted] = seen.emplace(stage.status, index);
    if (!inserted) {
      check.Add(path + ".status",
                fmt::format("status {} already has stages[{}]", stage.status, it->second));
    }
  }
}

void CheckCalendar(Checker& check, const calendar::CalendarSettings& settings) {
  calendar::CalendarSettings zone_only;
  zone_only.time_zone = settings.time_zone;
  if (auto zone = calendar::WorkCalendar::Create(zone_only); !zone) {
    check.Add("calendar.time_zone", zone.error().message);
  }
  if (settings.working_weekdays.empty()) check.Add("calendar.working_days", "has no working day");
  if (settings.work_end <= settings.work_start) {
    check.Add("calendar.work_end",
              fmt::format("{} is not after calendar.work_start ({})", settings.work_end.ToString(),
                          settings.work_start.ToString()));
  }
  const std::set<calendar::LocalDate> holidays(settings.holidays.begin(), settings.holidays.end());
  for (std::size_t index = 0; index < settings.moved_working_days.size(); ++index) {
    const auto& day = settings.moved_working_days[index];
    if (holidays.count(day) > 0) {
      check.Add(fmt::format("calendar.moved_working_days[{}]", index),
                fmt::format("{} is also listed in calendar.holidays", day.ToString()));
    }
  }
}

bool IsLanguageCode(std::string_view code) {
  return code.size() >= 2 && code.size() <= 3 &&
         std::all_of(code.begin(), code.end(), [](unsigned char ch) { return std::islower(ch); });
}

void CheckTemplates(Checker& check, const TemplatesConfig& templates) {
  check.NotEmpty("templates.dir", templates.dir);
  if (templates.languages.empty()) check.Add("templates.languages", "lists no language");
  for (std::size_t index = 0; index < templates.languages.size(); ++index) {
    if (!IsLanguageCode(templates.languages[index])) {
      check.Add(
          fmt::format("templates.languages[{}]", index),
          fmt::format("\"{}\" is not a language code like \"uk\"", templates.languages[index]));
    }
  }
  if (std::find(templates.languages.begin(), templates.languages.end(),
                templates.default_language) == templates.languages.end()) {
    check.Add("templates.default_language",
              fmt::format("\"{}\" is not in templates.languages", templates.default_language));
  }
}

void CheckLimits(Checker& check, const LimitsConfig& limits) {
  check.Range("limits.job_max_attempts", limits.job_max_attempts, 1, 100);
  check.Range("limits.backoff_base_seconds", limits.backoff_base_seconds, 1, 3600);
  check.Range("limits.backoff_max_seconds", limits.backoff_max_seconds,
              std::max(1, limits.backoff_base_seconds), 86400);
}

void CheckSigning(Checker& check, const SigningConfig& signing) {
  check.Range("signing.previous_key_grace_days", signing.previous_key_grace_days, 1, 365);
}

bool SameSecret(const std::string& a, const std::string& b) {
  return !a.empty() && a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The signing key (and the previous one) must be the service's alone: whoever holds it can
// mint brief codes, deep links and approval buttons. Another secret is known elsewhere (the
// Google one to every editor of the form, the Planfix one to its automations).
void CheckSigningKeys(Checker& check, const Secrets& secrets) {
  CheckSecret(check, kEnvSigningKey, secrets.signing_key,
              "the service's own key for brief codes, deep links and approval buttons; generate "
              "one with: openssl rand -hex 32",
              true, 32);
  CheckSecret(check, kEnvSigningKeyPrevious, secrets.signing_key_previous,
              "the signing key being rotated out", false, 32);
  const std::pair<std::string_view, const std::string*> others[] = {
      {kEnvPlanfixToken, &secrets.planfix_token},
      {kEnvTelegramBotToken, &secrets.telegram_bot_token},
      {kEnvTelegramWebhookSecret, &secrets.telegram_webhook_secret},
      {kEnvPlanfixWebhookSecret, &secrets.planfix_webhook_secret},
      {kEnvGoogleWebhookSecret, &secrets.google_webhook_secret},
      {kEnvAdminToken, &secrets.admin_token},
  };
  for (const auto& [name, key] :
       {std::pair{kEnvSigningKey, &secrets.signing_key},
        std::pair{kEnvSigningKeyPrevious, &secrets.signing_key_previous}}) {
    for (const auto& [other, value] : others) {
      if (!SameSecret(*key, *value)) continue;
      check.Add(std::string(name),
                fmt::format("must not be the same as {}{}", other,
                            other == kEnvGoogleWebhookSecret
                                ? ": that one is in the form's Apps Script properties, which "
                                  "every editor of the form can read"
                                : ": the signing key must be the service's alone"));
    }
  }
  if (SameSecret(secrets.signing_key, secrets.signing_key_previous)) {
    check.Add(std::string(kEnvSigningKeyPrevious),
              fmt::format("is the same as {} (set it to the key being rotated out, or leave it "
                          "empty)",
                          kEnvSigningKey));
  }
}

bool IsPathToken(const std::string& token) {
  return std::all_of(token.begin(), token.end(),
                     [](unsigned char ch) { return std::isalnum(ch) || ch == '_' || ch == '-'; });
}

// The ranges always (a key that is set must make sense); the rest only when the bank is on.
void CheckBank(Checker& check, const Config& config) {
  const BankConfig& bank = config.bank;
  check.Range("bank.reconcile_interval_seconds", bank.reconcile_interval_seconds, 60, 86400);
  check.Range("bank.lookback_days", bank.lookback_days, 1, 31);
  if (!bank.enabled) return;
  if (bank.provider != "monobank") {
    check.Add("bank.provider",
              fmt::format("\"{}\" is not a known bank (only \"monobank\")", bank.provider));
  }
  check.Url("bank.base_url", bank.base_url);
  if (bank.accounts.empty()) {
    check.Add("bank.accounts",
              "lists no account (client-info's accounts[].id of the account "
              "that receives the clients' payments)");
  }
  std::map<std::string, std::size_t> seen;
  for (std::size_t index = 0; index < bank.accounts.size(); ++index) {
    const std::string path = fmt::format("bank.accounts[{}]", index);
    const std::string& account = bank.accounts[index];
    if (account.empty() || account.size() > 128 || !IsPathToken(account)) {
      check.Add(path, fmt::format("\"{}\" is not an account id (1-128 characters of A-Z, a-z, "
                                  "0-9, _ and -)",
                                  account));
      continue;
    }
    const auto [it, inserted] = seen.emplace(account, index);
    if (!inserted) {
      check.Add(path, fmt::format("\"{}\" is already bank.accounts[{}]", account, it->second));
    }
  }
  if (!bank.public_base_url.empty()) {
    check.Url("bank.public_base_url", bank.public_base_url, /*https_only=*/false);
  } else if (!config.telegram.webhook_url.ends_with("/webhooks/telegram")) {
    check.Add("bank.public_base_url",
              "is required (the service's public https:// address, e.g. "
              "\"https://flow.agency.example\") unless telegram.webhook_url ends in "
              "/webhooks/telegram");
  }
  const Secrets& secrets = config.secrets;
  CheckSecret(check, kEnvMonobankToken, secrets.monobank_token,
              "the X-Token of monobank's personal API; required when bank.enabled", true);
  CheckSecret(check, kEnvMonobankWebhookToken, secrets.monobank_webhook_token,
              "the path token of /webhooks/monobank/<token>; required when bank.enabled; "
              "generate one with: openssl rand -hex 24",
              true, 32);
  if (!IsPathToken(secrets.monobank_webhook_token)) {
    check.Add(std::string(kEnvMonobankWebhookToken),
              "must be characters of A-Z, a-z, 0-9, _ and - only (it is part of a URL path)");
  }
}

void CheckLogging(Checker& check, const LoggingConfig& logging) {
  static constexpr std::array<std::string_view, 6> kLevels = {"trace", "debug", "info",
                                                              "warn",  "error", "off"};
  if (std::find(kLevels.begin(), kLevels.end(), logging.level) == kLevels.end()) {
    check.Add("logging.level", fmt::format("\"{}\" is not one of: trace, debug, info, warn, "
                                           "error, off",
                                           logging.level));
  }
}

void CheckTime(Checker& check, const TimeConfig& time) {
  if (time.data_tag < 0) check.Id("time.data_tag", time.data_tag);
  if (time.rate_field < 0) check.Id("time.rate_field", time.rate_field);
  const auto& fields = time.fields;
  for (const auto& [name, id] : {std::pair<const char*, std::int64_t>{"date", fields.date},
                                 {"duration", fields.duration},
                                 {"period", fields.period},
                                 {"employee", fields.employee},
                                 {"kind", fields.kind}}) {
    if (id < 0)
      check.Add(fmt::format("time.fields.{}", name), fmt::format("{} is not a field id", id));
  }
  if (fields.duration_unit != "minutes" && fields.duration_unit != "hours") {
    check.Add("time.fields.duration_unit",
              fmt::format("\"{}\" is not one of: minutes, hours", fields.duration_unit));
  }
  check.Range("time.sync_interval_minutes", time.sync_interval_minutes, 1, 24LL * 60);
  check.Range("time.sync_window_days", time.sync_window_days, 1, 366);
  if (time.classify.fallback != "communication" && time.classify.fallback != "production") {
    check.Add(
        "time.classify.fallback",
        fmt::format("\"{}\" is not one of: communication, production", time.classify.fallback));
  }
  // Rates: decimal text, never floating point; bounded so no month's total can overflow.
  const auto rate = [&](const std::string& path, const std::string& text) {
    // The money parser also reads "1 500,50"; the config keeps to one plain form.
    const bool plain = !text.empty() && text.find_first_not_of("0123456789.") == std::string::npos;
    auto minor = timekeeping::ParseAmount(text);
    if (!plain || !minor || *minor < 0 || *minor > 100'000'000) {
      check.Add(path, fmt::format("\"{}\" is not an hourly rate (a decimal such as \"650.00\", "
                                  "0 to 1000000)",
                                  text));
    }
  };
  if (!time.default_rate.empty()) rate("time.default_rate", time.default_rate);
  for (const auto& [employee, text] : time.rates) {
    const std::string path = fmt::format("time.rates.\"{}\"", employee);
    if (!employee.starts_with("user:") || employee.size() == 5 ||
        employee.find_first_not_of("0123456789", 5) != std::string::npos) {
      check.Add(path, "the key must be an employee id such as \"user:5\"");
    }
    rate(path, text);
  }
  if (time.currency.empty()) check.Add("time.currency", "must not be empty");
  check.Range("time.alert_share_percent", time.alert_share_percent, 0, 100);
  for (const auto& [kind, minutes] : time.automation_minutes) {
    check.Range(fmt::format("time.automation_minutes.{}", kind), minutes, 0, 240);
  }
  if (time.data_tag <= 0) return;
  if (fields.employee <= 0) {
    check.Add("time.fields.employee", "is required when time.data_tag is set (who worked)");
  }
  if (time.default_rate.empty() && time.rates.empty() && time.rate_field <= 0) {
    check.Add("time.default_rate",
              "time.default_rate, time.rates or time.rate_field is required when time.data_tag "
              "is set (no entry could be priced)");
  }
  if (fields.duration <= 0 && fields.period <= 0) {
    check.Add("time.fields.duration",
              "time.fields.duration or time.fields.period is required when time.data_tag is set");
  }
  if (fields.date <= 0 && fields.period <= 0) {
    check.Add("time.fields.date",
              "time.fields.date or a time.fields.period with dates is required when "
              "time.data_tag is set");
  }
}

void CheckSecrets(Checker& check, const Config& config) {
  const Secrets& secrets = config.secrets;
  CheckSecret(check, kEnvPlanfixToken, secrets.planfix_token, "the Planfix REST API token", true);
  CheckSecret(check, kEnvTelegramBotToken, secrets.telegram_bot_token, "the Telegram bot token",
              true);
  CheckSecret(check, kEnvPlanfixWebhookSecret, secrets.planfix_webhook_secret,
              "the secret Planfix sends in its webhook requests", true, 16);
  CheckSecret(check, kEnvGoogleWebhookSecret, secrets.google_webhook_secret,
              "the key the Apps Script signs form submissions with", true, 16);
  CheckSecret(check, kEnvAdminToken, secrets.admin_token, "the admin endpoints' token", true, 16);
  CheckSigningKeys(check, secrets);
  CheckSecret(check, kEnvGoogleSaKeyFile, secrets.google_sa_key_file,
              "the path of the Google service-account key file", true);
  if (!secrets.google_sa_key_file.empty())
    CheckServiceAccountKey(check, secrets.google_sa_key_file);

  const bool webhook = config.telegram.mode == TelegramMode::kWebhook;
  const std::string& telegram_secret = secrets.telegram_webhook_secret;
  if (webhook && telegram_secret.empty()) {
    check.Add(std::string(kEnvTelegramWebhookSecret),
              "is not set in the environment (the webhook's secret_token; required in webhook "
              "mode)");
  } else if (!telegram_secret.empty() &&
             (telegram_secret.size() > 256 ||
              !std::all_of(telegram_secret.begin(), telegram_secret.end(), [](unsigned char ch) {
                return std::isalnum(ch) || ch == '_' || ch == '-';
              }))) {
    check.Add(std::string(kEnvTelegramWebhookSecret),
              "must be 1-256 characters of A-Z, a-z, 0-9, _ and - (Telegram's secret_token)");
  }
}

}  // namespace

std::vector<Problem> ValidateConfig(const Config& config) {
  std::vector<Problem> problems;
  Checker check(problems);
  CheckServer(check, config.server);
  CheckStorage(check, config.storage);
  CheckPlanfix(check, config.planfix);
  CheckTelegram(check, config.telegram);
  CheckGoogle(check, config.google);
  CheckBrief(check, config.brief);
  CheckInvoices(check, config.invoices);
  CheckReport(check, config);
  if (config.invoices.enabled) {
    // A status change goes to one rule: an invoice status may not be one another flow watches.
    const auto& s = config.planfix.statuses;
    for (const auto& [path, id] :
         {std::pair{"invoices.statuses.issued", config.invoices.statuses.issued},
          std::pair{"invoices.statuses.paid", config.invoices.statuses.paid}}) {
      if (id <= 0) continue;
      bool taken =
          id == s.handed_to_production || id == s.in_production || id == s.awaiting_approval;
      for (const auto& stage : config.stages) taken = taken || stage.status == id;
      if (taken) {
        check.Add(path, fmt::format("status {} already starts another flow (planfix.statuses or "
                                    "[[stages]])",
                                    id));
      }
    }
  }
  CheckStages(check, config.stages, config.planfix.statuses, config.templates.languages);
  CheckCalendar(check, config.calendar);
  CheckTemplates(check, config.templates);
  CheckLimits(check, config.limits);
  CheckSigning(check, config.signing);
  CheckLogging(check, config.logging);
  CheckTime(check, config.time);
  CheckBank(check, config);
  CheckSecrets(check, config);
  return problems;
}

std::vector<Problem> ConfigWarnings(const Config& config) {
  std::vector<Problem> warnings;
  if (!core::IsLoopbackHost(config.server.host)) {
    warnings.push_back(
        {"server.host",
         fmt::format("\"{}\" is not a loopback address: the service then answers every "
                     "network it is on in plain HTTP, /metrics and /admin included. Keep it on "
                     "127.0.0.1 behind a TLS reverse proxy (README, \"Production\"), unless a "
                     "firewall and a proxy on another host stand in front of it",
                     config.server.host)});
  }
  return warnings;
}

templates::TemplateLoadResult LoadTemplates(const Config& config, std::vector<Problem>& problems) {
  const TemplatesConfig& settings = config.templates;
  if (settings.dir.empty() || settings.languages.empty()) return {};
  auto loaded =
      templates::TemplateSet::Load(settings.dir, settings.languages, settings.default_language);
  for (const auto& problem : loaded.problems) {
    // The default-language problem is already reported against templates.default_language.
    if (problem.where == settings.dir) continue;
    problems.push_back(Problem{problem.where, problem.message});
  }
  std::error_code error;
  if (!fs::is_directory(settings.dir, error)) {
    problems.push_back(
        Problem{"templates.dir", fmt::format("{} is not a readable directory", settings.dir)});
  }
  return loaded;
}

}  // namespace planfix_flow::config
