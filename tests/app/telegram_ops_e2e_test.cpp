// Issue 11, "What an agency hits on day one", the Telegram part, end to end: the real App
// (HTTP ingress, SQLite, engine, workflow, clients) against the sandbox fakes on a simulated
// clock, with a database file so restarts keep it. The service registers its webhook at start
// and checks the bot (items 1), watches the webhook and tells the staff chat once per problem,
// and remembers a staff group that became a supergroup (item 8). Where the fake Telegram must
// reach the service, the webhook URL is http:// on loopback (the fake's one deliberate
// difference from Telegram) and the service listens on a port chosen before it starts.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>

#include "app/loopback_port.h"
#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class TelegramOps : public ::testing::Test {
 protected:
  // The sandbox with a database file; the App starts in StartApp, so a test can change the
  // world and the config first.
  void CreateWorld() {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->config.storage.path = (dir_.path() / "flow.db").string();
    world_->config.server.planfix_dedupe_window_seconds = 60;
  }

  // Webhook deliveries from the fake reach the service at `path` on a port fixed now.
  void UseLoopbackWebhook(const std::string& path = "/webhooks/telegram") {
    const int port = testing::FreeLoopbackPort();
    ASSERT_GT(port, 0);
    world_->config.server.port = port;
    world_->config.telegram.webhook_url = fmt::format("http://127.0.0.1:{}{}", port, path);
  }

  void StartApp() {
    if (!templates_) {
      std::vector<config::Problem> problems;
      auto loaded = config::LoadTemplates(world_->config, problems);
      ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
      templates_ = loaded.set;
    }
    app_ = std::make_unique<App>(world_->config, templates_, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
  }
  void RestartApp() {
    app_.reset();
    StartApp();
  }

  http::HttpResponse Get(const std::string& path) {
    http::HttpRequest request;
    request.method = "GET";
    request.url = fmt::format("http://127.0.0.1:{}{}", app_->port(), path);
    auto answer = world_->http().Send(request);
    EXPECT_TRUE(answer) << answer.error().ToString();
    return answer ? *answer : http::HttpResponse{};
  }
  // The value of an unlabelled metric as /metrics shows it; -1 when it is not there.
  double Metric(const std::string& name) {
    const std::string body = Get("/metrics").body;
    const auto at = body.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + name.size() + 2));
  }

  // The calls of `method` the fake Telegram received, in order.
  std::vector<sandbox::RecordedRequest> Calls(const std::string& method) const {
    std::vector<sandbox::RecordedRequest> calls;
    for (auto& request : world_->telegram.requests()) {
      if (request.path.ends_with("/" + method)) calls.push_back(std::move(request));
    }
    return calls;
  }
  std::size_t SendsTo(std::int64_t chat) const {
    std::size_t count = 0;
    for (const auto& call : Calls("sendMessage")) {
      const json body = json::parse(call.body, nullptr, false);
      if (body.is_object() && body.value("chat_id", std::int64_t{0}) == chat) ++count;
    }
    return count;
  }
  std::vector<std::string> BotTexts(std::int64_t chat) const {
    std::vector<std::string> texts;
    for (const auto& message : world_->telegram.Messages(chat)) {
      if (message.from_bot) texts.push_back(message.text);
    }
    return texts;
  }
  std::size_t CountContaining(const std::vector<std::string>& texts, std::string_view part) {
    return static_cast<std::size_t>(std::count_if(
        texts.begin(), texts.end(), [&](const std::string& text) { return Contains(text, part); }));
  }

  void Advance(core::Duration by) {
    clock_->Advance(by);
    app_->RunUntilIdle();
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  std::unique_ptr<App> app_;
};

// Item 1: nothing called setWebhook, so Telegram never delivered a deep link, a button press
// or a reply, and nothing said so.
TEST_F(TelegramOps, RegistersTheWebhookAtStartSoADeepLinkPressReachesTheService) {
  CreateWorld();
  UseLoopbackWebhook();
  const auto client =
      world_->AddClient("Андрій", "andriy@example.com", "", std::nullopt, /*user=*/7007);
  // An update Telegram held while the service was not registered yet: it must not be dropped.
  world_->telegram.SimulateUserMessage(7007, 7007, "hello");
  StartApp();
  app_->RunUntilIdle();

  const auto webhook = world_->telegram.webhook();
  EXPECT_EQ(webhook.url, world_->config.telegram.webhook_url);
  EXPECT_EQ(webhook.secret_token, world_->config.secrets.telegram_webhook_secret);
  EXPECT_EQ(webhook.allowed_updates_json, R"(["message","callback_query"])");
  EXPECT_EQ(world_->telegram.pending_update_count(), 1u);  // kept
  const auto set = Calls("setWebhook");
  ASSERT_EQ(set.size(), 1u);
  EXPECT_FALSE(json::parse(set[0].body).contains("drop_pending_updates")) << set[0].body;
  // The token was checked first: setWebhook follows a good getMe.
  const auto requests = world_->telegram.requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_TRUE(requests[0].path.ends_with("/getMe")) << requests[0].path;
  EXPECT_EQ(Get("/readyz").status, 200);
  EXPECT_EQ(Metric("planfix_flow_telegram_bot_ok"), 1);
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_ok"), 1);

  // The PM sends the brief; the client opens the deep link and presses Start in Telegram,
  // which delivers both held updates to the registered webhook.
  ASSERT_EQ(world_
                ->PostPlanfix(app_->port(),
                              {{"event", "brief.send"}, {"task", std::to_string(client.task)}})
                ->status,
            200);
  app_->RunUntilIdle();
  const std::string token = world_->BindTokenOnTask(client.task);
  ASSERT_FALSE(token.empty());
  world_->telegram.SimulateUserMessage(7007, 7007, "/start " + token);
  EXPECT_EQ(world_->telegram.DeliverWebhookUpdates(), 2u);
  app_->RunUntilIdle();
  ASSERT_EQ(BotTexts(7007).size(), 1u);  // the brief went out once the chat was bound
  EXPECT_TRUE(Contains(BotTexts(7007)[0], "Андрій")) << BotTexts(7007)[0];

  // A restart registers again with the same values; nothing held is dropped.
  world_->telegram.SimulateUserMessage(7007, 7007, "thanks");
  RestartApp();
  app_->RunUntilIdle();
  EXPECT_EQ(Calls("setWebhook").size(), 2u);
  EXPECT_EQ(world_->telegram.webhook().url, world_->config.telegram.webhook_url);
  EXPECT_EQ(world_->telegram.pending_update_count(), 1u);
  EXPECT_EQ(world_->telegram.DeliverWebhookUpdates(), 1u);
}

TEST_F(TelegramOps, ABotUsernameTheTokenDoesNotMatchFailsReadinessAndRegistersNothing) {
  CreateWorld();
  world_->config.telegram.bot_username = "Other_Agency_Bot";
  StartApp();
  app_->RunUntilIdle();

  const auto ready = Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_TRUE(Contains(ready.body, "@sandbox_agency_bot")) << ready.body;
  EXPECT_TRUE(Contains(ready.body, "Other_Agency_Bot")) << ready.body;
  EXPECT_EQ(Metric("planfix_flow_telegram_bot_ok"), 0);
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_ok"), 0);
  // The token's bot keeps its own webhook: a token pasted from another bot takes nothing over.
  EXPECT_TRUE(Calls("setWebhook").empty());
  EXPECT_TRUE(world_->telegram.webhook().url.empty());
}

TEST_F(TelegramOps, ABotUsernameInAnotherCaseIsTheSameBot) {
  CreateWorld();
  world_->config.telegram.bot_username = "Sandbox_Agency_Bot";
  StartApp();
  app_->RunUntilIdle();
  EXPECT_EQ(Get("/readyz").status, 200);
  EXPECT_EQ(world_->telegram.webhook().url, world_->config.telegram.webhook_url);
}

TEST_F(TelegramOps, ARefusedTokenFailsReadinessAndIsRetriedWithBackoffNotInALoop) {
  CreateWorld();
  world_->config.secrets.telegram_bot_token = "123456789:AAWrongTokenWrongTokenWrongToken_012";
  StartApp();
  app_->RunUntilIdle();

  const auto ready = Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_TRUE(Contains(ready.body, "refused the bot token")) << ready.body;
  EXPECT_FALSE(Contains(ready.body, "AAWrongToken")) << ready.body;  // never the secret
  EXPECT_EQ(Metric("planfix_flow_telegram_bot_ok"), 0);
  const auto failures = Get("/metrics").body;
  EXPECT_TRUE(Contains(failures, R"(planfix_flow_telegram_setup_failures_total{call="getMe"} 1)"))
      << failures;

  // An hour later: retried with a growing wait (5 s doubling, at most 10 min), not hot.
  for (int minute = 0; minute < 60; ++minute) Advance(minutes(1));
  const std::size_t tries = Calls("getMe").size();
  EXPECT_GE(tries, 6u);
  EXPECT_LE(tries, 14u);
  EXPECT_EQ(Get("/readyz").status, 503);
  // The wrong token is the test's doing: each try was refused, and nothing else was.
  const auto refused = world_->telegram.TakeFailures();
  EXPECT_EQ(refused.size(), tries) << ::testing::PrintToString(refused);
  for (const auto& refusal : refused) EXPECT_TRUE(Contains(refusal, "/getMe with 401")) << refusal;
}

TEST_F(TelegramOps, TelegramDownAtStartIsRetriedUntilTheWebhookIsRegistered) {
  CreateWorld();
  world_->telegram.FailNext(3, 502, R"({"ok":false,"error_code":502,"description":"Bad Gateway"})");
  StartApp();
  app_->RunUntilIdle();
  EXPECT_EQ(Get("/readyz").status, 503);
  EXPECT_EQ(Calls("getMe").size(), 1u);  // backing off, not retrying at once

  for (int i = 0; i < 20 && Get("/readyz").status != 200; ++i) Advance(seconds(30));
  EXPECT_EQ(Get("/readyz").status, 200);
  EXPECT_EQ(world_->telegram.webhook().url, world_->config.telegram.webhook_url);
  EXPECT_EQ(Calls("getMe").size(), 4u);  // three refused, the fourth answered
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_ok"), 1);
}

// A webhook URL with a wrong path: Telegram registers it, and every delivery gets a 404.
TEST_F(TelegramOps, DeliveryErrorsReachTheStaffChatOnceAcrossChecksAndARestart) {
  CreateWorld();
  UseLoopbackWebhook("/telegram-webhook");  // the service listens on /webhooks/telegram
  StartApp();
  app_->RunUntilIdle();
  const std::int64_t staff = world_->config.telegram.staff_chat_id;
  constexpr std::string_view kError = "Wrong response from the webhook: 404 Not Found";

  world_->telegram.AddPrivateChat(7007, "Андрій");
  world_->telegram.SimulateUserMessage(7007, 7007, "/start abc");
  EXPECT_EQ(world_->telegram.DeliverWebhookUpdates(), 0u);
  ASSERT_EQ(world_->telegram.webhook().last_error_message, kError);
  Advance(minutes(10));  // the next check
  ASSERT_EQ(CountContaining(BotTexts(staff), kError), 1u)
      << ::testing::PrintToString(BotTexts(staff));
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_ok"), 0);
  EXPECT_EQ(Get("/readyz").status, 200);  // the service itself is fine; the staff know

  // Telegram keeps retrying and failing; the checks see newer errors of the same problem.
  for (int round = 0; round < 3; ++round) {
    Advance(minutes(3));
    EXPECT_EQ(world_->telegram.DeliverWebhookUpdates(), 0u);
    Advance(minutes(10));
  }
  EXPECT_EQ(CountContaining(BotTexts(staff), kError), 1u);

  // Still broken after a restart: told already, so not again.
  RestartApp();
  app_->RunUntilIdle();
  Advance(minutes(1));
  EXPECT_EQ(world_->telegram.DeliverWebhookUpdates(), 0u);
  Advance(minutes(10));
  EXPECT_EQ(CountContaining(BotTexts(staff), kError), 1u)
      << ::testing::PrintToString(BotTexts(staff));
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_ok"), 0);
}

// A deploy: Telegram cannot deliver while the service is down. Those updates arrive after the
// start, and the error from the downtime is no news for the staff chat.
TEST_F(TelegramOps, DeliveryErrorsFromWhileTheServiceWasDownAreNotTold) {
  CreateWorld();
  UseLoopbackWebhook();
  StartApp();
  app_->RunUntilIdle();
  const std::int64_t staff = world_->config.telegram.staff_chat_id;
  app_.reset();
  world_->telegram.AddPrivateChat(7007, "Андрій");
  world_->telegram.SimulateUserMessage(7007, 7007, "hello");
  EXPECT_EQ(world_->telegram.DeliverWebhookUpdates(), 0u);
  EXPECT_EQ(world_->telegram.webhook().last_error_message, "Connection refused");

  clock_->Advance(minutes(1));
  StartApp();
  app_->RunUntilIdle();
  EXPECT_EQ(world_->telegram.DeliverWebhookUpdates(), 1u);
  app_->RunUntilIdle();
  Advance(minutes(10));
  EXPECT_EQ(CountContaining(BotTexts(staff), "Connection refused"), 0u)
      << ::testing::PrintToString(BotTexts(staff));
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_ok"), 1);
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_pending_updates"), 0);
}

TEST_F(TelegramOps, AWebhookMovedToAnotherUrlIsToldOnceAndFailsReadinessUntilARestart) {
  CreateWorld();
  StartApp();
  app_->RunUntilIdle();
  ASSERT_EQ(Get("/readyz").status, 200);
  const std::int64_t staff = world_->config.telegram.staff_chat_id;

  // Someone sets another webhook with the same token (a second deployment, a script).
  http::HttpRequest request;
  request.method = "POST";
  request.url =
      fmt::format("{}/bot{}/setWebhook", world_->telegram.api_base_url(), world_->telegram.token());
  request.headers["Content-Type"] = "application/json";
  request.body = json{{"url", "https://staging.example/webhooks/telegram"}}.dump();
  ASSERT_EQ(world_->http().Send(request)->status, 200);

  Advance(minutes(10));
  EXPECT_EQ(CountContaining(BotTexts(staff), "https://staging.example/webhooks/telegram"), 1u)
      << ::testing::PrintToString(BotTexts(staff));
  const auto ready = Get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_TRUE(Contains(ready.body, "another URL than telegram.webhook_url")) << ready.body;
  EXPECT_FALSE(Contains(ready.body, "staging.example")) << ready.body;  // only in the log
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_ok"), 0);
  Advance(minutes(10));
  Advance(minutes(10));
  EXPECT_EQ(CountContaining(BotTexts(staff), "staging.example"), 1u);

  RestartApp();  // registers its own URL again
  app_->RunUntilIdle();
  EXPECT_EQ(world_->telegram.webhook().url, world_->config.telegram.webhook_url);
  EXPECT_EQ(Get("/readyz").status, 200);
  EXPECT_EQ(Metric("planfix_flow_telegram_webhook_ok"), 1);
}

// Item 8: the first message after "migrated to a supergroup" was resent to the new id, but
// every later one (also after a restart) went to the old id first and drew the error again.
TEST_F(TelegramOps, AStaffGroupThatBecameASupergroupIsRememberedAcrossRestarts) {
  constexpr std::int64_t kOldGroup = -4001234;
  constexpr std::int64_t kSupergroup = -1001009998877;
  CreateWorld();
  world_->config.telegram.staff_chat_id = kOldGroup;
  world_->telegram.AddGroup(kOldGroup, "Agency staff");
  world_->telegram.MigrateGroup(kOldGroup, kSupergroup);
  const auto client = world_->AddClient("Олена", "olena@example.com", "", 5001);
  StartApp();
  app_->RunUntilIdle();
  auto ping = [&](int n) {
    ASSERT_EQ(
        world_
            ->PostPlanfix(app_->port(), {{"event", "ping"}, {"task", std::to_string(client.task)}})
            ->status,
        200);
    app_->RunUntilIdle();
    ASSERT_EQ(CountContaining(BotTexts(kSupergroup), fmt::format("#{}", client.task)),
              static_cast<std::size_t>(n))
        << ::testing::PrintToString(BotTexts(kSupergroup));
    clock_->Advance(minutes(2));  // past the Planfix dedupe window: a new ping
  };

  ping(1);
  EXPECT_EQ(SendsTo(kOldGroup), 1u);  // the one answer that told us
  const auto notices = CountContaining(BotTexts(kSupergroup), "telegram.staff_chat_id");
  EXPECT_EQ(notices, 1u) << ::testing::PrintToString(BotTexts(kSupergroup));
  EXPECT_TRUE(Contains(BotTexts(kSupergroup).back(), std::to_string(kSupergroup)));

  ping(2);
  EXPECT_EQ(SendsTo(kOldGroup), 1u);  // straight to the supergroup

  RestartApp();
  app_->RunUntilIdle();
  ping(3);
  EXPECT_EQ(SendsTo(kOldGroup), 1u);
  EXPECT_EQ(CountContaining(BotTexts(kSupergroup), "telegram.staff_chat_id"), 1u);
}

}  // namespace
}  // namespace planfix_flow::app
