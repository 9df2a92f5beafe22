// /healthz under hostile load: how long the health check takes while 2,000 connections sit
// idle, 8 clients send their requests one byte a second and others keep posting oversize,
// deeply nested or unauthorized webhooks. The correctness test
// (tests/http/hostile_requests_test.cpp) checks that /healthz keeps answering through the same
// load; this program measures how fast, in a Release build without sanitizers, against the
// target of 100 ms for the slowest answer.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/http/ingress_server.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kSecret[] = "bench-planfix-secret";
constexpr std::size_t kIdleConnections = 2000;
constexpr int kSlowWriters = 8;
constexpr auto kDuration = seconds(10);
constexpr double kTargetWorstMs = 100;

int Connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void Send(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(sent));
  }
}

// Sends the request and reads until the server closes the connection (or 5 s pass).
void Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) return;
  Send(fd, request);
  char buffer[4096];
  for (;;) {
    pollfd entry{fd, POLLIN, 0};
    if (::poll(&entry, 1, 5000) != 1 || ::recv(fd, buffer, sizeof(buffer), 0) <= 0) break;
  }
  ::close(fd);
}

std::string Post(const std::string& body, const std::string& authorization) {
  return "POST /webhooks/planfix HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
         "application/json\r\nAuthorization: " +
         authorization + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

int Main() {
  Output out("/tmp/planfix-flow-bench-healthz.log");
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  const rlim_t needed = 2 * kIdleConnections + 1024;
  if (limit.rlim_cur < needed && limit.rlim_max >= needed) {
    limit.rlim_cur = needed;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }

  storage::Database database(storage::DatabaseOptions{});
  core::Metrics metrics;
  core::SystemClock clock;
  http::ServerOptions options;
  options.body_limit_bytes = 128 * 1024;
  options.keep_alive_timeout = seconds(30);  // the idle connections last the whole run
  options.read_timeout = seconds(2);
  options.request_deadline = seconds(3);
  // One address plays every client here; the per-address cap is not what is measured.
  options.max_connections_per_address = options.max_connections;
  http::Secrets secrets;
  secrets.planfix_webhook_secret = kSecret;
  http::IngressServer server(options, database, metrics, clock, secrets);
  server.Start();
  const int port = server.port();

  Output::Note("healthz: opening " + std::to_string(kIdleConnections) + " idle connections");
  std::vector<int> idle;
  for (std::size_t i = 0; i < kIdleConnections; ++i) {
    const int fd = Connect(port);
    if (fd >= 0) idle.push_back(fd);
  }

  std::atomic<bool> stop{false};
  std::vector<std::thread> load;
  const std::string slow = Post(R"({"event":"ping","task":"1"})", std::string("Bearer ") + kSecret);
  for (int i = 0; i < kSlowWriters; ++i) {
    load.emplace_back([&] {
      while (!stop) {
        const int fd = Connect(port);
        if (fd < 0) continue;
        for (std::size_t next = 0; next < slow.size() && !stop; ++next) {
          Send(fd, std::string_view(slow).substr(next, 1));
          pollfd entry{fd, POLLIN, 0};
          if (::poll(&entry, 1, 1000) != 0) break;  // answered (408) or closed
        }
        ::close(fd);
      }
    });
  }
  const std::vector<std::string> hostile = {
      Post(std::string(100'000, '['), std::string("Bearer ") + kSecret),
      Post(R"({"event":"ping","task":"1"})", "Bearer wrong"),
      Post(std::string(128 * 1024 + 1, ' '), std::string("Bearer ") + kSecret),
      "GET /" + std::string(10'000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      "HELLO\r\n\r\n",
  };
  for (int i = 0; i < 2; ++i) {
    load.emplace_back([&, i] {
      for (std::size_t n = static_cast<std::size_t>(i); !stop; ++n) {
        Exchange(port, hostile[n % hostile.size()]);
      }
    });
  }

  Output::Note("healthz: polling /healthz every 20 ms for 10 s under that load");
  http::CurlHttpClient client;
  http::HttpRequest request;
  request.url = "http://127.0.0.1:" + std::to_string(port) + "/healthz";
  request.timeout = seconds(5);
  std::vector<double> latencies_ms;
  int failures = 0;
  const auto end = Clock::now() + kDuration;
  while (Clock::now() < end) {
    const auto start = Clock::now();
    const auto response = client.Send(request);
    latencies_ms.push_back(Seconds(Clock::now() - start) * 1000);
    if (!response || response->status != 200) ++failures;
    std::this_thread::sleep_for(milliseconds(20));  // pacing between polls
  }
  stop = true;
  for (auto& thread : load) thread.join();
  for (const int fd : idle) ::close(fd);
  server.Stop();

  const std::string name = "healthz under hostile load";
  out.Row(name, "idle connections / slow writers / hostile posters",
          std::to_string(idle.size()) + " / " + std::to_string(kSlowWriters) + " / 2");
  out.Row(name, "polls (failed)",
          std::to_string(latencies_ms.size()) + " (" + std::to_string(failures) + ")", "0 failed",
          Verdict(failures == 0));
  std::vector<double> sorted = latencies_ms;
  const double p50 = Percentile(sorted, 0.50);
  const double p99 = Percentile(sorted, 0.99);
  const double worst = sorted.empty() ? 0 : sorted.back();
  out.Row(name, "/healthz p50 / p99 (ms)", Fixed(p50, 2) + " / " + Fixed(p99, 2));
  out.Row(name, "/healthz worst (ms)", Fixed(worst, 1), "<= 100", Verdict(worst <= kTargetWorstMs));
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace planfix_flow::bench

int main() { return planfix_flow::bench::Main(); }
