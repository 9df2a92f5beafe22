// The admin endpoints' view of the job store (/admin/jobs*: list, show, replay a dead job).
#pragma once

#include <cstdint>
#include <string>

#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/http/ingress_server.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {

class DatabaseJobAdmin final : public http::JobAdmin {
 public:
  DatabaseJobAdmin(storage::Database& database, engine::EffectExecutor& executor)
      : database_(database), executor_(executor) {}

  core::Result<std::string> ListJobs(const std::string& state, int limit) override;
  core::Result<std::string> ShowJob(std::int64_t id) override;
  core::Result<std::string> ReplayJob(std::int64_t id) override;

 private:
  storage::Database& database_;
  engine::EffectExecutor& executor_;
};

}  // namespace planfix_flow::app
