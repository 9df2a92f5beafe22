// FakeServer: the base of the sandbox fakes, a real HTTP server on 127.0.0.1 port 0.
// It routes requests to handlers that subclasses register, records every request,
// answers 500 and records a failure for any route nobody registered, records a failure for
// every request it refuses as one a correct client never sends, and injects faults (fail,
// delay, drop) for tests. When destroyed it reports the failures nobody took to the
// process's ProblemReporter (the test binary's fails the running test). Thread-safe.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <string>
#include <vector>

#include "planfix_flow/http/http_client.h"

namespace planfix_flow::sandbox {

struct FakeRequest {
  std::string method;
  std::string path;  // without the query string
  std::multimap<std::string, std::string> query;
  http::Headers headers;
  std::string body;
  std::vector<std::string> captures;  // regex groups of the matched route

  std::string Header(const std::string& name) const;
  // The first query value of `name`, or empty.
  std::string Query(const std::string& name) const;
  bool HasQuery(const std::string& name) const;
};

struct FakeResponse {
  // Whether the answer refuses the request as one a correct client never sends (a wrong
  // shape, credentials, method or content type). kByStatus: a 400, 401, 405, 411, 413, 414,
  // 415 or 422 does, any other status does not. kAnswer: not a refusal whatever the status;
  // what a correct client can get from the state of the world rather than from its request
  // (Telegram's "chat not found", Planfix's daily limit) or from a fault a test injected.
  // kRefusal: a refusal whatever the status (Google's 403 for a token without the scope).
  enum class Kind { kByStatus, kAnswer, kRefusal };

  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  http::Headers headers;
  Kind kind = Kind::kByStatus;

  bool IsRefusal() const;
};

// `response` marked FakeResponse::Kind::kAnswer.
FakeResponse WorldStateAnswer(FakeResponse response);
// `response` marked FakeResponse::Kind::kRefusal.
FakeResponse Refusal(FakeResponse response);

struct RecordedRequest {
  std::string method;
  std::string path;
  std::string query_string;
  http::Headers headers;
  std::string body;
  int status = 0;        // what the fake answered (0 if the connection was dropped)
  bool refused = false;  // the answer was a refusal (FakeResponse::IsRefusal)
};

// Receives the problems a fake reports when it is destroyed: each failure nobody took with
// TakeFailures, and refusals declared with ExpectRefusals that never came. Unset (the demo
// binary), they are dropped; the test binary sets one that fails the running test, so no test
// can forget to check its fakes. Process-wide; thread-safe.
using ProblemReporter = std::function<void(const std::string& problem)>;
void SetProblemReporter(ProblemReporter reporter);

class FakeServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;

  explicit FakeServer(std::string name);
  virtual ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // Binds 127.0.0.1 on a free port and serves on a background thread. Throws if it cannot bind.
  void Start();
  // Stops serving after requests in flight; idempotent. Subclasses call it in their destructor.
  void Stop();
  bool running() const;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>"
  std::string base_url() const;
  const std::string& name() const { return name_; }

  // Fault injection: each applies to the next `count` requests that reach a known route.
  void FailNext(int count, int status, std::string body = {});
  void DelayNext(int count, std::chrono::milliseconds delay);
  // Sends headers, then closes the connection mid-body (the handler has run: the work is done,
  // its answer lost). With `path_regex`, only requests whose path matches it in full count.
  void DropNext(int count, std::string path_regex = {});
  void ClearFaults();

  std::vector<RecordedRequest> requests() const;
  std::size_t request_count() const;
  // Forgets the recorded requests (not the failures).
  void ClearRecords();

  // Problems the fake saw that a test should fail on: unknown routes, handler exceptions, and
  // refusals (FakeResponse::IsRefusal) nobody declared with ExpectRefusals.
  std::vector<std::string> failures() const;
  // Returns the failures so far and forgets them, so that the destructor does not report
  // them: for a test that provokes them on purpose and checks them.
  std::vector<std::string> TakeFailures();
  // The next `count` refusals are expected: a test that sends a wrong request on purpose
  // declares it, and the destructor reports any of them that never came.
  void ExpectRefusals(int count);

 protected:
  // Registers a handler for `method` and a path matching `path_regex` in full.
  void Route(std::string method, const std::string& path_regex, Handler handler);
  // Called when the path matches a route but not its method. Default: 405 JSON.
  virtual FakeResponse MethodNotAllowed(const FakeRequest& request);
  // Called for an unknown route (after recording a failure). Default: 500 JSON.
  virtual FakeResponse UnknownRoute(const FakeRequest& request);
  void RecordFailure(std::string failure);

 private:
  struct Impl;
  struct RouteEntry {
    std::string method;
    std::regex pattern;
    Handler handler;
  };
  struct Fault {
    enum class Kind { kFail, kDelay, kDrop } kind;
    int remaining;
    int status;
    std::string body;
    std::chrono::milliseconds delay;
    std::string path;  // a regex the request's path must match in full; empty: any
  };

  FakeResponse Dispatch(FakeRequest& request, bool& drop);

  std::string name_;
  int port_ = 0;
  std::unique_ptr<Impl> impl_;
  mutable std::mutex mutex_;
  std::vector<RouteEntry> routes_;
  std::vector<Fault> faults_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::string> failures_;
  int expected_refusals_ = 0;
};

}  // namespace planfix_flow::sandbox
