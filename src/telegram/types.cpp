#include "planfix_flow/telegram/types.h"

#include <fmt/format.h>

#include "telegram/json_codec.h"

namespace planfix_flow::telegram {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

std::string_view ToString(UpdateKind kind) {
  switch (kind) {
    case UpdateKind::kMessage:
      return "message";
    case UpdateKind::kEditedMessage:
      return "edited_message";
    case UpdateKind::kChannelPost:
      return "channel_post";
    case UpdateKind::kEditedChannelPost:
      return "edited_channel_post";
    case UpdateKind::kCallbackQuery:
      return "callback_query";
    case UpdateKind::kMyChatMember:
      return "my_chat_member";
    case UpdateKind::kOther:
      return "other";
  }
  return "other";
}

namespace internal {

namespace {

core::Unexpected Invalid(std::string_view object, std::string_view field) {
  return Fail(
      ErrorCode::kInvalidInput,
      fmt::format("telegram {}: field '{}' is missing or has the wrong type", object, field));
}

bool GetInt(const json& object, const char* field, std::int64_t& out) {
  const auto it = object.find(field);
  if (it == object.end() || !it->is_number_integer()) return false;
  out = it->get<std::int64_t>();
  return true;
}

// Optional string: absent is fine, present must be a string.
bool GetOptionalString(const json& object, const char* field, std::string& out) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return true;
  if (!it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

}  // namespace

Result<User> ParseUser(const json& object) {
  if (!object.is_object()) return Invalid("User", "(object)");
  User user;
  if (!GetInt(object, "id", user.id)) return Invalid("User", "id");
  if (const auto it = object.find("is_bot"); it != object.end()) {
    if (!it->is_boolean()) return Invalid("User", "is_bot");
    user.is_bot = it->get<bool>();
  }
  if (!GetOptionalString(object, "first_name", user.first_name)) {
    return Invalid("User", "first_name");
  }
  if (!GetOptionalString(object, "last_name", user.last_name) ||
      !GetOptionalString(object, "username", user.username) ||
      !GetOptionalString(object, "language_code", user.language_code)) {
    return Invalid("User", "last_name/username/language_code");
  }
  return user;
}

Result<Chat> ParseChat(const json& object) {
  if (!object.is_object()) return Invalid("Chat", "(object)");
  Chat chat;
  if (!GetInt(object, "id", chat.id)) return Invalid("Chat", "id");
  if (!object.contains("type") || !object["type"].is_string()) return Invalid("Chat", "type");
  chat.type = object["type"].get<std::string>();
  if (!GetOptionalString(object, "title", chat.title) ||
      !GetOptionalString(object, "username", chat.username) ||
      !GetOptionalString(object, "first_name", chat.first_name)) {
    return Invalid("Chat", "title/username/first_name");
  }
  return chat;
}

namespace {

Result<InlineKeyboard> ParseKeyboard(const json& markup) {
  InlineKeyboard keyboard;
  if (!markup.is_object()) return Invalid("InlineKeyboardMarkup", "(object)");
  const auto rows = markup.find("inline_keyboard");
  if (rows == markup.end() || !rows->is_array()) {
    return Invalid("InlineKeyboardMarkup", "inline_keyboard");
  }
  for (const auto& row : *rows) {
    if (!row.is_array()) return Invalid("InlineKeyboardMarkup", "inline_keyboard[]");
    auto& out_row = keyboard.emplace_back();
    for (const auto& button : row) {
      if (!button.is_object() || !button.contains("text") || !button["text"].is_string()) {
        return Invalid("InlineKeyboardButton", "text");
      }
      InlineButton out;
      out.text = button["text"].get<std::string>();
      if (!GetOptionalString(button, "callback_data", out.callback_data) ||
          !GetOptionalString(button, "url", out.url)) {
        return Invalid("InlineKeyboardButton", "callback_data/url");
      }
      out_row.push_back(std::move(out));
    }
  }
  return keyboard;
}

}  // namespace

Result<Message> ParseMessage(const json& object) {
  if (!object.is_object()) return Invalid("Message", "(object)");
  Message message;
  if (!GetInt(object, "message_id", message.message_id)) return Invalid("Message", "message_id");
  if (!GetInt(object, "date", message.date)) return Invalid("Message", "date");
  if (!object.contains("chat")) return Invalid("Message", "chat");
  auto chat = ParseChat(object["chat"]);
  if (!chat) return Fail(chat.error());
  message.chat = std::move(*chat);
  if (const auto it = object.find("from"); it != object.end()) {
    auto from = ParseUser(*it);
    if (!from) return Fail(from.error());
    message.from = std::move(*from);
  }
  if (!GetOptionalString(object, "text", message.text)) return Invalid("Message", "text");
  if (const auto it = object.find("entities"); it != object.end() && it->is_array()) {
    for (const auto& entity : *it) {
      if (!entity.is_object()) continue;
      TextEntity out;
      std::int64_t offset = 0;
      std::int64_t length = 0;
      if (!GetOptionalString(entity, "type", out.type) || !GetInt(entity, "offset", offset) ||
          !GetInt(entity, "length", length) || !GetOptionalString(entity, "url", out.url) ||
          !GetOptionalString(entity, "language", out.language) ||
          !GetOptionalString(entity, "custom_emoji_id", out.custom_emoji_id)) {
        return Invalid("MessageEntity", "type/offset/length");
      }
      out.offset = static_cast<int>(offset);
      out.length = static_cast<int>(length);
      message.entities.push_back(std::move(out));
    }
  }
  if (const auto it = object.find("reply_markup"); it != object.end()) {
    auto keyboard = ParseKeyboard(*it);
    if (!keyboard) return Fail(keyboard.error());
    message.reply_markup = std::move(*keyboard);
  }
  std::int64_t migrate_to = 0;
  if (GetInt(object, "migrate_to_chat_id", migrate_to)) message.migrate_to_chat_id = migrate_to;
  return message;
}

namespace {

Result<CallbackQuery> ParseCallbackQuery(const json& object) {
  if (!object.is_object()) return Invalid("CallbackQuery", "(object)");
  CallbackQuery query;
  if (!object.contains("id") || !object["id"].is_string()) return Invalid("CallbackQuery", "id");
  query.id = object["id"].get<std::string>();
  if (!object.contains("from")) return Invalid("CallbackQuery", "from");
  auto from = ParseUser(object["from"]);
  if (!from) return Fail(from.error());
  query.from = std::move(*from);
  if (const auto it = object.find("message"); it != object.end()) {
    auto message = ParseMessage(*it);
    if (!message) return Fail(message.error());
    query.message = std::move(*message);
  }
  if (!GetOptionalString(object, "inline_message_id", query.inline_message_id) ||
      !GetOptionalString(object, "chat_instance", query.chat_instance) ||
      !GetOptionalString(object, "data", query.data)) {
    return Invalid("CallbackQuery", "inline_message_id/chat_instance/data");
  }
  return query;
}

Result<ChatMemberUpdated> ParseChatMemberUpdated(const json& object) {
  if (!object.is_object()) return Invalid("ChatMemberUpdated", "(object)");
  ChatMemberUpdated updated;
  if (!object.contains("chat")) return Invalid("ChatMemberUpdated", "chat");
  auto chat = ParseChat(object["chat"]);
  if (!chat) return Fail(chat.error());
  updated.chat = std::move(*chat);
  if (!object.contains("from")) return Invalid("ChatMemberUpdated", "from");
  auto from = ParseUser(object["from"]);
  if (!from) return Fail(from.error());
  updated.from = std::move(*from);
  if (!GetInt(object, "date", updated.date)) return Invalid("ChatMemberUpdated", "date");
  auto status = [](const json& member, std::string& out) {
    if (!member.is_object() || !member.contains("status") || !member["status"].is_string()) {
      return false;
    }
    out = member["status"].get<std::string>();
    return true;
  };
  if (!object.contains("old_chat_member") ||
      !status(object["old_chat_member"], updated.old_status)) {
    return Invalid("ChatMemberUpdated", "old_chat_member.status");
  }
  if (!object.contains("new_chat_member") ||
      !status(object["new_chat_member"], updated.new_status)) {
    return Invalid("ChatMemberUpdated", "new_chat_member.status");
  }
  return updated;
}

}  // namespace

Result<Update> ParseUpdate(const json& object) {
  if (!object.is_object()) return Invalid("Update", "(object)");
  Update update;
  if (!GetInt(object, "update_id", update.update_id)) return Invalid("Update", "update_id");
  struct MessageKind {
    const char* field;
    UpdateKind kind;
  };
  static constexpr MessageKind kMessageKinds[] = {
      {"message", UpdateKind::kMessage},
      {"edited_message", UpdateKind::kEditedMessage},
      {"channel_post", UpdateKind::kChannelPost},
      {"edited_channel_post", UpdateKind::kEditedChannelPost},
  };
  for (const auto& [field, kind] : kMessageKinds) {
    if (const auto it = object.find(field); it != object.end()) {
      auto message = ParseMessage(*it);
      if (!message) return Fail(message.error());
      update.kind = kind;
      update.type = field;
      update.message = std::move(*message);
      return update;
    }
  }
  if (const auto it = object.find("callback_query"); it != object.end()) {
    auto query = ParseCallbackQuery(*it);
    if (!query) return Fail(query.error());
    update.kind = UpdateKind::kCallbackQuery;
    update.type = "callback_query";
    update.callback_query = std::move(*query);
    return update;
  }
  if (const auto it = object.find("my_chat_member"); it != object.end()) {
    auto member = ParseChatMemberUpdated(*it);
    if (!member) return Fail(member.error());
    update.kind = UpdateKind::kMyChatMember;
    update.type = "my_chat_member";
    update.my_chat_member = std::move(*member);
    return update;
  }
  update.kind = UpdateKind::kOther;
  for (const auto& [key, value] : object.items()) {
    if (key != "update_id" && value.is_object()) {
      update.type = key;
      break;
    }
  }
  return update;
}

json ToJson(const InlineKeyboard& keyboard) {
  json rows = json::array();
  for (const auto& row : keyboard) {
    json out_row = json::array();
    for (const auto& button : row) {
      json out = {{"text", button.text}};
      if (!button.callback_data.empty()) out["callback_data"] = button.callback_data;
      if (!button.url.empty()) out["url"] = button.url;
      out_row.push_back(std::move(out));
    }
    rows.push_back(std::move(out_row));
  }
  return json{{"inline_keyboard", std::move(rows)}};
}

}  // namespace internal

Result<Update> ParseUpdate(std::string_view text) {
  json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (object.is_discarded()) {
    return Fail(ErrorCode::kInvalidInput, "telegram Update: body is not valid JSON");
  }
  return internal::ParseUpdate(object);
}

}  // namespace planfix_flow::telegram
