// Logging: one spdlog logger per component, all writing single structured lines to stdout
// (UTC time, level, component, then key=value pairs). Thread-safe.
// Never log a secret or a full client message body at info level.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace planfix_flow::core {

// The logger for `component` ("ingress", "engine", "planfix", ...), created on first use.
std::shared_ptr<spdlog::logger> Logger(const std::string& component);

// Sets the level of every logger, now and later ("debug", "info", "warn", "error", "off").
void SetLogLevel(const std::string& level);

}  // namespace planfix_flow::core
