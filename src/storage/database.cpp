#include "planfix_flow/storage/database.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <stdexcept>
#include <utility>

#include "planfix_flow/core/log.h"
#include "planfix_flow/storage/backup.h"
#include "storage/schema.h"
#include "storage/sql_rows.h"

namespace planfix_flow::storage {

using internal::FromMillis;
using internal::ReadEvent;
using internal::ToMillis;

struct Database::PendingAppend {
  const NewEvent* event = nullptr;
  std::optional<core::Result<AppendResult>> result;
  // Notified (under queue_mutex_) when `result` is set, or when this append is first in the
  // queue and no leader is active, so it should lead. One per waiter: waking only the
  // appends concerned avoids a convoy of every waiter through queue_mutex_ at each commit.
  std::condition_variable wake;
};

namespace {

bool IsInMemory(const std::string& path) {
  return path.empty() || path == ":memory:" || path.find("mode=memory") != std::string::npos;
}

std::int64_t NowMillis() { return ToMillis(std::chrono::system_clock::now()); }

// "20261207T163000Z": sorts by time and needs no quoting in a file name.
std::string CompactUtcTime(std::chrono::system_clock::time_point moment) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(moment);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

// A rollback to an older build meets this: say what to do, not only what is wrong.
std::string NewerSchemaMessage(const std::string& path, int found, int latest) {
  return fmt::format(
      "storage: {} has schema version {}, newer than this build knows ({}): a newer "
      "planfix-flow has migrated it. Install that version again, or restore the backup it "
      "took before migrating ({}.schema-v{}-<time>.backup) and lose what happened since",
      path, found, latest, path, latest);
}

}  // namespace

Database::Database(DatabaseOptions options) : options_(std::move(options)) {
  if (options_.path.empty()) options_.path = ":memory:";
  if (options_.max_batch == 0) options_.max_batch = 1;
  const int timeout_ms = static_cast<int>(options_.busy_timeout.count());
  try {
    writer_ = std::make_unique<SQLite::Database>(
        options_.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_URI, timeout_ms);
  } catch (const SQLite::Exception& error) {
    // SQLite's "unable to open database file" does not say which file, nor why.
    throw std::runtime_error(
        fmt::format("storage: cannot open the database {}: {} (does its directory exist, and "
                    "may this user write there?)",
                    options_.path, error.what()));
  }
  const bool in_memory = IsInMemory(options_.path);
  if (!in_memory) {
    const std::string mode = writer_->execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal") {
      throw std::runtime_error("storage: " + options_.path + " cannot use WAL journal mode (got " +
                               mode + ")");
    }
  }
  writer_->exec(options_.synchronous == Synchronous::kFull ? "PRAGMA synchronous = FULL"
                                                           : "PRAGMA synchronous = NORMAL");
  writer_->exec("PRAGMA foreign_keys = ON");
  Migrate();
  if (!in_memory) {
    reader_ = std::make_unique<SQLite::Database>(
        options_.path, SQLite::OPEN_READONLY | SQLite::OPEN_URI, timeout_ms);
  }
  core::Logger("storage")->info("event=database_opened path={} schema_version={} synchronous={}",
                                options_.path, schema_version(),
                                options_.synchronous == Synchronous::kFull ? "full" : "normal");
}

Database::~Database() = default;

void Database::Migrate() {
  std::lock_guard lock(writer_mutex_);
  writer_->exec(
      "CREATE TABLE IF NOT EXISTS schema_version ("
      " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const auto& migrations = Migrations();
  const int latest = migrations.back().version;
  const int found =
      writer_->execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_version").getInt();
  if (found > latest) throw std::runtime_error(NewerSchemaMessage(options_.path, found, latest));
  if (found > 0 && found < latest && options_.backup_before_migration &&
      !IsInMemory(options_.path)) {
    const std::string backup = fmt::format("{}.schema-v{}-{}.backup", options_.path, found,
                                           CompactUtcTime(std::chrono::system_clock::now()));
    auto copied = BackupDatabase(options_.path, backup);
    if (!copied) {
      throw std::runtime_error(
          fmt::format("storage: not migrating {} from schema version {} to {} without a backup: {}",
                      options_.path, found, latest, copied.error().message));
    }
    core::Logger("storage")->info(
        "event=backup_before_migration path={} schema_version={} to_version={} bytes={}",
        copied->path, found, latest, copied->bytes);
  }
  for (const auto& migration : migrations) {
    // Each migration re-reads the version inside its own write transaction, so two
    // processes opening the same file at once apply it once.
    SQLite::Transaction transaction(*writer_, SQLite::TransactionBehavior::IMMEDIATE);
    const int current =
        writer_->execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_version").getInt();
    if (current > latest) {
      throw std::runtime_error(NewerSchemaMessage(options_.path, current, latest));
    }
    if (current >= migration.version) continue;  // the transaction rolls back: nothing done
    writer_->exec(std::string(migration.sql));
    SQLite::Statement record(*writer_,
                             "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)");
    record.bind(1, migration.version);
    record.bind(2, NowMillis());
    record.exec();
    transaction.commit();
    core::Logger("storage")->info("event=migration_applied version={}", migration.version);
  }
}

int Database::schema_version() const {
  int version = 0;
  Read([&](SQLite::Database& db) {
    version = db.execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_version").getInt();
  });
  return version;
}

void Database::Read(const std::function<void(SQLite::Database&)>& read) const {
  if (reader_) {
    std::lock_guard lock(reader_mutex_);
    read(*reader_);
    return;
  }
  std::lock_guard lock(writer_mutex_);
  read(*writer_);
}

void Database::Write(const std::function<void(SQLite::Database&)>& write) {
  std::lock_guard lock(writer_mutex_);
  SQLite::Transaction transaction(*writer_, SQLite::TransactionBehavior::IMMEDIATE);
  write(*writer_);
  transaction.commit();
}

bool Database::IsWritable() {
  try {
    std::lock_guard lock(writer_mutex_);
    // Takes the write lock and gives it back: fails on a read-only or vanished file system,
    // a full disk at the lock's journal write, or a lock held by another process for longer
    // than the busy timeout.
    // The transaction rolls back when it goes out of scope.
    SQLite::Transaction transaction(*writer_, SQLite::TransactionBehavior::IMMEDIATE);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void Database::SetEventsAddedListener(std::function<void()> listener) {
  auto replacement =
      listener ? std::make_shared<const std::function<void()>>(std::move(listener)) : nullptr;
  std::unique_lock lock(listener_mutex_);
  auto old = std::exchange(events_added_listener_, std::move(replacement));
  if (!old) return;
  // Calls in progress hold copies of `old`; each one notifies after dropping its copy.
  listener_idle_.wait(lock, [&old] { return old.use_count() == 1; });
}

void Database::NotifyEventsAdded() {
  std::shared_ptr<const std::function<void()>> listener;
  {
    std::lock_guard lock(listener_mutex_);
    listener = events_added_listener_;
  }
  if (!listener) return;
  (*listener)();
  listener.reset();
  // Under the mutex, so a waiting SetEventsAddedListener cannot miss the release.
  std::lock_guard lock(listener_mutex_);
  listener_idle_.notify_all();
}

std::unique_lock<std::mutex> Database::BlockWriterForTesting() {
  return std::unique_lock<std::mutex>(writer_mutex_);
}

// ---- Inbox ----

core::Result<AppendResult> Database::AppendEvent(const NewEvent& event) {
  if (event.dedupe_key.empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput, "event has no dedupe key");
  }
  if (event.kind.empty()) return core::Fail(core::ErrorCode::kInvalidInput, "event has no kind");

  PendingAppend pending;
  pending.event = &event;
  bool committed_new_events = false;
  std::unique_lock lock(queue_mutex_);
  queue_.push_back(&pending);
  while (!pending.result) {
    if (leader_active_) {
      pending.wake.wait(lock);
      continue;
    }
    // Become the leader: commit everyone queued so far (up to max_batch) in one transaction.
    leader_active_ = true;
    const std::size_t count = std::min(queue_.size(), options_.max_batch);
    std::vector<PendingAppend*> batch(queue_.begin(),
                                      queue_.begin() + static_cast<std::ptrdiff_t>(count));
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
    lock.unlock();
    auto results = CommitAppendBatch(batch);
    lock.lock();
    bool committed = false;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (results[i] && results[i]->outcome == AppendOutcome::kStored) committed_new_events = true;
      if (results[i]) committed = true;
      batch[i]->result = std::move(results[i]);
    }
    if (committed) ++append_commits_;
    leader_active_ = false;
    // Under the lock, so no waiter can see its result and leave (destroying `wake`) before
    // it is notified. The first still queued leads next; any arrival may lead first instead,
    // and whoever leads wakes the then first when done, so the queue never stalls.
    for (PendingAppend* done : batch) {
      if (done != &pending) done->wake.notify_one();
    }
    if (!queue_.empty()) queue_.front()->wake.notify_one();
  }
  auto result = std::move(*pending.result);
  lock.unlock();
  if (committed_new_events) NotifyEventsAdded();
  return result;
}

std::vector<core::Result<AppendResult>> Database::CommitAppendBatch(
    const std::vector<PendingAppend*>& batch) {
  std::vector<core::Result<AppendResult>> results;
  results.reserve(batch.size());
  try {
    std::lock_guard lock(writer_mutex_);
    SQLite::Transaction transaction(*writer_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement insert(*writer_,
                             "INSERT INTO events (source, dedupe_key, kind, payload, received_at,"
                             " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)"
                             " ON CONFLICT (source, dedupe_key) DO NOTHING RETURNING id");
    SQLite::Statement existing(*writer_,
                               "SELECT id FROM events WHERE source = ? AND dedupe_key = ?");
    for (const PendingAppend* pending : batch) {
      const NewEvent& event = *pending->event;
      const std::string source(ToString(event.source));
      const std::int64_t received = ToMillis(event.received_at);
      insert.bind(1, source);
      insert.bind(2, event.dedupe_key);
      insert.bind(3, event.kind);
      insert.bind(4, event.payload.empty() ? std::string("{}") : event.payload);
      insert.bind(5, received);
      insert.bind(6, received);
      AppendResult result;
      if (insert.executeStep()) {
        result.outcome = AppendOutcome::kStored;
        result.event_id = insert.getColumn(0).getInt64();
      } else {
        existing.bind(1, source);
        existing.bind(2, event.dedupe_key);
        if (!existing.executeStep()) {
          throw std::runtime_error("storage: duplicate event vanished");
        }
        result.outcome = AppendOutcome::kDuplicate;
        result.event_id = existing.getColumn(0).getInt64();
        existing.reset();
      }
      insert.reset();
      results.emplace_back(result);
    }
    transaction.commit();
  } catch (const std::exception& error) {
    core::Logger("storage")->error("event=append_failed batch={} error=\"{}\"", batch.size(),
                                   error.what());
    results.clear();
    for (std::size_t i = 0; i < batch.size(); ++i) {
      results.emplace_back(core::Fail(core::ErrorCode::kUnavailable,
                                      std::string("database write failed: ") + error.what()));
    }
  }
  return results;
}

std::uint64_t Database::append_commits() const {
  std::lock_guard lock(queue_mutex_);
  return append_commits_;
}

std::size_t Database::queued_appends() const {
  std::lock_guard lock(queue_mutex_);
  return queue_.size();
}

// ---- Events ----

std::optional<StoredEvent> Database::NextDueEvent(core::TimePoint now) const {
  std::optional<StoredEvent> event;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, std::string("SELECT ") + internal::kEventColumns +
                                    " FROM events WHERE state = 'pending' AND next_attempt_at <= ?"
                                    " ORDER BY id LIMIT 1");
    query.bind(1, ToMillis(now));
    if (query.executeStep()) event = ReadEvent(query);
  });
  return event;
}

std::optional<core::TimePoint> Database::NextEventAttemptAt() const {
  std::optional<core::TimePoint> next;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, "SELECT MIN(next_attempt_at) FROM events WHERE state = 'pending'");
    if (query.executeStep()) next = internal::OptionalTime(query.getColumn(0));
  });
  return next;
}

CommitSummary Database::CompleteEvent(std::int64_t event_id, const std::vector<Effect>& effects,
                                      const std::vector<TimerChange>& timers,
                                      const std::vector<FlowChange>& flows, core::TimePoint now) {
  for (const auto& effect : effects) {
    if (effect.kind.empty() || effect.idempotency_key.empty()) {
      throw std::invalid_argument("storage: an effect needs a kind and an idempotency key");
    }
  }
  for (const auto& timer : timers) {
    if (timer.key.empty() || (timer.action == TimerAction::kSet && timer.kind.empty())) {
      throw std::invalid_argument("storage: a timer change needs a key (and a kind to set)");
    }
  }
  for (const auto& flow : flows) {
    if (flow.key.empty() || flow.kind.empty() || flow.state.empty()) {
      throw std::invalid_argument("storage: a flow change needs a key, a kind and a state");
    }
  }
  CommitSummary summary;
  const std::int64_t now_ms = ToMillis(now);
  Write([&](SQLite::Database& db) {
    SQLite::Statement done(db,
                           "UPDATE events SET state = 'done', processed_at = ?, last_error = ''"
                           " WHERE id = ? AND state = 'pending'");
    done.bind(1, now_ms);
    done.bind(2, event_id);
    if (done.exec() != 1) {
      throw std::runtime_error("storage: event " + std::to_string(event_id) + " is not pending");
    }
    SQLite::Statement insert_job(
        db,
        "INSERT INTO jobs (kind, destination, payload, idempotency_key, event_id, max_attempts,"
        " due_at, next_attempt_at, created_at, updated_at, priority)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (idempotency_key) DO NOTHING");
    for (const auto& effect : effects) {
      const std::int64_t due = effect.not_before ? ToMillis(*effect.not_before) : now_ms;
      insert_job.bind(1, effect.kind);
      insert_job.bind(2, effect.destination);
      insert_job.bind(3, effect.payload.empty() ? std::string("{}") : effect.payload);
      insert_job.bind(4, effect.idempotency_key);
      insert_job.bind(5, event_id);
      insert_job.bind(6, effect.max_attempts);
      insert_job.bind(7, due);
      insert_job.bind(8, due);
      insert_job.bind(9, now_ms);
      insert_job.bind(10, now_ms);
      insert_job.bind(11, static_cast<int>(effect.priority));
      summary.jobs_added += static_cast<std::size_t>(insert_job.exec());
      insert_job.reset();
    }
    SQLite::Statement delete_timer(db, "DELETE FROM timers WHERE key = ?");
    SQLite::Statement insert_timer(
        db, "INSERT INTO timers (key, kind, payload, due_at, created_at) VALUES (?, ?, ?, ?, ?)");
    SQLite::Statement cancel_timer(
        db, "UPDATE timers SET state = 'cancelled' WHERE key = ? AND state = 'pending'");
    for (const auto& timer : timers) {
      if (timer.action == TimerAction::kCancel) {
        cancel_timer.bind(1, timer.key);
        summary.timers_cancelled += static_cast<std::size_t>(cancel_timer.exec());
        cancel_timer.reset();
        continue;
      }
      delete_timer.bind(1, timer.key);
      delete_timer.exec();
      delete_timer.reset();
      insert_timer.bind(1, timer.key);
      insert_timer.bind(2, timer.kind);
      insert_timer.bind(3, timer.payload.empty() ? std::string("{}") : timer.payload);
      insert_timer.bind(4, ToMillis(timer.due_at));
      insert_timer.bind(5, now_ms);
      insert_timer.exec();
      insert_timer.reset();
      ++summary.timers_set;
      if (!summary.earliest_timer || timer.due_at < *summary.earliest_timer) {
        summary.earliest_timer = timer.due_at;
      }
    }
    SQLite::Statement upsert_flow(
        db,
        "INSERT INTO flows (kind, key, planfix_task, planfix_contact, state, data, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (key) DO UPDATE SET kind = excluded.kind,"
        " planfix_task = COALESCE(excluded.planfix_task, flows.planfix_task),"
        " planfix_contact = COALESCE(excluded.planfix_contact, flows.planfix_contact),"
        " state = excluded.state, data = excluded.data, updated_at = excluded.updated_at");
    for (const auto& flow : flows) {
      upsert_flow.bind(1, flow.kind);
      upsert_flow.bind(2, flow.key);
      internal::BindOptional(upsert_flow, 3, flow.task);
      internal::BindOptional(upsert_flow, 4, flow.contact);
      upsert_flow.bind(5, flow.state);
      upsert_flow.bind(6, flow.data.empty() ? std::string("{}") : flow.data);
      upsert_flow.bind(7, now_ms);
      upsert_flow.bind(8, now_ms);
      upsert_flow.exec();
      upsert_flow.reset();
    }
  });
  return summary;
}

void Database::FailEvent(std::int64_t event_id, const std::string& error, FailureOutcome outcome,
                         core::TimePoint next_attempt_at, core::TimePoint now) {
  Write([&](SQLite::Database& db) {
    SQLite::Statement update(
        db,
        "UPDATE events SET attempts = attempts + 1, state = ?, next_attempt_at = ?,"
        " last_error = ?, processed_at = ? WHERE id = ? AND state = 'pending'");
    const bool dead = outcome == FailureOutcome::kDead;
    update.bind(1, dead ? "dead" : "pending");
    update.bind(2, ToMillis(next_attempt_at));
    update.bind(3, error);
    if (dead) {
      update.bind(4, ToMillis(now));
    } else {
      update.bind(4);
    }
    update.bind(5, event_id);
    update.exec();
  });
}

core::Status Database::ReplayEvent(std::int64_t event_id, core::TimePoint now) {
  core::Status status;
  Write([&](SQLite::Database& db) {
    SQLite::Statement query(db, "SELECT state FROM events WHERE id = ?");
    query.bind(1, event_id);
    if (!query.executeStep()) {
      status = core::Fail(core::ErrorCode::kNotFound, "no event " + std::to_string(event_id));
      return;
    }
    const std::string state = query.getColumn(0).getString();
    if (state != "dead") {
      status = core::Fail(core::ErrorCode::kConflict,
                          "event " + std::to_string(event_id) + " is " + state + ", not dead");
      return;
    }
    SQLite::Statement update(db,
                             "UPDATE events SET state = 'pending', attempts = 0,"
                             " next_attempt_at = ?, processed_at = NULL WHERE id = ?");
    update.bind(1, ToMillis(now));
    update.bind(2, event_id);
    update.exec();
  });
  if (status) NotifyEventsAdded();
  return status;
}

std::optional<StoredEvent> Database::GetEvent(std::int64_t event_id) const {
  std::optional<StoredEvent> event;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(
        db, std::string("SELECT ") + internal::kEventColumns + " FROM events WHERE id = ?");
    query.bind(1, event_id);
    if (query.executeStep()) event = ReadEvent(query);
  });
  return event;
}

std::vector<StoredEvent> Database::ListEvents(std::optional<EventState> state,
                                              std::size_t limit) const {
  std::vector<StoredEvent> events;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, std::string("SELECT ") + internal::kEventColumns +
                                    " FROM events WHERE (?1 IS NULL OR state = ?1)"
                                    " ORDER BY id DESC LIMIT ?2");
    if (state) {
      query.bind(1, std::string(ToString(*state)));
    } else {
      query.bind(1);
    }
    query.bind(2, static_cast<std::int64_t>(limit));
    while (query.executeStep()) events.push_back(ReadEvent(query));
  });
  return events;
}

// ---- Metrics ----

Database::PruneSummary Database::PruneBefore(core::TimePoint cutoff, core::TimePoint now,
                                             std::size_t batch) {
  const nlohmann::json marker = {{"pruned_at", FormatTime(now)}};
  const std::string blank = marker.dump();
  // A blanked body starts with this, so a later run skips it.
  const std::string prefix = R"({"pruned_at":)";
  PruneSummary summary;
  const auto prune = [&](const char* sql) {
    std::size_t total = 0;
    for (;;) {
      std::size_t changed = 0;
      Write([&](SQLite::Database& db) {
        SQLite::Statement update(db, sql);
        update.bind(1, blank);
        update.bind(2, ToMillis(cutoff));
        update.bind(3, prefix);
        update.bind(4, static_cast<std::int64_t>(batch));
        changed = static_cast<std::size_t>(update.exec());
      });
      total += changed;
      if (changed < batch) return total;
    }
  };
  summary.events = prune(
      "UPDATE events SET payload = ?1 WHERE id IN (SELECT id FROM events WHERE state = 'done' "
      "AND processed_at < ?2 AND substr(payload, 1, length(?3)) <> ?3 LIMIT ?4)");
  summary.jobs = prune(
      "UPDATE jobs SET payload = ?1 WHERE id IN (SELECT id FROM jobs WHERE state = 'done' "
      "AND done_at < ?2 AND substr(payload, 1, length(?3)) <> ?3 LIMIT ?4)");
  return summary;
}

void Database::CollectMetrics(core::Metrics& metrics) const {
  const auto jobs = CountJobsByState();
  for (auto state : {JobState::kPending, JobState::kRunning, JobState::kDone, JobState::kDead}) {
    const auto found = jobs.find(state);
    metrics
        .GetGauge("planfix_flow_jobs", "Jobs (outbound effects) by state",
                  {{"state", std::string(ToString(state))}})
        .Set(found == jobs.end() ? 0.0 : static_cast<double>(found->second));
  }
  std::map<std::string, std::int64_t> events;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, "SELECT state, COUNT(*) FROM events GROUP BY state");
    while (query.executeStep()) {
      events[query.getColumn(0).getString()] = query.getColumn(1).getInt64();
    }
  });
  for (auto state : {EventState::kPending, EventState::kDone, EventState::kDead}) {
    const auto found = events.find(std::string(ToString(state)));
    metrics
        .GetGauge("planfix_flow_events", "Inbox events by state",
                  {{"state", std::string(ToString(state))}})
        .Set(found == events.end() ? 0.0 : static_cast<double>(found->second));
  }
  metrics.GetGauge("planfix_flow_timers_pending", "Timers waiting to fall due")
      .Set(static_cast<double>(CountPendingTimers()));
}

void Database::CollectMetrics(core::Metrics& metrics, core::TimePoint now) const {
  CollectMetrics(metrics);
  // How long the oldest item has waited: an event since it came in, a job since it fell due
  // (a job planned for later is not waiting yet). 0 when nothing waits.
  const std::int64_t now_ms = ToMillis(now);
  std::int64_t oldest_event = now_ms;
  std::int64_t oldest_job = now_ms;
  Read([&](SQLite::Database& db) {
    SQLite::Statement events(db, "SELECT MIN(received_at) FROM events WHERE state = 'pending'");
    if (events.executeStep() && !events.getColumn(0).isNull())
      oldest_event = std::min(oldest_event, events.getColumn(0).getInt64());
    SQLite::Statement jobs(db,
                           "SELECT MIN(due_at) FROM jobs WHERE state IN ('pending', 'running') "
                           "AND due_at <= ?");
    jobs.bind(1, now_ms);
    if (jobs.executeStep() && !jobs.getColumn(0).isNull())
      oldest_job = std::min(oldest_job, jobs.getColumn(0).getInt64());
  });
  const auto seconds = [now_ms](std::int64_t since) {
    return static_cast<double>(now_ms - since) / 1000.0;
  };
  const char* help = "Seconds the oldest waiting item of a queue has waited (0: none waits)";
  metrics.GetGauge("planfix_flow_backlog_oldest_seconds", help, {{"queue", "events"}})
      .Set(seconds(oldest_event));
  metrics.GetGauge("planfix_flow_backlog_oldest_seconds", help, {{"queue", "jobs"}})
      .Set(seconds(oldest_job));
}

}  // namespace planfix_flow::storage
