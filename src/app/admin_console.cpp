#include "app/admin_console.h"

#include <fmt/format.h>

#include "planfix_flow/app/version.h"

namespace planfix_flow::app {

namespace {

std::vector<std::pair<std::string, std::string>> FactsOf(const config::Config& config) {
  std::vector<std::pair<std::string, std::string>> facts;
  facts.emplace_back("Version", VersionText());
  facts.emplace_back("Database", config.storage.path);
  facts.emplace_back("Planfix", config.planfix.base_url);
  std::string telegram = fmt::format("bot @{}, {}", config.telegram.bot_username,
                                     config::ToString(config.telegram.mode));
  if (config.telegram.mode == config::TelegramMode::kWebhook) {
    telegram += " at " + config.telegram.webhook_url;
  }
  facts.emplace_back("Telegram", telegram);
  return facts;
}

}  // namespace

DatabaseAdminConsole::DatabaseAdminConsole(const config::Config& config,
                                           storage::Database& database,
                                           engine::EffectExecutor& executor, core::Clock& clock,
                                           std::function<std::vector<std::string>()> problems,
                                           std::function<void()> wake_processor)
    : facts_(FactsOf(config)),
      database_(database),
      executor_(executor),
      clock_(clock),
      problems_(std::move(problems)),
      wake_processor_(std::move(wake_processor)) {}

http::AdminOverview DatabaseAdminConsole::Overview() {
  http::AdminOverview overview;
  overview.backlog = database_.GetBacklog(clock_.Now());
  if (problems_) overview.problems = problems_();
  overview.facts = facts_;
  return overview;
}

std::vector<storage::Job> DatabaseAdminConsole::ListJobs(storage::JobState state,
                                                         std::size_t limit) {
  storage::JobFilter filter;
  filter.state = state;
  filter.limit = limit;
  return database_.ListJobs(filter);
}

std::vector<storage::StoredEvent> DatabaseAdminConsole::ListEvents(storage::EventState state,
                                                                   std::size_t limit) {
  return database_.ListEvents(state, limit);
}

std::optional<storage::Job> DatabaseAdminConsole::GetJob(std::int64_t id) {
  return database_.GetJob(id);
}

std::optional<storage::StoredEvent> DatabaseAdminConsole::GetEvent(std::int64_t id) {
  return database_.GetEvent(id);
}

core::Result<storage::Job> DatabaseAdminConsole::ReplayJob(std::int64_t id) {
  return executor_.ReplayJob(id);
}

core::Status DatabaseAdminConsole::ReplayEvent(std::int64_t id) {
  auto replayed = database_.ReplayEvent(id, clock_.Now());
  if (replayed && wake_processor_) wake_processor_();
  return replayed;
}

std::vector<storage::Flow> DatabaseAdminConsole::UnmatchedResponses(std::size_t limit) {
  return database_.ListFlows("brief.response", "unmatched", limit);
}

storage::Timeline DatabaseAdminConsole::FindTimeline(storage::TimelineSubject subject,
                                                     std::int64_t id, std::size_t limit) {
  return database_.FindTimeline(subject, id, limit);
}

}  // namespace planfix_flow::app
