// MonobankClient against the strict fake bank: client-info, the webhook (with the bank's GET
// probe), statement pages and their limits, and the 60 s limit kept without sending.
#include "planfix_flow/bank/monobank_client.h"

#include <gtest/gtest.h>

#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_monobank.h"

namespace planfix_flow::bank {
namespace {

using std::chrono::seconds;

const core::TimePoint kStart = core::FromUnixSeconds(1'795'420'800);

// A URL the bank's probe can reach, answering `status`.
class ProbeTarget : public sandbox::FakeServer {
 public:
  explicit ProbeTarget(int status) : FakeServer("probe-target") {
    Route("GET", "/hook", [status](const sandbox::FakeRequest&) {
      return sandbox::WorldStateAnswer(sandbox::FakeResponse{status, "{}"});
    });
    Start();
  }
  ~ProbeTarget() override { Stop(); }
};

class MonobankClientTest : public ::testing::Test {
 protected:
  MonobankClientTest() : clock_(kStart), fake_(clock_) { fake_.Start(); }

  MonobankClient Client(std::string token = {}) {
    MonobankOptions options;
    options.base_url = fake_.base_url();
    options.token = token.empty() ? fake_.token() : token;
    return MonobankClient(http_, clock_, options);
  }

  core::FakeClock clock_;
  // Before the client: its idle connections close first, so the fake stops at once.
  sandbox::FakeMonobank fake_;
  http::CurlHttpClient http_;
};

TEST_F(MonobankClientTest, ReadsClientInfoAndSetsTheWebhookAfterTheBanksProbe) {
  ProbeTarget target(200);
  auto client = Client();
  const std::string url = target.base_url() + "/hook";
  ASSERT_TRUE(client.SetWebhook(url));
  EXPECT_EQ(fake_.probes(), 1);
  auto info = client.GetClientInfo();
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->webhook_url, url);
  ASSERT_EQ(info->accounts.size(), 2u);
  EXPECT_EQ(info->accounts[0].id, "fop-uah-account");
  // The token goes in X-Token on every call.
  for (const auto& request : fake_.requests())
    EXPECT_EQ(request.headers.at("X-Token"), fake_.token());
}

TEST_F(MonobankClientTest, AWebhookWhoseProbeIsNot200IsNotTaken) {
  ProbeTarget target(204);
  auto client = Client();
  fake_.ExpectRefusals(1);  // the bank's 400 for a URL that failed its check
  auto set = client.SetWebhook(target.base_url() + "/hook");
  ASSERT_FALSE(set);
  EXPECT_EQ(set.error().code, core::ErrorCode::kPermanent);
  EXPECT_EQ(fake_.webhook_url(), "");
}

TEST_F(MonobankClientTest, ASecondCallWithin60SecondsIsNotSent) {
  auto client = Client();
  ASSERT_TRUE(client.GetClientInfo());
  clock_.Advance(seconds(59));
  auto again = client.GetClientInfo();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, core::ErrorCode::kRateLimited);
  ASSERT_TRUE(again.error().retry_after.has_value());
  EXPECT_EQ(*again.error().retry_after, seconds(1));
  EXPECT_EQ(fake_.request_count(), 1u);
  // The statement has a limit of its own.
  EXPECT_TRUE(client.GetStatement("fop-uah-account", 0, 10));
  clock_.Advance(seconds(1));
  EXPECT_TRUE(client.GetClientInfo());
}

TEST_F(MonobankClientTest, A429HoldsThatCallBackForRetryAfter) {
  auto client = Client();
  fake_.FailNext(1, 429, R"({"errorDescription":"Too many requests"})");
  auto limited = client.GetStatement("fop-uah-account", 0, 10);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code, core::ErrorCode::kRateLimited);
  EXPECT_EQ(limited.error().retry_after, seconds(60));
  clock_.Advance(seconds(30));
  EXPECT_FALSE(client.GetStatement("fop-uah-account", 0, 10));
  EXPECT_EQ(fake_.request_count(), 1u);
  clock_.Advance(seconds(30));
  EXPECT_TRUE(client.GetStatement("fop-uah-account", 0, 10));
}

TEST_F(MonobankClientTest, StatementIsNewestFirstAndRefusesTooLongARangeWithoutSending) {
  const std::int64_t now = core::ToUnixSeconds(kStart);
  fake_.Book("fop-uah-account", {"a", now - 100, 1000});
  fake_.Book("fop-uah-account", {"b", now - 50, -200});
  auto client = Client();
  auto page = client.GetStatement("fop-uah-account", now - 1000, now);
  ASSERT_TRUE(page) << page.error().ToString();
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, "b");
  EXPECT_EQ((*page)[0].amount, -200);
  EXPECT_EQ((*page)[1].id, "a");
  auto too_long = client.GetStatement("fop-uah-account", 0, 31 * 86400 + 3601);
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_EQ(fake_.request_count(), 1u);
}

TEST_F(MonobankClientTest, AWrongTokenIsUnauthorizedAndNeverInTheMessage) {
  auto client = Client("wrong-token-s3cr3t");
  fake_.ExpectRefusals(1);
  auto info = client.GetClientInfo();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().code, core::ErrorCode::kUnauthorized);
  EXPECT_EQ(info.error().message.find("s3cr3t"), std::string::npos);
}

}  // namespace
}  // namespace planfix_flow::bank
