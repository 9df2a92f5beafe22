#include "planfix_flow/app/time_cli.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <ostream>
#include <string>

#include "planfix_flow/app/cli.h"
#include "planfix_flow/app/time_ledger.h"
#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/timekeeping/time_report.h"

namespace planfix_flow::app {

struct ReportCommands {
  CLI::App* group = nullptr;
  CLI::App* time = nullptr;
  CLI::App* problems = nullptr;
  std::string config_path;
  std::string env_file;
  std::string month;
  std::int64_t client = 0;
  std::string format = "table";
};

std::shared_ptr<ReportCommands> AddReportCommands(CLI::App& cli) {
  auto commands = std::make_shared<ReportCommands>();
  commands->group = cli.add_subcommand("report", "Reports on communication time and its cost.");
  commands->group->require_subcommand(1);
  const auto add_config = [&](CLI::App* command) {
    command->add_option("-c,--config", commands->config_path, "Path to the TOML config file")
        ->required();
    command->add_option("--env-file", commands->env_file,
                        "Read the secrets from this environment file too (as check-config)");
  };
  commands->time = commands->group->add_subcommand(
      "time",
      "Per client and deal: communication and production hours and cost, revenue, margin; the "
      "deals where communication cost more than the work first; totals.");
  add_config(commands->time);
  commands->time->add_option("--month", commands->month, "The month, YYYY-MM")->required();
  commands->time->add_option("--client", commands->client, "Only this client (contact id)")
      ->check(CLI::PositiveNumber);
  commands->time->add_option("--format", commands->format, "table, csv or json")
      ->check(CLI::IsMember({"table", "csv", "json"}));
  commands->problems = commands->group->add_subcommand(
      "problems", "Time entries that do not count, with the reason (fix them in Planfix).");
  add_config(commands->problems);
  return commands;
}

bool ReportParsed(const ReportCommands& commands) { return commands.group->parsed(); }

namespace {

std::optional<config::Config> LoadForReport(const ReportCommands& commands,
                                            const config::Environment& process_env,
                                            std::ostream& err) {
  config::Environment env = process_env;
  if (!commands.env_file.empty()) {
    const auto problems = config::ReadEnvironmentFile(commands.env_file, env);
    for (const auto& problem : problems) err << problem.ToString() << "\n";
    if (!problems.empty()) return std::nullopt;
  }
  auto loaded = config::LoadConfig(commands.config_path, env);
  if (!loaded.ok()) {
    for (const auto& problem : loaded.problems) err << problem.ToString() << "\n";
    err << commands.config_path << ": " << loaded.problems.size()
        << (loaded.problems.size() == 1 ? " problem" : " problems") << "\n";
    return std::nullopt;
  }
  return std::move(*loaded.config);
}

std::unique_ptr<storage::Database> OpenForReport(const config::Config& config, std::ostream& err) {
  const std::string& path = config.storage.path;
  if (path != ":memory:" && !std::filesystem::exists(path)) {
    err << "planfix-flow: no database at " << path << "\n";
    return nullptr;
  }
  core::SetLogLevel("warn");  // keep the report clean
  try {
    return std::make_unique<storage::Database>(storage::DatabaseOptions{path});
  } catch (const std::exception& error) {
    err << "planfix-flow: cannot open " << path << ": " << error.what() << "\n";
    return nullptr;
  }
}

}  // namespace

int RunReportCommand(const ReportCommands& commands, const config::Environment& env,
                     std::ostream& out, std::ostream& err) {
  std::optional<timekeeping::Month> month;
  if (commands.time->parsed()) {
    auto parsed = timekeeping::ParseMonth(commands.month);
    if (!parsed) {
      err << "planfix-flow: --month: " << parsed.error().message << "\n";
      return kExitUsage;
    }
    month = *parsed;
  }
  const auto config = LoadForReport(commands, env, err);
  if (!config) return kExitFailure;
  if (config->time.data_tag <= 0) {
    err << "planfix-flow: time.data_tag is not set in " << commands.config_path
        << ": the service reads no time\n";
    return kExitFailure;
  }
  auto database = OpenForReport(*config, err);
  if (!database) return kExitFailure;

  if (commands.problems->parsed()) {
    const auto problems = database->ListTimeProblems();
    for (const auto& problem : problems) {
      out << fmt::format("entry {}  task {}  {}  {}\n", problem.key,
                         problem.task ? std::to_string(*problem.task) : std::string("-"),
                         problem.date.empty() ? std::string("(no date)") : problem.date,
                         problem.reason);
    }
    if (problems.empty()) out << "(no problems)\n";
    return kExitOk;
  }

  auto calendar = calendar::WorkCalendar::Create(config->calendar);
  if (!calendar) {
    err << "planfix-flow: calendar: " << calendar.error().message << "\n";
    return kExitFailure;
  }
  std::optional<std::int64_t> client;
  if (commands.client > 0) client = commands.client;
  const auto report = timekeeping::BuildTimeReport(
      TimeReportInputFor(*database, *config, *calendar, *month, client));
  out << timekeeping::Render(report, *timekeeping::ParseReportFormat(commands.format));
  return kExitOk;
}

}  // namespace planfix_flow::app
