#include "app/job_admin.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace planfix_flow::app {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

Result<std::string> DatabaseJobAdmin::ListJobs(const std::string& state, int limit) {
  storage::JobFilter filter;
  if (!state.empty()) {
    filter.state = storage::ParseJobState(state);
    if (!filter.state) return Fail(ErrorCode::kInvalidInput, "unknown job state");
  }
  filter.limit = static_cast<std::size_t>(std::max(1, limit));
  json array = json::array();
  for (const auto& job : database_.ListJobs(filter)) array.push_back(storage::ToJson(job));
  return array.dump();
}

Result<std::string> DatabaseJobAdmin::ShowJob(std::int64_t id) {
  auto job = database_.GetJob(id);
  if (!job) return Fail(ErrorCode::kNotFound, fmt::format("no job {}", id));
  return storage::ToJson(*job).dump();
}

Result<std::string> DatabaseJobAdmin::ReplayJob(std::int64_t id) {
  auto job = executor_.ReplayJob(id);
  if (!job) return Fail(job.error());
  return storage::ToJson(*job).dump();
}

}  // namespace planfix_flow::app
