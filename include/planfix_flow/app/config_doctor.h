// The config checks that need the Planfix account: whether the ids the config names exist
// there. Meant for `check-config --online` (not wired into the CLI yet). Makes read-only
// Planfix calls through the given client; not thread-safe beyond what the client is.
#pragma once

#include <vector>

#include "planfix_flow/config/config.h"
#include "planfix_flow/planfix/planfix_client.h"

namespace planfix_flow::app {

// Every status the service watches or sets on deals (when planfix.processes.deal is set) and
// on Communication tasks (when planfix.processes.communication is set) is a status of that
// process, and every [[brief.answers]] field_id is a contact field, of the declared type when
// one is declared. The approval statuses are left out: the config does not say which process
// the tasks awaiting approval are in (the service checks them per task instead). Each problem
// names the config key, as check-config's do; a process or catalogue that cannot be read is a
// problem too.
std::vector<config::Problem> CheckConfigOnline(const config::Config& config,
                                               planfix::PlanfixClient& planfix);

}  // namespace planfix_flow::app
