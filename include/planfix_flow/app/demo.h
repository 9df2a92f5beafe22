// The sandbox demo: the service against its built-in fakes on a simulated clock, printing a
// transcript. No accounts, no network beyond loopback.
#pragma once

#include <filesystem>
#include <iosfwd>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::app {

// Returns 0 only when every expected effect was observed in the fakes.
int RunDemo(std::ostream& out, std::ostream& err);

// The communication-time section (demo_time.cpp), on its own sandbox: true when the deal that
// took four hours to sell tops the report with a loss and raised one alert.
bool RunTimeDemo(core::FakeClock& clock, const std::filesystem::path& dir, std::ostream& out,
                 std::ostream& err);

}  // namespace planfix_flow::app
