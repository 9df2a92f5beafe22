// Invoices, reminders and money in end to end through the real App and the sandbox fakes:
// registration from Planfix, reminders by the work calendar, bank payments as the bank
// ingress stores them (source bank, kind bank.statement_item, dedupe key monobank:<id>),
// Planfix's paid mark, and the manual match the CLI queues.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "app/invoices_cli.h"
#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/workflow/digest.h"
#include "planfix_flow/workflow/invoices.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Thursday 2026-11-26 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kThursday10 = core::FromUnixSeconds(1'795'420'800 + 3 * 24 * 3600);
// Monday 2026-11-30 09:00 in Kyiv: the first working moment after a Saturday due date.
const core::TimePoint kMonday9 = kThursday10 + hours(4 * 24 - 1);
constexpr std::int64_t kChat = 5001;
constexpr std::int64_t kIssued = 121;
constexpr std::int64_t kPaid = 122;
constexpr std::int64_t kReturned = 123;
constexpr std::int64_t kIncomeTag = 70;

class InvoicesFlow : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kThursday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->config.server.planfix_dedupe_window_seconds = 1;
    auto& invoices = world_->config.invoices;
    invoices.enabled = true;
    invoices.fields = {.number = 211,
                       .amount = 212,
                       .due_date = 214,
                       .currency = 213,
                       .payment_details = 215,
                       .paid = 216,
                       .paid_amount = 217};
    invoices.statuses = {.issued = kIssued, .paid = kPaid, .returned = kReturned};
    invoices.payer_fields = {.edrpou = 311, .iban = 312};
    invoices.reminder_interval_working_days = 3;
    invoices.max_reminders = 2;
    auto& planfix = world_->planfix;
    planfix.DefineTaskField({211, "Номер рахунку", 0});
    planfix.DefineTaskField({212, "Сума рахунку", 1});
    planfix.DefineTaskField({213, "Валюта", 0});
    planfix.DefineTaskField({214, "Строк оплати", 3});
    planfix.DefineTaskField({215, "Реквізити", 0});
    planfix.DefineTaskField({216, "Сплачено", 7});
    planfix.DefineTaskField({217, "Сплачено, сума", 1});
    planfix.DefineContactField({311, "ЄДРПОУ", 0});
    planfix.DefineContactField({312, "IBAN", 0});
    client_ = world_->AddClient("Олена", "olena@example.com", "+380501112233", kChat);
    const auto process = planfix.task(client_.task)->process_id;
    const auto& s = world_->config.planfix.statuses;
    planfix.DefineProcess(process, {{s.handed_to_production, "Передано у виробництво"},
                                    {s.returned_to_sales, "Повернено продажам"},
                                    {s.in_production, "У виробництві"},
                                    {s.brief_requested, "Бриф запитано"},
                                    {s.brief_filled, "Бриф заповнено"},
                                    {s.awaiting_approval, "На погодженні"},
                                    {kIssued, "Рахунок виставлено"},
                                    {kPaid, "Рахунок сплачено"},
                                    {kReturned, "Рахунок повернено"}});
    Configure();
    StartApp();
  }
  // A fixture's own settings, before the App starts.
  virtual void Configure() {}

  void TearDown() override {
    EXPECT_TRUE(world_->planfix.failures().empty()) << world_->planfix.failures().front();
    EXPECT_TRUE(world_->telegram.failures().empty()) << world_->telegram.failures().front();
    storage::JobFilter dead;
    dead.state = storage::JobState::kDead;
    const auto jobs = app_->database().ListJobs(dead);
    EXPECT_TRUE(jobs.empty()) << jobs.front().last_error;
    app_->Stop();
  }

  void StartApp() {
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
  }

  // The PM fills the invoice fields (an empty value leaves the field out).
  void FillInvoice(std::int64_t task, const std::string& number, const json& amount,
                   const std::string& due) {
    auto stored = world_->planfix.task(task);
    ASSERT_TRUE(stored);
    if (!number.empty()) stored->custom_fields[211] = number;
    if (!amount.is_null()) stored->custom_fields[212] = amount;
    if (!due.empty()) stored->custom_fields[214] = json{{"date", due}};
    stored->custom_fields[215] = "UA213223130000026007233566001";
    world_->planfix.AddTask(*stored);
  }

  void Post(const json& body) {
    auto answer = world_->PostPlanfix(app_->port(), body);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }
  void Issue(std::int64_t task) {
    Post({{"event", "invoice.issued"}, {"task", std::to_string(task)}});
  }
  // An invoice INV-<task> for 15 000.50 UAH due Saturday 28.11.2026, registered.
  void Register(std::int64_t task) {
    FillInvoice(task, fmt::format("INV-{}", task), json::parse("15000.50"), "28-11-2026");
    Issue(task);
    ASSERT_TRUE(app_->database().GetFlow(workflow::InvoiceFlowKey(task)));
  }

  // A statement item as the bank ingress appends it.
  storage::AppendOutcome Bank(const std::string& id, std::int64_t amount,
                              const std::string& description, int currency = 980,
                              const std::string& edrpou = "", const std::string& dedupe = "") {
    storage::NewEvent event;
    event.source = plan::EventSource::kBank;
    event.dedupe_key = dedupe.empty() ? "monobank:" + id : dedupe;
    event.kind = "bank.statement_item";
    event.payload = json{
        {"account", "acc-1"},
        {"id", id},
        {"time", core::ToUnixSeconds(clock_->Now())},
        {"amount", amount},
        {"currency_code", currency},
        {"description", description},
        {"comment", ""},
        {"counter_edrpou", edrpou},
        {"counter_iban", ""},
        {"counter_name", "ФОП Невідомий"},
        {"via",
         "webhook"}}.dump();
    event.received_at = clock_->Now();
    auto stored = app_->database().AppendEvent(event);
    EXPECT_TRUE(stored);
    app_->RunUntilIdle();
    return stored ? stored->outcome : storage::AppendOutcome::kDuplicate;
  }

  workflow::InvoiceState Invoice(std::int64_t task) {
    const auto flow = app_->database().GetFlow(workflow::InvoiceFlowKey(task));
    EXPECT_TRUE(flow);
    return flow ? workflow::ParseInvoiceState(flow->data).value() : workflow::InvoiceState{};
  }
  std::vector<std::string> Comments(std::int64_t task) const {
    std::vector<std::string> out;
    for (const auto& comment : world_->planfix.comments(task)) out.push_back(comment.description);
    return out;
  }
  std::vector<std::string> BotMessages(std::int64_t chat) const {
    std::vector<std::string> out;
    for (const auto& message : world_->telegram.Messages(chat)) {
      if (message.from_bot) out.push_back(message.text);
    }
    return out;
  }
  std::vector<std::string> Staff() const {
    return BotMessages(world_->config.telegram.staff_chat_id);
  }
  static bool Contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
  }
  static std::size_t CountWith(const std::vector<std::string>& texts, std::string_view part) {
    return static_cast<std::size_t>(std::count_if(
        texts.begin(), texts.end(), [&](const std::string& text) { return Contains(text, part); }));
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
  SandboxClient client_;
};

TEST_F(InvoicesFlow, AMissingFieldSendsTheTaskBackThenTheInvoiceIsRegisteredOnce) {
  FillInvoice(client_.task, "INV-7", json::parse("15000.50"), "");
  Issue(client_.task);
  auto comments = Comments(client_.task);
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_TRUE(Contains(comments[0], "строк оплати")) << comments[0];
  EXPECT_EQ(world_->planfix.task(client_.task)->status_id, kReturned);
  EXPECT_FALSE(app_->database().GetFlow(workflow::InvoiceFlowKey(client_.task)));

  FillInvoice(client_.task, "", json(), "28-11-2026");
  clock_->Advance(minutes(1));
  Issue(client_.task);
  const auto invoice = Invoice(client_.task);
  EXPECT_EQ(invoice.number, "INV-7");
  EXPECT_EQ(invoice.amount_minor, 1500050);
  EXPECT_EQ(invoice.currency, "UAH");
  EXPECT_EQ(invoice.due_date, "2026-11-28");
  EXPECT_EQ(invoice.client_name, "Олена");
  comments = Comments(client_.task);
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_TRUE(Contains(comments[1], "15000.50 UAH")) << comments[1];
  EXPECT_TRUE(Contains(comments[1], "30.11.2026 09:00")) << comments[1];

  // The status automation as well as the button: nothing changes a second time.
  auto stored = world_->planfix.task(client_.task);
  stored->status_id = kIssued;
  world_->planfix.AddTask(*stored);
  clock_->Advance(minutes(1));
  Post({{"event", "task.status_changed"},
        {"task", std::to_string(client_.task)},
        {"status", std::to_string(kIssued)}});
  EXPECT_EQ(Comments(client_.task).size(), 2u);
  EXPECT_EQ(Invoice(client_.task).reminders_sent, 0);
}

TEST_F(InvoicesFlow, RemindersStartAfterTheWeekendInWorkingHoursRepeatThenEscalate) {
  Register(client_.task);
  const auto comments_after_register = Comments(client_.task).size();

  clock_->Advance(hours(26));  // Friday 12:00: not due yet
  app_->RunUntilIdle();
  clock_->Advance(hours(24));  // Saturday, the due date: a day off
  app_->RunUntilIdle();
  EXPECT_TRUE(BotMessages(kChat).empty());
  std::ostringstream overdue;
  PrintInvoices(app_->database(), InvoiceFilter::kOverdue, /*json=*/false, clock_->Now(), 50,
                overdue);
  EXPECT_TRUE(Contains(overdue.str(), "(no invoices)")) << overdue.str();

  clock_->Set(kMonday9);
  app_->RunUntilIdle();
  overdue.str("");
  PrintInvoices(app_->database(), InvoiceFilter::kOverdue, /*json=*/false, clock_->Now(), 50,
                overdue);
  EXPECT_TRUE(Contains(overdue.str(), fmt::format("INV-{}", client_.task))) << overdue.str();
  auto messages = BotMessages(kChat);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(Contains(messages[0], "INV-")) << messages[0];
  EXPECT_TRUE(Contains(messages[0], "15000.50 UAH")) << messages[0];
  EXPECT_TRUE(Contains(messages[0], "UA213223130000026007233566001")) << messages[0];
  EXPECT_EQ(Comments(client_.task).size(), comments_after_register + 1);

  clock_->Set(kMonday9 + hours(3 * 24));  // Thursday 09:00: three working days later
  app_->RunUntilIdle();
  EXPECT_EQ(BotMessages(kChat).size(), 2u);
  EXPECT_EQ(Invoice(client_.task).reminders_sent, 2);
  EXPECT_EQ(CountWith(Staff(), "не сплачено"), 0u);

  clock_->Set(kMonday9 + hours(3 * 24) + hours(5 * 24));  // three working days on: Tuesday
  app_->RunUntilIdle();
  EXPECT_EQ(BotMessages(kChat).size(), 2u);  // no third reminder: max_reminders is 2
  EXPECT_EQ(CountWith(Staff(), "Рахунок не сплачено"), 1u);
  EXPECT_TRUE(Contains(Comments(client_.task).back(), "після 2 нагадувань"))
      << Comments(client_.task).back();
  EXPECT_TRUE(Invoice(client_.task).escalated);

  clock_->Advance(hours(24 * 30));
  app_->RunUntilIdle();
  EXPECT_EQ(CountWith(Staff(), "Рахунок не сплачено"), 1u);
}

TEST_F(InvoicesFlow, ABankPaymentNamingTheInvoiceNumberPaysItAndStopsTheReminders) {
  // An income data tag exists in Planfix, but [invoices.income] does not name it.
  world_->planfix.DefineDataTag(kIncomeTag, "Надходження", {{701, "Сума", 1}});
  Register(client_.task);
  const std::string number = fmt::format("INV-{}", client_.task);
  EXPECT_EQ(Bank("tx-1", 1500050, "Оплата за рахунком №" + number + " від 26.11.2026"),
            storage::AppendOutcome::kStored);

  const auto invoice = Invoice(client_.task);
  EXPECT_EQ(invoice.paid_minor, 1500050);
  EXPECT_EQ(app_->database().GetFlow(workflow::InvoiceFlowKey(client_.task))->state, "paid");
  const auto payment = app_->database().GetFlow("payment:monobank:tx-1");
  ASSERT_TRUE(payment);
  EXPECT_EQ(payment->state, "matched");
  EXPECT_EQ(payment->task, client_.task);
  const auto task = world_->planfix.task(client_.task);
  EXPECT_EQ(task->custom_fields.at(216), json(true));
  EXPECT_EQ(task->custom_fields.at(217).dump(), "15000.5");
  EXPECT_EQ(task->status_id, kPaid);
  EXPECT_TRUE(Contains(Comments(client_.task).back(), "15000.50 UAH"))
      << Comments(client_.task).back();
  ASSERT_EQ(CountWith(Staff(), "Надійшли кошти"), 1u);
  EXPECT_EQ(CountWith(Staff(), number), 1u);
  ASSERT_EQ(BotMessages(kChat).size(), 1u);
  EXPECT_TRUE(Contains(BotMessages(kChat)[0], "Дякуємо")) << BotMessages(kChat)[0];

  clock_->Set(kMonday9 + hours(24));
  app_->RunUntilIdle();
  EXPECT_EQ(BotMessages(kChat).size(), 1u);  // no reminder for a paid invoice
  // Without [invoices.income] no income entry is written.
  EXPECT_TRUE(world_->planfix.data_tag_entries(kIncomeTag).empty());
}

TEST_F(InvoicesFlow, APartPaymentLeavesTheReminderNamingTheRemainder) {
  Register(client_.task);
  Bank("tx-part", 500000, fmt::format("inv-{} частина", client_.task));
  EXPECT_EQ(app_->database().GetFlow(workflow::InvoiceFlowKey(client_.task))->state, "partly_paid");
  EXPECT_EQ(world_->planfix.task(client_.task)->custom_fields.at(217), json(5000));
  EXPECT_EQ(world_->planfix.task(client_.task)->custom_fields.count(216), 0u);

  clock_->Set(kMonday9);
  app_->RunUntilIdle();
  const auto messages = BotMessages(kChat);
  ASSERT_EQ(messages.size(), 2u);  // the thanks, then the reminder
  EXPECT_TRUE(Contains(messages[1], "10000.50 UAH")) << messages[1];
  EXPECT_TRUE(Contains(messages[1], "5000.00")) << messages[1];
}

TEST_F(InvoicesFlow, APaymentWithoutTheNumberIsMatchedByExactAmountAndPayer) {
  auto contact = world_->planfix.contact(client_.contact);
  contact->custom_fields[311] = "34554362";
  world_->planfix.AddContact(*contact);
  Register(client_.task);
  // A second client's invoice of another amount.
  const auto other = world_->AddClient("Петро", "petro@example.com", "+380671112233", 5002);
  FillInvoice(other.task, "INV-B", json(700), "30-11-2026");
  Issue(other.task);

  Bank("tx-2", 1500050, "Оплата за послуги", 980, "34554362");
  const auto payment = app_->database().GetFlow("payment:monobank:tx-2");
  ASSERT_TRUE(payment);
  EXPECT_EQ(payment->state, "matched");
  EXPECT_EQ(json::parse(payment->data)["matched_by"], "amount and payer");
  EXPECT_EQ(Invoice(client_.task).paid_minor, 1500050);
  EXPECT_EQ(Invoice(other.task).paid_minor, 0);
}

TEST_F(InvoicesFlow, AnOddAmountStaysUnmatchedUntilAPersonMatchesIt) {
  Register(client_.task);
  Bank("tx-odd", 1234500, "Оплата за послуги");
  auto payment = app_->database().GetFlow("payment:monobank:tx-odd");
  ASSERT_TRUE(payment);
  EXPECT_EQ(payment->state, "unmatched");
  EXPECT_EQ(CountWith(Staff(), "Платіж без рахунку"), 1u);
  EXPECT_EQ(CountWith(Staff(), "payment:monobank:tx-odd"), 1u);
  EXPECT_EQ(Invoice(client_.task).paid_minor, 0);
  std::ostringstream listed;
  PrintUnmatchedPayments(app_->database(), /*json=*/false, 50, listed);
  EXPECT_TRUE(Contains(listed.str(), "payment:monobank:tx-odd  12345.00 UAH")) << listed.str();
  EXPECT_TRUE(Contains(listed.str(), "reason: у призначенні немає номера відкритого рахунку"))
      << listed.str();

  // Bad requests say what is wrong and store nothing.
  const auto events_before = app_->database().ListEvents(std::nullopt, 1000).size();
  auto& db = app_->database();
  EXPECT_EQ(RequestPaymentMatch(db, "tx-none", std::to_string(client_.task), clock_->Now())
                .error()
                .message,
            "no payment payment:monobank:tx-none (see `planfix-flow payments unmatched`)");
  EXPECT_EQ(RequestPaymentMatch(db, "tx-odd", "9999", clock_->Now()).error().message,
            "task 9999 has no registered invoice");
  EXPECT_FALSE(RequestPaymentMatch(db, "tx-odd", "12x", clock_->Now()));
  EXPECT_EQ(db.ListEvents(std::nullopt, 1000).size(), events_before);

  clock_->Advance(minutes(1));  // the staff chat's pace: one message a second
  auto queued = RequestPaymentMatch(db, "payment:monobank:tx-odd", std::to_string(client_.task),
                                    clock_->Now());
  ASSERT_TRUE(queued) << queued.error().message;
  app_->RunUntilIdle();
  payment = app_->database().GetFlow("payment:monobank:tx-odd");
  EXPECT_EQ(payment->state, "matched");
  EXPECT_EQ(Invoice(client_.task).paid_minor, 1234500);
  EXPECT_EQ(CountWith(Staff(), "Надійшли кошти"), 1u);
  EXPECT_TRUE(Contains(Comments(client_.task).back(), "зіставлено вручну"))
      << Comments(client_.task).back();

  EXPECT_EQ(
      RequestPaymentMatch(db, "tx-odd", std::to_string(client_.task), clock_->Now())
          .error()
          .message,
      fmt::format("payment payment:monobank:tx-odd is already matched (task {})", client_.task));
}

TEST_F(InvoicesFlow, TheSameBankPaymentTwiceIsCountedOnce) {
  Register(client_.task);
  const std::string purpose = fmt::format("INV-{}", client_.task);
  EXPECT_EQ(Bank("tx-3", 500000, purpose), storage::AppendOutcome::kStored);
  EXPECT_EQ(Bank("tx-3", 500000, purpose), storage::AppendOutcome::kDuplicate);
  // Even under another dedupe key (a replay by hand): the payment's record keeps it once.
  EXPECT_EQ(Bank("tx-3", 500000, purpose, 980, "", "monobank:tx-3:again"),
            storage::AppendOutcome::kStored);
  EXPECT_EQ(Invoice(client_.task).paid_minor, 500000);
  EXPECT_EQ(Invoice(client_.task).payments.size(), 1u);
  EXPECT_EQ(CountWith(Staff(), "Надійшли кошти"), 1u);
}

TEST_F(InvoicesFlow, APlanfixPaidMarkAfterABankMatchDoesNotDoubleThePayment) {
  Register(client_.task);
  Bank("tx-4", 1500050, fmt::format("INV-{}", client_.task));
  ASSERT_EQ(Invoice(client_.task).paid_minor, 1500050);
  const auto comments = Comments(client_.task).size();

  // The accountant's automation fires on the paid checkbox the service ticked.
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  EXPECT_EQ(Invoice(client_.task).paid_minor, 1500050);
  EXPECT_EQ(Invoice(client_.task).payments.size(), 1u);
  EXPECT_EQ(Comments(client_.task).size(), comments);
  EXPECT_EQ(CountWith(Staff(), "Надійшли кошти"), 1u);
}

TEST_F(InvoicesFlow, MoneyBookedAtNightIsThankedForAtTheNextWorkingMoment) {
  Register(client_.task);
  // Friday 27.11.2026 23:00 in Kyiv: the bank books around the clock.
  clock_->Set(kThursday10 + hours(37));
  Bank("tx-night", 1500050, fmt::format("INV-{}", client_.task));
  EXPECT_EQ(Invoice(client_.task).paid_minor, 1500050);
  EXPECT_EQ(CountWith(Staff(), "Надійшли кошти"), 1u);  // the staff hear at once
  EXPECT_TRUE(BotMessages(kChat).empty());              // the client does not, at night

  clock_->Set(kMonday9 - minutes(1));
  app_->RunUntilIdle();
  EXPECT_TRUE(BotMessages(kChat).empty());  // nor over the weekend
  clock_->Set(kMonday9);
  app_->RunUntilIdle();
  ASSERT_EQ(BotMessages(kChat).size(), 1u);
  EXPECT_TRUE(Contains(BotMessages(kChat)[0], "Дякуємо")) << BotMessages(kChat)[0];
}

TEST_F(InvoicesFlow, APaidMarkOnAnUnregisteredInvoiceRegistersItAndCountsIt) {
  // The invoice was issued outside the service; the accountant ticks "Paid" and presses the
  // button, but the amount field is empty.
  FillInvoice(client_.task, fmt::format("INV-{}", client_.task), json(), "28-11-2026");
  auto task = world_->planfix.task(client_.task);
  task->custom_fields[216] = true;
  world_->planfix.AddTask(*task);
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  EXPECT_FALSE(app_->database().GetFlow(workflow::InvoiceFlowKey(client_.task)));
  ASSERT_FALSE(Comments(client_.task).empty());
  EXPECT_TRUE(Contains(Comments(client_.task).back(), "сума рахунку"))
      << Comments(client_.task).back();
  EXPECT_EQ(CountWith(Staff(), "Надійшли кошти"), 0u);

  // Filled in, the button again: registered and paid in one go, once.
  FillInvoice(client_.task, fmt::format("INV-{}", client_.task), json::parse("15000.50"),
              "28-11-2026");
  clock_->Advance(minutes(1));
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  const auto invoice = Invoice(client_.task);
  EXPECT_EQ(invoice.amount_minor, 1500050);
  EXPECT_EQ(invoice.paid_minor, 1500050);
  ASSERT_EQ(invoice.payments.size(), 1u);
  EXPECT_EQ(invoice.payments[0].source, "planfix");
  EXPECT_EQ(app_->database().GetFlow(workflow::InvoiceFlowKey(client_.task))->state, "paid");
  const auto comments = Comments(client_.task);
  ASSERT_GE(comments.size(), 3u);
  EXPECT_TRUE(Contains(comments[comments.size() - 2], "зареєстровано"))
      << comments[comments.size() - 2];
  EXPECT_TRUE(Contains(comments.back(), "15000.50 UAH")) << comments.back();
  EXPECT_EQ(CountWith(Staff(), "Надійшли кошти"), 1u);
  ASSERT_EQ(BotMessages(kChat).size(), 1u);
  EXPECT_TRUE(Contains(BotMessages(kChat)[0], "Дякуємо")) << BotMessages(kChat)[0];

  // Paid in full: no reminder after the weekend; a third press counts nothing.
  clock_->Set(kMonday9 + hours(24));
  app_->RunUntilIdle();
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  EXPECT_EQ(BotMessages(kChat).size(), 1u);
  EXPECT_EQ(Invoice(client_.task).payments.size(), 1u);
}

TEST_F(InvoicesFlow, APartPaidMarkOnAnUnregisteredInvoiceRemindsOfTheRest) {
  FillInvoice(client_.task, fmt::format("INV-{}", client_.task), json::parse("15000.50"),
              "28-11-2026");
  auto task = world_->planfix.task(client_.task);
  task->custom_fields[217] = 5000;
  world_->planfix.AddTask(*task);
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  EXPECT_EQ(Invoice(client_.task).paid_minor, 500000);
  EXPECT_EQ(app_->database().GetFlow(workflow::InvoiceFlowKey(client_.task))->state, "partly_paid");
  ASSERT_EQ(BotMessages(kChat).size(), 1u);  // the thanks

  clock_->Set(kMonday9);
  app_->RunUntilIdle();
  ASSERT_EQ(BotMessages(kChat).size(), 2u);
  EXPECT_TRUE(Contains(BotMessages(kChat)[1], "10000.50")) << BotMessages(kChat)[1];
}

TEST_F(InvoicesFlow, APlanfixPaidAmountCountsThePartTheBankDidNotBring) {
  Register(client_.task);
  Bank("tx-5", 500000, fmt::format("INV-{}", client_.task));
  // The accountant records cash: the paid total is now 15 000.50 in Planfix.
  auto task = world_->planfix.task(client_.task);
  task->custom_fields[217] = json::parse("15000.50");
  world_->planfix.AddTask(*task);
  clock_->Advance(minutes(1));
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  const auto invoice = Invoice(client_.task);
  EXPECT_EQ(invoice.paid_minor, 1500050);
  ASSERT_EQ(invoice.payments.size(), 2u);
  EXPECT_EQ(invoice.payments[1].amount_minor, 1000050);
  EXPECT_EQ(invoice.payments[1].source, "planfix");
  EXPECT_EQ(CountWith(Staff(), "Надійшли кошти"), 2u);
  // Again: nothing more.
  clock_->Advance(minutes(1));
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  EXPECT_EQ(Invoice(client_.task).payments.size(), 2u);
}

TEST_F(InvoicesFlow, ABankPaymentAfterPlanfixsFullMarkStaysUnmatchedInsteadOfCountedTwice) {
  Register(client_.task);
  auto task = world_->planfix.task(client_.task);
  task->custom_fields[216] = true;  // the accountant ticked "paid" first
  world_->planfix.AddTask(*task);
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  ASSERT_EQ(Invoice(client_.task).paid_minor, 1500050);

  clock_->Advance(minutes(1));
  Bank("tx-late", 1500050, fmt::format("INV-{}", client_.task));
  EXPECT_EQ(Invoice(client_.task).paid_minor, 1500050);
  const auto payment = app_->database().GetFlow("payment:monobank:tx-late");
  ASSERT_TRUE(payment);
  EXPECT_EQ(payment->state, "unmatched");
  EXPECT_TRUE(
      Contains(json::parse(payment->data)["reason"].get<std::string>(), "уже сплачений повністю"))
      << payment->data;
  EXPECT_EQ(CountWith(Staff(), "Платіж без рахунку"), 1u);
}

TEST_F(InvoicesFlow, ANonUahPaymentIsUnmatchedWithTheReason) {
  Register(client_.task);
  Bank("tx-usd", 1500050, fmt::format("INV-{}", client_.task), 840);
  const auto payment = app_->database().GetFlow("payment:monobank:tx-usd");
  ASSERT_TRUE(payment);
  EXPECT_EQ(payment->state, "unmatched");
  EXPECT_TRUE(Contains(json::parse(payment->data)["reason"].get<std::string>(), "840"));
  EXPECT_EQ(Invoice(client_.task).paid_minor, 0);
  // The staff message is Ukrainian through and through, its reason included.
  EXPECT_EQ(CountWith(Staff(), "а не в гривні (980)"), 1u);
  EXPECT_EQ(CountWith(Staff(), "not UAH"), 0u);
  EXPECT_FALSE(
      RequestPaymentMatch(app_->database(), "tx-usd", std::to_string(client_.task), clock_->Now()));
}

// [invoices.income]: every payment the bank brought, matched by number or by hand, becomes one
// entry of the income data tag on the invoice's task; Planfix's own paid mark adds none.
class InvoicesIncomeFlow : public InvoicesFlow {
 protected:
  void Configure() override {
    world_->planfix.DefineDataTag(kIncomeTag, "Надходження",
                                  {{701, "Сума", 1},
                                   {702, "Дата надходження", 3},
                                   {703, "Рахунок", 0},
                                   {704, "Платник", 0},
                                   {705, "Призначення", 2}});
    auto& income = world_->config.invoices.income;
    income.enabled = true;
    income.data_tag = kIncomeTag;
    income.fields = {
        .amount = 701, .date = 702, .invoice_number = 703, .payer = 704, .purpose = 705};
  }
  std::vector<sandbox::FakeDataTagEntry> Entries() const {
    return world_->planfix.data_tag_entries(kIncomeTag);
  }
};

TEST_F(InvoicesIncomeFlow, ABankPaymentAddsOneIncomeEntryWithItsFields) {
  Register(client_.task);
  const std::string purpose = fmt::format("Оплата за рахунком INV-{}", client_.task);
  Bank("tx-in", 500050, purpose);
  // The same payment again, also under another dedupe key: still one entry.
  Bank("tx-in", 500050, purpose);
  Bank("tx-in", 500050, purpose, 980, "", "monobank:tx-in:reconciled");
  const auto entries = Entries();
  ASSERT_EQ(entries.size(), 1u);
  const auto& entry = entries[0];
  EXPECT_EQ(entry.task_id, client_.task);
  EXPECT_EQ(entry.custom_fields.at(701).dump(), "5000.5");  // exact: from minor units
  EXPECT_EQ(entry.custom_fields.at(702).at("date"), "26-11-2026");
  EXPECT_EQ(entry.custom_fields.at(703), json(fmt::format("INV-{}", client_.task)));
  EXPECT_EQ(entry.custom_fields.at(704), json("ФОП Невідомий"));
  EXPECT_EQ(entry.custom_fields.at(705), json(purpose));

  // The accountant records the rest in Planfix (paid in full): no income entry for it.
  auto task = world_->planfix.task(client_.task);
  task->custom_fields[216] = true;
  world_->planfix.AddTask(*task);
  clock_->Advance(minutes(1));
  Post({{"event", "invoice.paid"}, {"task", std::to_string(client_.task)}});
  ASSERT_EQ(Invoice(client_.task).paid_minor, 1500050);
  EXPECT_EQ(Entries().size(), 1u);
}

TEST_F(InvoicesIncomeFlow, APaymentMatchedByHandAddsItsIncomeEntryThen) {
  Register(client_.task);
  Bank("tx-hand", 1234500, "Оплата за послуги");
  EXPECT_TRUE(Entries().empty());  // unmatched: no income booked to any task yet
  clock_->Advance(hours(24));      // Friday
  ASSERT_TRUE(RequestPaymentMatch(app_->database(), "tx-hand", std::to_string(client_.task),
                                  clock_->Now()));
  app_->RunUntilIdle();
  const auto entries = Entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].task_id, client_.task);
  EXPECT_EQ(entries[0].custom_fields.at(701), json(12345));
  // Booked on the day the bank took the money, not the day of the match.
  EXPECT_EQ(entries[0].custom_fields.at(702).at("date"), "26-11-2026");
}

}  // namespace
}  // namespace planfix_flow::app

namespace planfix_flow::app {
namespace {

// [invoices.digest]: on working days at 09:30 the staff chat gets the money in since the
// previous digest and the overdue invoices, once a day, across restarts.
class InvoicesDigestFlow : public InvoicesFlow {
 protected:
  void Configure() override {
    world_->config.storage.path = (dir_.path() / "digest.sqlite").string();
    world_->config.invoices.digest = {.enabled = true, .time = "09:30"};
  }
  std::vector<std::string> Digests() const {
    std::vector<std::string> out;
    for (const auto& text : Staff()) {
      if (Contains(text, "Гроші: підсумок")) out.push_back(text);
    }
    return out;
  }
};

TEST_F(InvoicesDigestFlow, WorkingDaysGetOneDigestOfMoneyInAndOverdueInvoices) {
  Register(client_.task);
  const std::string number = fmt::format("INV-{}", client_.task);
  Bank("tx-a", 500000, "Оплата " + number);
  Bank("tx-b", 123400, "Оплата за послуги");
  EXPECT_TRUE(Digests().empty());

  // Friday 09:30: the first digest covers the last day.
  clock_->Set(kThursday10 + hours(23) + minutes(30));
  app_->RunUntilIdle();
  auto digests = Digests();
  ASSERT_EQ(digests.size(), 1u);
  EXPECT_TRUE(Contains(digests[0], "Гроші: підсумок за 27.11.2026")) << digests[0];
  EXPECT_TRUE(Contains(digests[0], "6234.00 UAH")) << digests[0];
  EXPECT_TRUE(Contains(digests[0], "5000.00 UAH — Олена, рахунок №" + number)) << digests[0];
  EXPECT_TRUE(Contains(digests[0],
                       "1234.00 UAH — ФОП Невідомий, без рахунку "
                       "(payment:monobank:tx-b)"))
      << digests[0];
  EXPECT_TRUE(Contains(digests[0], "Прострочених рахунків немає")) << digests[0];

  // The weekend: no digest. Monday 09:30: nothing new came in; the invoice is overdue now.
  clock_->Set(kMonday9 - hours(1));
  app_->RunUntilIdle();
  EXPECT_EQ(Digests().size(), 1u);
  clock_->Set(kMonday9 + minutes(30));
  app_->RunUntilIdle();
  digests = Digests();
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_TRUE(Contains(digests[1], "нових надходжень немає")) << digests[1];
  EXPECT_TRUE(Contains(digests[1], "Прострочені рахунки (1)")) << digests[1];
  EXPECT_TRUE(Contains(digests[1], "№" + number + ", Олена: 10000.50 UAH (строк 28.11.2026)"))
      << digests[1];

  // A restart the same day sends no second one; Tuesday's comes, with Tuesday's money only.
  app_->Stop();
  clock_->Advance(minutes(30));
  StartApp();
  app_->RunUntilIdle();
  EXPECT_EQ(Digests().size(), 2u);
  Bank("tx-c", 1000050, "Оплата " + number);
  clock_->Set(kMonday9 + hours(24) + minutes(30));
  app_->RunUntilIdle();
  digests = Digests();
  ASSERT_EQ(digests.size(), 3u);
  EXPECT_TRUE(Contains(digests[2], "Надійшло з 30.11.2026 09:30 (1): 10000.50 UAH")) << digests[2];
  EXPECT_TRUE(Contains(digests[2], "Прострочених рахунків немає")) << digests[2];
}

TEST_F(InvoicesDigestFlow, ADigestMissedWhileDownComesOnceOnTheNextWorkingDay) {
  Register(client_.task);
  const std::string number = fmt::format("INV-{}", client_.task);
  clock_->Set(kThursday10 + hours(23) + minutes(30));  // Friday 09:30: the first digest
  app_->RunUntilIdle();
  ASSERT_EQ(Digests().size(), 1u);
  clock_->Set(kThursday10 + hours(26));  // Friday 12:00
  Bank("tx-fri", 250000, "Оплата " + number);

  // Down from Friday noon until Tuesday 08:00: Monday's digest is late. One digest comes at
  // start, dated Tuesday and covering Friday's money; Tuesday 09:30 sends no second one.
  app_->Stop();
  clock_->Set(kMonday9 + hours(23));
  StartApp();
  app_->RunUntilIdle();
  auto digests = Digests();
  ASSERT_EQ(digests.size(), 2u);
  EXPECT_TRUE(Contains(digests[1], "Гроші: підсумок за 01.12.2026")) << digests[1];
  EXPECT_TRUE(Contains(digests[1], "2500.00 UAH — Олена, рахунок №" + number)) << digests[1];
  clock_->Set(kMonday9 + hours(24) + minutes(30));
  app_->RunUntilIdle();
  EXPECT_EQ(Digests().size(), 2u);

  // Tuesday noon's money, then down until Saturday: Wednesday's digest fires on a day off and
  // waits for Monday's, which covers it.
  clock_->Set(kMonday9 + hours(27));
  Bank("tx-tue", 100000, "Оплата " + number);
  app_->Stop();
  clock_->Set(kMonday9 + hours(5 * 24 + 1));
  StartApp();
  app_->RunUntilIdle();
  EXPECT_EQ(Digests().size(), 2u);
  clock_->Set(kMonday9 + hours(7 * 24) + minutes(30));
  app_->RunUntilIdle();
  digests = Digests();
  ASSERT_EQ(digests.size(), 3u);
  EXPECT_TRUE(Contains(digests[2], "Гроші: підсумок за 07.12.2026")) << digests[2];
  EXPECT_TRUE(Contains(digests[2], "1000.00 UAH — Олена, рахунок №" + number)) << digests[2];
}

TEST_F(InvoicesFlow, TheDigestIsOffByDefault) {
  Register(client_.task);
  Bank("tx-d", 500000, fmt::format("INV-{}", client_.task));
  clock_->Set(kMonday9 + hours(2));
  app_->RunUntilIdle();
  EXPECT_EQ(CountWith(Staff(), "Гроші: підсумок"), 0u);
  EXPECT_FALSE(app_->database().GetTimer(workflow::kDigestTimerKey));
}

}  // namespace
}  // namespace planfix_flow::app
