// The rules of communication time and its cost, as pure data in and out: which entries are
// communication and which production (Classify), what an hour of each employee costs
// (Rates), and the monthly report per client and deal with its totals, ratios and order
// (BuildTimeReport), rendered as a table, CSV or JSON. Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/core/result.h"

namespace planfix_flow::timekeeping {

enum class WorkKind { kCommunication, kProduction };
std::string_view ToString(WorkKind kind);  // "communication", "production"

// Which work is communication (selling, agreeing, reminding, meeting) and which production.
// An entry's own kind of work decides when it is listed; otherwise its task's template, then
// its task's process; otherwise `fallback`.
struct ClassifyRule {
  std::vector<std::string> communication_kinds;  // compared without case and outer spaces
  std::vector<std::string> production_kinds;
  std::set<std::int64_t> communication_templates;
  std::set<std::int64_t> production_templates;
  std::set<std::int64_t> communication_processes;
  std::set<std::int64_t> production_processes;
  WorkKind fallback = WorkKind::kProduction;
};

struct TaskClassFacts {
  std::optional<std::int64_t> template_id;
  std::optional<std::int64_t> process;
};

WorkKind Classify(const ClassifyRule& rule, std::string_view entry_kind,
                  const TaskClassFacts& task);

// Hourly cost per employee ("user:5") in minor units of the report's currency; employees not
// listed cost `default_per_hour` (none: their time cannot be priced).
struct Rates {
  std::map<std::string, std::int64_t, std::less<>> per_employee;
  std::optional<std::int64_t> default_per_hour;
};
std::optional<std::int64_t> RateFor(const Rates& rates, std::string_view employee);

// "2026-11": a calendar month.
struct Month {
  int year = 1970;
  unsigned month = 1;

  auto operator<=>(const Month&) const = default;
  std::string ToString() const;
  calendar::LocalDate First() const;
  calendar::LocalDate Last() const;
  Month Next() const;
  Month Previous() const;
  bool Contains(const calendar::LocalDate& date) const;
};
core::Result<Month> ParseMonth(std::string_view text);  // "YYYY-MM"
Month MonthOf(const calendar::LocalDate& date);

// One counted time entry, already assigned to its deal and classified.
struct CountedEntry {
  std::int64_t key = 0;
  std::int64_t deal = 0;
  std::string employee;
  calendar::LocalDate date;
  std::int64_t minutes = 0;
  WorkKind kind = WorkKind::kProduction;
};

struct DealFacts {
  std::int64_t deal = 0;  // the task number of the deal (or of the task itself)
  std::string name;
  std::optional<std::int64_t> client;  // the counterparty contact
  std::string client_name;
  std::optional<std::int64_t> amount;  // the deal's amount, minor units
};

// Money actually received (issue 13): one payment matched to the invoice of a Planfix task,
// counted once under its flow key. `deal` is the deal the invoice task belongs to when the
// task says so (it is a deal, or a deal's subtask); otherwise the report gives the payment to
// its client's one deal of the month (see BuildTimeReport).
struct Receipt {
  std::string key;  // the payment's flow key ("payment:monobank:<id>")
  std::int64_t invoice_task = 0;
  std::optional<std::int64_t> deal;
  std::optional<std::int64_t> client;  // the invoice task's counterparty contact
  std::int64_t amount = 0;             // minor units
  calendar::LocalDate date;            // when the money came (the bank's booking day)
};

// Messages the service sent to the deal's client in the month, by kind (brief, reminder,
// stage, approval, invoice, ...), at the configured minutes each.
struct AutomationSaving {
  std::int64_t deal = 0;
  std::string kind;
  std::int64_t messages = 0;
  std::int64_t minutes = 0;  // messages × minutes per message of that kind
};

struct TimeReportInput {
  Month month;
  std::string currency = "UAH";
  Rates rates;
  // Every counted entry up to the end of the month (earlier months give the cost to date).
  std::vector<CountedEntry> entries;
  std::vector<DealFacts> deals;
  std::vector<AutomationSaving> savings;  // of the month
  std::vector<Receipt> receipts;          // every matched payment (later ones are skipped)
  std::optional<std::int64_t> client;     // only this client's deals
};

// Which money a line's margin is taken from; kMixed on a client or total line whose deals
// differ.
enum class RevenueSource { kNone, kAmount, kReceived, kMixed };
std::string_view ToString(RevenueSource source);  // "", "amount", "received", "mixed"

// Minutes and cost of one kind of work.
struct Effort {
  std::int64_t minutes = 0;
  std::int64_t cost = 0;

  Effort& operator+=(const Effort& other);
};

struct ReportLine {
  std::int64_t deal = 0;  // 0 on client and total lines
  std::string deal_name;
  std::optional<std::int64_t> client;
  std::string client_name;
  // In the month.
  Effort communication;
  Effort production;
  std::int64_t unpriced_minutes = 0;  // employees without a rate: counted, not priced
  std::int64_t saved_minutes = 0;     // by automation, never mixed into the effort above
  // Communication minutes per production minute ×100, rounded (2400 = 24.00); none when
  // there was no production time.
  std::optional<std::int64_t> ratio_hundredths;
  // Of the deal up to the end of the month.
  std::int64_t cost_to_date = 0;
  bool communication_over_production = false;  // to date: communication cost > production cost
  std::optional<std::int64_t> amount;          // the deal's amount (summed on client/total lines)
  // Money received for the deal up to the end of the month; none when nothing was.
  std::optional<std::int64_t> received;
  // What the margin is taken from: the money received when any was, else the amount.
  std::optional<std::int64_t> revenue;
  RevenueSource revenue_source = RevenueSource::kNone;
  std::optional<std::int64_t> margin;  // revenue - cost_to_date
};

// A payment of the month the report could not give to a deal, with the reason.
struct UnassignedReceipt {
  Receipt receipt;
  std::string reason;
};

struct TimeReport {
  Month month;
  std::string currency;
  // Deals with time, savings or money received in the month: communication over production
  // first, then by margin (lowest first; unknown last), then by deal number.
  std::vector<ReportLine> deals;
  // One line per client (no client: client unset), most communication cost first.
  std::vector<ReportLine> clients;
  ReportLine total;
  // The month's payments for invoice tasks that belong to no deal the report can name.
  std::vector<UnassignedReceipt> received_without_deal;
};

// Money received counts towards a deal up to the end of the month (as its cost to date):
// a receipt whose `deal` is set goes to that deal; one without goes, when it came in the
// month, to the one deal of its client with time or savings in the month, and is listed in
// received_without_deal when the client has none or several (or the task no client).
TimeReport BuildTimeReport(const TimeReportInput& input);

enum class ReportFormat { kTable, kCsv, kJson };
std::optional<ReportFormat> ParseReportFormat(std::string_view text);

std::string RenderTable(const TimeReport& report);
std::string RenderCsv(const TimeReport& report);
nlohmann::json ToJson(const TimeReport& report);
std::string Render(const TimeReport& report, ReportFormat format);

}  // namespace planfix_flow::timekeeping
