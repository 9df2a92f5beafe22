#include "http/parking_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include "planfix_flow/core/log.h"

namespace planfix_flow::http {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How often parked connections are checked against their idle deadlines.
constexpr milliseconds kSweepInterval{100};
// How long a connection closed after an answer keeps discarding what the client still sends.
// Closing with unread bytes would reset the connection, and the client could lose the answer.
constexpr milliseconds kLinger{1000};
// How long a worker waits for a keep-alive client's next request before parking it. A busy
// client sends its next request within a round trip; serving it on the same worker saves
// the trip through the poller (two wake-ups), which cost a tenth of the ingest rate.
constexpr milliseconds kNextRequestGrace{2};
constexpr std::size_t kDrainPerWakeup = 64 * 1024;
constexpr std::size_t kReadChunk = 4096;

// httplib's ThreadPool queues without limit. This one makes the producer (the accept loop or
// the poller) wait while `max_queued` connections already wait for a worker.
class BoundedThreadPool final : public httplib::TaskQueue {
 public:
  BoundedThreadPool(std::size_t threads, std::size_t max_queued) : max_queued_(max_queued) {
    workers_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
  }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return jobs_.size() < max_queued_ || shutdown_; });
    jobs_.push_back(std::move(fn));
    not_empty_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      shutdown_ = true;
    }
    not_empty_.notify_all();
    not_full_.notify_all();
    for (auto& worker : workers_) worker.join();
  }

 private:
  void Work() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock lock(mutex_);
        not_empty_.wait(lock, [&] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty()) return;  // shut down and drained
        job = std::move(jobs_.front());
        jobs_.pop_front();
        not_full_.notify_one();
      }
      job();
    }
  }

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable not_empty_;
  std::condition_variable not_full_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
  bool shutdown_ = false;
};

int PollMillis(Clock::duration duration) {
  const auto ms = std::chrono::ceil<milliseconds>(duration).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, 60'000));
}

// Waits until `fd` is ready for `events` or `until`; false on timeout or error.
bool WaitFor(int fd, short events, Clock::time_point until) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, PollMillis(until - Clock::now()));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

// Sends all of `data` within `timeout`; false if the client does not take it.
bool SendAll(int fd, std::string_view data, milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (!data.empty()) {
    const ssize_t sent = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent > 0) {
      data.remove_prefix(static_cast<std::size_t>(sent));
    } else if (sent < 0 && errno == EINTR) {
      continue;
    } else if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!WaitFor(fd, POLLOUT, until)) return false;
    } else {
      return false;
    }
  }
  return true;
}

std::string Answer(int status, std::string_view reason, std::string_view body,
                   std::string_view extra_headers) {
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{}"
      "Connection: close\r\n\r\n{}",
      status, reason, body.size(), extra_headers, body);
}

void Address(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage address{};
  socklen_t length = sizeof(address);
  auto* raw = reinterpret_cast<sockaddr*>(&address);
  const int result = peer ? ::getpeername(fd, raw, &length) : ::getsockname(fd, raw, &length);
  if (result != 0) return;
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &v4->sin_addr, text.data(), text.size());
    port = ntohs(v4->sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, text.data(), text.size());
    port = ntohs(v6->sin6_port);
  }
  ip = text.data();
}

}  // namespace

// Open connections per client address (ConnectionKey). An entry lives only while its
// address has connections open, so many addresses cost memory only while they are connected.
class ParkingServer::AddressCounts {
 public:
  struct Admission {
    bool admitted = false;
    bool first_refusal = false;  // the first since this address last had no connection
  };

  Admission Add(const std::string& key, std::size_t limit) {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[key];
    if (entry.open < limit) {
      ++entry.open;
      return {true, false};
    }
    const bool first = !entry.refusing;
    entry.refusing = true;
    return {false, first};
  }

  void Remove(const std::string& key) {
    std::lock_guard lock(mutex_);
    const auto it = entries_.find(key);
    if (it != entries_.end() && --it->second.open == 0) entries_.erase(it);
  }

 private:
  struct Entry {
    std::size_t open = 0;
    bool refusing = false;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

struct ParkingServer::Connection {
  Connection(int fd_in, std::atomic<std::size_t>& open_in, core::Gauge* gauge_in)
      : fd(fd_in), open(open_in), gauge(gauge_in) {}
  ~Connection() {
    ::shutdown(fd, SHUT_RDWR);
    ::close(fd);
    if (address_counts != nullptr) address_counts->Remove(address_key);
    open.fetch_sub(1);
    if (gauge != nullptr) gauge->Add(-1);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool HasBuffered() const { return offset < buffered.size(); }

  const int fd;
  std::atomic<std::size_t>& open;
  core::Gauge* const gauge;
  // Bytes read past the end of the last request (a pipelined next one), from `offset`.
  std::string buffered;
  std::size_t offset = 0;
  std::size_t served = 0;
  Clock::time_point idle_deadline;
  bool lingering = false;  // answered and shut for writing; input is discarded until EOF
  // Where this connection is counted against max_connections_per_address, if it is.
  AddressCounts* address_counts = nullptr;
  std::string address_key;
};

namespace {

enum class StreamFailure { kNone, kTimedOut, kTooLarge };

// One request's view of a connection: reads are buffered and end at the request's deadline
// (or after a single wait of read_timeout) or at its byte limit. Either marks the stream
// failed and mutes httplib's own answer, so that the server answers 408 or 413 instead.
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(ParkingServer::Connection& connection, Clock::time_point deadline,
                 const ConnectionLimits& limits)
      : connection_(connection), deadline_(deadline), limits_(limits) {}

  bool is_readable() const override {
    if (connection_.HasBuffered()) return true;
    pollfd entry{connection_.fd, POLLIN, 0};
    return ::poll(&entry, 1, 0) > 0;
  }
  bool is_writable() const override { return failure_ == StreamFailure::kNone; }

  ssize_t read(char* ptr, size_t size) override {
    if (failure_ != StreamFailure::kNone) return -1;
    if (delivered_ >= limits_.max_request_bytes) {
      failure_ = StreamFailure::kTooLarge;
      return -1;
    }
    size = std::min(size, limits_.max_request_bytes - delivered_);
    auto& buffered = connection_.buffered;
    if (!connection_.HasBuffered()) {
      buffered.clear();
      connection_.offset = 0;
      const auto until = std::min(deadline_, Clock::now() + limits_.server.read_timeout);
      if (!WaitFor(connection_.fd, POLLIN, until)) {
        failure_ = StreamFailure::kTimedOut;
        return -1;
      }
      buffered.resize(kReadChunk);
      ssize_t got = 0;
      do {
        got = ::recv(connection_.fd, buffered.data(), buffered.size(), MSG_DONTWAIT);
      } while (got < 0 && errno == EINTR);
      buffered.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
      if (got <= 0) return got;
    }
    const std::size_t n = std::min(size, buffered.size() - connection_.offset);
    std::memcpy(ptr, buffered.data() + connection_.offset, n);
    connection_.offset += n;
    delivered_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (failure_ != StreamFailure::kNone) return -1;
    const std::string_view data(ptr, size);
    // httplib writes each response head in one piece; "Connection: close" there (asked for by
    // the client or set by a handler) means the connection ends with this answer. So does a
    // 400 or 414: httplib keeps the connection after a head it could not parse and would take
    // the rest of it for the next request.
    if (data.substr(0, 13) == "HTTP/1.1 400 " || data.substr(0, 13) == "HTTP/1.1 414 ") {
      answered_close_ = true;
    }
    if (data.substr(0, 9) == "HTTP/1.1 ") {
      const std::size_t head_end = data.find("\r\n\r\n");
      const std::string_view head =
          data.substr(0, head_end == std::string_view::npos ? head_end : head_end + 2);
      if (head.find("\r\nConnection: close\r\n") != std::string_view::npos) {
        answered_close_ = true;
      }
    }
    if (!SendAll(connection_.fd, data, limits_.server.write_timeout)) return -1;
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    Address(connection_.fd, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    Address(connection_.fd, false, ip, port);
  }
  socket_t socket() const override { return connection_.fd; }

  StreamFailure failure() const { return failure_; }
  bool answered_close() const { return answered_close_; }

 private:
  ParkingServer::Connection& connection_;
  const Clock::time_point deadline_;
  const ConnectionLimits& limits_;
  std::size_t delivered_ = 0;
  StreamFailure failure_ = StreamFailure::kNone;
  bool answered_close_ = false;
};

}  // namespace

ParkingServer::ParkingServer(ConnectionLimits limits)
    : limits_(std::move(limits)), address_counts_(std::make_unique<AddressCounts>()) {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    if (epoll_fd_ >= 0) ::close(epoll_fd_);
    if (wake_fd_ >= 0) ::close(wake_fd_);
    throw std::system_error(errno, std::generic_category(), "ingress: epoll");
  }
  epoll_event wake{};
  wake.events = EPOLLIN;
  wake.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &wake);
  new_task_queue = [this] {
    auto* pool =
        new BoundedThreadPool(limits_.server.threads, limits_.server.max_queued_connections);
    pool_ = pool;
    return pool;
  };
  poller_ = std::thread([this] { Poll(); });
}

ParkingServer::~ParkingServer() {
  Shutdown();
  ::close(epoll_fd_);
  ::close(wake_fd_);
}

void ParkingServer::Shutdown() {
  if (stopping_.exchange(true)) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(wake_fd_, &one, sizeof(one));
  poller_.join();
  std::unordered_map<int, std::shared_ptr<Connection>> parked;
  {
    std::lock_guard lock(mutex_);
    parked.swap(parked_);
  }
  parked.clear();  // closes them
  stop();
}

void ParkingServer::WidenBacklog() { ::listen(svr_sock_, SOMAXCONN); }

bool ParkingServer::process_and_close_socket(socket_t sock) {
  const std::size_t open = open_.fetch_add(1) + 1;
  if (limits_.open_connections != nullptr) limits_.open_connections->Add(1);
  auto connection = std::make_shared<Connection>(sock, open_, limits_.open_connections);
  if (stopping_) return false;
  if (open > limits_.server.max_connections) {
    if (limits_.refused != nullptr) limits_.refused->Increment();
    SendAll(sock, Answer(503, "Service Unavailable", limits_.overload_body, "Retry-After: 1\r\n"),
            limits_.server.write_timeout);
    return false;
  }
  if (!AdmitAddress(*connection)) return false;
  connection->idle_deadline =
      Clock::now() + std::max(limits_.server.keep_alive_timeout, limits_.server.read_timeout);
  pollfd entry{sock, POLLIN, 0};
  if (::poll(&entry, 1, 0) > 0) {
    Serve(std::move(connection));
  } else {
    Park(std::move(connection));
  }
  return true;
}

bool ParkingServer::AdmitAddress(Connection& connection) {
  std::string ip;
  int port = 0;
  Address(connection.fd, true, ip, port);
  const auto peer = ParseIpAddress(ip);
  if (!peer || limits_.trusted_proxies.Contains(*peer)) return true;
  std::string key = ConnectionKey(*peer);
  const auto admission = address_counts_->Add(key, limits_.server.max_connections_per_address);
  if (admission.admitted) {
    connection.address_counts = address_counts_.get();
    connection.address_key = std::move(key);
    return true;
  }
  if (limits_.refused_per_address != nullptr) limits_.refused_per_address->Increment();
  if (admission.first_refusal) {
    // Once per episode: a client holding thousands of connections must not flood the log.
    core::Logger("ingress")->warn(
        "remote={} has max_connections_per_address={} open; refusing more with 429 (logged "
        "once until all its connections close)",
        key, limits_.server.max_connections_per_address);
  }
  SendAll(connection.fd,
          Answer(429, "Too Many Requests", limits_.per_address_body, "Retry-After: 1\r\n"),
          limits_.server.write_timeout);
  return false;
}

void ParkingServer::Serve(std::shared_ptr<Connection> connection) {
  do {
    if (stopping_) return;
    const bool last = connection->served + 1 >= limits_.server.keep_alive_max_count;
    DeadlineStream stream(*connection, Clock::now() + limits_.server.request_deadline, limits_);
    bool closed_by_client = false;
    const bool ok = process_request(stream, last, closed_by_client, nullptr);
    ++connection->served;
    if (stream.failure() == StreamFailure::kTimedOut) {
      if (limits_.timed_out != nullptr) limits_.timed_out->Increment();
      if (SendAll(connection->fd, Answer(408, "Request Timeout", limits_.timeout_body, ""),
                  limits_.server.write_timeout)) {
        Linger(std::move(connection));
      }
      return;
    }
    if (stream.failure() == StreamFailure::kTooLarge) {
      if (SendAll(connection->fd, Answer(413, "Payload Too Large", limits_.too_large_body, ""),
                  limits_.server.write_timeout)) {
        Linger(std::move(connection));
      }
      return;
    }
    if (!ok) return;  // the client is gone, or did not take the answer
    if (closed_by_client || last || stream.answered_close()) return Linger(std::move(connection));
  } while (connection->HasBuffered() ||
           WaitFor(connection->fd, POLLIN, Clock::now() + kNextRequestGrace));
  connection->idle_deadline = Clock::now() + limits_.server.keep_alive_timeout;
  Park(std::move(connection));
}

void ParkingServer::Park(std::shared_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (stopping_) return;  // closes it
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = connection->fd;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, connection->fd, &event) != 0) return;
  parked_.emplace(connection->fd, std::move(connection));
}

void ParkingServer::Linger(std::shared_ptr<Connection> connection) {
  ::shutdown(connection->fd, SHUT_WR);
  connection->lingering = true;
  connection->idle_deadline = Clock::now() + kLinger;
  Park(std::move(connection));
}

namespace {

// Reads and discards what is available; false once the client closed (or the socket failed).
bool Drain(int fd) {
  std::array<char, 16 * 1024> sink{};
  for (std::size_t total = 0; total < kDrainPerWakeup;) {
    const ssize_t got = ::recv(fd, sink.data(), sink.size(), MSG_DONTWAIT);
    if (got > 0) {
      total += static_cast<std::size_t>(got);
      continue;
    }
    return got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
  return true;
}

}  // namespace

void ParkingServer::Poll() {
  std::array<epoll_event, 256> events{};
  auto next_sweep = Clock::now() + kSweepInterval;
  for (;;) {
    const int count = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()),
                                   PollMillis(next_sweep - Clock::now()));
    std::vector<std::shared_ptr<Connection>> ready;
    std::vector<std::shared_ptr<Connection>> expired;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      for (int i = 0; i < count; ++i) {
        const int fd = events[static_cast<std::size_t>(i)].data.fd;
        const auto it = parked_.find(fd);
        if (it == parked_.end()) continue;  // the wake-up event
        if (it->second->lingering && Drain(fd)) continue;
        ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
        (it->second->lingering ? expired : ready).push_back(std::move(it->second));
        parked_.erase(it);
      }
      const auto now = Clock::now();
      if (now >= next_sweep) {
        next_sweep = now + kSweepInterval;
        for (auto it = parked_.begin(); it != parked_.end();) {
          if (it->second->idle_deadline > now) {
            ++it;
            continue;
          }
          ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->first, nullptr);
          expired.push_back(std::move(it->second));
          it = parked_.erase(it);
        }
      }
    }
    expired.clear();  // closes them, outside the lock
    // Outside the lock: enqueue waits while the pool's queue is full, and workers park.
    for (auto& connection : ready) {
      pool_.load()->enqueue(
          [this, connection = std::move(connection)]() mutable { Serve(std::move(connection)); });
    }
  }
}

}  // namespace planfix_flow::http
