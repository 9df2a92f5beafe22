// The planfix-flow command line: parses arguments and runs one subcommand.
#pragma once

#include <iosfwd>

namespace planfix_flow::app {

// Exit codes: 0 success, 1 the command failed, 2 bad usage (unknown flag, missing argument).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Runs the command line; writes normal output to `out` and problems to `err`.
int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace planfix_flow::app
