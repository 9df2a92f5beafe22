// Ingest benchmark: 32 keep-alive connections POST unique, valid Planfix webhooks to an
// IngressServer over loopback; the server stores each one in a file database
// (WAL, synchronous=FULL) and answers 200 only after the commit. From the same run: a bare
// cpp-httplib endpoint that does no work, driven by the same generator, and the machine's raw
// single-row commit rate, so the ingest figure reads as a fraction of those two limits.
// Afterwards every acknowledged event is looked up in the database.
#include <SQLiteCpp/SQLiteCpp.h>
#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "bench_util.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/http/ingress_server.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr char kSecret[] = "bench-planfix-secret";

struct LoadOptions {
  int port = 0;
  int connections = 32;
  std::chrono::milliseconds warmup{1000};
  std::chrono::milliseconds duration{5000};
};

struct LoadResult {
  std::uint64_t acked = 0;  // 200s inside the measured window
  std::uint64_t sent = 0;   // requests written, all phases
  std::uint64_t non_200 = 0;
  std::uint64_t errors = 0;  // connection failures or unanswered requests
  double seconds = 0;
  double cpu_cores = 0;
  double switches = 0;  // context switches of this process in the measured window  // this
                        // process's CPU time (user + system) / wall time, measured window
  std::vector<double> latencies_ms;        // of the measured 200s
  std::vector<std::uint64_t> acked_tasks;  // every task number answered 200, all phases
};

// One keep-alive HTTP/1.1 connection speaking just enough of the protocol for this benchmark.
class Connection {
 public:
  explicit Connection(int port) : port_(port) {}
  ~Connection() { Close(); }

  // Sends `request`, reads the answer; the status, or -1 on a connection failure.
  int Exchange(const std::string& request) {
    if (fd_ < 0 && !Open()) return -1;
    if (!SendAll(request)) {
      Close();
      return -1;
    }
    // Headers.
    std::size_t header_end;
    while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Receive()) return -1;
    }
    const std::string head = buffer_.substr(0, header_end);
    int status = -1;
    if (head.size() > 12) status = std::atoi(head.c_str() + 9);
    std::size_t length = 0;
    bool close = false;
    // Header names compared without case, in place (no copies on the hot path).
    for (std::size_t line = head.find("\r\n"); line != std::string::npos;) {
      const char* field = head.c_str() + line + 2;
      if (::strncasecmp(field, "content-length:", 15) == 0) {
        length = static_cast<std::size_t>(std::strtoull(field + 15, nullptr, 10));
      } else if (::strncasecmp(field, "connection:", 11) == 0) {
        const std::size_t end = head.find("\r\n", line + 2);
        close = head.substr(line + 2, end == std::string::npos ? std::string::npos : end - line - 2)
                    .find("close") != std::string::npos;
      }
      line = head.find("\r\n", line + 2);
    }
    while (buffer_.size() < header_end + 4 + length) {
      if (!Receive()) return -1;
    }
    buffer_.erase(0, header_end + 4 + length);
    if (close) Close();
    return status;
  }

 private:
  bool Open() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) return false;
    int yes = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    timeval timeout{10, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port_));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      Close();
      return false;
    }
    buffer_.clear();
    return true;
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    buffer_.clear();
  }
  bool SendAll(const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const auto n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool Receive() {
    char chunk[4096];
    const auto n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) {
      Close();
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int port_;
  int fd_ = -1;
  std::string buffer_;
};

// User plus system CPU seconds of this process so far (server and generator together).
// Context switches (voluntary + involuntary) of this process so far.
double ContextSwitches() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_nvcsw + usage.ru_nivcsw);
}

double CpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string PlanfixRequest(std::uint64_t task) {
  const std::string body = R"({"event":"ping","task":")" + std::to_string(task) + R"("})";
  return "POST /webhooks/planfix HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
         std::string(kSecret) +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

LoadResult RunLoad(const LoadOptions& options) {
  std::atomic<std::uint64_t> next_task{1};
  std::atomic<int> phase{0};  // 0 warm-up, 1 measured, 2 stop
  struct PerThread {
    std::uint64_t acked = 0, sent = 0, non_200 = 0, errors = 0;
    std::vector<double> latencies_ms;
    std::vector<std::uint64_t> acked_tasks;
  };
  std::vector<PerThread> per_thread(static_cast<std::size_t>(options.connections));
  std::vector<std::thread> threads;
  for (int i = 0; i < options.connections; ++i) {
    threads.emplace_back([&, i] {
      PerThread& mine = per_thread[static_cast<std::size_t>(i)];
      mine.latencies_ms.reserve(200000);
      Connection connection(options.port);
      for (int current; (current = phase.load(std::memory_order_relaxed)) < 2;) {
        const std::uint64_t task = next_task.fetch_add(1, std::memory_order_relaxed);
        const std::string request = PlanfixRequest(task);
        const auto start = Clock::now();
        ++mine.sent;
        const int status = connection.Exchange(request);
        const auto end = Clock::now();
        if (status == 200) {
          mine.acked_tasks.push_back(task);
          // Counted when the request both started and ended inside the measured window.
          if (current == 1 && phase.load(std::memory_order_relaxed) == 1) {
            ++mine.acked;
            mine.latencies_ms.push_back(
                std::chrono::duration<double, std::milli>(end - start).count());
          }
        } else if (status < 0) {
          ++mine.errors;
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
        } else {
          ++mine.non_200;
        }
      }
    });
  }
  std::this_thread::sleep_for(options.warmup);
  const double cpu_start = CpuSeconds();
  const double switches_start = ContextSwitches();
  const auto start = Clock::now();
  phase = 1;
  std::this_thread::sleep_for(options.duration);
  phase = 2;
  const auto end = Clock::now();
  const double cpu_end = CpuSeconds();
  const double switches_end = ContextSwitches();
  for (auto& thread : threads) thread.join();

  LoadResult result;
  result.seconds = Seconds(end - start);
  result.cpu_cores = (cpu_end - cpu_start) / result.seconds;
  result.switches = switches_end - switches_start;
  for (auto& mine : per_thread) {
    result.acked += mine.acked;
    result.sent += mine.sent;
    result.non_200 += mine.non_200;
    result.errors += mine.errors;
    result.latencies_ms.insert(result.latencies_ms.end(), mine.latencies_ms.begin(),
                               mine.latencies_ms.end());
    result.acked_tasks.insert(result.acked_tasks.end(), mine.acked_tasks.begin(),
                              mine.acked_tasks.end());
  }
  return result;
}

// One INSERT per transaction, WAL, synchronous=FULL, for `duration`: commits per second.
double RawCommitRate(const fs::path& dir, std::chrono::milliseconds duration) {
  SQLite::Database db((dir / "raw.db").string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  SQLite::Statement insert(db, "INSERT INTO t (body) VALUES (?)");
  std::uint64_t commits = 0;
  const auto start = Clock::now();
  const auto deadline = start + duration;
  while (Clock::now() < deadline) {
    insert.bind(1, R"({"event":"ping","task":"12345"})");
    insert.exec();
    insert.reset();
    ++commits;
  }
  return static_cast<double>(commits) / Seconds(Clock::now() - start);
}

struct BareServer {
  httplib::Server server;
  std::thread thread;
  int port = 0;

  void Start(std::size_t threads, std::size_t keep_alive_max_count) {
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_tcp_nodelay(true);
    server.set_keep_alive_max_count(keep_alive_max_count);
    server.Post("/webhooks/planfix", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"status":"stored","event_id":1})", "application/json");
    });
    port = server.bind_to_any_port("127.0.0.1");
    thread = std::thread([this] { server.listen_after_bind(); });
    while (!server.is_running()) std::this_thread::yield();
  }
  void Stop() {
    server.stop();
    thread.join();
  }
};

void Report(Output& out, const std::string& name, LoadResult& load) {
  const double rate = static_cast<double>(load.acked) / load.seconds;
  out.Row(name, "acknowledged requests/s", Fixed(rate, 0));
  out.Row(name, "ack latency p50 / p99 (ms)",
          Fixed(Percentile(load.latencies_ms, 0.50), 2) + " / " +
              Fixed(Percentile(load.latencies_ms, 0.99), 2));
  out.Row(name, "CPU cores busy (server + generator)", Fixed(load.cpu_cores, 2));
  out.Row(name, "context switches per ack",
          Fixed(load.switches / static_cast<double>(std::max<std::uint64_t>(load.acked, 1)), 1));
  if (load.non_200 + load.errors > 0) {
    out.Row(name, "non-200 answers / connection errors",
            std::to_string(load.non_200) + " / " + std::to_string(load.errors));
  }
}

int Main(int argc, char** argv) {
  const fs::path dir =
      fs::temp_directory_path() / ("pff-bench-ingest-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  Output out(argc > 1 ? argv[1] : (dir / "ingest.log").string());
  LoadOptions load_options;
  if (const char* seconds = std::getenv("BENCH_INGEST_SECONDS")) {
    load_options.duration = std::chrono::milliseconds(std::atoi(seconds) * 1000);
  }

  // 1. The bare endpoint: what loopback HTTP with this library and generator can do.
  Output::Note("ingest: bare cpp-httplib endpoint");
  http::ServerOptions server_options;  // the defaults serve uses: 64 threads, keep-alive 100
  if (const char* threads = std::getenv("BENCH_SERVER_THREADS")) {
    server_options.threads = static_cast<std::size_t>(std::atoi(threads));
  }
  // serve logs at the configured level, "info" in deploy/config.example.toml.
  const char* log_level = std::getenv("BENCH_LOG_LEVEL");
  core::SetLogLevel(log_level != nullptr ? log_level : "info");
  LoadResult bare;
  {
    BareServer server;
    server.Start(server_options.threads, server_options.keep_alive_max_count);
    load_options.port = server.port;
    bare = RunLoad(load_options);
    server.Stop();
  }
  const double bare_rate = static_cast<double>(bare.acked) / bare.seconds;
  Report(out, "ingest: bare httplib", bare);

  // 2. The raw commit rate of this disk.
  Output::Note("ingest: raw single-row commit rate");
  const double commit_rate = RawCommitRate(dir, std::chrono::milliseconds(3000));
  out.Row("ingest: raw SQLite", "single-row commits/s (WAL, FULL)", Fixed(commit_rate, 0));

  // 3. The IngressServer over a file database.
  Output::Note("ingest: IngressServer, file database, synchronous=FULL");
  const fs::path db_path = dir / "ingest.db";
  LoadResult ingest;
  std::uint64_t commits = 0;
  {
    storage::DatabaseOptions db_options;
    db_options.path = db_path.string();
    db_options.synchronous = storage::Synchronous::kFull;
    // Diagnosis only (not durable against power loss): BENCH_SYNCHRONOUS=normal.
    if (const char* sync = std::getenv("BENCH_SYNCHRONOUS");
        sync && std::string(sync) == "normal") {
      db_options.synchronous = storage::Synchronous::kNormal;
      out.Row("ingest: IngressServer", "DIAGNOSTIC RUN", "synchronous=NORMAL (not the target)");
    }
    storage::Database database(db_options);
    core::Metrics metrics;
    core::SystemClock clock;
    http::Secrets secrets;
    secrets.planfix_webhook_secret = kSecret;
    http::IngressServer server(server_options, database, metrics, clock, secrets);
    server.Start();
    load_options.port = server.port();
    ingest = RunLoad(load_options);
    server.Stop();
    commits = database.append_commits();
  }
  const double rate = static_cast<double>(ingest.acked) / ingest.seconds;
  Report(out, "ingest: IngressServer", ingest);
  double p99 = Percentile(ingest.latencies_ms, 0.99);
  out.Row("ingest: IngressServer", "acks/s vs target", Fixed(rate, 0), ">= 10000",
          Verdict(rate >= 10000));
  out.Row("ingest: IngressServer", "ack p99 vs target (ms)", Fixed(p99, 2), "<= 20",
          Verdict(p99 <= 20));
  out.Row("ingest: IngressServer", "fraction of bare endpoint", Fixed(rate / bare_rate, 2));
  out.Row("ingest: IngressServer", "acks/s / raw commits/s", Fixed(rate / commit_rate, 1));
  out.Row("ingest: IngressServer", "events per commit (all phases)",
          Fixed(commits > 0
                    ? static_cast<double>(ingest.acked_tasks.size()) / static_cast<double>(commits)
                    : 0.0,
                1));

  // 4. Every acknowledged event is in the database.
  std::unordered_set<std::uint64_t> stored;
  {
    SQLite::Database db(db_path.string(), SQLite::OPEN_READONLY);
    SQLite::Statement query(db,
                            "SELECT json_extract(payload, '$.task') FROM events"
                            " WHERE source = 'planfix'");
    while (query.executeStep()) {
      const auto column = query.getColumn(0);
      stored.insert(column.isText() ? std::strtoull(column.getText(), nullptr, 10)
                                    : static_cast<std::uint64_t>(column.getInt64()));
    }
  }
  std::uint64_t missing = 0;
  for (const auto task : ingest.acked_tasks) missing += stored.count(task) == 0 ? 1 : 0;
  out.Row("ingest: IngressServer", "acknowledged events missing from the database",
          std::to_string(missing) + " of " + std::to_string(ingest.acked_tasks.size()) +
              " (rows: " + std::to_string(stored.size()) + ")",
          "0", Verdict(missing == 0));
  fs::remove_all(dir);
  return missing == 0 ? 0 : 1;
}

}  // namespace
}  // namespace planfix_flow::bench

int main(int argc, char** argv) { return planfix_flow::bench::Main(argc, argv); }
