// Amounts and invoice numbers as payments and Planfix carry them. What ParseMoney accepts is
// within range and formats back to the same value; MoneyFromJson (the same parser for JSON
// values) accepts nothing out of range, and a JSON string exactly as ParseMoney does;
// MentionsNumber never reads out of bounds and always finds a number in a text that is just
// that number.
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_support.h"
#include "planfix_flow/core/money.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace core = planfix_flow::core;
  const std::string_view text = planfix_flow::fuzz::AsText(data, size);
  if (const auto amount = core::ParseMoney(text)) {
    FUZZ_CHECK(*amount >= 0 && *amount <= core::kMaxMoneyMinor);
    const auto again = core::ParseMoney(core::FormatMoney(*amount));
    FUZZ_CHECK(again && *again == *amount);
  }
  const auto value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_discarded()) {
    if (const auto amount = core::MoneyFromJson(value))
      FUZZ_CHECK(*amount >= 0 && *amount <= core::kMaxMoneyMinor);
    if (value.is_string()) {
      const auto direct = core::ParseMoney(value.get<std::string>());
      const auto via_json = core::MoneyFromJson(value);
      FUZZ_CHECK(direct.has_value() == via_json.has_value());
      if (direct) FUZZ_CHECK(*direct == *via_json);
    }
  }
  const auto fields = planfix_flow::fuzz::SplitFields(text, '\n', 2);
  const bool found = core::MentionsNumber(fields[1], fields[0]);
  if (fields[0].empty()) FUZZ_CHECK(!found);
  if (!fields[0].empty()) FUZZ_CHECK(core::MentionsNumber(fields[0], fields[0]));
  return 0;
}
