// The `planfix-flow jobs list|show|replay` command on a temporary database.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <vector>

#include "planfix_flow/app/cli.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {
namespace {

const core::TimePoint kStart = core::FromUnixSeconds(1'795'000'000);

struct Run {
  int code;
  std::string out;
  std::string err;
};

Run RunWith(std::vector<std::string> args) {
  std::vector<const char*> argv = {"planfix-flow"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code = RunCli(static_cast<int>(argv.size()), argv.data(), out, err);
  return Run{code, out.str(), err.str()};
}

class JobsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = (std::filesystem::temp_directory_path() /
             ("pff-jobs-cli-" + std::to_string(::getpid()) + ".db"))
                .string();
    RemoveFiles();
    storage::Database db(storage::DatabaseOptions{path_});
    storage::NewEvent event;
    event.source = storage::EventSource::kPlanfix;
    event.dedupe_key = "hook-1";
    event.kind = "brief.send";
    event.received_at = kStart;
    auto stored = db.AppendEvent(event);
    ASSERT_TRUE(stored);
    storage::Effect dead;
    dead.kind = "telegram.send_message";
    dead.destination = "telegram:chat:42";
    dead.payload = R"({"chat_id":42})";
    dead.idempotency_key = "brief.send:task:1";
    storage::Effect pending = dead;
    pending.idempotency_key = "brief.send:task:2";
    db.CompleteEvent(stored->event_id, {dead, pending}, {}, {}, kStart);
    auto leased = db.LeaseNextJob("w", kStart, kStart + std::chrono::minutes(5));
    ASSERT_TRUE(leased);
    dead_id_ = leased->id;
    db.FailJob(dead_id_, "w", "permanent: Forbidden: bot was blocked by the user",
               storage::FailureOutcome::kDead, kStart, kStart);
  }
  void TearDown() override { RemoveFiles(); }
  void RemoveFiles() {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }

  std::string path_;
  std::int64_t dead_id_ = 0;
};

TEST_F(JobsCliTest, ListShowsDeadJobsWithTheirReason) {
  auto run = RunWith({"jobs", "list", "--database", path_, "--state", "dead"});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("telegram.send_message"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("bot was blocked by the user"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("pending"), std::string::npos) << run.out;

  auto all = RunWith({"jobs", "list", "--database", path_, "--json"});
  EXPECT_EQ(all.code, kExitOk) << all.err;
  auto json = nlohmann::json::parse(all.out);
  ASSERT_EQ(json.size(), 2u);
  EXPECT_EQ(json[1]["state"], "dead");
  EXPECT_EQ(json[0]["state"], "pending");
}

TEST_F(JobsCliTest, ShowPrintsTheWholeJobAsJson) {
  auto run = RunWith({"jobs", "show", std::to_string(dead_id_), "--database", path_});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  auto json = nlohmann::json::parse(run.out);
  EXPECT_EQ(json["id"], dead_id_);
  EXPECT_EQ(json["payload"]["chat_id"], 42);
  EXPECT_EQ(json["idempotency_key"], "brief.send:task:1");

  auto missing = RunWith({"jobs", "show", "999", "--database", path_});
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_NE(missing.err.find("no job 999"), std::string::npos) << missing.err;
}

TEST_F(JobsCliTest, ReplayMovesADeadJobBackToPendingOnce) {
  auto run = RunWith({"jobs", "replay", std::to_string(dead_id_), "--database", path_});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("replayed"), std::string::npos) << run.out;
  {
    storage::Database db(storage::DatabaseOptions{path_});
    auto job = db.GetJob(dead_id_);
    EXPECT_EQ(job->state, storage::JobState::kPending);
    EXPECT_EQ(job->attempts, 0);
    EXPECT_EQ(job->replay_count, 1);
  }
  auto again = RunWith({"jobs", "replay", std::to_string(dead_id_), "--database", path_});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_NE(again.err.find("not dead"), std::string::npos) << again.err;
}

TEST_F(JobsCliTest, AMissingDatabaseIsAnErrorAndIsNotCreated) {
  const std::string missing = path_ + ".missing";
  auto run = RunWith({"jobs", "list", "--database", missing});
  EXPECT_EQ(run.code, kExitFailure);
  EXPECT_NE(run.err.find("no database"), std::string::npos) << run.err;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

TEST_F(JobsCliTest, AnUnknownStateIsAUsageError) {
  auto run = RunWith({"jobs", "list", "--database", path_, "--state", "zombie"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("zombie"), std::string::npos) << run.err;
}

TEST(JobsCli, RequiresADatabase) {
  auto run = RunWith({"jobs", "list"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("--database"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace planfix_flow::app
