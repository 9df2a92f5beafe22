// The workflow's view of Planfix and of the flow store (workflow::FactSource): which fields it
// reads of a task and a contact, and how it finds contacts and the retainer clients' tasks.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/storage/flow_reader.h"
#include "planfix_flow/workflow/facts.h"

namespace planfix_flow::app {

// Filter types of Planfix's `/contact/list` and `/task/list` ("Complex filters") that the
// facts use. The sandbox's fake spells them out on its own, so a wrong number here fails the
// tests instead of agreeing with itself.
inline constexpr int kContactFilterPhone = 4003;
inline constexpr int kContactFilterEmail = 4026;
inline constexpr int kTaskFilterTemplate = 51;
inline constexpr int kTaskFilterCheckboxField = 105;

class WorkflowFacts final : public workflow::FactSource {
 public:
  WorkflowFacts(planfix::PlanfixClient& planfix, const config::Config& config, core::Clock& clock)
      : planfix_(planfix), config_(config), clock_(clock) {}
  // The flow store, once it is open; until then the flow queries find nothing.
  void set_flows(const storage::FlowReader* flows) { flows_ = flows; }
  // The synced time entries (the report's summary reads the month's minutes from them).
  void set_time(const storage::Database* time) { time_ = time; }

  core::Result<workflow::TaskFacts> GetTask(std::int64_t number) override;
  core::Result<workflow::ContactFacts> GetContact(std::int64_t id) override;
  core::Result<std::vector<planfix::CustomFieldDefinition>> ContactFields() override;
  core::Result<std::vector<planfix::TaskStatus>> ProcessStatuses(std::int64_t process) override;
  core::Result<std::vector<std::int64_t>> FindContactsByEmail(const std::string& email) override;
  core::Result<std::vector<std::int64_t>> FindContactsByPhone(const std::string& phone) override;
  std::optional<storage::Flow> GetFlow(const std::string& key) override;
  std::vector<storage::Flow> ListFlows(const std::string& kind, const std::string& state,
                                       std::size_t limit) override;
  core::Result<std::vector<workflow::TaskFacts>> TasksWithCheckbox(std::int64_t template_id,
                                                                   std::int64_t field) override;
  core::Result<std::vector<planfix::TaskFile>> TaskFiles(std::int64_t task) override {
    return planfix_.ListTaskFiles(task);
  }
  std::vector<storage::Flow> FlowsForTask(std::int64_t task, std::size_t limit) override;
  std::optional<std::map<std::int64_t, workflow::WorkMinutes>> MonthWorkMinutes(
      std::string_view month) override;

 private:
  core::Result<std::vector<std::int64_t>> Find(planfix::ContactFilter filter);

  static constexpr auto kStatusesTtl = std::chrono::minutes(10);

  planfix::PlanfixClient& planfix_;
  const config::Config& config_;
  core::Clock& clock_;
  const storage::FlowReader* flows_ = nullptr;
  const storage::Database* time_ = nullptr;  // the synced time entries
  // Used from the event processor's thread only.
  std::map<std::int64_t, std::pair<core::TimePoint, std::vector<planfix::TaskStatus>>> statuses_;
};

}  // namespace planfix_flow::app
