// The demo's report & payment section (issue 13): the month's run creates a report task for
// three retainer clients, the PM sends each the report and the invoice, and the money comes
// in through the sandbox bank: one transfer names the invoice (matched), one is an odd amount
// (unmatched, then matched by hand through `payments match`'s own code), and one client pays
// nothing (a reminder after the weekend, then the escalation). Each payment the bank brought
// adds an income entry to Planfix's data tag, and the staff chat gets the daily money digest.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "app/invoices_cli.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/demo.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/core/utf8.h"
#include "planfix_flow/workflow/invoices.h"
#include "planfix_flow/workflow/report.h"

namespace planfix_flow::app {

namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

constexpr std::int64_t kDealTemplate = 401;
constexpr std::int64_t kReportTemplate = 402;
constexpr std::int64_t kRetainerField = 230;
constexpr std::int64_t kIssued = 121;
constexpr std::int64_t kPaid = 122;
constexpr std::int64_t kReturned = 123;
constexpr std::int64_t kReportSent = 124;
constexpr std::int64_t kIncomeTag = 70;
// Tuesday 2026-12-29 10:00 in Kyiv: December's run (the 3rd working day before its end).
const core::TimePoint kRunDay = core::FromUnixSeconds(1'798'531'200);
const core::TimePoint kPmSends = kRunDay + hours(1);
const core::TimePoint kFirstPays = kRunDay + hours(25);          // Wednesday 30.12 11:00
const core::TimePoint kSecondPays = kRunDay + hours(29);         // Wednesday 30.12 15:00
const core::TimePoint kMonday = kRunDay + hours(6 * 24 - 1);     // Monday 04.01.2027 09:00
const core::TimePoint kWednesday = kRunDay + hours(8 * 24 - 1);  // Wednesday 06.01.2027 09:00
// Saturday: the reminder waits for Monday's working hours.
constexpr char kDueDate[] = "02-01-2027";

std::string OneLine(std::string text, std::size_t max = 170) {
  std::replace(text.begin(), text.end(), '\n', ' ');
  if (text.size() > max) text = std::string(core::Utf8Prefix(text, max)) + "…";
  return text;
}

// Prints what reached the fakes since the last call: bot messages to the watched chats,
// Planfix writes (new tasks, fields, statuses) and the comments on the watched tasks. The
// brief sections' Transcript (demo.cpp) counts for their own checks; this one only tells.
class Narrator {
 public:
  Narrator(std::ostream& out, SandboxWorld& world, core::Clock& clock,
           const calendar::WorkCalendar& calendar)
      : out_(out), world_(world), clock_(clock), calendar_(calendar) {}

  void Watch(std::int64_t chat, std::string who) { chats_[chat] = Seen{std::move(who), 0}; }
  void WatchTask(std::int64_t task) { tasks_.emplace(task, 0); }
  void WatchDataTag(std::int64_t data_tag) { data_tags_.emplace(data_tag, 0); }
  void Say(const std::string& line) { out_ << fmt::format("[{}] {}\n", Now(), line); }
  void Heading(const std::string& text) { out_ << "\n== " << text << " ==\n"; }

  void Flush() {
    for (auto& [chat, seen] : chats_) {
      const auto messages = world_.telegram.Messages(chat);
      for (; seen.count < messages.size(); ++seen.count) {
        const auto& message = messages[seen.count];
        if (!message.from_bot) continue;
        if (!message.document.empty()) {
          out_ << fmt::format("[{}] out: Telegram → {}: document «{}» ({} bytes)\n",
                              calendar_.FormatLocal(message.received_at), seen.who,
                              message.document_name, message.document.size());
          continue;
        }
        out_ << fmt::format("[{}] out: Telegram → {}: {}\n",
                            calendar_.FormatLocal(message.received_at), seen.who,
                            OneLine(message.text));
      }
    }
    const auto writes = world_.planfix.writes();
    for (; writes_seen_ < writes.size(); ++writes_seen_) {
      const auto& write = writes[writes_seen_];
      if (write.path == "/rest/task/") {
        const json& body = write.body;
        out_ << fmt::format(
            "[{}] out: Planfix POST {} (new task) «{}» for {}, template {}\n", Now(), write.path,
            body.value("name", ""),
            body.contains("counterparty") ? body["counterparty"].value("id", "") : std::string(),
            body.contains("template") ? body["template"].value("id", 0) : 0);
        continue;
      }
      if (write.path.find("/comments") == std::string::npos) {
        out_ << fmt::format("[{}] out: Planfix POST {} {}\n", Now(), write.path,
                            OneLine(write.body.dump(), 200));
      }
    }
    for (auto& [data_tag, count] : data_tags_) {
      const auto entries = world_.planfix.data_tag_entries(data_tag);
      for (; count < entries.size(); ++count) {
        json fields = json::object();
        for (const auto& [field, value] : entries[count].custom_fields)
          fields[std::to_string(field)] = value;
        out_ << fmt::format("[{}] out: Planfix POST /rest/task/{}/datatags/ (data tag {}) {}\n",
                            Now(), entries[count].task_id, data_tag, OneLine(fields.dump(), 200));
      }
    }
    for (auto& [task, count] : tasks_) {
      const auto comments = world_.planfix.comments(task);
      for (; count < comments.size(); ++count) {
        // A data tag entry lives in a comment of its own, without text: shown above.
        if (comments[count].description.empty()) continue;
        out_ << fmt::format("[{}] out: Planfix comment on task {}: {}\n", Now(), task,
                            OneLine(comments[count].description));
      }
    }
  }

 private:
  struct Seen {
    std::string who;
    std::size_t count = 0;
  };
  std::string Now() const { return calendar_.FormatLocal(clock_.Now()); }

  std::ostream& out_;
  SandboxWorld& world_;
  core::Clock& clock_;
  const calendar::WorkCalendar& calendar_;
  std::map<std::int64_t, Seen> chats_;
  std::map<std::int64_t, std::size_t> tasks_;
  std::map<std::int64_t, std::size_t> data_tags_;
  std::size_t writes_seen_ = 0;
};

// The Planfix setup webhooks/planfix/README.md describes for invoices and the monthly report,
// in the sandbox: fields, templates and the process's statuses.
void ConfigureMoney(SandboxWorld& world) {
  auto& config = world.config;
  config.server.planfix_dedupe_window_seconds = 1;
  auto& invoices = config.invoices;
  invoices.enabled = true;
  invoices.fields = {.number = 211,
                     .amount = 212,
                     .due_date = 214,
                     .currency = 213,
                     .payment_details = 215,
                     .paid = 216,
                     .paid_amount = 217};
  invoices.statuses = {.issued = kIssued, .paid = kPaid, .returned = kReturned};
  invoices.reminder_interval_working_days = 2;
  invoices.max_reminders = 1;
  invoices.income = {.enabled = true,
                     .data_tag = kIncomeTag,
                     .fields = {.amount = 701, .date = 702, .invoice_number = 703, .payer = 704}};
  invoices.digest = {.enabled = true, .time = "18:00"};
  auto& report = config.report;
  report.enabled = true;
  report.deal_template_id = kDealTemplate;
  report.retainer_field = kRetainerField;
  report.days_before_month_end = 3;
  report.time = "10:00";
  report.template_id = kReportTemplate;
  report.process_id = 1;
  report.sent_status = kReportSent;

  auto& planfix = world.planfix;
  planfix.DefineTaskField({211, "Номер рахунку", 0});
  planfix.DefineTaskField({212, "Сума рахунку", 1});
  planfix.DefineTaskField({213, "Валюта", 0});
  planfix.DefineTaskField({214, "Строк оплати", 3});
  planfix.DefineTaskField({215, "Реквізити", 0});
  planfix.DefineTaskField({216, "Сплачено", 7});
  planfix.DefineTaskField({217, "Сплачено, сума", 1});
  planfix.DefineTaskField({kRetainerField, "Щомісячний ретейнер", 7});
  planfix.DefineDataTag(
      kIncomeTag, "Надходження",
      {{701, "Сума", 1}, {702, "Дата", 3}, {703, "Рахунок", 0}, {704, "Платник", 0}});
  planfix.DefineTaskTemplate(kDealTemplate, "Угода");
  planfix.DefineTaskTemplate(kReportTemplate, "Звіт і оплата");
  const auto& s = config.planfix.statuses;
  planfix.DefineProcess(1, {{s.handed_to_production, "Передано у виробництво"},
                            {s.returned_to_sales, "Повернено продажам"},
                            {s.in_production, "У виробництві"},
                            {s.brief_requested, "Бриф запитано"},
                            {s.brief_filled, "Бриф заповнено"},
                            {s.awaiting_approval, "На погодженні"},
                            {s.approved, "Погоджено"},
                            {s.rework, "Доопрацювання"},
                            {kIssued, "Рахунок виставлено"},
                            {kPaid, "Рахунок сплачено"},
                            {kReturned, "Рахунок повернено"},
                            {kReportSent, "Звіт надіслано"}});
}

struct Retainer {
  std::string name;
  std::string invoice;
  std::int64_t amount_minor = 0;
  MoneyDemoClient client;
  std::int64_t deal = 0;
};

}  // namespace

bool RunMoneyDemo(core::FakeClock& clock, SandboxWorld& world, std::ostream& out, std::ostream& err,
                  std::vector<MoneyDemoClient>* clients) {
  ConfigureMoney(world);
  world.EnableBank();
  std::vector<Retainer> retainers = {{"Олена Коваль", "INV-2026-12-01", 1'500'000, {}, 0},
                                     {"Петро Мельник", "INV-2026-12-02", 1'200'000, {}, 0},
                                     {"Андрій Бондар", "INV-2026-12-03", 900'000, {}, 0}};
  std::int64_t chat = 5101;
  for (auto& retainer : retainers) {
    const auto client = world.AddClient(retainer.name, "", "", chat++);
    retainer.client = MoneyDemoClient{retainer.name, *client.chat, 0};
    retainer.deal = world.AddDeal(client, 12, "SMM і реклама", 0);
    auto deal = world.planfix.task(retainer.deal);
    deal->template_id = kDealTemplate;
    deal->custom_fields[kRetainerField] = true;
    world.planfix.AddTask(*deal);
  }

  std::vector<config::Problem> problems;
  auto templates = config::LoadTemplates(world.config, problems);
  auto calendar = calendar::WorkCalendar::Create(world.config.calendar);
  if (!templates.set || !calendar) {
    err << "demo: the report & payment section's config does not load\n";
    return false;
  }
  for (const auto& problem : config::ValidateConfig(world.config)) {
    if (problem.key_path.starts_with("bank") || problem.key_path.starts_with("report") ||
        problem.key_path.starts_with("invoices")) {
      err << "demo: " << problem.ToString() << "\n";
      return false;
    }
  }
  App app(world.config, templates.set, clock, world.http(),
          AppOptions{.background_threads = false, .seed = 3});
  app.Start();
  app.RunUntilIdle();  // the bank's webhook registered (after its probe), the run scheduled

  Narrator narrator(out, world, clock, *calendar);
  const auto staff = world.config.telegram.staff_chat_id;
  for (const auto& retainer : retainers) {
    narrator.Watch(retainer.client.chat, retainer.name.substr(0, retainer.name.find(' ')));
  }
  narrator.Watch(staff, "staff chat");
  narrator.WatchDataTag(kIncomeTag);
  bool accepted = true;
  const auto expect_200 = [&](const core::Result<http::HttpResponse>& answer, const char* what) {
    if (!answer || answer->status != 200) {
      accepted = false;
      err << "demo: " << what
          << " was not accepted: " << (answer ? answer->body : answer.error().ToString()) << "\n";
    }
  };
  const auto advance_to = [&](core::TimePoint moment) {
    clock.Set(moment);
    app.RunUntilIdle();
    narrator.Flush();
  };

  narrator.Heading("9. The month's report & payment cycle for three retainer clients");
  narrator.Say(fmt::format(
      "     the bank (sandbox monobank) probed and registered the webhook {}",
      world.bank.webhook_url().substr(0, world.bank.webhook_url().rfind('/')) + "/<token>"));
  narrator.Say(
      "     three deals carry the \"monthly retainer\" checkbox; the run is due on the 3rd "
      "working day before the month's end, 10:00");
  advance_to(kRunDay);
  for (auto& retainer : retainers) {
    const auto flow = app.database().GetFlow(workflow::ReportFlowKey(retainer.deal, "2026-12"));
    if (flow) {
      const json data = json::parse(flow->data, nullptr, false);
      if (data.is_object() && data.contains("report_task"))
        retainer.client.report_task = data["report_task"].get<std::int64_t>();
    }
    narrator.WatchTask(retainer.client.report_task);
  }
  narrator.Flush();

  narrator.Heading("10. The PM attaches the reports, fills the invoices and sends them");
  clock.Set(kPmSends);
  for (const auto& retainer : retainers) {
    const auto task = retainer.client.report_task;
    auto stored = world.planfix.task(task);
    if (!stored) {
      err << "demo: no report task for " << retainer.name << "\n";
      accepted = false;
      continue;
    }
    stored->custom_fields[211] = retainer.invoice;
    stored->custom_fields[212] = retainer.amount_minor / 100;
    stored->custom_fields[214] = json{{"date", kDueDate}};
    stored->custom_fields[215] = "UA213223130000026007233566001";
    world.planfix.AddTask(*stored);
    const std::string report_pdf =
        fmt::format("%PDF-1.4\n% the December report for {}\n%%EOF\n", retainer.name);
    world.planfix.AttachFile(task, "Звіт грудень 2026.pdf", report_pdf);
    narrator.Say(fmt::format("     the PM attaches «Звіт грудень 2026.pdf» ({} bytes) to task {}",
                             report_pdf.size(), task));
    narrator.Say(
        fmt::format("     the PM fills task {}: invoice {}, {}.00 UAH, due {} (a Saturday)", task,
                    retainer.invoice, retainer.amount_minor / 100, kDueDate));
    const json body{{"event", "report.send"}, {"task", std::to_string(task)}};
    narrator.Say(
        fmt::format("in:  Planfix button \"send report & invoice\" on task {}: POST "
                    "/webhooks/planfix {}",
                    task, body.dump()));
    expect_200(world.PostPlanfix(app.port(), body), "the report.send webhook");
    app.RunUntilIdle();
    narrator.Flush();
    clock.Advance(minutes(5));
  }

  narrator.Heading("11. Олена pays by bank transfer naming the invoice");
  clock.Set(kFirstPays);
  const auto pay = [&](const std::string& id, const Retainer& retainer, std::int64_t amount,
                       const std::string& purpose) {
    world.bank.Book(kSandboxBankAccount,
                    {id, core::ToUnixSeconds(clock.Now()), amount, 980, purpose, "", "",
                     "UA903052992990004149123456789", "ФОП " + retainer.name});
    narrator.Say(
        fmt::format("in:  monobank: +{}.{:02} UAH from ФОП {}, purpose «{}»; the bank POSTs the "
                    "StatementItem to the webhook",
                    amount / 100, amount % 100, retainer.name, purpose));
    const auto delivered = world.bank.DeliverPending();
    if (delivered != 1) {
      accepted = false;
      err << "demo: the bank's webhook delivery was not answered 200\n";
    }
    app.RunUntilIdle();
    narrator.Flush();
  };
  pay("mono-demo-1", retainers[0], retainers[0].amount_minor,
      "Оплата за рахунком №" + retainers[0].invoice + " від 29.12.2026");

  narrator.Heading("12. Петро pays an odd amount without the invoice number");
  clock.Set(kSecondPays);
  pay("mono-demo-2", retainers[1], 1'250'000, "Оплата послуг SMM");
  clock.Advance(minutes(20));
  std::ostringstream listed;
  PrintUnmatchedPayments(app.database(), /*json=*/false, 50, listed);
  out << "$ planfix-flow payments unmatched\n" << listed.str();
  const std::string task_text = std::to_string(retainers[1].client.report_task);
  out << "$ planfix-flow payments match payment:monobank:mono-demo-2 " << task_text << "\n";
  auto queued =
      RequestPaymentMatch(app.database(), "payment:monobank:mono-demo-2", task_text, clock.Now());
  if (queued) {
    out << "queued as event " << *queued
        << ": the running service counts payment payment:monobank:mono-demo-2 towards the "
           "invoice of task "
        << task_text << "\n";
  } else {
    accepted = false;
    err << "payments match: " << queued.error().message << "\n";
  }
  app.RunUntilIdle();
  narrator.Flush();

  narrator.Heading("13. Андрій pays nothing: a reminder after the weekend, then the escalation");
  narrator.Say(
      "     the invoices are due on Saturday 02.01.2027, a day off: the reminder waits for "
      "Monday's working hours");
  for (auto moment = kSecondPays + hours(1); moment < kWednesday; moment += hours(1)) {
    advance_to(moment);
  }
  advance_to(kWednesday);
  std::ostringstream invoices;
  PrintInvoices(app.database(), InvoiceFilter::kAll, /*json=*/false, clock.Now(), 50, invoices);
  out << "$ planfix-flow invoices list\n" << invoices.str();

  // The outcomes, read back from the fakes and the database.
  const auto bot_messages = [&](std::int64_t to) {
    std::vector<std::string> texts;
    for (const auto& message : world.telegram.Messages(to)) {
      if (message.from_bot) texts.push_back(message.text);
    }
    return texts;
  };
  const auto has = [](const std::vector<std::string>& texts, std::string_view part) {
    return static_cast<std::size_t>(std::count_if(texts.begin(), texts.end(), [&](const auto& t) {
      return t.find(part) != std::string::npos;
    }));
  };
  const auto invoice_state = [&](const Retainer& retainer) -> std::string {
    const auto flow = app.database().GetFlow(workflow::InvoiceFlowKey(retainer.client.report_task));
    return flow ? flow->state : "none";
  };
  const auto paid_mark = [&](const Retainer& retainer) {
    const auto task = world.planfix.task(retainer.client.report_task);
    return task && task->custom_fields.count(216) && task->custom_fields.at(216) == json(true) &&
           task->status_id == kPaid;
  };
  const auto olena = bot_messages(retainers[0].client.chat);
  const auto petro = bot_messages(retainers[1].client.chat);
  const auto andriy = bot_messages(retainers[2].client.chat);
  const auto staff_messages = bot_messages(staff);
  bool reminded_on_monday = false;
  for (const auto& message : world.telegram.Messages(retainers[2].client.chat)) {
    if (message.from_bot && message.text.find("Нагадуємо") != std::string::npos)
      reminded_on_monday = message.received_at == kMonday;
  }
  bool created = true;
  for (const auto& retainer : retainers) created = created && retainer.client.report_task != 0;
  storage::JobFilter dead;
  dead.state = storage::JobState::kDead;
  bool ok = accepted;
  // Names each expected effect that is missing, so a failed demo says what failed.
  const auto expect = [&](bool observed, const std::string& what) {
    if (observed) return;
    ok = false;
    err << "demo: report & payment: missing: " << what << "\n";
  };
  expect(created, "a report task for each retainer client");
  expect(has(olena, "Рахунок №INV-2026-12-01") == 1, "Олена's report and invoice");
  expect(has(petro, "Рахунок №INV-2026-12-02") == 1, "Петро's report and invoice");
  expect(has(andriy, "Рахунок №INV-2026-12-03") == 1, "Андрій's report and invoice");
  for (const auto& retainer : retainers) {
    const auto messages = world.telegram.Messages(retainer.client.chat);
    expect(std::count_if(messages.begin(), messages.end(),
                         [](const sandbox::FakeMessage& message) {
                           return message.document_name == "Звіт грудень 2026.pdf";
                         }) == 1,
           retainer.name + "'s report PDF");
  }
  expect(invoice_state(retainers[0]) == "paid" && paid_mark(retainers[0]),
         "Олена's invoice paid, in the database and in Planfix");
  expect(has(olena, "Ми отримали оплату") == 1, "the thanks to Олена");
  expect(invoice_state(retainers[1]) == "paid" && paid_mark(retainers[1]),
         "Петро's invoice paid after the match by hand");
  expect(has(petro, "Ми отримали оплату") == 1, "the thanks to Петро");
  expect(has(staff_messages, "Надійшли кошти") == 2, "two \"money in\" in the staff chat");
  expect(has(staff_messages, "Платіж без рахунку") == 1, "one unmatched payment in the staff chat");
  expect(invoice_state(retainers[2]) == "open", "Андрій's invoice still open");
  expect(has(andriy, "Нагадуємо") == 1 && reminded_on_monday,
         "one reminder to Андрій, on Monday 09:00");
  expect(has(olena, "Нагадуємо") + has(petro, "Нагадуємо") == 0, "no reminder for a paid invoice");
  expect(has(staff_messages, "Рахунок не сплачено") == 1, "the escalation in the staff chat");
  const auto income = world.planfix.data_tag_entries(kIncomeTag);
  std::vector<std::string> income_amounts;
  for (const auto& entry : income) {
    if (const auto amount = entry.custom_fields.find(701); amount != entry.custom_fields.end())
      income_amounts.push_back(amount->second.dump());
  }
  std::sort(income_amounts.begin(), income_amounts.end());
  expect(income_amounts == std::vector<std::string>{"12500", "15000"},
         "one income entry for each payment the bank brought (15000 and 12500)");
  std::size_t digests_with_both = 0;
  std::size_t digests_overdue = 0;
  for (const auto& text : staff_messages) {
    if (text.find("Гроші: підсумок") == std::string::npos) continue;
    if (text.find("INV-2026-12-01") != std::string::npos &&
        text.find("INV-2026-12-02") != std::string::npos)
      ++digests_with_both;
    if (text.find("Прострочені рахунки") != std::string::npos &&
        text.find("INV-2026-12-03") != std::string::npos)
      ++digests_overdue;
  }
  expect(digests_with_both == 1, "the digest of 30.12 naming both payments");
  expect(digests_overdue >= 1, "a digest naming Андрій's overdue invoice");
  expect(app.database().ListJobs(dead).empty(), "no dead job");
  for (const sandbox::FakeServer* fake : std::initializer_list<const sandbox::FakeServer*>{
           &world.planfix, &world.telegram, &world.google, &world.bank}) {
    for (const auto& failure : fake->failures()) expect(false, "no refusal: " + failure);
  }
  app.Stop();
  if (clients != nullptr) {
    clients->clear();
    for (const auto& retainer : retainers) clients->push_back(retainer.client);
  }
  return ok;
}

}  // namespace planfix_flow::app
