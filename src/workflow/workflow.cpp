#include "planfix_flow/workflow/workflow.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/log.h"

namespace planfix_flow::workflow {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

Result<json> ParsePayload(const engine::StoredEvent& event) {
  json payload = json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("event {} payload is not a JSON object", event.id));
  }
  return payload;
}

// Ids arrive as decimal strings (the ingress normalises them) or numbers (timer payloads).
Result<std::int64_t> IdField(const json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end()) return Fail(ErrorCode::kInvalidInput, fmt::format("no {} id", name));
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_string()) {
    try {
      std::size_t used = 0;
      const auto value = std::stoll(it->get<std::string>(), &used);
      if (used == it->get<std::string>().size() && value > 0)
        return static_cast<std::int64_t>(value);
    } catch (const std::exception&) {
    }
  }
  return Fail(ErrorCode::kInvalidInput, fmt::format("{} id is not a positive integer", name));
}

engine::Effect StaffMessage(const RuleContext& context, const std::string& text,
                            const std::string& idempotency_key) {
  const auto chat = context.config->telegram.staff_chat_id;
  return engine::Effect{kEffectTelegramSend, fmt::format("telegram:chat:{}", chat),
                        json{{"chat_id", chat}, {"text", text}}.dump(), idempotency_key};
}

}  // namespace

Result<engine::Plan> DecidePing(const engine::StoredEvent& event, const TaskFacts& task,
                                const RuleContext& context, core::TimePoint now) {
  const auto& language = context.config->templates.default_language;
  auto staff_text = context.templates->Render(
      "ping", language, {{"message", fmt::format("#{} {}", task.number, task.name)}});
  if (!staff_text) return Fail(staff_text.error());
  auto comment =
      context.templates->Render("ping", language, {{"message", fmt::format("event {}", event.id)}});
  if (!comment) return Fail(comment.error());

  engine::Plan plan;
  const std::string key_prefix = fmt::format("event:{}", event.id);
  plan.effects.push_back(StaffMessage(context, *staff_text, key_prefix + ":staff"));
  plan.effects.push_back(engine::Effect{
      kEffectPlanfixComment, "planfix",
      json{{"task", task.number}, {"description", *comment}}.dump(), key_prefix + ":comment"});
  engine::TimerChange follow_up;
  follow_up.action = engine::TimerAction::kSet;
  follow_up.key = fmt::format("ping.followup:task:{}", task.number);
  follow_up.kind = "ping.followup";
  follow_up.due_at = context.calendar->AddWorkingDays(now, 1);
  follow_up.payload = json{{"task", task.number}, {"name", task.name}}.dump();
  plan.timers.push_back(std::move(follow_up));
  plan.flows.push_back(engine::FlowChange{fmt::format("ping:task:{}", task.number), "ping",
                                          task.number, std::nullopt, "pinged", "{}"});
  plan.summary = fmt::format("ping for task {}", task.number);
  return plan;
}

Result<engine::Plan> DecidePingFollowUp(const engine::StoredEvent& event,
                                        const RuleContext& context) {
  auto payload = ParsePayload(event);
  if (!payload) return Fail(payload.error());
  auto task = IdField(*payload, "task");
  if (!task) return Fail(task.error());
  auto text = context.templates->Render(
      "ping", context.config->templates.default_language,
      {{"message", fmt::format("follow-up #{} {}", *task, payload->value("name", ""))}});
  if (!text) return Fail(text.error());
  engine::Plan plan;
  plan.effects.push_back(StaffMessage(context, *text, fmt::format("event:{}:staff", event.id)));
  plan.flows.push_back(engine::FlowChange{fmt::format("ping:task:{}", *task), "ping", *task,
                                          std::nullopt, "followed_up", "{}"});
  plan.summary = fmt::format("ping follow-up for task {}", *task);
  return plan;
}

Workflow::Workflow(RuleContext context, FactSource& facts) : context_(context), facts_(facts) {}

Result<engine::Plan> Workflow::Handle(const engine::StoredEvent& event, core::TimePoint now) {
  if (event.kind == "ping") {
    auto payload = ParsePayload(event);
    if (!payload) return engine::Plan{};  // nothing to do with it; logged below
    auto number = IdField(*payload, "task");
    if (!number) {
      core::Logger("workflow")
          ->warn("event={} kind=ping outcome=ignored reason=\"{}\"", event.id,
                 number.error().message);
      return engine::Plan{};
    }
    auto task = facts_.GetTask(*number);
    if (!task) {
      // A task that does not exist is a business problem, not a reason to retry.
      if (task.error().code == ErrorCode::kNotFound) {
        core::Logger("workflow")
            ->warn("event={} kind=ping outcome=ignored reason=unknown_task task={}", event.id,
                   *number);
        return engine::Plan{};
      }
      return Fail(task.error());
    }
    return DecidePing(event, *task, context_, now);
  }
  if (event.kind == "ping.followup") return DecidePingFollowUp(event, context_);
  core::Logger("workflow")
      ->info("event={} kind={} outcome=ignored reason=no_rule", event.id, event.kind);
  return engine::Plan{};
}

}  // namespace planfix_flow::workflow
