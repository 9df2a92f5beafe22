#include "planfix_flow/http/google_form_webhook.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace planfix_flow::http {
namespace {

using nlohmann::json;

json Minimal() {
  return json{{"responseId", "ACYDBNj"},
              {"formId", "1FAIpQLSd"},
              {"timestamp", "2026-11-27T10:15:30.123Z"},
              {"answers", json::array()}};
}

std::string ErrorOf(const json& body) {
  const auto parsed = ParseGoogleFormSubmission(body.dump());
  EXPECT_FALSE(parsed) << body.dump();
  return parsed ? std::string() : parsed.error().message;
}

TEST(GoogleFormWebhook, ParsesStringListAndGridAnswers) {
  json body = Minimal();
  body["respondentEmail"] = "client@example.com";
  body["briefCode"] = "b1.Xyz";
  body["answers"] = json::array(
      {json{{"title", "Що ви очікуєте?"}, {"questionId", "1a2b"}, {"value", "Більше клієнтів"}},
       json{{"title", "Channels"}, {"value", json::array({"Instagram", "Google Ads"})}},
       json{{"title", "Access"},
            {"value", json::array({json::array({"Yes"}), json::array({"No", "Later"})})}},
       json{{"title", "Nothing ticked"}, {"value", json::array()}}});
  const auto parsed = ParseGoogleFormSubmission(body.dump());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->response_id, "ACYDBNj");
  EXPECT_EQ(parsed->form_id, "1FAIpQLSd");
  EXPECT_EQ(parsed->respondent_email, "client@example.com");
  EXPECT_EQ(parsed->brief_code, "b1.Xyz");
  ASSERT_EQ(parsed->answers.size(), 4u);
  EXPECT_EQ(parsed->answers[0].question_id, "1a2b");
  EXPECT_EQ(std::get<std::string>(parsed->answers[0].value), "Більше клієнтів");
  EXPECT_EQ(std::get<std::vector<std::string>>(parsed->answers[1].value).size(), 2u);
  EXPECT_EQ(std::get<std::vector<std::vector<std::string>>>(parsed->answers[2].value)[1][1],
            "Later");
  EXPECT_TRUE(std::get<std::vector<std::string>>(parsed->answers[3].value).empty());
}

TEST(GoogleFormWebhook, NormalisesThePayloadWithEveryMemberPresent) {
  json body = Minimal();
  body["answers"] = json::array({json{{"title", "Q"}, {"value", "A"}}});
  body["unknown"] = "ignored";
  const auto parsed = ParseGoogleFormSubmission(body.dump());
  ASSERT_TRUE(parsed);
  const json payload = json::parse(parsed->ToPayloadJson());
  EXPECT_EQ(payload["respondentEmail"], "");
  EXPECT_EQ(payload["briefCode"], "");
  EXPECT_EQ(payload["answers"][0]["questionId"], "");
  EXPECT_EQ(payload["answers"][0]["value"], "A");
  EXPECT_FALSE(payload.contains("unknown"));
  // The normalised payload parses back to the same submission.
  const auto again = ParseGoogleFormSubmission(parsed->ToPayloadJson());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->ToPayloadJson(), parsed->ToPayloadJson());
}

TEST(GoogleFormWebhook, NamesTheProblemInEveryRejection) {
  json body = Minimal();
  body.erase("responseId");
  EXPECT_EQ(ErrorOf(body), "missing responseId");
  body = Minimal();
  body["formId"] = "";
  EXPECT_EQ(ErrorOf(body), "formId is empty");
  body = Minimal();
  body["timestamp"] = 1764238500;
  EXPECT_EQ(ErrorOf(body), "timestamp must be a string");
  body["timestamp"] = "27.11.2026 10:15";
  EXPECT_EQ(ErrorOf(body), "timestamp must be RFC 3339, e.g. 2026-11-27T10:15:30.123Z");
  body = Minimal();
  body["respondentEmail"] = 5;
  EXPECT_EQ(ErrorOf(body), "respondentEmail must be a string");
  body = Minimal();
  body.erase("answers");
  EXPECT_EQ(ErrorOf(body), "missing answers");
  body["answers"] = json::object();
  EXPECT_EQ(ErrorOf(body), "answers must be a list");
  body["answers"] = json::array({"text"});
  EXPECT_EQ(ErrorOf(body), "answers[0] must be an object");
  body["answers"] = json::array({json{{"value", "A"}}});
  EXPECT_EQ(ErrorOf(body), "answers[0]: missing title");
  body["answers"] = json::array({json{{"title", "Q"}}});
  EXPECT_EQ(ErrorOf(body), "answers[0]: missing value");
  body["answers"] = json::array({json{{"title", "Q"}, {"value", 5}}});
  EXPECT_EQ(ErrorOf(body),
            "answers[0].value must be a string, a list of strings or a list of lists of strings");
  body["answers"] = json::array({json{{"title", "Q"}, {"value", json::array({"a", 1})}}});
  EXPECT_EQ(ErrorOf(body),
            "answers[0].value must be a string, a list of strings or a list of lists of strings");
  body["answers"] =
      json::array({json{{"title", "Q"}, {"value", json::array({json::array({"a"}), "b"})}}});
  EXPECT_EQ(ErrorOf(body), "answers[0].value mixes lists and non-lists");
  body["answers"] = json::array({json{{"title", "Q"}, {"questionId", 7}, {"value", "a"}}});
  EXPECT_EQ(ErrorOf(body), "answers[0]: questionId must be a string");
  body["answers"] = json::array();
  for (int i = 0; i < 501; ++i) body["answers"].push_back(json{{"title", "Q"}, {"value", "a"}});
  EXPECT_EQ(ErrorOf(body), "more than 500 answers");

  EXPECT_EQ(ParseGoogleFormSubmission("[]").error().message, "body must be a JSON object");
  EXPECT_EQ(ParseGoogleFormSubmission("{").error().message, "body is not valid JSON");
  EXPECT_EQ(ParseGoogleFormSubmission("{\"a\":\"\xe2\x28\xa1\"}").error().message,
            "body is not valid UTF-8");
  EXPECT_EQ(ParseGoogleFormSubmission(R"({"a":[[[[[[[[["deep"]]]]]]]]]})").error().message,
            "JSON is nested deeper than 8 levels");
  // Found by fuzz_body_checks: nlohmann stops at a NUL byte and ignored whatever followed.
  EXPECT_EQ(
      ParseGoogleFormSubmission(Minimal().dump() + std::string(1, '\0') + "junk").error().message,
      "body is not valid JSON");
}

TEST(IsRfc3339Timestamp, AcceptsWhatAppsScriptAndTheFormsApiSend) {
  EXPECT_TRUE(IsRfc3339Timestamp("2026-11-27T10:15:30.123Z"));
  EXPECT_TRUE(IsRfc3339Timestamp("2026-11-27T10:15:30Z"));
  EXPECT_TRUE(IsRfc3339Timestamp("2026-11-27T10:15:30.123456789Z"));
  EXPECT_TRUE(IsRfc3339Timestamp("2026-11-27T12:15:30+02:00"));
  EXPECT_FALSE(IsRfc3339Timestamp("2026-11-27 10:15:30Z"));
  EXPECT_FALSE(IsRfc3339Timestamp("2026-13-27T10:15:30Z"));
  EXPECT_FALSE(IsRfc3339Timestamp("2026-11-27T10:15:30"));
  EXPECT_FALSE(IsRfc3339Timestamp("2026-11-27T10:15:30.Z"));
  EXPECT_FALSE(IsRfc3339Timestamp("2026-11-27T10:15:30+0200"));
  EXPECT_FALSE(IsRfc3339Timestamp("2026-11-27T10:15:30Zjunk"));
}

TEST(GoogleFormWebhookSamples, TheSamplePayloadInTheIntegrationKitParses) {
  std::ifstream file(std::string(PLANFIX_FLOW_SOURCE_DIR) +
                     "/webhooks/google-forms/form-submitted.json");
  std::stringstream text;
  text << file.rdbuf();
  ASSERT_FALSE(text.str().empty());
  const auto parsed = ParseGoogleFormSubmission(text.str());
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->brief_code.empty());
  EXPECT_GE(parsed->answers.size(), 3u);
}

}  // namespace
}  // namespace planfix_flow::http
