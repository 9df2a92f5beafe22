// Database: what the admin page reads (a client's timeline, the backlog at a glance).
#include <SQLiteCpp/SQLiteCpp.h>

#include <nlohmann/json.hpp>
#include <set>

#include "planfix_flow/storage/database.h"
#include "storage/sql_rows.h"

namespace planfix_flow::storage {

using internal::ToMillis;

namespace {

// Whether the payload column `payload` names one of the ids bound as JSON arrays of decimal
// texts: ?1 tasks (key "task"), ?2 contacts (key "contact"), ?3 Telegram chats ("chat_id", or
// a Telegram update's "...chat.id"). Ids arrive as numbers (the rules' payloads) or strings
// (Planfix webhooks), so both are compared as text. CASE keeps json_tree off a payload that is
// not JSON (it would fail the whole query).
std::string PayloadNames(const std::string& payload) {
  return "CASE WHEN json_valid(" + payload + ") THEN EXISTS (SELECT 1 FROM json_tree(" + payload +
         ") t WHERE t.atom IS NOT NULL AND ("
         "(t.key = 'task' AND CAST(t.atom AS TEXT) IN (SELECT value FROM json_each(?1))) OR "
         "(t.key = 'contact' AND CAST(t.atom AS TEXT) IN (SELECT value FROM json_each(?2))) OR "
         "((t.key = 'chat_id' OR t.fullkey LIKE '%.chat.id') AND "
         "CAST(t.atom AS TEXT) IN (SELECT value FROM json_each(?3))))) ELSE 0 END";
}

std::string JsonTexts(const std::set<std::string>& values) {
  nlohmann::json array = nlohmann::json::array();
  for (const auto& value : values) array.push_back(value);
  return array.dump();
}

}  // namespace

Timeline Database::FindTimeline(TimelineSubject subject, std::int64_t id, std::size_t limit) const {
  Timeline timeline;
  std::set<std::string> tasks;
  std::set<std::string> contacts;
  std::set<std::string> chats;
  const auto limit_value = static_cast<std::int64_t>(limit);
  Read([&](SQLite::Database& db) {
    if (subject == TimelineSubject::kTask) {
      tasks.insert(std::to_string(id));
    } else {
      contacts.insert(std::to_string(id));
      // The contact's tasks and chats, as its flows recorded them.
      SQLite::Statement flows(db,
                              "SELECT planfix_task, json_extract(data, '$.chat_id'),"
                              " json_extract(data, '$.chat') FROM flows"
                              " WHERE planfix_contact = ? AND json_valid(data)"
                              " ORDER BY updated_at DESC LIMIT 1000");
      flows.bind(1, id);
      while (flows.executeStep()) {
        for (int column = 0; column < 3; ++column) {
          const auto& value = flows.getColumn(column);
          if (value.isNull() || value.getType() != SQLite::INTEGER) continue;
          (column == 0 ? tasks : chats).insert(std::to_string(value.getInt64()));
        }
      }
    }
    const auto bind = [&](SQLite::Statement& query) {
      query.bind(1, JsonTexts(tasks));
      query.bind(2, JsonTexts(contacts));
      query.bind(3, JsonTexts(chats));
      query.bind(4, limit_value);
    };
    SQLite::Statement events(db, std::string("SELECT ") + internal::kEventColumns +
                                     " FROM events WHERE " + PayloadNames("payload") +
                                     " ORDER BY received_at DESC, id DESC LIMIT ?4");
    bind(events);
    while (events.executeStep()) timeline.events.push_back(internal::ReadEvent(events));
    SQLite::Statement jobs(
        db, std::string("SELECT ") + internal::kJobColumns + " FROM jobs WHERE " +
                PayloadNames("jobs.payload") + " OR event_id IN (SELECT id FROM events e WHERE " +
                PayloadNames("e.payload") + ") ORDER BY created_at DESC, id DESC LIMIT ?4");
    bind(jobs);
    while (jobs.executeStep()) timeline.jobs.push_back(internal::ReadJob(jobs));
  });
  return timeline;
}

Backlog Database::GetBacklog(core::TimePoint now) const {
  Backlog backlog;
  backlog.jobs = CountJobsByState();
  backlog.timers_pending = CountPendingTimers();
  Read([&](SQLite::Database& db) {
    SQLite::Statement events(db, "SELECT state, COUNT(*) FROM events GROUP BY state");
    while (events.executeStep()) {
      if (auto state = ParseEventState(events.getColumn(0).getString())) {
        backlog.events[*state] = events.getColumn(1).getInt64();
      }
    }
    SQLite::Statement oldest_event(db,
                                   "SELECT MIN(received_at) FROM events WHERE state = 'pending'");
    if (oldest_event.executeStep()) {
      backlog.oldest_waiting_event = internal::OptionalTime(oldest_event.getColumn(0));
    }
    // As planfix_flow_backlog_oldest_seconds: a job planned for later is not waiting yet.
    SQLite::Statement oldest_job(db,
                                 "SELECT MIN(due_at) FROM jobs WHERE state IN ('pending', "
                                 "'running') AND due_at <= ?");
    oldest_job.bind(1, ToMillis(now));
    if (oldest_job.executeStep()) {
      backlog.oldest_due_job = internal::OptionalTime(oldest_job.getColumn(0));
    }
  });
  return backlog;
}

}  // namespace planfix_flow::storage
