#include "planfix_flow/workflow/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "planfix_flow/core/money.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/workflow/invoices.h"
#include "planfix_flow/workflow/production.h"
#include "rule_support.h"

namespace planfix_flow::workflow {

using core::ErrorCode;
using core::Fail;
using core::Result;
using detail::EventKey;
using nlohmann::json;

namespace {

constexpr std::size_t kSummaryFlows = 50;

std::string Label(const RuleContext& context, const char* uk, const char* en) {
  return context.config->templates.default_language == "en" ? en : uk;
}

plan::Plan Skip(std::string summary) {
  plan::Plan plan;
  plan.summary = std::move(summary);
  return plan;
}

struct YearMonth {
  int year = 0;
  unsigned month = 0;
};

std::optional<YearMonth> ParseMonth(std::string_view text) {
  if (text.size() != 7 || text[4] != '-') return std::nullopt;
  auto date = calendar::ParseLocalDate(fmt::format("{}-01", text));
  if (!date) return std::nullopt;
  return YearMonth{date->year, date->month};
}

unsigned DaysIn(int year, unsigned month) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

// "грудень 2026" / "December 2026": the month as people read it, in `language`.
std::string MonthName(std::string_view month, std::string_view language) {
  static constexpr const char* kUk[] = {"січень",   "лютий",   "березень", "квітень",
                                        "травень",  "червень", "липень",   "серпень",
                                        "вересень", "жовтень", "листопад", "грудень"};
  static constexpr const char* kEn[] = {"January",   "February", "March",    "April",
                                        "May",       "June",     "July",     "August",
                                        "September", "October",  "November", "December"};
  const auto parsed = ParseMonth(month);
  if (!parsed) return std::string(month);
  const auto* names = language == "en" ? kEn : kUk;
  return fmt::format("{} {}", names[parsed->month - 1], parsed->year);
}

std::string Lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + ("• " + line);
  return out;
}

// The PM: planfix.pm_user, else the deal's first assigned employee.
std::string PmOf(const TaskFacts& deal, const RuleContext& context) {
  if (!context.config->planfix.pm_user.empty()) return context.config->planfix.pm_user;
  for (const auto& assignee : deal.assignees) {
    if (assignee.rfind("user:", 0) == 0) return assignee;
  }
  return {};
}

// The month's work the report flow recorded at the run, when time is tracked.
std::optional<WorkMinutes> TimeOf(const std::optional<plan::Flow>& report) {
  if (!report) return std::nullopt;
  const json data = json::parse(report->data, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object() || !data.contains("time") || !data["time"].is_object()) return std::nullopt;
  const auto communication = detail::OptionalInt(data["time"], "communication");
  const auto production = detail::OptionalInt(data["time"], "production");
  if (!communication || !production) return std::nullopt;
  return WorkMinutes{*communication, *production};
}

std::vector<std::string> SummaryOf(const std::optional<plan::Flow>& report) {
  std::vector<std::string> lines;
  if (!report) return lines;
  const json data = json::parse(report->data, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object() || !data.contains("summary") || !data["summary"].is_array()) return lines;
  for (const auto& line : data["summary"]) {
    if (line.is_string()) lines.push_back(line.get<std::string>());
  }
  return lines;
}

bool English(const RuleContext& context) {
  return context.config->templates.default_language == "en";
}

// "25.3": bytes as megabytes (10^6) with one decimal, without floating point.
std::string Megabytes(std::int64_t bytes) {
  const std::int64_t tenths = (bytes + 50'000) / 100'000;
  return fmt::format("{}.{}", tenths / 10, tenths % 10);
}

// The report's files: what the PM attached that can be sent (online documents have no bytes,
// empty files Telegram refuses: both are passed over) and what keeps them from going, in the
// default language, for the comment that sends the task back.
struct ReportAttachments {
  std::vector<planfix::TaskFile> files;
  std::vector<std::string> problems;
};

ReportAttachments ReadReportFiles(const std::vector<planfix::TaskFile>& listed,
                                  const RuleContext& context) {
  ReportAttachments read;
  for (const auto& file : listed) {
    if (!file.link.empty() || file.size <= 0) continue;
    if (file.size > kMaxReportFileBytes) {
      read.problems.push_back(
          English(context)
              ? fmt::format("the report file \"{}\" within {} MB (it is {} MB: compress or split "
                            "it)",
                            file.name, kMaxReportFileBytes / 1'000'000, Megabytes(file.size))
              : fmt::format("файл звіту «{}» до {} МБ (зараз {} МБ: стисніть або розділіть його)",
                            file.name, kMaxReportFileBytes / 1'000'000, Megabytes(file.size)));
      continue;
    }
    read.files.push_back(file);
  }
  if (read.files.size() > kMaxReportFiles) {
    read.problems.push_back(English(context)
                                ? fmt::format("at most {} files on the task (there are {})",
                                              kMaxReportFiles, read.files.size())
                                : fmt::format("не більше {} файлів у задачі (зараз {})",
                                              kMaxReportFiles, read.files.size()));
  }
  if (read.files.empty() && read.problems.empty()) {
    read.problems.push_back(Label(context, "файл звіту (прикріпіть його до задачі)",
                                  "the report file (attach it to the task)"));
  }
  return read;
}

// The name the client sees: Planfix's, with what a multipart header cannot carry (a quote,
// CR, LF) replaced.
std::string DocumentName(const planfix::TaskFile& file) {
  std::string name = file.name;
  for (char& ch : name) {
    if (ch == '"') ch = '\'';
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  if (name.find_first_not_of(' ') == std::string::npos) name = fmt::format("file-{}", file.id);
  return name;
}

// What is missing sends the task back, as invoice.issued does: to invoices.statuses.returned,
// with a comment naming it for the assigner.
Result<plan::Plan> SendBack(const plan::StoredEvent& event, const TaskFacts& task,
                            const std::vector<std::string>& missing, const RuleContext& context) {
  std::string joined;
  for (const auto& part : missing) joined += (joined.empty() ? "" : ", ") + part;
  auto comment = detail::Render(context, "comment_invoice_incomplete", {{"missing", joined}});
  if (!comment) return Fail(comment.error());
  plan::Plan plan;
  const auto back = context.config->invoices.statuses.returned;
  if (back > 0 && task.status != back)
    plan.effects.push_back(detail::TaskStatus(task.number, back, EventKey(event, "status")));
  plan::PlanfixAddComment note{task.number, *comment, {}};
  if (!task.assigner.empty()) note.recipients.push_back(task.assigner);
  plan.effects.push_back(plan::MakeEffect(note, "planfix", EventKey(event, "comment")));
  plan.summary = fmt::format("report of task {} not sent: {} missing", task.number, missing.size());
  return plan;
}

}  // namespace

std::string ReportTimeLine(const WorkMinutes& time, const RuleContext& context) {
  const auto duration = [&](std::int64_t minutes) {
    return fmt::format("{} {} {:02} {}", minutes / 60, Label(context, "год", "h"), minutes % 60,
                       Label(context, "хв", "min"));
  };
  return fmt::format("{}: {} {}, {} {}", Label(context, "час", "time"),
                     Label(context, "комунікація", "communication"), duration(time.communication),
                     Label(context, "виробництво", "production"), duration(time.production));
}

std::string ReportMonth(const calendar::LocalDate& date) {
  return fmt::format("{:04}-{:02}", date.year, date.month);
}

std::string ReportFlowKey(std::int64_t deal, std::string_view month) {
  return fmt::format("report:{}:{}", deal, month);
}

std::string ReportTaskFlowKey(std::int64_t task) { return fmt::format("report.task:{}", task); }

std::string ReportMonthFlowKey(std::string_view month) {
  return fmt::format("report.month:{}", month);
}

std::string NextMonth(std::string_view month) {
  const auto parsed = ParseMonth(month);
  if (!parsed) return std::string(month);
  return parsed->month == 12 ? fmt::format("{:04}-01", parsed->year + 1)
                             : fmt::format("{:04}-{:02}", parsed->year, parsed->month + 1);
}

std::optional<calendar::LocalDate> ReportRunDay(const calendar::WorkCalendar& calendar, int year,
                                                unsigned month, int days_before) {
  int counted = 0;
  for (unsigned day = DaysIn(year, month); day >= 1; --day) {
    const calendar::LocalDate date{year, month, day};
    if (calendar.IsWorkingDay(date) && ++counted == days_before) return date;
  }
  return std::nullopt;
}

ReportRunAt ReportRunOf(const calendar::WorkCalendar& calendar, const config::ReportConfig& report,
                        std::string_view month) {
  auto time = calendar::ParseLocalTime(report.time);
  const calendar::LocalTime at = time ? *time : calendar::LocalTime{10 * 60};
  std::string current(month);
  // A year of months without a run day would be a calendar nobody works by; the validator
  // keeps days_before_month_end small enough that this ends at once in practice.
  for (int tries = 0; tries < 12; ++tries) {
    const auto parsed = ParseMonth(current);
    if (!parsed) break;
    if (auto day =
            ReportRunDay(calendar, parsed->year, parsed->month, report.days_before_month_end)) {
      return ReportRunAt{calendar.ToMoment(*day, at), current};
    }
    current = NextMonth(current);
  }
  throw std::logic_error(fmt::format("no report run day within a year of {}", month));
}

Result<plan::Plan> DecideReportSchedule(const plan::StoredEvent& event,
                                        const std::optional<plan::Flow>& month_run,
                                        const RuleContext& context, core::TimePoint now) {
  (void)event;
  const auto& report = context.config->report;
  const std::string this_month = ReportMonth(context.calendar->ToLocalDate(now));
  auto run = ReportRunOf(*context.calendar, report, this_month);
  if (month_run || run.at < now)
    run = ReportRunOf(*context.calendar, report, NextMonth(this_month));
  plan::Plan plan;
  plan.timers.push_back(plan::TimerChange{plan::TimerAction::kSet, kReportRunTimerKey,
                                          kEventReportRun, run.at,
                                          json{{"month", run.month}}.dump()});
  plan.summary = fmt::format("monthly report for {} scheduled at {}", run.month,
                             context.calendar->FormatLocal(run.at));
  return plan;
}

std::vector<std::string> ReportSummary(const std::vector<plan::Flow>& flows, core::TimePoint from,
                                       core::TimePoint to, const RuleContext& context) {
  std::vector<std::string> lines;
  const auto& config = *context.config;
  // Oldest first (a copy: clang-tidy's parser cannot read libstdc++'s reverse_view).
  const std::vector<plan::Flow> oldest_first(flows.rbegin(), flows.rend());
  for (const auto& flow : oldest_first) {
    if (flow.updated_at < from || flow.updated_at >= to) continue;
    const json data = json::parse(flow.data, nullptr, /*allow_exceptions=*/false);
    if (flow.kind == "stage") {
      const auto status = data.is_object() ? detail::OptionalInt(data, "status") : std::nullopt;
      std::string name = status ? std::to_string(*status) : std::string("?");
      for (const auto& stage : config.stages) {
        if (status && stage.status == *status) name = stage.name;
      }
      lines.push_back(fmt::format("{}: {} (#{})", Label(context, "етап", "stage"), name,
                                  flow.task.value_or(0)));
    } else if (flow.kind == "approval") {
      lines.push_back(fmt::format("{}: {} (#{})", Label(context, "погодження", "approval"),
                                  flow.state == "approved" ? Label(context, "погоджено", "approved")
                                  : flow.state == "rework"
                                      ? Label(context, "правки", "changes requested")
                                      : Label(context, "очікує", "awaiting the client"),
                                  flow.task.value_or(0)));
    } else if (flow.kind == "brief") {
      lines.push_back(fmt::format("{}: {}", Label(context, "бриф", "brief"), flow.state));
    } else if (flow.kind == "gate" && flow.state == "passed") {
      lines.push_back(fmt::format("{} (#{})", Label(context, "роботу розпочато", "work started"),
                                  flow.task.value_or(0)));
    } else if (flow.kind == "invoice") {
      lines.push_back(fmt::format("{}: {}", Label(context, "рахунок", "invoice"), flow.state));
    }
  }
  return lines;
}

Result<plan::Plan> DecideReportRun(const plan::StoredEvent& event, std::string_view month,
                                   const std::vector<RetainerDeal>& deals,
                                   const RuleContext& context) {
  (void)event;
  const auto& report = context.config->report;
  plan::Plan plan;
  int created = 0;
  std::vector<std::int64_t> skipped;  // no client contact
  for (const auto& retainer : deals) {
    const TaskFacts& deal = retainer.deal;
    if (retainer.report_exists) continue;
    if (!deal.contact) {
      skipped.push_back(deal.number);
      continue;
    }
    const std::string key = ReportFlowKey(deal.number, month);
    plan::PlanfixCreateTask create;
    create.name =
        fmt::format("{} {}: {}", Label(context, "Звіт і оплата", "Report & payment"),
                    MonthName(month, context.config->templates.default_language), deal.name);
    create.description =
        fmt::format("{} #{} «{}»", Label(context, "Угода", "Deal"), deal.number, deal.name);
    create.template_id = report.template_id;
    if (report.process_id > 0) create.process_id = report.process_id;
    if (deal.project) create.project_id = *deal.project;
    create.counterparty = fmt::format("contact:{}", *deal.contact);
    if (const auto pm = PmOf(deal, context); !pm.empty()) create.assignees.push_back(pm);
    create.report = key;
    // Keyed by deal and month, not by event: the schedule's run, a retry and a restart all
    // plan the same job, and the outbox keeps one.
    plan.effects.push_back(plan::MakeEffect(create, "planfix", key + ":create"));
    json data{{"deal", deal.number}, {"month", month}, {"summary", retainer.summary}};
    if (retainer.time) {
      data["time"] = {{"communication", retainer.time->communication},
                      {"production", retainer.time->production}};
    }
    plan.flows.push_back(
        plan::FlowChange{key, "report", deal.number, deal.contact, "creating", data.dump()});
    ++created;
  }
  plan.flows.push_back(plan::FlowChange{ReportMonthFlowKey(month), "report.month", std::nullopt,
                                        std::nullopt, "run",
                                        json{{"created", created}, {"skipped", skipped}}.dump()});
  const auto next = ReportRunOf(*context.calendar, report, NextMonth(month));
  plan.timers.push_back(plan::TimerChange{plan::TimerAction::kSet, kReportRunTimerKey,
                                          kEventReportRun, next.at,
                                          json{{"month", next.month}}.dump()});
  plan.summary =
      fmt::format("monthly report {}: {} task(s) to create of {} retainer deal(s){}", month,
                  created, deals.size(),
                  skipped.empty() ? std::string()
                                  : fmt::format(", {} without a client contact", skipped.size()));
  return plan;
}

Result<plan::Plan> DecideReportCreated(const plan::StoredEvent& event,
                                       const std::optional<plan::Flow>& report,
                                       const RuleContext& context) {
  auto payload = detail::ParsePayload(event);
  if (!payload) return Fail(payload.error());
  const json request = payload->value("payload", json::object());
  const json result = payload->value("result", json::object());
  auto created = detail::IdField(result, "task");
  if (!created || !report) return Skip("report task created without its flow: nothing to do");
  const json data = json::parse(report->data, nullptr, /*allow_exceptions=*/false);
  const std::string month = data.is_object() ? data.value("month", std::string()) : std::string();
  auto lines = SummaryOf(report);
  if (const auto time = TimeOf(report)) lines.push_back(ReportTimeLine(*time, context));
  auto comment =
      detail::Render(context, "comment_report_month",
                     {{"month", MonthName(month, context.config->templates.default_language)},
                      {"summary", Lines(lines)},
                      {"deal_number", std::to_string(report->task.value_or(0))}});
  if (!comment) return Fail(comment.error());
  plan::Plan plan;
  plan.effects.push_back(detail::TaskComment(*created, *comment, EventKey(event, "summary")));
  // The second half of the month's run (its creates came from the run's timer): bulk too.
  plan.effects.back().priority = plan::EffectPriority::kBulk;
  json updated = data.is_object() ? data : json::object();
  updated["report_task"] = *created;
  plan.flows.push_back(plan::FlowChange{report->key, "report", std::nullopt, std::nullopt,
                                        "created", updated.dump()});
  plan.flows.push_back(plan::FlowChange{ReportTaskFlowKey(*created), "report.task", *created,
                                        report->contact, "created",
                                        json{{"flow", report->key}, {"month", month}}.dump()});
  plan.summary = fmt::format("report task {} created for {}", *created, report->key);
  return plan;
}

Result<plan::Plan> DecideReportSend(const plan::StoredEvent& event, const TaskFacts& task,
                                    const std::vector<planfix::TaskFile>& files,
                                    const std::optional<ContactFacts>& client,
                                    const std::optional<plan::Flow>& task_flow,
                                    const std::optional<plan::Flow>& report,
                                    const std::optional<plan::Flow>& invoice,
                                    const RuleContext& context, core::TimePoint now) {
  if (task_flow && task_flow->state == "sent")
    return Skip(fmt::format("report of task {} already sent", task.number));
  const auto read = ReadInvoiceFields(task, context);
  const auto attachments = ReadReportFiles(files, context);
  // Missing fields or no report file: the task goes back naming them all, as invoice.issued
  // does for its fields.
  if (!read.fields || !attachments.problems.empty()) {
    auto missing = read.missing;
    missing.insert(missing.end(), attachments.problems.begin(), attachments.problems.end());
    return SendBack(event, task, missing, context);
  }
  auto plan = DecideInvoiceIssued(event, task, client, invoice, context, now);
  if (!plan) return Fail(plan.error());
  const InvoiceFields& fields = *read.fields;
  std::string month;
  if (task_flow) {
    const json data = json::parse(task_flow->data, nullptr, /*allow_exceptions=*/false);
    if (data.is_object()) month = data.value("month", std::string());
  }
  if (month.empty()) month = ReportMonth(context.calendar->ToLocalDate(now));
  const std::string client_name = client ? client->name : std::string();
  Result<std::string> comment = std::string();
  std::string sent_files;
  if (client && client->telegram_chat_id) {
    const auto language = detail::ClientLanguage(context, client->language);
    auto message = detail::RenderFor(context, language, "report_and_invoice",
                                     {{"client_name", client_name},
                                      {"month", MonthName(month, language)},
                                      {"summary", Lines(SummaryOf(report))},
                                      {"invoice_number", fields.number},
                                      {"amount", core::FormatMoney(fields.amount_minor)},
                                      {"currency", fields.currency},
                                      {"due_date", fields.due_date},
                                      {"payment_details", fields.payment_details}});
    if (!message) return Fail(message.error());
    const detail::ClientReport about{task.number, client->id, client_name};
    plan->effects.push_back(detail::ClientMessage(*client->telegram_chat_id, *message,
                                                  EventKey(event, "report"), about));
    // Each file its own job after the message, keyed by task and file: however often the
    // event is retried or the service restarted, a file goes to the client once.
    for (const auto& file : attachments.files) {
      plan->effects.push_back(plan::MakeEffect(
          plan::TelegramSendPlanfixFile{*client->telegram_chat_id, file.id, DocumentName(file),
                                        file.size, std::string(), about},
          fmt::format("telegram:chat:{}", *client->telegram_chat_id),
          fmt::format("report.file:{}:{}", task.number, file.id)));
      sent_files += (sent_files.empty() ? "" : ", ") + DocumentName(file);
    }
    comment =
        detail::Render(context, "comment_report_sent",
                       {{"client_name", client_name},
                        {"month", MonthName(month, context.config->templates.default_language)},
                        {"invoice_number", fields.number},
                        {"files", sent_files}});
  } else {
    comment = detail::Render(
        context, "comment_delivery_failed",
        {{"client_name", client_name},
         {"reason", Label(context,
                          "у клієнта немає підключеного Telegram-чату (звіт і рахунок не "
                          "надіслано)",
                          "the client has no bound Telegram chat (report and invoice not sent)")}});
  }
  if (!comment) return Fail(comment.error());
  plan->effects.push_back(
      detail::TaskComment(task.number, *comment, EventKey(event, "report_comment")));
  const bool delivered = client && client->telegram_chat_id;
  json files_sent = json::array();
  for (const auto& file : attachments.files) files_sent.push_back(file.id);
  if (delivered) {
    plan->flows.push_back(plan::FlowChange{
        ReportTaskFlowKey(task.number), "report.task", task.number,
        client ? std::optional(client->id) : std::nullopt, "sent",
        json{
            {"flow", report ? report->key : std::string()}, {"month", month}, {"files", files_sent}}
            .dump()});
    if (report) {
      plan->flows.push_back(plan::FlowChange{report->key, "report", std::nullopt, std::nullopt,
                                             "sent", report->data});
    }
  }
  plan->summary = fmt::format(
      "report of task {} {}; {}", task.number,
      delivered ? fmt::format("sent to the client with {} file(s)", attachments.files.size())
                : std::string("not sent (no Telegram chat)"),
      plan->summary);
  return plan;
}

std::optional<Result<plan::Plan>> HandleReportEvent(const plan::StoredEvent& event,
                                                    FactSource& facts, const RuleContext& context,
                                                    core::TimePoint now) {
  const auto& report = context.config->report;
  if (!report.enabled) return std::nullopt;
  if (event.kind == kEventReportSchedule) {
    if (event.source != plan::EventSource::kInternal)
      return Skip("ignored: report.schedule from another source than the service");
    const std::string month = ReportMonth(context.calendar->ToLocalDate(now));
    return DecideReportSchedule(event, facts.GetFlow(ReportMonthFlowKey(month)), context, now);
  }
  if (event.kind == kEventReportRun) {
    if (event.source != plan::EventSource::kTimer)
      return Skip("ignored: report.run from another source than a timer");
    auto payload = detail::ParsePayload(event);
    if (!payload) return Fail(payload.error());
    const std::string month = payload->value("month", std::string());
    if (!ParseMonth(month)) return Skip("ignored: report.run without a month");
    auto deals = facts.TasksWithCheckbox(report.deal_template_id, report.retainer_field);
    if (!deals) return Fail(deals.error());
    const auto parsed = ParseMonth(month);
    const auto from = context.calendar->ToMoment({parsed->year, parsed->month, 1}, {0});
    const auto next = ParseMonth(NextMonth(month));
    const auto to = context.calendar->ToMoment({next->year, next->month, 1}, {0});
    // Read once for every deal of the run.
    const auto work = facts.MonthWorkMinutes(month);
    const auto add_work = [&work](std::int64_t task, WorkMinutes& sum) {
      const auto it = work->find(task);
      if (it == work->end()) return;
      sum.communication += it->second.communication;
      sum.production += it->second.production;
    };
    std::vector<RetainerDeal> retainers;
    for (auto& deal : *deals) {
      RetainerDeal retainer;
      retainer.report_exists = facts.GetFlow(ReportFlowKey(deal.number, month)).has_value();
      if (!retainer.report_exists) {
        auto flows = facts.FlowsForTask(deal.number, kSummaryFlows);
        if (work) {
          retainer.time = WorkMinutes{};
          add_work(deal.number, *retainer.time);
        }
        // The production work happens in the Communication task the handoff created.
        if (auto handoff = facts.GetFlow(fmt::format("handoff:task:{}", deal.number))) {
          const json data = json::parse(handoff->data, nullptr, /*allow_exceptions=*/false);
          if (auto communication = data.is_object()
                                       ? detail::OptionalInt(data, "communication_task")
                                       : std::nullopt) {
            // Its time counts once: under the deal when it is the deal's subtask, else here.
            if (work && *communication != deal.number) add_work(*communication, *retainer.time);
            auto more = facts.FlowsForTask(*communication, kSummaryFlows);
            flows.insert(flows.end(), more.begin(), more.end());
            std::sort(flows.begin(), flows.end(), [](const plan::Flow& a, const plan::Flow& b) {
              return a.updated_at > b.updated_at;
            });
          }
        }
        retainer.summary = ReportSummary(flows, from, to, context);
      }
      retainer.deal = std::move(deal);
      retainers.push_back(std::move(retainer));
    }
    return DecideReportRun(event, month, retainers, context);
  }
  if (event.kind == kEventTaskCreated) {
    auto payload = detail::ParsePayload(event);
    if (!payload) return std::nullopt;
    const json request = payload->value("payload", json::object());
    if (!request.is_object() || !request.contains("report") || !request["report"].is_string())
      return std::nullopt;
    return DecideReportCreated(event, facts.GetFlow(request["report"].get<std::string>()), context);
  }
  const bool status_event = event.kind == kEventStatusChanged;
  if (!status_event && event.kind != kEventReportSend) return std::nullopt;
  auto payload = detail::ParsePayload(event);
  if (!payload) {
    if (status_event) return std::nullopt;
    return Skip(fmt::format("ignored: {}", payload.error().message));
  }
  if (status_event) {
    auto status = detail::IdField(*payload, "status");  // Planfix sends ids as text
    if (report.sent_status <= 0 || !status || *status != report.sent_status) return std::nullopt;
  }
  auto number = detail::IdField(*payload, "task");
  if (!number) return Skip(fmt::format("ignored: {}", number.error().message));
  auto task = facts.GetTask(*number);
  if (!task) {
    if (task.error().code == ErrorCode::kNotFound) return Skip("ignored: unknown task");
    return Fail(task.error());
  }
  std::optional<ContactFacts> client;
  if (task->contact) {
    auto contact = facts.GetContact(*task->contact);
    if (contact) {
      client = std::move(*contact);
    } else if (contact.error().code != ErrorCode::kNotFound) {
      return Fail(contact.error());
    }
  }
  const auto task_flow = facts.GetFlow(ReportTaskFlowKey(*number));
  std::vector<planfix::TaskFile> files;
  if (!task_flow || task_flow->state != "sent") {
    auto listed = facts.TaskFiles(*number);
    if (!listed) return Fail(listed.error());
    files = std::move(*listed);
  }
  std::optional<plan::Flow> report_flow;
  if (task_flow) {
    const json data = json::parse(task_flow->data, nullptr, /*allow_exceptions=*/false);
    if (data.is_object() && data.contains("flow") && data["flow"].is_string())
      report_flow = facts.GetFlow(data["flow"].get<std::string>());
  }
  return DecideReportSend(event, *task, files, client, task_flow, report_flow,
                          facts.GetFlow(InvoiceFlowKey(*number)), context, now);
}

}  // namespace planfix_flow::workflow
