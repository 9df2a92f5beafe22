// Checks the Telegram client and the fake against the official Bot API description
// (../shared/telegram/bot-api.json, read at run time): every method and field the client sends
// exists with a compatible type and every required field is sent; every result the fake
// answers has the shape the spec gives; the fake requires what the spec marks required; and
// the fields the parser reads exist.
#include <gtest/gtest.h>

#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_telegram.h"
#include "planfix_flow/telegram/telegram_client.h"

namespace planfix_flow::telegram {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

const json* Spec() {
  static const json spec = [] {
    std::ifstream in(std::string(PLANFIX_FLOW_SHARED_DIR) + "/telegram/bot-api.json");
    if (!in) return json();
    return json::parse(in, nullptr, false);
  }();
  return spec.is_object() && spec.contains("methods") ? &spec : nullptr;
}

#define REQUIRE_SPEC()                                                                    \
  if (Spec() == nullptr) GTEST_SKIP() << "shared/telegram/bot-api.json is not available"; \
  const json& spec = *Spec()

const json* Field(const json& definition, const std::string& name) {
  if (!definition.contains("fields")) return nullptr;
  for (const auto& field : definition["fields"]) {
    if (field["name"] == name) return &field;
  }
  return nullptr;
}

// Collects every mismatch between `value` and the spec type expression `type`.
void CheckType(const json& spec, const json& value, const std::string& type,
               const std::string& where, std::vector<std::string>& problems);

bool Matches(const json& spec, const json& value, const std::string& type,
             const std::string& where) {
  std::vector<std::string> problems;
  CheckType(spec, value, type, where, problems);
  return problems.empty();
}

void CheckObject(const json& spec, const json& value, const std::string& type_name,
                 const std::string& where, std::vector<std::string>& problems) {
  const json& definition = spec["types"][type_name];
  if (definition.contains("subtypes")) {
    for (const auto& subtype : definition["subtypes"]) {
      if (Matches(spec, value, subtype.get<std::string>(), where)) return;
    }
    problems.push_back(where + ": matches no subtype of " + type_name);
    return;
  }
  if (!value.is_object()) {
    problems.push_back(where + ": expected a " + type_name + " object, got " + value.dump());
    return;
  }
  for (const auto& [key, item] : value.items()) {
    const json* field = Field(definition, key);
    if (field == nullptr) {
      problems.push_back(where + "." + key + ": not a field of " + type_name);
      continue;
    }
    std::vector<std::string> alternatives;
    bool any = false;
    for (const auto& type : (*field)["types"]) {
      if (Matches(spec, item, type.get<std::string>(), where + "." + key)) any = true;
    }
    if (!any)
      problems.push_back(where + "." + key + ": " + item.dump() + " fits none of " +
                         (*field)["types"].dump());
  }
  if (definition.contains("fields")) {
    for (const auto& field : definition["fields"]) {
      if (field["required"] == true && !value.contains(field["name"].get<std::string>())) {
        problems.push_back(where + ": required " + type_name + "." +
                           field["name"].get<std::string>() + " is missing");
      }
    }
  }
}

void CheckType(const json& spec, const json& value, const std::string& type,
               const std::string& where, std::vector<std::string>& problems) {
  static const std::string kArrayOf = "Array of ";
  if (type.rfind(kArrayOf, 0) == 0) {
    if (!value.is_array()) {
      problems.push_back(where + ": expected an array");
      return;
    }
    for (std::size_t i = 0; i < value.size(); ++i) {
      CheckType(spec, value[i], type.substr(kArrayOf.size()), where + "[" + std::to_string(i) + "]",
                problems);
    }
    return;
  }
  if (type == "Integer") {
    if (!value.is_number_integer()) problems.push_back(where + ": expected Integer");
  } else if (type == "Float") {
    if (!value.is_number()) problems.push_back(where + ": expected Float");
  } else if (type == "String") {
    if (!value.is_string()) problems.push_back(where + ": expected String");
  } else if (type == "Boolean" || type == "True") {
    if (!value.is_boolean()) problems.push_back(where + ": expected Boolean");
  } else if (spec["types"].contains(type)) {
    CheckObject(spec, value, type, where, problems);
  } else {
    problems.push_back(where + ": unknown spec type " + type);
  }
}

// Sends through curl and keeps every request and answer for inspection.
class RecordingHttpClient : public http::HttpClient {
 public:
  struct Exchange {
    http::HttpRequest request;
    http::HttpResponse response;
  };
  core::Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    auto response = inner_.Send(request);
    if (response) {
      std::lock_guard lock(mutex_);
      exchanges_.push_back({request, *response});
    }
    return response;
  }
  std::vector<Exchange> exchanges() const {
    std::lock_guard lock(mutex_);
    return exchanges_;
  }

 private:
  http::CurlHttpClient inner_;
  mutable std::mutex mutex_;
  std::vector<Exchange> exchanges_;
};

std::string MethodOf(const std::string& url) { return url.substr(url.rfind('/') + 1); }

sandbox::FakeTelegramOptions Unpaced() {
  sandbox::FakeTelegramOptions options;
  options.per_chat = core::RateLimit{100, seconds(1)};  // shapes are checked here, not pacing
  return options;
}

class BotApiSpecTest : public ::testing::Test {
 protected:
  BotApiSpecTest() : fake_(Unpaced()) {}
  void SetUp() override {
    fake_.AddPrivateChat(kUser, "Олена", "olena");
    fake_.AddSupergroup(kStaff, "Staff", "agency_staff");
    fake_.Start();
  }

  // Drives every client method with every optional field it can send filled in.
  std::vector<RecordingHttpClient::Exchange> ExerciseTheClient() {
    core::SystemClock clock;
    TelegramOptions options;
    options.base_url = fake_.api_base_url();
    options.token = fake_.token();
    options.per_chat = core::RateLimit{100, seconds(1)};
    TelegramClient client(recorder_, clock, options);
    SendMessageRequest send;
    send.chat_id = kUser;
    send.text = "<b>Бриф</b> <a href=\"https://forms.test/x\">форма</a>";
    send.keyboard = {{{"Форма", "", "https://forms.test/x"}, {"Готово", "done:1", ""}}};
    send.disable_notification = true;
    send.link_preview_options = LinkPreviewOptions{true, "https://forms.test/x", true, false, true};
    auto sent = client.SendMessage(send);
    EXPECT_TRUE(sent) << sent.error().ToString();
    EXPECT_TRUE(client.SendMessage({.chat_id = kStaff, .text = "plain", .parse_mode = ""}));

    const std::string query = fake_.SimulateUserPress(kUser, 1, "done:1");
    fake_.SimulateUserMessage(kUser, kUser, "/start brief_x");
    auto updates = client.GetUpdates({.offset = 1,
                                      .limit = 100,
                                      .timeout = seconds(0),
                                      .allowed_updates = std::vector<std::string>{
                                          "message", "callback_query", "my_chat_member"}});
    EXPECT_TRUE(updates) << updates.error().ToString();
    EXPECT_TRUE(client.AnswerCallbackQuery({.callback_query_id = query,
                                            .text = "OK",
                                            .show_alert = true,
                                            .url = "https://t.me/planfix_flow_bot?start=x",
                                            .cache_time = 5}));
    EditMessageTextRequest edit;
    edit.chat_id = kUser;
    edit.message_id = 1;
    edit.text = "<i>Дякуємо</i>";
    edit.keyboard = {{{"Ще раз", "again:1", ""}}};
    edit.link_preview_options = LinkPreviewOptions{.is_disabled = true};
    auto edited = client.EditMessageText(edit);
    EXPECT_TRUE(edited) << edited.error().ToString();
    EXPECT_TRUE(client.SetWebhook({.url = "https://flow.test/webhooks/telegram",
                                   .secret_token = "abc_DEF-123",
                                   .allowed_updates = std::vector<std::string>{"message"},
                                   .max_connections = 10,
                                   .drop_pending_updates = true}));
    EXPECT_TRUE(client.GetWebhookInfo());
    EXPECT_TRUE(client.DeleteWebhook(PendingUpdates::kDrop));
    EXPECT_TRUE(client.GetMe());
    return recorder_.exchanges();
  }

  static constexpr ChatId kUser = 7012345678;
  static constexpr ChatId kStaff = -1001234567890;
  sandbox::FakeTelegram fake_;
  RecordingHttpClient recorder_;
};

TEST_F(BotApiSpecTest, ClientSendsOnlySpecFieldsWithSpecTypesAndAllRequiredOnes) {
  REQUIRE_SPEC();
  const auto exchanges = ExerciseTheClient();
  std::set<std::string> methods;
  for (const auto& exchange : exchanges) {
    const std::string method = MethodOf(exchange.request.url);
    methods.insert(method);
    ASSERT_TRUE(spec["methods"].contains(method)) << method << " is not a Bot API method";
    const json& definition = spec["methods"][method];
    const json body = json::parse(exchange.request.body);
    std::vector<std::string> problems;
    for (const auto& [key, value] : body.items()) {
      const json* field = Field(definition, key);
      if (field == nullptr) {
        problems.push_back(method + "." + key + ": not a parameter of the method");
        continue;
      }
      bool any = false;
      for (const auto& type : (*field)["types"]) {
        if (Matches(spec, value, type.get<std::string>(), method + "." + key)) any = true;
      }
      if (!any) {
        std::vector<std::string> detail;
        CheckType(spec, value, (*field)["types"][0].get<std::string>(), method + "." + key, detail);
        problems.push_back(method + "." + key + " fits none of " + (*field)["types"].dump() +
                           (detail.empty() ? "" : ": " + detail[0]));
      }
    }
    if (definition.contains("fields")) {
      for (const auto& field : definition["fields"]) {
        if (field["required"] == true && !body.contains(field["name"].get<std::string>())) {
          problems.push_back(method + ": required " + field["name"].get<std::string>() +
                             " not sent");
        }
      }
    }
    EXPECT_TRUE(problems.empty()) << ::testing::PrintToString(problems);
  }
  EXPECT_EQ(methods, (std::set<std::string>{"sendMessage", "getUpdates", "answerCallbackQuery",
                                            "editMessageText", "setWebhook", "getWebhookInfo",
                                            "deleteWebhook", "getMe"}));
}

TEST_F(BotApiSpecTest, FakeAnswersWithTheSpecsEnvelopeAndResultTypes) {
  REQUIRE_SPEC();
  const auto exchanges = ExerciseTheClient();
  ASSERT_FALSE(exchanges.empty());
  for (const auto& exchange : exchanges) {
    const std::string method = MethodOf(exchange.request.url);
    const json body = json::parse(exchange.response.body);
    ASSERT_EQ(body["ok"], true) << method << ": " << exchange.response.body;
    const json& returns = spec["methods"][method]["returns"];
    bool any = false;
    std::vector<std::string> first_problems;
    for (const auto& type : returns) {
      std::vector<std::string> problems;
      CheckType(spec, body["result"], type.get<std::string>(), method, problems);
      if (problems.empty()) any = true;
      if (first_problems.empty()) first_problems = problems;
    }
    EXPECT_TRUE(any) << method << " result fits none of " << returns.dump() << ": "
                     << ::testing::PrintToString(first_problems);
  }
}

TEST_F(BotApiSpecTest, FakeRequiresWhatTheSpecMarksRequired) {
  REQUIRE_SPEC();
  http::CurlHttpClient http;
  auto call = [&](const std::string& method, const json& params) {
    http::HttpRequest request;
    request.method = "POST";
    request.url = fake_.base_url() + "/bot" + fake_.token() + "/" + method;
    request.headers["Content-Type"] = "application/json";
    request.body = params.dump();
    auto response = http.Send(request);
    return response ? json::parse(response->body) : json();
  };
  // A complete, valid call of each method the fake implements (and the client uses).
  fake_.SimulateUserMessage(kUser, kUser, "hi");
  const std::map<std::string, json> complete = {
      {"sendMessage", {{"chat_id", kUser}, {"text", "x"}}},
      {"answerCallbackQuery", {{"callback_query_id", "1"}}},
      {"setWebhook", {{"url", "https://flow.test/hook"}}},
      {"getUpdates", json::object()},
      {"deleteWebhook", json::object()},
      {"getMe", json::object()},
      {"getWebhookInfo", json::object()},
      {"editMessageText", {{"chat_id", kUser}, {"message_id", 1}, {"text", "x"}}},
  };
  int checked = 0;
  for (const auto& [method, params] : complete) {
    ASSERT_TRUE(spec["methods"].contains(method)) << method;
    const json& definition = spec["methods"][method];
    if (!definition.contains("fields")) continue;
    for (const auto& field : definition["fields"]) {
      if (field["required"] != true) continue;
      const std::string name = field["name"].get<std::string>();
      ASSERT_TRUE(params.contains(name)) << method << " example lacks required " << name;
      json without = params;
      without.erase(name);
      const json answer = call(method, without);
      EXPECT_EQ(answer["ok"], false) << method << " without " << name;
      EXPECT_EQ(answer["error_code"], 400)
          << method << " without " << name << ": " << answer.dump();
      ++checked;
    }
  }
  EXPECT_GE(checked, 4);  // sendMessage chat_id and text, answerCallbackQuery id, setWebhook url
  // Each was recorded as a request a correct client never sends.
  EXPECT_EQ(fake_.TakeFailures().size(), static_cast<std::size_t>(checked));
  const json no_chat = call("sendMessage", {{"text", "x"}});
  EXPECT_EQ(no_chat["description"], "Bad Request: chat_id is empty");
  const json no_text = call("sendMessage", {{"chat_id", kUser}});
  EXPECT_EQ(no_text["description"], "Bad Request: message text is empty");
  EXPECT_EQ(fake_.TakeFailures().size(), 2u);
}

TEST(BotApiSpec, FieldsTheParserReadsExistInTheSpec) {
  REQUIRE_SPEC();
  const std::map<std::string, std::vector<std::string>> read = {
      {"Update",
       {"update_id", "message", "edited_message", "channel_post", "edited_channel_post",
        "callback_query", "my_chat_member"}},
      {"Message",
       {"message_id", "chat", "date", "from", "text", "entities", "reply_markup",
        "migrate_to_chat_id"}},
      {"InaccessibleMessage", {"message_id", "chat", "date"}},
      {"Chat", {"id", "type", "title", "username", "first_name"}},
      {"User", {"id", "is_bot", "first_name", "last_name", "username", "language_code"}},
      {"CallbackQuery", {"id", "from", "message", "inline_message_id", "chat_instance", "data"}},
      {"ChatMemberUpdated", {"chat", "from", "date", "old_chat_member", "new_chat_member"}},
      {"ChatMemberMember", {"status"}},
      {"ChatMemberBanned", {"status"}},
      {"MessageEntity", {"type", "offset", "length", "url", "language", "custom_emoji_id"}},
      {"InlineKeyboardMarkup", {"inline_keyboard"}},
      {"InlineKeyboardButton", {"text", "callback_data", "url"}},
      {"ResponseParameters", {"retry_after", "migrate_to_chat_id"}},
  };
  for (const auto& [type, fields] : read) {
    ASSERT_TRUE(spec["types"].contains(type)) << type;
    for (const auto& field : fields) {
      EXPECT_NE(Field(spec["types"][type], field), nullptr) << type << "." << field;
    }
  }
  // The update kinds the parser knows carry the types it parses them as.
  EXPECT_EQ((*Field(spec["types"]["Update"], "callback_query"))["types"][0], "CallbackQuery");
  EXPECT_EQ((*Field(spec["types"]["Update"], "my_chat_member"))["types"][0], "ChatMemberUpdated");
  EXPECT_EQ((*Field(spec["types"]["CallbackQuery"], "message"))["types"][0],
            "MaybeInaccessibleMessage");
}

TEST(BotApiSpec, LimitsTheClientEnforcesMatchTheSpecsWording) {
  REQUIRE_SPEC();
  const auto description = [&](const char* type_or_method, const char* field, bool method) {
    const json& definition = spec[method ? "methods" : "types"][type_or_method];
    return (*Field(definition, field))["description"].get<std::string>();
  };
  EXPECT_NE(description("sendMessage", "text", true).find("1-4096 characters"), std::string::npos);
  EXPECT_NE(description("InlineKeyboardButton", "callback_data", false).find("1-64 bytes"),
            std::string::npos);
  EXPECT_NE(description("setWebhook", "secret_token", true).find("1-256 characters"),
            std::string::npos);
  EXPECT_EQ(kMaxTextCharacters, 4096u);
  EXPECT_EQ(kMaxCallbackDataBytes, 64u);
}

}  // namespace
}  // namespace planfix_flow::telegram
