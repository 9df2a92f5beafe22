// Database: the timers and flows part.
#include <SQLiteCpp/SQLiteCpp.h>

#include <stdexcept>

#include "planfix_flow/storage/database.h"
#include "storage/sql_rows.h"

namespace planfix_flow::storage {

using internal::ToMillis;

std::size_t Database::FireDueTimers(core::TimePoint now, std::size_t limit) {
  struct Due {
    std::int64_t id;
    std::string kind;
    std::string payload;
  };
  std::size_t fired = 0;
  bool stored_events = false;
  const std::int64_t now_ms = ToMillis(now);
  Write([&](SQLite::Database& db) {
    // Collected first: the updates below change the index the query walks.
    std::vector<Due> due;
    SQLite::Statement query(db,
                            "SELECT id, kind, payload FROM timers"
                            " WHERE state = 'pending' AND due_at <= ?"
                            " ORDER BY due_at, id LIMIT ?");
    query.bind(1, now_ms);
    query.bind(2, static_cast<std::int64_t>(limit));
    while (query.executeStep()) {
      due.push_back(Due{query.getColumn(0).getInt64(), query.getColumn(1).getString(),
                        query.getColumn(2).getString()});
    }
    SQLite::Statement insert(db,
                             "INSERT INTO events (source, dedupe_key, kind, payload, received_at,"
                             " next_attempt_at) VALUES ('timer', ?, ?, ?, ?, ?)"
                             " ON CONFLICT (source, dedupe_key) DO NOTHING RETURNING id");
    SQLite::Statement existing(db,
                               "SELECT id FROM events WHERE source = 'timer' AND dedupe_key = ?");
    SQLite::Statement mark(db,
                           "UPDATE timers SET state = 'fired', fired_at = ?, event_id = ?"
                           " WHERE id = ?");
    for (const auto& timer : due) {
      // The dedupe key makes a second firing of the same timer (e.g. after a crash between
      // storing the event and marking the timer) store nothing new.
      const std::string dedupe_key = "timer:" + std::to_string(timer.id);
      insert.bind(1, dedupe_key);
      insert.bind(2, timer.kind);
      insert.bind(3, timer.payload);
      insert.bind(4, now_ms);
      insert.bind(5, now_ms);
      std::int64_t event_id = 0;
      if (insert.executeStep()) {
        event_id = insert.getColumn(0).getInt64();
        stored_events = true;
      } else {
        existing.bind(1, dedupe_key);
        if (existing.executeStep()) event_id = existing.getColumn(0).getInt64();
        existing.reset();
      }
      insert.reset();
      mark.bind(1, now_ms);
      mark.bind(2, event_id);
      mark.bind(3, timer.id);
      mark.exec();
      mark.reset();
      ++fired;
    }
  });
  if (stored_events) NotifyEventsAdded();
  return fired;
}

std::optional<core::TimePoint> Database::NextTimerDue() const {
  std::optional<core::TimePoint> next;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(
        db, "SELECT due_at FROM timers WHERE state = 'pending' ORDER BY due_at LIMIT 1");
    if (query.executeStep()) next = internal::FromMillis(query.getColumn(0).getInt64());
  });
  return next;
}

std::optional<Timer> Database::GetTimer(const std::string& key) const {
  std::optional<Timer> timer;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(
        db, std::string("SELECT ") + internal::kTimerColumns + " FROM timers WHERE key = ?");
    query.bind(1, key);
    if (query.executeStep()) timer = internal::ReadTimer(query);
  });
  return timer;
}

std::int64_t Database::CountPendingTimers() const {
  std::int64_t count = 0;
  Read([&](SQLite::Database& db) {
    count = db.execAndGet("SELECT COUNT(*) FROM timers WHERE state = 'pending'").getInt64();
  });
  return count;
}

std::optional<Flow> Database::GetFlow(const std::string& key) const {
  std::optional<Flow> flow;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(
        db, std::string("SELECT ") + internal::kFlowColumns + " FROM flows WHERE key = ?");
    query.bind(1, key);
    if (query.executeStep()) flow = internal::ReadFlow(query);
  });
  return flow;
}

Flow Database::EnsureFlow(const FlowChange& flow, core::TimePoint now) {
  if (flow.key.empty() || flow.kind.empty() || flow.state.empty()) {
    throw std::invalid_argument("storage: a flow needs a key, a kind and a state");
  }
  std::optional<Flow> stored;
  Write([&](SQLite::Database& db) {
    SQLite::Statement insert(
        db,
        "INSERT INTO flows (kind, key, planfix_task, planfix_contact, state, data, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING");
    insert.bind(1, flow.kind);
    insert.bind(2, flow.key);
    internal::BindOptional(insert, 3, flow.task);
    internal::BindOptional(insert, 4, flow.contact);
    insert.bind(5, flow.state);
    insert.bind(6, flow.data.empty() ? std::string("{}") : flow.data);
    insert.bind(7, ToMillis(now));
    insert.bind(8, ToMillis(now));
    insert.exec();
    SQLite::Statement query(
        db, std::string("SELECT ") + internal::kFlowColumns + " FROM flows WHERE key = ?");
    query.bind(1, flow.key);
    if (query.executeStep()) stored = internal::ReadFlow(query);
  });
  if (!stored) throw std::runtime_error("storage: flow " + flow.key + " vanished after insert");
  return *stored;
}

std::vector<Flow> Database::FlowsForTask(std::int64_t task, std::size_t limit) const {
  std::vector<Flow> flows;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, std::string("SELECT ") + internal::kFlowColumns +
                                    " FROM flows WHERE planfix_task = ?"
                                    " ORDER BY updated_at DESC, id DESC LIMIT ?");
    query.bind(1, task);
    query.bind(2, static_cast<std::int64_t>(limit));
    while (query.executeStep()) flows.push_back(internal::ReadFlow(query));
  });
  return flows;
}

std::vector<Flow> Database::ListFlows(const std::string& kind, const std::string& state,
                                      std::size_t limit) const {
  std::vector<Flow> flows;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, std::string("SELECT ") + internal::kFlowColumns +
                                    " FROM flows WHERE kind = ? AND state = ?"
                                    " ORDER BY updated_at DESC, id DESC LIMIT ?");
    query.bind(1, kind);
    query.bind(2, state);
    query.bind(3, static_cast<std::int64_t>(limit));
    while (query.executeStep()) flows.push_back(internal::ReadFlow(query));
  });
  return flows;
}

}  // namespace planfix_flow::storage
