// The monthly report's run day by the work calendar, and the run as data.
#include "planfix_flow/workflow/report.h"

#include <gtest/gtest.h>

#include "planfix_flow/workflow/digest.h"

namespace planfix_flow::workflow {
namespace {

calendar::WorkCalendar Calendar(std::vector<calendar::LocalDate> holidays = {},
                                std::vector<calendar::LocalDate> moved = {}) {
  calendar::CalendarSettings settings;
  settings.holidays = std::move(holidays);
  settings.moved_working_days = std::move(moved);
  return *calendar::WorkCalendar::Create(settings);
}

TEST(ReportRunDay, CountsWorkingDaysBackFromTheMonthsEnd) {
  const auto calendar = Calendar();
  // December 2026 ends on a Thursday.
  EXPECT_EQ(ReportRunDay(calendar, 2026, 12, 1), (calendar::LocalDate{2026, 12, 31}));
  EXPECT_EQ(ReportRunDay(calendar, 2026, 12, 3), (calendar::LocalDate{2026, 12, 29}));
  // January 2027 ends on a Sunday: the weekend does not count.
  EXPECT_EQ(ReportRunDay(calendar, 2027, 1, 1), (calendar::LocalDate{2027, 1, 29}));
  EXPECT_EQ(ReportRunDay(calendar, 2027, 1, 3), (calendar::LocalDate{2027, 1, 27}));
  // February of a leap year.
  EXPECT_EQ(ReportRunDay(calendar, 2028, 2, 1), (calendar::LocalDate{2028, 2, 29}));
}

TEST(ReportRunDay, SkipsHolidaysAndCountsMovedWorkingDays) {
  const auto calendar = Calendar({{2026, 12, 29}, {2026, 12, 30}}, {{2026, 12, 26}});
  EXPECT_EQ(ReportRunDay(calendar, 2026, 12, 2), (calendar::LocalDate{2026, 12, 28}));
  EXPECT_EQ(ReportRunDay(calendar, 2026, 12, 3), (calendar::LocalDate{2026, 12, 26}));
}

TEST(ReportRunDay, NoneWhenTheMonthHasTooFewWorkingDays) {
  std::vector<calendar::LocalDate> all;
  for (unsigned day = 1; day <= 28; ++day) all.push_back({2027, 2, day});
  EXPECT_FALSE(ReportRunDay(Calendar(all), 2027, 2, 1));
}

TEST(ReportRunOf, RunsAtTheConfiguredLocalTimeAndSkipsAMonthWithoutARunDay) {
  std::vector<calendar::LocalDate> february;
  for (unsigned day = 1; day <= 28; ++day) february.push_back({2027, 2, day});
  const auto calendar = Calendar(february);
  config::ReportConfig report;
  report.days_before_month_end = 3;
  report.time = "10:30";
  const auto december = ReportRunOf(calendar, report, "2026-12");
  EXPECT_EQ(december.month, "2026-12");
  EXPECT_EQ(calendar.FormatLocal(december.at), "29.12.2026 10:30");
  const auto february_run = ReportRunOf(calendar, report, "2027-02");
  EXPECT_EQ(february_run.month, "2027-03");
  EXPECT_EQ(NextMonth("2026-12"), "2027-01");
  EXPECT_EQ(NextMonth("2027-01"), "2027-02");
}

TEST(NextDigestAt, IsTheNextWorkingDaysTimeStrictlyAfter) {
  // Friday 2026-12-25 a holiday, Saturday 2026-12-26 a moved working day.
  const auto calendar = Calendar({{2026, 12, 25}}, {{2026, 12, 26}});
  const calendar::LocalTime at{9 * 60 + 30};
  const auto next = [&](const calendar::LocalDate& date, int hour) {
    return calendar.FormatLocal(
        NextDigestAt(calendar, at, calendar.ToMoment(date, calendar::LocalTime{hour * 60})));
  };
  EXPECT_EQ(next({2026, 12, 23}, 8), "23.12.2026 09:30");   // later the same day
  EXPECT_EQ(next({2026, 12, 23}, 10), "24.12.2026 09:30");  // past it: the next day
  EXPECT_EQ(next({2026, 12, 24}, 10), "26.12.2026 09:30");  // the holiday skipped
  EXPECT_EQ(next({2026, 12, 26}, 10), "28.12.2026 09:30");  // Sunday skipped
  // Exactly at the time: the next one, so a digest never schedules itself again.
  const auto moment = calendar.ToMoment({2026, 12, 28}, at);
  EXPECT_EQ(calendar.FormatLocal(NextDigestAt(calendar, at, moment)), "29.12.2026 09:30");
}

}  // namespace
}  // namespace planfix_flow::workflow
