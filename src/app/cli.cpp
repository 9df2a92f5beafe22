#include "planfix_flow/app/cli.h"

#include <CLI/CLI.hpp>

#include <optional>
#include <ostream>
#include <string>

namespace planfix_flow::app {

namespace {

struct Options {
  std::string config_path;
  const config::Environment* env = nullptr;
};

// Loads and checks the config; on problems prints each as "<key.path>: <message>" to `err`
// and returns nullopt. What check-config runs, and what serve should run before starting.
std::optional<config::ConfigLoadResult> LoadConfigOrReport(const Options& options,
                                                           std::ostream& err) {
  config::ConfigLoadResult result = config::LoadConfig(options.config_path, *options.env);
  if (result.ok()) return result;
  for (const auto& problem : result.problems) err << problem.ToString() << "\n";
  err << options.config_path << ": " << result.problems.size()
      << (result.problems.size() == 1 ? " problem" : " problems") << "\n";
  return std::nullopt;
}

int RunServe(const Options& options, std::ostream& /*out*/, std::ostream& err) {
  err << "serve: the service core is not built yet; config " << options.config_path
      << " was not loaded\n";
  return kExitFailure;
}

int RunCheckConfig(const Options& options, std::ostream& out, std::ostream& err) {
  const auto loaded = LoadConfigOrReport(options, err);
  if (!loaded) return kExitFailure;
  out << config::Summarize(*loaded->config, loaded->templates.get());
  return kExitOk;
}

int RunDemo(std::ostream& out) {
  out << "planfix-flow demo: the brief-flow story is not built yet; nothing to show.\n";
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
  Options options;
  options.env = &env;

  auto* serve =
      cli.add_subcommand("serve", "Run the service: webhooks, workflow, timers and effects.");
  serve->add_option("-c,--config", options.config_path, "Path to the TOML config file")->required();
  auto* check = cli.add_subcommand(
      "check-config", "Validate a config file and the secrets it needs; list every problem.");
  check->add_option("-c,--config", options.config_path, "Path to the TOML config file")->required();
  auto* demo = cli.add_subcommand(
      "demo", "Run the whole story against the built-in sandbox (no accounts needed).");

  try {
    cli.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << cli.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    out << cli.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    err << "planfix-flow: " << error.what() << "\n";
    err << "Run 'planfix-flow --help' (or 'planfix-flow <command> --help') for usage.\n";
    return kExitUsage;
  }
  if (serve->parsed()) return RunServe(options, out, err);
  if (check->parsed()) return RunCheckConfig(options, out, err);
  if (demo->parsed()) return RunDemo(out);
  return kExitUsage;
}

}  // namespace planfix_flow::app
