// The monthly report of communication and production time: classification, pricing in minor
// units, totals, ratios, margins and the order of the deals, and its three renderings.
#include "planfix_flow/timekeeping/time_report.h"
#include "planfix_flow/timekeeping/amount.h"

#include <gtest/gtest.h>

namespace planfix_flow::timekeeping {
namespace {

using nlohmann::json;

TEST(Classify, EntryKindThenTemplateThenProcessThenFallback) {
  ClassifyRule rule;
  rule.communication_kinds = {"Переговори", "Presentation"};
  rule.production_kinds = {"Розробка"};
  rule.communication_templates = {12};
  rule.communication_processes = {7};
  rule.production_processes = {8};
  EXPECT_EQ(Classify(rule, " переговори ", {std::nullopt, 8}), WorkKind::kCommunication);
  EXPECT_EQ(Classify(rule, "PRESENTATION", {}), WorkKind::kCommunication);
  EXPECT_EQ(Classify(rule, "Розробка", {12, 7}), WorkKind::kProduction);
  EXPECT_EQ(Classify(rule, "", {12, 8}), WorkKind::kCommunication);
  EXPECT_EQ(Classify(rule, "other", {std::nullopt, 7}), WorkKind::kCommunication);
  EXPECT_EQ(Classify(rule, "", {std::nullopt, 8}), WorkKind::kProduction);
  EXPECT_EQ(Classify(rule, "", {}), WorkKind::kProduction);
  rule.fallback = WorkKind::kCommunication;
  EXPECT_EQ(Classify(rule, "", {}), WorkKind::kCommunication);
}

TEST(Month, ParsesAndSpans) {
  auto month = ParseMonth("2024-02");
  ASSERT_TRUE(month);
  EXPECT_EQ(month->Last(), (calendar::LocalDate{2024, 2, 29}));
  EXPECT_EQ(month->Next().ToString(), "2024-03");
  EXPECT_EQ((Month{2026, 1}).Previous().ToString(), "2025-12");
  EXPECT_EQ((Month{2026, 12}).Next().ToString(), "2027-01");
  EXPECT_FALSE(ParseMonth("2026-13"));
  EXPECT_FALSE(ParseMonth("2026-1"));
  EXPECT_FALSE(ParseMonth("26-11-01"));
}

class TimeReportTest : public ::testing::Test {
 protected:
  TimeReportTest() {
    input_.month = Month{2026, 11};
    input_.currency = "UAH";
    input_.rates.default_per_hour = 50000;        // 500.00 an hour
    input_.rates.per_employee["user:2"] = 90000;  // the sales manager: 900.00
    // Deal 10: an automation worth 10 minutes of work sold in 4 hours of talk.
    input_.deals.push_back({10, "Автоматизація", 7, "Олена", 20000});
    // Deal 20: a website, mostly production, partly paid.
    input_.deals.push_back({20, "Сайт", 8, "Ігор", 5000000});
    // Deal 30: no amount yet.
    input_.deals.push_back({30, "Аудит", 8, "Ігор", std::nullopt});
    Add(1, 10, "user:2", {2026, 11, 3}, 120, WorkKind::kCommunication);
    Add(2, 10, "user:5", {2026, 11, 4}, 120, WorkKind::kCommunication);
    Add(3, 10, "user:5", {2026, 11, 5}, 10, WorkKind::kProduction);
    Add(4, 20, "user:5", {2026, 10, 20}, 600, WorkKind::kProduction);  // October: to date only
    Add(5, 20, "user:5", {2026, 11, 6}, 1200, WorkKind::kProduction);
    Add(6, 20, "user:2", {2026, 11, 6}, 90, WorkKind::kCommunication);
    Add(7, 30, "user:9", {2026, 11, 9}, 45, WorkKind::kProduction);
    Add(8, 20, "user:5", {2026, 12, 1}, 999, WorkKind::kProduction);  // December: ignored
    input_.savings.push_back({10, "brief", 1, 10});
    input_.savings.push_back({10, "reminder", 2, 10});
  }
  void Add(std::int64_t key, std::int64_t deal, std::string employee, calendar::LocalDate date,
           std::int64_t minutes, WorkKind kind) {
    input_.entries.push_back({key, deal, std::move(employee), date, minutes, kind});
  }

  TimeReportInput input_;
};

TEST_F(TimeReportTest, DealsWhereTalkCostMoreComeFirstWithExactFigures) {
  const TimeReport report = BuildTimeReport(input_);
  ASSERT_EQ(report.deals.size(), 3U);
  const ReportLine& automation = report.deals[0];
  EXPECT_EQ(automation.deal, 10);
  EXPECT_TRUE(automation.communication_over_production);
  EXPECT_EQ(automation.communication.minutes, 240);
  EXPECT_EQ(automation.communication.cost, 180000 + 100000);  // 2 h × 900 + 2 h × 500
  EXPECT_EQ(automation.production.minutes, 10);
  EXPECT_EQ(automation.production.cost, 8333);  // 10 min × 500 / 60 = 83.333
  EXPECT_EQ(automation.ratio_hundredths, 2400);
  EXPECT_EQ(automation.saved_minutes, 20);
  EXPECT_EQ(automation.revenue, 20000);
  EXPECT_EQ(automation.cost_to_date, 288333);
  EXPECT_EQ(automation.margin, 20000 - 288333);

  // Then by margin: the website (known) before the audit (no amount).
  EXPECT_EQ(report.deals[1].deal, 20);
  EXPECT_FALSE(report.deals[1].communication_over_production);
  EXPECT_EQ(report.deals[1].production.minutes, 1200);  // October's 600 not in the month
  EXPECT_EQ(report.deals[1].production.cost, 1000000);
  EXPECT_EQ(report.deals[1].communication.cost, 135000);
  EXPECT_EQ(report.deals[1].cost_to_date, 1000000 + 500000 + 135000);
  EXPECT_EQ(report.deals[1].margin, 5000000 - 1635000);
  EXPECT_EQ(report.deals[1].ratio_hundredths, 8);  // 90 / 1200 = 0.075 -> 0.08
  EXPECT_EQ(report.deals[2].deal, 30);
  EXPECT_FALSE(report.deals[2].margin.has_value());
  EXPECT_EQ(report.deals[2].ratio_hundredths, 0);

  // Totals are the sums of the deal lines, to the minor unit.
  EXPECT_EQ(report.total.communication.minutes, 330);
  EXPECT_EQ(report.total.communication.cost, 280000 + 135000);
  EXPECT_EQ(report.total.production.minutes, 10 + 1200 + 45);
  EXPECT_EQ(report.total.production.cost, 8333 + 1000000 + 37500);
  EXPECT_EQ(report.total.saved_minutes, 20);
  EXPECT_EQ(report.total.revenue, 20000 + 5000000);
  EXPECT_EQ(report.total.margin, (20000 - 288333) + (5000000 - 1635000));

  // Per client, most communication cost first.
  ASSERT_EQ(report.clients.size(), 2U);
  EXPECT_EQ(report.clients[0].client, 7);
  EXPECT_EQ(report.clients[1].client, 8);
  EXPECT_EQ(report.clients[1].production.minutes, 1245);
}

TEST_F(TimeReportTest, ReceivedMoneyReplacesTheAmountAsTheMarginsRevenue) {
  // Two payments for deal 20's invoice (one in October), and one after the month: not yet.
  input_.receipts.push_back({"payment:monobank:a", 21, 20, 8, 1000000, {2026, 10, 30}});
  input_.receipts.push_back({"payment:monobank:b", 21, 20, 8, 1500000, {2026, 11, 2}});
  input_.receipts.push_back({"payment:monobank:c", 21, 20, 8, 700000, {2026, 12, 1}});
  const TimeReport report = BuildTimeReport(input_);
  ASSERT_EQ(report.deals[1].deal, 20);
  EXPECT_EQ(report.deals[1].amount, 5000000);
  EXPECT_EQ(report.deals[1].received, 2500000);
  EXPECT_EQ(report.deals[1].revenue, 2500000);
  EXPECT_EQ(report.deals[1].revenue_source, RevenueSource::kReceived);
  EXPECT_EQ(report.deals[1].margin, 2500000 - 1635000);
  // Deal 10 received nothing: its margin stays on its amount.
  EXPECT_EQ(report.deals[0].revenue_source, RevenueSource::kAmount);
  EXPECT_FALSE(report.deals[0].received.has_value());
  EXPECT_EQ(report.total.received, 2500000);
  EXPECT_EQ(report.total.amount, 20000 + 5000000);
  EXPECT_EQ(report.total.revenue_source, RevenueSource::kMixed);
  EXPECT_EQ(report.clients[1].revenue_source, RevenueSource::kReceived);
}

TEST_F(TimeReportTest, APaymentWithoutADealGoesToItsClientsOneDealOfTheMonthOrIsListedApart) {
  // Client 7 has one deal with work in November (10); client 8 has two (20 and 30).
  input_.receipts.push_back({"payment:monobank:x", 91, std::nullopt, 7, 10000, {2026, 11, 9}});
  input_.receipts.push_back({"payment:monobank:y", 92, std::nullopt, 8, 30000, {2026, 11, 9}});
  input_.receipts.push_back(
      {"payment:monobank:z", 93, std::nullopt, std::nullopt, 500, {2026, 11, 9}});
  // October's payment without a deal belongs to October's report.
  input_.receipts.push_back({"payment:monobank:o", 94, std::nullopt, 7, 800, {2026, 10, 9}});
  TimeReport report = BuildTimeReport(input_);
  ASSERT_EQ(report.deals[0].deal, 10);
  EXPECT_EQ(report.deals[0].received, 10000);
  ASSERT_EQ(report.received_without_deal.size(), 2U);
  EXPECT_EQ(report.received_without_deal[0].receipt.key, "payment:monobank:y");
  EXPECT_NE(report.received_without_deal[0].reason.find("2 deals this month"), std::string::npos);
  EXPECT_EQ(report.received_without_deal[1].receipt.invoice_task, 93);
  EXPECT_NE(RenderTable(report).find("305.00 received without a deal"), std::string::npos)
      << RenderTable(report);
  const std::string csv = RenderCsv(report);
  EXPECT_NE(csv.find("\nunassigned,2026-11,UAH,8,,,,,,,,,,,,,,,,,300.00,92,payment:monobank:y,"),
            std::string::npos)
      << csv;
  EXPECT_EQ(ToJson(report)["received_without_deal"][0]["amount"], 30000);

  // One client only: the other client's payments are not listed.
  input_.client = 7;
  report = BuildTimeReport(input_);
  EXPECT_TRUE(report.received_without_deal.empty());
  EXPECT_EQ(report.deals[0].received, 10000);
}

TEST_F(TimeReportTest, EmployeesWithoutARateAreCountedButNotPriced) {
  input_.rates.default_per_hour.reset();
  const TimeReport report = BuildTimeReport(input_);
  const ReportLine& audit = report.deals.back();
  EXPECT_EQ(audit.production.minutes, 45);
  EXPECT_EQ(audit.production.cost, 0);
  EXPECT_EQ(audit.unpriced_minutes, 45);
  // Everyone without a rate of their own is unpriced now, not only the auditor.
  EXPECT_GE(report.total.unpriced_minutes, 45);
  EXPECT_NE(RenderTable(report).find(FormatMinutes(report.total.unpriced_minutes) +
                                     " of the month's time has no hourly rate"),
            std::string::npos);
}

TEST_F(TimeReportTest, OneClientOnly) {
  input_.client = 8;
  const TimeReport report = BuildTimeReport(input_);
  ASSERT_EQ(report.deals.size(), 2U);
  EXPECT_EQ(report.total.communication.minutes, 90);
  ASSERT_EQ(report.clients.size(), 1U);
}

TEST_F(TimeReportTest, RendersTableCsvAndJson) {
  const TimeReport report = BuildTimeReport(input_);
  const std::string table = RenderTable(report);
  EXPECT_NE(table.find("Communication and production time, 2026-11 (amounts in UAH)"),
            std::string::npos);
  EXPECT_NE(table.find("! #10 Автоматизація"), std::string::npos);
  EXPECT_NE(table.find("-2683.33"), std::string::npos);
  EXPECT_LT(table.find("#10"), table.find("#20"));

  const std::string csv = RenderCsv(report);
  EXPECT_NE(csv.find("deal,2026-11,UAH,7,Олена,10,Автоматизація,240,2800.00,10,83.33,24.00,20,0,"
                     "200.00,amount,2883.33,-2683.33,yes,200.00,,,,\n"),
            std::string::npos)
      << csv;
  EXPECT_NE(csv.find("total,2026-11,UAH,,,,,330,4150.00,1255,10458.33,0.26,20,0,50200.00,amount,"
                     "19608.33,30966.67,no,50200.00,,,,\n"),
            std::string::npos)
      << csv;

  const json parsed = ToJson(report);
  EXPECT_EQ(parsed["deals"][0]["deal"], 10);
  EXPECT_EQ(parsed["deals"][0]["margin"], -268333);
  EXPECT_EQ(parsed["deals"][0]["communication"]["cost"], 280000);
  EXPECT_EQ(parsed["deals"][2]["margin"], nullptr);
  EXPECT_EQ(parsed["total"]["saved_minutes"], 20);
  EXPECT_EQ(parsed["currency"], "UAH");
}

}  // namespace
}  // namespace planfix_flow::timekeeping
