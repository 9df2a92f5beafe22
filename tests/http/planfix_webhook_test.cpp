#include "planfix_flow/http/planfix_webhook.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace planfix_flow::http {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

PlanfixWebhook ParseJson(std::string_view body) {
  auto parsed = ParsePlanfixWebhook(body, PlanfixBodyFormat::kJson);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : PlanfixWebhook{};
}

std::string JsonError(std::string_view body) {
  auto parsed = ParsePlanfixWebhook(body, PlanfixBodyFormat::kJson);
  EXPECT_FALSE(parsed) << body;
  if (parsed) return {};
  EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidInput);
  return parsed.error().message;
}

std::string FormError(std::string_view body) {
  auto parsed = ParsePlanfixWebhook(body, PlanfixBodyFormat::kForm);
  EXPECT_FALSE(parsed) << body;
  return parsed ? std::string() : parsed.error().message;
}

TEST(PlanfixWebhook, ParsesAJsonBodyWithIdsAsStringsAndNumbers) {
  const auto webhook = ParseJson(R"({"event":"brief.send","task":"123","contact":"contact:45"})");
  EXPECT_EQ(webhook.event, "brief.send");
  EXPECT_EQ(webhook.ids.at("task"), "123");
  EXPECT_EQ(webhook.ids.at("contact"), "45");
  const auto numeric = ParseJson(R"({"event":"brief.send","task":123,"contact":45})");
  EXPECT_EQ(numeric.ids, webhook.ids);
}

TEST(PlanfixWebhook, NormalisesPrefixesWhitespaceAndLeadingZeros) {
  const auto webhook = ParseJson(
      R"({"event":" deal.handoff ","task":" 0042 ","contact":"contact: 7","user":"user:5",)"
      R"("project":"9"})");
  EXPECT_EQ(webhook.event, "deal.handoff");
  EXPECT_EQ(webhook.ids.at("task"), "42");
  EXPECT_EQ(webhook.ids.at("contact"), "7");
  EXPECT_EQ(webhook.ids.at("user"), "5");
  EXPECT_EQ(webhook.ids.at("project"), "9");
}

TEST(PlanfixWebhook, TreatsEmptyAndNullIdsAsAbsentAndIgnoresUnknownFields) {
  const auto webhook =
      ParseJson(R"({"event":"brief.send","task":"12","contact":"","user":null,"note":"any {text}",)"
                R"("extra":{"nested":[1,2]}})");
  EXPECT_EQ(webhook.ids.size(), 1u);
  EXPECT_EQ(webhook.ToPayloadJson(), R"({"event":"brief.send","task":"12"})");
}

TEST(PlanfixWebhook, RejectsAForeignPrefixOnAnId) {
  EXPECT_EQ(JsonError(R"({"event":"brief.send","contact":"user:5"})"),
            "contact must be a positive integer (optionally \"contact:N\")");
}

TEST(PlanfixWebhook, ParsesAFormBodyTheSameWayAsJson) {
  auto form = ParsePlanfixWebhook("event=brief.send&task=123&contact=contact%3A45&comment=a+b",
                                  PlanfixBodyFormat::kForm);
  ASSERT_TRUE(form) << form.error().message;
  const auto json = ParseJson(R"({"contact":45,"event":"brief.send","task":"123"})");
  EXPECT_EQ(form->event, json.event);
  EXPECT_EQ(form->ids, json.ids);
  EXPECT_EQ(PlanfixContentHash(*form), PlanfixContentHash(json));
}

TEST(PlanfixWebhook, NamesTheProblemInEveryRejection) {
  EXPECT_EQ(JsonError(R"({"task":"1"})"), "missing event");
  EXPECT_EQ(JsonError(R"({"event":null})"), "missing event");
  EXPECT_EQ(JsonError(R"({"event":""})"), "event is empty");
  EXPECT_EQ(JsonError(R"({"event":7})"), "event must be a string");
  for (const char* bad : {"Brief.send", "1brief", "brief send", "brief-send", "бриф"}) {
    EXPECT_EQ(JsonError(R"({"event":")" + std::string(bad) + R"("})"),
              "event must match [a-z][a-z0-9_.]{0,63}")
        << bad;
  }
  EXPECT_EQ(JsonError(R"({"event":")" + std::string(65, 'a') + R"("})"),
            "event must match [a-z][a-z0-9_.]{0,63}");
  EXPECT_EQ(JsonError(R"({"event":"a","task":"12a"})"),
            "task must be a positive integer (optionally \"task:N\")");
  EXPECT_EQ(JsonError(R"({"event":"a","task":"{{Задача.Номер}}"})"),
            "task must be a positive integer (optionally \"task:N\")");
  EXPECT_EQ(JsonError(R"({"event":"a","task":-3})"), "task must be a positive integer");
  EXPECT_EQ(JsonError(R"({"event":"a","task":1.5})"), "task must be a positive integer");
  EXPECT_EQ(JsonError(R"({"event":"a","task":0})"), "task must be a positive integer");
  EXPECT_EQ(JsonError(R"({"event":"a","task":true})"),
            "task must be a number or a string of digits");
  EXPECT_EQ(JsonError(R"({"event":"a","task":"1234567890123456789"})"), "task is too large");
  EXPECT_EQ(JsonError(R"({"event":"a",)"), "body is not valid JSON");
  EXPECT_EQ(JsonError(R"(["event","a"])"), "body must be a JSON object");
  EXPECT_EQ(JsonError(""), "body is empty");
  EXPECT_EQ(JsonError("{\"event\":\"a\",\"note\":\"\xff\"}"), "body is not valid UTF-8");
  EXPECT_EQ(JsonError(R"({"event":"a","x":[[[[1]]]]})"), "JSON is nested deeper than 4 levels");
  // Found by fuzz_body_checks: nlohmann stops at a NUL byte and ignored whatever followed.
  EXPECT_EQ(JsonError(std::string(R"({"event":"a"})") + '\0' + "junk"), "body is not valid JSON");
  EXPECT_EQ(FormError("task=1"), "missing event");
  EXPECT_EQ(FormError("event=a&task=1&task=2"), "form field task is given twice");
  EXPECT_EQ(FormError("event=a&note=%FF"), "form field is not valid UTF-8 after decoding");
  EXPECT_EQ(FormError("event=a&contact=abc"),
            "contact must be a positive integer (optionally \"contact:N\")");
}

TEST(PlanfixWebhook, HashesContentRegardlessOfFieldOrderAndIgnoredFields) {
  const auto a = ParseJson(R"({"event":"brief.send","task":"12","contact":"45"})");
  const auto b = ParseJson(R"({"contact":"contact:45","note":"x","task":12,"event":"brief.send"})");
  const auto c = ParseJson(R"({"event":"brief.send","task":"13","contact":"45"})");
  const auto d = ParseJson(R"({"event":"brief.remind","task":"12","contact":"45"})");
  EXPECT_EQ(PlanfixContentHash(a), PlanfixContentHash(b));
  EXPECT_NE(PlanfixContentHash(a), PlanfixContentHash(c));
  EXPECT_NE(PlanfixContentHash(a), PlanfixContentHash(d));
  EXPECT_EQ(PlanfixContentHash(a).size(), 64u);
}

TEST(PlanfixWebhook, AtTellsARetryFromANewChangeAndStaysOutOfThePayload) {
  const auto first = ParseJson(R"({"event":"task.status_changed","task":"12","status":"6",
                                   "at":"27.11.2026 10:15"})");
  const auto retry = ParseJson(R"({"at":" 27.11.2026 10:15 ","status":6,"task":12,
                                   "event":"task.status_changed"})");
  const auto later = ParseJson(R"({"event":"task.status_changed","task":"12","status":"6",
                                   "at":"27.11.2026 14:40"})");
  const auto none = ParseJson(R"({"event":"task.status_changed","task":"12","status":"6"})");
  EXPECT_EQ(PlanfixContentHash(first), PlanfixContentHash(retry));
  EXPECT_NE(PlanfixContentHash(first), PlanfixContentHash(later));
  EXPECT_NE(PlanfixContentHash(first), PlanfixContentHash(none));
  EXPECT_EQ(first.ToPayloadJson(), none.ToPayloadJson());
  const auto form =
      ParsePlanfixWebhook("event=task.status_changed&task=12&status=6&at=27.11.2026%2010%3A15",
                          PlanfixBodyFormat::kForm);
  ASSERT_TRUE(form);
  EXPECT_EQ(PlanfixContentHash(*form), PlanfixContentHash(first));

  EXPECT_EQ(JsonError(R"({"event":"a","at":")" + std::string(65, 'x') + R"("})"),
            "at is longer than 64 bytes");
  EXPECT_EQ(JsonError(R"({"event":"a","at":"x\ty"})"), "at holds a control character");
  EXPECT_EQ(JsonError(R"({"event":"a","at":{"d":1}})"), "at must be a string or a number");
  // An empty `at` (an empty Planfix variable) is the same as none.
  EXPECT_EQ(PlanfixContentHash(ParseJson(R"({"event":"task.status_changed","task":"12",
                                            "status":"6","at":""})")),
            PlanfixContentHash(none));
}

class PlanfixDedupeTest : public ::testing::Test {
 protected:
  // 10:00:00 UTC on 2026-11-27 is a multiple of 10 minutes since the epoch.
  const core::TimePoint start_ = core::FromUnixSeconds(1764237600);
  PlanfixDedupe dedupe_{minutes(10)};
  PlanfixWebhook webhook_ = ParseJson(R"({"event":"brief.send","task":"12"})");
};

TEST_F(PlanfixDedupeTest, ABodyWithAtIsTheSameEventWhenever) {
  const auto with_at = ParseJson(R"({"event":"brief.send","task":"12","at":"27.11 10:00"})");
  const std::string key = dedupe_.KeyFor(with_at, start_);
  EXPECT_EQ(dedupe_.KeyFor(with_at, start_ + std::chrono::hours(3)), key);  // a late retry
  EXPECT_NE(key, dedupe_.KeyFor(webhook_, start_));
}

TEST_F(PlanfixDedupeTest, GivesRetriesWithinTheWindowTheSameKey) {
  const std::string first = dedupe_.KeyFor(webhook_, start_ + seconds(30));
  EXPECT_EQ(dedupe_.KeyFor(webhook_, start_ + seconds(31)), first);
  EXPECT_EQ(dedupe_.KeyFor(webhook_, start_ + minutes(10) + seconds(29)), first);
  EXPECT_EQ(first, PlanfixContentHash(webhook_) + ":2940396");
}

TEST_F(PlanfixDedupeTest, GivesARetryAcrossABucketBoundaryTheKeyOfTheFirstSighting) {
  const std::string first = dedupe_.KeyFor(webhook_, start_ + minutes(9) + seconds(59));
  EXPECT_EQ(dedupe_.KeyFor(webhook_, start_ + minutes(10) + seconds(1)), first);
}

TEST_F(PlanfixDedupeTest, GivesASecondPressAfterTheWindowANewKey) {
  const std::string first = dedupe_.KeyFor(webhook_, start_ + minutes(9));
  const std::string second = dedupe_.KeyFor(webhook_, start_ + minutes(19));
  EXPECT_NE(second, first);
  // ... and retries of the second press then share the second key.
  EXPECT_EQ(dedupe_.KeyFor(webhook_, start_ + minutes(25)), second);
}

TEST_F(PlanfixDedupeTest, GivesDifferentContentDifferentKeys) {
  const auto other = ParseJson(R"({"event":"brief.send","task":"13"})");
  EXPECT_NE(dedupe_.KeyFor(webhook_, start_), dedupe_.KeyFor(other, start_));
}

TEST_F(PlanfixDedupeTest, FallsBackToTheCurrentBucketWhenItForgets) {
  PlanfixDedupe tiny(minutes(10), /*max_entries=*/1);
  const auto other = ParseJson(R"({"event":"brief.send","task":"13"})");
  const std::string first = tiny.KeyFor(webhook_, start_ + minutes(9));
  tiny.KeyFor(other, start_ + minutes(9));
  tiny.KeyFor(other, start_ + minutes(9));  // the first sighting of webhook_ is now evicted
  // Forgotten, so the current bucket decides: the same bucket still matches ...
  EXPECT_EQ(tiny.KeyFor(webhook_, start_ + minutes(9) + seconds(30)), first);
  tiny.KeyFor(other, start_ + minutes(9) + seconds(40));
  tiny.KeyFor(other, start_ + minutes(9) + seconds(40));
  // ... but a retry in the next bucket no longer does (the documented restart weakness).
  EXPECT_NE(tiny.KeyFor(webhook_, start_ + minutes(10) + seconds(30)), first);
}

std::string ReadSample(const std::string& name) {
  std::ifstream file(std::string(PLANFIX_FLOW_SOURCE_DIR) + "/webhooks/planfix/" + name);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(PlanfixWebhookSamples, EverySampleBodyInTheIntegrationKitParses) {
  for (const char* name : {"brief-send.json", "brief-send.form", "deal-handoff.json",
                           "task-status-changed.json", "invoice-issued.form", "invoice-paid.json",
                           "approval-status-changed.json", "time-start.json", "time-stop.json"}) {
    const std::string body = ReadSample(name);
    ASSERT_FALSE(body.empty()) << name;
    const auto format = std::string_view(name).ends_with(".form") ? PlanfixBodyFormat::kForm
                                                                  : PlanfixBodyFormat::kJson;
    // The samples hold Planfix variables; substitute what Planfix would.
    std::string filled = body;
    for (const auto& [variable, value] :
         {std::pair<std::string, std::string>{"{{Задача.Номер}}", "1042"},
          {"{{Задача.Контрагент.Номер}}", "contact:77"},
          {"{{Задача.Проект.Номер}}", "12"},
          {"{{Задача.Статус.Номер}}", "6"},
          {"{{Задача.Исполнитель.Номер}}", "user:5"}}) {
      for (std::size_t at; (at = filled.find(variable)) != std::string::npos;) {
        filled.replace(at, variable.size(), value);
      }
    }
    const auto parsed = ParsePlanfixWebhook(filled, format);
    ASSERT_TRUE(parsed) << name << ": " << parsed.error().message;
    EXPECT_EQ(parsed->ids.at("task"), "1042") << name;
    // The README recommends `at` (a retry from a new press); every sample follows it.
    EXPECT_FALSE(parsed->at.empty()) << name;
  }
}

}  // namespace
}  // namespace planfix_flow::http
