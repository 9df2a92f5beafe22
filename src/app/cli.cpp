#include "planfix_flow/app/cli.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "app/invoices_cli.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/config_doctor.h"
#include "planfix_flow/app/demo.h"
#include "planfix_flow/app/planfix_ids.h"
#include "planfix_flow/app/time_cli.h"
#include "planfix_flow/app/version.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/core/utf8.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/storage/backup.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {

namespace {

struct Options {
  std::string config_path;
  std::string env_file;  // check-config: read the secrets from this EnvironmentFile too
  bool online = false;   // check-config: also check the ids against the live accounts
  const config::Environment* env = nullptr;
};

// Loads and checks the config; on problems prints each as "<key.path>: <message>" to `err`
// and returns nullopt. What check-config runs, and what serve should run before starting.
std::optional<config::ConfigLoadResult> LoadConfigOrReport(const Options& options,
                                                           std::ostream& err) {
  config::Environment env = *options.env;
  if (!options.env_file.empty()) {
    const auto problems = config::ReadEnvironmentFile(options.env_file, env);
    if (!problems.empty()) {
      for (const auto& problem : problems) err << problem.ToString() << "\n";
      err << options.env_file << ": cannot read the secrets\n";
      return std::nullopt;
    }
  }
  config::ConfigLoadResult result = config::LoadConfig(options.config_path, env);
  if (result.ok()) return result;
  for (const auto& problem : result.problems) err << problem.ToString() << "\n";
  err << options.config_path << ": " << result.problems.size()
      << (result.problems.size() == 1 ? " problem" : " problems") << "\n";
  return std::nullopt;
}

struct JobsOptions {
  std::string database_path;
  std::string config_path;  // alternative to database_path: its storage.path
  std::string state;        // list: "" for all
  std::size_t limit = 50;
  bool json = false;
  std::int64_t job_id = 0;  // show, replay
};

// Refuses to start on a bad config, with the same messages as check-config.
int RunServe(const Options& options, std::ostream& /*out*/, std::ostream& err) {
  auto loaded = LoadConfigOrReport(options, err);
  if (!loaded) {
    err << "serve: not starting until the config is fixed\n";
    return kExitFailure;
  }
  return Serve(std::move(*loaded->config), loaded->templates);
}

int RunCheckConfig(const Options& options, std::ostream& out, std::ostream& err) {
  const auto loaded = LoadConfigOrReport(options, err);
  if (!loaded) return kExitFailure;
  // Legal, so the exit code stays 0; `serve` logs the same warnings at start.
  for (const auto& warning : config::ConfigWarnings(*loaded->config)) {
    err << "warning: " << warning.ToString() << "\n";
  }
  out << config::Summarize(*loaded->config, loaded->templates.get());
  if (!options.online) return kExitOk;
  out << "\nOnline checks (read-only; Planfix paced at planfix.min_interval_ms):\n";
  core::SetLogLevel("off");  // the verdicts say it all; client warnings would repeat them
  http::CurlHttpClient http;
  core::SystemClock clock;
  return RunOnlineChecks(*loaded->config, http, clock, out) == 0 ? kExitOk : kExitFailure;
}

// The secrets of the process environment, with --env-file's on top.
std::optional<config::Environment> EnvironmentWithFile(const Options& options, std::ostream& err) {
  config::Environment env = *options.env;
  if (options.env_file.empty()) return env;
  const auto problems = config::ReadEnvironmentFile(options.env_file, env);
  if (problems.empty()) return env;
  for (const auto& problem : problems) err << problem.ToString() << "\n";
  err << options.env_file << ": cannot read the secrets\n";
  return std::nullopt;
}

int RunPlanfixIdsCommand(const Options& options, std::ostream& out, std::ostream& err) {
  const auto env = EnvironmentWithFile(options, err);
  if (!env) return kExitFailure;
  core::SetLogLevel("off");
  http::CurlHttpClient http;
  core::SystemClock clock;
  return RunPlanfixIds(options.config_path, *env, http, clock, out, err);
}

// The database a command works on: --database, or the storage.path of --config (read
// without secrets, which these commands do not need). Nullopt, said on `err`, when it does not
// exist: a mistyped path never creates a database.
std::optional<std::string> ExistingDatabasePath(const JobsOptions& options, std::ostream& err) {
  std::string path = options.database_path;
  if (path.empty()) {
    auto storage = config::LoadStoragePath(options.config_path);
    if (!storage.path) {
      for (const auto& problem : storage.problems) err << problem.ToString() << "\n";
      err << "planfix-flow: cannot find the database in " << options.config_path << "\n";
      return std::nullopt;
    }
    path = *storage.path;
  }
  if (!std::filesystem::exists(path)) {
    err << "planfix-flow: no database at " << path << "\n";
    return std::nullopt;
  }
  return path;
}

// Opens (and migrates) an existing database.
std::unique_ptr<storage::Database> OpenExistingDatabase(const JobsOptions& options,
                                                        std::ostream& err) {
  const auto path = ExistingDatabasePath(options, err);
  if (!path) return nullptr;
  core::SetLogLevel("warn");  // keep the command's output clean
  try {
    return std::make_unique<storage::Database>(storage::DatabaseOptions{*path});
  } catch (const std::exception& error) {
    err << "planfix-flow: cannot open " << *path << ": " << error.what() << "\n";
    return nullptr;
  }
}

// A consistent copy while serve runs; never migrates or writes the database itself.
int RunBackup(const JobsOptions& options, const std::string& to, std::ostream& out,
              std::ostream& err) {
  const auto path = ExistingDatabasePath(options, err);
  if (!path) return kExitFailure;
  // SQLite may create the -wal and -shm files beside the database; made by root, they would
  // lock the service's own user out of its database.
  struct stat file {};
  if (::geteuid() == 0 && ::stat(path->c_str(), &file) == 0 && file.st_uid != 0) {
    const passwd* owner = ::getpwuid(file.st_uid);
    err << fmt::format(
        "backup: run it as the database's owner, not root: sudo -u {} planfix-flow backup ...\n",
        owner != nullptr ? owner->pw_name : std::to_string(file.st_uid));
    return kExitUsage;
  }
  auto copied = storage::BackupDatabase(*path, to);
  if (!copied) {
    err << "backup: " << copied.error().message << "\n";
    return kExitFailure;
  }
  out << fmt::format("backed up {} to {} ({} bytes, schema version {})\n", *path, copied->path,
                     copied->bytes, copied->schema_version);
  return kExitOk;
}

// A table cell: one line, at most `max` bytes, cut at a character boundary; `cut` is set when
// something was left out, so the table can say where the whole text is.
std::string OneLine(std::string text, std::size_t max, bool* cut = nullptr) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() > max) {
    text = std::string(core::Utf8Prefix(text, max - 3)) + "...";
    if (cut != nullptr) *cut = true;
  }
  return text;
}

constexpr std::size_t kErrorColumnBytes = 100;

// What `list` prints under a table whose LAST ERROR column cut a text.
void SayWhereTheWholeErrorIs(bool cut, std::string_view noun, std::ostream& out) {
  if (!cut) return;
  out << fmt::format(
      "(errors are cut at {} characters: `{} show <id>` or `{} list --json` print them whole)\n",
      kErrorColumnBytes, noun, noun);
}

int RunJobsList(const JobsOptions& options, std::ostream& out, std::ostream& err) {
  storage::JobFilter filter;
  filter.limit = options.limit;
  if (!options.state.empty()) {
    filter.state = storage::ParseJobState(options.state);
    if (!filter.state) {
      err << "jobs list: unknown state '" << options.state
          << "' (pending, running, done or dead)\n";
      return kExitUsage;
    }
  }
  auto db = OpenExistingDatabase(options, err);
  if (!db) return kExitFailure;
  const auto jobs = db->ListJobs(filter);
  if (options.json) {
    auto array = nlohmann::json::array();
    for (const auto& job : jobs) array.push_back(storage::ToJson(job));
    out << array.dump(2) << "\n";
    return kExitOk;
  }
  // PRIORITY: the executor runs every due interactive job before any due bulk one.
  out << fmt::format("{:>8}  {:<8}  {:<11}  {:<24}  {:<24}  {:>8}  {:<24}  {}\n", "ID", "STATE",
                     "PRIORITY", "KIND", "DESTINATION", "ATTEMPTS", "NEXT ATTEMPT", "LAST ERROR");
  bool cut = false;
  for (const auto& job : jobs) {
    out << fmt::format(
        "{:>8}  {:<8}  {:<11}  {:<24}  {:<24}  {:>8}  {:<24}  {}\n", job.id,
        storage::ToString(job.state),
        job.priority == plan::EffectPriority::kBulk ? "bulk" : "interactive", job.kind,
        job.destination, std::to_string(job.attempts) + "/" + std::to_string(job.max_attempts),
        storage::FormatTime(job.next_attempt_at), OneLine(job.last_error, kErrorColumnBytes, &cut));
  }
  if (jobs.empty()) out << "(no jobs)\n";
  SayWhereTheWholeErrorIs(cut, "jobs", out);
  return kExitOk;
}

int RunJobsShow(const JobsOptions& options, std::ostream& out, std::ostream& err) {
  auto db = OpenExistingDatabase(options, err);
  if (!db) return kExitFailure;
  const auto job = db->GetJob(options.job_id);
  if (!job) {
    err << "jobs show: no job " << options.job_id << "\n";
    return kExitFailure;
  }
  out << storage::ToJson(*job).dump(2) << "\n";
  return kExitOk;
}

int RunJobsReplay(const JobsOptions& options, std::ostream& out, std::ostream& err) {
  auto db = OpenExistingDatabase(options, err);
  if (!db) return kExitFailure;
  core::SystemClock clock;
  auto replayed = db->ReplayJob(options.job_id, clock.Now());
  if (!replayed) {
    err << "jobs replay: " << replayed.error().message << "\n";
    return kExitFailure;
  }
  // A running service picks the job up at its next check of the queue.
  out << "job " << replayed->id << " (" << replayed->kind << ") replayed: pending, due now\n";
  return kExitOk;
}

// Events (what came in): a dead one failed for a reason no retry could change, or ran out of
// attempts; replaying it handles it again, adding no job that already exists.
int RunEventsList(const JobsOptions& options, std::ostream& out, std::ostream& err) {
  std::optional<storage::EventState> state;
  if (!options.state.empty()) {
    state = storage::ParseEventState(options.state);
    if (!state) {
      err << "events list: unknown state '" << options.state << "' (pending, done or dead)\n";
      return kExitUsage;
    }
  }
  auto db = OpenExistingDatabase(options, err);
  if (!db) return kExitFailure;
  const auto events = db->ListEvents(state, options.limit);
  if (options.json) {
    auto array = nlohmann::json::array();
    for (const auto& event : events) array.push_back(storage::ToJson(event));
    out << array.dump(2) << "\n";
    return kExitOk;
  }
  out << fmt::format("{:>8}  {:<8}  {:<24}  {:>8}  {:<24}  {}\n", "ID", "STATE", "KIND", "ATTEMPTS",
                     "RECEIVED", "LAST ERROR");
  bool cut = false;
  for (const auto& event : events) {
    out << fmt::format("{:>8}  {:<8}  {:<24}  {:>8}  {:<24}  {}\n", event.id,
                       storage::ToString(event.state), event.kind, event.attempts,
                       storage::FormatTime(event.received_at),
                       OneLine(event.last_error, kErrorColumnBytes, &cut));
  }
  if (events.empty()) out << "(no events)\n";
  SayWhereTheWholeErrorIs(cut, "events", out);
  return kExitOk;
}

int RunEventsShow(const JobsOptions& options, std::ostream& out, std::ostream& err) {
  auto db = OpenExistingDatabase(options, err);
  if (!db) return kExitFailure;
  const auto event = db->GetEvent(options.job_id);
  if (!event) {
    err << "events show: no event " << options.job_id << "\n";
    return kExitFailure;
  }
  out << storage::ToJson(*event).dump(2) << "\n";
  return kExitOk;
}

int RunEventsReplay(const JobsOptions& options, std::ostream& out, std::ostream& err) {
  auto db = OpenExistingDatabase(options, err);
  if (!db) return kExitFailure;
  core::SystemClock clock;
  auto replayed = db->ReplayEvent(options.job_id, clock.Now());
  if (!replayed) {
    err << "events replay: " << replayed.error().message << "\n";
    return kExitFailure;
  }
  // A running service picks the event up at its next check of the inbox.
  out << "event " << options.job_id << " replayed: pending, due now\n";
  return kExitOk;
}

// Form responses no client could be matched to: what the staff chat was told, kept until a
// person copies the answers by hand.
int RunBriefsUnmatched(const JobsOptions& options, std::ostream& out, std::ostream& err) {
  auto db = OpenExistingDatabase(options, err);
  if (!db) return kExitFailure;
  const auto flows = db->ListFlows("brief.response", "unmatched", options.limit);
  if (options.json) {
    auto array = nlohmann::json::array();
    for (const auto& flow : flows) array.push_back(storage::ToJson(flow));
    out << array.dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& flow : flows) {
    const auto payload = nlohmann::json::parse(flow.data, nullptr, /*allow_exceptions=*/false);
    const std::string response =
        payload.is_object() ? payload.value("responseId", std::string()) : std::string();
    out << fmt::format(
        "{}  response {}  {}\n", storage::FormatTime(flow.updated_at), response,
        payload.is_object() ? payload.value("respondentEmail", std::string()) : std::string());
    if (payload.is_object() && payload.contains("answers") && payload["answers"].is_array()) {
      for (const auto& answer : payload["answers"]) {
        if (!answer.is_object()) continue;
        out << "    " << answer.value("title", std::string()) << ": "
            << OneLine(answer.contains("value")
                           ? (answer["value"].is_string() ? answer["value"].get<std::string>()
                                                          : answer["value"].dump())
                           : std::string(),
                       200)
            << "\n";
      }
    }
  }
  if (flows.empty()) out << "(no unmatched responses)\n";
  return kExitOk;
}

}  // namespace

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  return RunCli(argc, argv, out, err, config::ProcessEnvironment());
}

int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
           const config::Environment& env) {
  CLI::App cli{
      "planfix-flow runs an agency's client workflow around Planfix, Telegram and Google Forms.",
      "planfix-flow"};
  cli.require_subcommand(1);
  cli.set_version_flag("--version", VersionText(), "Print the version, commit and build type");
  Options options;
  options.env = &env;

  auto* serve =
      cli.add_subcommand("serve", "Run the service: webhooks, workflow, timers and effects.");
  serve->add_option("-c,--config", options.config_path, "Path to the TOML config file")->required();
  auto* check = cli.add_subcommand(
      "check-config", "Validate a config file and the secrets it needs; list every problem.");
  check->add_option("-c,--config", options.config_path, "Path to the TOML config file")->required();
  check->add_option("--env-file", options.env_file,
                    "Read the secrets from this environment file too (the unit's "
                    "EnvironmentFile=, e.g. /etc/planfix-flow/planfix-flow.env; root-only, so "
                    "run with sudo); its values win over the process environment");
  check->add_flag("--online", options.online,
                  "Also check the config against the live Planfix, Telegram and Google "
                  "accounts (read-only): one verdict per id; exits 1 on any problem");
  auto* planfix_group = cli.add_subcommand("planfix", "Look into the Planfix account.");
  planfix_group->require_subcommand(1);
  auto* planfix_ids = planfix_group->add_subcommand(
      "ids",
      "List the account's processes and statuses, custom fields, task templates and data tags "
      "(read-only), to fill in the config.");
  planfix_ids
      ->add_option("-c,--config", options.config_path,
                   "Path to the TOML config file (only planfix.base_url is needed)")
      ->required();
  planfix_ids->add_option("--env-file", options.env_file,
                          "Read PLANFIX_FLOW_PLANFIX_TOKEN from this environment file too");
  auto* demo = cli.add_subcommand(
      "demo", "Run the whole story against the built-in sandbox (no accounts needed).");
  DemoServeOptions demo_serve;
  bool demo_serve_wanted = false;
  auto* demo_serve_flag = demo->add_flag(
      "--serve", demo_serve_wanted,
      "Instead: keep the sandboxed service running with one dead job, to try the admin page "
      "(sign in with PLANFIX_FLOW_ADMIN_TOKEN from the environment)");
  demo->add_option("--port", demo_serve.port, "With --serve: the port (0: any free one)")
      ->needs(demo_serve_flag);

  JobsOptions jobs_options;
  auto* jobs = cli.add_subcommand("jobs", "See outbound jobs (effects) and replay dead ones.");
  jobs->require_subcommand(1);
  const auto add_database = [&jobs_options](CLI::App* command) {
    auto* database = command->add_option("-d,--database", jobs_options.database_path,
                                         "Path to the planfix-flow SQLite database");
    command
        ->add_option("-c,--config", jobs_options.config_path,
                     "Path to the TOML config file, to use its storage.path (no secrets needed)")
        ->excludes(database);
    // One of the two is required: checked after parsing, with a message naming both.
  };
  // list / show / replay of one kind of record (jobs, events).
  struct RecordCommands {
    CLI::App* list;
    CLI::App* show;
    CLI::App* replay;
  };
  const auto add_record_commands = [&](CLI::App* group, const std::string& noun,
                                       const std::string& states) {
    RecordCommands commands{};
    commands.list = group->add_subcommand("list", "List " + noun + "s, newest first.");
    add_database(commands.list);
    commands.list->add_option("-s,--state", jobs_options.state,
                              "Only " + noun + "s in this state: " + states);
    commands.list->add_option("-n,--limit", jobs_options.limit, "At most this many " + noun + "s")
        ->check(CLI::Range(1, 100000));
    commands.list->add_flag("--json", jobs_options.json, "Print JSON instead of a table");
    commands.show = group->add_subcommand("show", "Show one " + noun + " in full (JSON).");
    add_database(commands.show);
    commands.show->add_option("id", jobs_options.job_id, "Id of the " + noun)->required();
    commands.replay = group->add_subcommand(
        "replay", "Move a dead " + noun + " back to pending so it runs again.");
    add_database(commands.replay);
    commands.replay->add_option("id", jobs_options.job_id, "Id of the " + noun)->required();
    return commands;
  };
  const auto job_commands = add_record_commands(jobs, "job", "pending, running, done or dead");
  auto* events = cli.add_subcommand(
      "events", "See incoming events (webhooks, fired timers) and replay dead ones.");
  events->require_subcommand(1);
  const auto event_commands = add_record_commands(events, "event", "pending, done or dead");

  std::string backup_to;
  auto* backup = cli.add_subcommand(
      "backup",
      "Copy the database to a new file, consistently, also while serve runs (restore: stop the "
      "service and put the copy in place of storage.path).");
  add_database(backup);
  backup->add_option("--to", backup_to, "The new file (never overwritten)")->required();
  auto* briefs = cli.add_subcommand("briefs", "See brief responses that need a person.");
  briefs->require_subcommand(1);
  auto* briefs_unmatched = briefs->add_subcommand(
      "unmatched", "Form responses that matched no client (no valid code, e-mail or phone).");
  add_database(briefs_unmatched);
  briefs_unmatched->add_option("-n,--limit", jobs_options.limit, "At most this many")
      ->check(CLI::Range(1, 100000));
  briefs_unmatched->add_flag("--json", jobs_options.json, "Print JSON instead of text");
  const auto report = AddReportCommands(cli);
  // Invoices and payments (invoices_cli.h).
  bool invoices_open = false;
  bool invoices_overdue = false;
  std::string match_payment;
  std::string match_task;
  auto* invoices = cli.add_subcommand("invoices", "See the invoices the service keeps.");
  invoices->require_subcommand(1);
  auto* invoices_list = invoices->add_subcommand("list", "List invoices: task, number, amounts.");
  add_database(invoices_list);
  auto* open_flag = invoices_list->add_flag("--open", invoices_open, "Only those not paid in full");
  invoices_list->add_flag("--overdue", invoices_overdue, "Only unpaid ones past their due date")
      ->excludes(open_flag);
  invoices_list->add_option("-n,--limit", jobs_options.limit, "At most this many")
      ->check(CLI::Range(1, 100000));
  invoices_list->add_flag("--json", jobs_options.json, "Print JSON instead of a table");
  auto* payments = cli.add_subcommand("payments", "See and match incoming payments.");
  payments->require_subcommand(1);
  auto* payments_unmatched =
      payments->add_subcommand("unmatched", "Payments that matched no invoice, with the reason.");
  add_database(payments_unmatched);
  payments_unmatched->add_option("-n,--limit", jobs_options.limit, "At most this many")
      ->check(CLI::Range(1, 100000));
  payments_unmatched->add_flag("--json", jobs_options.json, "Print JSON instead of text");
  auto* payments_match = payments->add_subcommand(
      "match", "Count an unmatched payment towards the invoice of a task (the service does it).");
  add_database(payments_match);
  payments_match
      ->add_option("payment", match_payment, "The payment (payment:monobank:<id> or the bank id)")
      ->required();
  payments_match->add_option("task", match_task, "The task number of the invoice")->required();

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << cli.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << cli.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    out << VersionText() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    err << "planfix-flow: " << error.what() << "\n";
    err << "Run 'planfix-flow --help' (or 'planfix-flow <command> --help') for usage.\n";
    return kExitUsage;
  }
  if (serve->parsed()) return RunServe(options, out, err);
  if (check->parsed()) return RunCheckConfig(options, out, err);
  if (planfix_ids->parsed()) return RunPlanfixIdsCommand(options, out, err);
  if (demo->parsed() && demo_serve_wanted) {
    return RunDemoServe(demo_serve, env, out, err) == 0 ? kExitOk : kExitFailure;
  }
  if (demo->parsed()) return RunDemo(out, err) == 0 ? kExitOk : kExitFailure;
  if (ReportParsed(*report)) return RunReportCommand(*report, env, out, err);
  for (const auto* group : {jobs, events, briefs, backup, invoices, payments}) {
    if (group->parsed() && jobs_options.database_path.empty() && jobs_options.config_path.empty()) {
      err << "planfix-flow: " << group->get_name() << " needs --database FILE or --config FILE\n";
      return kExitUsage;
    }
  }
  if (backup->parsed()) return RunBackup(jobs_options, backup_to, out, err);
  if (briefs_unmatched->parsed()) return RunBriefsUnmatched(jobs_options, out, err);
  if (invoices_list->parsed() || payments_unmatched->parsed() || payments_match->parsed()) {
    auto db = OpenExistingDatabase(jobs_options, err);
    if (!db) return kExitFailure;
    const auto now = core::SystemClock().Now();
    if (invoices_list->parsed()) {
      PrintInvoices(*db,
                    invoices_overdue ? InvoiceFilter::kOverdue
                                     : (invoices_open ? InvoiceFilter::kOpen : InvoiceFilter::kAll),
                    jobs_options.json, now, jobs_options.limit, out);
      return kExitOk;
    }
    if (payments_unmatched->parsed()) {
      PrintUnmatchedPayments(*db, jobs_options.json, jobs_options.limit, out);
      return kExitOk;
    }
    auto queued = RequestPaymentMatch(*db, match_payment, match_task, now);
    if (!queued) {
      err << "payments match: " << queued.error().message << "\n";
      return kExitFailure;
    }
    out << "queued as event " << *queued << ": the running service counts payment " << match_payment
        << " towards the invoice of task " << match_task << "\n";
    return kExitOk;
  }
  if (job_commands.list->parsed()) return RunJobsList(jobs_options, out, err);
  if (job_commands.show->parsed()) return RunJobsShow(jobs_options, out, err);
  if (job_commands.replay->parsed()) return RunJobsReplay(jobs_options, out, err);
  if (event_commands.list->parsed()) return RunEventsList(jobs_options, out, err);
  if (event_commands.show->parsed()) return RunEventsShow(jobs_options, out, err);
  if (event_commands.replay->parsed()) return RunEventsReplay(jobs_options, out, err);
  return kExitUsage;
}

}  // namespace planfix_flow::app
