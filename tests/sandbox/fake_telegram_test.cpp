#include "planfix_flow/sandbox/fake_telegram.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "planfix_flow/http/curl_http_client.h"

namespace planfix_flow::sandbox {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::int64_t kUser = 7012345678;
constexpr std::int64_t kGroup = -4012345;
constexpr std::int64_t kSupergroup = -1001234567890;

struct Answer {
  int status = 0;
  json body;
};

FakeTelegramOptions OnClock(core::Clock& clock) {
  FakeTelegramOptions options;
  options.clock = &clock;
  return options;
}

// Stands in for the service's webhook endpoint: answers 200 to POST /hook, records requests.
class WebhookReceiver : public FakeServer {
 public:
  WebhookReceiver() : FakeServer("webhook-receiver") {
    Route("POST", "/hook", [](const FakeRequest&) { return FakeResponse{200, "{}"}; });
    Start();
  }
  ~WebhookReceiver() override { Stop(); }
};

class FakeTelegramTest : public ::testing::Test {
 protected:
  FakeTelegramTest() : fake_(OnClock(clock_)) {}
  void SetUp() override {
    fake_.AddPrivateChat(kUser, "Олена", "olena");
    fake_.AddGroup(kGroup, "Staff (old)");
    fake_.AddSupergroup(kSupergroup, "Staff", "agency_staff");
    fake_.Start();
  }

  Answer Send(const std::string& method, const std::string& body,
              const std::string& content_type = "application/json",
              const std::string& http_method = "POST", const std::string& token = {}) {
    http::HttpRequest request;
    request.method = http_method;
    request.url =
        fake_.base_url() + "/bot" + (token.empty() ? fake_.token() : token) + "/" + method;
    if (http_method == "GET" && !body.empty()) request.url += "?" + body;
    if (http_method != "GET") {
      request.body = body;
      request.headers["Content-Type"] = content_type;
    }
    auto response = client_.Send(request);
    EXPECT_TRUE(response) << response.error().ToString();
    if (!response) return {};
    return Answer{response->status, json::parse(response->body, nullptr, false)};
  }
  Answer Call(const std::string& method, const json& params = json::object()) {
    return Send(method, params.dump());
  }
  // The fake records each request it refuses (FakeResponse::IsRefusal) as a failure: a
  // correct client never sends one. These tests send them on purpose, so the check of each
  // refusal also takes its record, which must name the refused status.
  void TakeRefusalOfTheLastRequest() {
    const auto requests = fake_.requests();
    if (requests.empty() || !requests.back().refused) return;
    const auto failures = fake_.TakeFailures();
    ASSERT_EQ(failures.size(), 1u);
    EXPECT_NE(failures[0].find(" with " + std::to_string(requests.back().status) + ": "),
              std::string::npos)
        << failures[0];
  }

  void ExpectError(const Answer& answer, int code, const std::string& description) {
    TakeRefusalOfTheLastRequest();
    EXPECT_EQ(answer.status, code) << answer.body.dump();
    EXPECT_EQ(answer.body.value("ok", true), false);
    EXPECT_EQ(answer.body.value("error_code", 0), code);
    EXPECT_EQ(answer.body.value("description", ""), description);
  }

  core::FakeClock clock_{core::FromUnixSeconds(1'800'000'000)};
  FakeTelegram fake_;
  http::CurlHttpClient client_;
};

TEST_F(FakeTelegramTest, RefusesAWrongTokenWith401) {
  auto answer = Send("getMe", "", "application/json", "POST", "123:WRONG");
  ExpectError(answer, 401, "Unauthorized");
  EXPECT_TRUE(fake_.failures().empty());
}

// What a correct client can get because of the world's state (a stale chat id, an edit
// retried after its answer was lost, a press answered late) is an answer, not a refusal.
TEST_F(FakeTelegramTest, AnswersAboutTheWorldAreNoRefusals) {
  ExpectError(Call("sendMessage", {{"chat_id", 424242}, {"text", "x"}}), 400,
              "Bad Request: chat not found");
  ASSERT_EQ(Call("sendMessage", {{"chat_id", kUser}, {"text", "Approve?"}}).status, 200);
  clock_.Advance(seconds(1));
  const json edit = {{"chat_id", kUser}, {"message_id", 1}, {"text", "Approved"}};
  ASSERT_EQ(Call("editMessageText", edit).status, 200);
  clock_.Advance(seconds(1));
  EXPECT_EQ(Call("editMessageText", edit).status, 400);  // message is not modified
  ExpectError(Call("answerCallbackQuery", {{"callback_query_id", "4000000000001"}}), 400,
              "Bad Request: query is too old and response timeout expired or query ID is invalid");
  for (const auto& request : fake_.requests()) EXPECT_FALSE(request.refused) << request.path;
  EXPECT_TRUE(fake_.failures().empty());
  // Without any query id it is a request no correct client sends.
  ExpectError(Call("answerCallbackQuery", json::object()), 400,
              "Bad Request: query is too old and response timeout expired or query ID is invalid");
  EXPECT_TRUE(fake_.requests().back().refused);
}

TEST_F(FakeTelegramTest, AnswersAnUnknownMethodWith404AndRecordsAFailure) {
  auto answer = Call("sendMessageNow", {{"chat_id", kUser}, {"text", "x"}});
  ExpectError(answer, 404, "Not Found");
  const auto failures = fake_.TakeFailures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("sendMessageNow"), std::string::npos);
}

TEST_F(FakeTelegramTest, AnswersUnknownPathsWith500AndRecordsAFailure) {
  http::HttpRequest request;
  request.url = fake_.base_url() + "/file/bot" + fake_.token() + "/photo.jpg/extra";
  auto response = client_.Send(request);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(fake_.TakeFailures().size(), 1u);
}

TEST_F(FakeTelegramTest, TakesJsonFormAndQueryParametersAndCaseInsensitiveMethodNames) {
  auto json_answer = Call("sendMessage", {{"chat_id", kUser}, {"text", "json"}});
  EXPECT_EQ(json_answer.status, 200) << json_answer.body.dump();
  auto form =
      Send("sendmessage",
           "chat_id=" + std::to_string(kGroup) + "&text=" + http::UrlEncode("форма & so") +
               "&reply_markup=" +
               http::UrlEncode(R"({"inline_keyboard":[[{"text":"A","callback_data":"a"}]]})"),
           "application/x-www-form-urlencoded");
  EXPECT_EQ(form.status, 200) << form.body.dump();
  EXPECT_EQ(form.body["result"]["text"], "форма & so");
  EXPECT_EQ(form.body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "a");
  auto query = Send("SENDMESSAGE", "chat_id=@agency_staff&text=query", "", "GET");
  EXPECT_EQ(query.status, 200) << query.body.dump();
  EXPECT_EQ(query.body["result"]["chat"]["id"].get<std::int64_t>(), kSupergroup);
  EXPECT_EQ(fake_.Messages(kUser).size(), 1u);
  EXPECT_TRUE(fake_.failures().empty());
}

TEST_F(FakeTelegramTest, ReturnsTheSentMessageWithParsedTextAndEntities) {
  auto answer =
      Call("sendMessage",
           {{"chat_id", kUser}, {"text", "<b>Бриф</b> &lt;готовий&gt;"}, {"parse_mode", "HTML"}});
  ASSERT_EQ(answer.status, 200) << answer.body.dump();
  const json& message = answer.body["result"];
  EXPECT_EQ(answer.body["ok"], true);
  EXPECT_EQ(message["message_id"], 1);
  EXPECT_EQ(message["text"], "Бриф <готовий>");
  EXPECT_EQ(message["entities"], json::parse(R"([{"type":"bold","offset":0,"length":4}])"));
  EXPECT_EQ(message["chat"]["id"].get<std::int64_t>(), kUser);
  EXPECT_EQ(message["from"]["is_bot"], true);
  EXPECT_TRUE(message["date"].is_number_integer());
  auto stored = fake_.Messages(kUser);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].raw_text, "<b>Бриф</b> &lt;готовий&gt;");
}

TEST_F(FakeTelegramTest, RequiresChatIdAndText) {
  ExpectError(Call("sendMessage", {{"text", "x"}}), 400, "Bad Request: chat_id is empty");
  ExpectError(Call("sendMessage", {{"chat_id", kUser}}), 400, "Bad Request: message text is empty");
  ExpectError(Call("sendMessage", {{"chat_id", kUser}, {"text", ""}}), 400,
              "Bad Request: message text is empty");
  ExpectError(
      Call("sendMessage", {{"chat_id", kUser}, {"text", "<b> </b>"}, {"parse_mode", "HTML"}}), 400,
      "Bad Request: message text is empty");
  EXPECT_TRUE(fake_.Messages(kUser).empty());
}

TEST_F(FakeTelegramTest, RefusesTextOver4096Characters) {
  std::string text;
  for (int i = 0; i < 4096; ++i) text += "є";
  EXPECT_EQ(Call("sendMessage", {{"chat_id", kUser}, {"text", text}}).status, 200);
  ExpectError(Call("sendMessage", {{"chat_id", kSupergroup}, {"text", text + "!"}}), 400,
              "Bad Request: message is too long");
  // Markup does not count: 4096 characters inside a tag still fit.
  EXPECT_EQ(Call("sendMessage",
                 {{"chat_id", kGroup}, {"text", "<i>" + text + "</i>"}, {"parse_mode", "HTML"}})
                .status,
            200);
}

TEST_F(FakeTelegramTest, RefusesCallbackDataOver64Bytes) {
  auto markup = [](const std::string& data) {
    return json{{"inline_keyboard", {{{{"text", "OK"}, {"callback_data", data}}}}}};
  };
  EXPECT_EQ(
      Call("sendMessage",
           {{"chat_id", kUser}, {"text", "a"}, {"reply_markup", markup(std::string(64, 'x'))}})
          .status,
      200);
  ExpectError(
      Call("sendMessage",
           {{"chat_id", kUser}, {"text", "a"}, {"reply_markup", markup(std::string(65, 'x'))}}),
      400, "Bad Request: BUTTON_DATA_INVALID");
  ExpectError(
      Call("sendMessage", {{"chat_id", kUser}, {"text", "a"}, {"reply_markup", markup("")}}), 400,
      "Bad Request: BUTTON_DATA_INVALID");
  ExpectError(Call("sendMessage", {{"chat_id", kUser},
                                   {"text", "a"},
                                   {"reply_markup", {{"inline_keyboard", {{{{"text", "no"}}}}}}}}),
              400,
              "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
              "inline keyboard");
  ExpectError(Call("sendMessage", {{"chat_id", kUser}, {"text", "a"}, {"reply_markup", "{oops"}}),
              400, "Bad Request: can't parse reply keyboard markup JSON object");
  EXPECT_EQ(fake_.Messages(kUser).size(), 1u);
}

TEST_F(FakeTelegramTest, RefusesMalformedHtml) {
  auto send = [&](const std::string& text) {
    return Call("sendMessage", {{"chat_id", kUser}, {"text", text}, {"parse_mode", "HTML"}});
  };
  ExpectError(send("<b>bold"), 400,
              "Bad Request: can't parse entities: Can't find end tag corresponding to start tag "
              "\"b\"");
  ExpectError(send("<div>x</div>"), 400,
              "Bad Request: can't parse entities: Unsupported start tag \"div\" at byte offset 0");
  ExpectError(send("1 < 2"), 400,
              "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2");
  ExpectError(send("<b><i>x</b></i>"), 400,
              "Bad Request: can't parse entities: Unmatched end tag at byte offset 7, expected "
              "\"</i>\", found \"</b>\"");
  ExpectError(send("<span>x</span>"), 400,
              "Bad Request: can't parse entities: Tag \"span\" must have class \"tg-spoiler\" at "
              "byte offset 0");
  // Without parse_mode the same text is plain.
  EXPECT_EQ(Call("sendMessage", {{"chat_id", kUser}, {"text", "1 < 2"}}).status, 200);
  ExpectError(Call("sendMessage", {{"chat_id", kUser}, {"text", "x"}, {"parse_mode", "BBCode"}}),
              400, "Bad Request: unsupported parse_mode");
}

TEST_F(FakeTelegramTest, RefusesBlockedUnstartedUnknownAndMigratedChats) {
  fake_.BlockBot(kUser);
  ExpectError(Call("sendMessage", {{"chat_id", kUser}, {"text", "x"}}), 403,
              "Forbidden: bot was blocked by the user");
  fake_.AddUserWhoNeverStarted(42);
  ExpectError(Call("sendMessage", {{"chat_id", 42}, {"text", "x"}}), 403,
              "Forbidden: bot can't initiate conversation with a user");
  ExpectError(Call("sendMessage", {{"chat_id", 43}, {"text", "x"}}), 400,
              "Bad Request: chat not found");
  ExpectError(Call("sendMessage", {{"chat_id", "@nobody"}, {"text", "x"}}), 400,
              "Bad Request: chat not found");
  fake_.MigrateGroup(kGroup, -1009999999999);
  auto migrated = Call("sendMessage", {{"chat_id", kGroup}, {"text", "x"}});
  ExpectError(migrated, 400, "Bad Request: group chat was upgraded to a supergroup chat");
  EXPECT_EQ(migrated.body["parameters"]["migrate_to_chat_id"].get<std::int64_t>(), -1009999999999);
  EXPECT_EQ(Call("sendMessage", {{"chat_id", -1009999999999}, {"text", "x"}}).status, 200);
  // A blocked user who writes again can be answered.
  fake_.SimulateUserMessage(kUser, kUser, "hello again");
  EXPECT_EQ(Call("sendMessage", {{"chat_id", kUser}, {"text", "x"}}).status, 200);
}

TEST_F(FakeTelegramTest, EnforcesThePerChatLimitWith429AndRetryAfter) {
  EXPECT_EQ(Call("sendMessage", {{"chat_id", kUser}, {"text", "1"}}).status, 200);
  auto flooded = Call("sendMessage", {{"chat_id", kUser}, {"text", "2"}});
  ExpectError(flooded, 429, "Too Many Requests: retry after 1");
  EXPECT_EQ(flooded.body["parameters"]["retry_after"], 1);
  EXPECT_EQ(fake_.rate_limited_count(), 1);
  // Another chat is not held back.
  EXPECT_EQ(Call("sendMessage", {{"chat_id", kSupergroup}, {"text", "1"}}).status, 200);
  EXPECT_EQ(fake_.Messages(kUser).size(), 1u);
}

TEST(FakeTelegramLimits, EnforcesTheGroupAndGlobalLimitsOnItsClock) {
  core::FakeClock clock(core::FromUnixSeconds(1'800'000'000));
  FakeTelegramOptions options;
  options.clock = &clock;
  options.rate_slack = milliseconds(0);
  FakeTelegram fake(options);
  fake.AddSupergroup(kSupergroup, "Staff");
  for (int user = 1; user <= 31; ++user) fake.AddPrivateChat(user);
  fake.Start();
  http::CurlHttpClient client;
  auto send = [&](std::int64_t chat) {
    http::HttpRequest request;
    request.method = "POST";
    request.url = fake.base_url() + "/bot" + fake.token() + "/sendMessage";
    request.headers["Content-Type"] = "application/json";
    request.body = json{{"chat_id", chat}, {"text", "x"}}.dump();
    auto response = client.Send(request);
    return response ? json::parse(response->body) : json();
  };
  for (int i = 0; i < 20; ++i) {
    ASSERT_EQ(send(kSupergroup)["ok"], true) << i;
    clock.Advance(seconds(1));
  }
  auto group = send(kSupergroup);
  EXPECT_EQ(group["error_code"], 429);
  EXPECT_EQ(group["parameters"]["retry_after"], 40);  // when the first of 20 leaves the minute
  clock.Advance(seconds(39));
  EXPECT_EQ(send(kSupergroup)["error_code"], 429);
  clock.Advance(seconds(1));
  EXPECT_EQ(send(kSupergroup)["ok"], true);

  clock.Advance(seconds(60));
  for (int user = 1; user <= 30; ++user) ASSERT_EQ(send(user)["ok"], true) << user;
  auto global = send(31);
  EXPECT_EQ(global["error_code"], 429);
  EXPECT_EQ(global["parameters"]["retry_after"], 1);
}

TEST_F(FakeTelegramTest, EditsMessagesAndKeepsTheirCurrentTextAndKeyboard) {
  auto sent = Call(
      "sendMessage",
      {{"chat_id", kUser},
       {"text", "Approve?"},
       {"reply_markup", {{"inline_keyboard", {{{{"text", "Yes"}, {"callback_data", "y"}}}}}}}});
  ASSERT_EQ(sent.status, 200);
  fake_.ClearRecords();
  clock_.Advance(seconds(1));  // the per-chat limit covers edits too
  auto edited = Call(
      "editMessageText",
      {{"chat_id", kUser}, {"message_id", 1}, {"text", "<b>Approved</b>"}, {"parse_mode", "HTML"}});
  ASSERT_EQ(edited.status, 200) << edited.body.dump();
  EXPECT_EQ(edited.body["result"]["text"], "Approved");
  EXPECT_FALSE(edited.body["result"].contains("reply_markup"));
  auto message = fake_.FindMessage(kUser, 1);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->text, "Approved");
  EXPECT_EQ(message->raw_text, "<b>Approved</b>");
  EXPECT_TRUE(message->reply_markup_json.empty());
  EXPECT_EQ(message->edit_count, 1);

  ExpectError(Call("editMessageText", {{"chat_id", kUser},
                                       {"message_id", 1},
                                       {"text", "<b>Approved</b>"},
                                       {"parse_mode", "HTML"}}),
              400,
              "Bad Request: message is not modified: specified new message content and reply "
              "markup are exactly the same as a current content and reply markup of the message");
  ExpectError(Call("editMessageText", {{"chat_id", kUser}, {"message_id", 77}, {"text", "x"}}), 400,
              "Bad Request: message to edit not found");
  ExpectError(Call("editMessageText", {{"chat_id", kUser}, {"message_id", 1}}), 400,
              "Bad Request: message text is empty");
}

TEST_F(FakeTelegramTest, RefusesToEditAUsersMessage) {
  fake_.SimulateUserMessage(kUser, kUser, "my text");
  ExpectError(Call("editMessageText", {{"chat_id", kUser}, {"message_id", 1}, {"text", "x"}}), 400,
              "Bad Request: message can't be edited");
}

TEST_F(FakeTelegramTest, AnswersEachCallbackQueryOnce) {
  Call("sendMessage",
       {{"chat_id", kSupergroup},
        {"text", "Approve?"},
        {"reply_markup", {{"inline_keyboard", {{{{"text", "Yes"}, {"callback_data", "y:1"}}}}}}}});
  const std::string id = fake_.SimulateUserPress(kSupergroup, 1, "y:1", 99);
  EXPECT_THROW(fake_.SimulateUserPress(kSupergroup, 1, "no-such-button"), std::invalid_argument);
  auto answered = Call("answerCallbackQuery", {{"callback_query_id", id}, {"text", "OK"}});
  EXPECT_EQ(answered.status, 200);
  EXPECT_EQ(answered.body["result"], true);
  const std::string expired =
      "Bad Request: query is too old and response timeout expired or query ID is invalid";
  ExpectError(Call("answerCallbackQuery", {{"callback_query_id", id}}), 400, expired);
  ExpectError(Call("answerCallbackQuery", {{"callback_query_id", "12345"}}), 400, expired);
  ExpectError(Call("answerCallbackQuery", json::object()), 400, expired);
  ASSERT_EQ(fake_.callback_answers().size(), 1u);
  EXPECT_EQ(fake_.callback_answers()[0].callback_query_id, id);

  auto updates = Call("getUpdates");
  ASSERT_EQ(updates.body["result"].size(), 1u);
  const json& query = updates.body["result"][0]["callback_query"];
  EXPECT_EQ(query["id"], id);
  EXPECT_EQ(query["from"]["id"], 99);
  EXPECT_EQ(query["data"], "y:1");
  EXPECT_EQ(query["message"]["chat"]["id"].get<std::int64_t>(), kSupergroup);
}

TEST_F(FakeTelegramTest, RefusesAnswersToCallbackQueriesOlderThan15Minutes) {
  Call("sendMessage",
       {{"chat_id", kUser},
        {"text", "Approve?"},
        {"reply_markup", {{"inline_keyboard", {{{{"text", "Yes"}, {"callback_data", "y"}}}}}}}});
  const std::string id = fake_.SimulateUserPress(kUser, 1, "y");
  clock_.Advance(std::chrono::minutes(16));
  ExpectError(Call("answerCallbackQuery", {{"callback_query_id", id}}), 400,
              "Bad Request: query is too old and response timeout expired or query ID is invalid");
  EXPECT_TRUE(fake_.callback_answers().empty());
}

TEST_F(FakeTelegramTest, DropsConfirmedUpdatesByOffset) {
  const auto first = fake_.PushUpdate(R"({"message": {"message_id": 1, "date": 1,
      "chat": {"id": 1, "type": "private"}, "text": "a"}})");
  const auto second = fake_.SimulateUserMessage(kUser, kUser, "b");
  EXPECT_EQ(second, first + 1);
  auto all = Call("getUpdates");
  ASSERT_EQ(all.body["result"].size(), 2u);
  auto again = Call("getUpdates");  // nothing confirmed yet
  ASSERT_EQ(again.body["result"].size(), 2u);
  auto rest = Call("getUpdates", {{"offset", first + 1}});
  ASSERT_EQ(rest.body["result"].size(), 1u);
  EXPECT_EQ(rest.body["result"][0]["update_id"], second);
  EXPECT_EQ(fake_.pending_update_count(), 1u);
  auto limited = Call("getUpdates", {{"offset", second + 1}, {"limit", 1}});
  EXPECT_TRUE(limited.body["result"].empty());
  EXPECT_EQ(fake_.pending_update_count(), 0u);
}

TEST_F(FakeTelegramTest, FiltersByAllowedUpdates) {
  fake_.PushUpdate(R"({"poll": {"id": "p"}})");
  fake_.SimulateUserMessage(kUser, kUser, "kept");
  auto answer = Call("getUpdates", {{"allowed_updates", {"message", "callback_query"}}});
  ASSERT_EQ(answer.body["result"].size(), 1u);
  EXPECT_EQ(answer.body["result"][0]["message"]["text"], "kept");
}

TEST_F(FakeTelegramTest, LongPollWakesUpWhenAnUpdateArrives) {
  std::thread writer([&] {
    // Write only once the poll waits at the fake, so it is the update that wakes it.
    EXPECT_TRUE(fake_.WaitForParkedPoll(milliseconds(5000)));
    fake_.SimulateUserMessage(kUser, kUser, "wake up");
  });
  const auto started = std::chrono::steady_clock::now();
  auto answer = Call("getUpdates", {{"timeout", 10}});
  writer.join();
  ASSERT_EQ(answer.status, 200);
  ASSERT_EQ(answer.body["result"].size(), 1u);
  EXPECT_EQ(answer.body["result"][0]["message"]["text"], "wake up");
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(5));
}

TEST_F(FakeTelegramTest, RefusesGetUpdatesWhileAWebhookIsSet) {
  auto set = Call("setWebhook", {{"url", "https://flow.test/webhooks/telegram"},
                                 {"secret_token", "abc_DEF-123"}});
  EXPECT_EQ(set.status, 200) << set.body.dump();
  EXPECT_EQ(set.body["description"], "Webhook was set");
  ExpectError(Call("getUpdates"), 409,
              "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
              "to delete the webhook first");
  auto info = Call("getWebhookInfo");
  EXPECT_EQ(info.body["result"]["url"], "https://flow.test/webhooks/telegram");
  auto deleted = Call("deleteWebhook");
  EXPECT_EQ(deleted.body["description"], "Webhook was deleted");
  EXPECT_EQ(Call("getUpdates").status, 200);
}

TEST_F(FakeTelegramTest, RefusesBadWebhooks) {
  ExpectError(Call("setWebhook", {{"url", "http://flow.test/hook"}}), 400,
              "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
  ExpectError(Call("setWebhook", {{"url", "https://flow.test:8080/hook"}}), 400,
              "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
  ExpectError(Call("setWebhook", {{"url", "https://flow.test/hook"}, {"secret_token", "a b"}}), 400,
              "Bad Request: secret token contains unallowed characters");
  ExpectError(Call("setWebhook", json::object()), 400,
              "Bad Request: parameter \"url\" is required");
  EXPECT_TRUE(fake_.webhook().url.empty());
}

TEST_F(FakeTelegramTest, ChecksWebhookParametersAsTheBotApiDescribesThem) {
  ExpectError(Call("setWebhook", {{"url", 12}}), 400,
              "Bad Request: parameter \"url\" must be of type String");
  ExpectError(Call("setWebhook", {{"url", "https://flow.test/hook"}, {"max_connections", "many"}}),
              400, "Bad Request: parameter \"max_connections\" must be of type Integer");
  ExpectError(Call("setWebhook", {{"url", "https://flow.test/hook"}, {"max_connections", 101}}),
              400, "Bad Request: bad webhook: max_connections must be between 1 and 100");
  ExpectError(Call("setWebhook",
                   {{"url", "https://flow.test/hook"}, {"drop_pending_updates", "sometimes"}}),
              400, "Bad Request: parameter \"drop_pending_updates\" must be of type Boolean");
  ExpectError(Call("setWebhook", {{"url", "https://flow.test/hook"}, {"allowed_updates", "x"}}),
              400, "Bad Request: can't parse allowed updates");
  ExpectError(Call("deleteWebhook", {{"drop_pending_updates", json::array()}}), 400,
              "Bad Request: parameter \"drop_pending_updates\" must be of type Boolean");
  EXPECT_TRUE(fake_.webhook().url.empty());
  EXPECT_TRUE(fake_.failures().empty());

  // Telegram ignores what it does not know, so a typo would pass silently in production:
  // the fake answers as Telegram does but records a failure for the test to see.
  EXPECT_EQ(Call("setWebhook", {{"url", "https://flow.test/hook"}, {"secret", "abc"}}).status, 200);
  EXPECT_EQ(Call("setWebhook", {{"url", "https://flow.test/hook"},
                                {"allowed_updates", {"message", "callback_queries"}}})
                .status,
            200);
  EXPECT_EQ(Call("getMe", {{"verbose", true}}).status, 200);
  EXPECT_EQ(Call("getWebhookInfo", {{"url", "x"}}).status, 200);
  const auto failures = fake_.TakeFailures();
  ASSERT_EQ(failures.size(), 4u) << ::testing::PrintToString(failures);
  EXPECT_EQ(failures[0], "fake-telegram: setWebhook has no parameter 'secret'");
  EXPECT_EQ(failures[1], "fake-telegram: setWebhook: 'callback_queries' is not an update type");
  EXPECT_EQ(failures[2], "fake-telegram: getMe has no parameter 'verbose'");
  EXPECT_EQ(failures[3], "fake-telegram: getWebhookInfo has no parameter 'url'");
}

TEST_F(FakeTelegramTest, TakesAnHttpWebhookOnlyOnLoopbackAndKeepsPendingUpdatesUnlessAsked) {
  fake_.SimulateUserMessage(kUser, kUser, "held");
  ExpectError(Call("setWebhook", {{"url", "http://10.0.0.1/hook"}}), 400,
              "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
  EXPECT_EQ(Call("setWebhook", {{"url", "http://127.0.0.1:1/hook"}}).status, 200);
  EXPECT_EQ(fake_.pending_update_count(), 1u);
  EXPECT_EQ(Call("setWebhook", {{"url", "http://127.0.0.1:1/hook"}, {"drop_pending_updates", true}})
                .status,
            200);
  EXPECT_EQ(fake_.pending_update_count(), 0u);
}

TEST_F(FakeTelegramTest, DeliversUpdatesToTheWebhookWithTheSecretAndRecordsFailures) {
  // A loopback receiver that refuses the first delivery and takes the next ones.
  WebhookReceiver receiver;
  ASSERT_EQ(Call("setWebhook", {{"url", receiver.base_url() + "/hook"},
                                {"secret_token", "abc_DEF-123"},
                                {"allowed_updates", {"message"}}})
                .status,
            200);
  fake_.SimulateUserMessage(kUser, kUser, "one");
  fake_.PushUpdate(R"({"poll":{"id":"x"}})");  // not an allowed type: never delivered
  fake_.SimulateUserMessage(kUser, kUser, "two");
  receiver.FailNext(1, 502);
  EXPECT_EQ(fake_.DeliverWebhookUpdates(), 0u);
  auto info = Call("getWebhookInfo").body["result"];
  EXPECT_EQ(info["last_error_message"], "Wrong response from the webhook: 502 Bad Gateway");
  EXPECT_EQ(info["last_error_date"], core::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(info["pending_update_count"], 2);

  EXPECT_EQ(fake_.DeliverWebhookUpdates(), 2u);
  const auto hooks = receiver.requests();
  ASSERT_EQ(hooks.size(), 3u);
  EXPECT_EQ(hooks[2].headers.at("X-Telegram-Bot-Api-Secret-Token"), "abc_DEF-123");
  EXPECT_EQ(json::parse(hooks[1].body)["message"]["text"], "one");
  EXPECT_EQ(json::parse(hooks[2].body)["message"]["text"], "two");
  info = Call("getWebhookInfo").body["result"];
  EXPECT_EQ(info["pending_update_count"], 0);
  // Telegram keeps the last error after later deliveries succeed.
  EXPECT_EQ(info["last_error_message"], "Wrong response from the webhook: 502 Bad Gateway");
  // Re-registering the same URL keeps it; another URL starts clean.
  Call("setWebhook", {{"url", receiver.base_url() + "/hook"}});
  EXPECT_TRUE(Call("getWebhookInfo").body["result"].contains("last_error_date"));
  Call("setWebhook", {{"url", receiver.base_url() + "/other"}});
  EXPECT_FALSE(Call("getWebhookInfo").body["result"].contains("last_error_date"));
}

TEST_F(FakeTelegramTest, WaitForParkedPollReportsOnlyAPollThatWaits) {
  EXPECT_FALSE(fake_.WaitForParkedPoll(milliseconds(0)));
  fake_.SimulateUserMessage(kUser, kUser, "ready");
  auto answered = Call("getUpdates", {{"timeout", 10}});  // an update is there: no wait
  ASSERT_EQ(answered.body["result"].size(), 1u);
  EXPECT_FALSE(fake_.WaitForParkedPoll(milliseconds(0)));
  auto quick = Call("getUpdates",
                    {{"timeout", 0},
                     {"offset", 1 + answered.body["result"][0]["update_id"].get<std::int64_t>()}});
  EXPECT_TRUE(quick.body["result"].empty());
  EXPECT_FALSE(fake_.WaitForParkedPoll(milliseconds(0)));  // timeout 0 never parks
}

TEST_F(FakeTelegramTest, EndsAnOlderPollWhenANewerOneArrives) {
  Answer first;
  std::thread poller([&] { first = Call("getUpdates", {{"timeout", 10}}); });
  ASSERT_TRUE(fake_.WaitForParkedPoll(milliseconds(5000)));
  auto second = Call("getUpdates", {{"timeout", 0}});
  poller.join();
  EXPECT_EQ(second.status, 200);
  ExpectError(first, 409,
              "Conflict: terminated by other getUpdates request; make sure that only one bot "
              "instance is running");
}

}  // namespace
}  // namespace planfix_flow::sandbox

namespace planfix_flow::sandbox {
namespace {

TEST_F(FakeTelegramTest, GetChatAndGetChatMemberTellTheBotsStandingInAGroup) {
  auto chat = Call("getChat", {{"chat_id", kSupergroup}});
  ASSERT_EQ(chat.status, 200) << chat.body.dump();
  EXPECT_EQ(chat.body["result"]["type"], "supergroup");
  EXPECT_EQ(chat.body["result"]["title"], "Staff");
  EXPECT_EQ(chat.body["result"]["permissions"]["can_send_messages"], true);
  for (const char* required : {"id", "accent_color_id", "max_reaction_count"}) {
    EXPECT_TRUE(chat.body["result"].contains(required)) << required;
  }
  const std::int64_t bot = FakeTelegramOptions{}.bot_id;
  auto member = Call("getChatMember", {{"chat_id", kSupergroup}, {"user_id", bot}});
  ASSERT_EQ(member.status, 200) << member.body.dump();
  EXPECT_EQ(member.body["result"]["status"], "member");
  EXPECT_EQ(member.body["result"]["user"]["id"], bot);

  fake_.SetBotStatus(kSupergroup, FakeBotStatus::kRestricted);
  member = Call("getChatMember", {{"chat_id", kSupergroup}, {"user_id", bot}});
  EXPECT_EQ(member.body["result"]["status"], "restricted");
  EXPECT_EQ(member.body["result"]["can_send_messages"], false);
  ExpectError(Call("sendMessage", {{"chat_id", kSupergroup}, {"text", "x"}}), 400,
              "Bad Request: not enough rights to send text messages to the chat");

  fake_.SetBotStatus(kSupergroup, FakeBotStatus::kKicked);
  ExpectError(Call("getChat", {{"chat_id", kSupergroup}}), 403,
              "Forbidden: bot was kicked from the supergroup chat");
  ExpectError(Call("sendMessage", {{"chat_id", kSupergroup}, {"text", "x"}}), 403,
              "Forbidden: bot was kicked from the supergroup chat");
  fake_.SetBotStatus(kSupergroup, FakeBotStatus::kLeft);
  ExpectError(Call("getChatMember", {{"chat_id", kSupergroup}, {"user_id", bot}}), 403,
              "Forbidden: bot is not a member of the supergroup chat");

  fake_.SetBotStatus(kSupergroup, FakeBotStatus::kMember);
  fake_.SetMembersCanSend(kSupergroup, false);
  EXPECT_EQ(Call("getChat", {{"chat_id", kSupergroup}})
                .body["result"]["permissions"]["can_send_messages"],
            false);
  ExpectError(Call("sendMessage", {{"chat_id", kSupergroup}, {"text", "x"}}), 400,
              "Bad Request: not enough rights to send text messages to the chat");
  fake_.SetBotStatus(kSupergroup, FakeBotStatus::kAdministrator);
  EXPECT_EQ(Call("sendMessage", {{"chat_id", kSupergroup}, {"text", "x"}}).status, 200);
}

TEST_F(FakeTelegramTest, GetChatAndGetChatMemberRefuseBadParameters) {
  ExpectError(Call("getChat", {{"chat_id", true}}), 400,
              "Bad Request: parameter \"chat_id\" must be of type Integer or String");
  ExpectError(Call("getChatMember", {{"chat_id", kSupergroup}}), 400,
              "Bad Request: parameter \"user_id\" is required");
  ExpectError(Call("getChat", {{"chat_id", -100777}}), 400, "Bad Request: chat not found");
}

}  // namespace
}  // namespace planfix_flow::sandbox

namespace planfix_flow::sandbox {
namespace {

// The first bytes of a PNG of `width` x `height` (the signature and the IHDR chunk's size
// fields, which is what the fake reads).
std::string PngHeader(std::uint32_t width, std::uint32_t height) {
  std::string bytes = "\x89PNG\r\n\x1a\n";
  bytes += std::string("\0\0\0\x0dIHDR", 8);
  for (const std::uint32_t value : {width, height}) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes += static_cast<char>((value >> shift) & 0xFF);
    }
  }
  bytes += std::string("\x08\x06\0\0\0", 5);
  return bytes;
}

// A multipart/form-data body with text `fields` and, when `photo` is set, a file part.
std::string Multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                      const std::optional<std::string>& photo) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--BOUNDARY\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value +
            "\r\n";
  }
  if (photo) {
    body +=
        "--BOUNDARY\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"c.png\"\r\n"
        "Content-Type: image/png\r\n\r\n" +
        *photo + "\r\n";
  }
  return body + "--BOUNDARY--\r\n";
}

constexpr char kMultipart[] = "multipart/form-data; boundary=BOUNDARY";

TEST_F(FakeTelegramTest, SendPhotoTakesAnUploadedPngWithACaption) {
  const std::string png = PngHeader(1000, 420);
  auto answer = Send("sendPhoto",
                     Multipart({{"chat_id", std::to_string(kSupergroup)},
                                {"caption", "<b>Час</b> за 2026-11"},
                                {"parse_mode", "HTML"}},
                               png),
                     kMultipart);
  ASSERT_EQ(answer.status, 200) << answer.body.dump();
  const json& message = answer.body["result"];
  EXPECT_EQ(message["caption"], "Час за 2026-11");
  EXPECT_FALSE(message.contains("text"));
  ASSERT_EQ(message["photo"].size(), 1u);
  EXPECT_EQ(message["photo"][0]["width"], 1000);
  EXPECT_EQ(message["photo"][0]["height"], 420);
  const auto stored = fake_.Messages(kSupergroup);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].photo, png);
  EXPECT_EQ(stored[0].text, "Час за 2026-11");
}

TEST_F(FakeTelegramTest, SendPhotoRefusesWhatTelegramRefuses) {
  const std::string chat = std::to_string(kSupergroup);
  ExpectError(Send("sendPhoto", Multipart({{"chat_id", chat}}, std::nullopt), kMultipart), 400,
              "Bad Request: there is no photo in the request");
  ExpectError(Send("sendPhoto", Multipart({}, PngHeader(10, 10)), kMultipart), 400,
              "Bad Request: chat_id is empty");
  ExpectError(Call("sendPhoto", {{"chat_id", kSupergroup}, {"photo", "not-a-file-id"}}), 400,
              "Bad Request: wrong file identifier/HTTP URL specified");
  ExpectError(Send("sendPhoto", Multipart({{"chat_id", chat}}, "GIF89a not a png"), kMultipart),
              400, "Bad Request: IMAGE_PROCESS_FAILED");
  ExpectError(Send("sendPhoto", Multipart({{"chat_id", chat}}, PngHeader(9000, 1001)), kMultipart),
              400, "Bad Request: PHOTO_INVALID_DIMENSIONS");
  ExpectError(Send("sendPhoto", Multipart({{"chat_id", chat}}, PngHeader(2100, 100)), kMultipart),
              400, "Bad Request: PHOTO_INVALID_DIMENSIONS");
  std::string long_caption;
  for (int i = 0; i < 1025; ++i) long_caption += "ї";
  ExpectError(Send("sendPhoto",
                   Multipart({{"chat_id", chat}, {"caption", long_caption}}, PngHeader(10, 10)),
                   kMultipart),
              400, "Bad Request: message caption is too long");
  // A body that is not multipart at all never reaches a method.
  EXPECT_EQ(Send("sendPhoto", "--BOUNDARY\r\nno headers", kMultipart).status, 400);
  EXPECT_TRUE(fake_.Messages(kSupergroup).empty());
  // 1024 characters are fine.
  long_caption.resize(long_caption.size() - 2);
  EXPECT_EQ(
      Send("sendPhoto",
           Multipart({{"chat_id", chat}, {"caption", long_caption}}, PngHeader(10, 10)), kMultipart)
          .status,
      200);
}

// A multipart/form-data body with text `fields` and a document part named `filename` (no
// filename parameter at all when it is nullopt: a text field, not a file).
std::string DocumentMultipart(const std::vector<std::pair<std::string, std::string>>& fields,
                              const std::string& bytes,
                              const std::optional<std::string>& filename) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--BOUNDARY\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value +
            "\r\n";
  }
  body += "--BOUNDARY\r\nContent-Disposition: form-data; name=\"document\"";
  if (filename) body += "; filename=\"" + *filename + "\"";
  body += "\r\nContent-Type: application/pdf\r\n\r\n" + bytes + "\r\n";
  return body + "--BOUNDARY--\r\n";
}

TEST_F(FakeTelegramTest, SendDocumentKeepsTheUploadedBytesAndFilename) {
  static constexpr char kPdf[] = "%PDF-1.7\n\0\x01\xff\r\nbinary";
  const std::string pdf(kPdf, sizeof(kPdf) - 1);
  auto answer = Send("sendDocument",
                     DocumentMultipart({{"chat_id", std::to_string(kUser)},
                                        {"caption", "<b>Звіт</b> за грудень"},
                                        {"parse_mode", "HTML"}},
                                       pdf, "Звіт грудень 2026.pdf"),
                     kMultipart);
  ASSERT_EQ(answer.status, 200) << answer.body.dump();
  const json& message = answer.body["result"];
  EXPECT_EQ(message["caption"], "Звіт за грудень");
  EXPECT_EQ(message["document"]["file_name"], "Звіт грудень 2026.pdf");
  EXPECT_EQ(message["document"]["file_size"], pdf.size());
  const auto stored = fake_.Messages(kUser);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].document, pdf);
  EXPECT_EQ(stored[0].document_name, "Звіт грудень 2026.pdf");
}

TEST_F(FakeTelegramTest, SendDocumentRefusesWhatTelegramRefuses) {
  const std::string chat = std::to_string(kUser);
  ExpectError(Send("sendDocument", Multipart({{"chat_id", chat}}, std::nullopt), kMultipart), 400,
              "Bad Request: there is no document in the request");
  ExpectError(Send("sendDocument", DocumentMultipart({}, "%PDF", "r.pdf"), kMultipart), 400,
              "Bad Request: chat_id is empty");
  // A document part without a filename is a text field: a file id Telegram does not know.
  ExpectError(Send("sendDocument", DocumentMultipart({{"chat_id", chat}}, "%PDF", std::nullopt),
                   kMultipart),
              400, "Bad Request: wrong file identifier/HTTP URL specified");
  ExpectError(Call("sendDocument", {{"chat_id", kUser}, {"document", "not-a-file-id"}}), 400,
              "Bad Request: wrong file identifier/HTTP URL specified");
  ExpectError(Send("sendDocument", DocumentMultipart({{"chat_id", chat}}, "", "r.pdf"), kMultipart),
              400, "Bad Request: file must be non-empty");
  std::string long_caption;
  for (int i = 0; i < 1025; ++i) long_caption += "ї";
  ExpectError(
      Send("sendDocument",
           DocumentMultipart({{"chat_id", chat}, {"caption", long_caption}}, "%PDF", "r.pdf"),
           kMultipart),
      400, "Bad Request: message caption is too long");
  EXPECT_TRUE(fake_.Messages(kUser).empty());
  // A parameter sendDocument does not have passes in Telegram, silently: the fake records it.
  EXPECT_EQ(Send("sendDocument",
                 DocumentMultipart({{"chat_id", chat}, {"file_name", "x.pdf"}}, "%PDF", "r.pdf"),
                 kMultipart)
                .status,
            200);
  const auto failures = fake_.TakeFailures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("sendDocument has no parameter 'file_name'"), std::string::npos)
      << failures[0];
}

}  // namespace
}  // namespace planfix_flow::sandbox
