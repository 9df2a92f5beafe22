#include "planfix_flow/app/time_sync.h"

#include <fmt/format.h>

#include <map>

#include "app/deal_revenue.h"
#include "app/planfix_rates.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/timekeeping/amount.h"

namespace planfix_flow::app {

using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

// "2026-11-23" as Planfix's "23-11-2026".
std::string PlanfixDate(const calendar::LocalDate& date) {
  return fmt::format("{:02}-{:02}-{:04}", date.day, date.month, date.year);
}

calendar::LocalDate DaysBefore(const calendar::LocalDate& date, int days) {
  const std::chrono::year_month_day ymd{std::chrono::year(date.year),
                                        std::chrono::month(date.month), std::chrono::day(date.day)};
  const std::chrono::year_month_day earlier{std::chrono::sys_days(ymd) - std::chrono::days(days)};
  return calendar::LocalDate{static_cast<int>(earlier.year()),
                             static_cast<unsigned>(earlier.month()),
                             static_cast<unsigned>(earlier.day())};
}

// The entry as Planfix sent it, for `report problems`.
std::string EntryText(const planfix::DataTagEntry& entry) {
  json fields = json::array();
  for (const auto& field : entry.custom_fields) {
    fields.push_back({{"field", field.field_id}, {"value", field.value}});
  }
  json out = {{"key", entry.key}, {"customFieldData", fields}};
  if (entry.task_id) out["task"] = *entry.task_id;
  return out.dump();
}

std::int64_t ContactNumber(const std::string& prefixed) {
  std::string_view text = prefixed;
  if (text.starts_with("contact:")) text.remove_prefix(8);
  std::int64_t value = 0;
  for (const char ch : text) {
    if (ch < '0' || ch > '9' || value > 100'000'000'000LL) return 0;
    value = value * 10 + (ch - '0');
  }
  return value;
}

}  // namespace

TimeSyncOptions TimeSyncOptionsFor(const config::Config& config) {
  TimeSyncOptions options;
  const auto& time = config.time;
  options.data_tag = time.data_tag;
  options.layout.date = time.fields.date;
  options.layout.duration = time.fields.duration;
  options.layout.period = time.fields.period;
  options.layout.employee = time.fields.employee;
  options.layout.kind = time.fields.kind;
  options.layout.duration_unit = time.fields.duration_unit == "hours"
                                     ? timekeeping::DurationUnit::kHours
                                     : timekeeping::DurationUnit::kMinutes;
  options.window_days = time.sync_window_days;
  options.amount_field = config.planfix.task_fields.amount;
  options.deal_process = config.planfix.processes.deal;
  for (const auto& [employee, rate] : time.rates) options.rated_employees.insert(employee);
  options.default_rate = !time.default_rate.empty();
  options.rate_field = time.rate_field;
  return options;
}

TimeSync::TimeSync(planfix::PlanfixClient& planfix, storage::Database& database, core::Clock& clock,
                   const calendar::WorkCalendar& calendar, TimeSyncOptions options)
    : planfix_(planfix),
      database_(database),
      clock_(clock),
      calendar_(calendar),
      options_(std::move(options)) {}

Result<storage::TimeTaskRecord> TimeSync::TaskFacts(std::int64_t task) {
  const core::TimePoint now = clock_.Now();
  if (auto known = database_.GetTimeTask(task);
      known && now - known->read_at < options_.task_facts_max_age) {
    return *known;
  }
  storage::TimeTaskRecord record;
  record.task = task;
  record.read_at = now;
  std::vector<long long> fields;
  if (options_.amount_field > 0) fields.push_back(options_.amount_field);
  auto read = planfix_.GetTask(task, fields);
  if (!read) {
    if (read.error().code != core::ErrorCode::kNotFound) return Fail(read.error());
    record.deleted = true;  // removed for good: Planfix answers "task not found"
  } else {
    record.name = read->name;
    record.process = read->process_id.value_or(0);
    record.template_id = read->template_id.value_or(0);
    record.parent = read->parent_id.value_or(0);
    record.counterparty = ContactNumber(read->counterparty_id);
    record.deleted = read->is_deleted;
    for (const auto& field : read->custom_fields) {
      if (field.field_id != options_.amount_field || field.value.is_null()) continue;
      if (auto amount = timekeeping::AmountFromJson(field.value)) record.amount = *amount;
    }
  }
  database_.PutTimeTask(record);
  return record;
}

Result<TimeSyncReport> TimeSync::RunOnce() {
  auto log = core::Logger("time");
  const core::TimePoint now = clock_.Now();
  const storage::TimeSyncState state = database_.GetTimeSyncState();
  const std::int64_t date_field =
      options_.layout.date > 0 ? options_.layout.date : options_.layout.period;
  TimeSyncReport report;
  report.full = !state.last_full_sync_at || now - *state.last_full_sync_at >= options_.full_every ||
                date_field <= 0;

  planfix::DataTagQuery query;
  for (const std::int64_t field :
       {options_.layout.date, options_.layout.duration, options_.layout.period,
        options_.layout.employee, options_.layout.kind}) {
    if (field > 0) query.custom_field_ids.push_back(field);
  }
  query.max_results = 1'000'000;
  if (!report.full) {
    const calendar::LocalDate from = DaysBefore(calendar_.ToLocalDate(now), options_.window_days);
    report.window_from = from.ToString();
    // The far end covers dates typed in the future: the window is open-ended.
    query.filters.push_back(planfix::DataTagFilter{
        3101, date_field, "equal",
        json{{"dateType", "otherRange"},
             {"dateFrom", PlanfixDate(from)},
             {"dateTo", PlanfixDate(DaysBefore(calendar_.ToLocalDate(now), -3660))}}});
  }
  // A failed read of the rates keeps the last one (logged there): entries still count.
  (void)RefreshPlanfixRates(planfix_, database_, options_.rate_field, now);
  const PlanfixRates planfix_rates = StoredPlanfixRates(database_, options_.rate_field);
  auto entries = planfix_.ListDataTagEntries(options_.data_tag, query);
  if (!entries) return Fail(entries.error());
  report.read = entries->size();

  storage::TimeSyncBatch batch;
  batch.window_from = report.window_from;
  for (const auto& entry : *entries) {
    auto parsed = timekeeping::ParseTimeEntry(entry, options_.layout);
    std::string reason;
    std::string date;
    if (parsed) {
      date = parsed->date.ToString();
      auto task = TaskFacts(parsed->task);
      if (!task) return Fail(task.error());
      if (task->deleted) {
        reason = fmt::format("the task {} is deleted", parsed->task);
      } else if (!options_.default_rate && options_.rated_employees.count(parsed->employee) == 0 &&
                 planfix_rates.per_employee.count(parsed->employee) == 0) {
        reason = fmt::format(
            "unknown employee {} (not in time.rates, no rate in Planfix; no time.default_rate)",
            parsed->employee);
      } else if (task->parent > 0 && options_.deal_process > 0 &&
                 task->process != options_.deal_process) {
        if (auto parent = TaskFacts(task->parent); !parent) return Fail(parent.error());
      }
    } else {
      reason = parsed.error().message;
    }
    if (reason.empty()) {
      batch.entries.push_back(storage::TimeEntryRecord{parsed->key, parsed->task, parsed->employee,
                                                       date, parsed->minutes, parsed->kind});
      continue;
    }
    storage::TimeProblemRecord problem;
    problem.key = entry.key;
    if (entry.task_id) problem.task = *entry.task_id;
    problem.date = date;
    problem.reason = reason;
    problem.entry = EntryText(entry);
    batch.problems.push_back(std::move(problem));
  }
  // Logged before storing, once per problem the store has not seen: the store is the record.
  std::map<std::int64_t, std::string> known;
  for (const auto& problem : database_.ListTimeProblems()) known[problem.key] = problem.reason;
  for (const auto& problem : batch.problems) {
    const auto it = known.find(problem.key);
    if (it != known.end() && it->second == problem.reason) continue;
    log->warn("event=time_entry_skipped data_tag={} entry={} task={} reason=\"{}\"",
              options_.data_tag, problem.key,
              problem.task ? std::to_string(*problem.task) : std::string("none"), problem.reason);
  }
  report.counts = database_.ApplyTimeSync(batch, now);
  log->info(
      "outcome=time_synced data_tag={} scope={} read={} added={} changed={} removed={} "
      "unchanged={} problems={}",
      options_.data_tag, report.full ? "all" : "from " + report.window_from, report.read,
      report.counts.added, report.counts.changed, report.counts.removed, report.counts.unchanged,
      report.counts.problems);
  ReadPaymentTasks();
  return report;
}

void TimeSync::ReadPaymentTasks() {
  const core::TimePoint since = clock_.Now() - std::chrono::days(options_.window_days);
  for (const auto& flow : database_.ListFlows("payment", "matched", kMaxReceipts)) {
    if (!flow.task || *flow.task <= 0 || flow.updated_at < since) continue;
    auto task = TaskFacts(*flow.task);
    if (task && !task->deleted && task->parent > 0 && options_.deal_process > 0 &&
        task->process != options_.deal_process) {
      task = TaskFacts(task->parent);
    }
    if (!task) {
      core::Logger("time")->warn("event=payment_task_not_read payment={} task={} error=\"{}\"",
                                 flow.key, *flow.task, task.error().ToString());
      return;  // Planfix is failing: the next sync tries again
    }
  }
}

}  // namespace planfix_flow::app
