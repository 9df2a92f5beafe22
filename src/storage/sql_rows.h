// Helpers shared by the storage .cpp files: time conversion and row readers.
// Private to src/storage.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <optional>
#include <string>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/storage/records.h"

namespace planfix_flow::storage::internal {

inline std::int64_t ToMillis(core::TimePoint moment) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(moment.time_since_epoch()).count();
}

inline core::TimePoint FromMillis(std::int64_t millis) {
  return core::TimePoint(
      std::chrono::duration_cast<core::Duration>(std::chrono::milliseconds(millis)));
}

inline std::optional<core::TimePoint> OptionalTime(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return FromMillis(column.getInt64());
}

inline std::optional<std::int64_t> OptionalInt(const SQLite::Column& column) {
  if (column.isNull()) return std::nullopt;
  return column.getInt64();
}

inline void BindOptional(SQLite::Statement& statement, int index,
                         const std::optional<std::int64_t>& value) {
  if (value) {
    statement.bind(index, *value);
  } else {
    statement.bind(index);
  }
}

// Column lists matching the readers below.
inline constexpr const char* kEventColumns =
    "id, source, dedupe_key, kind, payload, received_at, state, attempts, next_attempt_at, "
    "last_error, processed_at";
inline constexpr const char* kJobColumns =
    "id, kind, destination, payload, idempotency_key, event_id, state, attempts, max_attempts, "
    "due_at, next_attempt_at, lease_owner, lease_expires_at, last_error, result, created_at, "
    "updated_at, done_at, replay_count, replayed_at, priority";
inline constexpr const char* kTimerColumns =
    "id, key, kind, payload, due_at, state, created_at, fired_at, event_id";
inline constexpr const char* kFlowColumns =
    "id, key, kind, planfix_task, planfix_contact, state, data, created_at, updated_at";

StoredEvent ReadEvent(SQLite::Statement& row);
Job ReadJob(SQLite::Statement& row);
Timer ReadTimer(SQLite::Statement& row);
Flow ReadFlow(SQLite::Statement& row);

}  // namespace planfix_flow::storage::internal
