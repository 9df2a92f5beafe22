// `planfix-flow report time|problems`: communication time's reports on the command line
// (issue 14). AddReportCommands declares them on the CLI; RunReportCommand runs the one parsed.
#pragma once

#include <iosfwd>
#include <memory>

#include "planfix_flow/config/config.h"

namespace CLI {
class App;
}

namespace planfix_flow::app {

struct ReportCommands;

// Declared on `cli` before parsing; the returned object keeps the parsed options.
std::shared_ptr<ReportCommands> AddReportCommands(CLI::App& cli);
bool ReportParsed(const ReportCommands& commands);
int RunReportCommand(const ReportCommands& commands, const config::Environment& env,
                     std::ostream& out, std::ostream& err);

}  // namespace planfix_flow::app
