// Outbound pacing benchmark, against the sandbox fakes, which refuse calls beyond the real
// limits with 429. Telegram: 1,000 messages to 100 private chats sent by one thread (as the
// one effect executor sends them), round-robin over the chats, through TelegramClient and its
// pacer: the 429s counted and the total time compared with the minimum the limits allow
// (30 messages in any second overall, 1 per second per chat). Planfix, at the same time: a
// backlog of GetTask calls through PlanfixClient against the fake's 1 request/s: no 429s and
// the rate used as a fraction of the 1/s allowed.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "bench_util.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/sandbox/fake_planfix.h"
#include "planfix_flow/sandbox/fake_telegram.h"
#include "planfix_flow/telegram/telegram_client.h"

namespace planfix_flow::bench {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

constexpr int kMessages = 1000;
constexpr int kChats = 100;
constexpr int kPlanfixCalls = 12;

int Main() {
  const fs::path dir =
      fs::temp_directory_path() / ("pff-bench-pacing-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Output out((dir / "pacing.log").string());
  core::SystemClock clock;

  sandbox::FakeTelegram telegram;
  for (int chat = 1; chat <= kChats; ++chat) telegram.AddPrivateChat(1000 + chat);
  telegram.Start();
  sandbox::FakePlanfix planfix;
  planfix.AddTask(sandbox::FakeTask{.id = 42, .name = "Bench task"});
  planfix.Start();

  // Planfix backlog on its own thread, at the same time as the Telegram sends.
  int planfix_ok = 0;
  int planfix_failed = 0;
  double planfix_seconds = 0;
  std::thread planfix_thread([&] {
    http::CurlHttpClient http;
    planfix::PlanfixOptions options;
    options.base_url = planfix.rest_url();
    options.token = "sandbox-token";
    // Paced as serve paces it by default (config::PlanfixConfig::min_interval_ms).
    options.min_interval = std::chrono::milliseconds(config::PlanfixConfig{}.min_interval_ms);
    // Diagnostic: BENCH_PLANFIX_INTERVAL_MS paces the client at another interval than the
    // one serve uses (the fake still allows 1 request per 1,000 ms).
    if (const char* interval = std::getenv("BENCH_PLANFIX_INTERVAL_MS")) {
      options.min_interval = std::chrono::milliseconds(std::atoi(interval));
    }
    planfix::PlanfixClient client(http, clock, options);
    // Every call of the backlog is made as soon as the client lets it go; the rate is that
    // of the answered calls, from the first answer to the last.
    SteadyClock::time_point first, last;
    for (int i = 0; i < kPlanfixCalls; ++i) {
      auto task = client.GetTask(42);
      if (!task) {
        ++planfix_failed;
        continue;
      }
      last = SteadyClock::now();
      if (planfix_ok++ == 0) first = last;
    }
    planfix_seconds = Seconds(last - first);
  });

  http::CurlHttpClient http;
  telegram::TelegramOptions options;
  options.base_url = telegram.api_base_url();
  options.token = telegram.token();
  telegram::TelegramClient client(http, clock, options);
  int sent = 0;
  int failed = 0;
  const auto start = SteadyClock::now();
  for (int i = 0; i < kMessages; ++i) {
    telegram::SendMessageRequest request;
    request.chat_id = 1000 + 1 + (i % kChats);
    request.text = "Message " + std::to_string(i);
    request.parse_mode.clear();
    (client.SendMessage(request) ? sent : failed)++;
  }
  const double seconds = Seconds(SteadyClock::now() - start);
  planfix_thread.join();

  // 30 in any second overall: message k+30 at least 1 s after message k, so the last of
  // 1,000 goes no earlier than floor(999 / 30) = 33 s after the first; per chat 10 messages
  // need 9 s. The minimum is the larger.
  const double minimum = static_cast<double>((kMessages - 1) / 30);
  const int refused = telegram.rate_limited_count();
  out.Row("pacing: telegram", "messages sent / failed",
          std::to_string(sent) + " / " + std::to_string(failed), std::to_string(kMessages),
          Verdict(sent == kMessages));
  out.Row("pacing: telegram", "429s from the fake", std::to_string(refused), "0",
          Verdict(refused == 0));
  out.Row("pacing: telegram", "total time (s) / minimum the limits allow (s)",
          Fixed(seconds, 2) + " / " + Fixed(minimum, 0) + " = " + Fixed(seconds / minimum, 3),
          "<= 1.10", Verdict(seconds / minimum <= 1.10));
  // n answered calls at 1/s span n - 1 seconds from the first to the last.
  const double rate =
      planfix_seconds > 0 ? static_cast<double>(planfix_ok - 1) / planfix_seconds : 0.0;
  const int planfix_refused = planfix.rate_limited_count();
  if (const char* interval = std::getenv("BENCH_PLANFIX_INTERVAL_MS")) {
    out.Row("pacing: planfix", "DIAGNOSTIC RUN",
            std::string("client paced at ") + interval +
                " ms (serve: " + std::to_string(config::PlanfixConfig{}.min_interval_ms) + ")");
  }
  out.Row("pacing: planfix", "calls ok / failed, 429s from the fake",
          std::to_string(planfix_ok) + " / " + std::to_string(planfix_failed) + ", " +
              std::to_string(planfix_refused),
          std::to_string(kPlanfixCalls) + " / 0, 0",
          Verdict(planfix_failed == 0 && planfix_refused == 0));
  out.Row("pacing: planfix", "answered calls/s in the backlog (of 1/s)", Fixed(rate, 3),
          "0.90..1.00", Verdict(rate >= 0.90 && rate <= 1.0 + 1e-3));
  telegram.Stop();
  planfix.Stop();
  fs::remove_all(dir);
  // Missed targets are reported in the table; the exit status is for a harness failure.
  return sent > 0 && planfix_ok > 0 ? 0 : 1;
}

}  // namespace
}  // namespace planfix_flow::bench

int main() { return planfix_flow::bench::Main(); }
