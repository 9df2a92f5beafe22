// Issue 13, "Performance": bulk work never delays interactive work. The real App as `serve`
// runs it (processor, executor and scheduler on their own threads, the HTTP ingress, SQLite)
// against the sandbox fakes: while the month's run works through its report tasks, a PM's
// button press reaches the client without waiting for the run's remaining Planfix calls.
// Every Planfix answer is held back 100 ms (real time) so the run lasts long enough to press
// a button in the middle of it; the assertions are about order, not about durations.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/engine_test_util.h"
#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/workflow/invoices.h"
#include "planfix_flow/workflow/report.h"

namespace planfix_flow::app {
namespace {

using engine::testing::Eventually;
using nlohmann::json;

// Wednesday 2026-12-30 10:00 in Kyiv: the day after December's run day, so that the start-up
// schedules January's run and the test starts December's itself, as its timer would.
const core::TimePoint kAfterRunDay = core::FromUnixSeconds(1'798'531'200 + 24 * 3600);
constexpr std::int64_t kDealTemplate = 401;
constexpr std::int64_t kReportTemplate = 402;
constexpr std::int64_t kRetainerField = 230;
constexpr int kRetainers = 24;
constexpr std::int64_t kPressChat = 7001;

class BulkPriority : public ::testing::Test {
 protected:
  BulkPriority() : clock_(kAfterRunDay), world_(clock_, dir_.path()) {
    world_.config.storage.path = (dir_.path() / "bulk.sqlite").string();
    world_.config.calendar.holidays.clear();
    world_.config.calendar.moved_working_days.clear();
    auto& invoices = world_.config.invoices;
    invoices.enabled = true;
    invoices.fields = {.number = 211, .amount = 212, .due_date = 214, .payment_details = 215};
    invoices.statuses = {.returned = 123};
    auto& report = world_.config.report;
    report.enabled = true;
    report.deal_template_id = kDealTemplate;
    report.retainer_field = kRetainerField;
    report.template_id = kReportTemplate;
    report.process_id = 1;
    auto& planfix = world_.planfix;
    planfix.DefineTaskField({211, "Номер рахунку", 0});
    planfix.DefineTaskField({212, "Сума рахунку", 1});
    planfix.DefineTaskField({214, "Строк оплати", 3});
    planfix.DefineTaskField({215, "Реквізити", 0});
    planfix.DefineTaskField({kRetainerField, "Щомісячний ретейнер", 7});
    planfix.DefineTaskTemplate(kDealTemplate, "Угода");
    planfix.DefineTaskTemplate(kReportTemplate, "Звіт і оплата");
    for (int i = 0; i < kRetainers; ++i) {
      const auto client = world_.AddClient(fmt::format("Клієнт {}", i),
                                           fmt::format("client{}@example.com", i), "", 8000 + i);
      const auto number = world_.AddDeal(client, 77, "SMM", 12000);
      auto deal = planfix.task(number);
      deal->template_id = kDealTemplate;
      deal->custom_fields[kRetainerField] = true;
      planfix.AddTask(*deal);
    }
    pressed_ = world_.AddClient("Олена", "olena@example.com", "", kPressChat);
  }

  void TearDown() override {
    if (app_) app_->Stop();
    EXPECT_TRUE(world_.planfix.failures().empty()) << world_.planfix.failures().front();
    EXPECT_TRUE(world_.telegram.failures().empty()) << world_.telegram.failures().front();
  }

  std::size_t Creates() const {
    std::size_t creates = 0;
    for (const auto& write : world_.planfix.writes()) {
      if (write.path == "/rest/task/" && write.status == 201) ++creates;
    }
    return creates;
  }
  bool ClientGotMessage() const {
    for (const auto& message : world_.telegram.Messages(kPressChat)) {
      if (message.from_bot) return true;
    }
    return false;
  }
  // The month's run as its timer delivers it.
  void StartTheRun() {
    storage::NewEvent run;
    run.source = plan::EventSource::kTimer;
    run.dedupe_key = "timer:bulk-run";
    run.kind = workflow::kEventReportRun;
    run.payload = json{{"month", "2026-12"}}.dump();
    run.received_at = clock_.Now();
    ASSERT_TRUE(app_->database().AppendEvent(run));
  }

  google_test::TempDir dir_;
  core::FakeClock clock_;
  SandboxWorld world_;
  SandboxClient pressed_;
  std::unique_ptr<App> app_;
};

TEST_F(BulkPriority, AButtonPressDuringTheMonthsRunReachesTheClientAheadOfTheRunsBacklog) {
  std::vector<config::Problem> problems;
  auto templates = config::LoadTemplates(world_.config, problems);
  ASSERT_TRUE(templates.set);
  app_ = std::make_unique<App>(world_.config, templates.set, clock_, world_.http(),
                               AppOptions{.background_threads = true, .seed = 5});
  app_->Start();
  world_.planfix.DelayNext(10'000, std::chrono::milliseconds(100));
  StartTheRun();
  ASSERT_TRUE(Eventually([&] { return Creates() >= 2; }));

  auto answer = world_.PostPlanfix(
      app_->port(), json{{"event", "brief.send"}, {"task", std::to_string(pressed_.task)}});
  ASSERT_TRUE(answer) << answer.error().ToString();
  ASSERT_EQ(answer->status, 200) << answer->body;
  std::size_t creates_when_sent = 0;
  ASSERT_TRUE(Eventually([&] {
    creates_when_sent = Creates();
    return ClientGotMessage();
  }));
  // Before interactive jobs went first, the brief waited for every report task (and the
  // comments queued before it): it arrived with all 24 created.
  EXPECT_LE(creates_when_sent, static_cast<std::size_t>(kRetainers / 2));

  // The run still finishes: every report task created once and commented, nothing dead.
  ASSERT_TRUE(Eventually([&] {
    auto& db = app_->database();
    const auto jobs = db.CountJobsByState();
    const auto count = [&](storage::JobState state) {
      const auto it = jobs.find(state);
      return it == jobs.end() ? 0 : it->second;
    };
    return db.ListFlows("report", "created", 100).size() == kRetainers &&
           count(storage::JobState::kPending) == 0 && count(storage::JobState::kRunning) == 0;
  }));
  EXPECT_EQ(app_->database().CountJobsByState().count(storage::JobState::kDead), 0u);
  EXPECT_EQ(Creates(), static_cast<std::size_t>(kRetainers));
}

}  // namespace
}  // namespace planfix_flow::app
