// Issue 13, money in from the bank, end to end: the real App (HTTP ingress, SQLite, engine,
// the monobank client and reconciler) against the strict fake bank on a simulated clock, with
// a database file so restarts keep it. The bank reaches the service over loopback http:// (the
// fake's one deliberate difference), at a port chosen before the service starts. The fake
// refuses (and so fails the test on) a call sooner than its 60 s limits, a statement range
// over 31 days and 1 hour, an unknown path or a wrong token.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/loopback_port.h"
#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/sandbox/fake_monobank.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::minutes;
using std::chrono::seconds;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
constexpr char kAccount[] = "fop-uah-account";
constexpr char kHookToken[] = "hook-token-0123456789abcdef0123456789ab";

class BankE2e : public ::testing::Test {
 protected:
  BankE2e() : clock_(kMonday10), bank_(clock_), world_(clock_, dir_.path()) {
    bank_.Start();
    port_ = testing::FreeLoopbackPort();
    auto& config = world_.config;
    config.storage.path = (dir_.path() / "flow.db").string();
    config.server.port = port_;
    config.bank.enabled = true;
    config.bank.accounts = {kAccount};
    config.bank.base_url = bank_.base_url();
    config.bank.public_base_url = fmt::format("http://127.0.0.1:{}", port_);
    config.bank.reconcile_interval_seconds = 300;
    config.secrets.monobank_token = bank_.token();
    config.secrets.monobank_webhook_token = kHookToken;
  }

  void StartApp() {
    for (const auto& problem : config::ValidateConfig(world_.config)) {
      EXPECT_FALSE(problem.key_path.starts_with("bank") ||
                   problem.key_path.starts_with("PLANFIX_FLOW_MONOBANK"))
          << problem.ToString();
    }
    if (!templates_) {
      std::vector<config::Problem> problems;
      auto loaded = config::LoadTemplates(world_.config, problems);
      ASSERT_TRUE(loaded.set);
      templates_ = loaded.set;
    }
    app_ = std::make_unique<App>(world_.config, templates_, clock_, world_.http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
    app_->RunUntilIdle();
  }

  std::string HookUrl(const std::string& token = kHookToken) const {
    return fmt::format("http://127.0.0.1:{}/webhooks/monobank/{}", port_, token);
  }

  http::HttpResponse Send(const std::string& method, const std::string& url,
                          const std::string& body = {}) {
    http::HttpRequest request;
    request.method = method;
    request.url = url;
    request.body = body;
    if (!body.empty()) request.headers["Content-Type"] = "application/json";
    auto answer = world_.http().Send(request);
    EXPECT_TRUE(answer) << answer.error().ToString();
    return answer ? *answer : http::HttpResponse{};
  }

  static std::string EventBody(const std::string& account, const std::string& id,
                               std::int64_t amount, int currency = 980) {
    return json{{"type", "StatementItem"},
                {"data",
                 {{"account", account},
                  {"statementItem",
                   {{"id", id},
                    {"time", core::ToUnixSeconds(kMonday10)},
                    {"description", "INV-1"},
                    {"amount", amount},
                    {"operationAmount", amount},
                    {"currencyCode", currency},
                    {"balance", 1}}}}}}
        .dump();
  }

  std::vector<plan::StoredEvent> BankEvents() const {
    std::vector<plan::StoredEvent> events;
    for (auto& event : app_->database().ListEvents(std::nullopt, 5000)) {
      if (event.source == plan::EventSource::kBank) events.push_back(std::move(event));
    }
    return events;
  }

  std::vector<sandbox::RecordedRequest> StatementCalls() const {
    std::vector<sandbox::RecordedRequest> calls;
    for (auto& request : bank_.requests()) {
      if (request.path.starts_with("/personal/statement/")) calls.push_back(std::move(request));
    }
    return calls;
  }

  void Advance(core::Duration by) {
    clock_.Advance(by);
    app_->RunUntilIdle();
  }

  std::int64_t Now() const { return core::ToUnixSeconds(clock_.Now()); }

  google_test::TempDir dir_;
  core::FakeClock clock_;
  // Before the world: the world's HTTP client (and its idle connections to the bank) goes
  // first, so the bank's server stops at once.
  sandbox::FakeMonobank bank_;
  SandboxWorld world_;
  int port_ = 0;
  std::shared_ptr<const templates::TemplateSet> templates_;
  std::unique_ptr<App> app_;
};

TEST_F(BankE2e, StartUpRegistersTheWebhookThroughTheBanksProbe) {
  StartApp();
  EXPECT_EQ(bank_.webhook_url(), HookUrl());
  EXPECT_EQ(bank_.probes(), 1);
  // The first reconciliation read the last 31 days of the configured account only.
  const auto calls = StatementCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].path,
            fmt::format("/personal/statement/{}/{}/{}", kAccount, Now() - 31 * 86400, Now()));
  // The probe's answer, as the bank sees it.
  EXPECT_EQ(Send("GET", HookUrl()).status, 200);
}

TEST_F(BankE2e, TheFirstReadingGoesBackLookbackDaysAndTheNextComeEveryInterval) {
  world_.config.bank.lookback_days = 2;
  world_.config.bank.reconcile_interval_seconds = 120;
  StartApp();
  const std::int64_t start = Now();
  Advance(seconds(119));
  ASSERT_EQ(StatementCalls().size(), 1u);
  Advance(seconds(1));
  const auto calls = StatementCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].path,
            fmt::format("/personal/statement/{}/{}/{}", kAccount, start - 2 * 86400, start));
  EXPECT_EQ(calls[1].path,
            fmt::format("/personal/statement/{}/{}/{}", kAccount, start - 600, start + 120));
}

TEST_F(BankE2e, AnAccountTheBankRefusesDoesNotHoldUpTheOthers) {
  world_.config.bank.accounts = {"no-such-account", kAccount};
  bank_.Book(kAccount, {"paid-1", Now() - 60, 5'000});
  bank_.ExpectRefusals(1);  // the bank's 400 for the unknown account
  StartApp();
  EXPECT_TRUE(BankEvents().empty());
  Advance(seconds(60));
  ASSERT_EQ(BankEvents().size(), 1u);
  EXPECT_EQ(json::parse(BankEvents()[0].payload)["id"], "paid-1");
}

TEST_F(BankE2e, ADeliveredItemLandsInTheInboxOnceWithTheContractPayload) {
  StartApp();
  clock_.Advance(minutes(1));
  bank_.Book(kAccount, {"item-1", Now() - 5, 1'250'000, 980, "Оплата INV-2026-11-07", "листопад",
                        "3096889974", "UA898999980000355639201001404", "ТОВ Ворона"});
  EXPECT_EQ(bank_.DeliverPending(), 1u);
  app_->RunUntilIdle();
  const auto events = BankEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "bank.statement_item");
  EXPECT_EQ(events[0].dedupe_key, "monobank:item-1");
  EXPECT_EQ(json::parse(events[0].payload), (json{{"account", kAccount},
                                                  {"id", "item-1"},
                                                  {"time", Now() - 5},
                                                  {"amount", 1'250'000},
                                                  {"currency_code", 980},
                                                  {"description", "Оплата INV-2026-11-07"},
                                                  {"comment", "листопад"},
                                                  {"counter_edrpou", "3096889974"},
                                                  {"counter_iban", "UA898999980000355639201001404"},
                                                  {"counter_name", "ТОВ Ворона"},
                                                  {"via", "webhook"}}));
  // Nothing consumes it yet: the engine finishes it quietly, never as dead.
  EXPECT_EQ(events[0].state, plan::EventState::kDone);
}

TEST_F(BankE2e, TheSameItemTwiceByWebhookAndFoundByTheStatementIsOneEvent) {
  StartApp();
  clock_.Advance(minutes(1));
  bank_.Book(kAccount, {"item-2", Now() - 5, 700'000});
  EXPECT_EQ(bank_.DeliverPending(), 1u);
  bank_.QueueEventAgain("item-2");
  EXPECT_EQ(bank_.DeliverPending(), 1u);  // answered 200 again: a duplicate
  Advance(minutes(5));                    // the next reconciliation reads it too
  EXPECT_EQ(StatementCalls().size(), 2u);
  const auto events = BankEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(json::parse(events[0].payload)["via"], "webhook");
}

TEST_F(BankE2e, APaymentWhileTheServiceWasDownIsFoundAtStartUpFromTheWatermark) {
  bank_.Book(kAccount, {"paid-before-start", Now() - 7200, 300'000, 980, "INV-9"});
  StartApp();
  auto events = BankEvents();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(json::parse(events[0].payload)["via"], "statement");
  const std::int64_t read_up_to = Now();

  app_.reset();  // down for an hour; the bank's deliveries meanwhile fail
  clock_.Advance(minutes(30));
  bank_.Book(kAccount, {"paid-while-down", Now(), 450'000, 980, "INV-10"});
  EXPECT_EQ(bank_.DeliverPending(), 0u);
  clock_.Advance(minutes(30));
  StartApp();
  events = BankEvents();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].dedupe_key == "monobank:paid-while-down" ||
                events[1].dedupe_key == "monobank:paid-while-down",
            true);
  // The restart read on from the stored watermark (less 10 minutes), not 31 days again.
  const auto calls = StatementCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].path,
            fmt::format("/personal/statement/{}/{}/{}", kAccount, read_up_to - 600, Now()));
}

TEST_F(BankE2e, AWebhookTheBankSwitchedOffIsRegisteredAgain) {
  StartApp();
  // Three failed deliveries (the service is down: 60 s and 600 s apart) switch it off.
  app_.reset();
  bank_.Book(kAccount, {"lost-by-webhook", Now(), 10'000});
  EXPECT_EQ(bank_.DeliverPending(), 0u);
  clock_.Advance(seconds(60));
  EXPECT_EQ(bank_.DeliverPending(), 0u);
  clock_.Advance(seconds(600));
  EXPECT_EQ(bank_.DeliverPending(), 0u);
  EXPECT_EQ(bank_.failed_deliveries(), 3);
  EXPECT_EQ(bank_.webhook_url(), "");
  StartApp();  // registers at start, and the statement brings the item
  EXPECT_EQ(bank_.webhook_url(), HookUrl());
  EXPECT_EQ(BankEvents().size(), 1u);

  // While running: the check of client-info finds no webhook and sets it again.
  bank_.SetWebhookUrlDirectly("");
  Advance(minutes(5));
  EXPECT_EQ(bank_.webhook_url(), HookUrl());
  EXPECT_EQ(bank_.probes(), 3);
}

TEST_F(BankE2e, AWrongTokenIs404AndStoresNothing) {
  StartApp();
  EXPECT_EQ(Send("POST", HookUrl("hook-token-0123456789abcdef0123456789aX"),
                 EventBody(kAccount, "forged", 100))
                .status,
            404);
  EXPECT_EQ(Send("GET", HookUrl("guess")).status, 404);
  EXPECT_EQ(Send("POST", fmt::format("http://127.0.0.1:{}/webhooks/monobank/", port_),
                 EventBody(kAccount, "forged", 100))
                .status,
            404);
  app_->RunUntilIdle();
  EXPECT_TRUE(BankEvents().empty());
}

TEST_F(BankE2e, AnUnknownAccountAndMoneyOutAre200AndStoreNothing) {
  StartApp();
  const auto other = Send("POST", HookUrl(), EventBody("black-card", "card-1", 5000));
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(json::parse(other.body)["reason"], "unknown_account");
  const auto out = Send("POST", HookUrl(), EventBody(kAccount, "out-1", -5000));
  EXPECT_EQ(out.status, 200);
  EXPECT_EQ(json::parse(out.body)["reason"], "money_out");
  const auto zero = Send("POST", HookUrl(), EventBody(kAccount, "zero-1", 0));
  EXPECT_EQ(zero.status, 200);
  app_->RunUntilIdle();
  EXPECT_TRUE(BankEvents().empty());
}

TEST_F(BankE2e, AForeignCurrencyAndAnAbsurdAmountAreStoredForAPersonToJudge) {
  StartApp();
  EXPECT_EQ(Send("POST", HookUrl(), EventBody(kAccount, "usd-1", 10'000, 840)).status, 200);
  EXPECT_EQ(Send("POST", HookUrl(), EventBody(kAccount, "huge-1", 200'000'000'000)).status, 200);
  app_->RunUntilIdle();
  const auto events = BankEvents();
  ASSERT_EQ(events.size(), 2u);
}

TEST_F(BankE2e, AMalformedBodyIs400AndStoresNothing) {
  StartApp();
  EXPECT_EQ(Send("POST", HookUrl(), "{").status, 400);
  std::string fraction = EventBody(kAccount, "frac-1", 100);
  fraction.replace(fraction.find("\"amount\":100"), 12, "\"amount\":100.5");
  EXPECT_EQ(Send("POST", HookUrl(), fraction).status, 400);
  EXPECT_EQ(Send("POST", HookUrl(), R"({"type":"StatementItem","data":{"account":"x"}})").status,
            400);
  app_->RunUntilIdle();
  EXPECT_TRUE(BankEvents().empty());
}

TEST_F(BankE2e, TheStatementIsPagedAt500OneCallPerMinute) {
  // 1203 incoming items over the last two hours, two to a second: pages share boundary items.
  const std::int64_t base = Now() - 7200;
  for (int i = 0; i < 1203; ++i) {
    bank_.Book(kAccount, {fmt::format("bulk-{}", i), base + i / 2, 100 + i});
  }
  StartApp();
  EXPECT_EQ(BankEvents().size(), 500u);
  Advance(seconds(59));  // the bank's limit: nothing yet (its 429 would fail this test)
  EXPECT_EQ(StatementCalls().size(), 1u);
  Advance(seconds(1));
  EXPECT_EQ(BankEvents().size(), 999u);  // the second page repeats a boundary item
  Advance(seconds(60));
  EXPECT_EQ(BankEvents().size(), 1203u);
  const auto calls = StatementCalls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].path, fmt::format("/personal/statement/{}/{}/{}", kAccount,
                                       core::ToUnixSeconds(kMonday10) - 31 * 86400, base + 351));
  EXPECT_EQ(calls[2].path, fmt::format("/personal/statement/{}/{}/{}", kAccount,
                                       core::ToUnixSeconds(kMonday10) - 31 * 86400, base + 102));
}

}  // namespace
}  // namespace planfix_flow::app
