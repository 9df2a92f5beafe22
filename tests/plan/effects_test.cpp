#include "planfix_flow/plan/effects.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace planfix_flow::plan {
namespace {

using nlohmann::json;

// A payload of each kind as the rules have always stored it (jobs in existing databases).
const json kSend = json::parse(R"({"chat_id": 42, "text": "<b>hi</b>",
  "report": {"task": 7, "contact": 9, "client_name": "Olena"},
  "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "a1"},
                                        {"text": "Site", "url": "https://example.com"}]]}})");
const json kAnswer = json::parse(R"({"callback_query_id": "q1", "text": "Done"})");
const json kEdit = json::parse(R"({"chat_id": -100, "message_id": 5, "text": "edited"})");
const json kComment =
    json::parse(R"({"task": 12, "description": "note", "recipients": ["user:3"]})");
const json kUpdateContact = json::parse(R"({"contact": 9,
  "custom_fields": [{"id": 101, "value": "12345"}, {"id": 102, "value": {"date": "01-02-2026"}}],
  "telegram_id": "555", "report": {"task": 7, "fields": [101]}})");
const json kUpdateTask = json::parse(R"({"task": 12, "status": 4})");
const json kCreateTask = json::parse(R"({"name": "Communication: Olena", "description": "Deal #1",
  "template_id": 3, "project_id": 4, "process_id": 5, "counterparty": "contact:9",
  "assignees": ["user:2"], "deal": 1})");
const json kAddEntry = json::parse(R"({"task": 12, "data_tag": 70,
  "custom_fields": [{"id": 701, "value": 15000.5}, {"id": 702, "value": {"date": "27-11-2026"}}]})");

template <typename T>
json RoundTrip(const json& stored) {
  auto decoded = Decode<T>(stored.dump());
  EXPECT_TRUE(decoded) << decoded.error().message;
  if (!decoded) return nullptr;
  return json::parse(Encode(*decoded));
}

TEST(Effects, EveryKindRoundTripsTheStoredShape) {
  EXPECT_EQ(RoundTrip<TelegramSendMessage>(kSend), kSend);
  EXPECT_EQ(RoundTrip<TelegramAnswerCallback>(kAnswer), kAnswer);
  EXPECT_EQ(RoundTrip<TelegramEditMessage>(kEdit), kEdit);
  EXPECT_EQ(RoundTrip<PlanfixAddComment>(kComment), kComment);
  EXPECT_EQ(RoundTrip<PlanfixUpdateContact>(kUpdateContact), kUpdateContact);
  EXPECT_EQ(RoundTrip<PlanfixUpdateTask>(kUpdateTask), kUpdateTask);
  EXPECT_EQ(RoundTrip<PlanfixCreateTask>(kCreateTask), kCreateTask);
  EXPECT_EQ(RoundTrip<PlanfixAddDataTagEntry>(kAddEntry), kAddEntry);
}

TEST(Effects, OptionalPartsStayOutOfThePayload) {
  EXPECT_EQ(json::parse(Encode(TelegramSendMessage{1, "x", std::nullopt, {}})),
            json::parse(R"({"chat_id": 1, "text": "x"})"));
  EXPECT_EQ(json::parse(Encode(PlanfixAddComment{2, "d", {}})),
            json::parse(R"({"task": 2, "description": "d"})"));
  PlanfixUpdateContact bind;
  bind.contact = 3;
  bind.telegram_id = "77";
  EXPECT_EQ(json::parse(Encode(bind)), json::parse(R"({"contact": 3, "telegram_id": "77"})"));
  PlanfixCreateTask task;
  task.name = "n";
  task.description = "d";
  task.counterparty = "contact:1";
  EXPECT_EQ(json::parse(Encode(task)),
            json::parse(R"({"name": "n", "description": "d", "counterparty": "contact:1"})"));
}

TEST(Effects, DecodedFieldsAreTheStoredOnes) {
  auto send = Decode<TelegramSendMessage>(kSend.dump());
  ASSERT_TRUE(send);
  EXPECT_EQ(send->chat_id, 42);
  EXPECT_EQ(send->text, "<b>hi</b>");
  ASSERT_TRUE(send->report);
  EXPECT_EQ(send->report->task, 7);
  EXPECT_EQ(send->report->contact, 9);
  EXPECT_EQ(send->report->client_name, "Olena");
  ASSERT_EQ(send->keyboard.size(), 1u);
  ASSERT_EQ(send->keyboard[0].size(), 2u);
  EXPECT_EQ(send->keyboard[0][0].callback_data, "a1");
  EXPECT_EQ(send->keyboard[0][1].url, "https://example.com");
  auto create = Decode<PlanfixCreateTask>(kCreateTask.dump());
  ASSERT_TRUE(create);
  EXPECT_EQ(create->template_id, 3);
  EXPECT_EQ(create->project_id, 4);
  EXPECT_EQ(create->process_id, 5);
  EXPECT_EQ(create->deal, 1);
  EXPECT_EQ(create->assignees, std::vector<std::string>{"user:2"});
}

// Decodes `payload` as T and expects a permanent error whose message says `expected`.
template <typename T>
void ExpectRefused(const json& payload, const std::string& expected) {
  auto decoded = Decode<T>(payload.dump());
  ASSERT_FALSE(decoded) << "accepted " << payload.dump();
  EXPECT_EQ(decoded.error().code, core::ErrorCode::kPermanent);
  EXPECT_EQ(decoded.error().message, expected) << payload.dump();
}

// Every required field of `valid` (a JSON pointer each) missing, and of the wrong type.
template <typename T>
void ExpectEachRequiredFieldChecked(const char* kind, const json& valid,
                                    const std::vector<std::pair<std::string, json>>& fields) {
  for (const auto& [pointer, wrong] : fields) {
    const json::json_pointer at(pointer);
    std::string name = pointer.substr(1);
    // "/report/task" -> "report.task", "/custom_fields/0/id" -> "custom_fields[0].id"
    std::string dotted;
    for (std::size_t i = 0; i < name.size();) {
      const auto slash = name.find('/', i);
      const std::string part = name.substr(i, slash == std::string::npos ? slash : slash - i);
      if (!part.empty() && part.find_first_not_of("0123456789") == std::string::npos) {
        dotted += "[" + part + "]";
      } else {
        if (!dotted.empty()) dotted += ".";
        dotted += part;
      }
      if (slash == std::string::npos) break;
      i = slash + 1;
    }
    json missing = valid;
    missing[at.parent_pointer()].erase(at.back());
    ExpectRefused<T>(missing, std::string(kind) + ": " + dotted + " is missing");
    json null_value = valid;
    null_value[at] = nullptr;
    ExpectRefused<T>(null_value, std::string(kind) + ": " + dotted + " is missing");
    json wrong_type = valid;
    wrong_type[at] = wrong;
    auto decoded = Decode<T>(wrong_type.dump());
    ASSERT_FALSE(decoded) << "accepted " << wrong_type.dump();
    EXPECT_EQ(decoded.error().code, core::ErrorCode::kPermanent);
    EXPECT_EQ(decoded.error().message.rfind(std::string(kind) + ": " + dotted + " must be ", 0), 0u)
        << decoded.error().message;
  }
}

TEST(Effects, TelegramSendRefusesAMissingOrWrongField) {
  ExpectEachRequiredFieldChecked<TelegramSendMessage>(
      "telegram.send_message", kSend,
      {{"/chat_id", "42"},
       {"/text", 1},
       {"/report/task", "7"},
       {"/report/contact", 9.5},
       {"/report/client_name", json::array()},
       {"/reply_markup/inline_keyboard", json::object()},
       {"/reply_markup/inline_keyboard/0/0/text", true}});
  ExpectRefused<TelegramSendMessage>(json{{"chat_id", 1}, {"text", "x"}, {"report", "r"}},
                                     "telegram.send_message: report must be an object");
  ExpectRefused<TelegramSendMessage>(
      json{{"chat_id", 1}, {"text", "x"}, {"reply_markup", {{"inline_keyboard", {1}}}}},
      "telegram.send_message: reply_markup.inline_keyboard[0] must be an array");
  ExpectRefused<TelegramSendMessage>(
      json{{"chat_id", 1},
           {"text", "x"},
           {"reply_markup", {{"inline_keyboard", {{{{"text", "a"}, {"url", 5}}}}}}}},
      "telegram.send_message: reply_markup.inline_keyboard[0][0].url must be a string");
}

TEST(Effects, TelegramAnswerAndEditRefuseAMissingOrWrongField) {
  ExpectEachRequiredFieldChecked<TelegramAnswerCallback>(
      "telegram.answer_callback", kAnswer, {{"/callback_query_id", 1}, {"/text", false}});
  ExpectEachRequiredFieldChecked<TelegramEditMessage>(
      "telegram.edit_message", kEdit, {{"/chat_id", "x"}, {"/message_id", 1.5}, {"/text", 3}});
}

TEST(Effects, PlanfixEffectsRefuseAMissingOrWrongField) {
  ExpectEachRequiredFieldChecked<PlanfixAddComment>("planfix.add_comment", kComment,
                                                    {{"/task", "12"}, {"/description", 1}});
  ExpectRefused<PlanfixAddComment>(json{{"task", 1}, {"description", "d"}, {"recipients", {1}}},
                                   "planfix.add_comment: recipients[0] must be a string");
  ExpectRefused<PlanfixAddComment>(json{{"task", 1}, {"description", "d"}, {"recipients", "u"}},
                                   "planfix.add_comment: recipients must be an array");
  ExpectEachRequiredFieldChecked<PlanfixUpdateContact>(
      "planfix.update_contact", kUpdateContact,
      {{"/contact", "9"}, {"/custom_fields/0/id", "101"}});
  ExpectRefused<PlanfixUpdateContact>(json{{"contact", 1}, {"telegram_id", 5}},
                                      "planfix.update_contact: telegram_id must be a string");
  ExpectRefused<PlanfixUpdateContact>(json{{"contact", 1}, {"report", {1, 2}}},
                                      "planfix.update_contact: report must be an object");
  ExpectRefused<PlanfixUpdateContact>(json{{"contact", 1}, {"custom_fields", {1}}},
                                      "planfix.update_contact: custom_fields[0] must be an object");
  ExpectEachRequiredFieldChecked<PlanfixUpdateTask>("planfix.update_task", kUpdateTask,
                                                    {{"/task", "12"}, {"/status", "4"}});
  ExpectEachRequiredFieldChecked<PlanfixCreateTask>(
      "planfix.create_task", kCreateTask,
      {{"/name", 1}, {"/description", 2}, {"/counterparty", 9}});
  for (const char* optional : {"template_id", "project_id", "process_id", "deal"}) {
    json wrong = kCreateTask;
    wrong[optional] = "3";
    ExpectRefused<PlanfixCreateTask>(
        wrong, std::string("planfix.create_task: ") + optional + " must be an integer");
  }
}

TEST(Effects, ADataTagEntryNeedsItsTaskTagAndAtLeastOneField) {
  ExpectEachRequiredFieldChecked<PlanfixAddDataTagEntry>("planfix.add_data_tag_entry", kAddEntry,
                                                         {{"/task", "12"},
                                                          {"/data_tag", 7.5},
                                                          {"/custom_fields", json::object()},
                                                          {"/custom_fields/0/id", "701"}});
  ExpectRefused<PlanfixAddDataTagEntry>(
      json{{"task", 1}, {"data_tag", 2}, {"custom_fields", json::array()}},
      "planfix.add_data_tag_entry: custom_fields is empty");
  ExpectRefused<PlanfixAddDataTagEntry>(
      json{{"task", 1}, {"data_tag", 2}, {"custom_fields", {{{"id", 3}}}}},
      "planfix.add_data_tag_entry: custom_fields[0].value is missing");
  auto decoded = Decode<PlanfixAddDataTagEntry>(kAddEntry.dump());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->data_tag, 70);
  ASSERT_EQ(decoded->custom_fields.size(), 2u);
  EXPECT_EQ(decoded->custom_fields[1].value, json({{"date", "27-11-2026"}}));
}

TEST(Effects, TheTimeEffectsRoundTripAndRefuseAMissingOrWrongField) {
  const json entry = json::parse(R"({"task": 12, "employee": "user:5", "date": "2026-12-07",
    "from": "09:00", "to": "10:30", "minutes": 90})");
  const json summary = json::parse(R"({"month": "2026-11", "chat_id": -1001})");
  EXPECT_EQ(RoundTrip<TimeWriteEntry>(entry), entry);
  EXPECT_EQ(RoundTrip<TimeSendSummary>(summary), summary);
  EXPECT_EQ(RoundTrip<TimeSync>(json::object()), json::object());
  ExpectEachRequiredFieldChecked<TimeWriteEntry>("time.write_entry", entry,
                                                 {{"/task", "12"},
                                                  {"/employee", 5},
                                                  {"/date", 1},
                                                  {"/from", 9},
                                                  {"/to", 10},
                                                  {"/minutes", "90"}});
  ExpectEachRequiredFieldChecked<TimeSendSummary>("time.send_summary", summary,
                                                  {{"/month", 202611}, {"/chat_id", "-1001"}});
  EXPECT_FALSE(Decode<TimeSync>("[]"));
}

TEST(Effects, APayloadThatIsNoObjectIsRefused) {
  for (const char* text : {"", "[]", "12", "{", "\"x\""}) {
    auto decoded = Decode<PlanfixUpdateTask>(text);
    ASSERT_FALSE(decoded) << text;
    EXPECT_EQ(decoded.error().code, core::ErrorCode::kPermanent);
    EXPECT_EQ(decoded.error().message, "planfix.update_task: the payload is not a JSON object");
  }
}

TEST(Effects, MakeEffectCarriesTheKindAndTheEncodedPayload) {
  const auto effect = MakeEffect(PlanfixUpdateTask{5, 6}, "planfix", "event:1:status");
  EXPECT_EQ(effect.kind, "planfix.update_task");
  EXPECT_EQ(effect.destination, "planfix");
  EXPECT_EQ(effect.idempotency_key, "event:1:status");
  EXPECT_EQ(json::parse(effect.payload), json::parse(R"({"task": 5, "status": 6})"));
}

}  // namespace
}  // namespace planfix_flow::plan
