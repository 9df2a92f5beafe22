#include "app/effect_handlers.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "app/money_effects.h"
#include "app/report_files.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::app {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

void RegisterEffectHandlers(engine::EffectExecutor& executor, const EffectServices& services) {
  executor.Register(
      plan::kEffectTelegramSend, [services](const engine::Job& job) -> Result<std::string> {
        auto payload = plan::Decode<plan::TelegramSendMessage>(job.payload);
        if (!payload) return Fail(payload.error());
        telegram::SendMessageRequest request;
        // A group that became a supergroup is written to under its new id at once.
        request.chat_id = services.database->CurrentChatId(payload->chat_id);
        request.text = payload->text;
        for (const auto& row : payload->keyboard) {
          auto& buttons = request.keyboard.emplace_back();
          for (const auto& button : row) {
            buttons.push_back(
                telegram::InlineButton{button.text, button.callback_data, button.url});
          }
        }
        auto sent = services.telegram->SendMessage(request);
        for (int hop = 0; hop < 3 && !sent && sent.error().migrate_to_chat_id; ++hop) {
          // The group became a supergroup: remember it, and send there.
          const telegram::ChatId to = *sent.error().migrate_to_chat_id;
          services.note_migration(request.chat_id, to);
          request.chat_id = to;
          sent = services.telegram->SendMessage(request);
        }
        if (!sent) return Fail(sent.error());
        return json{{"chat_id", sent->chat.id}, {"message_id", sent->message_id}}.dump();
      });
  executor.Register(plan::kEffectTelegramAnswerCallback,
                    [services](const engine::Job& job) -> Result<std::string> {
                      auto payload = plan::Decode<plan::TelegramAnswerCallback>(job.payload);
                      if (!payload) return Fail(payload.error());
                      telegram::AnswerCallbackQueryRequest request;
                      request.callback_query_id = payload->callback_query_id;
                      request.text = payload->text;
                      auto answered = services.telegram->AnswerCallbackQuery(request);
                      if (!answered) return Fail(answered.error());
                      return json::object().dump();
                    });
  executor.Register(plan::kEffectTelegramEdit,
                    [services](const engine::Job& job) -> Result<std::string> {
                      auto payload = plan::Decode<plan::TelegramEditMessage>(job.payload);
                      if (!payload) return Fail(payload.error());
                      telegram::EditMessageTextRequest request;
                      request.chat_id = payload->chat_id;
                      request.message_id = payload->message_id;
                      request.text = payload->text;
                      auto edited = services.telegram->EditMessageText(request);
                      if (!edited) return Fail(edited.error());
                      return json{{"modified", edited->modified}}.dump();
                    });
  executor.Register(plan::kEffectPlanfixComment,
                    [services](const engine::Job& job) -> Result<std::string> {
                      auto payload = plan::Decode<plan::PlanfixAddComment>(job.payload);
                      if (!payload) return Fail(payload.error());
                      planfix::Comment comment;
                      comment.description = payload->description;
                      comment.recipient_ids = payload->recipients;
                      auto id = services.planfix->AddComment(payload->task, comment);
                      if (!id) return Fail(id.error());
                      return json{{"comment_id", *id}}.dump();
                    });
  executor.Register(
      plan::kEffectPlanfixUpdateContact, [services](const engine::Job& job) -> Result<std::string> {
        auto payload = plan::Decode<plan::PlanfixUpdateContact>(job.payload);
        if (!payload) return Fail(payload.error());
        planfix::ContactUpdate update;
        for (const auto& field : payload->custom_fields) {
          planfix::CustomFieldValue value;
          value.field_id = field.id;
          value.value = field.value;
          update.custom_fields.push_back(std::move(value));
        }
        if (payload->telegram_id) update.telegram_id = *payload->telegram_id;
        auto result = services.planfix->UpdateContact(std::to_string(payload->contact), update);
        if (!result) return Fail(result.error());
        // A refused field is not retried (the rest is written): a job with a
        // report lets the workflow name it; without one it is an error.
        if (!result->failures.empty() && !payload->report) {
          return Fail(ErrorCode::kInvalidInput,
                      fmt::format("Planfix refused part of the contact update: {}",
                                  planfix::DescribeFailures(result->failures)));
        }
        json failures = json::array();
        for (const auto& failure : result->failures) {
          failures.push_back({{"field", failure.field}, {"error", failure.error}});
        }
        return json{{"queued", result->queued}, {"failures", failures}}.dump();
      });
  executor.Register(plan::kEffectPlanfixSetTaskFields,
                    [services](const engine::Job& job) -> Result<std::string> {
                      auto payload = plan::Decode<plan::PlanfixSetTaskFields>(job.payload);
                      if (!payload) return Fail(payload.error());
                      planfix::TaskUpdate update;
                      for (const auto& field : payload->custom_fields) {
                        planfix::CustomFieldValue value;
                        value.field_id = field.id;
                        value.value = field.value;
                        update.custom_fields.push_back(std::move(value));
                      }
                      auto result = services.planfix->UpdateTask(payload->task, update);
                      if (!result) return Fail(result.error());
                      if (!result->failures.empty()) {
                        return Fail(ErrorCode::kInvalidInput,
                                    fmt::format("Planfix refused the task fields: {}",
                                                planfix::DescribeFailures(result->failures)));
                      }
                      return json{{"queued", result->queued}}.dump();
                    });
  executor.Register(plan::kEffectPlanfixCreateTask,
                    [services](const engine::Job& job) -> Result<std::string> {
                      auto payload = plan::Decode<plan::PlanfixCreateTask>(job.payload);
                      if (!payload) return Fail(payload.error());
                      planfix::TaskCreate task;
                      task.name = payload->name;
                      task.description = payload->description;
                      task.template_id = payload->template_id;
                      task.project_id = payload->project_id;
                      task.process_id = payload->process_id;
                      task.counterparty_id = payload->counterparty;
                      task.assignee_ids = payload->assignees;
                      // A report task once per deal and month: a retry first looks for the
                      // task an earlier attempt may have made before its answer was lost.
                      if (payload->report && job.attempts > 1) {
                        auto earlier = FindEarlierCreatedTask(*services.planfix, task);
                        if (!earlier) return Fail(earlier.error());
                        if (*earlier) return json{{"task", **earlier}}.dump();
                      }
                      auto number = services.planfix->CreateTask(task);
                      if (!number) return Fail(number.error());
                      return json{{"task", *number}}.dump();
                    });
  executor.Register(plan::kEffectPlanfixUpdateTask,
                    [services](const engine::Job& job) -> Result<std::string> {
                      auto payload = plan::Decode<plan::PlanfixUpdateTask>(job.payload);
                      if (!payload) return Fail(payload.error());
                      planfix::TaskUpdate update;
                      update.status_id = payload->status;
                      auto result = services.planfix->UpdateTask(payload->task, update);
                      if (!result) return Fail(result.error());
                      if (!result->failures.empty()) {
                        return Fail(ErrorCode::kInvalidInput,
                                    fmt::format("Planfix refused the status change: {}",
                                                planfix::DescribeFailures(result->failures)));
                      }
                      return json{{"queued", result->queued}}.dump();
                    });
  RegisterReportFileEffects(executor, services);
}

std::optional<storage::NewEvent> JobOutcomeEvent(const engine::Job& job,
                                                 const Result<std::string>& outcome,
                                                 core::TimePoint now) {
  json payload = json::parse(job.payload, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) return std::nullopt;
  storage::NewEvent event;
  event.source = storage::EventSource::kInternal;
  event.received_at = now;
  const std::string ended = outcome ? "done" : "dead";
  event.dedupe_key = fmt::format("job.{}:{}:{}", ended, job.id, job.replay_count);
  const bool client_send =
      job.kind == plan::kEffectTelegramSend || job.kind == plan::kEffectTelegramSendPlanfixFile;
  if (client_send && !outcome && payload.contains("report")) {
    event.kind = workflow::kEventEffectFailed;
    event.payload = json{{"job", job.id},
                         {"kind", job.kind},
                         {"error", outcome.error().message},
                         {"report", payload["report"]}}
                        .dump();
    return event;
  }
  if (job.kind == plan::kEffectPlanfixCreateTask && outcome) {
    event.kind = workflow::kEventTaskCreated;
    event.payload = json{{"job", job.id},
                         {"payload", payload},
                         {"result", json::parse(*outcome, nullptr, false)}}
                        .dump();
    return event;
  }
  if (job.kind == plan::kEffectPlanfixUpdateContact && payload.contains("report")) {
    event.kind = workflow::kEventContactUpdated;
    json report{{"job", job.id}, {"payload", payload}};
    if (outcome) {
      report["result"] = json::parse(*outcome, nullptr, false);
    } else {
      report["error"] = outcome.error().message;
    }
    event.payload = report.dump();
    return event;
  }
  return std::nullopt;
}

}  // namespace planfix_flow::app
