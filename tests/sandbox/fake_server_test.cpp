#include "planfix_flow/sandbox/fake_server.h"

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "planfix_flow/http/curl_http_client.h"

namespace planfix_flow::sandbox {
namespace {

class EchoServer : public FakeServer {
 public:
  EchoServer() : FakeServer("echo") {
    Route("POST", R"(/echo/(\d+)/)", [](const FakeRequest& request) {
      return FakeResponse{
          200, R"({"id":")" + request.captures.at(0) + R"(","body":)" + request.body + "}"};
    });
    // Takes only the body "ok", as a real API takes only its own shapes.
    Route("POST", "/strict", [](const FakeRequest& request) {
      if (request.body != "ok") return FakeResponse{400, R"({"error":"expected ok"})"};
      return FakeResponse{200, "{}"};
    });
    // A 400 about the state of the world, which a correct client can get.
    Route("POST", "/world", [](const FakeRequest&) {
      return WorldStateAnswer(FakeResponse{400, R"({"error":"chat not found"})"});
    });
    // A 403 that only a wrong request gets.
    Route("POST", "/scope", [](const FakeRequest&) {
      return Refusal(FakeResponse{403, R"({"error":"insufficient scope"})"});
    });
  }
  ~EchoServer() override { Stop(); }  // before the server threads can see this object go
};

class FakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.Start(); }
  http::HttpRequest Post(const std::string& path, std::string body) {
    http::HttpRequest request;
    request.method = "POST";
    request.url = server_.base_url() + path;
    request.body = std::move(body);
    request.headers["Content-Type"] = "application/json";
    return request;
  }
  EchoServer server_;
  http::CurlHttpClient client_;
};

TEST_F(FakeServerTest, RoutesByMethodAndPathAndRecordsTheRequest) {
  auto response = client_.Send(Post("/echo/17/?x=1", "[1]"));
  ASSERT_TRUE(response) << response.error().ToString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, R"({"id":"17","body":[1]})");
  auto requests = server_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/echo/17/");
  EXPECT_EQ(requests[0].query_string, "x=1");
  EXPECT_TRUE(server_.failures().empty());
}

TEST_F(FakeServerTest, AnswersUnknownRoutesWith500AndRecordsAFailure) {
  auto response = client_.Send(Post("/echo/17", "{}"));  // no trailing slash
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  const auto failures = server_.TakeFailures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("unknown route POST /echo/17"), std::string::npos);
  EXPECT_TRUE(server_.failures().empty());
}

TEST_F(FakeServerTest, AnswersAWrongMethodOnAKnownPathWith405) {
  server_.ExpectRefusals(1);
  http::HttpRequest request;
  request.url = server_.base_url() + "/echo/1/";
  auto response = client_.Send(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_TRUE(server_.requests()[0].refused);
  EXPECT_TRUE(server_.failures().empty());
}

TEST_F(FakeServerTest, ARefusalNobodyDeclaredIsAFailureNamingTheRequestAndTheAnswer) {
  EXPECT_EQ(client_.Send(Post("/strict?x=1", "nope"))->status, 400);
  const auto failures = server_.TakeFailures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find(R"(echo: refused POST /strict?x=1 with 400: {"error":"expected ok"})"),
            std::string::npos)
      << failures[0];
  EXPECT_EQ(client_.Send(Post("/strict", "ok"))->status, 200);
  EXPECT_TRUE(server_.failures().empty());
}

TEST_F(FakeServerTest, ADeclaredRefusalIsNoFailureAndOnlyAsManyAsDeclaredAre) {
  server_.ExpectRefusals(2);
  EXPECT_EQ(client_.Send(Post("/strict", "a"))->status, 400);
  EXPECT_EQ(client_.Send(Post("/strict", "b"))->status, 400);
  EXPECT_TRUE(server_.failures().empty());
  EXPECT_EQ(client_.Send(Post("/strict", "c"))->status, 400);
  EXPECT_EQ(server_.TakeFailures().size(), 1u);
}

TEST_F(FakeServerTest, WorldStateAnswersInjectedFaultsAndServerErrorsAreNoRefusals) {
  EXPECT_EQ(client_.Send(Post("/world", ""))->status, 400);
  server_.FailNext(1, 401, R"({"error":"token revoked"})");
  EXPECT_EQ(client_.Send(Post("/strict", "nope"))->status, 401);
  server_.FailNext(1, 503);
  EXPECT_EQ(client_.Send(Post("/echo/1/", "1"))->status, 503);
  EXPECT_TRUE(server_.failures().empty());
  for (const auto& request : server_.requests()) EXPECT_FALSE(request.refused) << request.path;
  // And a status that is no refusal by itself can be marked as one.
  EXPECT_EQ(client_.Send(Post("/scope", ""))->status, 403);
  EXPECT_EQ(server_.TakeFailures().size(), 1u);
}

TEST_F(FakeServerTest, ClearRecordsForgetsTheRequestsButNotTheFailures) {
  EXPECT_EQ(client_.Send(Post("/strict", "nope"))->status, 400);
  server_.ClearRecords();
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_EQ(server_.TakeFailures().size(), 1u);
}

// A fake made in a test body and never asked about its failures.
void RefuseARequestAndForgetTheFake() {
  EchoServer fake;
  fake.Start();
  http::HttpRequest request;
  request.method = "POST";
  request.url = fake.base_url() + "/strict";
  request.body = "nope";
  http::CurlHttpClient client;
  EXPECT_EQ(client.Send(request)->status, 400);
}

void DeclareARefusalThatNeverComes() {
  EchoServer fake;
  fake.Start();
  fake.ExpectRefusals(1);
}

TEST(FakeServerReport, AFakeReportsTheFailuresNobodyTookAndTheRunningTestFails) {
  EXPECT_NONFATAL_FAILURE(RefuseARequestAndForgetTheFake(), "echo: refused POST /strict with 400");
}

TEST(FakeServerReport, ADeclaredRefusalThatNeverCameFailsTheRunningTest) {
  EXPECT_NONFATAL_FAILURE(DeclareARefusalThatNeverComes(),
                          "echo: 1 refusal(s) declared with ExpectRefusals never came");
}

TEST_F(FakeServerTest, FailNextInjectsStatusesThenRecovers) {
  server_.FailNext(2, 503, R"({"error":"down"})");
  EXPECT_EQ(client_.Send(Post("/echo/1/", "1"))->status, 503);
  EXPECT_EQ(client_.Send(Post("/echo/1/", "1"))->status, 503);
  EXPECT_EQ(client_.Send(Post("/echo/1/", "1"))->status, 200);
}

TEST_F(FakeServerTest, DropNextClosesTheConnectionMidAnswer) {
  server_.DropNext(1);
  auto dropped = client_.Send(Post("/echo/1/", "1"));
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().code, core::ErrorCode::kUnavailable);
  EXPECT_EQ(client_.Send(Post("/echo/1/", "1"))->status, 200);
}

TEST_F(FakeServerTest, DelayNextMakesAShortTimeoutExpire) {
  server_.DelayNext(1, std::chrono::milliseconds(1500));
  auto request = Post("/echo/1/", "1");
  request.timeout = std::chrono::milliseconds(200);
  auto slow = client_.Send(request);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, core::ErrorCode::kTimeout);
}

TEST_F(FakeServerTest, StoppedServerRefusesConnections) {
  server_.Stop();
  auto refused = client_.Send(Post("/echo/1/", "1"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace planfix_flow::sandbox
