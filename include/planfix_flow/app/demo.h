// The sandbox demo: the service against its built-in fakes on a simulated clock, printing a
// transcript. No accounts, no network beyond loopback.
#pragma once

#include <filesystem>
#include <iosfwd>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"

namespace planfix_flow::app {

// Returns 0 only when every expected effect was observed in the fakes.
int RunDemo(std::ostream& out, std::ostream& err);

struct DemoServeOptions {
  int port = 0;  // 0: any free port (printed)
};

// `demo --serve`: the service against the sandbox fakes with one dead job seeded, serving the
// admin page (token: PLANFIX_FLOW_ADMIN_TOKEN from `env`) until SIGINT or SIGTERM. Prints one
// line with the URL and the dead job's id once it is ready.
int RunDemoServe(const DemoServeOptions& options, const config::Environment& env, std::ostream& out,
                 std::ostream& err);

// The communication-time section (demo_time.cpp), on its own sandbox: true when the deal that
// took four hours to sell tops the report with a loss and raised one alert.
bool RunTimeDemo(core::FakeClock& clock, const std::filesystem::path& dir, std::ostream& out,
                 std::ostream& err);

}  // namespace planfix_flow::app
