#include "planfix_flow/app/demo.h"

#include <gtest/gtest.h>

#include <sstream>

namespace planfix_flow::app {
namespace {

TEST(Demo, RunsTheStoryOnTheSandboxAndObservesEveryEffect) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(RunDemo(out, err), 0) << out.str() << err.str();
  const std::string transcript = out.str();
  EXPECT_NE(transcript.find("in:  Planfix POST /webhooks/planfix"), std::string::npos);
  EXPECT_NE(transcript.find("out: Telegram staff chat:"), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("out: Planfix comment on task 1042"), std::string::npos);
  EXPECT_NE(transcript.find("follow-up #1042"), std::string::npos) << transcript;
  EXPECT_NE(transcript.find("every expected effect was observed"), std::string::npos);
}

}  // namespace
}  // namespace planfix_flow::app
