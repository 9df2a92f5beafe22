// The month's communication-time summary (issue 14), end to end through the real App: on the
// first working day of the next month the staff chat gets a chart (PNG drawn by the chart
// module) with a caption, sent with sendPhoto to the strict Telegram fake; once per month,
// also across restarts, and a run missed while the service was down is made at start-up.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/app/time_summary.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
// Tuesday 2026-12-01 09:00 in Kyiv (07:00 UTC): December's first working day starts.
const core::TimePoint kDecember1At9 = kMonday10 + hours(8 * 24 - 1);
constexpr long long kTag = 50;
constexpr long long kDate = 501;
constexpr long long kDuration = 502;
constexpr long long kEmployee = 503;
constexpr long long kKind = 504;
constexpr long long kDealProcess = 1;
constexpr long long kAmountField = 202;  // the sandbox's planfix.task_fields.amount

class TimeSummaryFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->planfix.DefineDataTag(kTag, "Фактичний час роботи",
                                  {{kDate, "Дата", 3},
                                   {kDuration, "Хвилини", 1},
                                   {kEmployee, "Співробітник", 11},
                                   {kKind, "Вид роботи", 8, {"Комунікація", "Виробництво"}}});
    auto& config = world_->config;
    config.storage.path = (dir_.path() / "flow.db").string();
    config.planfix.processes.deal = kDealProcess;
    auto& time = config.time;
    time.data_tag = kTag;
    time.fields = {.date = kDate, .duration = kDuration, .employee = kEmployee, .kind = kKind};
    time.rates = {{"user:7", "600.00"}, {"user:8", "300.00"}};
    time.classify.communication_kinds = {"Комунікація"};
    time.classify.production_kinds = {"Виробництво"};
    time.alert_share_percent = 0;
    // Ten minutes of work sold after four hours of talk; and a healthy deal.
    Deal(3001, "Автоматизація лідів", 1500, 12);
    Entry(3001, "10-11-2026", 240, "user:7", "Комунікація");
    Entry(3001, "12-11-2026", 10, "user:8", "Виробництво");
    Deal(3002, "Сайт", 10000, 13);
    Entry(3002, "13-11-2026", 120, "user:8", "Виробництво");
    Entry(3002, "14-11-2026", 30, "user:7", "Комунікація");
  }

  void StartApp() {
    StopApp();
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
    app_->RunUntilIdle();
  }

  void StopApp() {
    if (app_) app_->Stop();
    app_.reset();
  }

  // Moves on in small steps, as time passes for the service (timers, retries).
  void Wait(core::Duration duration) {
    const core::TimePoint until = clock_->Now() + duration;
    while (clock_->Now() < until) {
      clock_->Advance(std::min<core::Duration>(minutes(1), until - clock_->Now()));
      app_->RunUntilIdle();
    }
  }

  void Deal(long long id, const std::string& name, long long amount, long long client) {
    world_->planfix.AddTask({.id = id,
                             .name = name,
                             .process_id = kDealProcess,
                             .counterparty = fmt::format("contact:{}", client),
                             .custom_fields = {{kAmountField, amount}}});
  }

  void Entry(long long task, const std::string& date, long long worked, const std::string& employee,
             const std::string& kind) {
    world_->planfix.AddDataTagEntryDirectly(kTag, task,
                                            {{kDate, {{"date", date}}},
                                             {kDuration, worked},
                                             {kEmployee, {{"id", employee}}},
                                             {kKind, kind}});
  }

  std::vector<sandbox::FakeMessage> Photos() const {
    std::vector<sandbox::FakeMessage> out;
    for (const auto& message : world_->telegram.Messages(world_->config.telegram.staff_chat_id)) {
      if (!message.photo.empty()) out.push_back(message);
    }
    return out;
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
};

TEST_F(TimeSummaryFlow, TheStaffChatGetsTheChartOnTheFirstWorkingDayOfTheNextMonthOnce) {
  StartApp();
  // October had no time: nothing to show, nothing sent; November's summary waits its day.
  EXPECT_TRUE(Photos().empty());
  const auto timer = app_->database().GetTimer(kTimerTimeSummary);
  ASSERT_TRUE(timer);
  EXPECT_EQ(timer->due_at, kDecember1At9);
  EXPECT_EQ(json::parse(timer->payload)["month"], "2026-11");

  clock_->Advance(kDecember1At9 - minutes(1) - clock_->Now());
  app_->RunUntilIdle();
  EXPECT_TRUE(Photos().empty());
  // Due at 09:00, it goes out one sync interval (30 minutes) later, after the next read.
  Wait(minutes(20));
  EXPECT_TRUE(Photos().empty());
  Wait(minutes(25));
  auto photos = Photos();
  ASSERT_EQ(photos.size(), 1u);
  const auto& photo = photos[0];
  EXPECT_EQ(photo.photo.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(photo.photo_width, 1000);
  EXPECT_GT(photo.photo_height, 0);
  // The caption: totals in exact hours and money, and the deal whose talk cost more than work.
  EXPECT_NE(photo.text.find("Час за 2026-11"), std::string::npos) << photo.text;
  EXPECT_NE(photo.text.find("Комунікація: 4.50 год, 2700.00 UAH"), std::string::npos) << photo.text;
  EXPECT_NE(photo.text.find("Виробництво: 2.17 год, 650.00 UAH"), std::string::npos) << photo.text;
  EXPECT_NE(photo.text.find("#3001 Автоматизація лідів — 4.00 / 0.17"), std::string::npos)
      << photo.text;
  EXPECT_EQ(photo.text.find("#3002"), std::string::npos) << photo.text;
  EXPECT_EQ(photo.parse_mode, "HTML");

  // A restart and more days change nothing; the timer waits for December's summary.
  StartApp();
  Wait(hours(3));
  EXPECT_EQ(Photos().size(), 1u);
  const auto next = app_->database().GetTimer(kTimerTimeSummary);
  ASSERT_TRUE(next);
  EXPECT_EQ(json::parse(next->payload)["month"], "2026-12");
  EXPECT_GT(next->due_at, kDecember1At9 + hours(24 * 30));
}

TEST_F(TimeSummaryFlow, ARunMissedWhileTheServiceWasDownIsMadeAtStartUpOnce) {
  StartApp();
  StopApp();
  // Down from November 23 until Thursday, December 3.
  clock_->Advance(kDecember1At9 + hours(48) - clock_->Now());
  StartApp();
  Wait(minutes(35));  // one sync interval: the read after the month ended is in
  ASSERT_EQ(Photos().size(), 1u);
  EXPECT_NE(Photos()[0].text.find("Час за 2026-11"), std::string::npos);
  StartApp();
  Wait(minutes(35));
  EXPECT_EQ(Photos().size(), 1u);
}

TEST_F(TimeSummaryFlow, AFirstStartAfterTheDayStillSendsTheMonthThatEnded) {
  // Installed on December 2: November's time is there, its summary is due since yesterday.
  clock_->Advance(kDecember1At9 + hours(24) - clock_->Now());
  StartApp();
  Wait(minutes(35));
  ASSERT_EQ(Photos().size(), 1u);
  StartApp();
  Wait(minutes(35));
  EXPECT_EQ(Photos().size(), 1u);
}

}  // namespace
}  // namespace planfix_flow::app
