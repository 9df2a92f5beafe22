#include "planfix_flow/app/demo.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <ostream>

#include "planfix_flow/app/app.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_planfix.h"
#include "planfix_flow/sandbox/fake_telegram.h"

namespace planfix_flow::app {

namespace {

// Friday 2026-11-27 12:00 in Kyiv: the follow-up one working day later lands on Monday.
const core::TimePoint kDemoStart = core::FromUnixSeconds(1'795'773'600);
constexpr long long kTask = 1042;

std::string LocalTime(core::TimePoint moment) {
  return fmt::format("{:%Y-%m-%d %H:%M} UTC",
                     fmt::gmtime(static_cast<std::time_t>(core::ToUnixSeconds(moment))));
}

}  // namespace

int RunDemo(std::ostream& out, std::ostream& err) {
  core::SetLogLevel("warn");  // the transcript is the output; logs only for trouble
  core::FakeClock clock(kDemoStart);

  sandbox::FakePlanfixOptions planfix_options;
  planfix_options.min_interval = std::chrono::milliseconds(0);  // paced on the simulated clock
  sandbox::FakePlanfix planfix(planfix_options);
  sandbox::FakeTelegramOptions telegram_options;
  telegram_options.clock = &clock;
  sandbox::FakeTelegram telegram(telegram_options);
  planfix.Start();
  telegram.Start();

  config::Config config = config::DefaultSandboxConfig();
  config.planfix.base_url = planfix.rest_url();
  config.telegram.base_url = telegram.api_base_url();
  config.secrets.planfix_token = planfix_options.tokens.at(0).token;
  config.secrets.telegram_bot_token = telegram.token();
  telegram.AddSupergroup(config.telegram.staff_chat_id, "Agency staff");
  planfix.AddTask(sandbox::FakeTask{.id = kTask, .name = "Landing page for Acme"});

  std::vector<config::Problem> problems;
  auto templates = config::LoadTemplates(config, problems);
  if (!templates.set) {
    for (const auto& problem : problems) err << problem.ToString() << "\n";
    return 1;
  }

  http::CurlHttpClient http;
  App app(config, templates.set, clock, http, AppOptions{.background_threads = false});
  app.Start();
  out << "planfix-flow demo: the service core on the sandbox (simulated clock, in-memory "
         "database).\n"
      << "The brief flow is not built yet; this shows the core's check rule, \"ping\".\n\n";

  http::HttpRequest request;
  request.method = "POST";
  request.url = fmt::format("http://127.0.0.1:{}/webhooks/planfix", app.port());
  request.headers["Content-Type"] = "application/json";
  request.headers["Authorization"] = "Bearer " + config.secrets.planfix_webhook_secret;
  request.body = nlohmann::json{{"event", "ping"}, {"task", std::to_string(kTask)}}.dump();
  out << fmt::format("[{}] in:  Planfix POST /webhooks/planfix {}\n", LocalTime(clock.Now()),
                     request.body);
  auto answer = http.Send(request);
  if (!answer || answer->status != 200) {
    err << "demo: the webhook was not accepted\n";
    return 1;
  }
  out << fmt::format("[{}]      answered {} after the event was committed\n",
                     LocalTime(clock.Now()), answer->status);
  app.RunUntilIdle();

  auto print_effects = [&](std::size_t from_message, std::size_t from_comment) {
    const auto messages = telegram.Messages(config.telegram.staff_chat_id);
    for (std::size_t i = from_message; i < messages.size(); ++i) {
      out << fmt::format("[{}] out: Telegram staff chat: {}\n", LocalTime(messages[i].received_at),
                         messages[i].text);
    }
    const auto comments = planfix.comments(kTask);
    for (std::size_t i = from_comment; i < comments.size(); ++i) {
      out << fmt::format("[{}] out: Planfix comment on task {}: {}\n", LocalTime(clock.Now()),
                         kTask, comments[i].description);
    }
    return std::pair{messages.size(), comments.size()};
  };
  const auto [messages_after_ping, comments_after_ping] = print_effects(0, 0);

  out << "\n... the follow-up timer is due one working day later; the clock moves over the "
         "weekend ...\n\n";
  clock.Advance(std::chrono::hours(72));
  app.RunUntilIdle();
  const auto [messages_after_follow_up, comments_after_follow_up] =
      print_effects(messages_after_ping, comments_after_ping);
  app.Stop();

  const bool ok = messages_after_ping == 1 && comments_after_ping == 1 &&
                  messages_after_follow_up == 2 && comments_after_follow_up == 1 &&
                  planfix.failures().empty() && telegram.failures().empty();
  out << "\n"
      << (ok ? "demo: every expected effect was observed in the fakes.\n"
             : "demo: FAILED: an expected effect is missing (see above).\n");
  return ok ? 0 : 1;
}

}  // namespace planfix_flow::app
