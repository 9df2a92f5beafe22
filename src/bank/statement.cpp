#include "planfix_flow/bank/statement.h"

#include <fmt/format.h>

#include <limits>

namespace planfix_flow::bank {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxIdBytes = 128;

// An integer token that fits int64: nlohmann reads 100.0 and 1e2 as floats and a number
// beyond uint64 as a float too, so is_number_integer() is exactly "an integer token".
std::optional<std::int64_t> Int64Of(const json& value) {
  if (value.is_number_unsigned()) {
    const auto unsigned_value = value.get<std::uint64_t>();
    if (unsigned_value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(unsigned_value);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  return std::nullopt;
}

Result<std::int64_t> RequiredInt(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return Fail(ErrorCode::kInvalidInput, fmt::format("missing {}", key));
  const auto value = Int64Of(*it);
  if (!value) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("{} must be an integer (no fraction or exponent, within int64)", key));
  }
  return *value;
}

Result<std::string> RequiredString(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end()) return Fail(ErrorCode::kInvalidInput, fmt::format("missing {}", key));
  if (!it->is_string())
    return Fail(ErrorCode::kInvalidInput, fmt::format("{} must be a string", key));
  return it->get<std::string>();
}

// A string member that may be absent or null (read as "").
Result<std::string> OptionalString(const json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{} must be a string", key));
  }
  return it->get<std::string>();
}

}  // namespace

std::string DedupeKey(std::string_view item_id) { return fmt::format("monobank:{}", item_id); }

Result<StatementItem> ParseStatementItem(const json& json_item) {
  if (!json_item.is_object()) {
    return Fail(ErrorCode::kInvalidInput, "statementItem must be a JSON object");
  }
  StatementItem item;
  auto id = RequiredString(json_item, "id");
  if (!id) return Fail(id.error());
  if (id->empty() || id->size() > kMaxIdBytes) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("id must be 1 to {} bytes", kMaxIdBytes));
  }
  item.id = std::move(*id);
  auto time = RequiredInt(json_item, "time");
  if (!time) return Fail(time.error());
  if (*time < 0) return Fail(ErrorCode::kInvalidInput, "time must not be negative");
  item.time = *time;
  auto amount = RequiredInt(json_item, "amount");
  if (!amount) return Fail(amount.error());
  item.amount = *amount;
  auto currency = RequiredInt(json_item, "currencyCode");
  if (!currency) return Fail(currency.error());
  if (*currency < 1 || *currency > 999) {
    return Fail(ErrorCode::kInvalidInput, "currencyCode must be an ISO 4217 number (1-999)");
  }
  item.currency_code = static_cast<int>(*currency);

  struct Text {
    const char* key;
    std::string* out;
  };
  std::string ignored;
  const Text texts[] = {{"description", &item.description},
                        {"comment", &item.comment},
                        {"counterEdrpou", &item.counter_edrpou},
                        {"counterIban", &item.counter_iban},
                        {"counterName", &item.counter_name},
                        {"receiptId", &ignored},
                        {"invoiceId", &ignored}};
  for (const auto& text : texts) {
    auto value = OptionalString(json_item, text.key);
    if (!value) return Fail(value.error());
    *text.out = std::move(*value);
  }
  for (const char* key :
       {"operationAmount", "commissionRate", "cashbackAmount", "balance", "mcc", "originalMcc"}) {
    const auto it = json_item.find(key);
    if (it != json_item.end() && !Int64Of(*it)) {
      return Fail(
          ErrorCode::kInvalidInput,
          fmt::format("{} must be an integer (no fraction or exponent, within int64)", key));
    }
  }
  if (const auto it = json_item.find("hold"); it != json_item.end() && !it->is_boolean()) {
    return Fail(ErrorCode::kInvalidInput, "hold must be true or false");
  }
  return item;
}

Result<WebhookEvent> ParseWebhookEvent(const json& body) {
  if (!body.is_object()) return Fail(ErrorCode::kInvalidInput, "body must be a JSON object");
  auto type = RequiredString(body, "type");
  if (!type) return Fail(type.error());
  WebhookEvent event;
  event.type = std::move(*type);
  if (event.type != "StatementItem") return event;
  const auto data = body.find("data");
  if (data == body.end()) return Fail(ErrorCode::kInvalidInput, "missing data");
  if (!data->is_object()) return Fail(ErrorCode::kInvalidInput, "data must be a JSON object");
  auto account = RequiredString(*data, "account");
  if (!account) return Fail(account.error());
  if (account->empty() || account->size() > kMaxIdBytes) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("account must be 1 to {} bytes", kMaxIdBytes));
  }
  event.account = std::move(*account);
  const auto item = data->find("statementItem");
  if (item == data->end()) return Fail(ErrorCode::kInvalidInput, "missing statementItem");
  auto parsed = ParseStatementItem(*item);
  if (!parsed) return Fail(parsed.error());
  event.item = std::move(*parsed);
  return event;
}

Result<std::vector<StatementItem>> ParseStatement(std::string_view body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Fail(ErrorCode::kInvalidInput, "statement is not valid JSON");
  if (!parsed.is_array()) return Fail(ErrorCode::kInvalidInput, "statement must be a JSON array");
  std::vector<StatementItem> items;
  items.reserve(parsed.size());
  for (std::size_t index = 0; index < parsed.size(); ++index) {
    auto item = ParseStatementItem(parsed[index]);
    if (!item) {
      return Fail(ErrorCode::kInvalidInput,
                  fmt::format("statement[{}]: {}", index, item.error().message));
    }
    items.push_back(std::move(*item));
  }
  return items;
}

Result<ClientInfo> ParseClientInfo(std::string_view body) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return Fail(ErrorCode::kInvalidInput, "client-info is not a JSON object");
  }
  ClientInfo info;
  auto name = OptionalString(parsed, "name");
  if (!name) return Fail(name.error());
  info.name = std::move(*name);
  auto url = OptionalString(parsed, "webHookUrl");
  if (!url) return Fail(url.error());
  info.webhook_url = std::move(*url);
  const auto accounts = parsed.find("accounts");
  if (accounts != parsed.end() && !accounts->is_null()) {
    if (!accounts->is_array()) return Fail(ErrorCode::kInvalidInput, "accounts must be an array");
    for (const auto& entry : *accounts) {
      if (!entry.is_object()) return Fail(ErrorCode::kInvalidInput, "an account is not an object");
      Account account;
      auto id = RequiredString(entry, "id");
      if (!id) return Fail(id.error());
      account.id = std::move(*id);
      auto iban = OptionalString(entry, "iban");
      if (!iban) return Fail(iban.error());
      account.iban = std::move(*iban);
      auto type = OptionalString(entry, "type");
      if (!type) return Fail(type.error());
      account.type = std::move(*type);
      if (const auto it = entry.find("currencyCode"); it != entry.end()) {
        const auto code = Int64Of(*it);
        if (!code || *code < 0 || *code > 999) {
          return Fail(ErrorCode::kInvalidInput, "an account's currencyCode is not ISO 4217");
        }
        account.currency_code = static_cast<int>(*code);
      }
      info.accounts.push_back(std::move(account));
    }
  }
  return info;
}

std::string_view ToString(Via via) { return via == Via::kWebhook ? "webhook" : "statement"; }

std::string InboxPayload(std::string_view account, const StatementItem& item, Via via) {
  return json{{"account", std::string(account)},
              {"id", item.id},
              {"time", item.time},
              {"amount", item.amount},
              {"currency_code", item.currency_code},
              {"description", item.description},
              {"comment", item.comment},
              {"counter_edrpou", item.counter_edrpou},
              {"counter_iban", item.counter_iban},
              {"counter_name", item.counter_name},
              {"via", std::string(ToString(via))}}
      .dump();
}

}  // namespace planfix_flow::bank
