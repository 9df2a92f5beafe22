#include "planfix_flow/storage/backup.h"

#include <fcntl.h>
#include <unistd.h>

#include <SQLiteCpp/Backup.h>
#include <SQLiteCpp/Database.h>
#include <fmt/format.h>

#include <filesystem>
#include <system_error>

namespace planfix_flow::storage {

namespace {

// fsync of a file or a directory (the rename's entry), so the copy survives a power cut.
bool SyncPath(const std::string& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_DIRECTORY : 0) | O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

core::Result<BackupSummary> BackupDatabase(const std::string& source,
                                           const std::string& destination) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::is_regular_file(source, error)) {
    return core::Fail(core::ErrorCode::kInvalidInput, "no database at " + source);
  }
  if (fs::exists(destination, error)) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      destination +
                          " already exists: choose a new name (a backup never "
                          "overwrites a file)");
  }
  const std::string partial = destination + ".partial";
  fs::remove(partial, error);  // left by a copy that was interrupted
  BackupSummary summary;
  summary.path = destination;
  try {
    SQLite::Database from(source, SQLite::OPEN_READONLY);
    {
      SQLite::Database to(partial, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
      SQLite::Backup backup(to, from);
      // All pages in one step: one read transaction on the source, so one snapshot, while
      // the service goes on writing to the WAL.
      backup.executeStep(-1);
      // The pages say WAL, like the source's; a backup should be one file that needs no
      // -wal or -shm beside it (serve turns WAL on again when it opens a restored copy).
      to.exec("PRAGMA journal_mode = DELETE");
    }
    SQLite::Database copy(partial, SQLite::OPEN_READONLY);
    const std::string integrity = copy.execAndGet("PRAGMA integrity_check").getString();
    if (integrity != "ok") {
      fs::remove(partial, error);
      return core::Fail(core::ErrorCode::kUnavailable,
                        "the copy of " + source + " failed its integrity check: " + integrity);
    }
    summary.schema_version =
        copy.execAndGet("SELECT COALESCE(MAX(version), 0) FROM schema_version").getInt();
  } catch (const SQLite::Exception& failure) {
    fs::remove(partial, error);
    return core::Fail(
        core::ErrorCode::kUnavailable,
        fmt::format("cannot back up {} to {}: {}", source, destination, failure.what()));
  }
  const fs::path directory = fs::absolute(destination).parent_path();
  if (!SyncPath(partial, false)) {
    fs::remove(partial, error);
    return core::Fail(core::ErrorCode::kUnavailable, "cannot sync " + partial + " to disk");
  }
  fs::rename(partial, destination, error);
  if (error) {
    fs::remove(partial, error);
    return core::Fail(
        core::ErrorCode::kUnavailable,
        fmt::format("cannot rename {} to {}: {}", partial, destination, error.message()));
  }
  SyncPath(directory.string(), true);
  summary.bytes = fs::file_size(destination, error);
  return summary;
}

}  // namespace planfix_flow::storage
