// Issue 11, item 4: one address must not starve Planfix's webhooks. Planfix pauses all of an
// account's webhooks for 3 minutes after one non-200, and 4,200 idle connections from one
// client once made an authorized webhook get 503. Through the real App (HTTP ingress, SQLite)
// with several clients played from different loopback addresses (Linux routes all of
// 127.0.0.0/8 to loopback): the per-address cap, the trusted proxy's exemption, and the real
// client address in the log lines.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spdlog/sinks/base_sink.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>

#include "engine/engine_test_util.h"
#include "google/google_test_support.h"
#include "http/ingress_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/core/log.h"

namespace planfix_flow::app {
namespace {

using engine::testing::Eventually;
using http::test_support::ConnectLoopback;
using http::test_support::RawAnswer;
using http::test_support::RawExchange;
using http::test_support::ReadAnswer;
using http::test_support::SendRaw;
using nlohmann::json;
using std::chrono::seconds;

// Friday 2026-11-27 12:00 in Kyiv.
const core::TimePoint kFridayNoon = core::FromUnixSeconds(1'795'773'600);

constexpr char kHog[] = "127.0.0.3";
constexpr char kPlanfixAddress[] = "127.0.0.2";
constexpr char kProxy[] = "127.0.0.4";
constexpr char kStranger[] = "127.0.0.5";

// Keeps every line one logger writes while it is installed. Install before the App starts and
// remove after it stops: a logger's sink list is not safe to change while it logs.
class LineSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    lines_.emplace_back(message.payload.data(), message.payload.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

class LogCapture {
 public:
  explicit LogCapture(const std::string& component)
      : logger_(core::Logger(component)), sink_(std::make_shared<LineSink>()) {
    logger_->sinks().push_back(sink_);
  }
  ~LogCapture() {
    auto& sinks = logger_->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::string> Matching(std::string_view part) {
    std::vector<std::string> found;
    for (auto& line : sink_->lines()) {
      if (line.find(part) != std::string::npos) found.push_back(std::move(line));
    }
    return found;
  }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<LineSink> sink_;
};

int StatusOf(const RawAnswer& answer) {
  if (answer.text.rfind("HTTP/1.1 ", 0) != 0 || answer.text.size() < 12) return 0;
  return std::stoi(answer.text.substr(9, 3));
}

class ConnectionLimits : public ::testing::Test {
 protected:
  void StartApp(int per_address, int max_connections, std::vector<std::string> trusted) {
    world_ = std::make_unique<SandboxWorld>(clock_, dir_.path());
    auto& server = world_->config.server;
    server.max_connections_per_address = per_address;
    server.max_connections = max_connections;
    server.trusted_proxies = std::move(trusted);
    // Connections that send nothing stay open for the whole test.
    server.read_timeout_seconds = 60;
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    app_ = std::make_unique<App>(world_->config, loaded.set, clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 11});
    app_->Start();
  }

  void TearDown() override {
    for (const int fd : held_) ::close(fd);
    app_.reset();
    log_.reset();  // only once no server thread can log any more
  }

  // Keeps the ingress log lines from now on; call before StartApp.
  LogCapture& CaptureLog() {
    log_ = std::make_unique<LogCapture>("ingress");
    return *log_;
  }

  // A Planfix webhook as Planfix (or a proxy in front of the service) sends it.
  std::string PlanfixWebhook(std::int64_t task, const std::string& secret,
                             const std::string& forwarded_for = "") const {
    const std::string body = json{{"event", "ping"}, {"task", std::to_string(task)}}.dump();
    std::string head = fmt::format(
        "POST /webhooks/planfix HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Authorization: Bearer {}\r\nContent-Length: {}\r\nConnection: close\r\n",
        secret, body.size());
    if (!forwarded_for.empty()) head += "X-Forwarded-For: " + forwarded_for + "\r\n";
    return head + "\r\n" + body;
  }

  const std::string& Secret() const { return world_->config.secrets.planfix_webhook_secret; }

  bool Stored(std::int64_t task) {
    for (const auto& event : app_->database().ListEvents(std::nullopt, 100)) {
      if (json::parse(event.payload)["task"] == std::to_string(task)) return true;
    }
    return false;
  }

  // Opens `count` connections from `from` that send nothing; returns them (also closed in
  // TearDown).
  std::vector<int> OpenIdle(const char* from, std::size_t count) {
    std::vector<int> fds;
    for (std::size_t i = 0; i < count; ++i) {
      const int fd = ConnectLoopback(app_->port(), seconds(10), from);
      if (fd < 0) {
        ADD_FAILURE() << "connection " << i << " from " << from << " failed";
        break;
      }
      fds.push_back(fd);
      held_.push_back(fd);
    }
    return fds;
  }

  core::FakeClock clock_{kFridayNoon};
  google_test::TempDir dir_;
  std::unique_ptr<LogCapture> log_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
  std::vector<int> held_;
};

// Which of `fds` the server has answered (or closed) so far, without waiting.
std::vector<int> Answered(const std::vector<int>& fds) {
  std::vector<int> answered;
  for (const int fd : fds) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 0) == 1) answered.push_back(fd);
  }
  return answered;
}

TEST_F(ConnectionLimits, OneAddressHoldingIdleConnectionsCannotStarveAPlanfixWebhook) {
  LogCapture& log = CaptureLog();
  // The hog alone would fill max_connections twice over.
  constexpr std::size_t kCap = 32;
  constexpr std::size_t kHogConnections = 300;
  StartApp(static_cast<int>(kCap), 150, {"127.0.0.1"});
  const std::vector<int> hog = OpenIdle(kHog, kHogConnections);
  ASSERT_EQ(hog.size(), kHogConnections);

  // Every connection beyond the cap is answered at once and closed; the first kCap wait.
  EXPECT_TRUE(Eventually([&] { return Answered(hog).size() >= kHogConnections - kCap; }))
      << Answered(hog).size() << " of " << kHogConnections << " answered";
  const std::vector<int> answered = Answered(hog);
  EXPECT_EQ(answered.size(), kHogConnections - kCap);
  std::size_t refused_429 = 0;
  for (const int fd : answered) {
    held_.erase(std::find(held_.begin(), held_.end(), fd));
    const RawAnswer refused = ReadAnswer(fd);
    if (StatusOf(refused) != 429) continue;
    ++refused_429;
    if (refused_429 > 1) continue;  // every answer is the same; look at one closely
    EXPECT_NE(refused.text.find("Retry-After: 1\r\n"), std::string::npos) << refused.text;
    EXPECT_TRUE(refused.closed);
    const json body =
        json::parse(refused.text.substr(refused.text.find("\r\n\r\n") + 4), nullptr, false);
    EXPECT_EQ(body.value("error", ""), "rate_limited") << refused.text;
    EXPECT_NE(body.value("detail", "").find("more than 32 connections open from your address"),
              std::string::npos)
        << refused.text;
  }
  EXPECT_EQ(refused_429, kHogConnections - kCap);

  // Planfix, from its own address, is served while the hog still holds its connections.
  const RawAnswer webhook =
      RawExchange(app_->port(), PlanfixWebhook(42, Secret()), seconds(10), kPlanfixAddress);
  EXPECT_EQ(StatusOf(webhook), 200) << webhook.text;
  EXPECT_TRUE(Stored(42));
  EXPECT_TRUE(Answered(std::vector<int>(held_.begin(), held_.end())).empty())
      << "the hog's first " << kCap << " connections stay open, unanswered";

  // One warning for the hog, not one per refused connection; the metric counts them all.
  EXPECT_EQ(log.Matching(fmt::format("remote={} has max_connections_per_address=32", kHog)).size(),
            1u);
  EXPECT_NE(
      app_->metrics().Render().find(fmt::format(
          "planfix_flow_http_connections_refused_per_address_total {}\n", kHogConnections - kCap)),
      std::string::npos);
  // Whatever the hog held is its own again once it lets go.
  for (const int fd : held_) ::close(fd);
  held_.clear();
  EXPECT_TRUE(Eventually([&] {
    return StatusOf(RawExchange(app_->port(), PlanfixWebhook(43, Secret()), seconds(10), kHog)) ==
           200;
  }));
}

TEST_F(ConnectionLimits, ATrustedProxyIsExemptFromThePerAddressCap) {
  StartApp(4, 150, {kProxy});
  // The proxy carries many clients: ten connections at once, each serving a request.
  std::vector<int> proxy;
  for (int i = 0; i < 10; ++i) {
    const int fd = ConnectLoopback(app_->port(), seconds(10), kProxy);
    ASSERT_GE(fd, 0);
    proxy.push_back(fd);
    held_.push_back(fd);
    ASSERT_TRUE(SendRaw(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  }
  for (const int fd : proxy) {
    char buffer[512];
    const auto got = ::recv(fd, buffer, sizeof(buffer), 0);
    ASSERT_GT(got, 0);
    EXPECT_EQ(std::string(buffer, 12), "HTTP/1.1 200");
  }
  // Another address with as many is capped.
  const std::vector<int> other = OpenIdle(kStranger, 10);
  ASSERT_TRUE(Eventually([&] { return Answered(other).size() >= 6; })) << Answered(other).size();
  const std::vector<int> refused = Answered(other);
  EXPECT_EQ(refused.size(), 6u);
  for (const int fd : refused) {
    held_.erase(std::find(held_.begin(), held_.end(), fd));
    EXPECT_EQ(StatusOf(ReadAnswer(fd)), 429);
  }
}

TEST_F(ConnectionLimits, LogLinesNameTheRealClientAndOnlyATrustedProxyMayNameIt) {
  LogCapture& log = CaptureLog();
  StartApp(256, 4096, {kProxy});
  // Through the proxy: the client wrote 198.51.100.7 itself, the proxy appended its peer.
  const RawAnswer proxied = RawExchange(
      app_->port(), PlanfixWebhook(42, Secret(), "198.51.100.7, 203.0.113.9"), seconds(10), kProxy);
  ASSERT_EQ(StatusOf(proxied), 200) << proxied.text;
  const RawAnswer refused_proxied = RawExchange(
      app_->port(), PlanfixWebhook(42, "wrong-secret", "203.0.113.9"), seconds(10), kProxy);
  ASSERT_EQ(StatusOf(refused_proxied), 401) << refused_proxied.text;
  // A client that is no proxy claims to be someone else.
  const RawAnswer spoofed = RawExchange(app_->port(), PlanfixWebhook(44, Secret(), "203.0.113.66"),
                                        seconds(10), kStranger);
  ASSERT_EQ(StatusOf(spoofed), 200) << spoofed.text;
  const RawAnswer refused_spoofed = RawExchange(
      app_->port(), PlanfixWebhook(44, "wrong-secret", "203.0.113.66"), seconds(10), kStranger);
  ASSERT_EQ(StatusOf(refused_spoofed), 401) << refused_spoofed.text;

  const auto stored = log.Matching("outcome=stored");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_NE(stored[0].find(fmt::format("remote=203.0.113.9 via={}", kProxy)), std::string::npos)
      << stored[0];
  EXPECT_TRUE(stored[1].ends_with(fmt::format("remote={}", kStranger))) << stored[1];
  const auto unauthorized = log.Matching("outcome=unauthorized");
  ASSERT_EQ(unauthorized.size(), 2u);
  EXPECT_NE(unauthorized[0].find(fmt::format("remote=203.0.113.9 via={}", kProxy)),
            std::string::npos)
      << unauthorized[0];
  EXPECT_NE(unauthorized[1].find(fmt::format("remote={} ", kStranger)), std::string::npos)
      << unauthorized[1];
  EXPECT_TRUE(log.Matching("203.0.113.66").empty()) << log.Matching("203.0.113.66")[0];
  EXPECT_TRUE(log.Matching("198.51.100.7").empty()) << log.Matching("198.51.100.7")[0];
}

}  // namespace
}  // namespace planfix_flow::app
