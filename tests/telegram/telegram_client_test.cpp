#include "planfix_flow/telegram/telegram_client.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_telegram.h"

namespace planfix_flow::telegram {
namespace {

using core::ErrorCode;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr ChatId kClient = 7012345678;  // more than 32 bits
constexpr ChatId kStaff = -1001234567890;
constexpr ChatId kOldGroup = -4012345;

// The real limits made 10x faster, judged on `clock`. The fixture's client paces on that same
// clock, so the fake judges each call at the slot the client reserved, not at its arrival: a
// request delayed on a loaded machine (TSan, a busy CI) cannot make two calls look too close.
sandbox::FakeTelegramOptions FastLimits(core::Clock& clock) {
  sandbox::FakeTelegramOptions options;
  options.per_chat = core::RateLimit{1, milliseconds(100)};
  options.per_group = core::RateLimit{20, seconds(6)};
  options.global = core::RateLimit{30, milliseconds(100)};
  options.clock = &clock;
  return options;
}

class TelegramClientTest : public ::testing::Test {
 protected:
  TelegramClientTest() : fake_(FastLimits(clock_)) {}
  void SetUp() override {
    fake_.AddPrivateChat(kClient, "Олена", "olena");
    fake_.AddSupergroup(kStaff, "Staff");
    fake_.AddGroup(kOldGroup, "Old staff");
    fake_.Start();
  }

  TelegramOptions Options() {
    TelegramOptions options;
    options.base_url = fake_.api_base_url();
    options.token = fake_.token();
    options.request_timeout = milliseconds(5000);
    const auto limits = FastLimits(clock_);
    options.per_chat = limits.per_chat;
    options.per_group = limits.per_group;
    options.global = limits.global;
    return options;
  }
  // Requests that reached the fake (every call is one POST).
  std::size_t Sent() const { return fake_.request_count(); }

  // Moved by the client's pacing waits (and by nothing else); declared before the fake using it.
  core::FakeClock clock_{core::FromUnixSeconds(1'800'000'000)};
  sandbox::FakeTelegram fake_;
  http::CurlHttpClient http_;
};

SendMessageRequest Text(ChatId chat, std::string text) {
  SendMessageRequest request;
  request.chat_id = chat;
  request.text = std::move(text);
  return request;
}

TEST_F(TelegramClientTest, SendsAnHtmlMessageWithAnInlineKeyboard) {
  TelegramClient client(http_, clock_, Options());
  SendMessageRequest request =
      Text(kClient, "<b>Бриф</b>: " + EscapeHtml("<заповніть> & поверніть"));
  request.keyboard = {{{"Заповнити", "", "https://forms.test/brief?x=1"}},
                      {{"Готово", "brief_done:17", ""}, {"Допомога", "help:17", ""}}};
  request.disable_notification = true;
  request.link_preview_options = LinkPreviewOptions{.is_disabled = true};
  auto sent = client.SendMessage(request);
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(sent->chat.id, kClient);
  EXPECT_EQ(sent->chat.type, "private");
  EXPECT_EQ(sent->message_id, 1);
  EXPECT_EQ(sent->text, "Бриф: <заповніть> & поверніть");
  ASSERT_EQ(sent->entities.size(), 1u);
  EXPECT_EQ(sent->entities[0].type, "bold");
  ASSERT_EQ(sent->reply_markup.size(), 2u);
  EXPECT_EQ(sent->reply_markup[1][0].callback_data, "brief_done:17");
  ASSERT_TRUE(sent->from);
  EXPECT_TRUE(sent->from->is_bot);

  auto stored = fake_.Messages(kClient);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].parse_mode, "HTML");
  EXPECT_TRUE(stored[0].disable_notification);
  const auto request_body = json::parse(fake_.requests().at(0).body);
  EXPECT_EQ(request_body["chat_id"].get<std::int64_t>(), kClient);
  EXPECT_EQ(request_body["link_preview_options"], (json{{"is_disabled", true}}));
  EXPECT_EQ(fake_.requests().at(0).path, "/bot" + fake_.token() + "/sendMessage");
}

TEST_F(TelegramClientTest, SendsToANegativeSupergroupIdAndNumbersMessagesPerChat) {
  TelegramClient client(http_, clock_, Options());
  auto first = client.SendMessage(Text(kStaff, "Новий бриф"));
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ(first->chat.id, kStaff);
  EXPECT_EQ(first->chat.type, "supergroup");
  auto other = client.SendMessage(Text(kClient, "Hi"));
  ASSERT_TRUE(other) << other.error().ToString();
  EXPECT_EQ(first->message_id, 1);
  EXPECT_EQ(other->message_id, 1);
}

TEST_F(TelegramClientTest, RefusesTextOver4096CharactersLocallyWithoutSending) {
  TelegramClient client(http_, clock_, Options());
  std::string cyrillic;
  for (int i = 0; i < 4096; ++i) cyrillic += "ї";  // 8192 bytes, 4096 characters
  auto ok = client.SendMessage(Text(kClient, "<b>" + cyrillic + "</b>"));
  ASSERT_TRUE(ok) << ok.error().ToString();
  auto too_long = client.SendMessage(Text(kClient, cyrillic + "ї"));
  ASSERT_FALSE(too_long);
  EXPECT_EQ(too_long.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(too_long.error().message.find("too long"), std::string::npos);
  auto empty = client.SendMessage(Text(kClient, " <b> </b> "));
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidInput);
  EXPECT_EQ(Sent(), 1u);
}

TEST_F(TelegramClientTest, RefusesCallbackDataOver64BytesLocally) {
  TelegramClient client(http_, clock_, Options());
  SendMessageRequest request = Text(kClient, "Approve?");
  request.keyboard = {{{"Так", std::string(64, 'a'), ""}}};
  ASSERT_TRUE(client.SendMessage(request));
  request.keyboard = {{{"Так", std::string(65, 'a'), ""}}};
  auto ascii = client.SendMessage(request);
  ASSERT_FALSE(ascii);
  EXPECT_EQ(ascii.error().code, ErrorCode::kInvalidInput);
  std::string cyrillic;
  for (int i = 0; i < 33; ++i) cyrillic += "я";  // 33 characters but 66 bytes
  request.keyboard = {{{"Так", cyrillic, ""}}};
  EXPECT_FALSE(client.SendMessage(request));
  request.keyboard = {{{"Так", "", ""}}};  // neither data nor url
  EXPECT_FALSE(client.SendMessage(request));
  EXPECT_EQ(Sent(), 1u);
}

TEST_F(TelegramClientTest, RefusesMalformedHtmlLocally) {
  TelegramClient client(http_, clock_, Options());
  auto sent = client.SendMessage(Text(kClient, "Price < 100 <b>now"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kInvalidInput);
  EXPECT_NE(sent.error().message.find("can't parse entities"), std::string::npos);
  EXPECT_EQ(Sent(), 0u);
  SendMessageRequest plain = Text(kClient, "Price < 100 <b>now");
  plain.parse_mode.clear();
  ASSERT_TRUE(client.SendMessage(plain));
}

TEST_F(TelegramClientTest, MapsABlockedUserToAPermanentError) {
  fake_.BlockBot(kClient);
  TelegramClient client(http_, clock_, Options());
  auto sent = client.SendMessage(Text(kClient, "Hi"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kPermanent);
  EXPECT_EQ(sent.error().remote_code, 403);
  EXPECT_NE(sent.error().message.find("bot was blocked by the user"), std::string::npos);
  EXPECT_FALSE(core::IsRetryable(sent.error().code));
}

TEST_F(TelegramClientTest, MapsAUserWhoNeverStartedTheBotToAPermanentError) {
  fake_.AddUserWhoNeverStarted(555000111);
  TelegramClient client(http_, clock_, Options());
  auto sent = client.SendMessage(Text(555000111, "Hi"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kPermanent);
  EXPECT_NE(sent.error().message.find("bot can't initiate conversation with a user"),
            std::string::npos);
  fake_.SimulateUserMessage(555000111, 555000111, "/start");
  EXPECT_TRUE(client.SendMessage(Text(555000111, "Now I may")));
}

TEST_F(TelegramClientTest, MapsAMigratedGroupToConflictWithTheNewChatId) {
  constexpr ChatId kNewId = -1009876543210;
  fake_.MigrateGroup(kOldGroup, kNewId);
  TelegramClient client(http_, clock_, Options());
  auto sent = client.SendMessage(Text(kOldGroup, "Hello staff"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kConflict);
  EXPECT_EQ(sent.error().remote_code, 400);
  ASSERT_TRUE(sent.error().migrate_to_chat_id);
  EXPECT_EQ(*sent.error().migrate_to_chat_id, kNewId);
  auto resent = client.SendMessage(Text(*sent.error().migrate_to_chat_id, "Hello staff"));
  ASSERT_TRUE(resent) << resent.error().ToString();
  EXPECT_EQ(resent->chat.id, kNewId);
}

TEST_F(TelegramClientTest, MapsAnUnknownChatToAPermanentError) {
  TelegramClient client(http_, clock_, Options());
  auto sent = client.SendMessage(Text(424242, "Hi"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kPermanent);
  EXPECT_NE(sent.error().message.find("chat not found"), std::string::npos);
}

TEST_F(TelegramClientTest, MapsAWrongTokenToUnauthorizedWithoutLeakingIt) {
  TelegramOptions options = Options();
  options.token = "999:WRONG-SECRET-TOKEN";
  TelegramClient client(http_, clock_, options);
  fake_.ExpectRefusals(1);
  auto me = client.GetMe();
  ASSERT_FALSE(me);
  EXPECT_EQ(me.error().code, ErrorCode::kUnauthorized);
  EXPECT_EQ(me.error().remote_code, 401);
  EXPECT_EQ(me.error().ToString().find("WRONG-SECRET"), std::string::npos);
}

TEST_F(TelegramClientTest, KeepsTheTokenOutOfTransportErrors) {
  TelegramOptions options = Options();
  fake_.DropNext(1);
  TelegramClient client(http_, clock_, options);
  auto me = client.GetMe();
  ASSERT_FALSE(me);
  EXPECT_EQ(me.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(me.error().ToString().find(fake_.token()), std::string::npos) << me.error().message;
}

TEST_F(TelegramClientTest, Maps429ToRateLimitedAndPausesOnlyThatChat) {
  sandbox::FakeTelegram strict;  // the real limits: one message per second per chat
  strict.AddPrivateChat(kClient);
  strict.AddPrivateChat(kClient + 1);
  strict.Start();
  core::FakeClock fake_clock(core::FromUnixSeconds(1'800'000'000));
  TelegramOptions options = Options();
  options.base_url = strict.api_base_url();
  options.token = strict.token();
  options.per_chat = core::RateLimit{100, seconds(1)};  // a client that does not pace
  TelegramClient client(http_, fake_clock, options);
  ASSERT_TRUE(client.SendMessage(Text(kClient, "one")));
  auto flooded = client.SendMessage(Text(kClient, "two"));
  ASSERT_FALSE(flooded);
  EXPECT_EQ(flooded.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(flooded.error().remote_code, 429);
  ASSERT_TRUE(flooded.error().retry_after);
  EXPECT_EQ(*flooded.error().retry_after, seconds(1));
  EXPECT_TRUE(core::IsRetryable(flooded.error().code));

  const auto before = fake_clock.Now();
  ASSERT_TRUE(client.SendMessage(Text(kClient + 1, "another chat goes at once")));
  EXPECT_EQ(fake_clock.Now(), before);
  // The flooded chat waits out retry_after on the client's clock before the next attempt.
  (void)client.SendMessage(Text(kClient, "three"));
  EXPECT_GE(fake_clock.Now(), before + seconds(1));
  EXPECT_TRUE(strict.failures().empty());
}

TEST_F(TelegramClientTest, FailsFastWhileALongFloodPauseLasts) {
  core::FakeClock fake_clock(core::FromUnixSeconds(1'800'000'000));
  TelegramOptions options = Options();
  options.max_backoff_wait = seconds(10);
  TelegramClient client(http_, fake_clock, options);
  fake_.FailNext(
      1, 429,
      R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 600",)"
      R"("parameters":{"retry_after":600}})");
  auto flooded = client.SendMessage(Text(kClient, "one"));
  ASSERT_FALSE(flooded);
  EXPECT_EQ(*flooded.error().retry_after, seconds(600));
  const std::size_t sent = Sent();
  fake_clock.Advance(seconds(100));
  auto held = client.SendMessage(Text(kClient, "two"));
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().code, ErrorCode::kRateLimited);
  EXPECT_EQ(*held.error().retry_after, seconds(500));
  EXPECT_EQ(Sent(), sent);                                            // refused without a request
  EXPECT_EQ(fake_clock.Now(), core::FromUnixSeconds(1'800'000'100));  // and without sleeping
  EXPECT_TRUE(client.SendMessage(Text(kStaff, "other chats go on")));
  fake_clock.Advance(seconds(500));
  EXPECT_TRUE(client.SendMessage(Text(kClient, "three")));
}

TEST_F(TelegramClientTest, Maps5xxToUnavailable) {
  TelegramClient client(http_, clock_, Options());
  fake_.FailNext(1, 502, "<html>Bad Gateway</html>");
  auto proxy = client.SendMessage(Text(kClient, "Hi"));
  ASSERT_FALSE(proxy);
  EXPECT_EQ(proxy.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(proxy.error().remote_code, 502);
  fake_.FailNext(1, 500, R"({"ok":false,"error_code":500,"description":"Internal Server Error"})");
  auto internal = client.SendMessage(Text(kClient, "Hi"));
  ASSERT_FALSE(internal);
  EXPECT_EQ(internal.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(internal.error().message.find("Internal Server Error"), std::string::npos);
  EXPECT_TRUE(client.SendMessage(Text(kClient, "Hi")));
}

TEST_F(TelegramClientTest, MapsASlowAnswerToTimeout) {
  TelegramOptions options = Options();
  options.request_timeout = milliseconds(200);
  TelegramClient client(http_, clock_, options);
  fake_.DelayNext(1, milliseconds(700));
  auto sent = client.SendMessage(Text(kClient, "Hi"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, ErrorCode::kTimeout);
  EXPECT_NE(sent.error().message.find("sendMessage"), std::string::npos);
}

TEST_F(TelegramClientTest, MapsOtherClientErrorsToPermanent) {
  TelegramClient client(http_, clock_, Options());
  fake_.FailNext(1, 400,
                 R"({"ok":false,"error_code":400,"description":"Bad Request: wrong type"})");
  auto bad = client.SendMessage(Text(kClient, "Hi"));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kPermanent);
  EXPECT_EQ(bad.error().remote_code, 400);
}

TEST_F(TelegramClientTest, EditsTextAndKeyboardAndTreatsNotModifiedAsSuccess) {
  TelegramClient client(http_, clock_, Options());
  SendMessageRequest ask = Text(kClient, "Approve stage 1?");
  ask.keyboard = {{{"Так", "approve:1", ""}, {"Ні", "reject:1", ""}}};
  auto sent = client.SendMessage(ask);
  ASSERT_TRUE(sent) << sent.error().ToString();

  EditMessageTextRequest edit;
  edit.chat_id = kClient;
  edit.message_id = sent->message_id;
  edit.text = "Stage 1 <i>approved</i>";
  auto edited = client.EditMessageText(edit);
  ASSERT_TRUE(edited) << edited.error().ToString();
  EXPECT_TRUE(edited->modified);
  EXPECT_EQ(edited->message.text, "Stage 1 approved");
  EXPECT_TRUE(edited->message.reply_markup.empty());
  auto stored = fake_.FindMessage(kClient, sent->message_id);
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->text, "Stage 1 approved");
  EXPECT_TRUE(stored->reply_markup_json.empty());
  EXPECT_EQ(stored->edit_count, 1);

  auto again = client.EditMessageText(edit);
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_FALSE(again->modified);
  EXPECT_EQ(again->message.message_id, sent->message_id);

  edit.message_id = 999;
  auto missing = client.EditMessageText(edit);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kPermanent);
  EXPECT_NE(missing.error().message.find("message to edit not found"), std::string::npos);
}

TEST_F(TelegramClientTest, AnswersACallbackQueryOnceAndRefusesAnUnknownOne) {
  TelegramClient client(http_, clock_, Options());
  SendMessageRequest ask = Text(kClient, "Approve?");
  ask.keyboard = {{{"Так", "approve:1", ""}}};
  auto sent = client.SendMessage(ask);
  ASSERT_TRUE(sent);
  const std::string query_id = fake_.SimulateUserPress(kClient, sent->message_id, "approve:1");
  auto updates = client.GetUpdates(GetUpdatesRequest{.timeout = seconds(0)});
  ASSERT_TRUE(updates) << updates.error().ToString();
  ASSERT_EQ(updates->size(), 1u);
  ASSERT_EQ((*updates)[0].kind, UpdateKind::kCallbackQuery);
  EXPECT_EQ((*updates)[0].callback_query->id, query_id);
  EXPECT_EQ((*updates)[0].callback_query->data, "approve:1");
  EXPECT_EQ((*updates)[0].callback_query->message->message_id, sent->message_id);

  ASSERT_TRUE(client.AnswerCallbackQuery({.callback_query_id = query_id, .text = "Дякуємо!"}));
  ASSERT_EQ(fake_.callback_answers().size(), 1u);
  EXPECT_EQ(fake_.callback_answers()[0].text, "Дякуємо!");
  auto twice = client.AnswerCallbackQuery({.callback_query_id = query_id});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, ErrorCode::kPermanent);
  EXPECT_NE(twice.error().message.find("query is too old"), std::string::npos);
}

TEST_F(TelegramClientTest, LongPollsAndConfirmsUpdatesWithTheOffset) {
  TelegramOptions options = Options();
  options.long_poll_timeout = seconds(10);
  TelegramClient client(http_, clock_, options);
  const auto first = fake_.SimulateUserMessage(kClient, kClient, "/start brief_abc");
  auto batch = client.GetUpdates({});
  ASSERT_TRUE(batch) << batch.error().ToString();
  ASSERT_EQ(batch->size(), 1u);
  EXPECT_EQ((*batch)[0].update_id, first);
  EXPECT_EQ((*batch)[0].message->text, "/start brief_abc");
  EXPECT_EQ((*batch)[0].message->chat.id, kClient);

  // Nothing new: the next poll (offset past the first) waits until an update arrives.
  std::thread writer([&] {
    // Write once the poll with the offset waits at the fake, so the write is what wakes it.
    EXPECT_TRUE(fake_.WaitForParkedPoll(milliseconds(5000)));
    EXPECT_EQ(fake_.pending_update_count(), 0u);  // the offset confirmed the first update
    fake_.SimulateUserMessage(kClient, kClient, "second");
  });
  const auto started = std::chrono::steady_clock::now();
  auto next = client.GetUpdates({.offset = first + 1});
  writer.join();
  ASSERT_TRUE(next) << next.error().ToString();
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].message->text, "second");
  EXPECT_LT(std::chrono::steady_clock::now() - started, seconds(9));
}

TEST_F(TelegramClientTest, ReturnsAnEmptyBatchWhenTheLongPollTimesOut) {
  TelegramClient client(http_, clock_, Options());
  const auto started = std::chrono::steady_clock::now();
  auto batch = client.GetUpdates({.timeout = seconds(1)});
  ASSERT_TRUE(batch) << batch.error().ToString();
  EXPECT_TRUE(batch->empty());
  EXPECT_GE(std::chrono::steady_clock::now() - started, milliseconds(900));
}

TEST_F(TelegramClientTest, KeepsUnparseableUpdatesSoTheOffsetMovesOn) {
  TelegramClient client(http_, clock_, Options());
  fake_.PushUpdate(R"({"update_id": 500, "message": {"message_id": 1}})");
  fake_.PushUpdate(R"({"update_id": 501, "poll": {"id": "x"}})");
  auto batch = client.GetUpdates({.timeout = seconds(0)});
  ASSERT_TRUE(batch) << batch.error().ToString();
  ASSERT_EQ(batch->size(), 2u);
  EXPECT_EQ((*batch)[0].update_id, 500);
  EXPECT_EQ((*batch)[0].kind, UpdateKind::kOther);
  EXPECT_EQ((*batch)[0].type, "invalid");
  EXPECT_EQ((*batch)[1].update_id, 501);
  EXPECT_EQ((*batch)[1].type, "poll");
  // Both keep the update as sent, for the inbox.
  EXPECT_EQ(json::parse((*batch)[0].raw_json),
            json::parse(R"({"update_id": 500, "message": {"message_id": 1}})"));
  EXPECT_EQ(json::parse((*batch)[1].raw_json),
            json::parse(R"({"update_id": 501, "poll": {"id": "x"}})"));
}

TEST_F(TelegramClientTest, SetsAndDeletesAWebhookAndCannotPollWhileItIsSet) {
  TelegramClient client(http_, clock_, Options());
  SetWebhookRequest webhook;
  webhook.url = "https://flow.agency.test/webhooks/telegram";
  webhook.secret_token = "s3cr3t_Token-1";
  webhook.allowed_updates = std::vector<std::string>{"message", "callback_query"};
  webhook.max_connections = 4;
  ASSERT_TRUE(client.SetWebhook(webhook));
  EXPECT_EQ(fake_.webhook().url, webhook.url);
  EXPECT_EQ(fake_.webhook().secret_token, "s3cr3t_Token-1");
  EXPECT_EQ(fake_.webhook().allowed_updates_json, R"(["message","callback_query"])");

  auto poll = client.GetUpdates({.timeout = seconds(0)});
  ASSERT_FALSE(poll);
  EXPECT_EQ(poll.error().code, ErrorCode::kConflict);
  EXPECT_EQ(poll.error().remote_code, 409);

  ASSERT_TRUE(client.DeleteWebhook());
  EXPECT_TRUE(fake_.webhook().url.empty());
  EXPECT_TRUE(client.GetUpdates({.timeout = seconds(0)}));
}

TEST_F(TelegramClientTest, ValidatesTheWebhookSecretTokenLocally) {
  TelegramClient client(http_, clock_, Options());
  for (const std::string& bad : {std::string("has space"), std::string("semi;colon"),
                                 std::string(257, 'a'), std::string("ключ")}) {
    SetWebhookRequest webhook{.url = "https://flow.agency.test/webhooks/telegram",
                              .secret_token = bad};
    auto set = client.SetWebhook(webhook);
    ASSERT_FALSE(set) << bad;
    EXPECT_EQ(set.error().code, ErrorCode::kInvalidInput);
  }
  EXPECT_FALSE(client.SetWebhook({.url = "http://flow.agency.test/hook"}));
  EXPECT_EQ(Sent(), 0u);
  EXPECT_TRUE(ValidateSecretToken(std::string(256, 'Z')));
}

TEST(TelegramWebhookUrl, TakesHttpsOnTelegramsPortsAndHttpOnlyToALoopbackHost) {
  for (const char* good :
       {"https://flow.agency.test/webhooks/telegram", "https://flow.agency.test:8443/hook",
        "https://flow.agency.test:443", "https://[2001:db8::1]:88/hook",
        "http://127.0.0.1:39001/webhooks/telegram", "http://127.1.2.3/hook",
        "http://localhost:8080/hook", "http://LOCALHOST/hook", "http://[::1]:9000/hook"}) {
    EXPECT_TRUE(ValidateWebhookUrl(good)) << good;
  }
  for (const char* bad :
       {"", "http://flow.agency.test/hook", "http://127.0.0.1.evil.test/hook",
        "http://127.0.0.1@evil.test/hook", "http://128.0.0.1/hook", "http://127.0.0.256/hook",
        "ftp://127.0.0.1/hook", "https://flow.agency.test:9000/hook", "https:///hook",
        "https://flow.agency.test:/hook", "https://flow agency.test/hook",
        "https://flow.agency.test/hook\n", "flow.agency.test/hook"}) {
    const auto valid = ValidateWebhookUrl(bad);
    ASSERT_FALSE(valid) << bad;
    EXPECT_EQ(valid.error().code, ErrorCode::kInvalidInput);
    EXPECT_TRUE(valid.error().message.starts_with("telegram: webhook URL: "))
        << valid.error().message;
  }
  EXPECT_TRUE(IsLoopbackHttpUrl("http://127.0.0.1:1/x"));
  EXPECT_FALSE(IsLoopbackHttpUrl("https://127.0.0.1/x"));
}

TEST_F(TelegramClientTest, ReadsWebhookInfoWithTheLastDeliveryError) {
  TelegramClient client(http_, clock_, Options());
  auto none = client.GetWebhookInfo();
  ASSERT_TRUE(none) << none.error().ToString();
  EXPECT_EQ(none->url, "");
  EXPECT_FALSE(none->last_error_date);

  // A webhook the fake can reach, where nothing listens: the delivery fails as in Telegram.
  ASSERT_TRUE(client.SetWebhook({.url = "http://127.0.0.1:1/webhooks/telegram",
                                 .secret_token = "s3cr3t_Token-1",
                                 .allowed_updates = std::vector<std::string>{"message"}}));
  fake_.SimulateUserMessage(kClient, kClient, "hi");
  EXPECT_EQ(fake_.DeliverWebhookUpdates(), 0u);
  auto info = client.GetWebhookInfo();
  ASSERT_TRUE(info) << info.error().ToString();
  EXPECT_EQ(info->url, "http://127.0.0.1:1/webhooks/telegram");
  EXPECT_EQ(info->pending_update_count, 1);
  ASSERT_TRUE(info->last_error_date);
  EXPECT_EQ(*info->last_error_date, core::ToUnixSeconds(clock_.Now()));
  EXPECT_EQ(info->last_error_message, "Connection refused");
  EXPECT_EQ(info->allowed_updates, std::vector<std::string>{"message"});
  EXPECT_EQ(info->max_connections, 40);
}

TEST_F(TelegramClientTest, GetMeReturnsTheBot) {
  TelegramClient client(http_, clock_, Options());
  auto me = client.GetMe();
  ASSERT_TRUE(me) << me.error().ToString();
  EXPECT_TRUE(me->is_bot);
  EXPECT_EQ(me->username, "planfix_flow_bot");
}

TEST(TelegramClientPacing, SpacesMessagesPerChatAndPerGroupWithoutA429) {
  // The real limits shrunk by 5x: 1 per 200 ms per chat, 3 per second per group. The client
  // paces on a FakeClock (its waits move the clock) and the fake judges on the same clock, so
  // the spacing is exact and does not depend on how fast this machine is.
  core::FakeClock clock(core::FromUnixSeconds(1'800'000'000));
  sandbox::FakeTelegramOptions limits;
  limits.per_chat = core::RateLimit{1, milliseconds(200)};
  limits.per_group = core::RateLimit{3, milliseconds(1000)};
  limits.global = core::RateLimit{30, milliseconds(1000)};
  limits.clock = &clock;
  sandbox::FakeTelegram fake(limits);
  fake.AddPrivateChat(kClient);
  fake.AddSupergroup(kStaff, "Staff");
  fake.Start();
  http::CurlHttpClient http;
  TelegramOptions options;
  options.base_url = fake.api_base_url();
  options.token = fake.token();
  options.per_chat = limits.per_chat;
  options.per_group = limits.per_group;
  options.global = limits.global;
  TelegramClient client(http, clock, options);

  const auto start = clock.Now();
  for (int i = 0; i < 4; ++i) {
    for (ChatId chat : {kClient, kStaff}) {
      auto sent = client.SendMessage(Text(chat, "message " + std::to_string(i)));
      ASSERT_TRUE(sent) << sent.error().ToString();
    }
  }
  EXPECT_EQ(fake.rate_limited_count(), 0);

  const auto chat = fake.Messages(kClient);
  ASSERT_EQ(chat.size(), 4u);
  for (std::size_t i = 0; i < chat.size(); ++i) {
    EXPECT_EQ(chat[i].received_at - start, static_cast<int>(i) * milliseconds(200)) << i;
  }
  const auto group = fake.Messages(kStaff);
  ASSERT_EQ(group.size(), 4u);
  // Three fit in one group window (at 0, 200 and 400 ms, paced per chat); the fourth waits
  // for the first to leave it.
  EXPECT_EQ(group[0].received_at - start, milliseconds(0));
  EXPECT_EQ(group[1].received_at - start, milliseconds(200));
  EXPECT_EQ(group[2].received_at - start, milliseconds(400));
  EXPECT_EQ(group[3].received_at - start, milliseconds(1000));
  EXPECT_TRUE(fake.failures().empty());
}

}  // namespace
}  // namespace planfix_flow::telegram

namespace planfix_flow::telegram {
namespace {

TEST_F(TelegramClientTest, SendsAPhotoAsAMultipartUploadWithAnHtmlCaption) {
  TelegramClient client(http_, clock_, Options());
  // A real PNG's first bytes: what the fake reads the size from.
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string("\0\0\0\x0dIHDR\0\0\x03\xe8\0\0\x01\xa4\x08\x06\0\0\0", 21);
  png += "--planfix-flow-boundary-lookalike\r\n";  // the boundary must not occur in the file
  SendPhotoRequest request;
  request.chat_id = kStaff;
  request.photo = png;
  request.filename = "time-2026-11.png";
  request.caption = "<b>Час</b> за 2026-11 &amp; більше";
  auto sent = client.SendPhoto(request);
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(sent->chat.id, kStaff);
  const auto stored = fake_.Messages(kStaff);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].photo, png);
  EXPECT_EQ(stored[0].photo_width, 1000);
  EXPECT_EQ(stored[0].photo_height, 420);
  EXPECT_EQ(stored[0].text, "Час за 2026-11 & більше");
  EXPECT_EQ(stored[0].parse_mode, "HTML");
}

TEST_F(TelegramClientTest, RefusesAPhotoWithoutBytesOrWithALongCaptionWithoutSending) {
  TelegramClient client(http_, clock_, Options());
  SendPhotoRequest request;
  request.chat_id = kStaff;
  auto empty = client.SendPhoto(request);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidInput);
  request.photo = "\x89PNG";
  for (int i = 0; i < 1025; ++i) request.caption += "ї";
  auto too_long = client.SendPhoto(request);
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().message.find("caption is too long"), std::string::npos);
  request.caption = "<b>unclosed";
  EXPECT_FALSE(client.SendPhoto(request));
  EXPECT_EQ(Sent(), 0u);
}

TEST_F(TelegramClientTest, SendsADocumentAsAMultipartUploadWithItsFilename) {
  TelegramClient client(http_, clock_, Options());
  static constexpr char kPdf[] = "%PDF-1.7\n\0\x01\xff\r\n--planfix-flow-lookalike\r\n%%EOF";
  SendDocumentRequest request;
  request.chat_id = kClient;
  request.document = std::string(kPdf, sizeof(kPdf) - 1);
  request.filename = "Звіт грудень 2026.pdf";
  request.caption = "<b>Звіт</b> за грудень";
  auto sent = client.SendDocument(request);
  ASSERT_TRUE(sent) << sent.error().ToString();
  EXPECT_EQ(sent->chat.id, kClient);
  const auto stored = fake_.Messages(kClient);
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].document, request.document);
  EXPECT_EQ(stored[0].document_name, "Звіт грудень 2026.pdf");
  EXPECT_EQ(stored[0].text, "Звіт за грудень");
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].headers.at("Content-Type").rfind("multipart/form-data; boundary=", 0), 0u);
}

TEST_F(TelegramClientTest, RefusesAnEmptyDocumentOrAnUnquotableFilenameWithoutSending) {
  TelegramClient client(http_, clock_, Options());
  SendDocumentRequest request;
  request.chat_id = kClient;
  request.filename = "report.pdf";
  auto empty = client.SendDocument(request);
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidInput);
  request.document = "%PDF";
  for (const char* name : {"", "a\"b.pdf", "a\r\nb.pdf"}) {
    request.filename = name;
    auto refused = client.SendDocument(request);
    ASSERT_FALSE(refused) << name;
    EXPECT_EQ(refused.error().code, ErrorCode::kInvalidInput);
  }
  request.filename = "report.pdf";
  request.document.assign(kMaxDocumentBytes + 1, 'x');
  auto too_large = client.SendDocument(request);
  ASSERT_FALSE(too_large);
  EXPECT_NE(too_large.error().message.find("too large"), std::string::npos);
  EXPECT_EQ(Sent(), 0u);
}

}  // namespace
}  // namespace planfix_flow::telegram
