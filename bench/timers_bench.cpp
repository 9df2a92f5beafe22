// Timers benchmark: a database with 1,000,000 pending timers. A fresh process (this program
// started again with "measure") opens it and starts the Scheduler: its resident memory and
// the time from main() to the scheduler being ready are reported. Then 10,000 more timers are
// set to fall due at one moment of the real clock, and the lateness of each firing (when its
// event was committed minus its due time) is reported.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/engine/scheduler.h"
#include "planfix_flow/storage/database.h"

extern char** environ;

namespace planfix_flow::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr std::size_t kPendingTimers = 1'000'000;
constexpr std::size_t kPerTransaction = 10'000;
constexpr std::size_t kBurst = 10'000;

// Sets `count` timers due from `first_due` on, `spacing` apart, through the Database API:
// one stored event completed with kPerTransaction timer changes per transaction.
void SetTimers(storage::Database& database, const std::string& prefix, std::size_t count,
               core::TimePoint first_due, std::chrono::milliseconds spacing) {
  const core::TimePoint now = std::chrono::system_clock::now();
  for (std::size_t done = 0; done < count;) {
    storage::NewEvent event;
    event.source = storage::EventSource::kInternal;
    event.dedupe_key = prefix + ":" + std::to_string(done);
    event.kind = "bench.setup";
    event.payload = "{}";
    event.received_at = now;
    const auto appended = database.AppendEvent(event);
    if (!appended) throw std::runtime_error(appended.error().ToString());
    std::vector<storage::TimerChange> timers;
    const std::size_t batch = std::min(kPerTransaction, count - done);
    timers.reserve(batch);
    for (std::size_t i = 0; i < batch; ++i, ++done) {
      storage::TimerChange timer;
      timer.key = prefix + ".reminder:task:" + std::to_string(done);
      timer.kind = "brief.reminder";
      timer.due_at = first_due + spacing * static_cast<long>(done);
      timer.payload = R"({"task":)" + std::to_string(done) + "}";
      timers.push_back(std::move(timer));
    }
    database.CompleteEvent(appended->event_id, {}, timers, {}, now);
  }
}

int Measure(const fs::path& db_path, const SteadyClock::time_point main_start) {
  Output out(db_path.string() + ".measure.log");
  storage::DatabaseOptions options;
  options.path = db_path.string();
  storage::Database database(options);
  core::SystemClock clock;
  engine::Scheduler scheduler(database, clock);

  // Firing moments: the listener runs after each FireDueTimers commit (batch_size timers).
  std::mutex mutex;
  std::vector<core::TimePoint> commits;
  database.SetEventsAddedListener([&] {
    const auto now = std::chrono::system_clock::now();
    std::lock_guard lock(mutex);
    commits.push_back(now);
  });
  const auto next = scheduler.NextDue();
  std::jthread runner([&](std::stop_token stop) { scheduler.Run(stop); });
  const double startup = Seconds(SteadyClock::now() - main_start);
  // From posix_spawn in the parent (steady_clock is system-wide), so exec and loading count.
  double from_spawn = startup;
  if (const char* spawned = std::getenv("BENCH_SPAWNED_AT_NS")) {
    const SteadyClock::time_point at{std::chrono::nanoseconds(std::atoll(spawned))};
    from_spawn = Seconds(SteadyClock::now() - at);
  }
  const double rss = ResidentMiB();
  const bool next_ok = next.has_value();

  out.Row("timers", "pending timers at start",
          std::to_string(database.CountPendingTimers()) + (next_ok ? "" : " (no next due!)"));
  out.Row("timers", "start-up: spawn (main) to scheduler ready (s)",
          Fixed(from_spawn, 3) + " (" + Fixed(startup, 3) + ")", "<= 2",
          Verdict(from_spawn <= 2.0));
  out.Row("timers", "resident memory when ready (MiB)", Fixed(rss, 1), "<= 100",
          Verdict(rss <= 100.0));

  // The burst: kBurst timers due at the same moment, 3 s from now (setting them takes part).
  const core::TimePoint due = std::chrono::system_clock::now() + std::chrono::seconds(3);
  {
    std::lock_guard lock(mutex);
    commits.clear();
  }
  SetTimers(database, "burst", kBurst, due, std::chrono::milliseconds(0));
  {
    std::lock_guard lock(mutex);
    commits.clear();  // the setup's own event appends
  }
  scheduler.Notify();
  const std::size_t batch = engine::SchedulerOptions{}.batch_size;
  const std::size_t expected_commits = (kBurst + batch - 1) / batch;
  const auto deadline = SteadyClock::now() + std::chrono::seconds(40);
  for (;;) {
    {
      std::lock_guard lock(mutex);
      if (commits.size() >= expected_commits) break;
    }
    if (SteadyClock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  runner.request_stop();
  scheduler.Notify();
  runner.join();
  std::vector<double> lateness;
  {
    std::lock_guard lock(mutex);
    for (std::size_t i = 0; i < commits.size(); ++i) {
      const double late = std::chrono::duration<double>(commits[i] - due).count();
      for (std::size_t k = 0; k < batch && lateness.size() < kBurst; ++k) lateness.push_back(late);
    }
  }
  const std::size_t fired = lateness.size();
  const double p50 = Percentile(lateness, 0.50);
  const double p99 = Percentile(lateness, 0.99);
  out.Row("timers", "burst fired (of " + std::to_string(kBurst) + " due at once)",
          std::to_string(fired), std::to_string(kBurst), Verdict(fired == kBurst));
  out.Row("timers", "firing lateness p50 (s)", Fixed(p50, 3));
  out.Row("timers", "firing lateness p99 (s)", Fixed(p99, 3), "<= 1",
          Verdict(fired == kBurst && p99 <= 1.0));
  const double peak = PeakResidentMiB();
  out.Row("timers", "peak resident memory (VmHWM), after the burst (MiB)", Fixed(peak, 1), "<= 100",
          Verdict(peak <= 100.0));
  return fired == kBurst ? 0 : 1;
}

int Setup(const fs::path& db_path) {
  Output out(db_path.string() + ".setup.log");
  const auto start = SteadyClock::now();
  {
    storage::DatabaseOptions options;
    options.path = db_path.string();
    storage::Database database(options);
    // Far in the future, one a second: none falls due during the benchmark.
    SetTimers(database, "idle", kPendingTimers,
              std::chrono::system_clock::now() + std::chrono::hours(24 * 30),
              std::chrono::milliseconds(1000));
  }
  out.Row("timers", "setup: 1,000,000 timers set (s)",
          Fixed(Seconds(SteadyClock::now() - start), 1));
  return 0;
}

int Main(int argc, char** argv) {
  const auto main_start = SteadyClock::now();
  if (argc == 3 && std::string(argv[1]) == "measure") return Measure(argv[2], main_start);
  if (argc == 3 && std::string(argv[1]) == "setup") return Setup(argv[2]);

  const fs::path dir =
      fs::temp_directory_path() / ("pff-bench-timers-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db_path = (dir / "timers.db").string();
  // Each phase in its own process, so the measured one starts cold (no heap from the setup).
  int status = 0;
  for (const char* mode : {"setup", "measure"}) {
    std::string self = fs::read_symlink("/proc/self/exe").string();
    std::string phase = mode;
    std::string path = db_path;
    std::vector<char*> child_argv{self.data(), phase.data(), path.data(), nullptr};
    std::vector<std::string> env_text;
    for (char** entry = environ; *entry != nullptr; ++entry) env_text.emplace_back(*entry);
    env_text.push_back("BENCH_SPAWNED_AT_NS=" +
                       std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                          SteadyClock::now().time_since_epoch())
                                          .count()));
    std::vector<char*> envp;
    for (auto& entry : env_text) envp.push_back(entry.data());
    envp.push_back(nullptr);
    pid_t pid = 0;
    if (::posix_spawn(&pid, self.c_str(), nullptr, nullptr, child_argv.data(), envp.data()) != 0) {
      return 1;
    }
    int child = 0;
    ::waitpid(pid, &child, 0);
    if (!WIFEXITED(child) || WEXITSTATUS(child) != 0) status = 1;
    if (status != 0) break;
  }
  fs::remove_all(dir);
  return status;
}

}  // namespace
}  // namespace planfix_flow::bench

int main(int argc, char** argv) { return planfix_flow::bench::Main(argc, argv); }
