#include "planfix_flow/app/time_timers.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>

#include "app/planfix_rates.h"
#include "planfix_flow/app/time_sync.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/timekeeping/time_entry.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::app {

using nlohmann::json;

namespace {

constexpr char kFlowKind[] = "time.timer";
constexpr char kRunning[] = "running";
constexpr char kIdle[] = "idle";

// A positive id the webhook normalised ("123"); 0 when absent or not one.
std::int64_t IdOf(const json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || !it->is_string()) return 0;
  const std::string& text = it->get_ref<const std::string&>();
  if (text.empty() || text.size() > 18 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return 0;
  }
  return std::stoll(text);
}

std::int64_t Seconds(core::TimePoint moment) { return core::ToUnixSeconds(moment); }

// 125 -> "2:05".
std::string Duration(std::int64_t minutes) {
  return fmt::format("{}:{:02}", minutes / 60, minutes % 60);
}

// "2026-11-23" -> "23-11-2026", the API's date format.
std::string PlanfixDate(const std::string& iso) {
  return fmt::format("{}-{}-{}", iso.substr(8, 2), iso.substr(5, 2), iso.substr(0, 4));
}

std::string HoursAndMinutes(const calendar::LocalTime& time) {
  return fmt::format("{:02}:{:02}", time.minutes / 60, time.minutes % 60);
}

}  // namespace

std::string TimerKey(std::string_view employee) { return fmt::format("time.timer:{}", employee); }

TimeTimers::TimeTimers(const config::Config& config, const templates::TemplateSet& templates,
                       const calendar::WorkCalendar& calendar, planfix::PlanfixClient& planfix,
                       storage::Database& database)
    : config_(config),
      templates_(templates),
      calendar_(calendar),
      planfix_(planfix),
      database_(database) {}

bool TimeTimers::Handles(std::string_view kind) {
  return kind == kEventTimeStart || kind == kEventTimeStop || kind == kEventTimeTimerDue;
}

core::TimePoint TimeTimers::ClosesAt(core::TimePoint start) const {
  const calendar::LocalDate day = calendar_.ToLocalDate(start);
  const core::TimePoint end_of_work = calendar_.ToMoment(day, calendar_.settings().work_end);
  if (start < end_of_work) return end_of_work;
  // 23:59, not 24:00: the entry's from-to stays within its own date.
  return std::max(start, calendar_.ToMoment(day, calendar::LocalTime{24 * 60 - 1}));
}

core::Result<engine::Plan> TimeTimers::Handle(const engine::StoredEvent& event, core::TimePoint) {
  if (event.kind == kEventTimeTimerDue) return Due(event);
  const json payload = json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
  const std::int64_t task = payload.is_object() ? IdOf(payload, "task") : 0;
  const std::int64_t user = payload.is_object() ? IdOf(payload, "user") : 0;
  engine::Plan plan;
  if (task == 0) {
    // Nowhere to say it but the log: the button's body lacks the task number.
    core::Logger("time")->warn("event={} outcome=ignored reason=\"no task\" event_id={}",
                               event.kind, event.id);
    plan.summary = fmt::format("{} ignored: no task", event.kind);
    return plan;
  }
  const std::string employee = user > 0 ? fmt::format("user:{}", user) : std::string();
  const bool known = !employee.empty() && HasRate(config_.time, database_, employee);
  if (!known) {
    if (auto ignored = IgnoredForNoTask(event, task, plan); !ignored) {
      return core::Fail(ignored.error());
    } else if (*ignored) {
      return plan;
    }
    templates::Values values{{"employee", employee},
                             {"no_user", employee.empty() ? "yes" : ""},
                             {"unknown_employee", employee.empty() ? "" : "yes"},
                             {"not_running", ""},
                             {"running_task", ""},
                             {"already_running", ""},
                             {"started_at", ""}};
    if (auto commented = Comment(plan, task, "comment_timer_refused", values,
                                 fmt::format("time.timer.refused:event:{}", event.id));
        !commented) {
      return core::Fail(commented.error());
    }
    core::Logger("time")->warn("event={} outcome=refused task={} reason=\"{}\"", event.kind, task,
                               employee.empty() ? "no employee" : "unknown employee " + employee);
    plan.summary = fmt::format("{} refused on task {}: {}", event.kind, task,
                               employee.empty() ? "no employee" : "unknown " + employee);
    return plan;
  }
  if (event.kind == kEventTimeStart) return Start(event, task, employee);
  return Stop(event, task, employee);
}

std::optional<TimeTimers::Running> TimeTimers::RunningOf(const std::string& employee) const {
  const auto flow = database_.GetFlow(TimerKey(employee));
  if (!flow || flow->state != kRunning) return std::nullopt;
  const json data = json::parse(flow->data, nullptr, /*allow_exceptions=*/false);
  if (!data.is_object() || !data.contains("task") || !data.contains("started_at") ||
      !data.contains("closes_at")) {
    return std::nullopt;
  }
  Running running;
  running.task = data["task"].get<std::int64_t>();
  running.started_at = core::FromUnixSeconds(data["started_at"].get<std::int64_t>());
  running.closes_at = core::FromUnixSeconds(data["closes_at"].get<std::int64_t>());
  return running;
}

core::Result<engine::Plan> TimeTimers::Start(const engine::StoredEvent& event, std::int64_t task,
                                             const std::string& employee) {
  engine::Plan plan;
  // The task must exist: its entry is written there on stop.
  if (auto found = planfix_.GetTask(task); !found) {
    if (found.error().code != core::ErrorCode::kNotFound) return core::Fail(found.error());
    core::Logger("time")->warn("event=time.start outcome=ignored task={} reason=\"no such task\"",
                               task);
    plan.summary = fmt::format("time.start ignored: task {} not found", task);
    return plan;
  }
  // The press, not the processing, is when the work started.
  const core::TimePoint start = event.received_at;
  const std::string key = TimerKey(employee);
  if (const auto running = RunningOf(employee)) {
    if (running->task == task && start < running->closes_at) {
      templates::Values values{{"employee", employee},
                               {"no_user", ""},
                               {"unknown_employee", ""},
                               {"not_running", ""},
                               {"running_task", ""},
                               {"already_running", "yes"},
                               {"started_at", calendar_.FormatLocal(running->started_at)}};
      if (auto commented = Comment(plan, task, "comment_timer_refused", values,
                                   fmt::format("time.timer.refused:event:{}", event.id));
          !commented) {
        return core::Fail(commented.error());
      }
      plan.summary =
          fmt::format("time.start on task {}: {} already runs a timer here", task, employee);
      return plan;
    }
    // A timer on another task stops now; one left from an earlier day closed at its end.
    const bool ended = running->closes_at <= start;
    if (auto closed =
            Close(plan, employee, *running, ended ? running->closes_at : start,
                  ended ? CloseReason::kEndOfDay : CloseReason::kSwitched, ended ? 0 : task);
        !closed) {
      return core::Fail(closed.error());
    }
  }
  const core::TimePoint closes_at = ClosesAt(start);
  plan.flows.push_back(engine::FlowChange{key, kFlowKind, task, std::nullopt, kRunning,
                                          json{{"task", task},
                                               {"started_at", Seconds(start)},
                                               {"closes_at", Seconds(closes_at)},
                                               {"event", event.id}}
                                              .dump()});
  plan.timers.push_back(
      engine::TimerChange{engine::TimerAction::kSet, key, kEventTimeTimerDue, closes_at,
                          json{{"employee", employee}, {"started_at", Seconds(start)}}.dump()});
  templates::Values values{{"employee", employee},
                           {"started_at", calendar_.FormatLocal(start)},
                           {"closes_at", calendar_.FormatLocal(closes_at)}};
  if (auto commented =
          Comment(plan, task, "comment_timer_started", values,
                  fmt::format("time.timer.comment:{}:{}:started", employee, Seconds(start)));
      !commented) {
    return core::Fail(commented.error());
  }
  plan.summary = fmt::format("timer of {} started on task {}", employee, task);
  return plan;
}

core::Result<engine::Plan> TimeTimers::Stop(const engine::StoredEvent& event, std::int64_t task,
                                            const std::string& employee) {
  engine::Plan plan;
  const auto running = RunningOf(employee);
  if (!running || running->task != task) {
    if (auto ignored = IgnoredForNoTask(event, task, plan); !ignored) {
      return core::Fail(ignored.error());
    } else if (*ignored) {
      return plan;
    }
    templates::Values values{
        {"employee", employee},
        {"no_user", ""},
        {"unknown_employee", ""},
        {"not_running", running ? "" : "yes"},
        {"running_task", running ? std::to_string(running->task) : std::string()},
        {"already_running", ""},
        {"started_at", running ? calendar_.FormatLocal(running->started_at) : std::string()}};
    if (auto commented = Comment(plan, task, "comment_timer_refused", values,
                                 fmt::format("time.timer.refused:event:{}", event.id));
        !commented) {
      return core::Fail(commented.error());
    }
    plan.summary = running ? fmt::format("time.stop on task {}: the timer of {} runs on task {}",
                                         task, employee, running->task)
                           : fmt::format("time.stop on task {}: {} runs no timer", task, employee);
    return plan;
  }
  const bool ended = running->closes_at <= event.received_at;
  if (auto closed = Close(plan, employee, *running, ended ? running->closes_at : event.received_at,
                          ended ? CloseReason::kEndOfDay : CloseReason::kStopped, 0);
      !closed) {
    return core::Fail(closed.error());
  }
  const std::string key = TimerKey(employee);
  plan.flows.push_back(engine::FlowChange{key, kFlowKind, task, std::nullopt, kIdle, "{}"});
  plan.timers.push_back(engine::TimerChange{engine::TimerAction::kCancel, key, "", {}, ""});
  plan.summary += fmt::format("; timer of {} stopped on task {}", employee, task);
  return plan;
}

core::Result<engine::Plan> TimeTimers::Due(const engine::StoredEvent& event) {
  engine::Plan plan;
  const json payload = json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object() || !payload.contains("employee") || !payload["employee"].is_string() ||
      !payload.contains("started_at") || !payload["started_at"].is_number_integer()) {
    return core::Fail(core::ErrorCode::kPermanent, "time.timer_due: malformed payload");
  }
  const std::string employee = payload["employee"].get<std::string>();
  const auto running = RunningOf(employee);
  // A timer stopped (or restarted) since is not this one's business.
  if (!running || Seconds(running->started_at) != payload["started_at"].get<std::int64_t>()) {
    plan.summary = fmt::format("timer of {}: already stopped", employee);
    return plan;
  }
  if (auto closed = Close(plan, employee, *running, running->closes_at, CloseReason::kEndOfDay, 0);
      !closed) {
    return core::Fail(closed.error());
  }
  plan.flows.push_back(
      engine::FlowChange{TimerKey(employee), kFlowKind, running->task, std::nullopt, kIdle, "{}"});
  return plan;
}

core::Status TimeTimers::Close(engine::Plan& plan, const std::string& employee,
                               const Running& running, core::TimePoint end, CloseReason reason,
                               std::int64_t switched_to) {
  const auto seconds = std::max<std::int64_t>(0, Seconds(end) - Seconds(running.started_at));
  const std::int64_t minutes = (seconds + 30) / 60;
  const std::string started = std::to_string(Seconds(running.started_at));
  if (minutes > 0) {
    const calendar::LocalDate day = calendar_.ToLocalDate(running.started_at);
    const auto local_minutes = [&](core::TimePoint moment) {
      const core::TimePoint midnight = calendar_.ToMoment(day, calendar::LocalTime{0});
      const auto since = std::chrono::duration_cast<std::chrono::minutes>(moment - midnight);
      return calendar::LocalTime{static_cast<int>(std::clamp<long long>(since.count(), 0, 1439))};
    };
    plan::TimeWriteEntry entry;
    entry.task = running.task;
    entry.employee = employee;
    entry.date = day.ToString();
    entry.from = HoursAndMinutes(local_minutes(running.started_at));
    entry.to = HoursAndMinutes(local_minutes(end));
    entry.minutes = minutes;
    plan.effects.push_back(
        plan::MakeEffect(entry, "planfix", fmt::format("time.entry:{}:{}", employee, started)));
  }
  templates::Values values{{"employee", employee},
                           {"started_at", calendar_.FormatLocal(running.started_at)},
                           {"ended_at", calendar_.FormatLocal(end)},
                           {"duration", Duration(minutes)},
                           {"too_short", minutes == 0 ? "yes" : ""},
                           {"end_of_day", reason == CloseReason::kEndOfDay ? "yes" : ""},
                           {"switched_to", switched_to > 0 ? std::to_string(switched_to) : ""}};
  if (auto commented = Comment(plan, running.task, "comment_timer_stopped", values,
                               fmt::format("time.timer.comment:{}:{}:stopped", employee, started));
      !commented) {
    return commented;
  }
  plan.summary =
      fmt::format("timer of {} on task {} closed: {} minutes{}", employee, running.task, minutes,
                  reason == CloseReason::kEndOfDay   ? " (end of the working day)"
                  : reason == CloseReason::kSwitched ? " (another timer started)"
                                                     : "");
  return core::Ok();
}

core::Result<bool> TimeTimers::IgnoredForNoTask(const engine::StoredEvent& event, std::int64_t task,
                                                engine::Plan& plan) {
  // A refusal is said on the task; a task Planfix does not have would only turn the comment
  // into a job that dies on a 404. The press is ignored with the reason, as time.start does.
  auto found = planfix_.GetTask(task);
  if (found) return false;
  if (found.error().code != core::ErrorCode::kNotFound) return core::Fail(found.error());
  core::Logger("time")->warn("event={} outcome=ignored task={} reason=\"no such task\"", event.kind,
                             task);
  plan.summary = fmt::format("{} ignored: task {} not found", event.kind, task);
  return true;
}

core::Status TimeTimers::Comment(engine::Plan& plan, std::int64_t task, std::string_view name,
                                 const templates::Values& values, const std::string& key) {
  auto text = templates_.Render(name, config_.templates.default_language, values);
  if (!text) return core::Fail(text.error());
  plan::PlanfixAddComment comment;
  comment.task = task;
  comment.description = *text;
  plan.effects.push_back(plan::MakeEffect(comment, "planfix", key));
  return core::Ok();
}

void TimeTimers::RegisterEffects(engine::EffectExecutor& executor) {
  executor.Register(plan::kEffectTimeWriteEntry,
                    [this](const engine::Job& job) { return WriteEntry(job); });
}

core::Result<std::string> TimeTimers::WriteEntry(const engine::Job& job) {
  auto payload = plan::Decode<plan::TimeWriteEntry>(job.payload);
  if (!payload) return core::Fail(payload.error());
  const std::int64_t task = payload->task;
  const std::string& employee = payload->employee;
  const std::string& date = payload->date;
  const long long tag = config_.time.data_tag;
  const auto& fields = config_.time.fields;

  // A retry may follow a write whose answer was lost: an entry of this employee, day and
  // length on the task is taken as that write.
  if (job.attempts > 1) {
    planfix::DataTagQuery query;
    query.task_id = task;
    for (long long id : {fields.date, fields.duration, fields.period, fields.employee}) {
      if (id > 0) query.custom_field_ids.push_back(id);
    }
    auto entries = planfix_.ListDataTagEntries(tag, query);
    if (!entries) return core::Fail(entries.error());
    const auto layout = TimeSyncOptionsFor(config_).layout;
    for (const auto& entry : *entries) {
      const auto parsed = timekeeping::ParseTimeEntry(entry, layout);
      if (parsed && parsed->task == task && parsed->employee == employee &&
          parsed->date.ToString() == date && parsed->minutes == payload->minutes) {
        return json{{"keys", json::array({entry.key})}, {"already_written", true}}.dump();
      }
    }
  }

  // The fields' types decide their wire shapes. They are kept once read; when the kept types
  // cannot fill a field, or Planfix refuses the entry's values, an admin may have changed a
  // field's type since: they are read again once before the job fails.
  for (bool fresh = false;; fresh = true) {
    std::map<long long, planfix::FieldType> types;
    {
      std::lock_guard lock(mutex_);
      if (field_types_.empty() || fresh) {
        auto definitions = planfix_.GetDataTagFields(tag);
        if (!definitions) return core::Fail(definitions.error());
        field_types_.clear();
        for (const auto& field : *definitions) field_types_[field.id] = field.type;
        fresh = true;
      }
      types = field_types_;
    }
    auto values = EntryValues(types, *payload);
    if (!values) {
      if (!fresh) continue;
      return core::Fail(values.error());
    }
    auto added = planfix_.AddDataTagEntries(task, tag, {*values});
    if (!added) {
      if (!fresh && added.error().code == core::ErrorCode::kInvalidInput) {
        core::Logger("time")->info(
            "event=time_entry_refused data_tag={} action=\"reading the field types again\" "
            "error=\"{}\"",
            tag, added.error().ToString());
        continue;
      }
      return core::Fail(added.error());
    }
    return json{{"keys", added->keys}}.dump();
  }
}

core::Result<std::vector<planfix::CustomFieldValue>> TimeTimers::EntryValues(
    const std::map<long long, planfix::FieldType>& types, const plan::TimeWriteEntry& entry) const {
  const auto& fields = config_.time.fields;
  const long long tag = config_.time.data_tag;
  const std::int64_t minutes = entry.minutes;
  const std::string& from = entry.from;
  const std::string& to = entry.to;
  const auto type_of = [&](long long id) -> std::optional<planfix::FieldType> {
    const auto it = types.find(id);
    if (it == types.end()) return std::nullopt;
    return it->second;
  };
  const auto unusable = [&](const char* key, long long id) {
    return core::Fail(core::ErrorCode::kPermanent,
                      fmt::format("time.fields.{} ({}) is not a field of data tag {} that a timer "
                                  "can fill",
                                  key, id, tag));
  };

  std::vector<planfix::CustomFieldValue> values;
  const std::string planfix_date = PlanfixDate(entry.date);
  if (fields.date > 0) {
    const auto type = type_of(fields.date);
    if (type == planfix::FieldType::kDate) {
      values.push_back({fields.date, json{{"date", planfix_date}}});
    } else if (type == planfix::FieldType::kDateTime) {
      values.push_back({fields.date, json{{"date", planfix_date}, {"time", from}}});
    } else {
      return unusable("date", fields.date);
    }
  }
  if (fields.duration > 0) {
    const auto type = type_of(fields.duration);
    if (type == planfix::FieldType::kNumber) {
      if (fields.duration_unit == "hours") {
        // Four decimals read back as the same whole minutes: the division rounds on purpose.
        const std::int64_t ten_thousandths = (minutes * 10000 + 30) / 60;
        values.push_back({fields.duration, json(static_cast<double>(ten_thousandths) / 10000.0)});
      } else {
        values.push_back({fields.duration, json(minutes)});
      }
    } else if (type == planfix::FieldType::kTime) {
      values.push_back({fields.duration,
                        json{{"time", fmt::format("{:02}:{:02}", minutes / 60, minutes % 60)}}});
    } else {
      return unusable("duration", fields.duration);
    }
  }
  if (fields.period > 0) {
    const auto type = type_of(fields.period);
    if (type == planfix::FieldType::kPeriod) {
      values.push_back({fields.period, json{{"from", {{"time", from}}}, {"to", {{"time", to}}}}});
    } else if (type == planfix::FieldType::kDateWithTimeFrame) {
      values.push_back({fields.period, json{{"from", {{"date", planfix_date}, {"time", from}}},
                                            {"to", {{"date", planfix_date}, {"time", to}}}}});
    } else {
      return unusable("period", fields.period);
    }
  }
  values.push_back({fields.employee, json{{"id", entry.employee}}});
  return values;
}

}  // namespace planfix_flow::app
