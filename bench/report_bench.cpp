// The month's run benchmark (issue 13, "Performance"): the real App as `serve` runs it
// (processor, executor and scheduler threads, the HTTP ingress, a SQLite file, the system
// clock) against the sandbox fakes, with 200 retainer clients. Planfix's limit of 1 request
// per second is enforced by the fake (429 for any request sooner than the interval after the
// previous one) and kept by the client (planfix.min_interval_ms), both time-scaled: one
// "Planfix second" is BENCH_REPORT_INTERVAL_MS of real time (default 100 ms, 1/10), so the
// run of about 400 calls takes about 45 s instead of 7 minutes. BENCH_REPORT_INTERVAL_MS=1000
// runs it in real time. The run starts as its timer starts it (a report.run event from the
// timer source); while it runs, a PM presses "send the brief" on five clients' tasks, spread
// over the run, and the time from the webhook POST to the client's Telegram message is taken.
//
// Reported: Planfix calls per client in the run; the run's time against the lower bound the
// limit allows (all Planfix calls in the window × the interval); each press's latency in
// intervals (what it is in seconds at the real 1 request/s, an upper bound since the work
// that is not Planfix is scaled up with it) and in real milliseconds; and 429s (target 0).
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/workflow/report.h"

namespace planfix_flow::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

constexpr int kRetainers = 200;
constexpr int kPresses = 5;
constexpr std::int64_t kDealTemplate = 401;
constexpr std::int64_t kReportTemplate = 402;
constexpr std::int64_t kRetainerField = 230;
constexpr std::int64_t kFirstPressChat = 9001;
// "A few seconds" at 1 request/s.
constexpr double kLatencyTargetIntervals = 5.0;
// What the run may add to a press, in intervals: a bulk turn (its pacing wait and call) before
// each of the press's two Planfix reads, one more if the executor takes the lane between them,
// and the bulk call in flight before the press's Telegram job. Without priority the press
// waits for the whole remaining run instead.
constexpr double kExtraIntervals = 4.0;

std::size_t Creates(const sandbox::FakePlanfix& planfix) {
  std::size_t creates = 0;
  for (const auto& write : planfix.writes()) {
    if (write.path == "/rest/task/" && write.status == 201) ++creates;
  }
  return creates;
}

bool GotBotMessage(const sandbox::FakeTelegram& telegram, std::int64_t chat) {
  for (const auto& message : telegram.Messages(chat)) {
    if (message.from_bot) return true;
  }
  return false;
}

// Waits (polling every millisecond) until `done`; false after `limit`.
template <typename Done>
bool WaitFor(Done done, std::chrono::seconds limit) {
  const auto deadline = SteadyClock::now() + limit;
  while (!done()) {
    if (SteadyClock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

bool RunIsDone(app::App& app) {
  auto& db = app.database();
  if (db.ListFlows("report", "created", kRetainers + 1).size() != kRetainers) return false;
  const auto jobs = db.CountJobsByState();
  for (const auto state : {storage::JobState::kPending, storage::JobState::kRunning}) {
    const auto it = jobs.find(state);
    if (it != jobs.end() && it->second > 0) return false;
  }
  return true;
}

int Main() {
  const fs::path dir =
      fs::temp_directory_path() / ("pff-bench-report-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Output out((dir / "report.log").string());
  core::SetLogLevel("warn");
  const char* scaled = std::getenv("BENCH_REPORT_INTERVAL_MS");
  const auto interval = std::chrono::milliseconds(scaled ? std::atoi(scaled) : 100);
  const double interval_s = std::chrono::duration<double>(interval).count();

  core::SystemClock clock;
  app::SandboxWorld world(clock, dir);
  auto& config = world.config;
  config.storage.path = (dir / "report.sqlite").string();
  config.storage.synchronous = config::SqliteSynchronous::kFull;
  config.planfix.min_interval_ms = static_cast<int>(interval.count());
  world.planfix.SetMinInterval(interval);
  auto& invoices = config.invoices;
  invoices.enabled = true;
  invoices.fields = {.number = 211, .amount = 212, .due_date = 214, .payment_details = 215};
  invoices.statuses = {.returned = 123};
  auto& report = config.report;
  report.enabled = true;
  report.deal_template_id = kDealTemplate;
  report.retainer_field = kRetainerField;
  report.template_id = kReportTemplate;
  report.process_id = 1;
  auto& planfix = world.planfix;
  planfix.DefineTaskField({211, "Номер рахунку", 0});
  planfix.DefineTaskField({212, "Сума рахунку", 1});
  planfix.DefineTaskField({214, "Строк оплати", 3});
  planfix.DefineTaskField({215, "Реквізити", 0});
  planfix.DefineTaskField({kRetainerField, "Щомісячний ретейнер", 7});
  planfix.DefineTaskTemplate(kDealTemplate, "Угода");
  planfix.DefineTaskTemplate(kReportTemplate, "Звіт і оплата");
  for (int i = 0; i < kRetainers; ++i) {
    const auto client = world.AddClient(fmt::format("Клієнт {}", i),
                                        fmt::format("client{}@example.com", i), "", 8000 + i);
    const auto number = world.AddDeal(client, 77, "SMM", 12000);
    auto deal = planfix.task(number);
    deal->template_id = kDealTemplate;
    deal->custom_fields[kRetainerField] = true;
    planfix.AddTask(*deal);
  }
  // The PM's clients: one for a press before the run (its Planfix calls are counted), then
  // one per press during it.
  std::vector<app::SandboxClient> pressed;
  for (int i = 0; i <= kPresses; ++i) {
    pressed.push_back(world.AddClient(fmt::format("Клієнт PM {}", i), "", "", kFirstPressChat + i));
  }

  std::vector<config::Problem> problems;
  auto templates = config::LoadTemplates(config, problems);
  if (!templates.set) {
    std::fprintf(stderr, "bench_report: templates do not load\n");
    return 1;
  }
  app::App app(config, templates.set, clock, world.http(),
               app::AppOptions{.background_threads = true, .seed = 1});
  app.Start();
  const auto press = [&](const app::SandboxClient& client) {
    auto answer = world.PostPlanfix(
        app.port(), json{{"event", "brief.send"}, {"task", std::to_string(client.task)}});
    return answer && answer->status == 200;
  };
  // Start-up's own calls (the Telegram webhook, Google) settle first.
  std::this_thread::sleep_for(std::chrono::seconds(1));

  // One press on an idle service: its latency and its Planfix calls.
  Output::Note("a press on the idle service");
  std::size_t before = planfix.request_count();
  auto pressed_at = SteadyClock::now();
  if (!press(pressed[0]) ||
      !WaitFor([&] { return GotBotMessage(world.telegram, pressed[0].chat.value()); },
               std::chrono::seconds(60))) {
    std::fprintf(stderr, "bench_report: the idle press did not reach the client\n");
    return 1;
  }
  const double idle_latency = Seconds(SteadyClock::now() - pressed_at);
  std::this_thread::sleep_for(10 * interval + std::chrono::milliseconds(200));
  const std::size_t calls_per_press = planfix.request_count() - before;

  Output::Note(fmt::format("the month's run over {} clients, one Planfix call per {} ms",
                           kRetainers, interval.count()));
  before = planfix.request_count();
  const auto refused_before = planfix.rate_limited_count();
  storage::NewEvent run;
  run.source = plan::EventSource::kTimer;
  run.dedupe_key = "timer:bench-run";
  run.kind = workflow::kEventReportRun;
  run.payload = json{{"month", "2026-12"}}.dump();
  run.received_at = clock.Now();
  const auto started = SteadyClock::now();
  if (!app.database().AppendEvent(run)) return 1;

  std::vector<double> latencies;
  // Far beyond the run's expected length (about 2 calls per client): only a hang stops it.
  const auto limit = std::chrono::seconds(60 + static_cast<long long>(6 * kRetainers * interval_s));
  for (int i = 1; i <= kPresses; ++i) {
    const std::size_t at = static_cast<std::size_t>(kRetainers * i / (kPresses + 1));
    if (!WaitFor([&] { return Creates(planfix) >= at; }, limit)) break;
    pressed_at = SteadyClock::now();
    if (!press(pressed[static_cast<std::size_t>(i)])) break;
    const auto chat = pressed[static_cast<std::size_t>(i)].chat.value();
    if (!WaitFor([&] { return GotBotMessage(world.telegram, chat); }, limit)) break;
    latencies.push_back(Seconds(SteadyClock::now() - pressed_at));
    Output::Note(
        fmt::format("press {} at {} report tasks: {:.0f} ms", i, at, latencies.back() * 1000));
  }
  const bool finished = WaitFor([&] { return RunIsDone(app); }, limit);
  const double run_seconds = Seconds(SteadyClock::now() - started);
  const std::size_t calls = planfix.request_count() - before;
  const int refused = planfix.rate_limited_count() - refused_before;
  const std::size_t created = Creates(planfix);
  app.Stop();

  const std::size_t run_calls = calls - latencies.size() * calls_per_press;
  const double per_client = static_cast<double>(run_calls) / kRetainers;
  const double bound = static_cast<double>(calls) * interval_s;
  const std::string bench = "report: month's run";
  if (scaled == nullptr || interval != std::chrono::milliseconds(1000)) {
    out.Row(bench, "time scale: one Planfix second is (ms)", std::to_string(interval.count()));
  }
  out.Row(bench, "report tasks created / retainer clients",
          fmt::format("{} / {}", created, kRetainers), std::to_string(kRetainers),
          Verdict(finished && created == kRetainers));
  out.Row(bench, "Planfix calls in the run (per client)",
          fmt::format("{} ({:.2f})", run_calls, per_client));
  out.Row(bench, "Planfix calls of one brief press", std::to_string(calls_per_press));
  out.Row(bench, "429s from the fake", std::to_string(refused), "0", Verdict(refused == 0));
  out.Row(bench, "run time / lower bound (all calls x interval)",
          fmt::format("{:.2f} s / {:.2f} s = {:.3f}", run_seconds, bound, run_seconds / bound),
          "<= 1.10", Verdict(run_seconds / bound <= 1.10));
  out.Row(bench, "press latency when idle (intervals)",
          fmt::format("{:.2f} ({:.0f} ms)", idle_latency / interval_s, idle_latency * 1000));
  double worst = 0;
  std::string each;
  for (const double latency : latencies) {
    worst = std::max(worst, latency);
    each += (each.empty() ? "" : ", ") + Fixed(latency / interval_s, 1);
  }
  out.Row(bench, "press latency during the run, each (intervals)",
          latencies.empty() ? "none measured" : each);
  const bool all_measured = static_cast<int>(latencies.size()) == kPresses;
  out.Row(bench, "worst press latency during the run less the idle one (intervals)",
          Fixed((worst - idle_latency) / interval_s, 2), fmt::format("<= {:.0f}", kExtraIntervals),
          Verdict(all_measured && (worst - idle_latency) / interval_s <= kExtraIntervals));
  // Scaled, the work that is not Planfix (SQLite commits, loopback HTTP) counts as more
  // intervals than it would at 1 request/s, so the bound in seconds is judged unscaled only.
  const bool unscaled = interval == std::chrono::milliseconds(1000);
  out.Row(bench, "worst press latency during the run (intervals = s at 1 req/s)",
          fmt::format("{:.2f} ({:.0f} ms)", worst / interval_s, worst * 1000),
          unscaled ? fmt::format("<= {:.0f}", kLatencyTargetIntervals)
                   : std::string("unscaled run only"),
          unscaled ? Verdict(all_measured && worst / interval_s <= kLatencyTargetIntervals)
                   : std::string());
  fs::remove_all(dir);
  return finished ? 0 : 1;
}

}  // namespace
}  // namespace planfix_flow::bench

int main() { return planfix_flow::bench::Main(); }
