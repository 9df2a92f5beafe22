#include "planfix_flow/core/money.h"

#include <gtest/gtest.h>

#include <vector>

namespace planfix_flow::core {
namespace {

TEST(Money, ParsesTheWaysPeopleAndPlanfixWriteAmounts) {
  EXPECT_EQ(ParseMoney("1500").value(), 150000);
  EXPECT_EQ(ParseMoney("1 500,50").value(), 150050);
  EXPECT_EQ(ParseMoney("1500.5").value(), 150050);
  EXPECT_EQ(ParseMoney("1500.50").value(), 150050);
  EXPECT_EQ(ParseMoney("1500.0").value(), 150000);
  EXPECT_EQ(ParseMoney("1500.500").value(), 150050);  // trailing zeros say nothing more
  EXPECT_EQ(ParseMoney("0.07").value(), 7);
  EXPECT_EQ(ParseMoney("0").value(), 0);
  EXPECT_EQ(ParseMoney(" 12 ").value(), 1200);
  EXPECT_EQ(ParseMoney("1\xC2\xA0"
                       "234\xC2\xA0"
                       "567,89")
                .value(),
            123456789);
  EXPECT_EQ(ParseMoney("1'000").value(), 100000);
  EXPECT_EQ(ParseMoney("10000000000000").value(), kMaxMoneyMinor);
}

TEST(Money, RefusesWhatIsNotExactlyAnAmount) {
  for (const char* bad : {"",
                          " ",
                          "-5",
                          "+5",
                          "1.234",
                          "1,2,3",
                          "1.2.3",
                          "1e3",
                          "12abc",
                          "1 50",
                          "1  500",
                          ".5",
                          "5.",
                          "1 500 ,5",
                          "0x10",
                          "1,500.00",
                          "10000000000000.01",
                          "99999999999999999999999",
                          "NaN",
                          "inf",
                          "1_000",
                          "１２"}) {
    auto parsed = ParseMoney(bad);
    EXPECT_FALSE(parsed) << '"' << bad << "\" gave " << (parsed ? *parsed : 0);
    if (!parsed) {
      EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidInput);
    }
  }
  EXPECT_EQ(ParseMoney("1.234").error().message, "the amount has more than 2 decimals");
  EXPECT_EQ(ParseMoney("-5").error().message, "the amount must be written without a sign");
}

TEST(Money, FormatsWithTwoDecimalsAndParsesBack) {
  EXPECT_EQ(FormatMoney(150050), "1500.50");
  EXPECT_EQ(FormatMoney(7), "0.07");
  EXPECT_EQ(FormatMoney(0), "0.00");
  EXPECT_EQ(FormatMoney(-250), "-2.50");
  EXPECT_EQ(FormatMoney(INT64_MIN), "-92233720368547758.08");
  for (const std::int64_t value :
       std::vector<std::int64_t>{0, 1, 99, 100, 123456789, kMaxMoneyMinor}) {
    EXPECT_EQ(ParseMoney(FormatMoney(value)).value(), value);
  }
}

TEST(Money, FindsAnInvoiceNumberOnlyAsAWholeWord) {
  EXPECT_TRUE(MentionsNumber("Оплата за рахунком №12, без ПДВ", "12"));
  EXPECT_TRUE(MentionsNumber("оплата по рах.12", "12"));
  EXPECT_TRUE(MentionsNumber("INV 12.", "12"));
  EXPECT_TRUE(MentionsNumber("12", "12"));
  EXPECT_TRUE(MentionsNumber("payment for inv-2026-07 thanks", "INV-2026-07"));
  EXPECT_TRUE(MentionsNumber("оплата рахунку сф-15", "СФ-15"));  // Cyrillic case folded
  EXPECT_FALSE(MentionsNumber("Оплата 2012 року", "12"));
  EXPECT_FALSE(MentionsNumber("оплата від 12.11.2026", "12"));
  EXPECT_FALSE(MentionsNumber("сума 1,12 грн", "12"));
  EXPECT_FALSE(MentionsNumber("за 2026/12", "12"));
  EXPECT_FALSE(MentionsNumber("INV-12", "12"));
  EXPECT_FALSE(MentionsNumber("A12", "12"));
  EXPECT_FALSE(MentionsNumber("рахунок12", "12"));
  EXPECT_FALSE(MentionsNumber("123", "12"));
  EXPECT_FALSE(MentionsNumber("anything", ""));
  EXPECT_FALSE(MentionsNumber("1", "12"));
}

}  // namespace
}  // namespace planfix_flow::core
