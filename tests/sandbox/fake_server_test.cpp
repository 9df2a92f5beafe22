#include "planfix_flow/sandbox/fake_server.h"

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
  ASSERT_EQ(server_.failures().size(), 1u);
  EXPECT_NE(server_.failures()[0].find("unknown route POST /echo/17"), std::string::npos);
}

TEST_F(FakeServerTest, AnswersAWrongMethodOnAKnownPathWith405) {
  http::HttpRequest request;
  request.url = server_.base_url() + "/echo/1/";
  auto response = client_.Send(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
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
