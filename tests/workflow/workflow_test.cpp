#include "planfix_flow/workflow/workflow.h"

#include "planfix_flow/engine/plan.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/workflow/service_notices.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace planfix_flow::workflow {
namespace {

using nlohmann::json;

// Friday 2026-11-27 12:00 in Kyiv (UTC+2).
const core::TimePoint kFridayNoon = core::FromUnixSeconds(1'795'773'600);

class FakeFacts final : public FactSource {
 public:
  core::Result<TaskFacts> GetTask(std::int64_t number) override {
    ++calls;
    if (error) return core::Fail(*error);
    return TaskFacts{number, "Landing page"};
  }
  core::Result<ContactFacts> GetContact(std::int64_t) override {
    return core::Fail(core::ErrorCode::kNotFound, "no contacts here");
  }
  core::Result<std::vector<planfix::CustomFieldDefinition>> ContactFields() override {
    return std::vector<planfix::CustomFieldDefinition>{};
  }
  core::Result<std::vector<planfix::TaskStatus>> ProcessStatuses(std::int64_t) override {
    return std::vector<planfix::TaskStatus>{};
  }
  core::Result<std::vector<std::int64_t>> FindContactsByEmail(const std::string&) override {
    return std::vector<std::int64_t>{};
  }
  core::Result<std::vector<std::int64_t>> FindContactsByPhone(const std::string&) override {
    return std::vector<std::int64_t>{};
  }
  std::optional<storage::Flow> GetFlow(const std::string&) override { return std::nullopt; }
  std::vector<storage::Flow> ListFlows(const std::string&, const std::string&,
                                       std::size_t) override {
    return {};
  }
  int calls = 0;
  std::optional<core::Error> error;
};

class WorkflowTest : public ::testing::Test {
 protected:
  WorkflowTest()
      : config_(config::DefaultSandboxConfig()),
        calendar_(*calendar::WorkCalendar::Create(config_.calendar)) {
    config_.telegram.staff_chat_id = -1001;
    auto loaded =
        templates::TemplateSet::FromTexts({{"uk", {{"ping", "Перевірка: {{message}}"}}}}, "uk");
    templates_ = loaded.set;
    context_ = RuleContext{&config_, templates_.get(), &calendar_};
  }

  engine::StoredEvent Event(std::string kind, std::string payload, std::int64_t id = 7) {
    engine::StoredEvent event;
    event.id = id;
    event.kind = std::move(kind);
    event.payload = std::move(payload);
    return event;
  }

  config::Config config_;
  calendar::WorkCalendar calendar_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  RuleContext context_;
  FakeFacts facts_;
};

TEST_F(WorkflowTest, PingTellsStaffCommentsTheTaskAndSetsAFollowUpOneWorkingDayLater) {
  auto plan = DecidePing(Event("ping", R"({"event":"ping","task":"42"})"),
                         TaskFacts{42, "Landing <page>"}, context_, kFridayNoon);
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->effects.size(), 2u);
  EXPECT_EQ(plan->effects[0].kind, plan::kEffectTelegramSend);
  const auto staff = json::parse(plan->effects[0].payload);
  EXPECT_EQ(staff["chat_id"], -1001);
  EXPECT_EQ(staff["text"], "Перевірка: #42 Landing &lt;page&gt;");
  EXPECT_EQ(plan->effects[0].idempotency_key, "event:7:staff");
  EXPECT_EQ(plan->effects[1].kind, plan::kEffectPlanfixComment);
  EXPECT_EQ(json::parse(plan->effects[1].payload)["task"], 42);
  ASSERT_EQ(plan->timers.size(), 1u);
  EXPECT_EQ(plan->timers[0].key, "ping.followup:task:42");
  // One working day after Friday noon is Monday noon.
  EXPECT_EQ(plan->timers[0].due_at, kFridayNoon + std::chrono::hours(72));
}

// The executor sends an effect once per idempotency key. An event decided again (after a crash
// between the decision and its commit) is decided later, maybe with the task renamed
// meanwhile: its keys must be the same, or the staff gets the message twice. Another event
// must get other keys, or its messages are taken for repeats and never sent.
TEST_F(WorkflowTest, IdempotencyKeysDependOnTheEventAloneNotOnWhenOrWithWhatItIsDecided) {
  auto first = DecidePing(Event("ping", R"({"task":"42"})", 7), TaskFacts{42, "Landing"}, context_,
                          kFridayNoon);
  auto again = DecidePing(Event("ping", R"({"task":"42"})", 7), TaskFacts{42, "Landing v2"},
                          context_, kFridayNoon + std::chrono::hours(30));
  auto other = DecidePing(Event("ping", R"({"task":"42"})", 8), TaskFacts{42, "Landing"}, context_,
                          kFridayNoon);
  ASSERT_TRUE(first && again && other);
  ASSERT_EQ(first->effects.size(), 2u);
  ASSERT_EQ(again->effects.size(), 2u);
  ASSERT_EQ(other->effects.size(), 2u);
  // The decisions differ (text, follow-up time), and still the keys are the event's.
  EXPECT_NE(first->effects[0].payload, again->effects[0].payload);
  EXPECT_NE(first->timers[0].due_at, again->timers[0].due_at);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(first->effects[i].idempotency_key, again->effects[i].idempotency_key) << i;
    EXPECT_NE(first->effects[i].idempotency_key, other->effects[i].idempotency_key) << i;
  }
  // Two effects of one event are two sends, not one.
  EXPECT_NE(first->effects[0].idempotency_key, first->effects[1].idempotency_key);
}

TEST_F(WorkflowTest, HandleLoadsTheTaskThenDecides) {
  Workflow workflow(context_, facts_);
  auto plan = workflow.Handle(Event("ping", R"({"event":"ping","task":"42"})"), kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_EQ(facts_.calls, 1);
  EXPECT_EQ(plan->effects.size(), 2u);
}

TEST_F(WorkflowTest, AnUnavailableFactIsAnErrorSoTheEventIsRetried) {
  facts_.error = core::MakeError(core::ErrorCode::kUnavailable, "planfix down");
  Workflow workflow(context_, facts_);
  auto plan = workflow.Handle(Event("ping", R"({"task":"42"})"), kFridayNoon);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().code, core::ErrorCode::kUnavailable);
}

TEST_F(WorkflowTest, AnUnknownTaskIsABusinessProblemNotARetry) {
  facts_.error = core::MakeError(core::ErrorCode::kNotFound, "no task");
  Workflow workflow(context_, facts_);
  auto plan = workflow.Handle(Event("ping", R"({"task":"42"})"), kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->effects.empty());
}

TEST_F(WorkflowTest, EventsWithoutARuleGiveAnEmptyPlan) {
  Workflow workflow(context_, facts_);
  auto plan = workflow.Handle(Event("something.else", "{}"), kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->effects.empty());
  EXPECT_EQ(facts_.calls, 0);
}

TEST_F(WorkflowTest, FollowUpTellsStaffAgain) {
  Workflow workflow(context_, facts_);
  auto plan =
      workflow.Handle(Event("ping.followup", R"({"task":42,"name":"Landing"})", 9), kFridayNoon);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->effects.size(), 1u);
  EXPECT_EQ(json::parse(plan->effects[0].payload)["text"], "Перевірка: follow-up #42 Landing");
  EXPECT_EQ(plan->effects[0].idempotency_key, "event:9:staff");
}

TEST(ServiceNotices, PayloadsRoundTripAndTheDecodersAreStrict) {
  const WebhookProblem problem{WebhookProblem::Kind::kDeliveryError, "https://a.test/hook",
                               "https://a.test/hook", "Connection refused", 1795420800};
  auto parsed = ParseWebhookProblem(ToJson(problem));
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->kind, WebhookProblem::Kind::kDeliveryError);
  EXPECT_EQ(parsed->error_message, "Connection refused");
  EXPECT_EQ(parsed->error_date, 1795420800);
  EXPECT_FALSE(ParseWebhookProblem(R"({"problem":"delivery_error"})"));
  EXPECT_FALSE(ParseWebhookProblem(
      R"({"problem":"other","webhook_url":"","telegram_url":"","error_message":"","error_date":0})"));
  EXPECT_FALSE(ParseWebhookProblem("[]"));

  auto migration = ParseChatMigration(ToJson(ChatMigration{-4001, -1001009998877, true}));
  ASSERT_TRUE(migration) << migration.error().ToString();
  EXPECT_EQ(migration->new_chat_id, -1001009998877);
  EXPECT_TRUE(migration->staff);
  EXPECT_FALSE(ParseChatMigration(R"({"old_chat_id":-4001,"new_chat_id":0,"staff":true})"));
  EXPECT_FALSE(ParseChatMigration(R"({"old_chat_id":-4001,"new_chat_id":-1002})"));
}

TEST_F(WorkflowTest, AMigratedClientChatNeedsNoNoticeButTheStaffChatGetsOneInTheNewChat) {
  auto loaded = templates::TemplateSet::FromTexts(
      {{"uk", {{"staff_chat_migrated", "Новий id: {{new_chat_id}} (був {{old_chat_id}})"}}}}, "uk");
  context_.templates = loaded.set.get();
  auto client = DecideChatMigrated(
      Event(kEventTelegramChatMigrated, ToJson(ChatMigration{-4002, -1002, false})), context_);
  ASSERT_TRUE(client);
  EXPECT_TRUE(client->effects.empty());
  auto staff = DecideChatMigrated(
      Event(kEventTelegramChatMigrated, ToJson(ChatMigration{-4001, -1001009998877, true})),
      context_);
  ASSERT_TRUE(staff) << staff.error().ToString();
  ASSERT_EQ(staff->effects.size(), 1u);
  const json message = json::parse(staff->effects[0].payload);
  EXPECT_EQ(message["chat_id"], -1001009998877);
  EXPECT_EQ(message["text"], "Новий id: -1001009998877 (був -4001)");
}

class StatusGuard : public ::testing::Test {
 protected:
  StatusGuard()
      : config_(config::DefaultSandboxConfig()),
        calendar_(*calendar::WorkCalendar::Create(config_.calendar)) {
    std::vector<config::Problem> problems;
    templates_ = config::LoadTemplates(config_, problems).set;
    context_ = RuleContext{&config_, templates_.get(), &calendar_};
  }
  void SetUp() override { ASSERT_TRUE(templates_); }

  static engine::Plan PlanSetting(std::int64_t task, std::int64_t status) {
    engine::Plan plan;
    plan.effects.push_back(engine::Effect{plan::kEffectPlanfixComment, "planfix",
                                          json{{"task", task}, {"description", "x"}}.dump(),
                                          "event:4:comment"});
    plan.effects.push_back(engine::Effect{plan::kEffectPlanfixUpdateTask, "planfix",
                                          json{{"task", task}, {"status", status}}.dump(),
                                          "event:4:status"});
    plan.summary = "brief sent";
    return plan;
  }

  config::Config config_;
  calendar::WorkCalendar calendar_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  RuleContext context_;
};

TEST_F(StatusGuard, AStatusTheProcessLacksIsDroppedAndExplainedTheFirstTimeOnly) {
  engine::StoredEvent event;
  event.id = 4;
  const auto brief_filled = config_.planfix.statuses.brief_filled;
  MissingStatus gap{42, brief_filled, 2, {{1, "Нова", true}, {3, "Завершена", true}}, false};
  auto plan = WithoutMissingStatuses(event, PlanSetting(42, brief_filled), {gap}, context_);
  ASSERT_TRUE(plan) << plan.error().ToString();
  std::vector<std::string> kinds;
  for (const auto& effect : plan->effects) kinds.push_back(effect.kind);
  EXPECT_EQ(kinds, (std::vector<std::string>{plan::kEffectPlanfixComment, plan::kEffectTelegramSend,
                                             plan::kEffectPlanfixComment}));
  const std::string staff = json::parse(plan->effects[1].payload)["text"];
  EXPECT_NE(staff.find("planfix.statuses.brief_filled"), std::string::npos) << staff;
  EXPECT_NE(staff.find("Нова (1), Завершена (3)"), std::string::npos) << staff;
  const std::string comment = json::parse(plan->effects[2].payload)["description"];
  EXPECT_NE(comment.find("planfix.statuses.brief_filled"), std::string::npos) << comment;
  ASSERT_EQ(plan->flows.size(), 1u);
  EXPECT_EQ(plan->flows[0].key, fmt::format("status.missing:2:{}", brief_filled));
  EXPECT_NE(plan->summary.find("brief sent; status"), std::string::npos) << plan->summary;

  // Told before: the status is still not sent, and nobody is told again.
  gap.told = true;
  plan = WithoutMissingStatuses(event, PlanSetting(42, brief_filled), {gap}, context_);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->effects.size(), 1u);
  EXPECT_EQ(plan->effects[0].kind, plan::kEffectPlanfixComment);
  EXPECT_TRUE(plan->flows.empty());
}

}  // namespace
}  // namespace planfix_flow::workflow
