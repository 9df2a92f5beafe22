// Private to the telegram module: JSON <-> Bot API values. Pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "planfix_flow/core/result.h"
#include "planfix_flow/telegram/types.h"

namespace planfix_flow::telegram::internal {

core::Result<User> ParseUser(const nlohmann::json& json);
core::Result<Chat> ParseChat(const nlohmann::json& json);
// Also accepts an InaccessibleMessage (date 0).
core::Result<Message> ParseMessage(const nlohmann::json& json);
core::Result<Update> ParseUpdate(const nlohmann::json& json);

nlohmann::json ToJson(const InlineKeyboard& keyboard);

}  // namespace planfix_flow::telegram::internal
