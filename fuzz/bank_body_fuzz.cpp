// monobank webhook bodies and statement pages: whatever parses has integer amounts, a
// non-empty id, and re-serialises (as the bank would send it) to a body that parses to the
// same item and the same inbox payload; whatever fails, fails as kInvalidInput.
#include <string>

#include "fuzz/fuzz_support.h"
#include "http/body_checks.h"
#include "planfix_flow/bank/statement.h"
#include "planfix_flow/http/monobank_webhook.h"

namespace {

namespace bank = planfix_flow::bank;
using nlohmann::json;

json AsBankJson(const bank::StatementItem& item) {
  return json{{"id", item.id},
              {"time", item.time},
              {"amount", item.amount},
              {"currencyCode", item.currency_code},
              {"description", item.description},
              {"comment", item.comment},
              {"counterEdrpou", item.counter_edrpou},
              {"counterIban", item.counter_iban},
              {"counterName", item.counter_name}};
}

void CheckItem(const std::string& account, const bank::StatementItem& item) {
  FUZZ_CHECK(!item.id.empty() && item.id.size() <= 128);
  FUZZ_CHECK(item.time >= 0);
  FUZZ_CHECK(item.currency_code >= 1 && item.currency_code <= 999);
  const std::string payload = bank::InboxPayload(account, item, bank::Via::kWebhook);
  const json body = {{"type", "StatementItem"},
                     {"data", {{"account", account}, {"statementItem", AsBankJson(item)}}}};
  const auto again = planfix_flow::http::ParseMonobankWebhook(body.dump());
  FUZZ_CHECK(again.has_value() && again->item.has_value());
  FUZZ_CHECK(bank::InboxPayload(again->account, *again->item, bank::Via::kWebhook) == payload);
  const json parsed = json::parse(payload);
  FUZZ_CHECK(parsed["amount"].is_number_integer());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = planfix_flow::fuzz::AsText(data, size);
  const auto event = planfix_flow::http::ParseMonobankWebhook(body);
  if (!event) {
    FUZZ_CHECK(event.error().code == planfix_flow::core::ErrorCode::kInvalidInput);
  } else {
    FUZZ_CHECK(planfix_flow::http::IsValidUtf8(body) && !planfix_flow::http::HasNulByte(body));
    FUZZ_CHECK(event->item.has_value() == (event->type == "StatementItem"));
    if (event->item) {
      FUZZ_CHECK(!event->account.empty());
      CheckItem(event->account, *event->item);
    }
  }
  const auto page = bank::ParseStatement(body);
  if (!page) {
    FUZZ_CHECK(page.error().code == planfix_flow::core::ErrorCode::kInvalidInput);
  } else {
    for (const auto& item : *page) {
      if (planfix_flow::http::IsValidUtf8(item.description + item.comment + item.counter_name +
                                          item.counter_edrpou + item.counter_iban + item.id)) {
        CheckItem("account", item);
      }
    }
  }
  return 0;
}
