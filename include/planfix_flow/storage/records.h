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
#include "planfix_flow/storage/inbox.h"

namespace planfix_flow::storage {

std::optional<EventSource> ParseEventSource(std::string_view text);

enum class EventState { kPending, kDone, kDead };
std::string_view ToString(EventState state);
std::optional<EventState> ParseEventState(std::string_view text);

// An event as committed to the inbox.
struct StoredEvent {
  std::int64_t id = 0;
  EventSource source = EventSource::kPlanfix;
  std::string dedupe_key;
  std::string kind;
  std::string payload;
  core::TimePoint received_at;
  EventState state = EventState::kPending;
  int attempts = 0;  // failed processing attempts so far
  core::TimePoint next_attempt_at;
  std::string last_error;
  std::optional<core::TimePoint> processed_at;
};

// One outward call to make: becomes a job. The idempotency key is unique across all jobs;
// an effect whose key already exists is dropped, so a replayed event adds no duplicates.
struct Effect {
  std::string kind;         // the executor handler to run, e.g. "telegram.send_message"
  std::string destination;  // pacing key, e.g. "telegram:chat:123" or "planfix"
  std::string payload;      // JSON the handler reads
  std::string idempotency_key;
  std::optional<core::TimePoint> not_before;  // earliest run; now when absent
  int max_attempts = 0;                       // 0: the executor's default
};

enum class TimerAction { kSet, kCancel };

// Set replaces any timer with the same key (pending, fired or cancelled) by a new one;
// Cancel marks a pending timer cancelled (a missing or fired timer is left alone).
struct TimerChange {
  TimerAction action = TimerAction::kSet;
  std::string key;         // e.g. "brief.reminder:task:123"
  std::string kind;        // the event kind the timer becomes when due (Set only)
  core::TimePoint due_at;  // Set only
  std::string payload;     // the event payload when due (Set only); "{}" when empty
};

// Upserts the flow with this key. Absent task/contact keep the stored values; data replaces.
struct FlowChange {
  std::string key;   // e.g. "brief:task:123"
  std::string kind;  // e.g. "brief"
  std::optional<std::int64_t> task;
  std::optional<std::int64_t> contact;
  std::string state;
  std::string data;  // JSON; "{}" when empty
};

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

struct Flow {
  std::int64_t id = 0;
  std::string key;
  std::string kind;
  std::optional<std::int64_t> task;
  std::optional<std::int64_t> contact;
  std::string state;
  std::string data;
  core::TimePoint created_at;
  core::TimePoint updated_at;
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

// "2026-11-27T14:03:05.120Z"
std::string FormatTime(core::TimePoint moment);

}  // namespace planfix_flow::storage
