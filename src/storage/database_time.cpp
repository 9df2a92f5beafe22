// Database: communication time (issue 14), the time data tag's entries, problems, task facts
// and the sync's watermark.
#include <SQLiteCpp/SQLiteCpp.h>

#include <map>
#include <set>

#include "planfix_flow/storage/database.h"
#include "storage/sql_rows.h"

namespace planfix_flow::storage {

using internal::FromMillis;
using internal::OptionalInt;
using internal::OptionalTime;
using internal::ToMillis;

namespace {

TimeEntryRecord ReadEntry(SQLite::Statement& row) {
  return TimeEntryRecord{row.getColumn(0).getInt64(),  row.getColumn(1).getInt64(),
                         row.getColumn(2).getString(), row.getColumn(3).getString(),
                         row.getColumn(4).getInt64(),  row.getColumn(5).getString()};
}

constexpr const char* kEntryColumns = "entry_key, task, employee, work_date, minutes, kind";

// Inside the batch's scope: every entry (a full read) or the ones dated on or after its
// window's first day ("YYYY-MM-DD" compares as text).
bool InScope(const std::string& window_from, const std::string& date) {
  return window_from.empty() || (!date.empty() && date >= window_from);
}

}  // namespace

TimeSyncCounts Database::ApplyTimeSync(const TimeSyncBatch& batch, core::TimePoint now) {
  TimeSyncCounts counts;
  counts.problems = batch.problems.size();
  const std::int64_t now_ms = ToMillis(now);
  Write([&](SQLite::Database& db) {
    std::map<std::int64_t, TimeEntryRecord> stored;
    {
      SQLite::Statement query(db, std::string("SELECT ") + kEntryColumns + " FROM time_entries");
      while (query.executeStep()) {
        TimeEntryRecord entry = ReadEntry(query);
        stored.emplace(entry.key, std::move(entry));
      }
    }
    std::map<std::int64_t, std::string> stored_problems;  // key -> date
    {
      SQLite::Statement query(db, "SELECT entry_key, work_date FROM time_problems");
      while (query.executeStep()) {
        stored_problems.emplace(query.getColumn(0).getInt64(), query.getColumn(1).getString());
      }
    }
    std::set<std::int64_t> seen;
    std::int64_t highest = 0;
    SQLite::Statement upsert(
        db,
        "INSERT INTO time_entries (entry_key, task, employee, work_date,"
        " minutes, kind, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (entry_key) DO UPDATE SET task = excluded.task,"
        " employee = excluded.employee, work_date = excluded.work_date,"
        " minutes = excluded.minutes, kind = excluded.kind,"
        " updated_at = excluded.updated_at");
    SQLite::Statement drop_entry(db, "DELETE FROM time_entries WHERE entry_key = ?");
    SQLite::Statement drop_problem(db, "DELETE FROM time_problems WHERE entry_key = ?");
    for (const auto& entry : batch.entries) {
      seen.insert(entry.key);
      highest = std::max(highest, entry.key);
      if (stored_problems.count(entry.key) > 0) {
        drop_problem.bind(1, entry.key);
        drop_problem.exec();
        drop_problem.reset();
      }
      const auto old = stored.find(entry.key);
      if (old != stored.end() && old->second == entry) {
        ++counts.unchanged;
        continue;
      }
      ++(old == stored.end() ? counts.added : counts.changed);
      upsert.bind(1, entry.key);
      upsert.bind(2, entry.task);
      upsert.bind(3, entry.employee);
      upsert.bind(4, entry.date);
      upsert.bind(5, entry.minutes);
      upsert.bind(6, entry.kind);
      upsert.bind(7, now_ms);
      upsert.bind(8, now_ms);
      upsert.exec();
      upsert.reset();
    }
    SQLite::Statement upsert_problem(
        db,
        "INSERT INTO time_problems (entry_key, task, work_date, reason, entry, first_seen,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entry_key) DO UPDATE SET"
        " task = excluded.task, work_date = excluded.work_date, reason = excluded.reason,"
        " entry = excluded.entry, updated_at = excluded.updated_at");
    for (const auto& problem : batch.problems) {
      seen.insert(problem.key);
      highest = std::max(highest, problem.key);
      if (stored.count(problem.key) > 0) {  // counted before, wrong now: no longer counts
        drop_entry.bind(1, problem.key);
        drop_entry.exec();
        drop_entry.reset();
        ++counts.removed;
      }
      if (stored_problems.count(problem.key) == 0) ++counts.new_problems;
      upsert_problem.bind(1, problem.key);
      internal::BindOptional(upsert_problem, 2, problem.task);
      upsert_problem.bind(3, problem.date);
      upsert_problem.bind(4, problem.reason);
      upsert_problem.bind(5, problem.entry);
      upsert_problem.bind(6, now_ms);
      upsert_problem.bind(7, now_ms);
      upsert_problem.exec();
      upsert_problem.reset();
    }
    // Deleted in Planfix: inside the read's scope, yet not read.
    for (const auto& [key, entry] : stored) {
      if (seen.count(key) > 0 || !InScope(batch.window_from, entry.date)) continue;
      drop_entry.bind(1, key);
      drop_entry.exec();
      drop_entry.reset();
      ++counts.removed;
    }
    for (const auto& [key, date] : stored_problems) {
      if (seen.count(key) > 0 || !InScope(batch.window_from, date)) continue;
      drop_problem.bind(1, key);
      drop_problem.exec();
      drop_problem.reset();
    }
    SQLite::Statement watermark(
        db,
        "INSERT INTO time_sync (id, last_sync_at, last_full_sync_at, window_from, highest_key)"
        " VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " last_sync_at = excluded.last_sync_at,"
        " last_full_sync_at = COALESCE(excluded.last_full_sync_at, last_full_sync_at),"
        " window_from = excluded.window_from,"
        " highest_key = MAX(highest_key, excluded.highest_key)");
    watermark.bind(1, now_ms);
    if (batch.window_from.empty()) {
      watermark.bind(2, now_ms);
    } else {
      watermark.bind(2);
    }
    watermark.bind(3, batch.window_from);
    watermark.bind(4, highest);
    watermark.exec();
  });
  return counts;
}

TimeSyncState Database::GetTimeSyncState() const {
  TimeSyncState state;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db,
                            "SELECT last_sync_at, last_full_sync_at, window_from, highest_key"
                            " FROM time_sync WHERE id = 1");
    if (!query.executeStep()) return;
    state.last_sync_at = OptionalTime(query.getColumn(0));
    state.last_full_sync_at = OptionalTime(query.getColumn(1));
    state.window_from = query.getColumn(2).getString();
    state.highest_key = query.getColumn(3).getInt64();
  });
  return state;
}

std::vector<TimeEntryRecord> Database::ListTimeEntries(const std::string& from_date,
                                                       const std::string& to_date) const {
  std::vector<TimeEntryRecord> entries;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, std::string("SELECT ") + kEntryColumns +
                                    " FROM time_entries WHERE work_date >= ? AND work_date <= ?"
                                    " ORDER BY work_date, entry_key");
    query.bind(1, from_date);
    query.bind(2, to_date);
    while (query.executeStep()) entries.push_back(ReadEntry(query));
  });
  return entries;
}

std::vector<TimeProblemRecord> Database::ListTimeProblems() const {
  std::vector<TimeProblemRecord> problems;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db,
                            "SELECT entry_key, task, work_date, reason, entry, first_seen,"
                            " updated_at FROM time_problems ORDER BY entry_key");
    while (query.executeStep()) {
      TimeProblemRecord problem;
      problem.key = query.getColumn(0).getInt64();
      problem.task = OptionalInt(query.getColumn(1));
      problem.date = query.getColumn(2).getString();
      problem.reason = query.getColumn(3).getString();
      problem.entry = query.getColumn(4).getString();
      problem.first_seen = FromMillis(query.getColumn(5).getInt64());
      problem.updated_at = FromMillis(query.getColumn(6).getInt64());
      problems.push_back(std::move(problem));
    }
  });
  return problems;
}

std::optional<TimeTaskRecord> Database::GetTimeTask(std::int64_t task) const {
  std::optional<TimeTaskRecord> record;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db,
                            "SELECT task, name, process, template, parent, counterparty, amount,"
                            " deleted, read_at FROM time_tasks WHERE task = ?");
    query.bind(1, task);
    if (!query.executeStep()) return;
    TimeTaskRecord out;
    out.task = query.getColumn(0).getInt64();
    out.name = query.getColumn(1).getString();
    out.process = query.getColumn(2).getInt64();
    out.template_id = query.getColumn(3).getInt64();
    out.parent = query.getColumn(4).getInt64();
    out.counterparty = query.getColumn(5).getInt64();
    out.amount = OptionalInt(query.getColumn(6));
    out.deleted = query.getColumn(7).getInt() != 0;
    out.read_at = FromMillis(query.getColumn(8).getInt64());
    record = std::move(out);
  });
  return record;
}

void Database::PutTimeTask(const TimeTaskRecord& task) {
  Write([&](SQLite::Database& db) {
    SQLite::Statement upsert(
        db,
        "INSERT INTO time_tasks (task, name, process, template, parent, counterparty, amount,"
        " deleted, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (task) DO UPDATE SET"
        " name = excluded.name, process = excluded.process, template = excluded.template,"
        " parent = excluded.parent, counterparty = excluded.counterparty,"
        " amount = excluded.amount, deleted = excluded.deleted, read_at = excluded.read_at");
    upsert.bind(1, task.task);
    upsert.bind(2, task.name);
    upsert.bind(3, task.process);
    upsert.bind(4, task.template_id);
    upsert.bind(5, task.parent);
    upsert.bind(6, task.counterparty);
    internal::BindOptional(upsert, 7, task.amount);
    upsert.bind(8, task.deleted ? 1 : 0);
    upsert.bind(9, ToMillis(task.read_at));
    upsert.exec();
  });
}

}  // namespace planfix_flow::storage

namespace planfix_flow::storage {

std::vector<Job> Database::ListDoneJobs(const std::string& kind, core::TimePoint from,
                                        core::TimePoint to) const {
  std::vector<Job> jobs;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, std::string("SELECT ") + internal::kJobColumns +
                                    " FROM jobs WHERE kind = ? AND state = 'done'"
                                    " AND done_at >= ? AND done_at < ? ORDER BY done_at, id");
    query.bind(1, kind);
    query.bind(2, ToMillis(from));
    query.bind(3, ToMillis(to));
    while (query.executeStep()) jobs.push_back(internal::ReadJob(query));
  });
  return jobs;
}

}  // namespace planfix_flow::storage
