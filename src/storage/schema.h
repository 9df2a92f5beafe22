// The storage schema as ordered migrations. Private to src/storage.
#pragma once

#include <string_view>
#include <vector>

namespace planfix_flow::storage {

struct Migration {
  int version;
  std::string_view sql;
};

// Ordered by version, starting at 1. Never edit a released migration: add a new one.
const std::vector<Migration>& Migrations();

}  // namespace planfix_flow::storage
