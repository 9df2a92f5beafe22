#include "planfix_flow/workflow/service_notices.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "rule_support.h"

namespace planfix_flow::workflow {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

std::string_view KindName(WebhookProblem::Kind kind) {
  return kind == WebhookProblem::Kind::kUrlChanged ? "url_changed" : "delivery_error";
}

Result<json> ParseObject(std::string_view text, std::string_view what) {
  json object = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{}: not a JSON object", what));
  }
  return object;
}

bool ReadString(const json& object, const char* name, std::string& out) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_string()) return false;
  out = it->get<std::string>();
  return true;
}

bool ReadInt(const json& object, const char* name, std::int64_t& out) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return false;
  out = it->get<std::int64_t>();
  return true;
}

}  // namespace

std::string ToJson(const WebhookProblem& problem) {
  return json{{"problem", KindName(problem.kind)},
              {"webhook_url", problem.webhook_url},
              {"telegram_url", problem.telegram_url},
              {"error_message", problem.error_message},
              {"error_date", problem.error_date}}
      .dump();
}

Result<WebhookProblem> ParseWebhookProblem(std::string_view text) {
  constexpr std::string_view kWhat = "telegram.webhook_problem";
  auto object = ParseObject(text, kWhat);
  if (!object) return Fail(object.error());
  WebhookProblem problem;
  std::string kind;
  if (!ReadString(*object, "problem", kind) ||
      !ReadString(*object, "webhook_url", problem.webhook_url) ||
      !ReadString(*object, "telegram_url", problem.telegram_url) ||
      !ReadString(*object, "error_message", problem.error_message) ||
      !ReadInt(*object, "error_date", problem.error_date)) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("{}: needs problem, webhook_url, telegram_url, error_message and "
                            "error_date",
                            kWhat));
  }
  if (kind == KindName(WebhookProblem::Kind::kDeliveryError)) {
    problem.kind = WebhookProblem::Kind::kDeliveryError;
  } else if (kind == KindName(WebhookProblem::Kind::kUrlChanged)) {
    problem.kind = WebhookProblem::Kind::kUrlChanged;
  } else {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{}: unknown problem \"{}\"", kWhat, kind));
  }
  return problem;
}

std::string ToJson(const ChatMigration& migration) {
  return json{{"old_chat_id", migration.old_chat_id},
              {"new_chat_id", migration.new_chat_id},
              {"staff", migration.staff}}
      .dump();
}

Result<ChatMigration> ParseChatMigration(std::string_view text) {
  constexpr std::string_view kWhat = "telegram.chat_migrated";
  auto object = ParseObject(text, kWhat);
  if (!object) return Fail(object.error());
  ChatMigration migration;
  const auto staff = object->find("staff");
  if (!ReadInt(*object, "old_chat_id", migration.old_chat_id) ||
      !ReadInt(*object, "new_chat_id", migration.new_chat_id) || staff == object->end() ||
      !staff->is_boolean() || migration.old_chat_id == 0 || migration.new_chat_id == 0) {
    return Fail(
        ErrorCode::kInvalidInput,
        fmt::format("{}: needs non-zero old_chat_id and new_chat_id and a boolean staff", kWhat));
  }
  migration.staff = staff->get<bool>();
  return migration;
}

Result<plan::Plan> DecideWebhookProblem(const plan::StoredEvent& event,
                                        const RuleContext& context) {
  auto problem = ParseWebhookProblem(event.payload);
  if (!problem) return Fail(problem.error());
  Result<std::string> text = Fail(ErrorCode::kInternal, "no template");
  if (problem->kind == WebhookProblem::Kind::kDeliveryError) {
    const std::string when =
        problem->error_date > 0
            ? context.calendar->FormatLocal(core::FromUnixSeconds(problem->error_date))
            : std::string();
    text = detail::Render(context, "staff_webhook_delivery_error",
                          {{"error_message", problem->error_message},
                           {"error_time", when},
                           {"webhook_url", problem->webhook_url}});
  } else {
    text = detail::Render(
        context, "staff_webhook_url_changed",
        {{"webhook_url", problem->webhook_url}, {"telegram_url", problem->telegram_url}});
  }
  if (!text) return Fail(text.error());
  plan::Plan plan;
  plan.effects.push_back(detail::StaffMessage(context, *text, detail::EventKey(event, "staff")));
  plan.summary =
      fmt::format("telegram webhook problem told to the staff chat: {}", KindName(problem->kind));
  return plan;
}

Result<plan::Plan> DecideChatMigrated(const plan::StoredEvent& event, const RuleContext& context) {
  auto migration = ParseChatMigration(event.payload);
  if (!migration) return Fail(migration.error());
  plan::Plan plan;
  if (!migration->staff) {
    plan.summary = fmt::format("chat {} became {}: later messages go there", migration->old_chat_id,
                               migration->new_chat_id);
    return plan;
  }
  auto text = detail::Render(context, "staff_chat_migrated",
                             {{"old_chat_id", std::to_string(migration->old_chat_id)},
                              {"new_chat_id", std::to_string(migration->new_chat_id)}});
  if (!text) return Fail(text.error());
  // To the new chat itself, whatever StaffChatId says at this moment.
  plan.effects.push_back(plan::MakeEffect(
      plan::TelegramSendMessage{migration->new_chat_id, *text, std::nullopt, {}},
      fmt::format("telegram:chat:{}", migration->new_chat_id), detail::EventKey(event, "staff")));
  plan.summary = fmt::format("staff chat {} became {}: staff told to update the config",
                             migration->old_chat_id, migration->new_chat_id);
  return plan;
}

}  // namespace planfix_flow::workflow
