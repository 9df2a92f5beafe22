// The month's communication-time summary for the staff chat (issue 14): on the first working
// day of the next month, a chart of communication vs production per client (chart module,
// cairo) with a short caption, sent with Telegram's sendPhoto. A durable timer per month
// ("time.summary") plans it; a flow "time.summary:<YYYY-MM>" and the job's idempotency key
// make it once per month; a run missed while the service was down is made at start-up, once.
// Handle runs on the event processor's thread, the effect on the executor's.
#pragma once

#include <string>
#include <string_view>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/engine/plan.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/telegram/telegram_client.h"
#include "planfix_flow/templates/template_set.h"
#include "planfix_flow/timekeeping/time_report.h"

namespace planfix_flow::app {

// {month: "YYYY-MM"}: the month to summarise (its summary is due on the next month's first
// working day).
inline constexpr char kEventTimeSummaryDue[] = "time.summary_due";
inline constexpr char kTimerTimeSummary[] = "time.summary";
// The effect that draws the month's chart and sends it: plan::TimeSendSummary.

// What the staff chat gets: the PNG and its caption (HTML, at most 1024 characters).
struct TimeSummaryMessage {
  std::string png;
  std::string caption;
  std::size_t clients = 0;  // bars drawn
};

class TimeSummary {
 public:
  TimeSummary(const config::Config& config, const templates::TemplateSet& templates,
              const calendar::WorkCalendar& calendar, telegram::TelegramClient& telegram,
              storage::Database& database, core::Clock& clock);

  static bool Handles(std::string_view kind);
  core::Result<engine::Plan> Handle(const engine::StoredEvent& event, core::TimePoint now);
  void RegisterEffects(engine::EffectExecutor& executor);
  // Unless the timer is pending: an event for the previous month, which sends it when its
  // day has passed (a missed run) and arms the timer.
  void Start();

  // The first working moment of the month after `month`.
  core::TimePoint DueOf(const timekeeping::Month& month) const;
  // The month's chart and caption from the stored time; kNotFound when no time was recorded.
  core::Result<TimeSummaryMessage> Build(const timekeeping::Month& month) const;

 private:
  core::Result<std::string> Send(const engine::Job& job);

  const config::Config& config_;
  const templates::TemplateSet& templates_;
  const calendar::WorkCalendar& calendar_;
  telegram::TelegramClient& telegram_;
  storage::Database& database_;
  core::Clock& clock_;
};

}  // namespace planfix_flow::app
