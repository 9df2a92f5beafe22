// The invoice and payment rules as data: reading the invoice fields without floating point,
// registration, reminders, Planfix's paid mark and bank payment matching.
#include "planfix_flow/workflow/invoices.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/engine/plan.h"
#include "planfix_flow/plan/effects.h"

namespace planfix_flow::workflow {
namespace {

using nlohmann::json;

// Friday 2026-11-27 12:00 in Kyiv (10:00 UTC).
const core::TimePoint kFridayNoon = core::FromUnixSeconds(1'795'773'600);
// Monday 2026-11-30 09:00 in Kyiv.
const core::TimePoint kMonday9 = core::FromUnixSeconds(1'795'773'600 + (3 * 24 - 3) * 3600);

class InvoiceRules : public ::testing::Test {
 protected:
  InvoiceRules()
      : config_(config::DefaultSandboxConfig()),
        calendar_(*calendar::WorkCalendar::Create(config_.calendar)) {
    auto& invoices = config_.invoices;
    invoices.enabled = true;
    invoices.fields = {.number = 211,
                       .amount = 212,
                       .due_date = 214,
                       .currency = 213,
                       .payment_details = 215,
                       .paid = 216,
                       .paid_amount = 217};
    invoices.statuses = {.issued = 111, .paid = 112, .returned = 113};
    invoices.payer_fields = {.edrpou = 311, .iban = 312};
    invoices.reminder_interval_working_days = 3;
    invoices.max_reminders = 2;
    config_.telegram.staff_chat_id = -1001;
    std::vector<config::Problem> problems;
    templates_ = config::LoadTemplates(config_, problems).set;
    context_ = RuleContext{&config_, templates_.get(), &calendar_};
  }
  void SetUp() override { ASSERT_TRUE(templates_); }

  TaskFacts Task() const {
    TaskFacts task{42, "Рахунок за листопад", 7};
    task.assigner = "user:1";
    task.fields[211] = "INV-42";
    task.fields[212] = json::parse("15000.5");
    task.fields[214] = json{{"date", "28-11-2026"}};  // a Saturday
    return task;
  }
  static ContactFacts Client() {
    ContactFacts client{7, "Олена Коваль", "o@example.com", {"+380"}, 5001};
    client.edrpou = "12345678";
    return client;
  }
  static engine::StoredEvent Event(const char* kind, json payload = json::object(),
                                   std::int64_t id = 3,
                                   plan::EventSource source = plan::EventSource::kPlanfix) {
    engine::StoredEvent event;
    event.id = id;
    event.kind = kind;
    event.source = source;
    event.payload = payload.dump();
    return event;
  }
  InvoiceState Registered() {
    auto plan = DecideInvoiceIssued(Event(kEventInvoiceIssued), Task(), Client(), std::nullopt,
                                    context_, kFridayNoon);
    EXPECT_TRUE(plan);
    return *ParseInvoiceState(plan->flows.at(0).data);
  }
  static plan::Flow AsFlow(const InvoiceState& state) {
    plan::Flow flow;
    flow.key = InvoiceFlowKey(state.task);
    flow.kind = "invoice";
    flow.task = state.task;
    flow.contact = state.contact;
    flow.state = InvoiceFlowState(state);
    flow.data = ToJson(state).dump();
    return flow;
  }
  static std::vector<std::string> Kinds(const plan::Plan& plan) {
    std::vector<std::string> kinds;
    for (const auto& effect : plan.effects) kinds.push_back(effect.kind);
    return kinds;
  }
  static std::string TextOf(const plan::Plan& plan, const char* kind, std::size_t nth = 0) {
    for (const auto& effect : plan.effects) {
      if (effect.kind != kind) continue;
      if (nth-- > 0) continue;
      const auto payload = json::parse(effect.payload);
      return payload.value("text", payload.value("description", std::string()));
    }
    return {};
  }
  BankPayment Payment(std::int64_t amount, std::string description = "") const {
    BankPayment payment;
    payment.account = "acc";
    payment.id = "item-1";
    payment.amount_minor = amount;
    payment.currency_code = 980;
    payment.description = std::move(description);
    payment.counter_edrpou = "12345678";
    return payment;
  }

  config::Config config_;
  calendar::WorkCalendar calendar_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  RuleContext context_;
};

TEST_F(InvoiceRules, ReadsAmountsExactlyWithoutFloatingPoint) {
  EXPECT_EQ(MoneyFromJson(json::parse("15000.5")).value(), 1500050);
  EXPECT_EQ(MoneyFromJson(json::parse("1234567.89")).value(), 123456789);
  EXPECT_EQ(MoneyFromJson(json::parse("0.07")).value(), 7);
  EXPECT_EQ(MoneyFromJson(json::parse("1500")).value(), 150000);
  EXPECT_EQ(MoneyFromJson(json("1 500,50")).value(), 150050);
  EXPECT_FALSE(MoneyFromJson(json::parse("-5")));
  EXPECT_FALSE(MoneyFromJson(json::parse("-5.5")));
  EXPECT_FALSE(MoneyFromJson(json::parse("1.005")));
  EXPECT_FALSE(MoneyFromJson(json::parse("1e20")));
  EXPECT_FALSE(MoneyFromJson(json::parse("12345678901234.56")));  // 16 digits: not exact
  EXPECT_FALSE(MoneyFromJson(json(true)));
}

TEST_F(InvoiceRules, NamesEveryMissingOrUnreadableField) {
  const auto complete = ReadInvoiceFields(Task(), context_);
  ASSERT_TRUE(complete.fields);
  EXPECT_EQ(complete.fields->amount_minor, 1500050);
  EXPECT_EQ(complete.fields->due_date, "2026-11-28");
  EXPECT_EQ(complete.fields->currency, "UAH");  // the default
  TaskFacts task = Task();
  task.fields.erase(211);
  task.fields[212] = "15000.555";
  task.fields[214] = json{{"date", "31-11-2026"}};
  task.fields[213] = "гривня";
  EXPECT_EQ(
      ReadInvoiceFields(task, context_).missing,
      (std::vector<std::string>{"номер рахунку", "сума рахунку (число, до 2 знаків після коми)",
                                "строк оплати (дата)", "валюта (код з 3 літер, як UAH)"}));
}

TEST_F(InvoiceRules, RegistersOnceWithTheFirstReminderAfterTheWeekend) {
  auto plan = DecideInvoiceIssued(Event(kEventInvoiceIssued), Task(), Client(), std::nullopt,
                                  context_, kFridayNoon);
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->flows.size(), 1u);
  EXPECT_EQ(plan->flows[0].key, "invoice:task:42");
  EXPECT_EQ(plan->flows[0].state, "open");
  const auto state = ParseInvoiceState(plan->flows[0].data).value();
  EXPECT_EQ(state.amount_minor, 1500050);
  EXPECT_EQ(state.client_name, "Олена Коваль");
  ASSERT_EQ(plan->timers.size(), 1u);
  EXPECT_EQ(plan->timers[0].due_at, kMonday9);  // due Saturday: Monday at the start of work
  EXPECT_EQ(json::parse(plan->timers[0].payload), (json{{"task", 42}, {"number", 1}}));
  EXPECT_NE(TextOf(*plan, plan::kEffectPlanfixComment).find("INV-42"), std::string::npos);

  const auto again = DecideInvoiceIssued(Event(kEventInvoiceIssued, {}, 4), Task(), Client(),
                                         AsFlow(state), context_, kFridayNoon);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->effects.empty());
  EXPECT_TRUE(again->flows.empty());
  EXPECT_TRUE(again->timers.empty());
}

TEST_F(InvoiceRules, AnIncompleteInvoiceGoesBackWithACommentNamingTheField) {
  TaskFacts task = Task();
  task.fields.erase(214);
  auto plan = DecideInvoiceIssued(Event(kEventInvoiceIssued), task, Client(), std::nullopt,
                                  context_, kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_EQ(Kinds(*plan), (std::vector<std::string>{plan::kEffectPlanfixUpdateTask,
                                                    plan::kEffectPlanfixComment}));
  EXPECT_NE(TextOf(*plan, plan::kEffectPlanfixComment).find("строк оплати"), std::string::npos);
  EXPECT_TRUE(plan->flows.empty());
}

TEST_F(InvoiceRules, AReminderNamesTheRemainderAndTheLastOneLeadsToEscalation) {
  InvoiceState state = Registered();
  state.paid_minor = 500000;
  auto first = DecideInvoiceReminder(
      Event(kEventInvoiceReminder, {{"task", 42}, {"number", 1}}, 5, plan::EventSource::kTimer),
      Task(), Client(), AsFlow(state), context_, kMonday9);
  ASSERT_TRUE(first) << first.error().ToString();
  const std::string text = TextOf(*first, plan::kEffectTelegramSend);
  EXPECT_NE(text.find("10000.50 UAH"), std::string::npos) << text;
  EXPECT_NE(text.find("5000.00"), std::string::npos) << text;  // what was already paid
  ASSERT_EQ(first->timers.size(), 1u);
  EXPECT_EQ(first->timers[0].due_at, calendar_.AddWorkingDays(kMonday9, 3));
  state = *ParseInvoiceState(first->flows.at(0).data);
  EXPECT_EQ(state.reminders_sent, 1);

  // The same timer event again: nothing more.
  auto repeated = DecideInvoiceReminder(
      Event(kEventInvoiceReminder, {{"task", 42}, {"number", 1}}, 6, plan::EventSource::kTimer),
      Task(), Client(), AsFlow(state), context_, kMonday9);
  ASSERT_TRUE(repeated);
  EXPECT_TRUE(repeated->effects.empty());

  state.reminders_sent = 2;
  auto escalation = DecideInvoiceReminder(
      Event(kEventInvoiceReminder, {{"task", 42}, {"number", 3}}, 7, plan::EventSource::kTimer),
      Task(), Client(), AsFlow(state), context_, kMonday9);
  ASSERT_TRUE(escalation);
  EXPECT_EQ(Kinds(*escalation),
            (std::vector<std::string>{plan::kEffectTelegramSend, plan::kEffectPlanfixComment}));
  EXPECT_EQ(json::parse(escalation->effects[0].payload)["chat_id"], -1001);  // the staff chat
  EXPECT_TRUE(escalation->timers.empty());
  EXPECT_TRUE(ParseInvoiceState(escalation->flows.at(0).data)->escalated);
}

TEST_F(InvoiceRules, AReminderOutOfHoursWaitsForTheNextWorkingMoment) {
  const auto saturday = kFridayNoon + std::chrono::hours(24);
  auto plan = DecideInvoiceReminder(
      Event(kEventInvoiceReminder, {{"task", 42}, {"number", 1}}, 5, plan::EventSource::kTimer),
      Task(), Client(), AsFlow(Registered()), context_, saturday);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->effects.empty());
  ASSERT_EQ(plan->timers.size(), 1u);
  EXPECT_EQ(plan->timers[0].due_at, kMonday9);
}

TEST_F(InvoiceRules, PlanfixsMarkCountsOnlyWhatIsNotCountedYet) {
  InvoiceState state = Registered();
  state.paid_minor = 1500050;  // the bank paid it all
  state.payments.push_back({"payment:monobank:x", 1500050, "bank"});
  TaskFacts task = Task();
  task.fields[216] = true;
  task.fields[217] = json::parse("15000.5");
  auto echo = DecideInvoicePaidMark(Event(kEventInvoicePaid), task, Client(), AsFlow(state),
                                    context_, kMonday9);
  ASSERT_TRUE(echo);
  EXPECT_TRUE(echo->effects.empty());
  EXPECT_TRUE(echo->flows.empty());

  InvoiceState unpaid = Registered();
  TaskFacts ticked = Task();
  ticked.fields[216] = true;  // the checkbox only: paid in full
  auto full = DecideInvoicePaidMark(Event(kEventInvoicePaid), ticked, Client(), AsFlow(unpaid),
                                    context_, kMonday9);
  ASSERT_TRUE(full);
  const auto after = ParseInvoiceState(full->flows.at(0).data).value();
  EXPECT_EQ(after.paid_minor, 1500050);
  EXPECT_EQ(full->flows.at(0).state, "paid");
  EXPECT_EQ(full->flows.at(1).key, "payment:planfix:42:1500050");
  ASSERT_FALSE(full->timers.empty());
  EXPECT_EQ(full->timers[0].action, plan::TimerAction::kCancel);
  // Planfix already shows the mark: the service writes no field or status back.
  for (const auto& effect : full->effects) {
    EXPECT_NE(effect.kind, plan::kEffectPlanfixSetTaskFields);
    EXPECT_NE(effect.kind, plan::kEffectPlanfixUpdateTask);
  }
}

TEST_F(InvoiceRules, MatchesByNumberThenByAmountAndPayer) {
  const InvoiceState invoice = Registered();
  EXPECT_EQ(InvoicesNamedBy(Payment(100, "Оплата рах. INV-42 від 27.11"), {invoice}),
            (std::vector<std::int64_t>{42}));
  EXPECT_TRUE(InvoicesNamedBy(Payment(100, "Оплата INV-420"), {invoice}).empty());

  auto by_number = DecideBankPayment(
      Event(kEventBankStatementItem, {}, 9, plan::EventSource::kBank), Payment(500000, "inv-42"),
      {{invoice, Client()}}, {}, std::nullopt, context_, kMonday9);
  ASSERT_TRUE(by_number);
  const auto& flows = by_number->flows;
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].state, "partly_paid");
  EXPECT_EQ(flows[1].key, "payment:monobank:item-1");
  EXPECT_EQ(flows[1].state, "matched");
  EXPECT_TRUE(by_number->timers.empty());  // partly paid: reminders go on
  const auto set = plan::Decode<plan::PlanfixSetTaskFields>(by_number->effects.at(0).payload);
  ASSERT_TRUE(set);
  ASSERT_EQ(set->custom_fields.size(), 1u);  // the paid amount; not the checkbox yet
  EXPECT_EQ(set->custom_fields[0].value, json(5000));

  auto by_payer = DecideBankPayment(Event(kEventBankStatementItem, {}, 10), Payment(1500050), {},
                                    {{invoice, Client()}}, std::nullopt, context_, kMonday9);
  ASSERT_TRUE(by_payer);
  EXPECT_EQ(by_payer->flows.at(0).state, "paid");
  EXPECT_EQ(json::parse(by_payer->flows.at(1).data)["matched_by"], "amount and payer");

  ContactFacts stranger = Client();
  stranger.edrpou = "87654321";
  stranger.name = "Інша Особа";
  auto unknown_payer =
      DecideBankPayment(Event(kEventBankStatementItem, {}, 11), Payment(1500050), {},
                        {{invoice, stranger}}, std::nullopt, context_, kMonday9);
  ASSERT_TRUE(unknown_payer);
  EXPECT_EQ(unknown_payer->flows.at(0).state, "unmatched");
  EXPECT_NE(json::parse(unknown_payer->flows.at(0).data)["reason"].get<std::string>().find(
                "жоден не від цього платника"),
            std::string::npos);
}

TEST_F(InvoiceRules, ANonUahOrAbsurdPaymentStaysUnmatchedWithItsReason) {
  BankPayment dollars = Payment(1500050, "INV-42");
  dollars.currency_code = 840;
  auto plan = DecideBankPayment(Event(kEventBankStatementItem), dollars, {{Registered(), Client()}},
                                {}, std::nullopt, context_, kMonday9);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->flows.size(), 1u);
  EXPECT_EQ(plan->flows[0].state, "unmatched");
  // The staff read the reason in the config's default language (Ukrainian here), whole.
  EXPECT_NE(plan->flows[0].data.find("а не в гривні (980)"), std::string::npos);
  EXPECT_EQ(plan->flows[0].data.find("not UAH"), std::string::npos);
  EXPECT_EQ(Kinds(*plan), (std::vector<std::string>{plan::kEffectTelegramSend}));

  EXPECT_NE(BankPaymentRefusal(Payment(kMaxBankPaymentMinor + 1)), "");
  EXPECT_NE(BankPaymentRefusal(Payment(0)), "");
  EXPECT_EQ(BankPaymentRefusal(Payment(1)), "");
  EXPECT_EQ(BankPaymentRefusal(Payment(0), "uk"), "це не надходження (сума не більша за 0)");
  EXPECT_EQ(BankPaymentRefusal(Payment(0), "en"),
            "the payment is not money in (amount is not above 0)");
}

TEST_F(InvoiceRules, TheContractsPayloadParsesStrictly) {
  auto parsed = ParseBankPayment(
      R"({"account":"a","id":"x1","time":1795773600,"amount":150050,"currency_code":980,)"
      R"("description":"INV-42","comment":"","counter_edrpou":"1","counter_iban":"UA1",)"
      R"("counter_name":"N","via":"webhook"})");
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(parsed->amount_minor, 150050);
  EXPECT_FALSE(ParseBankPayment(R"({"account":"a","id":"x","time":1,"amount":1.5,)"
                                R"("currency_code":980})"));
  EXPECT_FALSE(ParseBankPayment(R"({"account":"a","time":1,"amount":1,"currency_code":980})"));
  EXPECT_FALSE(ParseBankPayment("not json"));
}

}  // namespace
}  // namespace planfix_flow::workflow
