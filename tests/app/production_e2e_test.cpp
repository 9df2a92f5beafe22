// The production path end to end through the real App and the sandbox fakes: the sales →
// production handoff, the production gate and stage messages.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
constexpr std::int64_t kChat = 5001;

class ProductionFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->config.server.planfix_dedupe_window_seconds = 600;
    StartApp();
  }

  // (Re)starts the service on world_->config (a fresh in-memory database).
  void StartApp() {
    if (app_) app_->Stop();
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
  }

  const config::PlanfixStatuses& Statuses() const { return world_->config.planfix.statuses; }

  void Post(const json& body) {
    auto answer = world_->PostPlanfix(app_->port(), body);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }
  void StatusChanged(std::int64_t task, std::int64_t status) {
    // Planfix's automation posts the task's new status; the task really is in it.
    auto stored = world_->planfix.task(task);
    ASSERT_TRUE(stored);
    stored->status_id = status;
    world_->planfix.AddTask(*stored);  // replaces the task
    Post({{"event", "task.status_changed"},
          {"task", std::to_string(task)},
          {"status", std::to_string(status)}});
  }

  void SetGateFields(std::int64_t task, bool payment, bool access) {
    auto stored = world_->planfix.task(task);
    ASSERT_TRUE(stored);
    const auto& fields = world_->config.planfix.task_fields;
    stored->custom_fields[fields.payment_received] = payment;
    stored->custom_fields[fields.access_granted] = access;
    world_->planfix.AddTask(*stored);
  }

  // The client's brief, sent from their Communication task and filled.
  void FillBrief(const SandboxClient& client) {
    Post({{"event", "brief.send"}, {"task", std::to_string(client.task)}});
    auto answer = world_->PostSubmission(
        app_->port(),
        world_->Submit("resp-brief", world_->BriefCodeSentTo(kChat), "", "Продажі", ""),
        "resp-brief");
    ASSERT_TRUE(answer);
    ASSERT_EQ(answer->status, 200);
    app_->RunUntilIdle();
    ASSERT_EQ(app_->database().GetFlow(fmt::format("brief:task:{}", client.task))->state, "filled");
  }

  std::vector<std::string> Comments(std::int64_t task) const {
    std::vector<std::string> out;
    for (const auto& comment : world_->planfix.comments(task)) out.push_back(comment.description);
    return out;
  }
  std::vector<std::string> ClientMessages() const {
    std::vector<std::string> out;
    for (const auto& message : world_->telegram.Messages(kChat)) {
      if (message.from_bot) out.push_back(message.text);
    }
    return out;
  }
  static bool Contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
};

TEST_F(ProductionFlow, AnIncompleteHandoffGoesBackToSalesNamingWhatIsMissing) {
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
  const auto deal = world_->AddDeal(client, /*project=*/0, /*work_type=*/"", /*amount=*/0);
  StatusChanged(deal, Statuses().handed_to_production);

  EXPECT_EQ(world_->planfix.task(deal)->status_id, Statuses().returned_to_sales);
  const auto comments = world_->planfix.comments(deal);
  ASSERT_EQ(comments.size(), 1u);
  for (const char* missing : {"проєкт", "тип робіт", "сума (більше 0)", "телефон клієнта"}) {
    EXPECT_TRUE(Contains(comments[0].description, missing)) << comments[0].description;
  }
  EXPECT_FALSE(Contains(comments[0].description, "ім'я клієнта")) << comments[0].description;
  EXPECT_EQ(comments[0].recipients, (json{{"users", {{{"id", "user:1"}}}}}))
      << comments[0].recipients;  // addressed to the sales manager who set the task
  EXPECT_EQ(world_->planfix.task(deal + 1), std::nullopt);  // nothing handed over
}

TEST_F(ProductionFlow, ACompleteHandoffCreatesTheCommunicationTaskAndLinksItFromTheDeal) {
  const auto client = world_->AddClient("Олена", "olena@example.com", "+380501112233", kChat);
  const auto deal = world_->AddDeal(client, 77, "SMM", 15000);
  Post({{"event", "deal.handoff"}, {"task", std::to_string(deal)}});

  const auto comments = Comments(deal);
  ASSERT_EQ(comments.size(), 1u);
  const auto pos = comments[0].find("№");
  ASSERT_NE(pos, std::string::npos) << comments[0];
  const std::int64_t created = std::stoll(comments[0].substr(pos + std::string("№").size()));
  const auto task = world_->planfix.task(created);
  ASSERT_TRUE(task) << comments[0];
  EXPECT_EQ(task->counterparty, fmt::format("contact:{}", client.contact));
  EXPECT_EQ(task->project_id, 77);
  EXPECT_EQ(task->assignees, (std::vector<std::string>{"user:7"}));
  EXPECT_TRUE(Contains(task->name, "Олена")) << task->name;
  EXPECT_NE(world_->planfix.task(deal)->status_id, Statuses().returned_to_sales);

  EXPECT_EQ(app_->database().GetFlow(fmt::format("handoff:task:{}", deal))->state, "handed_over");
  // The deal back in "handed to production" later (a retry, or the gate sending it back)
  // creates no second task.
  clock_->Advance(hours(1));
  StatusChanged(deal, Statuses().handed_to_production);
  EXPECT_EQ(Comments(deal).size(), 1u);
  EXPECT_EQ(world_->planfix.task(created + 1), std::nullopt);
}

// Issue 11: "telegram" used to accept a phone or an e-mail too, and the comment then asked for
// the wrong thing.
TEST_F(ProductionFlow, ATelegramRequirementIsNotMetByAPhoneAndTheCommentSaysTelegram) {
  world_->config.planfix.handoff_required_contact_data = {{config::ContactData::kTelegram}};
  StartApp();
  const auto client =
      world_->AddClient("Олена", "olena@example.com", "+380501112233", std::nullopt, 7007);
  const auto deal = world_->AddDeal(client, 77, "SMM", 15000);
  StatusChanged(deal, Statuses().handed_to_production);

  EXPECT_EQ(world_->planfix.task(deal)->status_id, Statuses().returned_to_sales);
  const auto comments = Comments(deal);
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_TRUE(Contains(comments[0], "Telegram клієнта")) << comments[0];
  EXPECT_EQ(world_->planfix.task(deal + 1), std::nullopt);  // nothing handed over
}

TEST_F(ProductionFlow, APhoneOrAnEmailRequirementIsMetByEitherAndNamedAsOneWhenNeither) {
  using config::ContactData;
  world_->config.planfix.handoff_required_contact_data = {
      {ContactData::kName}, {ContactData::kPhone, ContactData::kEmail}};
  StartApp();
  const auto with_email = world_->AddClient("Олена", "olena@example.com", "", kChat);
  const auto with_neither = world_->AddClient("Петро", "", "", std::nullopt);
  const auto complete = world_->AddDeal(with_email, 77, "SMM", 15000);
  const auto incomplete = world_->AddDeal(with_neither, 77, "SMM", 15000);
  StatusChanged(complete, Statuses().handed_to_production);
  StatusChanged(incomplete, Statuses().handed_to_production);

  EXPECT_EQ(app_->database().GetFlow(fmt::format("handoff:task:{}", complete))->state,
            "handed_over");
  EXPECT_EQ(world_->planfix.task(incomplete)->status_id, Statuses().returned_to_sales);
  const auto comments = Comments(incomplete);
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_TRUE(Contains(comments[0], "телефон або e-mail клієнта")) << comments[0];
}

TEST_F(ProductionFlow, WithProcessesSetTheGateActsOnDealsAndTheHandoffCreatesInCommunication) {
  constexpr long long kCommunication = 2;
  world_->planfix.DefineProcess(kCommunication, {{1, "Нова"}, {2, "В роботі"}});
  world_->config.planfix.processes.deal = 1;
  world_->config.planfix.processes.communication = kCommunication;
  StartApp();
  const auto client = world_->AddClient("Олена", "olena@example.com", "+380501112233", kChat);
  const auto deal = world_->AddDeal(client, 77, "SMM", 15000);
  Post({{"event", "deal.handoff"}, {"task", std::to_string(deal)}});
  ASSERT_EQ(Comments(deal).size(), 1u);
  const auto created = world_->planfix.task(deal + 1);
  ASSERT_TRUE(created);
  EXPECT_EQ(created->process_id, kCommunication);

  // A Communication task reaching the id the deals use for "in production" is no deal.
  auto communication = *world_->planfix.task(client.task);
  communication.process_id = kCommunication;
  world_->planfix.AddTask(communication);
  StatusChanged(client.task, Statuses().in_production);
  EXPECT_TRUE(Comments(client.task).empty());
  EXPECT_EQ(world_->planfix.task(client.task)->status_id, Statuses().in_production);
  // The deal itself is gated as before.
  StatusChanged(deal, Statuses().in_production);
  EXPECT_EQ(Comments(deal).size(), 2u);
}

TEST_F(ProductionFlow, TheGateRefusesEachMissingConditionAndOpensWhenAllAreThere) {
  const auto client = world_->AddClient("Олена", "olena@example.com", "+380501112233", kChat);
  const auto task = world_->AddDeal(client, 77, "SMM", 15000);
  const std::int64_t before = Statuses().brief_filled;
  bool brief_filled = false;

  struct Case {
    bool payment;
    bool access;
    bool brief;
    const char* missing;
  };
  // The brief case first: it is filled from the second case on.
  for (const Case& c : {Case{true, true, false, "заповнений бриф"},
                        Case{false, true, true, "оплата або передоплата"},
                        Case{true, false, true, "доступи до акаунтів клієнта"}}) {
    SCOPED_TRACE(c.missing);
    if (c.brief && !brief_filled) {
      FillBrief(client);
      brief_filled = true;
    }
    SetGateFields(task, c.payment, c.access);
    StatusChanged(task, before);
    clock_->Advance(minutes(11));  // past the webhook dedupe window: a real second move
    const auto comments_before = Comments(task).size();
    StatusChanged(task, Statuses().in_production);
    EXPECT_EQ(world_->planfix.task(task)->status_id, before);
    const auto comments = Comments(task);
    ASSERT_EQ(comments.size(), comments_before + 1);
    EXPECT_TRUE(Contains(comments.back(), c.missing)) << comments.back();
    EXPECT_TRUE(Contains(comments.back(), "повернено")) << comments.back();
    clock_->Advance(minutes(11));
  }
  // All there (the brief was filled in the first round): work starts, the client hears it.
  const auto messages_before = ClientMessages().size();  // the brief and its thanks
  SetGateFields(task, true, true);
  StatusChanged(task, before);
  clock_->Advance(minutes(11));
  StatusChanged(task, Statuses().in_production);
  EXPECT_EQ(world_->planfix.task(task)->status_id, Statuses().in_production);
  const auto messages = ClientMessages();
  ASSERT_EQ(messages.size(), messages_before + 1);
  EXPECT_TRUE(Contains(messages.back(), "розпочали роботу")) << messages.back();
  EXPECT_TRUE(Contains(Comments(task).back(), "роботу розпочато")) << Comments(task).back();
}

TEST_F(ProductionFlow, EachStageMessageGoesOutOnceDespiteRepeatedWebhooks) {
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
  const auto task = world_->AddDeal(client, 77, "SMM", 15000);
  StatusChanged(task, 110);
  ASSERT_EQ(ClientMessages().size(), 1u);
  EXPECT_TRUE(Contains(ClientMessages()[0], "Дизайн")) << ClientMessages()[0];
  ASSERT_EQ(Comments(task).size(), 1u);
  EXPECT_TRUE(Contains(Comments(task)[0], "Дизайн")) << Comments(task)[0];

  // The same webhook at once (deduplicated at the door) and an hour later (by the flow).
  StatusChanged(task, 110);
  clock_->Advance(hours(1));
  StatusChanged(task, 110);
  EXPECT_EQ(ClientMessages().size(), 1u);
  EXPECT_EQ(Comments(task).size(), 1u);

  StatusChanged(task, 111);
  ASSERT_EQ(ClientMessages().size(), 2u);
  EXPECT_TRUE(Contains(ClientMessages()[1], "Розробка")) << ClientMessages()[1];
  // A status without a stage message sends nothing.
  StatusChanged(task, Statuses().brief_requested);
  EXPECT_EQ(ClientMessages().size(), 2u);
}

}  // namespace
}  // namespace planfix_flow::app
