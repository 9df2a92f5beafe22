// The monthly report & payment cycle end to end through the real App and the sandbox fakes:
// the month's run on its working day (retainer deals found in Planfix by template and checkbox),
// no duplicates across restarts and repeated runs, a missed run at start-up, and the PM's
// report.send (missing invoice fields or report file, then the report and invoice to the
// client, with the files the PM attached to the task as Telegram documents).
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/workflow/invoices.h"
#include "planfix_flow/workflow/report.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::minutes;

// Tuesday 2026-12-01 09:00 in Kyiv.
const core::TimePoint kDecember1 = core::FromUnixSeconds(1'796'108'400);
// Tuesday 2026-12-29 10:00 in Kyiv: the 3rd working day counted back from 31 December.
const core::TimePoint kRunDay = core::FromUnixSeconds(1'798'531'200);
// Saturday 2026-12-26 10:00 in Kyiv (a moved working day).
const core::TimePoint kMovedSaturday = core::FromUnixSeconds(1'798'272'000);
// Wednesday 2027-01-27 10:00 in Kyiv: January's run.
const core::TimePoint kJanuaryRun = core::FromUnixSeconds(1'801'036'800);
constexpr std::int64_t kDealTemplate = 401;
constexpr std::int64_t kReportTemplate = 402;
constexpr std::int64_t kRetainerField = 230;
constexpr std::int64_t kReturned = 123;
constexpr std::int64_t kReportSent = 124;
constexpr std::int64_t kChatA = 6001;
constexpr std::int64_t kChatB = 6002;

class ReportCycle : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kDecember1);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->config.server.planfix_dedupe_window_seconds = 1;
    world_->config.storage.path = (dir_.path() / "report.sqlite").string();
    world_->config.calendar.holidays.clear();
    world_->config.calendar.moved_working_days.clear();
    auto& invoices = world_->config.invoices;
    invoices.enabled = true;
    invoices.fields = {.number = 211, .amount = 212, .due_date = 214, .payment_details = 215};
    invoices.statuses = {.returned = kReturned};
    auto& report = world_->config.report;
    report.enabled = true;
    report.deal_template_id = kDealTemplate;
    report.retainer_field = kRetainerField;
    report.days_before_month_end = 3;
    report.time = "10:00";
    report.template_id = kReportTemplate;
    report.process_id = 1;  // the sandbox's process
    report.sent_status = kReportSent;
    auto& planfix = world_->planfix;
    planfix.DefineTaskField({211, "Номер рахунку", 0});
    planfix.DefineTaskField({212, "Сума рахунку", 1});
    planfix.DefineTaskField({214, "Строк оплати", 3});
    planfix.DefineTaskField({215, "Реквізити", 0});
    planfix.DefineTaskField({kRetainerField, "Щомісячний ретейнер", 7});
    planfix.DefineTaskTemplate(kDealTemplate, "Угода");
    planfix.DefineTaskTemplate(kReportTemplate, "Звіт і оплата");
    const auto& s = world_->config.planfix.statuses;
    planfix.DefineProcess(1, {{s.handed_to_production, "Передано у виробництво"},
                              {s.returned_to_sales, "Повернено продажам"},
                              {s.in_production, "У виробництві"},
                              {kReturned, "Рахунок повернено"},
                              {kReportSent, "Звіт надіслано"}});
    const auto a = world_->AddClient("Олена", "olena@example.com", "+380501112233", kChatA);
    const auto b = world_->AddClient("Петро", "petro@example.com", "+380501112244", kChatB);
    const auto c = world_->AddClient("Ірина", "iryna@example.com", "+380501112255", 6003);
    const auto d = world_->AddClient("Марко", "marko@example.com", "+380501112266", 6004);
    deal_a_ = Deal(a, kDealTemplate, true);
    deal_b_ = Deal(b, kDealTemplate, true);
    deal_c_ = Deal(c, kDealTemplate, false);  // not a retainer
    deal_d_ = Deal(d, 999, true);             // another template
    contact_a_ = a.contact;
    contact_b_ = b.contact;
  }

  void TearDown() override {
    EXPECT_TRUE(world_->planfix.failures().empty()) << world_->planfix.failures().front();
    EXPECT_TRUE(world_->telegram.failures().empty()) << world_->telegram.failures().front();
    if (app_) {
      storage::JobFilter dead;
      dead.state = storage::JobState::kDead;
      const auto jobs = app_->database().ListJobs(dead);
      EXPECT_TRUE(jobs.empty()) << jobs.front().last_error;
      app_->Stop();
    }
  }

  std::int64_t Deal(const SandboxClient& client, std::int64_t template_id, bool retainer) {
    const auto number = world_->AddDeal(client, 77, "SMM", 12000);
    auto deal = world_->planfix.task(number);
    deal->template_id = template_id;
    if (retainer) deal->custom_fields[kRetainerField] = true;
    world_->planfix.AddTask(*deal);
    return number;
  }

  void StartApp() {
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
    app_->RunUntilIdle();
  }
  void Restart() {
    app_->Stop();
    app_.reset();
    StartApp();
  }

  // The report tasks Planfix was asked to create.
  std::vector<json> Creates() const {
    std::vector<json> creates;
    for (const auto& write : world_->planfix.writes()) {
      if (write.path == "/rest/task/" && write.status == 201) creates.push_back(write.body);
    }
    return creates;
  }
  std::optional<std::int64_t> ReportTask(std::int64_t deal, const std::string& month) {
    const auto flow = app_->database().GetFlow(workflow::ReportFlowKey(deal, month));
    if (!flow) return std::nullopt;
    const json data = json::parse(flow->data);
    if (!data.contains("report_task")) return std::nullopt;
    return data["report_task"].get<std::int64_t>();
  }
  void Post(const json& body) {
    auto answer = world_->PostPlanfix(app_->port(), body);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }
  // The month's run made the report tasks; the PM fills deal A's invoice fields.
  std::int64_t ReportWithInvoiceFields() {
    clock_->Advance(kRunDay - clock_->Now());
    app_->RunUntilIdle();
    const auto report = ReportTask(deal_a_, "2026-12");
    EXPECT_TRUE(report);
    if (!report) return 0;
    auto task = world_->planfix.task(*report);
    task->custom_fields[211] = "INV-7";
    task->custom_fields[212] = 15000.5;
    task->custom_fields[214] = json{{"date", "08-01-2027"}};
    task->custom_fields[215] = "UA213223130000026007233566001";
    world_->planfix.AddTask(*task);
    return *report;
  }
  std::vector<sandbox::FakeMessage> Documents(std::int64_t chat) const {
    std::vector<sandbox::FakeMessage> documents;
    for (auto& message : world_->telegram.Messages(chat)) {
      if (!message.document.empty()) documents.push_back(std::move(message));
    }
    return documents;
  }
  void PressSend(std::int64_t report) {
    Post({{"event", "report.send"}, {"task", std::to_string(report)}});
  }
  // Lets the executor's retries come due, however far its back-off has gone.
  void RunRetries() {
    for (int i = 0; i < 6; ++i) {
      clock_->Advance(minutes(2));
      app_->RunUntilIdle();
    }
  }
  std::string Comments(std::int64_t task) const {
    std::string all;
    for (const auto& comment : world_->planfix.comments(task)) all += comment.description + "\n";
    return all;
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
  std::int64_t deal_a_ = 0, deal_b_ = 0, deal_c_ = 0, deal_d_ = 0;
  std::int64_t contact_a_ = 0, contact_b_ = 0;
};

TEST_F(ReportCycle, MonthsRunCreatesOneReportTaskPerRetainerClientOnItsWorkingDay) {
  StartApp();
  const auto timer = app_->database().GetTimer(workflow::kReportRunTimerKey);
  ASSERT_TRUE(timer);
  EXPECT_EQ(timer->due_at, kRunDay);
  clock_->Advance(kRunDay - minutes(1) - clock_->Now());
  app_->RunUntilIdle();
  EXPECT_TRUE(Creates().empty());

  clock_->Advance(minutes(1));
  app_->RunUntilIdle();
  const auto creates = Creates();
  ASSERT_EQ(creates.size(), 2u);
  std::set<std::string> counterparties;
  for (const auto& body : creates) {
    EXPECT_EQ(body["template"]["id"], kReportTemplate);
    EXPECT_EQ(body["project"]["id"], 77);
    EXPECT_EQ(body["assignees"]["users"][0]["id"], "user:7");
    EXPECT_NE(body["name"].get<std::string>().find("Звіт і оплата грудень 2026"),
              std::string::npos);
    counterparties.insert(body["counterparty"]["id"].get<std::string>());
  }
  EXPECT_EQ(counterparties, (std::set<std::string>{fmt::format("contact:{}", contact_a_),
                                                   fmt::format("contact:{}", contact_b_)}));
  const auto report_a = ReportTask(deal_a_, "2026-12");
  ASSERT_TRUE(report_a);
  EXPECT_NE(Comments(*report_a).find("Звіт і оплата за грудень 2026"), std::string::npos)
      << Comments(*report_a);
  // [time] is not configured: the summary says nothing about time.
  EXPECT_EQ(Comments(*report_a).find("час:"), std::string::npos) << Comments(*report_a);
  EXPECT_FALSE(app_->database().GetFlow(workflow::ReportFlowKey(deal_c_, "2026-12")));
  EXPECT_FALSE(app_->database().GetFlow(workflow::ReportFlowKey(deal_d_, "2026-12")));
  // The next run is January's.
  EXPECT_EQ(app_->database().GetTimer(workflow::kReportRunTimerKey)->due_at, kJanuaryRun);
}

TEST_F(ReportCycle, TheSummaryCommentGivesTheMonthsCommunicationAndProductionTime) {
  constexpr long long kTag = 50, kDate = 501, kDuration = 502, kEmployee = 503, kKind = 504;
  world_->planfix.DefineDataTag(kTag, "Фактичний час роботи",
                                {{kDate, "Дата", 3},
                                 {kDuration, "Хвилини", 1},
                                 {kEmployee, "Співробітник", 11},
                                 {kKind, "Вид роботи", 8, {"Комунікація", "Виробництво"}}});
  auto& config = world_->config;
  config.planfix.processes.deal = 1;
  auto& time = config.time;
  time.data_tag = kTag;
  time.fields = {.date = kDate, .duration = kDuration, .employee = kEmployee, .kind = kKind};
  time.classify.communication_kinds = {"Комунікація"};
  time.classify.production_kinds = {"Виробництво"};
  time.classify.communication_processes = {2};
  time.default_rate = "600.00";  // an unpriced employee's entries would not count
  const auto entry = [&](long long task, const std::string& date, long long worked,
                         const std::string& kind) {
    std::map<long long, json> fields{
        {kDate, {{"date", date}}}, {kDuration, worked}, {kEmployee, {{"id", "user:7"}}}};
    if (!kind.empty()) fields[kKind] = kind;
    world_->planfix.AddDataTagEntryDirectly(kTag, task, std::move(fields));
  };
  // Deal A: a call and work on the deal, and a chat on its Communication subtask.
  const auto subtask = world_->planfix.AddTask(
      {.id = 9101, .name = "Комунікація", .process_id = 2, .parent_id = deal_a_});
  entry(deal_a_, "03-12-2026", 30, "Комунікація");
  entry(deal_a_, "10-12-2026", 150, "Виробництво");
  entry(subtask, "11-12-2026", 65, "");             // communication by its process
  entry(deal_a_, "27-11-2026", 45, "Комунікація");  // November's: not December's
  StartApp();
  clock_->Advance(kRunDay - clock_->Now());
  app_->RunUntilIdle();

  const auto report_a = ReportTask(deal_a_, "2026-12");
  ASSERT_TRUE(report_a);
  EXPECT_NE(Comments(*report_a).find("час: комунікація 1 год 35 хв, виробництво 2 год 30 хв"),
            std::string::npos)
      << Comments(*report_a);
  // Deal B has no time recorded: zero, said as such.
  const auto report_b = ReportTask(deal_b_, "2026-12");
  ASSERT_TRUE(report_b);
  EXPECT_NE(Comments(*report_b).find("час: комунікація 0 год 00 хв, виробництво 0 год 00 хв"),
            std::string::npos)
      << Comments(*report_b);
}

TEST_F(ReportCycle, RunDayFollowsHolidaysAndMovedWorkingDays) {
  auto& calendar = world_->config.calendar;
  calendar.holidays = {{2026, 12, 29}, {2026, 12, 30}};
  calendar.moved_working_days = {{2026, 12, 26}};  // a Saturday
  StartApp();
  EXPECT_EQ(app_->database().GetTimer(workflow::kReportRunTimerKey)->due_at, kMovedSaturday);
  clock_->Advance(kMovedSaturday - clock_->Now());
  app_->RunUntilIdle();
  EXPECT_EQ(Creates().size(), 2u);
}

TEST_F(ReportCycle, RestartsAndRepeatedRunsCreateNoDuplicates) {
  StartApp();
  clock_->Advance(kRunDay - clock_->Now());
  app_->RunUntilIdle();
  ASSERT_EQ(Creates().size(), 2u);
  Restart();
  // The same month's run delivered again (as a timer would after a crash before its mark).
  storage::NewEvent again;
  again.source = plan::EventSource::kTimer;
  again.dedupe_key = "timer:again";
  again.kind = workflow::kEventReportRun;
  again.payload = json{{"month", "2026-12"}}.dump();
  again.received_at = clock_->Now();
  ASSERT_TRUE(app_->database().AppendEvent(again));
  app_->RunUntilIdle();
  Restart();
  EXPECT_EQ(Creates().size(), 2u);
  EXPECT_EQ(app_->database().GetTimer(workflow::kReportRunTimerKey)->due_at, kJanuaryRun);
}

TEST_F(ReportCycle, RestartInTheMiddleOfTheRunFinishesItWithoutDuplicates) {
  StartApp();
  // Planfix refuses for a while: the first create gets through, the second waits for a retry.
  world_->planfix.SetMinInterval(std::chrono::hours(1));
  clock_->Advance(kRunDay - clock_->Now());
  app_->RunUntilIdle();
  const auto during = Creates().size();
  EXPECT_LT(during, 2u);
  Restart();
  world_->planfix.SetMinInterval(std::chrono::milliseconds(0));
  clock_->Advance(std::chrono::hours(2));
  app_->RunUntilIdle();
  Restart();
  clock_->Advance(std::chrono::hours(2));
  app_->RunUntilIdle();
  EXPECT_EQ(Creates().size(), 2u);
  EXPECT_TRUE(ReportTask(deal_a_, "2026-12"));
  EXPECT_TRUE(ReportTask(deal_b_, "2026-12"));
}

TEST_F(ReportCycle, ACreateWhoseAnswerWasLostIsNotMadeTwice) {
  StartApp();
  // Planfix creates the first report task, but its answer never arrives (as when the service is
  // killed between the answer and the commit, or a proxy times out): the job is retried.
  world_->planfix.DropNext(1, "/rest/task/");
  clock_->Advance(kRunDay - clock_->Now());
  app_->RunUntilIdle();
  for (int i = 0; i < 6; ++i) {
    clock_->Advance(std::chrono::minutes(10));
    app_->RunUntilIdle();
  }
  EXPECT_EQ(Creates().size(), 2u);  // the lost one and the other deal's; no second task
  const auto report_a = ReportTask(deal_a_, "2026-12");
  const auto report_b = ReportTask(deal_b_, "2026-12");
  ASSERT_TRUE(report_a);
  ASSERT_TRUE(report_b);
  EXPECT_NE(*report_a, *report_b);
  // The task the lost answer named is the one the flow keeps, summarised once.
  for (const auto task : {*report_a, *report_b}) {
    EXPECT_EQ(world_->planfix.comments(task).size(), 1u) << task;
  }
}

TEST_F(ReportCycle, AMissedRunRunsOnceAtStartUp) {
  StartApp();
  app_->Stop();
  app_.reset();
  // Down over the run day.
  clock_->Advance(kRunDay + std::chrono::hours(26) - clock_->Now());
  StartApp();
  EXPECT_EQ(Creates().size(), 2u);
  Restart();
  EXPECT_EQ(Creates().size(), 2u);
  EXPECT_EQ(app_->database().GetTimer(workflow::kReportRunTimerKey)->due_at, kJanuaryRun);
}

TEST_F(ReportCycle, ReportSendWithAMissingFieldSendsTheTaskBackNamingIt) {
  StartApp();
  clock_->Advance(kRunDay - clock_->Now());
  app_->RunUntilIdle();
  const auto report = ReportTask(deal_a_, "2026-12");
  ASSERT_TRUE(report);
  auto task = world_->planfix.task(*report);
  task->custom_fields[211] = "INV-7";
  task->custom_fields[212] = 15000.5;
  world_->planfix.AddTask(*task);
  Post({{"event", "report.send"}, {"task", std::to_string(*report)}});
  EXPECT_EQ(world_->planfix.task(*report)->status_id, kReturned);
  EXPECT_NE(Comments(*report).find("строк оплати"), std::string::npos) << Comments(*report);
  EXPECT_TRUE(world_->telegram.Messages(kChatA).empty());
  EXPECT_FALSE(app_->database().GetFlow(workflow::InvoiceFlowKey(*report)));
}

TEST_F(ReportCycle, ReportSentStatusSendsReportAndInvoiceAndRegistersTheInvoice) {
  StartApp();
  clock_->Advance(kRunDay - clock_->Now());
  app_->RunUntilIdle();
  const auto report = ReportTask(deal_a_, "2026-12");
  ASSERT_TRUE(report);
  auto task = world_->planfix.task(*report);
  task->custom_fields[211] = "INV-7";
  task->custom_fields[212] = 15000.5;
  task->custom_fields[214] = json{{"date", "08-01-2027"}};
  task->custom_fields[215] = "UA213223130000026007233566001";
  task->status_id = kReportSent;
  world_->planfix.AddTask(*task);
  world_->planfix.AttachFile(*report, "report.pdf", "%PDF-1.7 report");
  Post({{"event", "task.status_changed"},
        {"task", std::to_string(*report)},
        {"status", std::to_string(kReportSent)}});
  const auto messages = world_->telegram.Messages(kChatA);
  ASSERT_EQ(messages.size(), 2u);  // the message, then the report file
  EXPECT_NE(messages[0].text.find("Рахунок №INV-7"), std::string::npos) << messages[0].text;
  EXPECT_NE(messages[0].text.find("15000.50 UAH"), std::string::npos) << messages[0].text;
  EXPECT_NE(messages[0].text.find("грудень 2026"), std::string::npos) << messages[0].text;
  EXPECT_NE(Comments(*report).find("надіслано клієнту"), std::string::npos) << Comments(*report);
  const auto invoice = app_->database().GetFlow(workflow::InvoiceFlowKey(*report));
  ASSERT_TRUE(invoice);
  EXPECT_EQ(invoice->state, "open");
  EXPECT_TRUE(app_->database().GetTimer(workflow::InvoiceReminderTimerKey(*report)));
  // The button afterwards: sent once.
  Post({{"event", "report.send"}, {"task", std::to_string(*report)}});
  EXPECT_EQ(world_->telegram.Messages(kChatA).size(), 2u);
}

TEST_F(ReportCycle, ReportSendSendsTheClientTheAttachedFilesWithTheirBytesAndNames) {
  StartApp();
  const auto report = ReportWithInvoiceFields();
  static constexpr char kPdf[] = "%PDF-1.7\n\0\x01\xff\r\n--boundary-lookalike\r\n%%EOF";
  const std::string pdf(kPdf, sizeof(kPdf) - 1);
  const auto report_file = world_->planfix.AttachFile(report, "Звіт грудень 2026.pdf", pdf);
  const auto act_file = world_->planfix.AttachFile(report, "Акт.pdf", "%PDF act",
                                                   sandbox::FakePlanfix::FileLocation::kComment);
  world_->planfix.AttachOnlineDocument(report, "Plan", "https://docs.google.com/document/d/1");
  PressSend(report);
  const auto messages = world_->telegram.Messages(kChatA);
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_NE(messages[0].text.find("Рахунок №INV-7"), std::string::npos) << messages[0].text;
  EXPECT_EQ(messages[1].document, pdf);
  EXPECT_EQ(messages[1].document_name, "Звіт грудень 2026.pdf");
  EXPECT_EQ(messages[2].document, "%PDF act");
  EXPECT_EQ(messages[2].document_name, "Акт.pdf");
  // The online document has no bytes to send; the comment names what went.
  EXPECT_NE(Comments(report).find("Файли звіту: Звіт грудень 2026.pdf, Акт.pdf."),
            std::string::npos)
      << Comments(report);
  const auto flow = app_->database().GetFlow(workflow::ReportTaskFlowKey(report));
  ASSERT_TRUE(flow);
  EXPECT_EQ(flow->state, "sent");
  EXPECT_EQ(json::parse(flow->data)["files"], json::array({report_file, act_file}));
}

TEST_F(ReportCycle, AFailedDownloadIsRetriedAndEachFileReachesTheClientOnceAcrossRestarts) {
  StartApp();
  const auto report = ReportWithInvoiceFields();
  world_->planfix.AttachFile(report, "report.pdf", "%PDF-1.7 report");
  world_->planfix.FailFileDownloads(2);  // the file storage behind Planfix answers 503 twice
  PressSend(report);
  EXPECT_EQ(world_->telegram.Messages(kChatA).size(), 1u);  // the message; the file is retried
  EXPECT_TRUE(Documents(kChatA).empty());
  Restart();
  RunRetries();
  auto documents = Documents(kChatA);
  ASSERT_EQ(documents.size(), 1u);
  EXPECT_EQ(documents[0].document, "%PDF-1.7 report");
  EXPECT_EQ(world_->planfix.file_downloads(), 1);
  // Pressed again, the status moved again, restarted: the file is not sent a second time.
  clock_->Advance(minutes(1));
  PressSend(report);
  Post({{"event", "task.status_changed"},
        {"task", std::to_string(report)},
        {"status", std::to_string(kReportSent)}});
  Restart();
  RunRetries();
  EXPECT_EQ(Documents(kChatA).size(), 1u);
  EXPECT_EQ(world_->telegram.Messages(kChatA).size(), 2u);
  EXPECT_EQ(world_->planfix.file_downloads(), 1);
}

TEST_F(ReportCycle, ReportSendWithoutAReportFileSendsTheTaskBackNamingIt) {
  StartApp();
  const auto report = ReportWithInvoiceFields();
  // An online document is no file the client can get.
  world_->planfix.AttachOnlineDocument(report, "Plan", "https://docs.google.com/document/d/1");
  PressSend(report);
  EXPECT_EQ(world_->planfix.task(report)->status_id, kReturned);
  EXPECT_NE(Comments(report).find("файл звіту (прикріпіть його до задачі)"), std::string::npos)
      << Comments(report);
  EXPECT_TRUE(world_->telegram.Messages(kChatA).empty());
  EXPECT_FALSE(app_->database().GetFlow(workflow::InvoiceFlowKey(report)));
  // Attached, pressed again: sent.
  world_->planfix.AttachFile(report, "report.pdf", "%PDF-1.7 report");
  clock_->Advance(minutes(1));
  PressSend(report);
  EXPECT_EQ(Documents(kChatA).size(), 1u);
  EXPECT_TRUE(app_->database().GetFlow(workflow::InvoiceFlowKey(report)));
}

TEST_F(ReportCycle, AReportFileOverTheCapIsNamedAndNothingIsSent) {
  StartApp();
  const auto report = ReportWithInvoiceFields();
  world_->planfix.AttachFile(report, "video.mp4", std::string(25'000'000, 'v'));
  PressSend(report);
  EXPECT_EQ(world_->planfix.task(report)->status_id, kReturned);
  EXPECT_NE(Comments(report).find("файл звіту «video.mp4» до 20 МБ (зараз 25.0 МБ"),
            std::string::npos)
      << Comments(report);
  EXPECT_TRUE(world_->telegram.Messages(kChatA).empty());
  EXPECT_EQ(world_->planfix.file_downloads(), 0);
}

}  // namespace
}  // namespace planfix_flow::app
