#include "planfix_flow/telegram/types.h"

#include <gtest/gtest.h>

namespace planfix_flow::telegram {
namespace {

TEST(ParseUpdate, ReadsAMessageWithAChatIdBeyond32Bits) {
  auto update = ParseUpdate(R"({
    "update_id": 912345678,
    "message": {
      "message_id": 42, "date": 1795000000, "text": "/start brief_Xy9",
      "from": {"id": 7012345678, "is_bot": false, "first_name": "Олена", "username": "olena",
               "language_code": "uk", "is_premium": true},
      "chat": {"id": 7012345678, "type": "private", "first_name": "Олена"},
      "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
      "some_future_field": {"x": 1}
    }})");
  ASSERT_TRUE(update) << update.error().ToString();
  EXPECT_EQ(update->update_id, 912345678);
  EXPECT_EQ(update->kind, UpdateKind::kMessage);
  EXPECT_EQ(update->type, "message");
  ASSERT_TRUE(update->message);
  EXPECT_EQ(update->message->chat.id, 7012345678LL);
  EXPECT_EQ(update->message->chat.type, "private");
  ASSERT_TRUE(update->message->from);
  EXPECT_EQ(update->message->from->id, 7012345678LL);
  EXPECT_EQ(update->message->from->language_code, "uk");
  EXPECT_EQ(update->message->text, "/start brief_Xy9");
  ASSERT_EQ(update->message->entities.size(), 1u);
  EXPECT_EQ(update->message->entities[0].type, "bot_command");
}

TEST(ParseUpdate, ReadsACallbackQueryFromANegativeSupergroupId) {
  auto update = ParseUpdate(R"({
    "update_id": 5,
    "callback_query": {
      "id": "4382bfdwdsb323b2d9", "chat_instance": "-88", "data": "approve:17",
      "from": {"id": 99, "is_bot": false, "first_name": "PM"},
      "message": {"message_id": 7, "date": 1795000000, "text": "Approve?",
                  "chat": {"id": -1001234567890, "type": "supergroup", "title": "Staff"},
                  "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "approve:17"},
                                                        {"text": "Site", "url": "https://e.test"}]]}}
    }})");
  ASSERT_TRUE(update) << update.error().ToString();
  EXPECT_EQ(update->kind, UpdateKind::kCallbackQuery);
  ASSERT_TRUE(update->callback_query);
  const CallbackQuery& query = *update->callback_query;
  EXPECT_EQ(query.id, "4382bfdwdsb323b2d9");
  EXPECT_EQ(query.data, "approve:17");
  EXPECT_EQ(query.from.id, 99);
  ASSERT_TRUE(query.message);
  EXPECT_EQ(query.message->chat.id, -1001234567890LL);
  EXPECT_EQ(query.message->chat.title, "Staff");
  ASSERT_EQ(query.message->reply_markup.size(), 1u);
  ASSERT_EQ(query.message->reply_markup[0].size(), 2u);
  EXPECT_EQ(query.message->reply_markup[0][1].url, "https://e.test");
}

TEST(ParseUpdate, AcceptsAnInaccessibleMessageInACallbackQuery) {
  auto update = ParseUpdate(R"({"update_id": 6, "callback_query": {
      "id": "1", "chat_instance": "2", "data": "x", "from": {"id": 1, "is_bot": false, "first_name": "A"},
      "message": {"message_id": 3, "date": 0, "chat": {"id": 1, "type": "private"}}}})");
  ASSERT_TRUE(update) << update.error().ToString();
  ASSERT_TRUE(update->callback_query->message);
  EXPECT_EQ(update->callback_query->message->date, 0);
  EXPECT_TRUE(update->callback_query->message->text.empty());
}

TEST(ParseUpdate, ReadsMyChatMemberWhenAUserBlocksTheBot) {
  auto update = ParseUpdate(R"({"update_id": 8, "my_chat_member": {
      "chat": {"id": 10, "type": "private"}, "from": {"id": 10, "is_bot": false, "first_name": "C"},
      "date": 1795000000,
      "old_chat_member": {"status": "member", "user": {"id": 1, "is_bot": true, "first_name": "B"}},
      "new_chat_member": {"status": "kicked", "until_date": 0,
                          "user": {"id": 1, "is_bot": true, "first_name": "B"}}}})");
  ASSERT_TRUE(update) << update.error().ToString();
  EXPECT_EQ(update->kind, UpdateKind::kMyChatMember);
  EXPECT_EQ(update->my_chat_member->old_status, "member");
  EXPECT_EQ(update->my_chat_member->new_status, "kicked");
}

TEST(ParseUpdate, KeepsUnknownUpdateTypesAsOther) {
  auto update = ParseUpdate(R"({"update_id": 9, "poll": {"id": "p", "question": "?"}})");
  ASSERT_TRUE(update) << update.error().ToString();
  EXPECT_EQ(update->kind, UpdateKind::kOther);
  EXPECT_EQ(update->type, "poll");
  EXPECT_EQ(ToString(update->kind), "other");
}

TEST(ParseUpdate, ReadsEditedMessagesAndChannelPosts) {
  auto edited = ParseUpdate(R"({"update_id": 1, "edited_message": {"message_id": 1, "date": 2,
      "edit_date": 3, "text": "t", "chat": {"id": 4, "type": "private"}}})");
  ASSERT_TRUE(edited);
  EXPECT_EQ(edited->kind, UpdateKind::kEditedMessage);
  auto post = ParseUpdate(R"({"update_id": 2, "channel_post": {"message_id": 1, "date": 2,
      "text": "t", "chat": {"id": -1009, "type": "channel", "title": "News"}}})");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->kind, UpdateKind::kChannelPost);
}

TEST(ParseUpdate, RefusesBodiesWithoutAValidUpdateId) {
  for (const char* body : {R"({"message": {}})", R"({"update_id": "7"})", "[1]", "not json", ""}) {
    auto update = ParseUpdate(body);
    ASSERT_FALSE(update) << body;
    EXPECT_EQ(update.error().code, core::ErrorCode::kInvalidInput) << body;
  }
}

TEST(ParseUpdate, RefusesAKnownUpdateMissingRequiredFields) {
  auto no_chat = ParseUpdate(R"({"update_id": 1, "message": {"message_id": 1, "date": 2}})");
  ASSERT_FALSE(no_chat);
  EXPECT_EQ(no_chat.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_NE(no_chat.error().message.find("chat"), std::string::npos);
  auto bad_id = ParseUpdate(R"({"update_id": 1, "callback_query": {"id": 5, "from": {"id": 1}}})");
  ASSERT_FALSE(bad_id);
  auto bad_entity = ParseUpdate(R"({"update_id": 1, "message": {"message_id": 1, "date": 2,
      "chat": {"id": 1, "type": "private"}, "entities": [{"type": "bold", "offset": "x"}]}})");
  ASSERT_FALSE(bad_entity);
}

}  // namespace
}  // namespace planfix_flow::telegram
