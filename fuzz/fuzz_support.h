// Helpers shared by the libFuzzer targets: property checks that abort (libFuzzer then saves
// the input as a crash) and splitting one input into several fields.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

namespace planfix_flow::fuzz {

[[noreturn]] inline void PropertyFailed(const char* expression, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property does not hold: %s\n", file, line, expression);
  std::abort();
}

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Exactly `count` fields separated by `separator`; the last takes the rest of the text
// (separators included), missing ones are empty.
inline std::vector<std::string_view> SplitFields(std::string_view text, char separator,
                                                 std::size_t count) {
  std::vector<std::string_view> fields;
  fields.reserve(count);
  while (fields.size() + 1 < count) {
    const std::size_t end = text.find(separator);
    if (end == std::string_view::npos) break;
    fields.push_back(text.substr(0, end));
    text.remove_prefix(end + 1);
  }
  fields.push_back(text);
  fields.resize(count);
  return fields;
}

}  // namespace planfix_flow::fuzz

// Aborts with the expression when a property of the code under test does not hold.
#define FUZZ_CHECK(condition) \
  ((condition) ? void(0) : ::planfix_flow::fuzz::PropertyFailed(#condition, __FILE__, __LINE__))
