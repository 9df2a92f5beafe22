// The `planfix-flow jobs list|show|replay` command on a temporary database.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
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

// Runs with an empty environment: no PLANFIX_FLOW_* secrets.
Run RunWith(std::vector<std::string> args) {
  std::vector<const char*> argv = {"planfix-flow"};
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  const int code =
      RunCli(static_cast<int>(argv.size()), argv.data(), out, err, config::Environment{});
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
    storage::Effect bulk = dead;
    bulk.idempotency_key = "report.run:2026-12:task:3";
    bulk.priority = plan::EffectPriority::kBulk;
    db.CompleteEvent(stored->event_id, {dead, pending, bulk}, {}, {}, kStart);
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
  EXPECT_NE(run.out.find("dead      interactive  telegram.send_message"), std::string::npos)
      << run.out;

  auto all = RunWith({"jobs", "list", "--database", path_, "--json"});
  EXPECT_EQ(all.code, kExitOk) << all.err;
  auto json = nlohmann::json::parse(all.out);
  ASSERT_EQ(json.size(), 3u);
  EXPECT_EQ(json[2]["state"], "dead");
  EXPECT_EQ(json[1]["state"], "pending");
  EXPECT_EQ(json[1]["priority"], "interactive");
  EXPECT_EQ(json[0]["priority"], "bulk");  // what a timer planned waits behind any press
}

TEST_F(JobsCliTest, ListSaysWhereAnErrorItCutIsPrintedWhole) {
  const auto list = [&] { return RunWith({"jobs", "list", "--database", path_}); };
  EXPECT_EQ(list().out.find("errors are cut"), std::string::npos) << list().out;
  {
    storage::Database db(storage::DatabaseOptions{path_});
    ASSERT_TRUE(db.ReplayJob(dead_id_, kStart));
    auto leased = db.LeaseNextJob("w", kStart, kStart + std::chrono::minutes(5));
    ASSERT_TRUE(leased);
    // A long Planfix error in Ukrainian: the cut must not split a letter.
    std::string error = "permanent: planfix: ";
    for (int i = 0; i < 40; ++i) error += "поле ";
    db.FailJob(leased->id, "w", error, storage::FailureOutcome::kDead, kStart, kStart);
  }
  const auto run = list();
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("(errors are cut at 100 characters: `jobs show <id>` or `jobs list "
                         "--json` print them whole)"),
            std::string::npos)
      << run.out;
  // 97 bytes and "...": 20 of "permanent: planfix: ", 8 x 9 of "поле ", then "по" (4 bytes);
  // the 97th byte would have been half of "л".
  std::string shown = "permanent: planfix: ";
  for (int i = 0; i < 8; ++i) shown += "поле ";
  EXPECT_NE(run.out.find(shown + "по...\n"), std::string::npos) << run.out;
  EXPECT_NO_THROW((void)nlohmann::json(run.out).dump()) << "the table is not valid UTF-8";
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

TEST_F(JobsCliTest, EventsListShowsADeadEventWithItsReasonAndReplayRevivesItOnce) {
  std::int64_t dead_event = 0;
  {
    storage::Database db(storage::DatabaseOptions{path_});
    storage::NewEvent event;
    event.source = storage::EventSource::kPlanfix;
    event.dedupe_key = "hook-2";
    event.kind = "brief.send";
    event.received_at = kStart;
    auto stored = db.AppendEvent(event);
    ASSERT_TRUE(stored);
    dead_event = stored->event_id;
    db.FailEvent(dead_event, "permanent: Planfix get task 7: No access to task",
                 storage::FailureOutcome::kDead, kStart, kStart);
  }
  const std::string id = std::to_string(dead_event);
  auto list = RunWith({"events", "list", "--database", path_, "--state", "dead"});
  EXPECT_EQ(list.code, kExitOk) << list.err;
  EXPECT_NE(list.out.find("No access to task"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("done"), std::string::npos) << list.out;  // the processed one is not

  auto show = RunWith({"events", "show", id, "--database", path_});
  EXPECT_EQ(show.code, kExitOk) << show.err;
  auto json = nlohmann::json::parse(show.out);
  EXPECT_EQ(json["state"], "dead");
  EXPECT_EQ(json["kind"], "brief.send");

  auto replay = RunWith({"events", "replay", id, "--database", path_});
  EXPECT_EQ(replay.code, kExitOk) << replay.err;
  EXPECT_NE(replay.out.find("replayed"), std::string::npos) << replay.out;
  {
    storage::Database db(storage::DatabaseOptions{path_});
    auto event = db.GetEvent(dead_event);
    EXPECT_EQ(event->state, storage::EventState::kPending);
    EXPECT_EQ(event->attempts, 0);
  }
  auto again = RunWith({"events", "replay", id, "--database", path_});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_NE(again.err.find("not dead"), std::string::npos) << again.err;

  auto bad_state = RunWith({"events", "list", "--database", path_, "--state", "running"});
  EXPECT_EQ(bad_state.code, kExitUsage);
  EXPECT_NE(bad_state.err.find("unknown state 'running'"), std::string::npos) << bad_state.err;
  auto no_database = RunWith({"events", "list"});
  EXPECT_EQ(no_database.code, kExitUsage);
  EXPECT_NE(no_database.err.find("events needs --database FILE or --config FILE"),
            std::string::npos)
      << no_database.err;
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

// The shipped example config with storage.path replaced, written beside the database.
std::string WriteExampleConfig(const std::string& storage_path, const std::string& name) {
  std::ifstream in(std::filesystem::path(PLANFIX_FLOW_SOURCE_DIR) / "deploy" /
                   "config.example.toml");
  std::ostringstream text;
  text << in.rdbuf();
  std::string toml = text.str();
  const std::string line = "path = \"/var/lib/planfix-flow/planfix-flow.db\"";
  const auto at = toml.find(line);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) toml.replace(at, line.size(), "path = \"" + storage_path + "\"");
  const auto config = std::filesystem::temp_directory_path() / name;
  std::ofstream(config) << toml;
  return config.string();
}

TEST_F(JobsCliTest, ReadsTheDatabasePathFromTheConfigWithoutSecrets) {
  // RunWith passes no PLANFIX_FLOW_* secrets, which serve and check-config would insist on;
  // jobs only reads storage.path.
  const std::string config =
      WriteExampleConfig(path_, "pff-jobs-cli-" + std::to_string(::getpid()) + ".toml");
  auto list = RunWith({"jobs", "list", "--config", config, "--json"});
  EXPECT_EQ(list.code, kExitOk) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.out).size(), 3u);
  auto show = RunWith({"jobs", "show", std::to_string(dead_id_), "-c", config});
  EXPECT_EQ(show.code, kExitOk) << show.err;
  EXPECT_EQ(nlohmann::json::parse(show.out)["id"], dead_id_);
  auto replay = RunWith({"jobs", "replay", std::to_string(dead_id_), "--config", config});
  EXPECT_EQ(replay.code, kExitOk) << replay.err;
  std::filesystem::remove(config);
}

TEST_F(JobsCliTest, ResolvesARelativeStoragePathAgainstTheConfigsDirectory) {
  const auto db = std::filesystem::path(path_);
  const auto config =
      db.parent_path() / ("pff-jobs-cli-rel-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(config) << "[storage]\npath = \"" << db.filename().string() << "\"\n";
  auto list = RunWith({"jobs", "list", "--config", config.string(), "--state", "dead"});
  EXPECT_EQ(list.code, kExitOk) << list.err;
  EXPECT_NE(list.out.find("bot was blocked by the user"), std::string::npos) << list.out;
  std::filesystem::remove(config);
}

TEST_F(JobsCliTest, AConfigWithoutAStoragePathIsAnErrorNamingTheKey) {
  const auto config = std::filesystem::temp_directory_path() /
                      ("pff-jobs-cli-nostorage-" + std::to_string(::getpid()) + ".toml");
  std::ofstream(config) << "[server]\nport = 8080\n";
  auto run = RunWith({"jobs", "list", "--config", config.string()});
  EXPECT_EQ(run.code, kExitFailure);
  EXPECT_NE(run.err.find("storage"), std::string::npos) << run.err;
  std::filesystem::remove(config);

  auto missing = RunWith({"jobs", "list", "--config", config.string()});
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;
}

TEST_F(JobsCliTest, DatabaseAndConfigTogetherAreAUsageError) {
  auto run = RunWith({"jobs", "list", "--database", path_, "--config", "x.toml"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("excludes"), std::string::npos) << run.err;
}

TEST(JobsCli, RequiresADatabase) {
  auto run = RunWith({"jobs", "list"});
  EXPECT_EQ(run.code, kExitUsage);
  EXPECT_NE(run.err.find("--database"), std::string::npos) << run.err;
  EXPECT_NE(run.err.find("--config"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace planfix_flow::app

namespace planfix_flow::app {
namespace {

TEST_F(JobsCliTest, BriefsUnmatchedListsTheResponsesKeptForAPerson) {
  auto empty = RunWith({"briefs", "unmatched", "--database", path_});
  EXPECT_EQ(empty.code, kExitOk) << empty.err;
  EXPECT_NE(empty.out.find("(no unmatched responses)"), std::string::npos) << empty.out;
  {
    storage::Database db(storage::DatabaseOptions{path_});
    storage::NewEvent event;
    event.source = storage::EventSource::kGoogle;
    event.dedupe_key = "resp-x";
    event.kind = "form.submitted";
    event.payload = R"({"responseId":"resp-x","respondentEmail":"stranger@example.com",)"
                    R"("answers":[{"title":"Що ви очікуєте?","value":"Більше клієнтів"},)"
                    R"({"title":"Канали","value":["Meta Ads","Google Ads"]}]})";
    event.received_at = kStart;
    auto stored = db.AppendEvent(event);
    ASSERT_TRUE(stored);
    db.CompleteEvent(stored->event_id, {}, {},
                     {storage::FlowChange{"brief.response:resp-x", "brief.response", std::nullopt,
                                          std::nullopt, "unmatched", event.payload}},
                     kStart);
  }
  auto run = RunWith({"briefs", "unmatched", "--database", path_});
  EXPECT_EQ(run.code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("response resp-x  stranger@example.com"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Що ви очікуєте?: Більше клієнтів"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(R"(Канали: ["Meta Ads","Google Ads"])"), std::string::npos) << run.out;

  auto json_run = RunWith({"briefs", "unmatched", "--database", path_, "--json"});
  EXPECT_EQ(json_run.code, kExitOk);
  EXPECT_EQ(nlohmann::json::parse(json_run.out).size(), 1u) << json_run.out;

  auto no_database = RunWith({"briefs", "unmatched"});
  EXPECT_EQ(no_database.code, kExitUsage);
  EXPECT_NE(no_database.err.find("briefs needs --database FILE or --config FILE"),
            std::string::npos)
      << no_database.err;
}

TEST_F(JobsCliTest, BackupCopiesTheDatabaseAndNeverOverwrites) {
  const std::string copy = path_ + ".backup";
  std::filesystem::remove(copy);
  auto run = RunWith({"backup", "--database", path_, "--to", copy});
  ASSERT_EQ(run.code, kExitOk) << run.err;
  EXPECT_NE(run.out.find("backed up " + path_ + " to " + copy), std::string::npos) << run.out;
  {
    storage::Database backup(storage::DatabaseOptions{copy});
    const auto job = backup.GetJob(dead_id_);
    ASSERT_TRUE(job);
    EXPECT_EQ(job->state, storage::JobState::kDead);
  }
  const auto size = std::filesystem::file_size(copy);
  auto again = RunWith({"backup", "--database", path_, "--to", copy});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_NE(again.err.find("already exists"), std::string::npos) << again.err;
  EXPECT_EQ(std::filesystem::file_size(copy), size);
  auto usage = RunWith({"backup", "--to", copy});
  EXPECT_EQ(usage.code, kExitUsage);
  EXPECT_NE(usage.err.find("--database FILE or --config FILE"), std::string::npos) << usage.err;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(copy + suffix);
}

TEST_F(JobsCliTest, InvoicesAndPaymentsAreListedAndAMatchIsQueuedOnlyWhenItCanBeDone) {
  {
    storage::Database db(storage::DatabaseOptions{path_});
    db.EnsureFlow(plan::FlowChange{"invoice:task:42", "invoice", 42, 7, "open",
                                   R"({"task":42,"number":"INV-42","amount_minor":1500050,)"
                                   R"("paid_minor":0,"currency":"UAH","due_date":"2026-11-28",)"
                                   R"("due_at":1795000000,"client_name":"Олена","payments":[]})"},
                  kStart);
    db.EnsureFlow(plan::FlowChange{"payment:monobank:tx-1", "payment", std::nullopt, std::nullopt,
                                   "unmatched",
                                   R"({"source":"monobank","id":"tx-1","amount_minor":1234500,)"
                                   R"("currency_code":980,"time":1795000000,)"
                                   R"("description":"Оплата","reason":"no invoice fits"})"},
                  kStart);
  }
  auto list = RunWith({"invoices", "list", "--open", "--database", path_});
  EXPECT_EQ(list.code, kExitOk) << list.err;
  EXPECT_NE(list.out.find("INV-42"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("15000.50"), std::string::npos) << list.out;
  EXPECT_EQ(RunWith({"invoices", "list", "--open", "--overdue", "-d", path_}).code, kExitUsage);

  auto unmatched = RunWith({"payments", "unmatched", "--database", path_});
  EXPECT_EQ(unmatched.code, kExitOk) << unmatched.err;
  EXPECT_NE(unmatched.out.find("payment:monobank:tx-1  12345.00 UAH"), std::string::npos)
      << unmatched.out;
  EXPECT_NE(unmatched.out.find("reason: no invoice fits"), std::string::npos) << unmatched.out;

  const auto events = [&] {
    storage::Database db(storage::DatabaseOptions{path_});
    return db.ListEvents(std::nullopt, 100).size();
  };
  const auto before = events();
  auto unknown = RunWith({"payments", "match", "tx-2", "42", "-d", path_});
  EXPECT_EQ(unknown.code, kExitFailure);
  EXPECT_NE(unknown.err.find("payments match: no payment payment:monobank:tx-2"), std::string::npos)
      << unknown.err;
  auto no_invoice = RunWith({"payments", "match", "tx-1", "43", "-d", path_});
  EXPECT_EQ(no_invoice.code, kExitFailure);
  EXPECT_NE(no_invoice.err.find("task 43 has no registered invoice"), std::string::npos)
      << no_invoice.err;
  EXPECT_EQ(RunWith({"payments", "match", "tx-1", "-d", path_}).code, kExitUsage);
  EXPECT_EQ(events(), before);

  auto queued = RunWith({"payments", "match", "tx-1", "42", "-d", path_});
  EXPECT_EQ(queued.code, kExitOk) << queued.err;
  EXPECT_EQ(events(), before + 1);
  auto twice = RunWith({"payments", "match", "payment:monobank:tx-1", "42", "-d", path_});
  EXPECT_EQ(twice.code, kExitFailure);
  EXPECT_NE(twice.err.find("already requested"), std::string::npos) << twice.err;
  EXPECT_EQ(events(), before + 1);
}

}  // namespace
}  // namespace planfix_flow::app
