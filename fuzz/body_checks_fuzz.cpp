// The checks every webhook body passes before a JSON parser sees it. IsValidUtf8 agrees with
// nlohmann's strict UTF-8 check; for JSON text, JsonDepthWithin's limit is exactly the text's
// nesting depth (as the parser's events show it, so a duplicate key, which the parsed tree
// keeps once, cannot hide a level); ParseJsonBody accepts valid JSON exactly when no object in
// the text repeats a key.
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

// The text's structure as the parser reads it: the deepest nesting of objects and arrays and
// the number of keys, whether or not a key repeats within its object.
class TextShape final : public nlohmann::json_sax<json> {
 public:
  std::size_t deepest = 0;
  std::size_t keys = 0;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return Open(); }
  bool key(string_t&) override {
    ++keys;
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool Open() {
    deepest = std::max(deepest, ++depth_);
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  std::size_t depth_ = 0;
};

// Members of every object in the parsed tree (a repeated key is kept once).
std::size_t Members(const json& value) {
  if (!value.is_structured()) return 0;
  std::size_t members = value.is_object() ? value.size() : 0;
  for (const auto& element : value) members += Members(element);
  return members;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using planfix_flow::http::JsonDepthWithin;
  const std::string_view text = planfix_flow::fuzz::AsText(data, size);
  FUZZ_CHECK(planfix_flow::http::IsValidUtf8(text) == NlohmannAcceptsUtf8(text));

  // nlohmann stops at a NUL byte; the parsers refuse such bodies (HasNulByte).
  const json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || planfix_flow::http::HasNulByte(text)) {
    FUZZ_CHECK(!planfix_flow::http::ParseJsonBody(text, size + 1));
    return 0;
  }
  TextShape shape;
  FUZZ_CHECK(json::sax_parse(text, &shape));
  FUZZ_CHECK(JsonDepthWithin(text, shape.deepest));
  if (shape.deepest > 0) FUZZ_CHECK(!JsonDepthWithin(text, shape.deepest - 1));

  const bool repeats_a_key = shape.keys != Members(parsed);
  const auto body = planfix_flow::http::ParseJsonBody(text, shape.deepest);
  FUZZ_CHECK(body.has_value() == !repeats_a_key);
  if (body) FUZZ_CHECK(*body == parsed);
  if (shape.deepest > 0) FUZZ_CHECK(!planfix_flow::http::ParseJsonBody(text, shape.deepest - 1));
  return 0;
}
