// The production path's pure rules: what a handoff and the gate require, and the plans.
#include "planfix_flow/workflow/production.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/engine/plan.h"
#include "planfix_flow/plan/effects.h"

namespace planfix_flow::workflow {
namespace {

using nlohmann::json;

class ProductionRules : public ::testing::Test {
 protected:
  ProductionRules()
      : config_(config::DefaultSandboxConfig()),
        calendar_(*calendar::WorkCalendar::Create(config_.calendar)) {
    std::vector<config::Problem> problems;
    templates_ = config::LoadTemplates(config_, problems).set;
    context_ = RuleContext{&config_, templates_.get(), &calendar_};
  }
  void SetUp() override { ASSERT_TRUE(templates_); }

  TaskFacts CompleteDeal() const {
    TaskFacts deal{42, "Сайт", 7};
    deal.project = 3;
    deal.assigner = "user:1";
    deal.assignees = {"contact:9", "user:5"};
    const auto& fields = config_.planfix.task_fields;
    deal.fields[fields.work_type] = "SMM";
    deal.fields[fields.amount] = 1500.0;
    deal.fields[fields.payment_received] = true;
    deal.fields[fields.access_granted] = true;
    return deal;
  }
  static ContactFacts Client() { return ContactFacts{7, "Олена", "o@example.com", {"+380"}, 5001}; }
  static engine::StoredEvent Event(std::int64_t id = 3) {
    engine::StoredEvent event;
    event.id = id;
    event.kind = kEventStatusChanged;
    event.payload = "{}";
    return event;
  }

  config::Config config_;
  calendar::WorkCalendar calendar_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  RuleContext context_;
};

TEST_F(ProductionRules, HandoffNamesEachMissingPieceInConfigOrder) {
  EXPECT_TRUE(MissingForHandoff(CompleteDeal(), Client(), context_).empty());

  TaskFacts deal = CompleteDeal();
  deal.project.reset();
  deal.fields[config_.planfix.task_fields.amount] = "0";
  deal.fields.erase(config_.planfix.task_fields.work_type);
  EXPECT_EQ(MissingForHandoff(deal, Client(), context_),
            (std::vector<std::string>{"проєкт", "тип робіт", "сума (більше 0)"}));
  EXPECT_EQ(MissingForHandoff(CompleteDeal(), std::nullopt, context_),
            (std::vector<std::string>{"клієнт (контакт-контрагент)"}));

  using config::ContactData;
  config_.planfix.handoff_required_contact_data = {
      {ContactData::kName}, {ContactData::kEmail}, {ContactData::kPhone}, {ContactData::kTelegram}};
  ContactFacts bare{7, "", "", {}, std::nullopt};
  EXPECT_EQ(MissingForHandoff(CompleteDeal(), bare, context_),
            (std::vector<std::string>{"ім'я клієнта", "e-mail клієнта", "телефон клієнта",
                                      "Telegram клієнта"}));
  // Telegram means Telegram: a phone or an e-mail does not stand in for it.
  bare.email = "o@example.com";
  bare.phones = {"+380501112233"};
  EXPECT_EQ(MissingForHandoff(CompleteDeal(), bare, context_),
            (std::vector<std::string>{"ім'я клієнта", "Telegram клієнта"}));
  bare.telegram_username = "@olena";
  EXPECT_EQ(MissingForHandoff(CompleteDeal(), bare, context_),
            (std::vector<std::string>{"ім'я клієнта"}));
}

TEST_F(ProductionRules, AnyAlternativeMeetsARequirementAndTheCommentNamesThemAll) {
  using config::ContactData;
  config_.planfix.handoff_required_contact_data = {
      {ContactData::kName},
      {ContactData::kPhone, ContactData::kEmail},
      {ContactData::kTelegram, ContactData::kPhone, ContactData::kEmail}};
  ContactFacts client{7, "Олена", "", {}, std::nullopt};
  EXPECT_EQ(MissingForHandoff(CompleteDeal(), client, context_),
            (std::vector<std::string>{"телефон або e-mail клієнта",
                                      "Telegram, телефон або e-mail клієнта"}));
  config_.templates.default_language = "en";
  EXPECT_EQ(
      MissingForHandoff(CompleteDeal(), client, context_),
      (std::vector<std::string>{"client phone or e-mail", "client Telegram, phone or e-mail"}));
  client.email = "o@example.com";
  EXPECT_TRUE(MissingForHandoff(CompleteDeal(), client, context_).empty());
}

TEST_F(ProductionRules, ARejectedHandoffGoesBackAndTellsTheSalesManager) {
  TaskFacts deal = CompleteDeal();
  deal.project.reset();
  auto plan = DecideHandoff(Event(), deal, Client(), context_);
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->effects.size(), 2u);
  EXPECT_EQ(json::parse(plan->effects[0].payload),
            (json{{"task", 42}, {"status", config_.planfix.statuses.returned_to_sales}}));
  const json comment = json::parse(plan->effects[1].payload);
  EXPECT_EQ(comment["recipients"], json::array({"user:1"}));
  EXPECT_NE(comment["description"].get<std::string>().find("проєкт"), std::string::npos);
  EXPECT_EQ(plan->flows.at(0).state, "rejected");
}

TEST_F(ProductionRules, ACompleteHandoffCreatesTheTaskForTheConfiguredOrFirstUserAssignee) {
  auto plan = DecideHandoff(Event(), CompleteDeal(), Client(), context_);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->effects.size(), 1u);
  EXPECT_EQ(plan->effects[0].kind, plan::kEffectPlanfixCreateTask);
  json create = json::parse(plan->effects[0].payload);
  EXPECT_EQ(create["assignees"], json::array({"user:5"}));  // the contact assignee is skipped
  EXPECT_EQ(create["counterparty"], "contact:7");
  EXPECT_EQ(create["project_id"], 3);
  EXPECT_EQ(create["deal"], 42);
  EXPECT_FALSE(create.contains("template_id"));

  config_.planfix.pm_user = "user:8";
  config_.planfix.communication_template_id = 55;
  plan = DecideHandoff(Event(), CompleteDeal(), Client(), context_);
  create = json::parse(plan->effects[0].payload);
  EXPECT_EQ(create["assignees"], json::array({"user:8"}));
  EXPECT_EQ(create["template_id"], 55);

  engine::StoredEvent created = Event(4);
  created.kind = kEventTaskCreated;
  created.payload = json{{"payload", create}, {"result", {{"task", 77}}}}.dump();
  auto linked = DecideHandoffCreated(created, context_);
  ASSERT_TRUE(linked);
  ASSERT_EQ(linked->effects.size(), 1u);
  const std::string text = json::parse(linked->effects[0].payload)["description"];
  EXPECT_NE(text.find(R"(<a href="http://127.0.0.1:0/task/77">№77</a>)"), std::string::npos)
      << text;
  EXPECT_EQ(linked->flows.at(0).state, "handed_over");
}

TEST_F(ProductionRules, TheGateChecksPaymentAccessAndTheBrief) {
  GateFacts gate{true, config_.planfix.statuses.brief_filled};
  EXPECT_TRUE(MissingForProduction(CompleteDeal(), gate, context_).empty());
  TaskFacts task = CompleteDeal();
  task.fields[config_.planfix.task_fields.payment_received] = false;
  task.fields.erase(config_.planfix.task_fields.access_granted);
  gate.brief_filled = false;
  EXPECT_EQ(MissingForProduction(task, gate, context_),
            (std::vector<std::string>{"оплата або передоплата", "доступи до акаунтів клієнта",
                                      "заповнений бриф"}));
  // A number field for the payment counts when above zero.
  task.fields[config_.planfix.task_fields.payment_received] = 500;
  EXPECT_EQ(MissingForProduction(task, gate, context_).size(), 2u);
}

TEST_F(ProductionRules, ARefusedGateGoesBackToThePreviousOrConfiguredStatusOrStays) {
  TaskFacts task = CompleteDeal();
  task.fields.erase(config_.planfix.task_fields.access_granted);
  auto plan = DecideGate(Event(), task, Client(), GateFacts{true, 105}, context_);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->effects.size(), 2u);
  EXPECT_EQ(json::parse(plan->effects[0].payload)["status"], 105);

  config_.planfix.gate_refused_status = 102;
  plan = DecideGate(Event(), task, Client(), GateFacts{true, std::nullopt}, context_);
  EXPECT_EQ(json::parse(plan->effects[0].payload)["status"], 102);

  config_.planfix.gate_refused_status = 0;
  plan = DecideGate(Event(), task, Client(), GateFacts{true, std::nullopt}, context_);
  ASSERT_EQ(plan->effects.size(), 1u);  // only the comment
  EXPECT_NE(json::parse(plan->effects[0].payload)["description"].get<std::string>().find(
                "попередній статус невідомий"),
            std::string::npos);
}

TEST_F(ProductionRules, AnOpenGateTellsTheClientOrSaysWhyItCannot) {
  auto plan = DecideGate(Event(), CompleteDeal(), Client(), GateFacts{true, 105}, context_);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->effects.size(), 2u);
  EXPECT_EQ(json::parse(plan->effects[0].payload)["chat_id"], 5001);
  ContactFacts unbound = Client();
  unbound.telegram_chat_id.reset();
  plan = DecideGate(Event(), CompleteDeal(), unbound, GateFacts{true, 105}, context_);
  ASSERT_EQ(plan->effects.size(), 1u);
  EXPECT_EQ(plan->effects[0].kind, plan::kEffectPlanfixComment);
  EXPECT_EQ(plan->flows.at(0).state, "passed");
}

TEST_F(ProductionRules, AStageIsToldOncePerArrival) {
  const config::StageNotice design{110, "Дизайн", "stage_changed"};
  auto plan = DecideStage(Event(), CompleteDeal(), Client(), design, std::nullopt, context_);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->effects.size(), 2u);
  EXPECT_NE(json::parse(plan->effects[0].payload)["text"].get<std::string>().find("Дизайн"),
            std::string::npos);
  EXPECT_EQ(json::parse(plan->flows.at(0).data)["status"], 110);
  plan = DecideStage(Event(), CompleteDeal(), Client(), design, 110, context_);
  EXPECT_TRUE(plan->effects.empty());
  plan = DecideStage(Event(), CompleteDeal(), Client(), design, 111, context_);
  EXPECT_EQ(plan->effects.size(), 2u);  // back in design after development: told again
}

// Stage names are config, not templates: `names` gives a client's language its own.
TEST_F(ProductionRules, AClientReadsTheStageAndTheWorkStartedMessageInTheirLanguage) {
  const config::StageNotice design{110, "Дизайн", "stage_changed", {{"en", "Design"}}};
  ContactFacts client = Client();
  client.language = "en";
  auto plan = DecideStage(Event(), CompleteDeal(), client, design, std::nullopt, context_);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->effects.size(), 2u);
  EXPECT_EQ(json::parse(plan->effects[0].payload)["text"], "Update on \"Сайт\": Design.");
  // The comment keeps the staff's name of the stage.
  EXPECT_NE(json::parse(plan->effects[1].payload)["description"].get<std::string>().find("Дизайн"),
            std::string::npos);
  // Without a name in the client's language the configured name is used.
  const config::StageNotice development{111, "Розробка", "stage_changed"};
  plan = DecideStage(Event(), CompleteDeal(), client, development, std::nullopt, context_);
  EXPECT_EQ(json::parse(plan->effects[0].payload)["text"], "Update on \"Сайт\": Розробка.");

  plan = DecideGate(Event(), CompleteDeal(), client, GateFacts{true, 105}, context_);
  ASSERT_TRUE(plan);
  EXPECT_NE(
      json::parse(plan->effects[0].payload)["text"].get<std::string>().find("have started work"),
      std::string::npos);
}

}  // namespace
}  // namespace planfix_flow::workflow
