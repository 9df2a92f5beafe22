#include "storage/sql_rows.h"

#include <stdexcept>

namespace planfix_flow::storage::internal {

namespace {

template <typename T>
T Require(std::optional<T> value, const std::string& what, const std::string& text) {
  if (!value) throw std::runtime_error("storage: unknown " + what + " '" + text + "'");
  return *value;
}

TimerState ParseTimerState(const std::string& text) {
  for (auto state : {TimerState::kPending, TimerState::kFired, TimerState::kCancelled}) {
    if (ToString(state) == text) return state;
  }
  throw std::runtime_error("storage: unknown timer state '" + text + "'");
}

}  // namespace

StoredEvent ReadEvent(SQLite::Statement& row) {
  StoredEvent event;
  event.id = row.getColumn(0).getInt64();
  const std::string source = row.getColumn(1).getString();
  event.source = Require(ParseEventSource(source), "event source", source);
  event.dedupe_key = row.getColumn(2).getString();
  event.kind = row.getColumn(3).getString();
  event.payload = row.getColumn(4).getString();
  event.received_at = FromMillis(row.getColumn(5).getInt64());
  const std::string state = row.getColumn(6).getString();
  event.state = Require(ParseEventState(state), "event state", state);
  event.attempts = row.getColumn(7).getInt();
  event.next_attempt_at = FromMillis(row.getColumn(8).getInt64());
  event.last_error = row.getColumn(9).getString();
  event.processed_at = OptionalTime(row.getColumn(10));
  return event;
}

Job ReadJob(SQLite::Statement& row) {
  Job job;
  job.id = row.getColumn(0).getInt64();
  job.kind = row.getColumn(1).getString();
  job.destination = row.getColumn(2).getString();
  job.payload = row.getColumn(3).getString();
  job.idempotency_key = row.getColumn(4).getString();
  job.event_id = OptionalInt(row.getColumn(5));
  const std::string state = row.getColumn(6).getString();
  job.state = Require(ParseJobState(state), "job state", state);
  job.attempts = row.getColumn(7).getInt();
  job.max_attempts = row.getColumn(8).getInt();
  job.due_at = FromMillis(row.getColumn(9).getInt64());
  job.next_attempt_at = FromMillis(row.getColumn(10).getInt64());
  job.lease_owner = row.getColumn(11).getString();
  job.lease_expires_at = OptionalTime(row.getColumn(12));
  job.last_error = row.getColumn(13).getString();
  job.result = row.getColumn(14).getString();
  job.created_at = FromMillis(row.getColumn(15).getInt64());
  job.updated_at = FromMillis(row.getColumn(16).getInt64());
  job.done_at = OptionalTime(row.getColumn(17));
  job.replay_count = row.getColumn(18).getInt();
  job.replayed_at = OptionalTime(row.getColumn(19));
  job.priority = row.getColumn(20).getInt() == 0 ? plan::EffectPriority::kInteractive
                                                 : plan::EffectPriority::kBulk;
  return job;
}

Timer ReadTimer(SQLite::Statement& row) {
  Timer timer;
  timer.id = row.getColumn(0).getInt64();
  timer.key = row.getColumn(1).getString();
  timer.kind = row.getColumn(2).getString();
  timer.payload = row.getColumn(3).getString();
  timer.due_at = FromMillis(row.getColumn(4).getInt64());
  timer.state = ParseTimerState(row.getColumn(5).getString());
  timer.created_at = FromMillis(row.getColumn(6).getInt64());
  timer.fired_at = OptionalTime(row.getColumn(7));
  timer.event_id = OptionalInt(row.getColumn(8));
  return timer;
}

Flow ReadFlow(SQLite::Statement& row) {
  Flow flow;
  flow.id = row.getColumn(0).getInt64();
  flow.key = row.getColumn(1).getString();
  flow.kind = row.getColumn(2).getString();
  flow.task = OptionalInt(row.getColumn(3));
  flow.contact = OptionalInt(row.getColumn(4));
  flow.state = row.getColumn(5).getString();
  flow.data = row.getColumn(6).getString();
  flow.created_at = FromMillis(row.getColumn(7).getInt64());
  flow.updated_at = FromMillis(row.getColumn(8).getInt64());
  return flow;
}

}  // namespace planfix_flow::storage::internal
