#include "storage/schema.h"

namespace planfix_flow::storage {

namespace {

// Times are unix milliseconds UTC. States are lowercase words checked by the schema.
constexpr std::string_view kInitialSchema = R"sql(
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  source TEXT NOT NULL,
  dedupe_key TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  processed_at INTEGER,
  UNIQUE (source, dedupe_key)
);
CREATE INDEX events_by_state ON events (state, id);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  destination TEXT NOT NULL DEFAULT '',
  payload TEXT NOT NULL,
  idempotency_key TEXT NOT NULL UNIQUE,
  event_id INTEGER REFERENCES events (id),
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'running', 'done', 'dead')),
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL DEFAULT 0,
  due_at INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  result TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  done_at INTEGER,
  replay_count INTEGER NOT NULL DEFAULT 0,
  replayed_at INTEGER
);
CREATE INDEX jobs_by_next_attempt ON jobs (state, next_attempt_at);
CREATE INDEX jobs_by_lease ON jobs (state, lease_expires_at);
CREATE INDEX jobs_by_event ON jobs (event_id);

-- AUTOINCREMENT: a re-set timer gets a new id that no earlier timer had, because its
-- event's dedupe key is "timer:<id>".
CREATE TABLE timers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  due_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending'
    CHECK (state IN ('pending', 'fired', 'cancelled')),
  created_at INTEGER NOT NULL,
  fired_at INTEGER,
  event_id INTEGER REFERENCES events (id)
);
CREATE INDEX timers_by_due ON timers (state, due_at);

CREATE TABLE flows (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL UNIQUE,
  planfix_task INTEGER,
  planfix_contact INTEGER,
  state TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX flows_by_task ON flows (planfix_task);
)sql";

// Telegram group chats that became supergroups (old id -> new id), so every later message
// goes to the new id at once; and small facts the service keeps about itself between runs
// (e.g. which Telegram webhook problem the staff chat was already told about).
constexpr std::string_view kTelegramState = R"sql(
CREATE TABLE chat_migrations (
  old_chat_id INTEGER PRIMARY KEY,
  new_chat_id INTEGER NOT NULL,
  migrated_at INTEGER NOT NULL
);

CREATE TABLE service_state (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
)sql";

// Communication time (issue 14): the time data tag's entries as last read from Planfix (the
// entry key is the identity, so a re-read corrects instead of doubling), the entries that do
// not count with their reason, the facts of the tasks they are on, and the sync's watermark.
constexpr std::string_view kTimeRecords = R"sql(
CREATE TABLE time_entries (
  entry_key INTEGER PRIMARY KEY,
  task INTEGER NOT NULL,
  employee TEXT NOT NULL,
  work_date TEXT NOT NULL,
  minutes INTEGER NOT NULL CHECK (minutes BETWEEN 0 AND 1440),
  kind TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX time_entries_by_date ON time_entries (work_date);
CREATE INDEX time_entries_by_task ON time_entries (task);

CREATE TABLE time_problems (
  entry_key INTEGER PRIMARY KEY,
  task INTEGER,
  work_date TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL,
  entry TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE time_tasks (
  task INTEGER PRIMARY KEY,
  name TEXT NOT NULL DEFAULT '',
  process INTEGER NOT NULL DEFAULT 0,
  template INTEGER NOT NULL DEFAULT 0,
  parent INTEGER NOT NULL DEFAULT 0,
  counterparty INTEGER NOT NULL DEFAULT 0,
  amount INTEGER,
  deleted INTEGER NOT NULL DEFAULT 0 CHECK (deleted IN (0, 1)),
  read_at INTEGER NOT NULL
);

CREATE TABLE time_sync (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_sync_at INTEGER,
  last_full_sync_at INTEGER,
  window_from TEXT NOT NULL DEFAULT '',
  highest_key INTEGER NOT NULL DEFAULT 0
);
)sql";

// Job priority (plan::EffectPriority): 0 interactive, 1 bulk. The executor leases the due
// interactive jobs first, so a button press does not wait behind the monthly run's backlog.
constexpr std::string_view kJobPriority = R"sql(
ALTER TABLE jobs ADD COLUMN priority INTEGER NOT NULL DEFAULT 0 CHECK (priority IN (0, 1));
CREATE INDEX jobs_by_priority ON jobs (state, priority, next_attempt_at);
)sql";

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {1, kInitialSchema},
      {2, kTelegramState},
      {3, kTimeRecords},
      {4, kJobPriority},
  };
  return migrations;
}

}  // namespace planfix_flow::storage
