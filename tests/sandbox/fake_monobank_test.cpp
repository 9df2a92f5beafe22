// The fake bank refuses what monobank refuses: a missing or unknown X-Token, an unknown path
// or method, a statement range over 31 days and 1 hour, an unknown account, a second call
// within 60 s, a webhook body of another shape, and every one of them is recorded.
#include "planfix_flow/sandbox/fake_monobank.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/http/curl_http_client.h"

namespace planfix_flow::sandbox {
namespace {

using nlohmann::json;

const core::TimePoint kStart = core::FromUnixSeconds(1'795'420'800);

class FakeMonobankTest : public ::testing::Test {
 protected:
  FakeMonobankTest() : clock_(kStart), bank_(clock_) { bank_.Start(); }

  http::HttpResponse Call(const std::string& method, const std::string& path,
                          const std::string& body = {}, bool token = true) {
    http::HttpRequest request;
    request.method = method;
    request.url = bank_.base_url() + path;
    if (token) request.headers["X-Token"] = bank_.token();
    request.body = body;
    auto answer = http_.Send(request);
    EXPECT_TRUE(answer) << answer.error().ToString();
    return answer ? *answer : http::HttpResponse{};
  }

  core::FakeClock clock_;
  // Before the client: its idle connections close first, so the fake stops at once.
  FakeMonobank bank_;
  http::CurlHttpClient http_;
};

TEST_F(FakeMonobankTest, RefusesWhatTheBankRefusesAndRecordsIt) {
  const std::int64_t now = core::ToUnixSeconds(kStart);
  EXPECT_EQ(Call("GET", "/personal/client-info", {}, false).status, 401);
  EXPECT_EQ(Call("GET", fmt::format("/personal/statement/fop-uah-account/{}/{}",
                                    now - 31 * 86400 - 3601, now))
                .status,
            400);
  EXPECT_EQ(Call("GET", fmt::format("/personal/statement/no-such/{}/{}", now - 10, now)).status,
            400);
  EXPECT_EQ(Call("POST", "/personal/webhook", R"({"url":"http://127.0.0.1:1/x"})").status, 400);
  EXPECT_EQ(Call("DELETE", "/personal/webhook").status, 405);
  EXPECT_EQ(bank_.TakeFailures().size(), 5u);
  EXPECT_EQ(Call("GET", "/personal/unknown").status, 500);
  EXPECT_EQ(bank_.TakeFailures().size(), 1u);
}

TEST_F(FakeMonobankTest, ServesOneStatementCallPerMinuteNewestFirstUpTo500) {
  const std::int64_t now = core::ToUnixSeconds(kStart);
  for (int i = 0; i < 501; ++i)
    bank_.Book("fop-uah-account", {fmt::format("i{}", i), now - 600 + i, 1});
  const auto page =
      Call("GET", fmt::format("/personal/statement/fop-uah-account/{}/{}", now - 3600, now));
  ASSERT_EQ(page.status, 200);
  const json items = json::parse(page.body);
  ASSERT_EQ(items.size(), 500u);
  EXPECT_EQ(items[0]["id"], "i500");
  EXPECT_EQ(items[499]["id"], "i1");
  clock_.Advance(std::chrono::seconds(59));
  EXPECT_EQ(Call("GET", fmt::format("/personal/statement/fop-uah-account/{}", now - 3600)).status,
            429);
  EXPECT_EQ(bank_.TakeFailures().size(), 1u);  // a correct client never gets it
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Call("GET", fmt::format("/personal/statement/fop-uah-account/{}", now - 3600)).status,
            200);
}

TEST_F(FakeMonobankTest, RemovesTheWebhookWithAnEmptyUrlWithoutAProbe) {
  bank_.SetWebhookUrlDirectly("http://127.0.0.1:1/old");
  EXPECT_EQ(Call("POST", "/personal/webhook", R"({"webHookUrl":""})").status, 200);
  EXPECT_EQ(bank_.webhook_url(), "");
  EXPECT_EQ(bank_.probes(), 0);
}

}  // namespace
}  // namespace planfix_flow::sandbox
