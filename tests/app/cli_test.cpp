#include "planfix_flow/app/cli.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>
#include <vector>

namespace planfix_flow::app {
namespace {

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run RunWith(std::vector<const char*> args) {
  args.insert(args.begin(), "planfix-flow");
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunCli(static_cast<int>(args.size()), args.data(), out, err);
  return Run{code, out.str(), err.str()};
}

TEST(Cli, HelpDescribesEverySubcommand) {
  auto run = RunWith({"--help"});
  EXPECT_EQ(run.code, kExitOk);
  for (const char* command : {"serve", "check-config", "demo", "planfix"}) {
    EXPECT_NE(run.out.find(command), std::string::npos) << command;
  }
}

TEST(Cli, VersionNamesTheVersionTheCommitAndTheBuildType) {
  auto run = RunWith({"--version"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  // The commit is 12 hex digits (with "-dirty" for a tree with changes), or "unknown" outside
  // git; the build type is CMake's.
  const std::regex line(R"(planfix-flow \d+\.\d+\.\d+ \(commit ([0-9a-f]{12}(-dirty)?|unknown), )"
                        R"((Debug|Release|RelWithDebInfo|MinSizeRel) build\)\n)");
  EXPECT_TRUE(std::regex_match(run.out, line)) << run.out;
}

TEST(Cli, SubcommandHelpNamesItsOptions) {
  auto run = RunWith({"serve", "--help"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_NE(run.out.find("--config"), std::string::npos) << run.out;
}

TEST(Cli, CheckConfigOffersOnlineAndPlanfixIdsNeedsAConfig) {
  auto run = RunWith({"check-config", "--help"});
  EXPECT_EQ(run.code, kExitOk);
  EXPECT_NE(run.out.find("--online"), std::string::npos) << run.out;
  EXPECT_EQ(RunWith({"planfix", "ids"}).code, kExitUsage);
  EXPECT_EQ(RunWith({"planfix"}).code, kExitUsage);
}

TEST(Cli, UnknownFlagIsAUsageErrorWithExitCode2) {
  auto run = RunWith({"demo", "--frobnicate"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("--frobnicate"), std::string::npos) << run.err;
}

TEST(Cli, MissingSubcommandIsAUsageError) { EXPECT_EQ(RunWith({}).code, kExitUsage); }

TEST(Cli, ServeRequiresAConfig) {
  auto run = RunWith({"serve"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("--config"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace planfix_flow::app
