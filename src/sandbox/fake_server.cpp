#include "planfix_flow/sandbox/fake_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

#include "http/httplib_tsan.h"

namespace planfix_flow::sandbox {

std::string FakeRequest::Header(const std::string& name) const {
  const auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string FakeRequest::Query(const std::string& name) const {
  const auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

bool FakeRequest::HasQuery(const std::string& name) const { return query.count(name) > 0; }

bool FakeResponse::IsRefusal() const {
  switch (kind) {
    case Kind::kAnswer:
      return false;
    case Kind::kRefusal:
      return true;
    case Kind::kByStatus:
      break;
  }
  switch (status) {
    case 400:  // a malformed request or parameter
    case 401:  // no or wrong credentials
    case 405:  // a method the path does not take
    case 411:  // no Content-Length
    case 413:  // a body over the limit
    case 414:  // a URL over the limit
    case 415:  // a content type the method does not take
    case 422:  // a well-formed request with values the API refuses
      return true;
    default:
      return false;
  }
}

FakeResponse WorldStateAnswer(FakeResponse response) {
  response.kind = FakeResponse::Kind::kAnswer;
  return response;
}

FakeResponse Refusal(FakeResponse response) {
  response.kind = FakeResponse::Kind::kRefusal;
  return response;
}

namespace {

std::mutex& ReporterMutex() {
  static std::mutex mutex;
  return mutex;
}

ProblemReporter& Reporter() {
  static ProblemReporter reporter;
  return reporter;
}

std::string Excerpt(std::string_view text, std::size_t limit = 300) {
  if (text.size() <= limit) return std::string(text);
  return std::string(text.substr(0, limit)) + "...";
}

}  // namespace

void SetProblemReporter(ProblemReporter reporter) {
  std::lock_guard lock(ReporterMutex());
  Reporter() = std::move(reporter);
}

struct FakeServer::Impl {
  httplib::Server server;
  std::thread thread;
  bool running = false;
};

FakeServer::FakeServer(std::string name)
    : name_(std::move(name)), impl_(std::make_unique<Impl>()) {}

// Stop is only a last resort: by now the subclass's members and vptr are gone while server
// threads may still call into them (a race TSan reports), so every subclass stops in its own
// destructor.
FakeServer::~FakeServer() {
  Stop();
  std::vector<std::string> problems = failures_;
  if (expected_refusals_ > 0) {
    problems.push_back(fmt::format("{}: {} refusal(s) declared with ExpectRefusals never came",
                                   name_, expected_refusals_));
  }
  std::lock_guard lock(ReporterMutex());
  if (!Reporter()) return;
  for (const auto& problem : problems) Reporter()(problem);
}

void FakeServer::Route(std::string method, const std::string& path_regex, Handler handler) {
  std::lock_guard lock(mutex_);
  routes_.push_back(RouteEntry{std::move(method), std::regex(path_regex), std::move(handler)});
}

FakeResponse FakeServer::MethodNotAllowed(const FakeRequest& request) {
  return FakeResponse{
      405, nlohmann::json{{"error", "method not allowed"}, {"method", request.method}}.dump()};
}

FakeResponse FakeServer::UnknownRoute(const FakeRequest& request) {
  return FakeResponse{500,
                      nlohmann::json{{"error", "unknown route"}, {"path", request.path}}.dump()};
}

void FakeServer::RecordFailure(std::string failure) {
  std::lock_guard lock(mutex_);
  failures_.push_back(std::move(failure));
}

FakeResponse FakeServer::Dispatch(FakeRequest& request, bool& drop) {
  std::chrono::milliseconds delay{0};
  std::optional<FakeResponse> injected;
  const Handler* handler = nullptr;
  bool path_known = false;
  {
    std::lock_guard lock(mutex_);
    for (auto& route : routes_) {
      std::smatch match;
      if (!std::regex_match(request.path, match, route.pattern)) continue;
      path_known = true;
      if (route.method != request.method) continue;
      handler = &route.handler;
      request.captures.clear();
      for (std::size_t i = 1; i < match.size(); ++i) request.captures.push_back(match[i].str());
      break;
    }
    if (handler != nullptr) {
      for (auto it = faults_.begin(); it != faults_.end();) {
        if (!it->path.empty() && !std::regex_match(request.path, std::regex(it->path))) {
          ++it;
          continue;
        }
        if (it->kind == Fault::Kind::kFail && !injected) {
          injected = WorldStateAnswer(FakeResponse{it->status, it->body});
        } else if (it->kind == Fault::Kind::kDelay && delay.count() == 0) {
          delay = it->delay;
        } else if (it->kind == Fault::Kind::kDrop && !drop) {
          drop = true;
        } else {
          ++it;
          continue;
        }
        it = --it->remaining <= 0 ? faults_.erase(it) : std::next(it);
      }
    }
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  if (handler == nullptr) {
    if (path_known) return MethodNotAllowed(request);
    RecordFailure(fmt::format("{}: unknown route {} {}", name_, request.method, request.path));
    return UnknownRoute(request);
  }
  if (injected) return *injected;
  try {
    return (*handler)(request);
  } catch (const std::exception& error) {
    RecordFailure(fmt::format("{}: handler for {} {} threw: {}", name_, request.method,
                              request.path, error.what()));
    return FakeResponse{500, nlohmann::json{{"error", "internal"}}.dump()};
  }
}

void FakeServer::Start() {
  if (impl_->running) return;
  http::internal::PrepareHttplibForTsan();
  auto& server = impl_->server;
  server.set_tcp_nodelay(true);
  server.set_keep_alive_timeout(5);
  auto handle = [this](const httplib::Request& raw, httplib::Response& res) {
    FakeRequest request;
    request.method = raw.method;
    request.path = raw.path;
    for (const auto& [key, value] : raw.params) request.query.emplace(key, value);
    for (const auto& [key, value] : raw.headers) request.headers[key] = value;
    request.body = raw.body;
    const std::string type = raw.get_header_value("Content-Type");
    if (request.body.empty() && raw.is_multipart_form_data() && !raw.files.empty() &&
        type.find("boundary=") != std::string::npos) {
      // cpp-httplib parses a multipart/form-data body itself and keeps only its parts:
      // encoded again with the request's boundary, handlers read the body as sent.
      std::string boundary = type.substr(type.find("boundary=") + 9);
      if (const auto end = boundary.find(';'); end != std::string::npos) boundary.resize(end);
      for (const auto& [name, part] : raw.files) {
        request.body +=
            fmt::format("--{}\r\nContent-Disposition: form-data; name=\"{}\"", boundary, name);
        if (!part.filename.empty()) request.body += "; filename=\"" + part.filename + "\"";
        request.body += "\r\n";
        if (!part.content_type.empty()) {
          request.body += "Content-Type: " + part.content_type + "\r\n";
        }
        request.body += "\r\n" + part.content + "\r\n";
      }
      request.body += "--" + boundary + "--\r\n";
    }
    bool drop = false;
    FakeResponse response = Dispatch(request, drop);

    RecordedRequest record;
    record.method = raw.method;
    record.path = raw.path;
    record.query_string = raw.target.find('?') == std::string::npos
                              ? std::string()
                              : raw.target.substr(raw.target.find('?') + 1);
    record.headers = request.headers;
    record.body = raw.body;
    record.status = drop ? 0 : response.status;
    record.refused = !drop && response.IsRefusal();
    {
      std::lock_guard lock(mutex_);
      if (record.refused) {
        if (expected_refusals_ > 0) {
          --expected_refusals_;
        } else {
          failures_.push_back(fmt::format(
              "{}: refused {} {}{}{} with {}: {} (a correct client never sends this request; "
              "a test that sends it on purpose declares it with ExpectRefusals)",
              name_, record.method, record.path, record.query_string.empty() ? "" : "?",
              Excerpt(record.query_string), record.status, Excerpt(response.body)));
        }
      }
      requests_.push_back(std::move(record));
    }

    res.status = response.status;
    for (const auto& [key, value] : response.headers) res.set_header(key, value);
    if (drop) {
      // Promise a body, then fail to write it: the client sees the connection close mid-answer.
      res.set_content_provider(1024, "application/json",
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    res.set_content(response.body, response.content_type);
  };
  for (const char* method : {"GET", "POST", "PUT", "DELETE", "PATCH"}) {
    const std::string name(method);
    if (name == "GET") server.Get(".*", handle);
    if (name == "POST") server.Post(".*", handle);
    if (name == "PUT") server.Put(".*", handle);
    if (name == "DELETE") server.Delete(".*", handle);
    if (name == "PATCH") server.Patch(".*", handle);
  }
  port_ = server.bind_to_any_port("127.0.0.1");
  if (port_ <= 0) throw std::runtime_error(name_ + ": cannot bind a loopback port");
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  impl_->running = true;
  // stop() is a no-op until the accept loop runs, so wait for it before returning.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!impl_->server.is_running() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::yield();
  }
}

void FakeServer::Stop() {
  if (!impl_->running) return;
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->running = false;
}

bool FakeServer::running() const { return impl_->running; }

std::string FakeServer::base_url() const { return fmt::format("http://127.0.0.1:{}", port_); }

void FakeServer::FailNext(int count, int status, std::string body) {
  std::lock_guard lock(mutex_);
  faults_.push_back(Fault{Fault::Kind::kFail, count, status, std::move(body), {}});
}

void FakeServer::DelayNext(int count, std::chrono::milliseconds delay) {
  std::lock_guard lock(mutex_);
  faults_.push_back(Fault{Fault::Kind::kDelay, count, 0, {}, delay});
}

void FakeServer::DropNext(int count, std::string path_regex) {
  std::lock_guard lock(mutex_);
  faults_.push_back(Fault{Fault::Kind::kDrop, count, 0, {}, {}, std::move(path_regex)});
}

void FakeServer::ClearFaults() {
  std::lock_guard lock(mutex_);
  faults_.clear();
}

std::vector<RecordedRequest> FakeServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::size_t FakeServer::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

std::vector<std::string> FakeServer::failures() const {
  std::lock_guard lock(mutex_);
  return failures_;
}

std::vector<std::string> FakeServer::TakeFailures() {
  std::lock_guard lock(mutex_);
  return std::exchange(failures_, {});
}

void FakeServer::ExpectRefusals(int count) {
  std::lock_guard lock(mutex_);
  expected_refusals_ += count;
}

void FakeServer::ClearRecords() {
  std::lock_guard lock(mutex_);
  requests_.clear();
}

}  // namespace planfix_flow::sandbox
