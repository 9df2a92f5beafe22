// Notices about the service's own Telegram setup for the staff chat: the webhook watch found
// a problem (Telegram reports delivery errors, or the bot's webhook is another URL), or the
// staff group became a supergroup and the config still names the old id. The App stores each
// as an internal event once; the rules turn it into one staff message. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::workflow {

// The payload of kEventTelegramWebhookProblem.
struct WebhookProblem {
  enum class Kind { kDeliveryError, kUrlChanged };
  Kind kind = Kind::kDeliveryError;
  std::string webhook_url;   // telegram.webhook_url
  std::string telegram_url;  // the URL getWebhookInfo reports (empty: none)
  // kDeliveryError: Telegram's last_error_message and last_error_date (Unix seconds).
  std::string error_message;
  std::int64_t error_date = 0;
};
std::string ToJson(const WebhookProblem& problem);
core::Result<WebhookProblem> ParseWebhookProblem(std::string_view json);

// The payload of kEventTelegramChatMigrated: Telegram answered a send to `old_chat_id` with
// migrate_to_chat_id `new_chat_id`. `staff` when old_chat_id was the staff chat.
struct ChatMigration {
  std::int64_t old_chat_id = 0;
  std::int64_t new_chat_id = 0;
  bool staff = false;
};
std::string ToJson(const ChatMigration& migration);
core::Result<ChatMigration> ParseChatMigration(std::string_view json);

// One staff message (staff_webhook_delivery_error or staff_webhook_url_changed).
core::Result<plan::Plan> DecideWebhookProblem(const plan::StoredEvent& event,
                                              const RuleContext& context);
// The staff chat's migration: one staff_chat_migrated message in the new chat asking to update
// telegram.staff_chat_id. Another chat's migration changes nothing here (the executor already
// sends to the new id).
core::Result<plan::Plan> DecideChatMigrated(const plan::StoredEvent& event,
                                            const RuleContext& context);

}  // namespace planfix_flow::workflow
