// Communication time, read from Planfix (issue 14), end to end through the real App and the
// sandbox Planfix: the time data tag's entries are synced on the durable core (timer, event,
// job), stored once by their key, corrected after edits and deletions, and the entries that
// cannot count are kept as problems with their reason.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
constexpr long long kTag = 50;
constexpr long long kDate = 501;
constexpr long long kDuration = 502;
constexpr long long kEmployee = 503;
constexpr long long kKind = 504;

class TimeSyncFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->planfix.DefineDataTag(kTag, "Фактичний час роботи",
                                  {{kDate, "Дата", 3},
                                   {kDuration, "Хвилини", 1},
                                   {kEmployee, "Співробітник", 11},
                                   {kKind, "Вид роботи", 8, {"Комунікація", "Виробництво"}}});
    auto& time = world_->config.time;
    time.data_tag = kTag;
    time.fields.date = kDate;
    time.fields.duration = kDuration;
    time.fields.employee = kEmployee;
    time.fields.kind = kKind;
    time.sync_interval_minutes = 30;
    time.sync_window_days = 45;
    time.rates = {{"user:7", "600.00"}, {"user:8", "300.00"}};
    world_->planfix.AddTask({.id = 3001, .name = "Автоматизація лідів", .process_id = 1});
    world_->planfix.AddTask({.id = 3002, .name = "Комунікація з клієнтом", .process_id = 1});
  }

  void StartApp() {
    if (app_) app_->Stop();
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
    app_->RunUntilIdle();
  }

  void Wait(core::Duration duration) {
    clock_->Advance(duration);
    app_->RunUntilIdle();
  }

  long long Add(long long task, const std::string& date, json duration,
                const std::string& employee = "user:7", const std::string& kind = "") {
    std::map<long long, json> fields{{kDate, {{"date", date}}}, {kDuration, std::move(duration)}};
    if (!employee.empty()) fields[kEmployee] = {{"id", employee}};
    if (!kind.empty()) fields[kKind] = kind;
    return world_->planfix.AddDataTagEntryDirectly(kTag, task, std::move(fields));
  }

  std::map<long long, long long> MinutesByKey() const {
    std::map<long long, long long> out;
    for (const auto& entry : app_->database().ListTimeEntries("2000-01-01", "2100-01-01")) {
      out[entry.key] = entry.minutes;
    }
    return out;
  }

  std::map<long long, std::string> Problems() const {
    std::map<long long, std::string> out;
    for (const auto& problem : app_->database().ListTimeProblems()) {
      out[problem.key] = problem.reason;
    }
    return out;
  }

  // The entry-list calls the service made since the last ClearRecords, with their bodies.
  std::vector<json> ListCalls() const {
    std::vector<json> out;
    for (const auto& request : world_->planfix.requests()) {
      if (request.path == fmt::format("/rest/datatag/{}/entry/list", kTag)) {
        out.push_back(json::parse(request.body));
      }
    }
    return out;
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
};

TEST_F(TimeSyncFlow, ReadsEveryEntryAtStartAndAgainEachIntervalWithoutDoubling) {
  const long long first = Add(3001, "23-11-2026", 30);
  const long long second = Add(3002, "20-11-2026", 90, "user:8", "Комунікація");
  StartApp();
  EXPECT_EQ(MinutesByKey(), (std::map<long long, long long>{{first, 30}, {second, 90}}));
  const auto stored = app_->database().ListTimeEntries("2026-11-20", "2026-11-20");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].employee, "user:8");
  EXPECT_EQ(stored[0].task, 3002);
  EXPECT_EQ(stored[0].kind, "Комунікація");
  // The first read is of the whole tag; the timer waits the configured interval.
  const auto calls = ListCalls();
  ASSERT_FALSE(calls.empty());
  EXPECT_FALSE(calls.front().contains("filters"));
  const auto timer = app_->database().GetTimer("time.sync");
  ASSERT_TRUE(timer);
  EXPECT_EQ(timer->due_at, kMonday10 + minutes(30));
  EXPECT_TRUE(app_->database().GetTimeSyncState().last_full_sync_at.has_value());

  world_->planfix.ClearRecords();
  Wait(minutes(29));
  EXPECT_TRUE(ListCalls().empty()) << "synced before the interval";
  Wait(minutes(1));
  ASSERT_EQ(ListCalls().size(), 1u);
  EXPECT_EQ(MinutesByKey(), (std::map<long long, long long>{{first, 30}, {second, 90}}));
  EXPECT_EQ(app_->database().GetTimeSyncState().highest_key, std::max(first, second));
}

TEST_F(TimeSyncFlow, LaterReadsCoverTheWindowAndCorrectEditsAndDeletions) {
  const long long edited = Add(3001, "23-11-2026", 30);
  const long long deleted = Add(3001, "22-11-2026", 60);
  const long long old = Add(3001, "01-08-2026", 120);  // before the 45-day window
  StartApp();
  ASSERT_EQ(MinutesByKey().size(), 3u);

  ASSERT_TRUE(world_->planfix.EditDataTagEntry(
      edited,
      {{kDate, {{"date", "23-11-2026"}}}, {kDuration, 45}, {kEmployee, {{"id", "user:7"}}}}));
  ASSERT_TRUE(world_->planfix.DeleteDataTagEntry(deleted));
  ASSERT_TRUE(world_->planfix.DeleteDataTagEntry(old));
  const long long added = Add(3002, "23-11-2026", 15);
  world_->planfix.ClearRecords();
  Wait(minutes(30));

  // A windowed read: entries dated from 45 days back, so the old entry's deletion waits for
  // the daily full read.
  const auto calls = ListCalls();
  ASSERT_EQ(calls.size(), 1u);
  ASSERT_TRUE(calls[0].contains("filters"));
  EXPECT_EQ(calls[0]["filters"][0]["type"], 3101);
  EXPECT_EQ(calls[0]["filters"][0]["field"], kDate);
  EXPECT_EQ(calls[0]["filters"][0]["value"]["dateFrom"], "09-10-2026");
  EXPECT_EQ(MinutesByKey(),
            (std::map<long long, long long>{{edited, 45}, {old, 120}, {added, 15}}));

  Wait(hours(24));
  EXPECT_EQ(MinutesByKey(), (std::map<long long, long long>{{edited, 45}, {added, 15}}));
}

TEST_F(TimeSyncFlow, EntriesThatCannotCountAreKeptAsProblemsWithTheirReason) {
  world_->planfix.AddTask({.id = 3003, .name = "У кошику"});
  world_->planfix.AddTask({.id = 3004, .name = "Видалено назавжди"});
  const long long good = Add(3001, "23-11-2026", 30);
  const long long negative = Add(3001, "23-11-2026", -30);
  const long long absurd = Add(3001, "23-11-2026", 1500);
  const long long unparsable = Add(3001, "23-11-2026", "півгодини");
  const long long nobody = Add(3001, "23-11-2026", 30, "");
  const long long trashed = Add(3003, "23-11-2026", 30);
  const long long gone = Add(3004, "23-11-2026", 30);
  const long long stranger = Add(3001, "23-11-2026", 30, "user:9");
  world_->planfix.DeleteTask(3003);
  world_->planfix.DeleteTask(3004, /*for_good=*/true);
  StartApp();

  EXPECT_EQ(MinutesByKey(), (std::map<long long, long long>{{good, 30}}));
  const auto problems = Problems();
  ASSERT_EQ(problems.size(), 7u);
  EXPECT_EQ(
      problems.at(stranger),
      "unknown employee user:9 (not in time.rates, no rate in Planfix; no time.default_rate)");
  EXPECT_EQ(problems.at(negative), "the duration is negative (-30 minutes)");
  EXPECT_EQ(problems.at(absurd), "the duration is absurd (1500 minutes, more than 24 hours)");
  EXPECT_EQ(problems.at(unparsable), "the duration is unparsable (півгодини)");
  EXPECT_EQ(problems.at(nobody), "no employee");
  EXPECT_EQ(problems.at(trashed), "the task 3003 is deleted");
  EXPECT_EQ(problems.at(gone), "the task 3004 is deleted");

  // A person fixes one in Planfix: it counts from the next read on, and is no problem.
  ASSERT_TRUE(world_->planfix.EditDataTagEntry(
      negative,
      {{kDate, {{"date", "23-11-2026"}}}, {kDuration, 30}, {kEmployee, {{"id", "user:7"}}}}));
  // And a counted one is spoiled: it stops counting.
  ASSERT_TRUE(world_->planfix.EditDataTagEntry(
      good, {{kDate, {{"date", "23-11-2026"}}}, {kDuration, -5}, {kEmployee, {{"id", "user:7"}}}}));
  Wait(minutes(30));
  EXPECT_EQ(MinutesByKey(), (std::map<long long, long long>{{negative, 30}}));
  EXPECT_EQ(Problems().count(negative), 0u);
  EXPECT_EQ(Problems().at(good), "the duration is negative (-5 minutes)");
}

TEST_F(TimeSyncFlow, AFailedReadStoresNothingAndTheNextOneCatchesUp) {
  const long long first = Add(3001, "23-11-2026", 30);
  StartApp();
  ASSERT_EQ(MinutesByKey().size(), 1u);
  const long long second = Add(3001, "23-11-2026", 20);
  ASSERT_TRUE(world_->planfix.DeleteDataTagEntry(first));
  // Planfix is down for the next sync and its retries.
  world_->planfix.FailNext(100, 500, R"({"result":"fail","code":0,"error":"Rest API error"})");
  Wait(minutes(30));
  for (int i = 0; i < 6; ++i) Wait(minutes(1));
  EXPECT_EQ(MinutesByKey(), (std::map<long long, long long>{{first, 30}}));
  world_->planfix.ClearFaults();
  Wait(minutes(30));
  EXPECT_EQ(MinutesByKey(), (std::map<long long, long long>{{second, 20}}));
}

TEST_F(TimeSyncFlow, TheWatermarkSurvivesARestartAndTheTimerIsNotDoubled) {
  world_->config.storage.path = (dir_.path() / "time.db").string();
  const long long first = Add(3001, "23-11-2026", 30);
  StartApp();
  ASSERT_EQ(MinutesByKey().size(), 1u);
  const auto before = app_->database().GetTimeSyncState();
  world_->planfix.ClearRecords();
  clock_->Advance(minutes(10));
  StartApp();  // the timer is pending: no sync at start
  EXPECT_TRUE(ListCalls().empty());
  EXPECT_EQ(app_->database().GetTimeSyncState().last_full_sync_at, before.last_full_sync_at);
  Wait(minutes(20));
  ASSERT_EQ(ListCalls().size(), 1u);
  EXPECT_TRUE(ListCalls()[0].contains("filters")) << "the full read is a day old at most";
  EXPECT_EQ(MinutesByKey(), (std::map<long long, long long>{{first, 30}}));
}

TEST_F(TimeSyncFlow, NothingIsReadWhenNoDataTagIsConfigured) {
  world_->config.time.data_tag = 0;
  Add(3001, "23-11-2026", 30);
  StartApp();
  Wait(hours(2));
  EXPECT_TRUE(ListCalls().empty());
  EXPECT_FALSE(app_->database().GetTimer("time.sync").has_value());
}

}  // namespace
}  // namespace planfix_flow::app
