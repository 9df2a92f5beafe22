// Caller input shaped into Planfix custom field values (form answers, config values). The
// input is one byte choosing the field type (from 128 with a catalogue of options), then the
// value: as a JSON string, and as JSON when it parses. Results and error messages of valid
// UTF-8 input are valid UTF-8 (they go into JSON requests and staff messages); dates and
// times re-convert to themselves.
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_support.h"
#include "http/body_checks.h"
#include "planfix_flow/planfix/custom_field_value.h"

namespace {

namespace planfix = planfix_flow::planfix;
using nlohmann::json;
using planfix::FieldType;

// Every type id up to 31: the known ones (0-17, 20-27, 29) and ids Planfix may add later.
constexpr int kTypeIds = 32;

// Only valid UTF-8 reaches it: webhook bodies are checked, TOML is UTF-8.
void CheckEncoded(const planfix::CustomFieldDefinition& field, const json& input) {
  const auto encoded = planfix::EncodeCustomFieldValue(field, input);
  if (encoded) {
    (void)encoded->dump();  // throws (a crash) on invalid UTF-8
    return;
  }
  FUZZ_CHECK(encoded.error().code == planfix_flow::core::ErrorCode::kInvalidInput);
  FUZZ_CHECK(planfix_flow::http::IsValidUtf8(encoded.error().message));
}

template <typename Convert>
void CheckIdempotent(Convert convert, std::string_view text, bool input_is_utf8) {
  const auto converted = convert(text);
  if (!converted) {
    if (input_is_utf8) FUZZ_CHECK(planfix_flow::http::IsValidUtf8(converted.error().message));
    return;
  }
  const auto again = convert(*converted);
  FUZZ_CHECK(again && *again == *converted);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text = planfix_flow::fuzz::AsText(data + 1, size - 1);
  const bool is_utf8 = planfix_flow::http::IsValidUtf8(text);
  planfix::CustomFieldDefinition field;
  field.id = 1;
  field.type = static_cast<FieldType>(data[0] % kTypeIds);
  if (data[0] >= 128) field.enum_values = {"так", "ні", "a, b"};

  CheckIdempotent([](std::string_view t) { return planfix::ToPlanfixDate(t); }, text, is_utf8);
  CheckIdempotent([](std::string_view t) { return planfix::ToPlanfixTime(t); }, text, is_utf8);
  if (!is_utf8) return 0;
  CheckEncoded(field, json(std::string(text)));
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_discarded()) CheckEncoded(field, parsed);
  return 0;
}
