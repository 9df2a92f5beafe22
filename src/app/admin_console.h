// The admin page's view of a running service: the database, the executor (a replayed job
// wakes it) and the event processor (a replayed event wakes it). Thread-safe like its parts.
// Private to src/app.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/http/admin_page.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {

class DatabaseAdminConsole final : public http::AdminConsole {
 public:
  // `problems` says what keeps the service from being ready (what /readyz reports);
  // `wake_processor` is called after an event was replayed. All must outlive the console.
  DatabaseAdminConsole(const config::Config& config, storage::Database& database,
                       engine::EffectExecutor& executor, core::Clock& clock,
                       std::function<std::vector<std::string>()> problems,
                       std::function<void()> wake_processor);

  http::AdminOverview Overview() override;
  std::vector<storage::Job> ListJobs(storage::JobState state, std::size_t limit) override;
  std::vector<storage::StoredEvent> ListEvents(storage::EventState state,
                                               std::size_t limit) override;
  std::optional<storage::Job> GetJob(std::int64_t id) override;
  std::optional<storage::StoredEvent> GetEvent(std::int64_t id) override;
  core::Result<storage::Job> ReplayJob(std::int64_t id) override;
  core::Status ReplayEvent(std::int64_t id) override;
  std::vector<storage::Flow> UnmatchedResponses(std::size_t limit) override;
  storage::Timeline FindTimeline(storage::TimelineSubject subject, std::int64_t id,
                                 std::size_t limit) override;

 private:
  std::vector<std::pair<std::string, std::string>> facts_;  // fixed at start
  storage::Database& database_;
  engine::EffectExecutor& executor_;
  core::Clock& clock_;
  std::function<std::vector<std::string>()> problems_;
  std::function<void()> wake_processor_;
};

}  // namespace planfix_flow::app
