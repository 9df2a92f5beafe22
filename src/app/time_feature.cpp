#include "planfix_flow/app/time_feature.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <map>

#include "planfix_flow/app/time_ledger.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/timekeeping/amount.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::app {

using nlohmann::json;

namespace {

class TimeEventHandler final : public engine::EventHandler {
 public:
  TimeEventHandler(std::unique_ptr<engine::EventHandler> inner, core::Duration interval,
                   TimeFeature& feature)
      : inner_(std::move(inner)), interval_(interval), feature_(feature) {}

  core::Result<engine::Plan> Handle(const engine::StoredEvent& event,
                                    core::TimePoint now) override {
    if (event.kind == kEventTimeSynced) return feature_.PlanAlerts(event, now);
    if (TimeTimers::Handles(event.kind)) return feature_.timers().Handle(event, now);
    if (TimeSummary::Handles(event.kind)) return feature_.summary().Handle(event, now);
    if (event.kind != kEventTimeSyncDue) return inner_->Handle(event, now);
    engine::Plan plan;
    engine::Effect effect =
        plan::MakeEffect(plan::TimeSync{}, "planfix", fmt::format("time.sync:event:{}", event.id));
    // A sync that keeps failing gives way to the next one instead of piling up retries.
    effect.max_attempts = 3;
    plan.effects.push_back(std::move(effect));
    plan.timers.push_back(engine::TimerChange{engine::TimerAction::kSet, kTimerTimeSync,
                                              kEventTimeSyncDue, now + interval_, "{}"});
    plan.summary = "time sync planned";
    return plan;
  }

 private:
  std::unique_ptr<engine::EventHandler> inner_;
  core::Duration interval_;
  TimeFeature& feature_;
};

// 245 minutes -> "4.08" hours (rounded half up to hundredths), exactly.
std::string Hours(std::int64_t minutes) {
  const std::int64_t hundredths = (minutes * 100 + 30) / 60;
  return fmt::format("{}.{:02}", hundredths / 100, hundredths % 100);
}

}  // namespace

TimeFeature::TimeFeature(const config::Config& config, const templates::TemplateSet& templates,
                         planfix::PlanfixClient& planfix, telegram::TelegramClient& telegram,
                         storage::Database& database, core::Clock& clock,
                         const calendar::WorkCalendar& calendar)
    : config_(config),
      templates_(templates),
      calendar_(calendar),
      database_(database),
      clock_(clock),
      sync_(planfix, database, clock, calendar, TimeSyncOptionsFor(config)),
      timers_(config, templates, calendar, planfix, database),
      summary_(config, templates, calendar, telegram, database, clock) {}

std::unique_ptr<engine::EventHandler> TimeFeature::Wrap(
    std::unique_ptr<engine::EventHandler> inner) {
  if (!enabled()) return inner;
  return std::make_unique<TimeEventHandler>(
      std::move(inner), std::chrono::minutes(config_.time.sync_interval_minutes), *this);
}

void TimeFeature::RegisterEffects(engine::EffectExecutor& executor) {
  if (!enabled()) return;
  timers_.RegisterEffects(executor);
  summary_.RegisterEffects(executor);
  executor.Register(
      plan::kEffectTimeSync, [this](const engine::Job& job) -> core::Result<std::string> {
        if (auto payload = plan::Decode<plan::TimeSync>(job.payload); !payload)
          return core::Fail(payload.error());
        auto report = sync_.RunOnce();
        if (!report) return core::Fail(report.error());
        // Should the process end before this is stored, the next sync's event plans the alerts.
        storage::NewEvent synced;
        synced.source = storage::EventSource::kInternal;
        synced.kind = kEventTimeSynced;
        synced.dedupe_key = fmt::format("time.synced:job:{}:{}", job.id, job.attempts);
        synced.payload = "{}";
        synced.received_at = clock_.Now();
        if (auto stored = database_.AppendEvent(synced); !stored) {
          core::Logger("time")->error("event=time_alerts_not_planned error=\"{}\"",
                                      stored.error().ToString());
        }
        return json{{"full", report->full},
                    {"window_from", report->window_from},
                    {"read", report->read},
                    {"added", report->counts.added},
                    {"changed", report->counts.changed},
                    {"removed", report->counts.removed},
                    {"problems", report->counts.problems}}
            .dump();
      });
}

void TimeFeature::Start() {
  if (!enabled()) return;
  StartSync();
  summary_.Start();
}

void TimeFeature::StartSync() {
  // A pending timer (set by the last sync before a restart) already says when the next runs.
  if (const auto timer = database_.GetTimer(kTimerTimeSync);
      timer && timer->state == storage::TimerState::kPending) {
    return;
  }
  storage::NewEvent event;
  event.source = storage::EventSource::kInternal;
  event.kind = kEventTimeSyncDue;
  event.received_at = clock_.Now();
  event.dedupe_key = fmt::format("time.sync.start:{}", core::ToUnixSeconds(event.received_at));
  event.payload = "{}";
  if (auto stored = database_.AppendEvent(event); !stored) {
    core::Logger("time")->error("event=time_sync_not_started error=\"{}\"",
                                stored.error().ToString());
  }
}

core::Result<engine::Plan> TimeFeature::PlanAlerts(const engine::StoredEvent& event,
                                                   core::TimePoint now) {
  engine::Plan plan;
  const int share = config_.time.alert_share_percent;
  if (share <= 0) return plan;
  const auto input =
      TimeReportInputFor(database_, config_, calendar_,
                         timekeeping::MonthOf(calendar_.ToLocalDate(now)), std::nullopt);
  // Communication minutes per deal and employee, to date; priced per employee as the report.
  std::map<std::int64_t, std::map<std::string, std::int64_t>> minutes;
  for (const auto& entry : input.entries) {
    if (entry.kind == timekeeping::WorkKind::kCommunication) {
      minutes[entry.deal][entry.employee] += entry.minutes;
    }
  }
  const std::int64_t chat = database_.CurrentChatId(config_.telegram.staff_chat_id);
  for (const auto& deal : input.deals) {
    if (!deal.amount || *deal.amount <= 0 || minutes.count(deal.deal) == 0) continue;
    std::int64_t cost = 0;
    std::int64_t total_minutes = 0;
    for (const auto& [employee, count] : minutes[deal.deal]) {
      total_minutes += count;
      if (const auto rate = timekeeping::RateFor(input.rates, employee)) {
        cost += timekeeping::CostOf(count, *rate);
      }
    }
    // cost / amount > share / 100, in integers.
    if (cost * 100 <= *deal.amount * share) continue;
    const std::string key = fmt::format("time.alert:deal:{}", deal.deal);
    if (database_.GetFlow(key)) continue;
    templates::Values values{{"deal_number", std::to_string(deal.deal)},
                             {"deal_name", deal.name},
                             {"communication_cost", timekeeping::FormatAmount(cost)},
                             {"communication_hours", Hours(total_minutes)},
                             {"amount", timekeeping::FormatAmount(*deal.amount)},
                             {"share", std::to_string(share)},
                             {"currency", config_.time.currency}};
    const std::string& language = config_.templates.default_language;
    auto comment = templates_.Render("comment_time_alert", language, values);
    values["deal_url"] = config_.planfix.web_url.empty()
                             ? std::string()
                             : fmt::format("{}/task/{}", config_.planfix.web_url, deal.deal);
    auto staff = templates_.Render("time_alert", language, values);
    if (!comment) return core::Fail(comment.error());
    if (!staff) return core::Fail(staff.error());
    plan::TelegramSendMessage message;
    message.chat_id = chat;
    message.text = *staff;
    plan.effects.push_back(
        plan::MakeEffect(message, fmt::format("telegram:chat:{}", chat), key + ":staff"));
    plan::PlanfixAddComment note;
    note.task = deal.deal;
    note.description = *comment;
    plan.effects.push_back(plan::MakeEffect(note, "planfix", key + ":comment"));
    plan.flows.push_back(engine::FlowChange{
        key, "time.alert", deal.deal, std::nullopt, "sent",
        json{{"communication_cost", cost}, {"amount", *deal.amount}, {"event", event.id}}.dump()});
  }
  plan.summary = fmt::format("time alerts: {}", plan.flows.size());
  return plan;
}

}  // namespace planfix_flow::app
