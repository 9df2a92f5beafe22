// Backups of the database file: a consistent copy taken with SQLite's online backup API, so
// it can run while `serve` writes (the copy is one snapshot, never a torn mix of two).
#pragma once

#include <cstdint>
#include <string>

#include "planfix_flow/core/result.h"

namespace planfix_flow::storage {

struct BackupSummary {
  std::string path;        // the finished copy
  int schema_version = 0;  // of the copy
  std::uintmax_t bytes = 0;
};

// Copies the database at `source` (which must exist; it is opened read-only and never
// migrated) to `destination`, which must not exist yet. The copy is written beside the
// destination as "<destination>.partial", checked with PRAGMA integrity_check, synced to disk
// and only then renamed into place: a crash or a full disk leaves no half copy under the
// destination's name. kInvalidInput for a missing source or an existing destination,
// kUnavailable when reading or writing fails.
core::Result<BackupSummary> BackupDatabase(const std::string& source,
                                           const std::string& destination);

}  // namespace planfix_flow::storage
