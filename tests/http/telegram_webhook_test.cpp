#include "planfix_flow/http/telegram_webhook.h"

#include <gtest/gtest.h>

#include <string>

namespace planfix_flow::http {
namespace {

std::string ErrorOf(std::string_view body) {
  const auto parsed = ParseTelegramWebhook(body);
  EXPECT_FALSE(parsed) << body;
  return parsed ? std::string() : parsed.error().message;
}

TEST(TelegramWebhook, ReadsTheUpdateIdOfAnUpdate) {
  const auto parsed = ParseTelegramWebhook(
      R"({"update_id":912345678901,"message":{"message_id":5,"chat":{"id":-1001234567890,)"
      R"("type":"supergroup"},"date":1764238500,"text":"/start abc"}})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->update_id, 912345678901);
  EXPECT_EQ(ParseTelegramWebhook(R"({"update_id":0})")->update_id, 0);
}

TEST(TelegramWebhook, NamesTheProblemInEveryRejection) {
  EXPECT_EQ(ErrorOf(R"({"message":{}})"), "missing update_id");
  EXPECT_EQ(ErrorOf(R"({"update_id":"12"})"), "update_id must be a non-negative integer");
  EXPECT_EQ(ErrorOf(R"({"update_id":-1})"), "update_id must be a non-negative integer");
  EXPECT_EQ(ErrorOf(R"({"update_id":1.5})"), "update_id must be a non-negative integer");
  EXPECT_EQ(ErrorOf(R"({"update_id":18446744073709551615})"),
            "update_id must be a non-negative integer");
  EXPECT_EQ(ErrorOf(R"([{"update_id":1}])"), "body must be a JSON object");
  EXPECT_EQ(ErrorOf(R"({"update_id":1)"), "body is not valid JSON");
  EXPECT_EQ(ErrorOf("{\"update_id\":1,\"text\":\"\xc3\x28\"}"), "body is not valid UTF-8");
  // Found by fuzz_body_checks: nlohmann stops at a NUL byte and ignored the rest.
  EXPECT_EQ(ErrorOf(std::string(R"({"update_id":1})") + '\0' + R"({"x")"),
            "body is not valid JSON");
  std::string deep = R"({"update_id":1,"x":)";
  for (int i = 0; i < 40; ++i) deep += "[";
  EXPECT_EQ(ErrorOf(deep), "JSON is nested deeper than 32 levels");
}

}  // namespace
}  // namespace planfix_flow::http
