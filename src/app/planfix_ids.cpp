#include "planfix_flow/app/planfix_ids.h"

#include <fmt/format.h>

#include <toml++/toml.h>
#include <algorithm>
#include <fstream>
#include <ostream>
#include <sstream>

#include "planfix_flow/app/cli.h"
#include "planfix_flow/planfix/custom_field_value.h"

namespace planfix_flow::app {

namespace {

void PrintFields(const core::Result<std::vector<planfix::CustomFieldDefinition>>& fields,
                 std::ostream& out) {
  if (!fields) {
    out << "  cannot be read: " << fields.error().message << "\n";
    return;
  }
  if (fields->empty()) out << "  (none)\n";
  for (const auto& field : *fields) {
    out << fmt::format("  {:>8}  {:<24}  {}", field.id, planfix::FieldTypeName(field.type),
                       field.name);
    if (!field.enum_values.empty()) {
      out << fmt::format("  (options: {})", fmt::join(field.enum_values, ", "));
    }
    out << "\n";
  }
}

// https://, or http:// to a loopback host (the sandbox): the token must not cross a network in
// clear text.
bool SafeBaseUrl(const std::string& url) {
  if (url.starts_with("https://") && url.size() > 8) return true;
  if (!url.starts_with("http://")) return false;
  const std::string rest = url.substr(7);
  for (const char* host : {"127.", "localhost", "[::1]"}) {
    if (rest.starts_with(host)) return true;
  }
  return false;
}

}  // namespace

bool PrintPlanfixIds(planfix::PlanfixClient& planfix, std::ostream& out) {
  bool all_read = true;
  out << "Planfix account at " << planfix.base_url() << " (read-only listing)\n";

  out << "\nTask processes and their statuses (planfix.processes.*, planfix.statuses.*, "
         "planfix.gate.refused_status, [[stages]] status):\n";
  auto processes = planfix.ListTaskProcesses();
  if (!processes) {
    out << "  cannot be read: " << processes.error().message << "\n";
    all_read = false;
  } else {
    if (processes->empty()) out << "  (none)\n";
    for (const auto& process : *processes) {
      out << fmt::format("  process {} \"{}\"\n", process.id, process.name);
      auto statuses = planfix.GetProcessStatuses(process.id);
      if (!statuses) {
        out << "    statuses cannot be read: " << statuses.error().message << "\n";
        all_read = false;
        continue;
      }
      for (const auto& status : *statuses) {
        out << fmt::format("    {:>8}  {}{}\n", status.id, status.name,
                           status.is_active ? "" : " (inactive)");
      }
    }
  }

  out << "\nTask custom fields (planfix.task_fields.*):\n";
  auto task_fields = planfix.GetTaskCustomFields();
  all_read = all_read && task_fields.has_value();
  PrintFields(task_fields, out);

  out << "\nContact custom fields (planfix.contact_fields.*, [[brief.answers]] field_id):\n";
  auto contact_fields = planfix.GetContactCustomFields();
  all_read = all_read && contact_fields.has_value();
  PrintFields(contact_fields, out);

  out << "\nTask templates (planfix.handoff.communication_template_id):\n";
  auto templates = planfix.ListTaskTemplates();
  if (!templates) {
    out << "  cannot be read: " << templates.error().message << "\n";
    all_read = false;
  } else {
    if (templates->empty()) out << "  (none)\n";
    for (const auto& item : *templates) out << fmt::format("  {:>8}  {}\n", item.id, item.name);
  }

  out << "\nData tags:\n";
  auto tags = planfix.ListDataTags();
  if (!tags) {
    out << "  cannot be read: " << tags.error().message << "\n";
    all_read = false;
  } else {
    if (tags->empty()) out << "  (none)\n";
    for (const auto& tag : *tags) {
      out << fmt::format("  {:>8}  {}{}\n", tag.id, tag.name,
                         tag.group.empty() ? "" : fmt::format(" (group \"{}\")", tag.group));
      for (const auto& field : tag.fields) {
        out << fmt::format("    field {:>8}  {:<24}  {}\n", field.id,
                           planfix::FieldTypeName(field.type), field.name);
      }
    }
  }
  return all_read;
}

int RunPlanfixIds(const std::filesystem::path& config_path, const config::Environment& env,
                  http::HttpClient& http, core::Clock& clock, std::ostream& out,
                  std::ostream& err) {
  std::ifstream file(config_path);
  if (!file) {
    err << config_path.string() << ": cannot be read\n";
    return kExitFailure;
  }
  std::stringstream text;
  text << file.rdbuf();
  toml::table root;
  try {
    root = toml::parse(text.str(), config_path.string());
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    err << fmt::format("{}:{}:{}: TOML syntax error: {}\n", config_path.string(), begin.line,
                       begin.column, error.description());
    return kExitFailure;
  }
  planfix::PlanfixOptions options;
  const auto base_url = root["planfix"]["base_url"].value<std::string>();
  if (!base_url || !SafeBaseUrl(*base_url)) {
    err << "planfix.base_url: needs an https:// URL such as "
           "\"https://agency.planfix.com/rest/\"\n";
    return kExitFailure;
  }
  options.base_url = *base_url;
  if (const auto interval = root["planfix"]["min_interval_ms"].value<std::int64_t>()) {
    options.min_interval = std::chrono::milliseconds(std::clamp<std::int64_t>(*interval, 0, 60000));
  }
  if (const auto timeout = root["planfix"]["request_timeout_seconds"].value<std::int64_t>()) {
    options.timeout = std::chrono::seconds(std::clamp<std::int64_t>(*timeout, 1, 300));
  }
  const auto token = env.find(config::kEnvPlanfixToken);
  if (token == env.end() || token->second.empty()) {
    err << config::kEnvPlanfixToken
        << ": not set in the environment (or give --env-file with the unit's EnvironmentFile)\n";
    return kExitFailure;
  }
  options.token = token->second;
  planfix::PlanfixClient planfix(http, clock, options);
  return PrintPlanfixIds(planfix, out) ? kExitOk : kExitFailure;
}

}  // namespace planfix_flow::app
