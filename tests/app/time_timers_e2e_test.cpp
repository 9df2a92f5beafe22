// Timer buttons (issue 14), end to end through the real App: Planfix posts time.start and
// time.stop to the webhook, the service keeps the running timer in SQLite (a flow and a
// durable timer), and on stop, on a second start or at the end of the working day writes one
// entry to the time data tag on the task (through the sandbox Planfix, which checks the
// fields' shapes) and comments the task. Bad presses get a comment and write nothing.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/app/time_timers.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC); working hours 09:00-18:00.
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
constexpr long long kTag = 50;
constexpr long long kDate = 501;
constexpr long long kDuration = 502;
constexpr long long kEmployee = 503;
constexpr long long kPeriod = 505;

struct Written {
  long long task = 0;
  std::string date;
  long long minutes = 0;
  std::string employee;
  std::string from;
  std::string to;
  bool operator==(const Written&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Written& entry) {
  return out << fmt::format("{{task {} {} {} min {} {}-{}}}", entry.task, entry.date, entry.minutes,
                            entry.employee, entry.from, entry.to);
}

class TimeTimersFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->planfix.DefineDataTag(kTag, "Фактичний час роботи",
                                  {{kDate, "Дата", 3},
                                   {kDuration, "Хвилини", 1},
                                   {kEmployee, "Співробітник", 11},
                                   {kPeriod, "З – до", 6}});
    // A file, so a restart finds what the service stored.
    world_->config.storage.path = (dir_.path() / "flow.db").string();
    auto& time = world_->config.time;
    time.data_tag = kTag;
    time.fields.date = kDate;
    time.fields.duration = kDuration;
    time.fields.employee = kEmployee;
    time.fields.period = kPeriod;
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

  // Planfix's button: the event, the task, the employee who pressed, and the moment (`at`).
  void Press(const std::string& event, long long task, const std::string& user) {
    json body{{"event", event},
              {"task", std::to_string(task)},
              {"user", user},
              {"at", fmt::format("{}", core::ToUnixSeconds(clock_->Now()))}};
    auto answer = world_->PostPlanfix(app_->port(), body);
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }

  std::vector<Written> Entries() const {
    std::vector<Written> out;
    for (const auto& entry : world_->planfix.data_tag_entries(kTag)) {
      Written written;
      written.task = entry.task_id;
      const auto& fields = entry.custom_fields;
      if (fields.count(kDate)) written.date = fields.at(kDate).value("date", "");
      if (fields.count(kDuration)) written.minutes = fields.at(kDuration).get<long long>();
      if (fields.count(kEmployee)) written.employee = fields.at(kEmployee).value("id", "");
      if (fields.count(kPeriod)) {
        written.from = fields.at(kPeriod)["from"].value("time", "");
        written.to = fields.at(kPeriod)["to"].value("time", "");
      }
      out.push_back(written);
    }
    return out;
  }

  // The comments the service wrote on `task` (the data tag's own comments have no text).
  std::vector<std::string> Comments(long long task) const {
    std::vector<std::string> out;
    for (const auto& comment : world_->planfix.comments(task)) {
      if (!comment.description.empty()) out.push_back(comment.description);
    }
    return out;
  }

  bool Said(long long task, const std::string& text) const {
    for (const auto& comment : Comments(task)) {
      if (comment.find(text) != std::string::npos) return true;
    }
    return false;
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
};

TEST_F(TimeTimersFlow, StopWritesOneDataTagEntryThatTheReportCounts) {
  StartApp();
  Press("time.start", 3001, "7");
  EXPECT_TRUE(Entries().empty());
  EXPECT_TRUE(Said(3001, "Таймер user:7 запущено 23.11.2026 10:00")) << Comments(3001).size();
  EXPECT_TRUE(Said(3001, "о 23.11.2026 18:00"));
  const auto flow = app_->database().GetFlow(TimerKey("user:7"));
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->state, "running");

  Wait(minutes(95));
  Press("time.stop", 3001, "7");
  EXPECT_EQ(Entries(),
            (std::vector<Written>{{3001, "23-11-2026", 95, "user:7", "10:00", "11:35"}}));
  EXPECT_TRUE(Said(3001, "Записано 1:35"));
  EXPECT_EQ(app_->database().GetFlow(TimerKey("user:7"))->state, "idle");
  const auto timer = app_->database().GetTimer(TimerKey("user:7"));
  ASSERT_TRUE(timer);
  EXPECT_EQ(timer->state, storage::TimerState::kCancelled);

  // The next read of the tag takes the entry like any other: 95 minutes of user:7, once.
  Wait(minutes(30));
  const auto stored = app_->database().ListTimeEntries("2026-11-23", "2026-11-23");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].task, 3001);
  EXPECT_EQ(stored[0].employee, "user:7");
  EXPECT_EQ(stored[0].minutes, 95);
  EXPECT_TRUE(app_->database().ListTimeProblems().empty());

  // A second stop finds nothing running and writes nothing more.
  Wait(hours(1));
  Press("time.stop", 3001, "7");
  EXPECT_EQ(Entries().size(), 1u);
  EXPECT_TRUE(Said(3001, "у user:7 немає запущеного таймера"));
}

TEST_F(TimeTimersFlow, SecondStartStopsTheFirstAndAStartOnTheSameTaskChangesNothing) {
  StartApp();
  Press("time.start", 3001, "7");
  Wait(minutes(10));
  Press("time.start", 3001, "7");
  EXPECT_TRUE(Entries().empty());
  EXPECT_TRUE(Said(3001, "уже працює на цій задачі з 23.11.2026 10:00"));

  Wait(minutes(20));
  Press("time.start", 3002, "7");
  EXPECT_EQ(Entries(),
            (std::vector<Written>{{3001, "23-11-2026", 30, "user:7", "10:00", "10:30"}}));
  EXPECT_TRUE(Said(3001, "бо запущено таймер на задачі #3002"));
  const auto flow = app_->database().GetFlow(TimerKey("user:7"));
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->state, "running");
  EXPECT_EQ(flow->task, 3002);

  // Another employee's timer is their own.
  Press("time.start", 3002, "8");
  Wait(minutes(15));
  Press("time.stop", 3002, "7");
  EXPECT_EQ(Entries(),
            (std::vector<Written>{{3001, "23-11-2026", 30, "user:7", "10:00", "10:30"},
                                  {3002, "23-11-2026", 15, "user:7", "10:30", "10:45"}}));
  Press("time.stop", 3002, "8");
  ASSERT_EQ(Entries().size(), 3u);
  EXPECT_EQ(Entries()[2], (Written{3002, "23-11-2026", 15, "user:8", "10:30", "10:45"}));
}

TEST_F(TimeTimersFlow, ATimerLeftRunningClosesAtTheEndOfTheWorkingDayNotOvernight) {
  clock_->Advance(hours(6) + minutes(30));  // 16:30
  StartApp();
  Press("time.start", 3001, "7");
  Wait(minutes(89));  // 17:59
  EXPECT_TRUE(Entries().empty());
  Wait(minutes(1));  // 18:00
  EXPECT_EQ(Entries(),
            (std::vector<Written>{{3001, "23-11-2026", 90, "user:7", "16:30", "18:00"}}));
  EXPECT_TRUE(Said(3001, "зупинено наприкінці робочого дня: 23.11.2026 16:30 – 23.11.2026 18:00"));

  // The next morning's stop finds nothing running, says so, and writes nothing.
  Wait(hours(15));
  Press("time.stop", 3001, "7");
  EXPECT_EQ(Entries().size(), 1u);
  EXPECT_TRUE(Said(3001, "у user:7 немає запущеного таймера"));
}

TEST_F(TimeTimersFlow, ATimerStartedAfterHoursClosesAtMidnight) {
  clock_->Advance(hours(10));  // 20:00, after working hours
  StartApp();
  Press("time.start", 3002, "8");
  Wait(hours(5));  // 01:00 the next day
  EXPECT_EQ(Entries(),
            (std::vector<Written>{{3002, "23-11-2026", 239, "user:8", "20:00", "23:59"}}));
}

TEST_F(TimeTimersFlow, ARestartInTheMiddleLosesNothing) {
  StartApp();
  Press("time.start", 3001, "7");
  app_->Stop();
  app_.reset();
  clock_->Advance(minutes(50));
  StartApp();
  Press("time.stop", 3001, "7");
  EXPECT_EQ(Entries(),
            (std::vector<Written>{{3001, "23-11-2026", 50, "user:7", "10:00", "10:50"}}));

  // Down over the end of the day: the overdue timer closes it at 18:00 when the service is back.
  Wait(hours(7));  // 17:50
  Press("time.start", 3002, "7");
  app_->Stop();
  app_.reset();
  clock_->Advance(hours(16));  // 09:50 on Tuesday
  StartApp();
  ASSERT_EQ(Entries().size(), 2u);
  EXPECT_EQ(Entries()[1], (Written{3002, "23-11-2026", 10, "user:7", "17:50", "18:00"}));
}

TEST_F(TimeTimersFlow, BadPressesAreAnsweredOnTheTaskAndWriteNothing) {
  StartApp();
  Press("time.start", 3001, "9");  // not in time.rates, no default rate
  EXPECT_TRUE(Said(3001, "співробітник user:9 невідомий сервісу"));
  EXPECT_FALSE(app_->database().GetFlow(TimerKey("user:9")));

  Press("time.start", 3001, "");  // the variable rendered empty
  EXPECT_TRUE(Said(3001, "у запиті кнопки немає співробітника"));

  Press("time.stop", 3002, "7");  // never started
  EXPECT_TRUE(Said(3002, "у user:7 немає запущеного таймера"));

  Press("time.start", 3001, "7");
  Wait(minutes(5));
  Press("time.stop", 3002, "7");  // the timer runs on another task
  EXPECT_TRUE(Said(3002, "таймер user:7 працює з 23.11.2026 10:00 на задачі #3001"));
  EXPECT_EQ(app_->database().GetFlow(TimerKey("user:7"))->state, "running");

  Press("time.start", 4040, "7");  // no such task: nothing changes
  EXPECT_EQ(app_->database().GetFlow(TimerKey("user:7"))->task, 3001);
  EXPECT_TRUE(Entries().empty());

  // Stopped within a minute: said, and nothing recorded.
  Press("time.stop", 3001, "7");
  Press("time.start", 3002, "8");
  Press("time.stop", 3002, "8");
  EXPECT_TRUE(Said(3002, "Менше хвилини — нічого не записано"));
  ASSERT_EQ(Entries().size(), 1u);
  EXPECT_EQ(Entries()[0], (Written{3001, "23-11-2026", 5, "user:7", "10:00", "10:05"}));
}

TEST_F(TimeTimersFlow, ARefusalForATaskThatDoesNotExistIsLoggedNotADeadComment) {
  StartApp();
  Press("time.start", 4040, "9");  // an unknown employee on a task that does not exist
  Press("time.stop", 4041, "7");   // no timer running, on a task that does not exist
  Press("time.start", 3001, "9");  // the same refusal on a real task is still said there
  EXPECT_TRUE(Said(3001, "співробітник user:9 невідомий сервісу"));
  storage::JobFilter dead;
  dead.state = storage::JobState::kDead;
  const auto jobs = app_->database().ListJobs(dead);
  EXPECT_TRUE(jobs.empty()) << jobs.front().kind << ": " << jobs.front().last_error;
  EXPECT_TRUE(world_->planfix.comments(4040).empty());
  EXPECT_TRUE(world_->planfix.comments(4041).empty());
  EXPECT_FALSE(app_->database().GetFlow(TimerKey("user:9")));
  EXPECT_TRUE(Entries().empty());
}

TEST_F(TimeTimersFlow, AFieldWhoseTypeChangedInPlanfixIsReadAgainWithoutARestart) {
  StartApp();
  Press("time.start", 3001, "7");
  Wait(minutes(5));
  Press("time.stop", 3001, "7");
  ASSERT_EQ(Entries().size(), 1u);
  EXPECT_EQ(Entries()[0].minutes, 5);
  // The admin makes the duration a Time field (hours:minutes) while the service runs.
  world_->planfix.DefineDataTag(kTag, "Фактичний час роботи",
                                {{kDate, "Дата", 3},
                                 {kDuration, "Тривалість", 4},
                                 {kEmployee, "Співробітник", 11},
                                 {kPeriod, "З – до", 6}});
  // The first write in the old shape is refused; that refusal makes the service read the
  // field types again and write in the new one.
  world_->planfix.ExpectRefusals(1);
  Press("time.start", 3001, "7");
  Wait(minutes(65));
  Press("time.stop", 3001, "7");
  const auto entries = world_->planfix.data_tag_entries(kTag);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].custom_fields.at(kDuration), (json{{"time", "01:05"}}));
  storage::JobFilter dead;
  dead.state = storage::JobState::kDead;
  const auto jobs = app_->database().ListJobs(dead);
  EXPECT_TRUE(jobs.empty()) << jobs.front().kind << ": " << jobs.front().last_error;
  EXPECT_TRUE(world_->planfix.failures().empty()) << world_->planfix.failures().front();
}

}  // namespace
}  // namespace planfix_flow::app
