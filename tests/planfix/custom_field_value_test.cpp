#include "planfix_flow/planfix/custom_field_value.h"

#include <gtest/gtest.h>

namespace planfix_flow::planfix {
namespace {

using nlohmann::json;

json Encode(FieldType type, const json& input) {
  auto encoded = EncodeCustomFieldValue(type, input);
  EXPECT_TRUE(encoded) << encoded.error().ToString();
  return encoded ? *encoded : json();
}

void ExpectRejected(FieldType type, const json& input, const std::string& fragment = "") {
  auto encoded = EncodeCustomFieldValue(type, input);
  ASSERT_FALSE(encoded) << "accepted " << input.dump() << " as " << encoded->dump();
  EXPECT_EQ(encoded.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_NE(encoded.error().message.find(FieldTypeName(type)), std::string::npos)
      << encoded.error().message;
  if (!fragment.empty()) {
    EXPECT_NE(encoded.error().message.find(fragment), std::string::npos) << encoded.error().message;
  }
}

TEST(EncodeCustomFieldValue, KeepsTextForLineAndTextFields) {
  EXPECT_EQ(Encode(FieldType::kLine, "  ACME Ltd "), json("ACME Ltd"));
  EXPECT_EQ(Encode(FieldType::kText, "line one\nline two "), json("line one\nline two "));
  EXPECT_EQ(Encode(FieldType::kText, json::array({"Google Ads", "Meta"})),
            json("Google Ads, Meta"));
  EXPECT_EQ(Encode(FieldType::kLine, 42), json("42"));
  ExpectRejected(FieldType::kLine, true);
}

TEST(EncodeCustomFieldValue, ParsesNumbersWithDecimalCommasAndGroupSpaces) {
  EXPECT_EQ(Encode(FieldType::kNumber, "99"), json(99));
  EXPECT_EQ(Encode(FieldType::kNumber, "1 234,5"), json(1234.5));
  EXPECT_EQ(Encode(FieldType::kNumber,
                   "12\xC2\xA0"
                   "000"),
            json(12000));
  EXPECT_EQ(Encode(FieldType::kNumber, "-3.25"), json(-3.25));
  EXPECT_EQ(Encode(FieldType::kNumber, "+7"), json(7));
  EXPECT_EQ(Encode(FieldType::kNumber, 5.5), json(5.5));
}

TEST(EncodeCustomFieldValue, RejectsTextThatIsNotANumber) {
  ExpectRejected(FieldType::kNumber, "abc", "abc");
  ExpectRejected(FieldType::kNumber, "12abc");
  ExpectRejected(FieldType::kNumber, "1,234.5", "ambiguous");
  ExpectRejected(FieldType::kNumber, "");
  ExpectRejected(FieldType::kNumber, "inf");
  ExpectRejected(FieldType::kNumber, "nan");
  ExpectRejected(FieldType::kNumber, true);
  ExpectRejected(FieldType::kNumber, json());
}

TEST(EncodeCustomFieldValue, ConvertsIsoAndPlanfixDatesToPlanfixDates) {
  EXPECT_EQ(Encode(FieldType::kDate, "2026-11-27"), (json{{"date", "27-11-2026"}}));
  EXPECT_EQ(Encode(FieldType::kDate, "27-11-2026"), (json{{"date", "27-11-2026"}}));
  EXPECT_EQ(Encode(FieldType::kDate, "7.3.2026"), (json{{"date", "07-03-2026"}}));
  EXPECT_EQ(Encode(FieldType::kDate, "2024-02-29"), (json{{"date", "29-02-2024"}}));
  EXPECT_EQ(Encode(FieldType::kDate, json{{"date", "2026-01-05"}}), (json{{"date", "05-01-2026"}}));
}

TEST(EncodeCustomFieldValue, RejectsDatesInUnknownFormatsOrNotOnTheCalendar) {
  ExpectRejected(FieldType::kDate, "11/27/2026");
  ExpectRejected(FieldType::kDate, "tomorrow");
  ExpectRejected(FieldType::kDate, "2026-13-01", "month");
  ExpectRejected(FieldType::kDate, "2023-02-29", "day");
  ExpectRejected(FieldType::kDate, "31-04-2026", "day");
  ExpectRejected(FieldType::kDate, "27-11-26", "four digits");
  ExpectRejected(FieldType::kDate, 20261127);
}

// Found by fuzz_google_form: messages quoted the input cut at a byte count, splitting a
// Cyrillic letter in two; the invalid UTF-8 then made the staff message's JSON throw.
TEST(EncodeCustomFieldValue, ShortensQuotedInputAtACharacterBoundary) {
  std::string cyrillic;
  for (int i = 0; i < 40; ++i) cyrillic += "ж";
  for (const std::string& input : {cyrillic, "x" + cyrillic}) {
    for (const auto type : {FieldType::kNumber, FieldType::kDate, FieldType::kTime}) {
      auto encoded = EncodeCustomFieldValue(type, json(input));
      ASSERT_FALSE(encoded);
      EXPECT_NO_THROW((void)json(encoded.error().message).dump()) << encoded.error().message;
    }
  }
}

TEST(EncodeCustomFieldValue, NormalisesTimes) {
  EXPECT_EQ(Encode(FieldType::kTime, "9:05"), (json{{"time", "09:05"}}));
  EXPECT_EQ(Encode(FieldType::kTime, "17:55:30"), (json{{"time", "17:55"}}));
  ExpectRejected(FieldType::kTime, "24:00");
  ExpectRejected(FieldType::kTime, "12:60");
  ExpectRejected(FieldType::kTime, "noon");
}

TEST(EncodeCustomFieldValue, SplitsDateTimesIntoDateAndTime) {
  EXPECT_EQ(Encode(FieldType::kDateTime, "2026-11-27 17:55"),
            (json{{"date", "27-11-2026"}, {"time", "17:55"}}));
  EXPECT_EQ(Encode(FieldType::kDateTime, "2026-11-27T08:00:00"),
            (json{{"date", "27-11-2026"}, {"time", "08:00"}}));
  EXPECT_EQ(Encode(FieldType::kDateTime, "27-11-2026"),
            (json{{"date", "27-11-2026"}, {"time", "00:00"}}));
  ExpectRejected(FieldType::kDateTime, "2026-11-27T08:00:00Z", "time zone");
  ExpectRejected(FieldType::kDateTime, "2026-11-27 25:00");
}

TEST(EncodeCustomFieldValue, ReadsYesAndNoInSeveralLanguagesForCheckboxes) {
  EXPECT_EQ(Encode(FieldType::kCheckbox, true), json(true));
  EXPECT_EQ(Encode(FieldType::kCheckbox, "Yes"), json(true));
  EXPECT_EQ(Encode(FieldType::kCheckbox, "так"), json(true));
  EXPECT_EQ(Encode(FieldType::kCheckbox, "Ні"), json(false));
  EXPECT_EQ(Encode(FieldType::kCheckbox, 0), json(false));
  ExpectRejected(FieldType::kCheckbox, "maybe");
  ExpectRejected(FieldType::kCheckbox, 2);
}

// Issue 11: a bilingual form option ("Так / Yes") left the checkbox unwritten.
TEST(ParseCheckboxAnswer, ReadsBilingualOptionsAndCapitalsInEitherAlphabet) {
  for (const char* yes : {"Так / Yes", "Yes/Так", "ТАК", "так.", "Да | Yes", " TRUE "}) {
    auto parsed = ParseCheckboxAnswer(yes);
    ASSERT_TRUE(parsed) << yes << ": " << parsed.error().message;
    EXPECT_TRUE(*parsed) << yes;
  }
  for (const char* no : {"Ні / No", "НІ", "No / Ні / Нет", "off"}) {
    auto parsed = ParseCheckboxAnswer(no);
    ASSERT_TRUE(parsed) << no << ": " << parsed.error().message;
    EXPECT_FALSE(*parsed) << no;
  }
  // Parts that disagree, or any part that is no yes/no word, mean nothing.
  for (const char* unclear : {"Так / No", "Так / Maybe", "Так /", "", "Не знаю", "Yes, please"}) {
    auto parsed = ParseCheckboxAnswer(unclear);
    ASSERT_FALSE(parsed) << unclear;
    EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidInput);
  }
}

TEST(ParseCheckboxAnswer, DeclaredWordsReplaceTheDefaults) {
  const CheckboxWords words{{"Надам сьогодні", "Вже надав(ла)"}, {"Поки що ні"}};
  EXPECT_EQ(ParseCheckboxAnswer("  надам СЬОГОДНІ ", words).value(), true);
  EXPECT_EQ(ParseCheckboxAnswer("Вже надав(ла)", words).value(), true);
  EXPECT_EQ(ParseCheckboxAnswer("ПОКИ ЩО НІ", words).value(), false);
  auto other = ParseCheckboxAnswer("Так / Yes", words);
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("Надам сьогодні"), std::string::npos)
      << other.error().message;
}

TEST(EncodeCustomFieldValue, WritesTheOptionTextForLists) {
  EXPECT_EQ(Encode(FieldType::kList, " Website "), json("Website"));
  EXPECT_EQ(Encode(FieldType::kList, json::array({"Website"})), json("Website"));
  ExpectRejected(FieldType::kList, json::array({"a", "b"}));
  ExpectRejected(FieldType::kList, "");
}

TEST(EncodeCustomFieldValue, ChecksListOptionsAgainstTheCatalogue) {
  CustomFieldDefinition field{80, "Channel", FieldType::kList, {"Website", "Ads"}};
  auto ok = EncodeCustomFieldValue(field, "Ads");
  ASSERT_TRUE(ok);
  EXPECT_EQ(*ok, json("Ads"));
  auto bad = EncodeCustomFieldValue(field, "Radio");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_NE(bad.error().message.find("Channel"), std::string::npos);
  EXPECT_NE(bad.error().message.find("Radio"), std::string::npos);

  CustomFieldDefinition set{200, "Services", FieldType::kSetOfValues, {"SEO", "SMM"}};
  EXPECT_TRUE(EncodeCustomFieldValue(set, json::array({"SEO", "SMM"})));
  EXPECT_FALSE(EncodeCustomFieldValue(set, json::array({"SEO", "PPC"})));
}

TEST(EncodeCustomFieldValue, PrefixesPeopleIdsByFieldType) {
  EXPECT_EQ(Encode(FieldType::kContact, "12"), (json{{"id", "contact:12"}}));
  EXPECT_EQ(Encode(FieldType::kContact, "contact:12"), (json{{"id", "contact:12"}}));
  EXPECT_EQ(Encode(FieldType::kCounterparty, 10), (json{{"id", "contact:10"}}));
  EXPECT_EQ(Encode(FieldType::kEmployee, 3), (json{{"id", "user:3"}}));
  EXPECT_EQ(Encode(FieldType::kGroupEmployeeOrContact, "group:1"), (json{{"id", "group:1"}}));
  ExpectRejected(FieldType::kContact, "user:3");
  ExpectRejected(FieldType::kEmployee, "contact:3");
  ExpectRejected(FieldType::kGroupEmployeeOrContact, "5");
  ExpectRejected(FieldType::kContact, "Ivan");
}

TEST(EncodeCustomFieldValue, BuildsListsOfUsersAndSets) {
  EXPECT_EQ(Encode(FieldType::kListOfUsers, json::array({"user:1", 5, "contact:7"})),
            (json::array({{{"id", "user:1"}}, {{"id", "user:5"}}, {{"id", "contact:7"}}})));
  EXPECT_EQ(Encode(FieldType::kListOfUsers, "user:1, group:5"),
            (json::array({{{"id", "user:1"}}, {{"id", "group:5"}}})));
  EXPECT_EQ(Encode(FieldType::kSetOfValues, "First element"), json::array({"First element"}));
  EXPECT_EQ(Encode(FieldType::kSetOfValues, json::array({"a", "b", "a"})), json::array({"a", "b"}));
  EXPECT_EQ(Encode(FieldType::kSetOfDirectoryValues, "1;2"),
            (json::array({{{"id", 1}}, {{"id", 2}}})));
  EXPECT_EQ(Encode(FieldType::kFiles, json::array({204308, "205305"})),
            json::array({204308, 205305}));
  EXPECT_EQ(Encode(FieldType::kTaskSet, "111,112"), (json::array({{{"id", 111}}, {{"id", 112}}})));
  ExpectRejected(FieldType::kListOfUsers, json::array({"boss"}));
  ExpectRejected(FieldType::kFiles, json::array({"x"}));
}

TEST(EncodeCustomFieldValue, WrapsDirectoryTaskAndProjectReferences) {
  EXPECT_EQ(Encode(FieldType::kDirectoryEntry, "2"), (json{{"id", 2}}));
  EXPECT_EQ(Encode(FieldType::kDirectoryEntry, "key-5"), (json{{"id", "key-5"}}));
  EXPECT_EQ(Encode(FieldType::kTask, "#111"), (json{{"id", 111}}));
  EXPECT_EQ(Encode(FieldType::kProject, 5), (json{{"id", 5}}));
  EXPECT_EQ(Encode(FieldType::kPeriod, "01:15-04:40"),
            (json{{"from", {{"time", "01:15"}}}, {"to", {{"time", "04:40"}}}}));
  EXPECT_EQ(Encode(FieldType::kLocation, "Kyiv, Khreshchatyk 1"),
            (json{{"address", "Kyiv, Khreshchatyk 1"}}));
  ExpectRejected(FieldType::kTask, "task");
  ExpectRejected(FieldType::kProject, -1);
}

TEST(EncodeCustomFieldValue, RejectsComputedFieldsAsReadOnly) {
  for (FieldType type : {FieldType::kDataTagSummaries, FieldType::kCalculated,
                         FieldType::kSubtaskTotal, FieldType::kAiResult, FieldType::kComputed29}) {
    EXPECT_TRUE(IsReadOnly(type));
    ExpectRejected(type, "1", "read-only");
  }
  EXPECT_FALSE(IsReadOnly(FieldType::kNumber));
}

TEST(EncodeCustomFieldValue, RejectsUnknownFieldTypes) {
  auto encoded = EncodeCustomFieldValue(static_cast<FieldType>(99), "x");
  ASSERT_FALSE(encoded);
  EXPECT_EQ(encoded.error().code, core::ErrorCode::kInvalidInput);
}

TEST(MakeCustomFieldValue, NamesTheFieldInErrors) {
  CustomFieldDefinition budget{105, "Budget", FieldType::kNumber, {}};
  auto value = MakeCustomFieldValue(budget, "about 500");
  ASSERT_FALSE(value);
  EXPECT_NE(value.error().message.find("field 105 \"Budget\""), std::string::npos);
  auto good = MakeCustomFieldValue(budget, "500");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->field_id, 105);
  EXPECT_EQ(good->value, json(500));
}

}  // namespace
}  // namespace planfix_flow::planfix
