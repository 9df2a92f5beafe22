// RFC 3339 timestamps from Google's APIs and the Apps Script. What ParseRfc3339 accepts the
// webhook's syntax check accepts too, and formatting a parsed moment parses back to it.
#include <string>

#include "fuzz/fuzz_support.h"
#include "planfix_flow/google/rfc3339.h"
#include "planfix_flow/http/google_form_webhook.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = planfix_flow::fuzz::AsText(data, size);
  const bool syntax_ok = planfix_flow::http::IsRfc3339Timestamp(text);
  const auto moment = planfix_flow::google::ParseRfc3339(text);
  if (!moment) return 0;
  FUZZ_CHECK(syntax_ok);
  const std::string formatted = planfix_flow::google::FormatRfc3339(*moment);
  FUZZ_CHECK(planfix_flow::http::IsRfc3339Timestamp(formatted));
  const auto again = planfix_flow::google::ParseRfc3339(formatted);
  FUZZ_CHECK(again && *again == *moment);
  return 0;
}
