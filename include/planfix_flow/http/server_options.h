// The ingress server's settings (listening, limits, timeouts) and its secrets: plain data, so
// that whoever builds them (the App from the config file) needs no server internals.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace planfix_flow::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port; port() reports the bound one
  // Larger bodies get 413. The request line and headers may add 64 KiB to it; a request larger
  // than both together gets 413 and the connection is closed.
  std::size_t body_limit_bytes = std::size_t{64} * 1024;
  // Worker threads. A worker serves one request at a time; connections idle between requests
  // (or not yet sending) wait in one poll thread instead, so idle clients cost no worker.
  std::size_t threads = 64;
  // Connections ready for a worker and waiting for one; when full, the accept loop and the
  // poll thread wait instead of queueing without bound.
  std::size_t max_queued_connections = 256;
  // Open connections at once (idle ones included). One more is answered 503 (Retry-After: 1)
  // and closed. Keep it under the process's open-file limit (RLIMIT_NOFILE).
  std::size_t max_connections = 4096;
  // Open connections from one client address at once (an IPv6 client's /64), so that one
  // client cannot take all max_connections from the webhooks. One more is answered 429
  // (Retry-After: 1) and closed. A peer in trusted_proxies is exempt: it carries many
  // clients, and max_connections bounds it.
  std::size_t max_connections_per_address = 256;
  // Addresses and ranges ("127.0.0.1", "10.0.0.0/8", "::1") of reverse proxies whose
  // X-Forwarded-For names the client in logs. From any other peer the header is ignored.
  std::vector<std::string> trusted_proxies = {"127.0.0.1", "::1"};
  std::size_t keep_alive_max_count = 100;
  // How long a connection may stay idle between keep-alive requests before it is closed; a
  // new connection has max(keep_alive_timeout, read_timeout) to begin its first request.
  std::chrono::seconds keep_alive_timeout{2};
  // The longest single wait for the next bytes of a request that has begun; and the whole
  // request (head and body) must arrive within request_deadline of its first byte. Either
  // exceeded: 408 and the connection is closed, so a client sending one byte a second holds a
  // worker for request_deadline at most.
  std::chrono::seconds read_timeout{5};
  std::chrono::seconds request_deadline{10};
  std::chrono::seconds write_timeout{5};
  // Identical Planfix bodies within this window of the first are one event.
  std::chrono::seconds planfix_dedupe_window{600};
  // Standard Webhooks: how far webhook-timestamp may be from the clock, either way.
  std::chrono::seconds google_timestamp_tolerance{300};
  // The bank accounts whose monobank webhook items are stored; an item of another account
  // (the bank sends every account of the token) is answered 200 and not stored.
  std::vector<std::string> monobank_accounts;
};

// Never logged, never echoed. An empty webhook secret disables that endpoint (404); an empty
// admin token disables the admin endpoints (404).
struct Secrets {
  std::string planfix_webhook_secret;   // Bearer token, or the Basic-auth password
  std::string google_webhook_secret;    // Standard Webhooks: "whsec_<base64>" or raw
  std::string telegram_webhook_secret;  // setWebhook secret_token: 1-256 of A-Za-z0-9_-
  std::string admin_token;              // Bearer token for /admin/*
  // The path token of /webhooks/monobank/<token> (the bank's events are unsigned).
  std::string monobank_webhook_token;
};

}  // namespace planfix_flow::http
