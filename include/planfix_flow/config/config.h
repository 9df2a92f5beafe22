// The service's configuration: one TOML file for the business mapping, secrets only from the
// environment. Loading collects every problem (with its key path) instead of stopping at the
// first. Plain data; thread-compatible.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/templates/template_set.h"

namespace planfix_flow::config {

// Environment variables by name. Injected so tests never touch the real environment.
using Environment = std::map<std::string, std::string, std::less<>>;

// The process environment's PLANFIX_FLOW_* variables (what the CLI passes).
Environment ProcessEnvironment();

// The environment variables that carry secrets.
inline constexpr std::string_view kEnvPlanfixToken = "PLANFIX_FLOW_PLANFIX_TOKEN";
inline constexpr std::string_view kEnvTelegramBotToken = "PLANFIX_FLOW_TELEGRAM_BOT_TOKEN";
inline constexpr std::string_view kEnvTelegramWebhookSecret =
    "PLANFIX_FLOW_TELEGRAM_WEBHOOK_SECRET";
inline constexpr std::string_view kEnvPlanfixWebhookSecret = "PLANFIX_FLOW_PLANFIX_WEBHOOK_SECRET";
inline constexpr std::string_view kEnvGoogleWebhookSecret = "PLANFIX_FLOW_GOOGLE_WEBHOOK_SECRET";
inline constexpr std::string_view kEnvGoogleSaKeyFile = "PLANFIX_FLOW_GOOGLE_SA_KEY_FILE";
inline constexpr std::string_view kEnvAdminToken = "PLANFIX_FLOW_ADMIN_TOKEN";
inline constexpr std::string_view kEnvSigningKey = "PLANFIX_FLOW_SIGNING_KEY";
inline constexpr std::string_view kEnvSigningKeyPrevious = "PLANFIX_FLOW_SIGNING_KEY_PREVIOUS";
inline constexpr std::string_view kEnvMonobankToken = "PLANFIX_FLOW_MONOBANK_TOKEN";
inline constexpr std::string_view kEnvMonobankWebhookToken = "PLANFIX_FLOW_MONOBANK_WEBHOOK_TOKEN";

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  std::size_t body_limit_bytes = std::size_t{64} * 1024;
  // Each worker serves one request at a time; idle connections cost no worker (issue 3
  // measured 18,000 req/s on loopback with 64).
  int threads = 64;
  // Open connections at once, idle ones included; one more is answered 503.
  int max_connections = 4096;
  // Open connections from one client address (IPv6: its /64); one more is answered 429.
  // Trusted proxies are exempt.
  int max_connections_per_address = 256;
  // Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client.
  std::vector<std::string> trusted_proxies = {"127.0.0.1", "::1"};
  int keep_alive_seconds = 2;
  // A request must arrive whole (head and body) within this, or it is answered 408.
  int read_timeout_seconds = 10;
  // A Planfix webhook body repeated within this window is a retry: stored once.
  int planfix_dedupe_window_seconds = 24 * 60 * 60;
};

enum class SqliteSynchronous { kFull, kNormal };

struct StorageConfig {
  // Absolute (relative paths in the file resolve against the config file's directory), or
  // ":memory:".
  std::string path = "planfix-flow.db";
  SqliteSynchronous synchronous = SqliteSynchronous::kFull;
  // Days after which a processed event's raw body and a done job's payload (client messages:
  // personal data) are blanked; the rows stay, so deduplication still works. 0 keeps them.
  int retention_days = 90;
};

// Task status ids (Planfix "process" statuses) the flows react to and set. The first four
// are required; the others are extras the service sets if configured (0 = never set).
struct PlanfixStatuses {
  std::int64_t handed_to_production = 0;  // sales sets it: the handoff check runs
  std::int64_t returned_to_sales = 0;     // set on a deal whose handoff was refused
  std::int64_t in_production = 0;         // a PM sets it: the production gate runs
  std::int64_t awaiting_approval = 0;     // a result waits for the client's approval
  std::int64_t brief_requested = 0;       // set when the brief request went out; 0 = off
  std::int64_t brief_filled = 0;          // set when the client filled the brief; 0 = off
  std::int64_t approved = 0;              // set when the client approved; 0 = off
  std::int64_t rework = 0;                // set when the client asked for changes; 0 = off
};

// The Planfix task processes the flows' tasks belong to (0 = not said).
struct PlanfixProcesses {
  // Deals: when set, the handoff and the production gate act only on its tasks (a status
  // change of a task in another process is only noted).
  std::int64_t deal = 0;
  // The PM's "Communication" tasks (the brief's statuses are set on them): when set, the
  // handoff creates them in this process.
  std::int64_t communication = 0;
};

// Custom field ids on tasks.
struct PlanfixTaskFields {
  std::int64_t work_type = 0;         // required for the handoff
  std::int64_t amount = 0;            // required for the handoff
  std::int64_t payment_received = 0;  // checkbox: payment or prepayment received
  std::int64_t access_granted = 0;    // checkbox: access to the client's accounts granted
};

// Custom field ids on contacts.
struct PlanfixContactFields {
  std::int64_t telegram_chat_id = 0;  // where the bound Telegram chat id is kept
  std::int64_t language = 0;          // the client's language ("uk", "en"); 0 = default
};

// Which of the contact's own data must be present before a deal goes to production.
enum class ContactData { kName, kEmail, kPhone, kTelegram };

struct PlanfixConfig {
  std::string base_url;  // "https://<account>.planfix.com/rest/"
  std::string web_url;   // "https://<account>.planfix.com", for links to tasks in staff messages
  std::string account;   // the account name, for rate limiting and logs
  // Planfix allows 1 request per second per account. Requests go one at a time, each this
  // long after the previous answer, so network jitter cannot bring two closer at Planfix.
  int min_interval_ms = 1000;
  int request_timeout_seconds = 30;
  PlanfixStatuses statuses;
  PlanfixProcesses processes;
  PlanfixTaskFields task_fields;
  PlanfixContactFields contact_fields;
  // Each entry is one requirement, met by any of its alternatives ("phone|email" in the file).
  std::vector<std::vector<ContactData>> handoff_required_contact_data = {{ContactData::kName},
                                                                         {ContactData::kPhone}};
  // The "Communication" task a complete handoff creates for the PM: from this Planfix task
  // template (0: a plain task), assigned to `pm_user` ("user:5"; empty: the deal's first
  // assignee).
  std::int64_t communication_template_id = 0;
  std::string pm_user;
  // Where the production gate sends a task it refuses when the status it came from is not
  // known to the service (0: the task stays and the comment says so).
  std::int64_t gate_refused_status = 0;
};

// Invoices, their reminders and money in ([invoices]; README "Invoices and payments"). Off
// (enabled false) unless the file has the section.
struct InvoiceTaskFields {
  std::int64_t number = 0;           // line: the invoice number (required)
  std::int64_t amount = 0;           // number or line: the amount in major units (required)
  std::int64_t due_date = 0;         // date: when payment is due (required)
  std::int64_t currency = 0;         // line or list: "UAH", ...; 0 or empty: default_currency
  std::int64_t payment_details = 0;  // line/text: IBAN or a payment link for the reminder; 0: none
  std::int64_t paid = 0;             // checkbox: paid in full (read and written); 0: none
  std::int64_t paid_amount = 0;      // number: the total paid so far (read and written); 0: none
};
struct InvoiceStatuses {
  std::int64_t issued = 0;    // a task reaching it registers its invoice (like invoice.issued)
  std::int64_t paid = 0;      // reaching it marks the invoice paid; set when paid in full
  std::int64_t returned = 0;  // where a task with missing invoice fields goes back; 0: stays
};
// Contact custom fields the payer of a bank transfer is matched against (the contact's name
// is always compared with the payer's name).
struct InvoicePayerFields {
  std::int64_t edrpou = 0;  // line: the client's EDRPOU / tax number
  std::int64_t iban = 0;    // line: the client's IBAN
};
// An income entry for each payment the bank brought (matched by the service or by hand):
// an entry of a Planfix data tag on the invoice's task ([invoices.income]). Off unless the
// file has the section. Planfix's own paid mark adds none: who marks it records it there.
struct InvoiceIncomeFields {
  std::int64_t amount = 0;          // number: the payment in major units (required)
  std::int64_t date = 0;            // date: the day the bank booked the payment; 0: none
  std::int64_t invoice_number = 0;  // line: the invoice the payment counts towards; 0: none
  std::int64_t payer = 0;           // line: the payer's name as the bank gives it; 0: none
  std::int64_t purpose = 0;         // line/text: the payment's purpose; 0: none
};
struct InvoiceIncome {
  bool enabled = false;  // the file has [invoices.income]
  std::int64_t data_tag = 0;
  InvoiceIncomeFields fields;
};
// The staff chat's daily digest of money in and overdue invoices ([invoices.digest]).
struct InvoiceDigest {
  bool enabled = false;
  std::string time = "09:30";  // local time on working days
};
struct InvoicesConfig {
  bool enabled = false;
  InvoiceTaskFields fields;
  InvoiceStatuses statuses;
  InvoicePayerFields payer_fields;
  InvoiceIncome income;
  InvoiceDigest digest;
  std::string default_currency = "UAH";
  int reminder_interval_working_days = 3;
  int max_reminders = 3;
  bool escalate_to_staff = true;  // after the last reminder: the staff chat and the task
};

// The monthly report & payment cycle ([report]; README "Monthly report & payment"). Off unless
// the file has the section; needs [invoices] (the report task carries the invoice fields).
struct ReportConfig {
  bool enabled = false;
  std::int64_t deal_template_id = 0;  // the template of the deal tasks that may be retainers
  std::int64_t retainer_field = 0;    // checkbox on the deal task: "monthly retainer"
  // The run day: the Nth working day counted back from the month's end (1: the last one).
  int days_before_month_end = 3;
  std::string time = "10:00";    // local time of the run on that day
  std::int64_t template_id = 0;  // the template of the "Report & payment" task
  std::int64_t process_id = 0;   // its process; 0: the one the template gives
  std::int64_t sent_status = 0;  // reaching it sends the report (like report.send); 0: none
};

// A client message for a task status (stage notifications).
struct StageNotice {
  std::int64_t status = 0;
  std::string name;                             // the stage as the client reads it
  std::string template_name = "stage_changed";  // a Telegram template with stage_name
  // The stage in a client's language other than the default (language -> name); `name` is
  // used for the others and in task comments.
  std::map<std::string, std::string> names;
};

enum class TelegramMode { kWebhook, kPolling };

struct TelegramConfig {
  std::string base_url = "https://api.telegram.org";
  std::string bot_username;  // without "@", for deep links t.me/<bot>?start=...
  std::int64_t staff_chat_id = 0;
  TelegramMode mode = TelegramMode::kWebhook;
  // Public HTTPS URL of POST /webhooks/telegram (webhook mode); registered with setWebhook at
  // start. http:// only to a loopback host (tests against the sandbox fake).
  std::string webhook_url;
  // Webhook mode: how often getWebhookInfo is checked for delivery errors and a changed URL.
  int webhook_check_interval_minutes = 10;
  int polling_timeout_seconds = 30;
  int per_chat_interval_ms = 1000;  // about 1 message per second per chat
  int group_messages_per_minute = 20;
  int global_messages_per_second = 30;
};

struct GoogleConfig {
  std::string forms_base_url = "https://forms.googleapis.com";
  std::string token_url = "https://oauth2.googleapis.com/token";
  std::string form_id;
  std::string form_url;          // ".../viewform" link the client opens
  std::string brief_code_entry;  // "entry.<N>" of the pre-filled "Brief code" question
  // The title of that question, to find the code in responses read through the Forms API.
  std::string brief_code_question = "Brief code";
  int reconcile_interval_minutes = 15;
  int webhook_max_skew_seconds = 300;  // Standard Webhooks timestamp tolerance
};

// The Planfix contact field type a brief answer is written as (API-NOTES: value by type).
enum class FieldType { kLine, kText, kNumber, kDate, kTime, kCheckbox, kList, kSetOfValues };

struct BriefAnswer {
  std::string question;  // the form question's title, exactly
  std::int64_t field_id = 0;
  // The field's type as the agency expects it: checked against Planfix's field catalogue
  // before writing (a mismatch means a wrong field id or type, and is reported, not written).
  // Absent: not checked.
  std::optional<FieldType> type;
  // For a checkbox field: the answers that tick it and clear it (compared without case);
  // both empty: the defaults of planfix::ParseCheckboxAnswer (yes/no, так/ні, ... also as
  // "Так / Yes").
  std::vector<std::string> true_values;
  std::vector<std::string> false_values;
};

struct BriefConfig {
  int deadline_working_days = 2;
  int reminder_interval_working_days = 2;
  int max_reminders = 1;          // the agency sends one reminder today
  bool escalate_to_staff = true;  // tell the staff chat after the last reminder
  // The title of a form question that asks for the client's phone, used to match a
  // submission without a valid brief code to a contact; empty: match by e-mail only.
  std::string phone_question;
  std::vector<BriefAnswer> answers;
};

struct TemplatesConfig {
  std::string dir = "templates";  // absolute after loading
  std::string default_language = "uk";
  std::vector<std::string> languages = {"uk", "en"};
};

struct LimitsConfig {
  // With the 5 s base doubling up to an hour, 12 attempts keep retrying for about 2.4 hours:
  // an hour's outage of Planfix or Telegram is ridden out.
  int job_max_attempts = 12;
  int backoff_base_seconds = 5;
  int backoff_max_seconds = 3600;
};

// Money in from the bank: monobank's personal API (webhook events and statement
// reconciliation). Off by default: without [bank] the service never calls the bank and
// /webhooks/monobank/* answers 404.
struct BankConfig {
  bool enabled = false;
  std::string provider = "monobank";  // the only one
  std::string base_url = "https://api.monobank.ua";
  // The account ids (client-info's accounts[].id) whose incoming transfers are taken in.
  std::vector<std::string> accounts;
  // Where the bank reaches the service: <public_base_url>/webhooks/monobank/<token>. Empty:
  // taken from telegram.webhook_url, its trailing "/webhooks/telegram" removed.
  std::string public_base_url;
  // How often the statement is read and the webhook checked (the bank allows one statement
  // call per 60 s).
  int reconcile_interval_seconds = 300;
  // How far back the first reconciliation reads (the bank's window is 31 days).
  int lookback_days = 31;
};

// Rotating PLANFIX_FLOW_SIGNING_KEY: the previous key (PLANFIX_FLOW_SIGNING_KEY_PREVIOUS)
// still verifies brief codes, deep links and approval buttons for this many days, counted
// from when the service first ran with the current key (recorded in the database, so a
// restart does not extend it).
struct SigningConfig {
  int previous_key_grace_days = 30;
};

struct LoggingConfig {
  std::string level = "info";  // trace, debug, info, warn, error, off
};

// Never printed: the summary says only "set" or "missing".
struct Secrets {
  std::string planfix_token;
  std::string telegram_bot_token;
  std::string telegram_webhook_secret;
  std::string planfix_webhook_secret;
  std::string google_webhook_secret;
  std::string google_sa_key_file;
  std::string admin_token;
  // Signs brief codes, deep-link tokens and approval buttons; held by the service only.
  std::string signing_key;
  std::string signing_key_previous;    // verifies only, during a rotation's grace period
  std::string monobank_token;          // X-Token of monobank's personal API
  std::string monobank_webhook_token;  // the path token of /webhooks/monobank/<token>
};

// Communication time (issue 14): the Planfix data tag people record time in and which of its
// fields hold what (field ids of the data tag; 0 = the tag has no such field).
struct TimeFields {
  std::int64_t date = 0;      // date (3) or date and time (5): the day of the work
  std::int64_t duration = 0;  // number (1, in duration_unit) or time (4, "HH:mm" worked)
  std::string duration_unit = "minutes";  // "minutes" or "hours", for a number duration
  std::int64_t period = 0;    // period of time (6) or date with time frame (28): from-to
  std::int64_t employee = 0;  // employee (11): who worked
  std::int64_t kind = 0;      // optional kind of work (list or line)
};

// Which time is communication (selling, agreeing, reminding) and which production. The
// entry's kind of work decides when listed, then its task's template, then its process.
struct TimeClassify {
  std::vector<std::string> communication_kinds;
  std::vector<std::string> production_kinds;
  std::vector<std::int64_t> communication_templates;
  std::vector<std::int64_t> production_templates;
  std::vector<std::int64_t> communication_processes;
  std::vector<std::int64_t> production_processes;
  std::string fallback = "production";  // "communication" or "production"
};

struct TimeConfig {
  std::int64_t data_tag = 0;  // 0: time is not read
  TimeFields fields;
  TimeClassify classify;
  // Hourly cost in major units as decimal text ("650.00"); checked by the validator.
  std::string default_rate;                  // employees not listed; empty: unpriced
  std::map<std::string, std::string> rates;  // "user:5" -> "650.00"
  // An employee custom field holding each employee's hourly rate in Planfix (a number or a
  // line, major units); 0: none. time.rates wins over it, it over default_rate.
  std::int64_t rate_field = 0;
  std::string currency = "UAH";
  // Minutes a person would have spent per message the service sent a client, by kind
  // ("brief", "reminder", "client", "approval_request", ...): time saved by automation.
  std::map<std::string, int> automation_minutes;
  // Tell the staff chat and the deal, once, when a deal's communication cost to date passes
  // this share of its amount (percent, 1..100); 0: never.
  int alert_share_percent = 0;
  int sync_interval_minutes = 30;
  // Each sync re-reads the entries dated this many days back (edits and deletions there are
  // corrected); once a day the whole tag is read.
  int sync_window_days = 45;
};

struct Config {
  std::filesystem::path source;  // the file it was read from (empty when built in code)
  ServerConfig server;
  StorageConfig storage;
  PlanfixConfig planfix;
  TelegramConfig telegram;
  GoogleConfig google;
  BriefConfig brief;
  InvoicesConfig invoices;
  ReportConfig report;
  std::vector<StageNotice> stages;
  calendar::CalendarSettings calendar;
  TemplatesConfig templates;
  LimitsConfig limits;
  SigningConfig signing;
  LoggingConfig logging;
  TimeConfig time;
  BankConfig bank;
  Secrets secrets;
};

// The URL the bank posts events to (bank.public_base_url or the one telegram.webhook_url
// implies, + "/webhooks/monobank/<token>"); empty when neither gives a base.
std::string MonobankWebhookUrl(const Config& config);

// One problem: where (a TOML key path like "planfix.statuses.brief_filled", an environment
// variable name, or a file path) and what is wrong. Messages never contain secret values.
struct Problem {
  std::string key_path;
  std::string message;

  std::string ToString() const { return key_path + ": " + message; }
};

// Reads a systemd EnvironmentFile (what the unit's EnvironmentFile= gives `serve`): one
// NAME=value per line, blank lines and lines starting with # or ; ignored, a value optionally in
// matching single or double quotes. Only PLANFIX_FLOW_* names are kept; their values replace
// those in `into`. Problems name the file and the line number, never the line (it may hold a
// secret).
std::vector<Problem> ReadEnvironmentFile(const std::filesystem::path& path, Environment& into);

struct ConfigLoadResult {
  std::optional<Config> config;  // set only when there are no problems
  std::vector<Problem> problems;
  // The templates of config->templates, loaded and checked (set only when config is).
  std::shared_ptr<const templates::TemplateSet> templates;

  bool ok() const { return config.has_value(); }
};

// Reads, checks and completes the config file at `path`: TOML syntax, required keys, types,
// unknown keys (typos), value ranges, time zone, times and dates, URLs, secrets from `env`,
// and every template for every language. Relative paths resolve against the file's directory.
ConfigLoadResult LoadConfig(const std::filesystem::path& path, const Environment& env);

// Only storage.path of the config file at `path`, resolved as LoadConfig resolves it, for
// commands that only read the database (`jobs`): needs no secrets and checks nothing else.
// Problems (unreadable file, TOML syntax, a missing or mistyped storage.path) are reported as
// LoadConfig reports them; `path` of the result is set only when there are none.
struct StoragePathResult {
  std::optional<std::string> path;
  std::vector<Problem> problems;
};
StoragePathResult LoadStoragePath(const std::filesystem::path& path);

// The same for TOML text; relative paths resolve against `base_dir`.
ConfigLoadResult ParseConfig(std::string_view toml_text, const std::filesystem::path& base_dir,
                             const Environment& env);

// The semantic checks LoadConfig runs after parsing (ranges, URLs, secrets, calendar, files),
// for a Config built in code. Does not load templates.
std::vector<Problem> ValidateConfig(const Config& config);

// What is legal but probably not meant (e.g. server.host on every interface), for check-config
// and the start-up log to show; never a reason to refuse the config.
std::vector<Problem> ConfigWarnings(const Config& config);

// Loads and checks the templates a config names, reporting problems like LoadConfig does.
templates::TemplateLoadResult LoadTemplates(const Config& config, std::vector<Problem>& problems);

// A complete valid configuration for the sandbox (demo and tests): loopback base URLs with
// port 0 to be replaced, sandbox ids and secrets, in-memory storage, the repository's
// templates, polling mode.
Config DefaultSandboxConfig();

// A short human summary for check-config: listen address, database, base URLs, mode,
// calendar, templates, and which secrets are set (never their values).
std::string Summarize(const Config& config, const templates::TemplateSet* templates);

std::string_view ToString(TelegramMode mode);
std::string_view ToString(SqliteSynchronous synchronous);
std::string_view ToString(FieldType type);
std::string_view ToString(ContactData data);

}  // namespace planfix_flow::config
