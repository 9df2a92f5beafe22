// ParkingServer: a cpp-httplib server whose workers only serve requests that are arriving.
// A connection with no request bytes yet (new, or idle between keep-alive requests) waits in
// one epoll thread instead of a worker and is closed at its idle deadline; a request must
// arrive whole (head and body) within a deadline or it is answered 408, and be no larger than
// a limit (413); open connections are capped, in all (503 beyond) and per client address
// (429 beyond). Thread-safe like httplib::Server; Shutdown from the owning thread.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "planfix_flow/core/metrics.h"
#include "planfix_flow/http/client_address.h"
#include "planfix_flow/http/ingress_server.h"

namespace planfix_flow::http {

struct ConnectionLimits {
  // threads, max_queued_connections, max_connections, max_connections_per_address,
  // keep_alive_max_count, the timeouts and request_deadline, as documented there.
  ServerOptions server;
  // Peers exempt from max_connections_per_address (server.trusted_proxies, parsed).
  TrustedProxies trusted_proxies;
  // Bytes of one request (head and body, as sent) beyond which it is answered 413 and the
  // connection closed; bounds what endless headers can take.
  std::size_t max_request_bytes = std::size_t{128} * 1024;
  // JSON bodies of the answers the server gives on its own (408, 413 and 503).
  std::string timeout_body;
  std::string too_large_body;
  std::string overload_body;
  std::string per_address_body;  // 429
  // Optional; must outlive the server.
  core::Gauge* open_connections = nullptr;
  core::Counter* timed_out = nullptr;
  core::Counter* refused = nullptr;
  core::Counter* refused_per_address = nullptr;
};

class ParkingServer final : public httplib::Server {
 public:
  explicit ParkingServer(ConnectionLimits limits);
  ~ParkingServer() override;
  ParkingServer(const ParkingServer&) = delete;
  ParkingServer& operator=(const ParkingServer&) = delete;

  // Closes the parked connections and stops accepting; requests in flight finish and their
  // connections close. The thread running listen_after_bind() then returns. Idempotent.
  void Shutdown();
  std::size_t open_connections() const { return open_.load(); }
  // After bind: httplib listens with a backlog of 5, so a burst of connections would see SYNs
  // dropped and retried after a second or more. Listening again only widens the queue.
  void WidenBacklog();

  struct Connection;
  class AddressCounts;

 private:
  bool process_and_close_socket(socket_t sock) override;
  void Serve(std::shared_ptr<Connection> connection);
  void Park(std::shared_ptr<Connection> connection);
  void Linger(std::shared_ptr<Connection> connection);
  void Poll();

  bool AdmitAddress(Connection& connection);

  const ConnectionLimits limits_;
  std::unique_ptr<AddressCounts> address_counts_;
  std::atomic<std::size_t> open_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<httplib::TaskQueue*> pool_{nullptr};  // owned by the accept loop while it runs
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::mutex mutex_;
  std::unordered_map<int, std::shared_ptr<Connection>> parked_;
  std::thread poller_;
};

}  // namespace planfix_flow::http
