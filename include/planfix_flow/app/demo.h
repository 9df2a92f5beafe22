// The sandbox demo: the service against its built-in fakes on a simulated clock, printing a
// transcript. No accounts, no network beyond loopback.
#pragma once

#include <iosfwd>

namespace planfix_flow::app {

// Returns 0 only when every expected effect was observed in the fakes.
int RunDemo(std::ostream& out, std::ostream& err);

}  // namespace planfix_flow::app
