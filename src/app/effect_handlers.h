// The effects the service performs: one handler per effect kind of plan/effects.h, registered
// with the executor, and how a job's end is told back to the workflow.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/telegram/telegram_client.h"

namespace planfix_flow::app {

struct EffectServices {
  planfix::PlanfixClient* planfix = nullptr;
  telegram::TelegramClient* telegram = nullptr;
  storage::Database* database = nullptr;  // the chat migrations
  // Telegram answered a send to `from` with "migrated to `to`"; called before the resend.
  std::function<void(telegram::ChatId from, telegram::ChatId to)> note_migration;
};

// Each handler decodes its kind's typed payload (plan/effects.h) strictly: a job whose
// payload lacks a field or has one of the wrong type is dead at once (kPermanent). The
// services must outlive the executor.
void RegisterEffectHandlers(engine::EffectExecutor& executor, const EffectServices& services);

// How a job's end reaches the workflow, as an internal event stored with the outcome:
// a client message that went dead (effect.failed: the staff chat and the task are told
// instead of the failure staying in the dead-letter list only), a created task (task.created:
// the deal links it, its number known only now) and a brief's contact update
// (contact.updated: the comment and the staff message say what Planfix took and refused).
// Nothing for every other job.
std::optional<storage::NewEvent> JobOutcomeEvent(const engine::Job& job,
                                                 const core::Result<std::string>& outcome,
                                                 core::TimePoint now);

}  // namespace planfix_flow::app
