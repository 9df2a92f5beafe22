#include "planfix_flow/http/curl_http_client.h"

#include <gtest/gtest.h>

#include <thread>

#include "planfix_flow/sandbox/fake_server.h"

namespace planfix_flow::http {
namespace {

using sandbox::FakeRequest;
using sandbox::FakeResponse;

class ProbeServer : public sandbox::FakeServer {
 public:
  ProbeServer() : FakeServer("probe") {
    Route("GET", "/big", [](const FakeRequest&) {
      return FakeResponse{200, std::string(64 * 1024, 'x'), "text/plain"};
    });
    Route("POST", "/headers", [](const FakeRequest& request) {
      FakeResponse response{201, request.Header("X-Probe") + "|" + request.body, "text/plain"};
      response.headers["Retry-After"] = "7";
      return response;
    });
  }
  ~ProbeServer() override { Stop(); }  // before the server threads can see this object go
};

TEST(CurlHttpClient, SendsHeadersAndBodyAndReadsStatusAndHeaders) {
  ProbeServer server;
  server.Start();
  CurlHttpClient client;
  HttpRequest request;
  request.method = "POST";
  request.url = server.base_url() + "/headers";
  request.headers["X-Probe"] = "hello";
  request.body = "payload";
  auto response = client.Send(request);
  ASSERT_TRUE(response) << response.error().ToString();
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "hello|payload");
  EXPECT_EQ(response->headers["retry-after"], "7");  // case-insensitive lookup
}

TEST(CurlHttpClient, RefusesResponsesOverTheSizeCap) {
  ProbeServer server;
  server.Start();
  CurlOptions options;
  options.max_response_bytes = 1024;
  CurlHttpClient client(options);
  HttpRequest request;
  request.url = server.base_url() + "/big";
  auto response = client.Send(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, core::ErrorCode::kPermanent);
  EXPECT_NE(response.error().message.find("larger than 1024 bytes"), std::string::npos);
}

TEST(CurlHttpClient, KeepsTokensInPathsAndQueriesOutOfErrorMessages) {
  CurlOptions options;
  options.connect_timeout = std::chrono::milliseconds(500);
  CurlHttpClient client(options);
  HttpRequest request;
  // Port 1 on loopback refuses connections.
  request.url = "http://127.0.0.1:1/bot123456:SECRET-TOKEN/sendMessage?access_token=SECRET2";
  auto response = client.Send(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, core::ErrorCode::kUnavailable);
  EXPECT_EQ(response.error().message.find("SECRET"), std::string::npos) << response.error().message;
  EXPECT_NE(response.error().message.find("/bot***/sendMessage"), std::string::npos);
}

TEST(CurlHttpClient, IsSafeToShareAcrossThreads) {
  ProbeServer server;
  server.Start();
  CurlHttpClient client;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i) {
        HttpRequest request;
        request.method = "POST";
        request.url = server.base_url() + "/headers";
        request.body = "x";
        auto response = client.Send(request);
        if (response && response->status == 201) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 40);
}

TEST(UrlEncode, EncodesReservedCharactersAndRoundTrips) {
  EXPECT_EQ(UrlEncode("a b&c=д"), "a%20b%26c%3D%D0%B4");
  EXPECT_EQ(UrlDecode("a%20b+c%26"), "a b c&");
  EXPECT_EQ(UrlDecode(UrlEncode("timestamp > 2026-11-27T10:00:00Z")),
            "timestamp > 2026-11-27T10:00:00Z");
}

}  // namespace
}  // namespace planfix_flow::http
