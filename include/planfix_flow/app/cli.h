// The planfix-flow command line: parses arguments and runs one subcommand.
#pragma once

#include <iosfwd>

#include "planfix_flow/config/config.h"

namespace planfix_flow::app {

// Exit codes: 0 success, 1 the command failed, 2 bad usage (unknown flag, missing argument).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Runs the command line; writes normal output to `out` and problems to `err`.
// Reads secrets from the process environment.
int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
// The same with the environment given (tests).
int RunCli(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
           const config::Environment& env);

}  // namespace planfix_flow::app
