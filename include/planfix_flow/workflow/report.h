// The monthly report & payment cycle (issue 13, section 1): on a configured working day near the
// month's end, one "Report & payment <month>" task per retainer client (deal tasks of a template
// with the retainer checkbox ticked, found in Planfix), commented with what the service recorded
// that month; when the PM sends it (button report.send or the configured status) the invoice
// fields are checked, the client gets the report and the invoice, and the invoice is registered
// as invoice.issued registers it (invoices.h). Every Decide function is pure.
//
// Flow rows it keeps (storage "flows"):
//   report:<deal>:<YYYY-MM>  the month's report for a deal; state creating | created | sent;
//                            data {deal, month, summary [lines], time? {communication,
//                            production} (minutes), report_task?}
//   report.task:<N>          the report task N; state created | sent; data {flow, month,
//                            files? [Planfix file ids sent]}
//   report.month:<YYYY-MM>   the month's run happened; data {created, skipped}
// Timer: report.run (one, payload {month}); the run sets the next month's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/workflow/facts.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::workflow {

inline constexpr char kEventReportSchedule[] = "report.schedule";  // internal, at start-up
inline constexpr char kEventReportRun[] = "report.run";            // timer {month}
inline constexpr char kEventReportSend[] = "report.send";          // Planfix button {task}
inline constexpr char kReportRunTimerKey[] = "report.run";

std::string ReportMonth(const calendar::LocalDate& date);  // "2026-12"
std::string ReportFlowKey(std::int64_t deal, std::string_view month);
std::string ReportTaskFlowKey(std::int64_t task);
std::string ReportMonthFlowKey(std::string_view month);

// The run day of a month: the `days_before`-th working day counted back from its last day
// (1: the last working day). nullopt when the month has fewer working days.
std::optional<calendar::LocalDate> ReportRunDay(const calendar::WorkCalendar& calendar, int year,
                                                unsigned month, int days_before);

struct ReportRunAt {
  core::TimePoint at;
  std::string month;  // "YYYY-MM"
};
// The run of the month `month` ("YYYY-MM") at report.time on its run day; a month without a
// run day (every day a holiday) gives the next month's.
ReportRunAt ReportRunOf(const calendar::WorkCalendar& calendar, const config::ReportConfig& report,
                        std::string_view month);
// The month after "YYYY-MM".
std::string NextMonth(std::string_view month);

// report.schedule: the timer for this month's run when it is still ahead (and the month has not
// run), else next month's. `month_run`: the flow report.month:<this month>.
core::Result<plan::Plan> DecideReportSchedule(const plan::StoredEvent& event,
                                              const std::optional<plan::Flow>& month_run,
                                              const RuleContext& context, core::TimePoint now);

// A retainer deal as the run sees it: the deal, whether its report for the month exists, and
// what the service recorded about it this month (lines for the comment).
struct RetainerDeal {
  TaskFacts deal;
  bool report_exists = false;
  std::vector<std::string> summary;
  // The month's recorded work on the deal and its Communication task; nullopt when time is
  // not tracked. Only the task comment shows it, never the client's message.
  std::optional<WorkMinutes> time;
};

// The comment's line about the month's work: "час: комунікація 4 год 05 хв, виробництво
// 12 год 30 хв" (English: "time: communication 4 h 05 min, production 12 h 30 min").
std::string ReportTimeLine(const WorkMinutes& time, const RuleContext& context);

// report.run: one create_task per deal without a report for the month (idempotency key
// report:<deal>:<month>:create, so no run, retry or restart makes two), the month's record and
// the next month's timer.
core::Result<plan::Plan> DecideReportRun(const plan::StoredEvent& event, std::string_view month,
                                         const std::vector<RetainerDeal>& deals,
                                         const RuleContext& context);

// What the service recorded about a task in the month [from, to): readable lines from its
// flows (stages reached, approvals, the brief, the gate).
std::vector<std::string> ReportSummary(const std::vector<plan::Flow>& flows, core::TimePoint from,
                                       core::TimePoint to, const RuleContext& context);

// task.created for a report task: the summary comment on it and the lookup flow.
core::Result<plan::Plan> DecideReportCreated(const plan::StoredEvent& event,
                                             const std::optional<plan::Flow>& report,
                                             const RuleContext& context);

// The report files report.send sends: each at most kMaxReportFileBytes (the bot can upload
// 50 MB, but the file is held in memory while it goes; a report is a PDF of a few MB), at
// most kMaxReportFiles of them.
inline constexpr std::int64_t kMaxReportFileBytes = 20'000'000;
inline constexpr std::size_t kMaxReportFiles = 10;

// report.send (or report.sent_status): missing invoice fields or no report file (`files`: the
// task's, GET /task/{id}/files; online documents and empty files do not count) send the task
// back naming them all (as invoice.issued does for its fields); otherwise the client gets
// report_and_invoice and then every file as a document (telegram.send_planfix_file, one job
// per file keyed report.file:<task>:<file>), the task a comment naming the files, and the
// invoice is registered. Sent once per task (`sent`: the flow report.task:<N>, whose data
// keeps the file ids).
core::Result<plan::Plan> DecideReportSend(const plan::StoredEvent& event, const TaskFacts& task,
                                          const std::vector<planfix::TaskFile>& files,
                                          const std::optional<ContactFacts>& client,
                                          const std::optional<plan::Flow>& task_flow,
                                          const std::optional<plan::Flow>& report,
                                          const std::optional<plan::Flow>& invoice,
                                          const RuleContext& context, core::TimePoint now);

// The report rules' part of the dispatch; nullopt for other events and while report.enabled
// is false.
std::optional<core::Result<plan::Plan>> HandleReportEvent(const plan::StoredEvent& event,
                                                          FactSource& facts,
                                                          const RuleContext& context,
                                                          core::TimePoint now);

}  // namespace planfix_flow::workflow
