// The checks every webhook body passes before a JSON parser sees it. IsValidUtf8 agrees with
// nlohmann's strict UTF-8 check; for JSON text, JsonDepthWithin's limit is exactly the
// document's nesting depth.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_support.h"
#include "http/body_checks.h"

namespace {

using nlohmann::json;

bool NlohmannAcceptsUtf8(std::string_view text) {
  try {
    (void)json(std::string(text)).dump();
    return true;
  } catch (const json::type_error&) {
    return false;
  }
}

std::size_t Depth(const json& value) {
  if (!value.is_structured()) return 0;
  std::size_t deepest = 0;
  for (const auto& element : value) deepest = std::max(deepest, Depth(element));
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = planfix_flow::fuzz::AsText(data, size);
  FUZZ_CHECK(planfix_flow::http::IsValidUtf8(text) == NlohmannAcceptsUtf8(text));

  // nlohmann stops at a NUL byte; the parsers refuse such bodies (HasNulByte).
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || planfix_flow::http::HasNulByte(text)) return 0;
  const std::size_t depth = Depth(parsed);
  FUZZ_CHECK(planfix_flow::http::JsonDepthWithin(text, depth));
  if (depth > 0) FUZZ_CHECK(!planfix_flow::http::JsonDepthWithin(text, depth - 1));
  return 0;
}
