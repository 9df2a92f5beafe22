#include "planfix_flow/app/config_doctor.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>

#include "planfix_flow/workflow/brief.h"

namespace planfix_flow::app {

namespace {

struct StatusKey {
  const char* path;
  std::int64_t id;
};

void CheckProcess(const char* process_key, std::int64_t process, const std::vector<StatusKey>& keys,
                  planfix::PlanfixClient& planfix, std::vector<config::Problem>& problems) {
  if (process <= 0) return;
  auto statuses = planfix.GetProcessStatuses(process);
  if (!statuses) {
    problems.push_back({process_key, fmt::format("the statuses of process {} cannot be read: {}",
                                                 process, statuses.error().message)});
    return;
  }
  std::vector<std::string> names;
  for (const auto& status : *statuses)
    names.push_back(fmt::format("{} ({})", status.name, status.id));
  for (const auto& key : keys) {
    if (key.id <= 0) continue;
    const bool present = std::any_of(statuses->begin(), statuses->end(),
                                     [&](const planfix::TaskStatus& s) { return s.id == key.id; });
    if (!present) {
      problems.push_back({key.path, fmt::format("status {} is not in process {} ({}: {})", key.id,
                                                process, process_key, fmt::join(names, ", "))});
    }
  }
}

}  // namespace

std::vector<config::Problem> CheckConfigOnline(const config::Config& config,
                                               planfix::PlanfixClient& planfix) {
  std::vector<config::Problem> problems;
  const auto& s = config.planfix.statuses;
  CheckProcess("planfix.processes.deal", config.planfix.processes.deal,
               {{"planfix.statuses.handed_to_production", s.handed_to_production},
                {"planfix.statuses.returned_to_sales", s.returned_to_sales},
                {"planfix.statuses.in_production", s.in_production},
                {"planfix.gate.refused_status", config.planfix.gate_refused_status}},
               planfix, problems);
  CheckProcess("planfix.processes.communication", config.planfix.processes.communication,
               {{"planfix.statuses.brief_requested", s.brief_requested},
                {"planfix.statuses.brief_filled", s.brief_filled}},
               planfix, problems);

  auto fields = planfix.GetContactCustomFields();
  if (!fields) {
    problems.push_back(
        {"brief.answers",
         fmt::format("the contact field catalogue cannot be read: {}", fields.error().message)});
    return problems;
  }
  for (std::size_t index = 0; index < config.brief.answers.size(); ++index) {
    const auto& answer = config.brief.answers[index];
    const auto field = std::find_if(
        fields->begin(), fields->end(),
        [&](const planfix::CustomFieldDefinition& f) { return f.id == answer.field_id; });
    if (field == fields->end()) {
      problems.push_back({fmt::format("brief.answers[{}].field_id", index),
                          fmt::format("{} is not a contact field in Planfix", answer.field_id)});
      continue;
    }
    if (answer.type && workflow::CatalogueType(*answer.type) != field->type) {
      problems.push_back(
          {fmt::format("brief.answers[{}].type", index),
           fmt::format("\"{}\", but contact field {} \"{}\" is a {} field in Planfix",
                       config::ToString(*answer.type), field->id, field->name,
                       planfix::FieldTypeName(field->type))});
    }
  }
  return problems;
}

}  // namespace planfix_flow::app
