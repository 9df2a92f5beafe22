#include "planfix_flow/core/log.h"

#include <spdlog/sinks/stdout_sinks.h>

#include <mutex>

namespace planfix_flow::core {

namespace {

std::mutex& LogMutex() {
  static std::mutex mutex;
  return mutex;
}

spdlog::level::level_enum& CurrentLevel() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

std::shared_ptr<spdlog::logger> Logger(const std::string& component) {
  std::lock_guard lock(LogMutex());
  if (auto existing = spdlog::get(component)) return existing;
  static auto sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>(component, sink);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ level=%l component=%n %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(CurrentLevel());
  spdlog::register_logger(logger);
  return logger;
}

void SetLogLevel(const std::string& level) {
  std::lock_guard lock(LogMutex());
  CurrentLevel() = spdlog::level::from_str(level);
  spdlog::set_level(CurrentLevel());
}

}  // namespace planfix_flow::core
