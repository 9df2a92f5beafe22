// Database: the jobs (outbox) part.
#include <SQLiteCpp/SQLiteCpp.h>

#include "planfix_flow/storage/database.h"
#include "storage/sql_rows.h"

namespace planfix_flow::storage {

using internal::ReadJob;
using internal::ToMillis;

namespace {

// Stores `event` (once per source and dedupe key) in the caller's transaction; true when it is
// new.
bool InsertReport(SQLite::Database& db, const NewEvent& event) {
  SQLite::Statement insert(db,
                           "INSERT INTO events (source, dedupe_key, kind, payload, received_at,"
                           " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (source, dedupe_key) DO NOTHING");
  insert.bind(1, std::string(ToString(event.source)));
  insert.bind(2, event.dedupe_key);
  insert.bind(3, event.kind);
  insert.bind(4, event.payload.empty() ? std::string("{}") : event.payload);
  insert.bind(5, ToMillis(event.received_at));
  insert.bind(6, ToMillis(event.received_at));
  return insert.exec() == 1;
}

}  // namespace

std::optional<Job> Database::LeaseNextJob(const std::string& worker, core::TimePoint now,
                                          core::TimePoint lease_until) {
  std::optional<Job> job;
  const std::int64_t now_ms = ToMillis(now);
  Write([&](SQLite::Database& db) {
    SQLite::Statement next(db,
                           "SELECT id FROM jobs"
                           " WHERE (state = 'pending' AND next_attempt_at <= ?1)"
                           " OR (state = 'running' AND lease_expires_at <= ?1)"
                           " ORDER BY priority, next_attempt_at, id LIMIT 1");
    next.bind(1, now_ms);
    if (!next.executeStep()) return;
    const std::int64_t id = next.getColumn(0).getInt64();
    next.reset();
    SQLite::Statement lease(db, std::string("UPDATE jobs SET state = 'running', lease_owner = ?,"
                                            " lease_expires_at = ?, attempts = attempts + 1,"
                                            " updated_at = ? WHERE id = ? RETURNING ") +
                                    internal::kJobColumns);
    lease.bind(1, worker);
    lease.bind(2, ToMillis(lease_until));
    lease.bind(3, now_ms);
    lease.bind(4, id);
    if (lease.executeStep()) job = ReadJob(lease);
    lease.reset();
  });
  return job;
}

std::optional<core::TimePoint> Database::NextJobAttemptAt() const {
  std::optional<core::TimePoint> next;
  Read([&](SQLite::Database& db) {
    // The earliest of: a pending job's next attempt, a running job's lease expiry.
    SQLite::Statement query(db,
                            "SELECT MIN(t) FROM ("
                            " SELECT MIN(next_attempt_at) AS t FROM jobs WHERE state = 'pending'"
                            " UNION ALL"
                            " SELECT MIN(lease_expires_at) FROM jobs WHERE state = 'running')");
    if (query.executeStep()) next = internal::OptionalTime(query.getColumn(0));
  });
  return next;
}

bool Database::CompleteJob(std::int64_t job_id, const std::string& worker,
                           const std::string& result, core::TimePoint now, const NewEvent* report) {
  bool updated = false;
  bool reported = false;
  Write([&](SQLite::Database& db) {
    SQLite::Statement update(db,
                             "UPDATE jobs SET state = 'done', result = ?, last_error = '',"
                             " done_at = ?, updated_at = ?, lease_owner = '',"
                             " lease_expires_at = NULL"
                             " WHERE id = ? AND state = 'running' AND lease_owner = ?");
    update.bind(1, result);
    update.bind(2, ToMillis(now));
    update.bind(3, ToMillis(now));
    update.bind(4, job_id);
    update.bind(5, worker);
    updated = update.exec() == 1;
    if (updated && report != nullptr) reported = InsertReport(db, *report);
  });
  if (reported) NotifyEventsAdded();
  return updated;
}

bool Database::FailJob(std::int64_t job_id, const std::string& worker, const std::string& error,
                       FailureOutcome outcome, core::TimePoint next_attempt_at, core::TimePoint now,
                       bool refund_attempt, const NewEvent* report) {
  bool updated = false;
  bool reported = false;
  const bool dead = outcome == FailureOutcome::kDead;
  Write([&](SQLite::Database& db) {
    SQLite::Statement update(
        db,
        "UPDATE jobs SET state = ?, next_attempt_at = ?, last_error = ?,"
        " attempts = MAX(attempts - ?, 0), done_at = ?, updated_at = ?, lease_owner = '',"
        " lease_expires_at = NULL WHERE id = ? AND state = 'running' AND lease_owner = ?");
    update.bind(1, dead ? "dead" : "pending");
    update.bind(2, ToMillis(next_attempt_at));
    update.bind(3, error);
    update.bind(4, refund_attempt ? 1 : 0);
    if (dead) {
      update.bind(5, ToMillis(now));
    } else {
      update.bind(5);
    }
    update.bind(6, ToMillis(now));
    update.bind(7, job_id);
    update.bind(8, worker);
    updated = update.exec() == 1;
    if (updated && dead && report != nullptr) reported = InsertReport(db, *report);
  });
  if (reported) NotifyEventsAdded();
  return updated;
}

bool Database::ReleaseJob(std::int64_t job_id, const std::string& worker, core::TimePoint now) {
  bool updated = false;
  Write([&](SQLite::Database& db) {
    SQLite::Statement update(db,
                             "UPDATE jobs SET state = 'pending', attempts = MAX(attempts - 1, 0),"
                             " updated_at = ?, lease_owner = '', lease_expires_at = NULL"
                             " WHERE id = ? AND state = 'running' AND lease_owner = ?");
    update.bind(1, ToMillis(now));
    update.bind(2, job_id);
    update.bind(3, worker);
    updated = update.exec() == 1;
  });
  return updated;
}

std::size_t Database::ReleaseAbandonedJobs(core::TimePoint now) {
  std::size_t released = 0;
  Write([&](SQLite::Database& db) {
    SQLite::Statement update(db,
                             "UPDATE jobs SET state = 'pending', next_attempt_at = ?1,"
                             " updated_at = ?1, lease_owner = '', lease_expires_at = NULL"
                             " WHERE state = 'running'");
    update.bind(1, ToMillis(now));
    released = static_cast<std::size_t>(update.exec());
  });
  return released;
}

core::Result<Job> Database::ReplayJob(std::int64_t job_id, core::TimePoint now) {
  std::optional<core::Error> error;
  Job job;
  Write([&](SQLite::Database& db) {
    SQLite::Statement query(db, "SELECT state FROM jobs WHERE id = ?");
    query.bind(1, job_id);
    if (!query.executeStep()) {
      error = core::MakeError(core::ErrorCode::kNotFound, "no job " + std::to_string(job_id));
      return;
    }
    const std::string state = query.getColumn(0).getString();
    query.reset();
    if (state != "dead") {
      error = core::MakeError(core::ErrorCode::kConflict,
                              "job " + std::to_string(job_id) + " is " + state + ", not dead");
      return;
    }
    // last_error is kept: it tells why the job died before the replay.
    SQLite::Statement update(db, std::string("UPDATE jobs SET state = 'pending', attempts = 0,"
                                             " next_attempt_at = ?, done_at = NULL,"
                                             " replay_count = replay_count + 1,"
                                             " replayed_at = ?, updated_at = ?"
                                             " WHERE id = ? RETURNING ") +
                                     internal::kJobColumns);
    update.bind(1, ToMillis(now));
    update.bind(2, ToMillis(now));
    update.bind(3, ToMillis(now));
    update.bind(4, job_id);
    if (update.executeStep()) job = ReadJob(update);
    update.reset();
  });
  if (error) return core::Fail(std::move(*error));
  return job;
}

std::optional<Job> Database::GetJob(std::int64_t job_id) const {
  std::optional<Job> job;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(
        db, std::string("SELECT ") + internal::kJobColumns + " FROM jobs WHERE id = ?");
    query.bind(1, job_id);
    if (query.executeStep()) job = ReadJob(query);
  });
  return job;
}

std::vector<Job> Database::ListJobs(const JobFilter& filter) const {
  std::vector<Job> jobs;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, std::string("SELECT ") + internal::kJobColumns +
                                    " FROM jobs WHERE (?1 IS NULL OR state = ?1) ORDER BY id " +
                                    (filter.newest_first ? "DESC" : "ASC") + " LIMIT ?2");
    if (filter.state) {
      query.bind(1, std::string(ToString(*filter.state)));
    } else {
      query.bind(1);
    }
    query.bind(2, static_cast<std::int64_t>(filter.limit));
    while (query.executeStep()) jobs.push_back(ReadJob(query));
  });
  return jobs;
}

std::map<JobState, std::int64_t> Database::CountJobsByState() const {
  std::map<JobState, std::int64_t> counts;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, "SELECT state, COUNT(*) FROM jobs GROUP BY state");
    while (query.executeStep()) {
      if (auto state = ParseJobState(query.getColumn(0).getString())) {
        counts[*state] = query.getColumn(1).getInt64();
      }
    }
  });
  return counts;
}

}  // namespace planfix_flow::storage
