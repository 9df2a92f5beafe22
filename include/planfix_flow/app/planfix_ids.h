// `planfix-flow planfix ids`: lists what a config names by id in a Planfix account (task
// processes with their statuses, task and contact custom fields with their types, task
// templates, data tags), so the config can be filled in without curl. Read-only; every call
// goes through one PlanfixClient and its pacing.
#pragma once

#include <filesystem>
#include <iosfwd>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/http/http_client.h"
#include "planfix_flow/planfix/planfix_client.h"

namespace planfix_flow::app {

// Prints the account's catalogues to `out`. Returns false (after printing what it could)
// when a catalogue could not be read.
bool PrintPlanfixIds(planfix::PlanfixClient& planfix, std::ostream& out);

// Reads only [planfix] base_url (and min_interval_ms, request_timeout_seconds when present)
// from the config file at `config_path`, so a config still being filled in will do, and the
// token from `env` (PLANFIX_FLOW_PLANFIX_TOKEN); then prints as PrintPlanfixIds. Problems go
// to `err`. Returns the CLI exit code.
int RunPlanfixIds(const std::filesystem::path& config_path, const config::Environment& env,
                  http::HttpClient& http, core::Clock& clock, std::ostream& out, std::ostream& err);

}  // namespace planfix_flow::app
