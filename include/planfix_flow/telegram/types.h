// Telegram Bot API objects this service reads and writes, as plain values, and the parser
// for incoming updates (shared by long polling and the webhook ingress). Thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/result.h"
#include "planfix_flow/telegram/html.h"

namespace planfix_flow::telegram {

// Chat and user ids need up to 52 bits: always int64.
using ChatId = std::int64_t;

struct User {
  std::int64_t id = 0;
  bool is_bot = false;
  std::string first_name;
  std::string last_name;
  std::string username;
  std::string language_code;
};

struct Chat {
  ChatId id = 0;
  std::string type;  // "private", "group", "supergroup" or "channel"
  std::string title;
  std::string username;
  std::string first_name;
};

// What getChat returns (a ChatFullInfo), as far as the config doctor reads it.
struct ChatInfo {
  Chat chat;
  // permissions.can_send_messages of a group or supergroup: whether plain members may send
  // text. Unset when Telegram leaves it out (private chats, channels).
  std::optional<bool> members_can_send_messages;
};

// What getChatMember returns (one of the ChatMember kinds, told apart by `status`).
struct ChatMember {
  std::string status;  // "creator", "administrator", "member", "restricted", "left", "kicked"
  User user;
  std::optional<bool> is_member;          // "restricted" only
  std::optional<bool> can_send_messages;  // "restricted" only
  std::optional<bool> can_post_messages;  // "administrator" of a channel only
};

// One inline keyboard button: exactly one of callback_data and url is set.
struct InlineButton {
  std::string text;
  std::string callback_data;  // 1-64 bytes
  std::string url;
};
using InlineKeyboard = std::vector<std::vector<InlineButton>>;

struct Message {
  std::int64_t message_id = 0;
  Chat chat;
  std::int64_t date = 0;  // Unix seconds; 0 for an inaccessible message
  std::optional<User> from;
  std::string text;
  std::vector<TextEntity> entities;
  InlineKeyboard reply_markup;
  // Service message in a group that became a supergroup.
  std::optional<ChatId> migrate_to_chat_id;
};

struct CallbackQuery {
  std::string id;
  User from;
  // The message with the button; absent for buttons of inline-mode messages. A message
  // older than 48 hours arrives "inaccessible": only chat, message_id and date 0.
  std::optional<Message> message;
  std::string inline_message_id;
  std::string chat_instance;
  std::string data;
};

struct ChatMemberUpdated {
  Chat chat;
  User from;
  std::int64_t date = 0;
  std::string old_status;  // "member", "kicked", "left", "administrator", ...
  std::string new_status;
};

enum class UpdateKind {
  kMessage,
  kEditedMessage,
  kChannelPost,
  kEditedChannelPost,
  kCallbackQuery,
  kMyChatMember,
  kOther,  // any other update type; `type` names it
};

std::string_view ToString(UpdateKind kind);

struct Update {
  std::int64_t update_id = 0;
  UpdateKind kind = UpdateKind::kOther;
  std::string type;  // the update's field name ("message", "callback_query", "poll", ...)
  // Set for kMessage, kEditedMessage, kChannelPost and kEditedChannelPost.
  std::optional<Message> message;
  std::optional<CallbackQuery> callback_query;
  std::optional<ChatMemberUpdated> my_chat_member;
  // The update object as Telegram sent it, re-serialised with its key order kept. Set by
  // TelegramClient::GetUpdates (also for "invalid" updates), empty otherwise.
  std::string raw_json;
};

// Parses one Update object (a webhook body or an element of getUpdates). Unknown fields are
// ignored and unknown update types come back as kOther; a missing or mistyped update_id, or a
// known update whose required fields are missing or mistyped, is kInvalidInput.
core::Result<Update> ParseUpdate(std::string_view json);

}  // namespace planfix_flow::telegram
