// The bank's statement items and webhook events: every refusal of the strict parser, and the
// inbox payload the invoices side reads (the contract of bank.statement_item).
#include "planfix_flow/bank/statement.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/http/monobank_webhook.h"

namespace planfix_flow::bank {
namespace {

using nlohmann::json;

json Item() {
  return json{{"id", "ZuHWzqkKGVo="},
              {"time", 1795420800},
              {"description", "Оплата за рахунком INV-2026-11-07"},
              {"mcc", 4829},
              {"originalMcc", 4829},
              {"hold", false},
              {"amount", 1250000},
              {"operationAmount", 1250000},
              {"currencyCode", 980},
              {"commissionRate", 0},
              {"cashbackAmount", 0},
              {"balance", 5000000},
              {"comment", "за листопад"},
              {"receiptId", "XXXX-XXXX-XXXX-XXXX"},
              {"counterEdrpou", "3096889974"},
              {"counterIban", "UA898999980000355639201001404"},
              {"counterName", "ТОВ «ВОРОНА»"}};
}

std::string Event(const json& item, const std::string& account = "fop-uah-account") {
  return json{{"type", "StatementItem"}, {"data", {{"account", account}, {"statementItem", item}}}}
      .dump();
}

std::string RefusalOf(const std::string& body) {
  auto parsed = http::ParseMonobankWebhook(body);
  if (parsed) return "accepted";
  EXPECT_EQ(parsed.error().code, core::ErrorCode::kInvalidInput);
  return parsed.error().message;
}

std::string RefusalWith(const char* key, const json& value) {
  json item = Item();
  item[key] = value;
  return RefusalOf(Event(item));
}

std::string RefusalWithout(const char* key) {
  json item = Item();
  item.erase(key);
  return RefusalOf(Event(item));
}

TEST(BankStatement, ParsesAWebhookEventIntoTheContractPayload) {
  auto event = http::ParseMonobankWebhook(Event(Item()));
  ASSERT_TRUE(event) << event.error().ToString();
  ASSERT_TRUE(event->item.has_value());
  EXPECT_EQ(event->account, "fop-uah-account");
  const json payload = json::parse(InboxPayload(event->account, *event->item, Via::kWebhook));
  EXPECT_EQ(payload, (json{{"account", "fop-uah-account"},
                           {"id", "ZuHWzqkKGVo="},
                           {"time", 1795420800},
                           {"amount", 1250000},
                           {"currency_code", 980},
                           {"description", "Оплата за рахунком INV-2026-11-07"},
                           {"comment", "за листопад"},
                           {"counter_edrpou", "3096889974"},
                           {"counter_iban", "UA898999980000355639201001404"},
                           {"counter_name", "ТОВ «ВОРОНА»"},
                           {"via", "webhook"}}));
  EXPECT_TRUE(payload["amount"].is_number_integer());
  EXPECT_EQ(DedupeKey("ZuHWzqkKGVo="), "monobank:ZuHWzqkKGVo=");
}

TEST(BankStatement, AbsentAndNullOptionalStringsReadAsEmpty) {
  json item = Item();
  for (const char* key : {"comment", "counterEdrpou", "counterIban", "receiptId"}) item.erase(key);
  item["counterName"] = nullptr;
  auto event = http::ParseMonobankWebhook(Event(item));
  ASSERT_TRUE(event) << event.error().ToString();
  const json payload = json::parse(InboxPayload(event->account, *event->item, Via::kStatement));
  EXPECT_EQ(payload["comment"], "");
  EXPECT_EQ(payload["counter_edrpou"], "");
  EXPECT_EQ(payload["counter_iban"], "");
  EXPECT_EQ(payload["counter_name"], "");
  EXPECT_EQ(payload["via"], "statement");
}

TEST(BankStatement, AmountsAreIntegerTokensOnly) {
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":{"account":"a","statementItem":)"
                      R"({"id":"x","time":1,"amount":100.0,"currencyCode":980}}})"),
            "amount must be an integer (no fraction or exponent, within int64)");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":{"account":"a","statementItem":)"
                      R"({"id":"x","time":1,"amount":1e5,"currencyCode":980}}})"),
            "amount must be an integer (no fraction or exponent, within int64)");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":{"account":"a","statementItem":)"
                      R"({"id":"x","time":1,"amount":9223372036854775808,"currencyCode":980}}})"),
            "amount must be an integer (no fraction or exponent, within int64)");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":{"account":"a","statementItem":)"
                      R"({"id":"x","time":1,"amount":99999999999999999999,"currencyCode":980}}})"),
            "amount must be an integer (no fraction or exponent, within int64)");
  EXPECT_EQ(RefusalWith("amount", "1250000"),
            "amount must be an integer (no fraction or exponent, within int64)");
  // The largest and smallest int64 are numbers the parser keeps exactly.
  auto big = http::ParseMonobankWebhook(
      R"({"type":"StatementItem","data":{"account":"a","statementItem":)"
      R"({"id":"x","time":1,"amount":9223372036854775807,"currencyCode":980}}})");
  ASSERT_TRUE(big);
  EXPECT_EQ(big->item->amount, 9223372036854775807);
  auto negative = http::ParseMonobankWebhook(
      R"({"type":"StatementItem","data":{"account":"a","statementItem":)"
      R"({"id":"x","time":1,"amount":-9223372036854775808,"currencyCode":980}}})");
  ASSERT_TRUE(negative);
  EXPECT_EQ(negative->item->amount, std::numeric_limits<std::int64_t>::min());
}

TEST(BankStatement, RefusesEachMissingOrMistypedMember) {
  EXPECT_EQ(RefusalWithout("id"), "missing id");
  EXPECT_EQ(RefusalWith("id", 5), "id must be a string");
  EXPECT_EQ(RefusalWith("id", ""), "id must be 1 to 128 bytes");
  EXPECT_EQ(RefusalWith("id", std::string(129, 'x')), "id must be 1 to 128 bytes");
  EXPECT_EQ(RefusalWithout("time"), "missing time");
  EXPECT_EQ(RefusalWith("time", -1), "time must not be negative");
  EXPECT_EQ(RefusalWith("time", 1.5),
            "time must be an integer (no fraction or exponent, within int64)");
  EXPECT_EQ(RefusalWithout("amount"), "missing amount");
  EXPECT_EQ(RefusalWithout("currencyCode"), "missing currencyCode");
  EXPECT_EQ(RefusalWith("currencyCode", 0), "currencyCode must be an ISO 4217 number (1-999)");
  EXPECT_EQ(RefusalWith("currencyCode", 1000), "currencyCode must be an ISO 4217 number (1-999)");
  EXPECT_EQ(RefusalWith("description", 7), "description must be a string");
  EXPECT_EQ(RefusalWith("comment", json::array()), "comment must be a string");
  EXPECT_EQ(RefusalWith("counterEdrpou", 3096889974), "counterEdrpou must be a string");
  EXPECT_EQ(RefusalWith("counterIban", false), "counterIban must be a string");
  EXPECT_EQ(RefusalWith("counterName", json::object()), "counterName must be a string");
  EXPECT_EQ(RefusalWith("invoiceId", 1), "invoiceId must be a string");
  EXPECT_EQ(RefusalWith("balance", 1.25),
            "balance must be an integer (no fraction or exponent, within int64)");
  EXPECT_EQ(RefusalWith("operationAmount", "5"),
            "operationAmount must be an integer (no fraction or exponent, within int64)");
  EXPECT_EQ(RefusalWith("hold", 0), "hold must be true or false");
}

TEST(BankStatement, RefusesAMalformedEnvelope) {
  EXPECT_EQ(RefusalOf("not json"), "body is not valid JSON");
  EXPECT_EQ(RefusalOf("[]"), "body must be a JSON object");
  EXPECT_EQ(RefusalOf(R"({"data":{}})"), "missing type");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem"})"), "missing data");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":[]})"), "data must be a JSON object");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":{"statementItem":{}}})"),
            "missing account");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":{"account":"","statementItem":{}}})"),
            "account must be 1 to 128 bytes");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":{"account":"a"}})"),
            "missing statementItem");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","data":{"account":"a","statementItem":1}})"),
            "statementItem must be a JSON object");
  EXPECT_EQ(RefusalOf(R"({"type":"StatementItem","type":"StatementItem"})"),
            "JSON object has the key \"type\" twice");
  EXPECT_EQ(RefusalOf(std::string("{\"type\":\"x\"}\0junk", 17)), "body is not valid JSON");
  EXPECT_EQ(RefusalOf("{\"type\":\"\xff\"}"), "body is not valid UTF-8");
  EXPECT_EQ(
      RefusalOf(R"({"type":"StatementItem","data":{"a":{"b":{"c":{"d":{"e":{"f":{"g":{}}}}}}}}})"),
      "JSON is nested deeper than 8 levels");
}

TEST(BankStatement, AnotherEventTypeParsesWithoutAnItem) {
  auto event = http::ParseMonobankWebhook(R"({"type":"SomethingNew","data":{"x":1}})");
  ASSERT_TRUE(event);
  EXPECT_EQ(event->type, "SomethingNew");
  EXPECT_FALSE(event->item.has_value());
}

TEST(BankStatement, ParsesAStatementPageAndNamesTheBadItemByIndex) {
  json page = json::array({Item(), Item()});
  page[1]["id"] = "second";
  auto items = ParseStatement(page.dump());
  ASSERT_TRUE(items) << items.error().ToString();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1].id, "second");
  page[1]["amount"] = 1.5;
  auto refused = ParseStatement(page.dump());
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "statement[1]: amount must be an integer (no fraction or exponent, within int64)");
  EXPECT_FALSE(ParseStatement("{}"));
  EXPECT_FALSE(ParseStatement("[1"));
}

TEST(BankStatement, ReadsClientInfoAccountsAndWebhook) {
  auto info = ParseClientInfo(
      R"({"clientId":"c","name":"FOP","webHookUrl":"https://x/webhooks/monobank/t",)"
      R"("accounts":[{"id":"acc","iban":"UA1","type":"fop","currencyCode":980,"balance":1}]})");
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->webhook_url, "https://x/webhooks/monobank/t");
  ASSERT_EQ(info->accounts.size(), 1u);
  EXPECT_EQ(info->accounts[0].id, "acc");
  EXPECT_EQ(info->accounts[0].currency_code, 980);
  EXPECT_FALSE(ParseClientInfo(R"({"accounts":[{"iban":"UA1"}]})"));
  EXPECT_FALSE(ParseClientInfo(R"({"webHookUrl":5})"));
}

}  // namespace
}  // namespace planfix_flow::bank
