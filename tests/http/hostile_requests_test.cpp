// Hostile requests against the running ingress server: one table of cases (bad secrets and
// signatures, oversize, nested and invalid bodies, ids that are not numbers, protocol abuse,
// slow writers, thousands of idle connections). Each gets its documented status (README,
// "Hostile requests"), nothing is stored, and /healthz keeps answering throughout. How fast it
// answers under this load is measured by bench/healthz_bench.cpp (target: 100 ms), not here:
// under ASan on a shared machine a latency bound says more about the machine than the code.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>

#include <algorithm>
#include <condition_variable>
#include <future>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "engine/engine_test_util.h"
#include "http/ingress_test_support.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/http/ingress_server.h"
#include "planfix_flow/http/standard_webhooks.h"

namespace planfix_flow::http {
namespace {

using engine::testing::Eventually;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using test_support::AllSecrets;
using test_support::ConnectLoopback;
using test_support::FakeInbox;
using test_support::FakeJobAdmin;
using test_support::kAdminToken;
using test_support::kGoogleSecret;
using test_support::kPlanfixSecret;
using test_support::kStart;
using test_support::kTelegramSecret;
using test_support::RawAnswer;
using test_support::RawExchange;
using test_support::ReadAnswer;
using test_support::SendRaw;

constexpr int kClosed = 0;  // no answer at all: the server just closes the connection
constexpr std::size_t kIdleConnections = 2000;
constexpr std::size_t kSlowWriters = 4;
constexpr std::size_t kBodyLimit = 128 * 1024;  // room for 100,000 '['

ServerOptions HostileOptions() {
  ServerOptions options;
  options.body_limit_bytes = kBodyLimit;
  options.keep_alive_timeout = seconds(6);  // idle connections outlive the other cases
  options.read_timeout = seconds(2);        // a byte a second never trips this one...
  options.request_deadline = seconds(3);    // ...but the whole request has 3 s
  // One address plays every client here; the per-address cap has its own tests
  // (ConnectionLimits, through the App).
  options.max_connections_per_address = options.max_connections;
  return options;
}

// A request as raw bytes; every one asks the server to close after answering.
std::string Raw(std::string_view method, std::string_view target, const Headers& headers,
                std::string_view body = {}, std::optional<std::string> content_length = {}) {
  std::string text = fmt::format("{} {} HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, target);
  for (const auto& [name, value] : headers) text += fmt::format("{}: {}\r\n", name, value);
  if (!content_length && (!body.empty() || method == "POST")) {
    content_length = std::to_string(body.size());
  }
  if (content_length) text += fmt::format("Content-Length: {}\r\n", *content_length);
  text += "Connection: close\r\n\r\n";
  text += body;
  return text;
}

std::string Planfix(std::string_view body, std::string authorization = "",
                    std::string content_type = "application/json") {
  if (authorization.empty()) authorization = std::string("Bearer ") + kPlanfixSecret;
  Headers headers{{"Content-Type", content_type}};
  if (authorization != "none") headers["Authorization"] = authorization;
  return Raw("POST", "/webhooks/planfix", headers, body);
}

std::string Telegram(std::string_view body, std::string secret = kTelegramSecret) {
  Headers headers{{"Content-Type", "application/json"}};
  if (!secret.empty()) headers["X-Telegram-Bot-Api-Secret-Token"] = secret;
  return Raw("POST", "/webhooks/telegram", headers, body);
}

Headers GoogleHeaders(const std::string& id, long long timestamp, std::string_view signed_body) {
  return Headers{
      {"Content-Type", "application/json"},
      {"webhook-id", id},
      {"webhook-timestamp", std::to_string(timestamp)},
      {"webhook-signature",
       SignStandardWebhook(StandardWebhookKey(kGoogleSecret).value(), id, timestamp, signed_body)}};
}

std::string Google(std::string_view body, Headers headers) {
  return Raw("POST", "/webhooks/google-forms", headers, body);
}

std::string SignedGoogle(std::string_view body, long long timestamp = kStart) {
  return Google(body, GoogleHeaders("r-signed", timestamp, body));
}

constexpr char kSubmission[] =
    R"({"responseId":"r1","formId":"f1","timestamp":"2026-11-27T09:59:00Z","answers":[]})";

// A genuine delivery of kSubmission: stored once, then replayed by a case.
std::string GenuineGoogle() {
  return Google(kSubmission, GoogleHeaders("r1", kStart, kSubmission));
}

std::string Admin(std::string_view method, std::string_view target,
                  std::string authorization = std::string("Bearer ") + kAdminToken) {
  Headers headers;
  if (!authorization.empty()) headers["Authorization"] = authorization;
  return Raw(method, target, headers);
}

enum class Behaviour {
  kSend,        // send it all, read the answer
  kSlowWriter,  // send `fast_bytes` at once, then one byte a second until answered
};

struct HostileCase {
  std::string name;
  std::string request;
  int status;  // the documented answer, or kClosed
  Behaviour behaviour = Behaviour::kSend;
  std::size_t fast_bytes = 0;
};

std::vector<HostileCase> Cases() {
  const std::string task = R"({"event":"brief.send","task":"123"})";
  const std::string nested(100'000, '[');
  std::vector<HostileCase> cases = {
      {"planfix without Authorization", Planfix(task, "none"), 401},
      {"planfix wrong Bearer secret", Planfix(task, "Bearer pf-secret-124"), 401},
      {"planfix Basic with a wrong password",
       Planfix(task, "Basic " + Base64Encode("planfix:pf-secret-124")), 401},
      {"planfix Basic that is not base64", Planfix(task, "Basic %%%"), 401},
      {"planfix unknown auth scheme", Planfix(task, std::string("Digest ") + kPlanfixSecret), 401},
      {"telegram without the secret token", Telegram(R"({"update_id":1})", ""), 401},
      {"telegram wrong secret token", Telegram(R"({"update_id":1})", "tg_Secret-43"), 401},
      {"google wrong signature",
       Google(kSubmission,
              [] {
                auto headers = GoogleHeaders("r1", kStart, kSubmission);
                headers["webhook-signature"] = "v1," + Base64Encode(std::string(32, 'x'));
                return headers;
              }()),
       401},
      {"google without signature headers",
       Google(kSubmission, {{"Content-Type", "application/json"}}), 401},
      {"google replayed webhook-id with another body",
       Google(
           R"({"responseId":"r2","formId":"f1","timestamp":"2026-11-27T09:59:00Z","answers":[]})",
           GoogleHeaders("r1", kStart, kSubmission)),
       401},
      {"google replayed delivery (stored once already)", GenuineGoogle(), 200},
      {"google stale timestamp", SignedGoogle(kSubmission, kStart - 301), 401},
      {"google future timestamp", SignedGoogle(kSubmission, kStart + 301), 401},
      {"google timestamp not a number",
       Google(kSubmission,
              [] {
                auto headers = GoogleHeaders("r1", kStart, kSubmission);
                headers["webhook-timestamp"] = "1e9";
                return headers;
              }()),
       401},
      {"body over the limit", Planfix(std::string(kBodyLimit + 1, ' ')), 413},
      {"huge Content-Length, small body",
       Raw("POST", "/webhooks/planfix",
           {{"Content-Type", "application/json"},
            {"Authorization", std::string("Bearer ") + kPlanfixSecret}},
           task, "1000000000000"),
       413},
      {"Content-Length beyond 64 bits",
       Raw("POST", "/webhooks/planfix",
           {{"Content-Type", "application/json"},
            {"Authorization", std::string("Bearer ") + kPlanfixSecret}},
           task, "99999999999999999999999"),
       413},
      {"planfix invalid UTF-8 in a string",
       Planfix("{\"event\":\"brief.send\",\"task\":\"123\",\"at\":\"\xC3\x28\"}"), 400},
      {"telegram invalid UTF-8 in a string",
       Telegram("{\"update_id\":5,\"message\":{\"text\":\"\xED\xA0\x80\"}}"), 400},
      {"google invalid UTF-8 in a string",
       SignedGoogle(
           "{\"responseId\":\"r3\",\"formId\":\"f1\",\"timestamp\":\"2026-11-27T09:59:00Z\","
           "\"answers\":[{\"title\":\"\xFF\",\"value\":[]}]}"),
       400},
      // The fuzzer's duplicate-key input: a reader keeping the first "c" sees other data.
      {"planfix duplicate key", Planfix(R"({"event":"brief.send","task":"123","task":"124"})"),
       400},
      {"planfix duplicate key, nested",
       Planfix(R"({"event":"ping","task":"5","x":{"c":[{"b":"[{\"]N"}],"c":"\\"}})"), 400},
      {"telegram duplicate key", Telegram(R"({"update_id":7,"update_id":8})"), 400},
      {"telegram duplicate key inside the message",
       Telegram(R"({"update_id":9,"message":{"text":"/start a","text":"/start b"}})"), 400},
      {"google duplicate key",
       SignedGoogle(R"({"responseId":"r4","responseId":"r5","formId":"f1",)"
                    R"("timestamp":"2026-11-27T09:59:00Z","answers":[]})"),
       400},
      {"planfix 100,000 nested [", Planfix(nested), 400},
      {"telegram 100,000 nested [", Telegram(nested), 400},
      {"google 100,000 nested [", SignedGoogle(nested), 400},
      {"planfix task \"12a\"", Planfix(R"({"event":"brief.send","task":"12a"})"), 400},
      {"planfix task 1e309", Planfix(R"({"event":"brief.send","task":1e309})"), 400},
      {"planfix task -5", Planfix(R"({"event":"brief.send","task":-5})"), 400},
      {"planfix task beyond int64",
       Planfix(R"({"event":"brief.send","task":99999999999999999999})"), 400},
      {"planfix task string beyond int64",
       Planfix(R"({"event":"brief.send","task":"9223372036854775808"})"), 400},
      {"planfix form task \"12a\"",
       Planfix("event=brief.send&task=12a", "", "application/x-www-form-urlencoded"), 400},
      {"telegram update_id \"12a\"", Telegram(R"({"update_id":"12a"})"), 400},
      {"telegram update_id 1e309", Telegram(R"({"update_id":1e309})"), 400},
      {"telegram update_id -1", Telegram(R"({"update_id":-1})"), 400},
      {"admin job id beyond int64", Admin("GET", "/admin/jobs/99999999999999999999"), 404},
      {"admin job id \"12a\"", Admin("GET", "/admin/jobs/12a"), 404},
      {"admin without token", Admin("GET", "/admin/jobs", ""), 401},
      {"admin wrong token", Admin("GET", "/admin/jobs", "Bearer admin-token-8"), 401},
      {"planfix text/plain", Planfix(task, "", "text/plain"), 415},
      {"planfix latin-1 charset", Planfix(task, "", "application/json; charset=latin1"), 415},
      {"telegram form body",
       Raw("POST", "/webhooks/telegram",
           {{"Content-Type", "application/x-www-form-urlencoded"},
            {"X-Telegram-Bot-Api-Secret-Token", kTelegramSecret}},
           "update_id=1"),
       415},
      {"GET on a webhook", Raw("GET", "/webhooks/planfix", {}), 405},
      {"DELETE on /healthz", Raw("DELETE", "/healthz", {}), 405},
      {"unknown path", Raw("POST", "/webhooks/planfix2", {}, task), 404},
      {"header line of 10,000 bytes", Planfix(task, "Bearer " + std::string(10'000, 'a')), 400},
      {"100,000 headers",
       [] {
         Headers headers;
         for (int i = 0; i < 100'000; ++i) headers[fmt::format("X-Filler-{}", i)] = "x";
         return Raw("GET", "/healthz", headers);
       }(),
       413},
      {"request target of 10,000 bytes", Raw("GET", "/" + std::string(10'000, 'a'), {}), 414},
      {"not HTTP", "HELLO\r\n\r\n", 400},
      {"slow head, a byte a second", Planfix(task), 408, Behaviour::kSlowWriter, 0},
  };
  const std::string slow_body = Planfix(task);
  cases.push_back({"slow body, a byte a second", slow_body, 408, Behaviour::kSlowWriter,
                   slow_body.size() - task.size()});
  return cases;
}

// Sends `fast_bytes` at once, then one more byte whenever a second passes without an answer.
RawAnswer SlowExchange(int port, const std::string& request, std::size_t fast_bytes) {
  const int fd = ConnectLoopback(port, seconds(10));
  if (fd < 0) return {};
  SendRaw(fd, std::string_view(request).substr(0, fast_bytes));
  for (std::size_t next = fast_bytes; next < request.size(); ++next) {
    pollfd answer{fd, POLLIN, 0};
    if (::poll(&answer, 1, 1000) != 0) break;  // the server answered (or closed)
    if (!SendRaw(fd, std::string_view(request).substr(next, 1))) break;
  }
  return ReadAnswer(fd);
}

int StatusOf(const RawAnswer& answer) {
  if (answer.text.rfind("HTTP/1.1 ", 0) != 0 || answer.text.size() < 12) return kClosed;
  return std::stoi(answer.text.substr(9, 3));
}

std::string BodyOf(const RawAnswer& answer) {
  const std::size_t end = answer.text.find("\r\n\r\n");
  return end == std::string::npos ? "" : answer.text.substr(end + 4);
}

// Polls /healthz on its own keep-alive connection until stopped; counts the polls that got no
// 200 within the client's 5 s, and keeps the worst latency (printed, not judged).
class HealthWatchdog {
 public:
  explicit HealthWatchdog(int port) : thread_([this, port] { Run(port); }) {}
  ~HealthWatchdog() { Stop(); }

  void Stop() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    stopped_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  milliseconds worst() const { return std::chrono::ceil<milliseconds>(worst_); }
  int polls() const { return polls_; }
  int failures() const { return failures_; }

 private:
  void Run(int port) {
    CurlHttpClient client;
    HttpRequest request;
    request.url = fmt::format("http://127.0.0.1:{}/healthz", port);
    request.timeout = seconds(5);
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      const auto start = steady_clock::now();
      const auto response = client.Send(request);
      const auto took = steady_clock::now() - start;
      lock.lock();
      worst_ = std::max(worst_, took);
      ++polls_;
      if (!response || response->status != 200) ++failures_;
      // Pacing between polls, not a wait for anything.
      stopped_.wait_for(lock, milliseconds(20), [&] { return stop_; });
    }
  }

  std::mutex mutex_;
  std::condition_variable stopped_;
  bool stop_ = false;
  steady_clock::duration worst_{};
  int polls_ = 0;
  int failures_ = 0;
  std::thread thread_;
};

// Both ends of every loopback connection live in this process.
bool RaiseOpenFileLimit(rlim_t needed) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= needed) return true;
  if (limit.rlim_max < needed) return false;
  limit.rlim_cur = needed;
  return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

class HostileRequests : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(RaiseOpenFileLimit(2 * kIdleConnections + 1024))
        << "the test needs RLIMIT_NOFILE >= " << 2 * kIdleConnections + 1024;
    IngressHooks hooks;
    hooks.job_admin = &admin_;
    server_ = std::make_unique<IngressServer>(HostileOptions(), inbox_, metrics_, clock_,
                                              AllSecrets(), hooks);
    server_->Start();
  }
  void TearDown() override {
    for (const int fd : idle_) ::close(fd);
    if (server_) server_->Stop();
  }

  double OpenConnections() {
    return metrics_.GetGauge("planfix_flow_http_open_connections", "").value();
  }

  core::FakeClock clock_{core::FromUnixSeconds(kStart)};
  core::Metrics metrics_;
  FakeInbox inbox_;
  FakeJobAdmin admin_;
  std::unique_ptr<IngressServer> server_;
  std::vector<int> idle_;
};

TEST_F(HostileRequests, GetTheirDocumentedStatusStoreNothingAndHealthzKeepsAnswering) {
  const auto test_start = steady_clock::now();
  const int port = server_->port();
  // One genuine delivery, so that its replay below has something to be a duplicate of.
  ASSERT_EQ(StatusOf(RawExchange(port, GenuineGoogle(), seconds(10))), 200);
  const std::size_t stored = inbox_.events().size();
  ASSERT_EQ(stored, 1u);

  HealthWatchdog watchdog(port);
  for (std::size_t i = 0; i < kIdleConnections; ++i) {
    const int fd = ConnectLoopback(port, seconds(10));
    ASSERT_GE(fd, 0) << "connection " << i;
    idle_.push_back(fd);
  }
  // Accepted and parked by the server, not waiting in the kernel's backlog.
  ASSERT_TRUE(Eventually([&] { return OpenConnections() >= double(kIdleConnections); }))
      << OpenConnections();

  const std::vector<HostileCase> cases = Cases();
  std::vector<std::pair<const HostileCase*, std::future<RawAnswer>>> slow;
  for (const auto& hostile : cases) {
    if (hostile.behaviour != Behaviour::kSlowWriter) continue;
    for (std::size_t i = 0; i < kSlowWriters; ++i) {
      slow.emplace_back(&hostile, std::async(std::launch::async, [&hostile, port] {
        return SlowExchange(port, hostile.request, hostile.fast_bytes);
      }));
    }
  }
  const auto check = [&](const HostileCase& hostile, const RawAnswer& answer) {
    EXPECT_EQ(StatusOf(answer), hostile.status) << answer.text.substr(0, 300);
    EXPECT_TRUE(answer.closed) << "the server should close after Connection: close";
    if (hostile.status >= 400) {
      const json body = json::parse(BodyOf(answer), nullptr, false);
      EXPECT_TRUE(body.is_object() && body["error"].is_string() && body["detail"].is_string())
          << BodyOf(answer);
    }
  };
  for (const auto& hostile : cases) {
    if (hostile.behaviour != Behaviour::kSend) continue;
    SCOPED_TRACE(hostile.name);
    check(hostile, RawExchange(port, hostile.request, seconds(10)));
    EXPECT_EQ(inbox_.events().size(), stored);
  }
  for (auto& [hostile, answer] : slow) {
    SCOPED_TRACE(hostile->name);
    check(*hostile, answer.get());
  }
  EXPECT_EQ(inbox_.events().size(), stored);
  EXPECT_TRUE(admin_.calls.empty());

  // The idle connections got nothing and were closed at their idle deadline.
  std::size_t closed = 0;
  const auto give_up = steady_clock::now() + HostileOptions().keep_alive_timeout + seconds(10);
  for (const int fd : idle_) {
    pollfd entry{fd, POLLIN, 0};
    const auto left = std::chrono::ceil<milliseconds>(give_up - steady_clock::now()).count();
    if (::poll(&entry, 1, static_cast<int>(std::max<long long>(left, 0))) != 1) continue;
    char byte = 0;
    if (::recv(fd, &byte, 1, 0) == 0) ++closed;
  }
  EXPECT_EQ(closed, kIdleConnections);

  watchdog.Stop();
  EXPECT_EQ(watchdog.failures(), 0);
  EXPECT_GT(watchdog.polls(), 50);
  const auto wall = std::chrono::duration_cast<milliseconds>(steady_clock::now() - test_start);
  std::cout << "hostile requests: " << cases.size() << " cases (" << kSlowWriters
            << " writers each slow case), " << kIdleConnections << " idle connections; /healthz "
            << watchdog.polls() << " polls, worst " << watchdog.worst().count() << " ms; wall "
            << wall.count() << " ms\n";
  RecordProperty("healthz_worst_ms", static_cast<int>(watchdog.worst().count()));
}

TEST_F(HostileRequests, RefusesConnectionsBeyondTheCapWith503UntilOneCloses) {
  server_->Stop();
  ServerOptions options = HostileOptions();
  options.max_connections = 3;
  server_ = std::make_unique<IngressServer>(options, inbox_, metrics_, clock_, AllSecrets());
  server_->Start();
  const int port = server_->port();
  const std::string health = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::string health_once = Raw("GET", "/healthz", {});
  // Three keep-alive connections, each answered once, so the server counts them.
  std::vector<int> held;
  for (int i = 0; i < 3; ++i) {
    const int fd = ConnectLoopback(port, seconds(10));
    ASSERT_GE(fd, 0);
    held.push_back(fd);
    ASSERT_TRUE(SendRaw(fd, health));
    char buffer[512];
    ASSERT_GT(::recv(fd, buffer, sizeof(buffer), 0), 0);
  }
  const RawAnswer refused = RawExchange(port, health_once, seconds(10));
  EXPECT_EQ(StatusOf(refused), 503) << refused.text;
  EXPECT_NE(refused.text.find("Retry-After: 1"), std::string::npos);
  EXPECT_EQ(json::parse(BodyOf(refused), nullptr, false)["error"], "unavailable");
  ::close(held.back());
  held.pop_back();
  EXPECT_TRUE(
      Eventually([&] { return StatusOf(RawExchange(port, health_once, seconds(10))) == 200; }));
  for (const int fd : held) ::close(fd);
}

}  // namespace
}  // namespace planfix_flow::http
