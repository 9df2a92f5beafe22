// Every sandbox fake reports, when it is destroyed, the failures no test took (unknown routes,
// handler exceptions, refusals of requests a correct client never sends) and the refusals a
// test declared that never came. In this binary each one fails the test that is running, so
// no test can forget to check the fakes it made, whether a fixture or the test body made them.
#include <gtest/gtest.h>

#include "planfix_flow/sandbox/fake_server.h"

namespace planfix_flow::sandbox {
namespace {

[[maybe_unused]] const bool kInstalled = [] {
  SetProblemReporter([](const std::string& problem) { ADD_FAILURE() << problem; });
  return true;
}();

}  // namespace
}  // namespace planfix_flow::sandbox
