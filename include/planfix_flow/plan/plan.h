// The plan vocabulary: the event a rule reads and the plan it returns (effects that become
// jobs, timer changes, flow changes, and the flows it may read), as plain data shared by the
// workflow, the engine and storage. A leaf: it depends on core only.
// Plain value types; thread-compatible. Times are UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::plan {

// Where an event came from. Stored as the lowercase names "planfix", "google", "telegram",
// "timer", "internal".
// kBank: the bank's statement items (monobank), by webhook or by reconciliation.
enum class EventSource { kPlanfix, kGoogle, kTelegram, kTimer, kInternal, kBank };
std::string_view ToString(EventSource source);

enum class EventState { kPending, kDone, kDead };
std::string_view ToString(EventState state);
std::optional<EventState> ParseEventState(std::string_view text);

std::optional<EventSource> ParseEventSource(std::string_view text);

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
// The executor runs every due interactive job before any due bulk job: work nobody waits
// for at that moment (what a timer started, the monthly run's hundreds of Planfix calls)
// must not hold up a button press behind it, since both share Planfix's 1 request/s.
enum class EffectPriority { kInteractive = 0, kBulk = 1 };

struct Effect {
  std::string kind;         // the executor handler to run, e.g. "telegram.send_message"
  std::string destination;  // pacing key, e.g. "telegram:chat:123" or "planfix"
  std::string payload;      // JSON the handler reads
  std::string idempotency_key;
  std::optional<core::TimePoint> not_before;  // earliest run; now when absent
  int max_attempts = 0;                       // 0: the executor's default
  EffectPriority priority = EffectPriority::kInteractive;
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

// A flow as stored: a rule's memory between events.
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

struct Plan {
  std::vector<Effect> effects;
  std::vector<TimerChange> timers;
  std::vector<FlowChange> flows;
  std::string summary;  // one line for the log, e.g. "brief sent to contact 12"; no secrets
};

}  // namespace planfix_flow::plan
