// What `planfix-flow --version` prints: the version, the git commit the binary was built from
// and the build type. Pure; thread-safe.
#pragma once

#include <string>

namespace planfix_flow::app {

// "planfix-flow 0.1.0 (commit 1a2b3c4d5e6f, Release build)".
std::string VersionText();

}  // namespace planfix_flow::app
