// TimeFeature: communication time's place in the running service (issue 14). The sync runs on
// the durable core: a timer ("time.sync") becomes an event, the event plans one "time.sync"
// job and the next timer, and the job runs TimeSync with the executor's retries. Built by the
// App after the database opens; off (nothing wrapped or registered) when time.data_tag is 0.
// After each sync, a deal whose communication passed the configured share of its amount is
// announced once. It also runs the timer buttons (time_timers.h) and the monthly summary
// for the staff chat (time_summary.h).
#pragma once

#include <memory>

#include "planfix_flow/app/time_summary.h"
#include "planfix_flow/app/time_sync.h"
#include "planfix_flow/app/time_timers.h"
#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/engine/event_handler.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/telegram/telegram_client.h"
#include "planfix_flow/templates/template_set.h"

namespace planfix_flow::app {

inline constexpr char kEventTimeSyncDue[] = "time.sync_due";
inline constexpr char kTimerTimeSync[] = "time.sync";
// Stored after each successful sync: the alerts are planned from what it stored.
inline constexpr char kEventTimeSynced[] = "time.synced";

class TimeFeature {
 public:
  TimeFeature(const config::Config& config, const templates::TemplateSet& templates,
              planfix::PlanfixClient& planfix, telegram::TelegramClient& telegram,
              storage::Database& database, core::Clock& clock,
              const calendar::WorkCalendar& calendar);

  bool enabled() const { return config_.time.data_tag > 0; }
  // The handler the processor runs: time's events here, everything else to `inner`.
  std::unique_ptr<engine::EventHandler> Wrap(std::unique_ptr<engine::EventHandler> inner);
  void RegisterEffects(engine::EffectExecutor& executor);
  // At start, unless the timer is pending (a restart): one sync now, which arms the timer;
  // and the monthly summary's timer (TimeSummary::Start).
  void Start();

  TimeSync& sync() { return sync_; }
  TimeTimers& timers() { return timers_; }
  TimeSummary& summary() { return summary_; }

  // The alerts due after a sync: once per deal (a flow "time.alert:deal:<n>" remembers it)
  // whose communication cost to date passed time.alert_share_percent of its amount, to the
  // staff chat and as a comment on the deal.
  core::Result<engine::Plan> PlanAlerts(const engine::StoredEvent& event, core::TimePoint now);

 private:
  void StartSync();

  const config::Config& config_;
  const templates::TemplateSet& templates_;
  const calendar::WorkCalendar& calendar_;
  storage::Database& database_;
  core::Clock& clock_;
  TimeSync sync_;
  TimeTimers timers_;
  TimeSummary summary_;
};

}  // namespace planfix_flow::app
