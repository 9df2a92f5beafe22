#include "planfix_flow/app/time_ledger.h"

#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "app/deal_revenue.h"
#include "app/planfix_rates.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/timekeeping/amount.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::app {

using nlohmann::json;

timekeeping::ClassifyRule ClassifyRuleFor(const config::TimeConfig& time) {
  timekeeping::ClassifyRule rule;
  const auto& classify = time.classify;
  rule.communication_kinds = classify.communication_kinds;
  rule.production_kinds = classify.production_kinds;
  rule.communication_templates = {classify.communication_templates.begin(),
                                  classify.communication_templates.end()};
  rule.production_templates = {classify.production_templates.begin(),
                               classify.production_templates.end()};
  rule.communication_processes = {classify.communication_processes.begin(),
                                  classify.communication_processes.end()};
  rule.production_processes = {classify.production_processes.begin(),
                               classify.production_processes.end()};
  rule.fallback = classify.fallback == "communication" ? timekeeping::WorkKind::kCommunication
                                                       : timekeeping::WorkKind::kProduction;
  return rule;
}

timekeeping::Rates RatesFor(const config::TimeConfig& time) {
  timekeeping::Rates rates;
  if (!time.default_rate.empty()) {
    if (auto rate = timekeeping::ParseAmount(time.default_rate)) rates.default_per_hour = *rate;
  }
  for (const auto& [employee, text] : time.rates) {
    if (auto rate = timekeeping::ParseAmount(text)) rates.per_employee[employee] = *rate;
  }
  return rates;
}

std::int64_t DealOf(const storage::Database& database, std::int64_t deal_process,
                    std::int64_t task) {
  const auto facts = database.GetTimeTask(task);
  if (!facts || deal_process <= 0 || facts->process == deal_process || facts->parent <= 0) {
    return task;
  }
  const auto parent = database.GetTimeTask(facts->parent);
  return parent && parent->process == deal_process ? parent->task : task;
}

timekeeping::TimeReportInput TimeReportInputFor(const storage::Database& database,
                                                const config::Config& config,
                                                const calendar::WorkCalendar& calendar,
                                                timekeeping::Month month,
                                                std::optional<std::int64_t> client) {
  timekeeping::TimeReportInput input;
  input.month = month;
  input.currency = config.time.currency;
  input.rates = RatesWithPlanfix(config.time, database);
  input.client = client;
  const auto rule = ClassifyRuleFor(config.time);
  const std::int64_t deal_process = config.planfix.processes.deal;

  std::set<std::int64_t> deals;
  for (const auto& entry : database.ListTimeEntries("0000-01-01", month.Last().ToString())) {
    const auto date = calendar::ParseLocalDate(entry.date);
    if (!date) continue;
    timekeeping::TaskClassFacts facts;
    if (const auto task = database.GetTimeTask(entry.task)) {
      if (task->template_id > 0) facts.template_id = task->template_id;
      if (task->process > 0) facts.process = task->process;
    }
    timekeeping::CountedEntry counted;
    counted.key = entry.key;
    counted.deal = DealOf(database, deal_process, entry.task);
    counted.employee = entry.employee;
    counted.date = *date;
    counted.minutes = entry.minutes;
    counted.kind = timekeeping::Classify(rule, entry.kind, facts);
    deals.insert(counted.deal);
    input.entries.push_back(std::move(counted));
  }

  // Time saved by automation: each message the service sent a client on the PM's behalf.
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> messages;
  const core::TimePoint from = calendar.ToMoment(month.First(), calendar::LocalTime{0});
  const core::TimePoint to = calendar.ToMoment(month.Next().First(), calendar::LocalTime{0});
  for (const auto& job : database.ListDoneJobs(plan::kEffectTelegramSend, from, to)) {
    const json payload = json::parse(job.payload, nullptr, false);
    if (!payload.is_object() || !payload.contains("report")) continue;  // staff messages
    const json task = payload["report"].value("task", json());
    if (!task.is_number_integer() || task.get<std::int64_t>() <= 0) continue;
    // The outbox key ends in the message's purpose: "event:12:brief", "event:40:reminder".
    const std::string kind = job.idempotency_key.substr(job.idempotency_key.rfind(':') + 1);
    ++messages[{DealOf(database, deal_process, task.get<std::int64_t>()), kind}];
  }
  for (const auto& [key, count] : messages) {
    const auto per_message = config.time.automation_minutes.find(key.second);
    if (per_message == config.time.automation_minutes.end() || per_message->second <= 0) continue;
    input.savings.push_back(
        timekeeping::AutomationSaving{key.first, key.second, count, count * per_message->second});
    deals.insert(key.first);
  }

  for (auto& receipt : ReceiptsUpTo(database, deal_process, calendar, month.Last())) {
    if (receipt.deal) deals.insert(*receipt.deal);
    input.receipts.push_back(std::move(receipt));
  }

  for (const std::int64_t deal : deals) {
    timekeeping::DealFacts facts;
    facts.deal = deal;
    if (const auto task = database.GetTimeTask(deal)) {
      facts.name = task->name;
      if (task->counterparty > 0) facts.client = task->counterparty;
      facts.amount = task->amount;
    }
    input.deals.push_back(std::move(facts));
  }
  return input;
}

std::map<std::int64_t, workflow::WorkMinutes> MonthWorkMinutes(const storage::Database& database,
                                                               const config::Config& config,
                                                               timekeeping::Month month) {
  std::map<std::int64_t, workflow::WorkMinutes> minutes;
  const auto rule = ClassifyRuleFor(config.time);
  const std::int64_t deal_process = config.planfix.processes.deal;
  for (const auto& entry :
       database.ListTimeEntries(month.First().ToString(), month.Last().ToString())) {
    timekeeping::TaskClassFacts facts;
    if (const auto task = database.GetTimeTask(entry.task)) {
      if (task->template_id > 0) facts.template_id = task->template_id;
      if (task->process > 0) facts.process = task->process;
    }
    auto& sum = minutes[DealOf(database, deal_process, entry.task)];
    if (timekeeping::Classify(rule, entry.kind, facts) == timekeeping::WorkKind::kCommunication) {
      sum.communication += entry.minutes;
    } else {
      sum.production += entry.minutes;
    }
  }
  return minutes;
}

}  // namespace planfix_flow::app
