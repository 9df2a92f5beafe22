// The bank's data as the service takes it in: monobank's StatementItem (from a webhook event or
// a statement page), parsed strictly, and the inbox event the service stores for an incoming
// transfer. Amounts are integer minor units end to end, never floating point. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/result.h"

namespace planfix_flow::bank {

// The inbox event kind of an incoming transfer, and its dedupe key's prefix: the same item
// from a webhook (twice) and from the statement is one event.
inline constexpr char kEventStatementItem[] = "bank.statement_item";
std::string DedupeKey(std::string_view item_id);

// An amount above this (10^11 kopecks: one billion hryvnias) is absurd for an agency's
// account. Such an item is still stored (a person must see it: the invoices side records it as
// unmatched with the reason); only amounts no int64 holds are a malformed body.
inline constexpr std::int64_t kAbsurdAmountMinor = 100'000'000'000;
inline constexpr int kCurrencyUah = 980;

struct StatementItem {
  std::string id;
  std::int64_t time = 0;    // Unix seconds
  std::int64_t amount = 0;  // minor units in the account's currency; > 0 is money in
  int currency_code = 0;    // ISO 4217 numeric
  std::string description;
  std::string comment;
  std::string counter_edrpou;
  std::string counter_iban;
  std::string counter_name;
};

// A StatementItem object. Required: id (a non-empty string of at most 128 bytes), time (an
// integer >= 0), amount (an integer), currencyCode (an integer 1..999). Optional strings
// (description, comment, counterEdrpou, counterIban, counterName, receiptId, invoiceId) are a
// string or null (absent); the optional numbers (operationAmount, commissionRate,
// cashbackAmount, balance, mcc, originalMcc) integers; hold a boolean. "An integer" is an
// integer token only: 100.0, 1e2 and a value outside int64 are refused. Other members are
// ignored (the bank may add fields; refusing them would switch the webhook off). kInvalidInput
// naming the member otherwise.
core::Result<StatementItem> ParseStatementItem(const nlohmann::json& json);

// A webhook event. {"type":"StatementItem","data":{"account":"<id>","statementItem":{...}}}.
// Another type parses with no item (the caller answers 200 and stores nothing).
struct WebhookEvent {
  std::string type;
  std::string account;                // set for a StatementItem event
  std::optional<StatementItem> item;  // set for a StatementItem event
};
core::Result<WebhookEvent> ParseWebhookEvent(const nlohmann::json& json);

// A statement answer: a JSON array of StatementItem objects (newest first, as the bank sends).
core::Result<std::vector<StatementItem>> ParseStatement(std::string_view body);

// The account of client-info the service reads, and the webhook URL the bank holds.
struct Account {
  std::string id;
  std::string iban;
  std::string type;
  int currency_code = 0;
};
struct ClientInfo {
  std::string name;
  std::string webhook_url;  // empty: no webhook (or the bank switched it off)
  std::vector<Account> accounts;
};
core::Result<ClientInfo> ParseClientInfo(std::string_view body);

// How the service learnt of an item.
enum class Via { kWebhook, kStatement };
std::string_view ToString(Via via);

// The payload of a bank.statement_item event (the contract with the invoices side):
// {"account","id","time","amount","currency_code","description","comment","counter_edrpou",
// "counter_iban","counter_name","via"}; absent strings are "".
std::string InboxPayload(std::string_view account, const StatementItem& item, Via via);

}  // namespace planfix_flow::bank
