// Helpers shared by the Google client, fake and discovery tests: a temporary directory,
// a service-account key file written into it, and RFC 3339 literals.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

#include "planfix_flow/google/rfc3339.h"
#include "planfix_flow/google/service_account.h"

namespace planfix_flow::google_test {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "planfix-flow-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

  std::string Write(const std::string& name, std::string_view content) const {
    const auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

// Writes `key` as the JSON key file Google's console hands out and returns its path.
inline std::string WriteKeyFile(const TempDir& dir, const google::ServiceAccountKey& key) {
  return dir.Write("service-account.json", google::ServiceAccountKeyJson(key));
}

inline core::TimePoint At(std::string_view rfc3339) {
  const auto moment = google::ParseRfc3339(rfc3339);
  if (!moment) throw std::invalid_argument("bad RFC 3339 literal in a test");
  return *moment;
}

}  // namespace planfix_flow::google_test
