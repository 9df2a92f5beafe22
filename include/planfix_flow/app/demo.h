// The sandbox demo: the service against its built-in fakes on a simulated clock, printing a
// transcript. No accounts, no network beyond loopback.
#pragma once

#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

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

class SandboxWorld;

// A retainer client of the report & payment section.
struct MoneyDemoClient {
  std::string name;
  std::int64_t chat = 0;         // the client's Telegram chat
  std::int64_t report_task = 0;  // the report task the month's run created (0: none)
};

// The report & payment section (demo_money.cpp) on `world`, a fresh SandboxWorld it configures
// (invoices, report, the bank): true when every expected effect was observed in the fakes.
// `clients`, when given, receives the three clients in the story's order.
bool RunMoneyDemo(core::FakeClock& clock, SandboxWorld& world, std::ostream& out, std::ostream& err,
                  std::vector<MoneyDemoClient>* clients = nullptr);

}  // namespace planfix_flow::app
