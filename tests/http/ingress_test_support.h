// Shared by the ingress server's tests: the secrets, an in-memory Inbox, a JobAdmin that
// records its calls, and a raw-socket exchange for requests no HTTP client would send.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "planfix_flow/http/ingress_server.h"

namespace planfix_flow::http::test_support {

inline constexpr char kPlanfixSecret[] = "pf-secret-123";
inline constexpr char kGoogleSecret[] = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
inline constexpr char kTelegramSecret[] = "tg_Secret-42";
inline constexpr char kAdminToken[] = "admin-token-9";
inline constexpr long long kStart = 1764237600;  // 2026-11-27 10:00:00 UTC

// Stores events once per (source, dedupe_key) like the real inbox; can hold appends until
// released, and can be made to fail or throw.
class FakeInbox final : public storage::Inbox {
 public:
  core::Result<storage::AppendResult> AppendEvent(const storage::NewEvent& event) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return !holding_; });
    if (throw_) throw std::runtime_error("secret internals: /var/lib/db");
    if (fail_) return core::Fail(core::ErrorCode::kUnavailable, "database is locked");
    const auto key = std::make_pair(event.source, event.dedupe_key);
    if (const auto it = keys_.find(key); it != keys_.end()) {
      return storage::AppendResult{storage::AppendOutcome::kDuplicate, it->second};
    }
    events_.push_back(event);
    const auto id = static_cast<std::int64_t>(events_.size());
    keys_.emplace(key, id);
    return storage::AppendResult{storage::AppendOutcome::kStored, id};
  }

  void Hold() {
    std::lock_guard lock(mutex_);
    holding_ = true;
  }
  void Release() {
    std::lock_guard lock(mutex_);
    holding_ = false;
    changed_.notify_all();
  }
  bool WaitUntilEntered(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ >= count; });
  }
  void SetFailing(bool fail) {
    std::lock_guard lock(mutex_);
    fail_ = fail;
  }
  void SetThrowing(bool value) {
    std::lock_guard lock(mutex_);
    throw_ = value;
  }
  std::vector<storage::NewEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool holding_ = false;
  bool fail_ = false;
  bool throw_ = false;
  int entered_ = 0;
  std::vector<storage::NewEvent> events_;
  std::map<std::pair<storage::EventSource, std::string>, std::int64_t> keys_;
};

class FakeJobAdmin final : public JobAdmin {
 public:
  core::Result<std::string> ListJobs(const std::string& state, int limit) override {
    std::lock_guard lock(mutex_);
    calls.push_back("list " + state + " " + std::to_string(limit));
    return std::string(R"([{"id":7,"state":"dead"}])");
  }
  core::Result<std::string> ShowJob(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    calls.push_back("show " + std::to_string(id));
    if (id != 7) return core::Fail(core::ErrorCode::kNotFound, "job 8 does not exist");
    return std::string(R"({"id":7,"state":"dead"})");
  }
  core::Result<std::string> ReplayJob(std::int64_t id) override {
    std::lock_guard lock(mutex_);
    calls.push_back("replay " + std::to_string(id));
    if (id == 9) return core::Fail(core::ErrorCode::kConflict, "job 9 is not dead");
    return std::string(R"({"id":7,"state":"queued"})");
  }
  std::mutex mutex_;
  std::vector<std::string> calls;
};

inline Secrets AllSecrets() {
  return Secrets{kPlanfixSecret, kGoogleSecret, kTelegramSecret, kAdminToken};
}

// What a raw exchange got: the bytes, and whether the server closed the connection.
struct RawAnswer {
  std::string text;
  bool closed = false;
};

// A blocking loopback connection to `port` whose sends and receives give up after `wait`;
// -1 if it cannot connect. `from` is the source address, any of 127.0.0.0/8 (Linux routes
// the whole range to loopback), so one test can play several clients.
inline int ConnectLoopback(int port, std::chrono::milliseconds wait,
                           const char* from = "127.0.0.1") {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  // The port is chosen at connect, per destination, not at bind from one pool per address.
  const int one = 1;
  ::setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
  sockaddr_in source{};
  source.sin_family = AF_INET;
  if (::inet_pton(AF_INET, from, &source.sin_addr) != 1 ||
      ::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof(source)) != 0) {
    ::close(fd);
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  timeval timeout{};
  timeout.tv_sec = static_cast<time_t>(wait.count() / 1000);
  timeout.tv_usec = static_cast<suseconds_t>((wait.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// False when the server stopped taking bytes (it may close early, e.g. after refusing an
// oversize body).
inline bool SendRaw(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Reads until the server closes the connection or the socket's receive timeout passes, then
// closes `fd`.
inline RawAnswer ReadAnswer(int fd) {
  RawAnswer answer;
  char buffer[4096];
  for (;;) {
    const auto n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) {
      answer.closed = true;
      break;
    }
    if (n < 0) break;  // timeout (or reset)
    answer.text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

// Sends raw bytes on a new connection and reads until the server closes it or `wait` passes.
inline RawAnswer RawExchange(int port, const std::string& request, std::chrono::milliseconds wait,
                             const char* from = "127.0.0.1") {
  const int fd = ConnectLoopback(port, wait, from);
  if (fd < 0) return {};
  SendRaw(fd, request);
  return ReadAnswer(fd);
}

}  // namespace planfix_flow::http::test_support
