// Timer buttons (issue 14): Planfix buttons post time.start / time.stop with the task and the
// employee who pressed. A running timer is a flow ("time.timer:user:N") with a durable timer
// at the end of that working day, so nothing is kept in memory and a restart changes nothing.
// On stop (or at the end of the day, or when the employee starts another timer) the service
// writes one entry to the configured time data tag on the task, so Planfix's own reports see
// it, and comments the task. Bad input (no or unknown employee, stop without start, stop on
// another task) gets a comment saying why, and nothing is written.
// Handle runs on the event processor's thread; the effect on the executor's.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/engine/plan.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/templates/template_set.h"

namespace planfix_flow::app {

inline constexpr char kEventTimeStart[] = "time.start";  // Planfix button {task, user}
inline constexpr char kEventTimeStop[] = "time.stop";    // Planfix button {task, user}
// The end of the working day a timer started on: {employee, started_at}.
inline constexpr char kEventTimeTimerDue[] = "time.timer_due";
// The effect that writes a stopped timer's entry in the time data tag on the task (its fields
// filled by their types in Planfix): plan::TimeWriteEntry.

// "time.timer:user:5": the flow (and the timer) of an employee's running timer.
std::string TimerKey(std::string_view employee);

class TimeTimers {
 public:
  TimeTimers(const config::Config& config, const templates::TemplateSet& templates,
             const calendar::WorkCalendar& calendar, planfix::PlanfixClient& planfix,
             storage::Database& database);

  static bool Handles(std::string_view kind);
  core::Result<engine::Plan> Handle(const engine::StoredEvent& event, core::TimePoint now);
  void RegisterEffects(engine::EffectExecutor& executor);

  // When a timer started at `start` is closed at the latest: the end of working hours that
  // local day, or 23:59 when it started after them (never counted overnight).
  core::TimePoint ClosesAt(core::TimePoint start) const;

 private:
  struct Running {
    std::int64_t task = 0;
    core::TimePoint started_at;
    core::TimePoint closes_at;
  };
  enum class CloseReason { kStopped, kSwitched, kEndOfDay };

  core::Result<engine::Plan> Start(const engine::StoredEvent& event, std::int64_t task,
                                   const std::string& employee);
  core::Result<engine::Plan> Stop(const engine::StoredEvent& event, std::int64_t task,
                                  const std::string& employee);
  core::Result<engine::Plan> Due(const engine::StoredEvent& event);
  std::optional<Running> RunningOf(const std::string& employee) const;
  // Adds to `plan` the entry, the comment, the idle flow and the cancelled timer.
  core::Status Close(engine::Plan& plan, const std::string& employee, const Running& running,
                     core::TimePoint end, CloseReason reason, std::int64_t switched_to);
  core::Status Comment(engine::Plan& plan, std::int64_t task, std::string_view name,
                       const templates::Values& values, const std::string& key);
  // true (and the press logged as ignored in `plan`) when Planfix has no task `task`: a
  // refusal is said on the task, and a comment there could only fail.
  core::Result<bool> IgnoredForNoTask(const engine::StoredEvent& event, std::int64_t task,
                                      engine::Plan& plan);
  core::Result<std::string> WriteEntry(const engine::Job& job);
  // The entry's values in the wire shapes `types` (the data tag's field types) call for.
  core::Result<std::vector<planfix::CustomFieldValue>> EntryValues(
      const std::map<long long, planfix::FieldType>& types,
      const plan::TimeWriteEntry& entry) const;

  const config::Config& config_;
  const templates::TemplateSet& templates_;
  const calendar::WorkCalendar& calendar_;
  planfix::PlanfixClient& planfix_;
  storage::Database& database_;
  std::mutex mutex_;
  // The data tag's field types: read on first use, again when a write suggests they changed.
  std::map<long long, planfix::FieldType> field_types_;
};

}  // namespace planfix_flow::app
