// Storage records: the plain rows planfix-flow keeps (events, jobs, timers, flows) and the
// changes a processed event asks for (effects, timer changes, flow changes).
// Plain value types; thread-compatible. Times are UTC; the database stores unix milliseconds.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/storage/inbox.h"

namespace planfix_flow::storage {

// The plan vocabulary lives in plan/plan.h; storage keeps the names it has always used.
using core::FormatTime;
using plan::Effect;
using plan::EventState;
using plan::Flow;
using plan::FlowChange;
using plan::ParseEventSource;
using plan::ParseEventState;
using plan::StoredEvent;
using plan::TimerAction;
using plan::TimerChange;
using plan::ToString;

enum class JobState { kPending, kRunning, kDone, kDead };
std::string_view ToString(JobState state);
std::optional<JobState> ParseJobState(std::string_view text);

struct Job {
  std::int64_t id = 0;
  std::string kind;
  std::string destination;
  std::string payload;
  std::string idempotency_key;
  std::optional<std::int64_t> event_id;  // the event whose plan created it
  JobState state = JobState::kPending;
  int attempts = 0;      // attempts started (a lease counts as an attempt)
  int max_attempts = 0;  // 0: the executor's default
  core::TimePoint due_at;
  core::TimePoint next_attempt_at;
  std::string lease_owner;
  std::optional<core::TimePoint> lease_expires_at;
  std::string last_error;
  std::string result;  // JSON the handler returned on success
  core::TimePoint created_at;
  core::TimePoint updated_at;
  std::optional<core::TimePoint> done_at;
  int replay_count = 0;
  std::optional<core::TimePoint> replayed_at;
  plan::EffectPriority priority = plan::EffectPriority::kInteractive;
};

enum class TimerState { kPending, kFired, kCancelled };
std::string_view ToString(TimerState state);

struct Timer {
  std::int64_t id = 0;
  std::string key;
  std::string kind;
  std::string payload;
  core::TimePoint due_at;
  TimerState state = TimerState::kPending;
  core::TimePoint created_at;
  std::optional<core::TimePoint> fired_at;
  std::optional<std::int64_t> event_id;  // the event it became
};

// What the admin page asks for: one client's timeline and the backlog at a glance.
enum class TimelineSubject { kTask, kContact };

struct Timeline {
  std::vector<StoredEvent> events;  // newest first (received_at, then id)
  std::vector<Job> jobs;            // newest first (created_at, then id)
};

struct Backlog {
  std::map<EventState, std::int64_t> events;  // count by state (absent: none)
  std::map<JobState, std::int64_t> jobs;
  std::optional<core::TimePoint> oldest_waiting_event;  // received_at of the oldest pending
  std::optional<core::TimePoint> oldest_due_job;        // due_at of the oldest due, not done
  std::int64_t timers_pending = 0;
};

// JSON views for the CLI and the admin endpoints: times as RFC 3339 UTC strings, payload
// and result embedded as JSON when they parse (as strings otherwise).
nlohmann::json ToJson(const Job& job);
nlohmann::json ToJson(const StoredEvent& event);
nlohmann::json ToJson(const Timer& timer);
nlohmann::json ToJson(const Flow& flow);

}  // namespace planfix_flow::storage
