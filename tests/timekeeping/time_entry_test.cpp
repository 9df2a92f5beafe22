// Reading time records from data-tag entries: every shape Planfix gives a duration, a period,
// a date and an employee, and every way an entry can be wrong (with the reason).
#include "planfix_flow/timekeeping/time_entry.h"

#include <gtest/gtest.h>

#include "planfix_flow/core/money.h"
#include "planfix_flow/timekeeping/amount.h"

namespace planfix_flow::timekeeping {
namespace {

using nlohmann::json;

constexpr std::int64_t kDate = 11;
constexpr std::int64_t kDuration = 12;
constexpr std::int64_t kPeriod = 13;
constexpr std::int64_t kEmployee = 14;
constexpr std::int64_t kKind = 15;

EntryLayout Layout(DurationUnit unit = DurationUnit::kMinutes) {
  EntryLayout layout;
  layout.date = kDate;
  layout.duration = kDuration;
  layout.period = kPeriod;
  layout.employee = kEmployee;
  layout.kind = kKind;
  layout.duration_unit = unit;
  return layout;
}

planfix::DataTagEntry Entry(std::vector<std::pair<std::int64_t, json>> fields,
                            std::optional<long long> task = 42) {
  planfix::DataTagEntry entry;
  entry.key = 7;
  entry.data_tag_id = 3;
  entry.task_id = task;
  for (auto& [id, value] : fields) entry.custom_fields.push_back({id, std::move(value)});
  return entry;
}

json Date(const char* text) {
  return json{{"date", text}, {"time", "00:00"}, {"datetime", "2026-11-27T00:00Z"}};
}
json Employee(const char* id) { return json{{"id", id}, {"name", "Olena"}}; }

std::string Reason(const core::Result<TimeEntry>& entry) {
  return entry ? std::string("(parsed)") : entry.error().message;
}

TEST(TimeEntry, ReadsDateDurationEmployeeTaskAndKind) {
  auto entry = ParseTimeEntry(Entry({{kDate, Date("27-11-2026")},
                                     {kDuration, 240},
                                     {kEmployee, Employee("user:5")},
                                     {kKind, "Переговори"}}),
                              Layout());
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->key, 7);
  EXPECT_EQ(entry->task, 42);
  EXPECT_EQ(entry->employee, "user:5");
  EXPECT_EQ(entry->date, (calendar::LocalDate{2026, 11, 27}));
  EXPECT_EQ(entry->minutes, 240);
  EXPECT_EQ(entry->kind, "Переговори");
}

TEST(TimeEntry, HoursAreConvertedExactlyToMinutes) {
  const auto minutes = [](json hours) {
    auto entry = ParseTimeEntry(
        Entry({{kDate, Date("01-11-2026")}, {kDuration, hours}, {kEmployee, Employee("5")}}),
        Layout(DurationUnit::kHours));
    return entry ? entry->minutes : -1;
  };
  EXPECT_EQ(minutes(1.5), 90);
  EXPECT_EQ(minutes(0.1), 6);     // 0.1 is not exact in binary; the digits are
  EXPECT_EQ(minutes(0.29), 17);   // 17.4 -> 17
  EXPECT_EQ(minutes(0.175), 11);  // 10.5 -> 11, half away from zero
  EXPECT_EQ(minutes("2.25"), 135);
  EXPECT_EQ(minutes(4), 240);
  EXPECT_EQ(minutes(24), 1440);
}

TEST(TimeEntry, TimeFieldAndPeriodsGiveTheirSpan) {
  auto time = ParseTimeEntry(Entry({{kDate, Date("01-11-2026")},
                                    {kDuration, json{{"time", "01:45"}}},
                                    {kEmployee, Employee("user:5")}}),
                             Layout());
  ASSERT_TRUE(time);
  EXPECT_EQ(time->minutes, 105);

  auto period = ParseTimeEntry(
      Entry({{kDate, Date("01-11-2026")},
             {kPeriod, json{{"from", {{"time", "09:15"}}}, {"to", {{"time", "13:40"}}}}},
             {kEmployee, Employee("user:5")}}),
      Layout());
  ASSERT_TRUE(period);
  EXPECT_EQ(period->minutes, 265);

  // A date with a time frame may cross midnight and carries its own date.
  auto frame =
      ParseTimeEntry(Entry({{kPeriod, json{{"from", {{"date", "21-12-2026"}, {"time", "21:15"}}},
                                           {"to", {{"date", "22-12-2026"}, {"time", "00:40"}}},
                                           {"considerTimeZone", true}}},
                            {kEmployee, "user:8"}}),
                     Layout());
  ASSERT_TRUE(frame) << frame.error().message;
  EXPECT_EQ(frame->minutes, 205);
  EXPECT_EQ(frame->date, (calendar::LocalDate{2026, 12, 21}));
  EXPECT_EQ(frame->employee, "user:8");
}

TEST(TimeEntry, BadEntriesSayWhy) {
  const auto reason = [](std::vector<std::pair<std::int64_t, json>> fields,
                         std::optional<long long> task = 42) {
    return Reason(ParseTimeEntry(Entry(std::move(fields), task), Layout()));
  };
  const json date = Date("01-11-2026");
  const json who = Employee("user:5");
  EXPECT_EQ(reason({{kDate, date}, {kDuration, -30}, {kEmployee, who}}),
            "the duration is negative (-30 minutes)");
  EXPECT_EQ(reason({{kDate, date}, {kDuration, 1441}, {kEmployee, who}}),
            "the duration is absurd (1441 minutes, more than 24 hours)");
  EXPECT_EQ(reason({{kDate, date}, {kDuration, "about an hour"}, {kEmployee, who}}),
            "the duration is unparsable (about an hour)");
  EXPECT_EQ(reason({{kDate, date}, {kDuration, 1e300}, {kEmployee, who}}),
            "the duration is unparsable (1e+300)");
  EXPECT_EQ(reason({{kDate, date}, {kDuration, json{{"time", "25:00"}}}, {kEmployee, who}}),
            "the duration is unparsable ({\"time\":\"25:00\"})");
  EXPECT_EQ(reason({{kDate, date},
                    {kPeriod, json{{"from", {{"time", "13:00"}}}, {"to", {{"time", "09:00"}}}}},
                    {kEmployee, who}}),
            "the period ends before it starts ({\"from\":{\"time\":\"13:00\"},\"to\":{\"time\":"
            "\"0…)");
  EXPECT_EQ(reason({{kDate, date}, {kEmployee, who}}), "no duration and no period");
  EXPECT_EQ(reason({{kDate, date}, {kDuration, 30}}), "no employee");
  EXPECT_EQ(reason({{kDate, date}, {kDuration, 30}, {kEmployee, json{{"id", "contact:9"}}}}),
            "the employee is not an employee ({\"id\":\"contact:9\"})");
  EXPECT_EQ(reason({{kDuration, 30}, {kEmployee, who}}), "no date");
  EXPECT_EQ(reason({{kDate, Date("31-02-2026")}, {kDuration, 30}, {kEmployee, who}}),
            "the date is unparsable ({\"date\":\"31-02-2026\",\"datetime\":\"2026-11…)");
  EXPECT_EQ(reason({{kDate, date}, {kDuration, 30}, {kEmployee, who}}, std::nullopt),
            "the entry is on no task");
}

TEST(TimeEntry, NullAndEmptyValuesCountAsAbsent) {
  auto entry = ParseTimeEntry(
      Entry({{kDate, Date("01-11-2026")},
             {kDuration, nullptr},
             {kPeriod, json{{"from", {{"time", "10:00"}}}, {"to", {{"time", "10:30"}}}}},
             {kKind, ""},
             {kEmployee, Employee("user:5")}}),
      Layout());
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->minutes, 30);
  EXPECT_EQ(entry->kind, "");
}

TEST(Amount, AmountsAreReadByTheOneMoneyParser) {
  EXPECT_EQ(*ParseAmount("1500"), 150000);
  EXPECT_EQ(*ParseAmount("1500.5"), 150050);
  EXPECT_EQ(*ParseAmount("0.29"), 29);
  EXPECT_EQ(*ParseAmount("1,5"), 150);  // the decimal comma, as core::ParseMoney reads it
  EXPECT_EQ(*AmountFromJson(json(0.29)), 29);
  EXPECT_EQ(*AmountFromJson(json(1500)), 150000);
  EXPECT_EQ(*AmountFromJson(json("12 000,50")), 1200050);
  // One rule for every amount: no sign, nothing rounded away.
  EXPECT_FALSE(ParseAmount("-0.05"));
  EXPECT_FALSE(ParseAmount("0.004"));
  EXPECT_FALSE(AmountFromJson(json(-5)));
  EXPECT_FALSE(ParseAmount("1e3"));
  EXPECT_FALSE(ParseAmount("."));
  EXPECT_FALSE(ParseAmount("99999999999999999999"));
  EXPECT_FALSE(AmountFromJson(json(1e30)));
  for (const char* text : {"0", "7", "1500.5", "1 500,50", "0.07", "10000000000000"}) {
    EXPECT_EQ(ParseAmount(text).value(), core::ParseMoney(text).value()) << text;
  }
  EXPECT_EQ(FormatAmount(150050), "1500.50");
  EXPECT_EQ(FormatAmount(-5), "-0.05");
  EXPECT_EQ(FormatMinutes(245), "4:05");
  EXPECT_EQ(FormatMinutes(10), "0:10");
}

TEST(Amount, CostIsMinutesTimesRateOverSixtyRoundedOnce) {
  EXPECT_EQ(CostOf(60, 50000), 50000);
  EXPECT_EQ(CostOf(240, 50000), 200000);
  EXPECT_EQ(CostOf(10, 50000), 8333);  // 8333.33
  EXPECT_EQ(CostOf(1, 30), 1);         // 0.5 rounds up
  EXPECT_EQ(CostOf(1, 29), 0);
  EXPECT_THROW(CostOf(std::numeric_limits<std::int64_t>::max() / 2, 3), std::overflow_error);
}

}  // namespace
}  // namespace planfix_flow::timekeeping
