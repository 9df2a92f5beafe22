// The demo's communication-time section (issue 14): a deal sold for ten minutes of work after
// four hours of communication, recorded in the sandbox Planfix's time data tag, read by the
// real service, reported first with its loss, and announced once in the staff chat.
#include <fmt/format.h>

#include <ostream>

#include "planfix_flow/app/app.h"
#include "planfix_flow/app/demo.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/app/time_ledger.h"
#include "planfix_flow/timekeeping/time_report.h"

namespace planfix_flow::app {

namespace {

constexpr long long kTag = 70;
constexpr long long kDate = 701;
constexpr long long kMinutes = 702;
constexpr long long kEmployee = 703;
constexpr long long kKind = 704;

}  // namespace

bool RunTimeDemo(core::FakeClock& clock, const std::filesystem::path& dir, std::ostream& out,
                 std::ostream& err) {
  SandboxWorld world(clock, dir);
  auto& time = world.config.time;
  time.data_tag = kTag;
  time.fields = {.date = kDate, .duration = kMinutes, .employee = kEmployee, .kind = kKind};
  time.default_rate = "400.00";
  time.classify.communication_kinds = {"Комунікація"};
  time.classify.production_kinds = {"Виробництво"};
  time.alert_share_percent = 30;
  world.planfix.DefineDataTag(kTag, "Фактичний час роботи",
                              {{kDate, "Дата", 3},
                               {kMinutes, "Хвилини", 1},
                               {kEmployee, "Співробітник", 11},
                               {kKind, "Вид роботи", 8, {"Комунікація", "Виробництво"}}});
  const auto client = world.AddClient("Ірина Шевченко", "iryna@example.com", "", 5004);
  const auto small = world.AddDeal(client, 12, "Автоматизація заявок", 1500);
  const auto big = world.AddDeal(client, 12, "Сайт", 20000);
  const auto record = [&](long long task, const std::string& date, int minutes,
                          const std::string& kind, const std::string& what) {
    world.planfix.AddDataTagEntryDirectly(kTag, task,
                                          {{kDate, {{"date", date}}},
                                           {kMinutes, minutes},
                                           {kEmployee, {{"id", "user:7"}}},
                                           {kKind, kind}});
    out << fmt::format("in:  Planfix: the PM records {} min of {} on task {} ({})\n", minutes, kind,
                       task, what);
  };
  record(small, "23-11-2026", 90, "Комунікація", "the commercial proposal");
  record(small, "24-11-2026", 30, "Комунікація", "reminding the client");
  record(small, "25-11-2026", 120, "Комунікація", "travel and the presentation");
  record(small, "26-11-2026", 10, "Виробництво", "the automation itself");
  record(big, "26-11-2026", 300, "Виробництво", "the site");
  record(big, "26-11-2026", 60, "Комунікація", "calls");

  std::vector<config::Problem> problems;
  auto templates = config::LoadTemplates(world.config, problems);
  auto calendar = calendar::WorkCalendar::Create(world.config.calendar);
  if (!templates.set || !calendar) {
    err << "demo: the time section's config does not load\n";
    return false;
  }
  App app(world.config, templates.set, clock, world.http(),
          AppOptions{.background_threads = false, .seed = 2});
  app.Start();
  app.RunUntilIdle();  // the sync at start, and the alert it raises
  const auto staff = world.telegram.Messages(world.config.telegram.staff_chat_id);
  for (const auto& message : staff) out << "out: Telegram → staff chat: " << message.text << "\n";
  const auto report = timekeeping::BuildTimeReport(
      TimeReportInputFor(app.database(), world.config, *calendar, {2026, 11}, std::nullopt));
  out << "$ planfix-flow report time --month 2026-11\n" << timekeeping::RenderTable(report);
  app.Stop();
  const bool ok = report.deals.size() == 2 && report.deals[0].deal == small &&
                  report.deals[0].margin && *report.deals[0].margin < 0 && staff.size() == 1 &&
                  world.planfix.failures().empty() && world.telegram.failures().empty();
  if (!ok) err << "demo: the time section did not show the loss and its alert\n";
  return ok;
}

}  // namespace planfix_flow::app
