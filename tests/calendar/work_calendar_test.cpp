#include "planfix_flow/calendar/work_calendar.h"

#include <date/date.h>
#include <gtest/gtest.h>

#include <stdexcept>

namespace planfix_flow::calendar {
namespace {

using core::TimePoint;

TimePoint Utc(int year, unsigned month, unsigned day, int hour, int minute = 0) {
  const date::sys_days days{date::year{year} / date::month{month} / date::day{day}};
  return TimePoint{days.time_since_epoch()} + std::chrono::hours{hour} +
         std::chrono::minutes{minute};
}

WorkCalendar Make(CalendarSettings settings = {}) {
  auto calendar = WorkCalendar::Create(settings);
  if (!calendar) throw std::runtime_error(calendar.error().ToString());
  return std::move(calendar).value();
}

LocalDate Date(int year, unsigned month, unsigned day) { return LocalDate{year, month, day}; }

// Europe/Kyiv is UTC+2 in winter and UTC+3 in summer; 2026 switches on 29 March and
// 25 October. 2026-11-27 is a Friday.

TEST(WorkCalendar, FridayAfternoonPlusTwoWorkingDaysIsTuesdaySameTime) {
  const auto calendar = Make();
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 11, 27, 13), 2), Utc(2026, 12, 1, 13));
}

TEST(WorkCalendar, SkipsAHolidayOnAWeekday) {
  CalendarSettings settings;
  settings.holidays = {Date(2026, 12, 25)};
  const auto calendar = Make(settings);
  // Wednesday 23 December 10:00 local: Thursday 24 is working, Friday 25 is not.
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 12, 23, 8), 2), Utc(2026, 12, 28, 8));
  EXPECT_FALSE(calendar.IsWorkingDay(Date(2026, 12, 25)));
  EXPECT_TRUE(calendar.IsWorkingDay(Date(2026, 12, 24)));
}

TEST(WorkCalendar, KeepsLocalWallTimeAcrossTheSpringDstChange) {
  const auto calendar = Make();
  // Friday 27 March 10:00 EET (08:00 UTC) -> Tuesday 31 March 10:00 EEST (07:00 UTC).
  const auto due = calendar.AddWorkingDays(Utc(2026, 3, 27, 8), 2);
  EXPECT_EQ(due, Utc(2026, 3, 31, 7));
  EXPECT_EQ(calendar.FormatLocal(due), "31.03.2026 10:00");
}

TEST(WorkCalendar, KeepsLocalWallTimeAcrossTheAutumnDstChange) {
  const auto calendar = Make();
  // Friday 23 October 10:00 EEST (07:00 UTC) -> Tuesday 27 October 10:00 EET (08:00 UTC).
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 10, 23, 7), 2), Utc(2026, 10, 27, 8));
}

TEST(WorkCalendar, CountsAMovedSaturdayAsAWorkingDay) {
  CalendarSettings settings;
  settings.moved_working_days = {Date(2026, 11, 28)};
  settings.holidays = {Date(2026, 11, 30)};
  const auto calendar = Make(settings);
  EXPECT_TRUE(calendar.IsWorkingDay(Date(2026, 11, 28)));
  // Friday 15:00 + 1 -> Saturday 15:00; + 2 skips Sunday and the Monday holiday.
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 11, 27, 13), 1), Utc(2026, 11, 28, 13));
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 11, 27, 13), 2), Utc(2026, 12, 1, 13));
  // Saturday evening moves to Tuesday morning.
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 11, 28, 17)), Utc(2026, 12, 1, 7));
}

TEST(WorkCalendar, NextWorkingMomentIsTheMomentItselfDuringWorkingHours) {
  const auto calendar = Make();
  const auto thursday_noon = Utc(2026, 11, 26, 10);
  EXPECT_EQ(calendar.NextWorkingMoment(thursday_noon), thursday_noon);
  EXPECT_TRUE(calendar.IsWorkingMoment(thursday_noon));
  // 09:00 local is inside, 18:00 local is not (working hours are [start, end)).
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 11, 26, 7)), Utc(2026, 11, 26, 7));
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 11, 26, 16)), Utc(2026, 11, 27, 7));
}

TEST(WorkCalendar, NextWorkingMomentMovesAnEarlyMorningToTodaysStart) {
  const auto calendar = Make();
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 11, 26, 5, 30)), Utc(2026, 11, 26, 7));
}

TEST(WorkCalendar, NextWorkingMomentMovesAnEveningToTheNextMorning) {
  const auto calendar = Make();
  // Thursday 21:00 local -> Friday 09:00 local.
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 11, 26, 19)), Utc(2026, 11, 27, 7));
  EXPECT_FALSE(calendar.IsWorkingMoment(Utc(2026, 11, 26, 19)));
}

TEST(WorkCalendar, NextWorkingMomentMovesAWeekendToMonday) {
  const auto calendar = Make();
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 11, 28, 10)), Utc(2026, 11, 30, 7));
  // Friday evening, too.
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 11, 27, 20)), Utc(2026, 11, 30, 7));
}

TEST(WorkCalendar, NextWorkingMomentSkipsAHoliday) {
  CalendarSettings settings;
  settings.holidays = {Date(2026, 12, 25)};
  const auto calendar = Make(settings);
  // Friday 25 December 11:00 local is a holiday -> Monday 28 December 09:00.
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 12, 25, 9)), Utc(2026, 12, 28, 7));
}

TEST(WorkCalendar, AStartOutsideWorkingHoursCountsFromTheNextWorkingMoment) {
  const auto calendar = Make();
  // Saturday noon -> Monday 09:00 -> Wednesday 09:00.
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 11, 28, 10), 2), Utc(2026, 12, 2, 7));
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 11, 28, 10), 0), Utc(2026, 11, 30, 7));
}

TEST(WorkCalendar, WorksInANonDefaultZone) {
  CalendarSettings settings;
  settings.time_zone = "America/New_York";
  settings.work_start = LocalTime{8 * 60};
  settings.work_end = LocalTime{17 * 60};
  const auto calendar = Make(settings);
  // Friday 6 March 16:00 EST (21:00 UTC); the US springs forward on 8 March.
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 3, 6, 21), 2), Utc(2026, 3, 10, 20));
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 3, 6, 23)), Utc(2026, 3, 9, 12));
  EXPECT_EQ(calendar.ToLocalDate(Utc(2026, 3, 7, 3)), Date(2026, 3, 6));
}

TEST(WorkCalendar, AWallTimeSkippedBySpringForwardMapsToTheJump) {
  CalendarSettings settings;
  settings.working_weekdays = {0, 1, 2, 3, 4, 5, 6};
  settings.work_start = LocalTime{3 * 60 + 30};
  settings.work_end = LocalTime{24 * 60};
  const auto calendar = Make(settings);
  // Sunday 29 March 2026: 03:00 EET jumps to 04:00 EEST (01:00 UTC); 03:30 never happens.
  EXPECT_EQ(calendar.NextWorkingMoment(Utc(2026, 3, 29, 0, 15)), Utc(2026, 3, 29, 1));
  // Saturday 03:30 EET + 1 working day -> the jump on Sunday.
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 3, 28, 1, 30), 1), Utc(2026, 3, 29, 1));
}

TEST(WorkCalendar, ARepeatedWallTimeAfterFallBackMapsToItsFirstOccurrence) {
  CalendarSettings settings;
  settings.working_weekdays = {0, 1, 2, 3, 4, 5, 6};
  settings.work_start = LocalTime{0};
  settings.work_end = LocalTime{24 * 60};
  const auto calendar = Make(settings);
  // Sunday 25 October 2026: 04:00 EEST goes back to 03:00 EET, so 03:30 happens twice
  // (00:30 and 01:30 UTC). Saturday 03:30 EEST (00:30 UTC) + 1 -> the first one.
  EXPECT_EQ(calendar.AddWorkingDays(Utc(2026, 10, 24, 0, 30), 1), Utc(2026, 10, 25, 0, 30));
  // Both occurrences are inside working hours.
  EXPECT_TRUE(calendar.IsWorkingMoment(Utc(2026, 10, 25, 1, 30)));
}

TEST(WorkCalendar, NegativeDaysAreABug) {
  const auto calendar = Make();
  EXPECT_THROW((void)calendar.AddWorkingDays(Utc(2026, 11, 27, 10), -1), std::invalid_argument);
}

TEST(WorkCalendar, RejectsAnUnknownTimeZone) {
  CalendarSettings settings;
  settings.time_zone = "Europe/Atlantis";
  auto calendar = WorkCalendar::Create(settings);
  ASSERT_FALSE(calendar);
  EXPECT_EQ(calendar.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_NE(calendar.error().message.find("Europe/Atlantis"), std::string::npos);
}

TEST(WorkCalendar, RejectsEmptyWeekEmptyHoursAndConflictingDays) {
  CalendarSettings empty_week;
  empty_week.working_weekdays.clear();
  EXPECT_FALSE(WorkCalendar::Create(empty_week));

  CalendarSettings backwards;
  backwards.work_start = LocalTime{18 * 60};
  backwards.work_end = LocalTime{9 * 60};
  EXPECT_FALSE(WorkCalendar::Create(backwards));

  CalendarSettings conflict;
  conflict.holidays = {Date(2026, 11, 28)};
  conflict.moved_working_days = {Date(2026, 11, 28)};
  auto result = WorkCalendar::Create(conflict);
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("2026-11-28"), std::string::npos);
}

TEST(WorkCalendar, ParsesTimesDatesAndWeekdaysStrictly) {
  EXPECT_EQ(ParseLocalTime("09:30")->minutes, 9 * 60 + 30);
  EXPECT_FALSE(ParseLocalTime("25:00"));
  EXPECT_FALSE(ParseLocalTime("9:30"));
  EXPECT_FALSE(ParseLocalTime("12:60"));
  EXPECT_FALSE(ParseLocalTime("24:00"));
  EXPECT_EQ(ParseLocalTime("24:00", true)->minutes, 24 * 60);

  EXPECT_EQ(*ParseLocalDate("2026-12-25"), Date(2026, 12, 25));
  EXPECT_FALSE(ParseLocalDate("2026-02-30"));
  EXPECT_FALSE(ParseLocalDate("25.12.2026"));
  EXPECT_FALSE(ParseLocalDate("2026-1-5"));

  EXPECT_EQ(*ParseWeekday("Mon"), 1u);
  EXPECT_EQ(*ParseWeekday("sun"), 0u);
  EXPECT_FALSE(ParseWeekday("monday"));
}

}  // namespace
}  // namespace planfix_flow::calendar
