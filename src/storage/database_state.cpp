// Database: Telegram chat migrations and the service's own small state.
#include <SQLiteCpp/SQLiteCpp.h>

#include "planfix_flow/storage/database.h"
#include "storage/sql_rows.h"

namespace planfix_flow::storage {

using internal::ToMillis;

namespace {

// A chain longer than this is a loop in the data (Telegram never migrates a supergroup).
constexpr int kMaxMigrationHops = 8;

}  // namespace

bool Database::RecordChatMigration(std::int64_t old_chat, std::int64_t new_chat,
                                   core::TimePoint now) {
  bool news = false;
  Write([&](SQLite::Database& db) {
    SQLite::Statement upsert(db,
                             "INSERT INTO chat_migrations (old_chat_id, new_chat_id, migrated_at)"
                             " VALUES (?, ?, ?) ON CONFLICT (old_chat_id) DO UPDATE SET"
                             " new_chat_id = excluded.new_chat_id,"
                             " migrated_at = excluded.migrated_at"
                             " WHERE new_chat_id != excluded.new_chat_id");
    upsert.bind(1, old_chat);
    upsert.bind(2, new_chat);
    upsert.bind(3, ToMillis(now));
    news = upsert.exec() > 0;
  });
  return news;
}

std::int64_t Database::CurrentChatId(std::int64_t chat) const {
  std::int64_t current = chat;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, "SELECT new_chat_id FROM chat_migrations WHERE old_chat_id = ?");
    for (int hop = 0; hop < kMaxMigrationHops; ++hop) {
      query.bind(1, current);
      if (!query.executeStep()) break;
      const std::int64_t next = query.getColumn(0).getInt64();
      query.reset();
      if (next == current) break;
      current = next;
    }
  });
  return current;
}

std::optional<std::string> Database::GetServiceState(const std::string& key) const {
  std::optional<std::string> value;
  Read([&](SQLite::Database& db) {
    SQLite::Statement query(db, "SELECT value FROM service_state WHERE key = ?");
    query.bind(1, key);
    if (query.executeStep()) value = query.getColumn(0).getString();
  });
  return value;
}

void Database::SetServiceState(const std::string& key, const std::string& value,
                               core::TimePoint now) {
  Write([&](SQLite::Database& db) {
    SQLite::Statement upsert(db,
                             "INSERT INTO service_state (key, value, updated_at) VALUES (?, ?, ?)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value,"
                             " updated_at = excluded.updated_at");
    upsert.bind(1, key);
    upsert.bind(2, value);
    upsert.bind(3, ToMillis(now));
    upsert.exec();
  });
}

}  // namespace planfix_flow::storage
