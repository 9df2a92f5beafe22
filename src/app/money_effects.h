// The executor's handlers for the money effects the invoice rules plan (plan/effects.h):
// planfix.add_data_tag_entry, the income entry of a matched payment; and the look-up that
// keeps a monthly report task from being created twice. Registered by the App beside its other
// handlers; each runs on the executor's thread.
#pragma once

#include <optional>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {

void RegisterMoneyEffects(engine::EffectExecutor& executor, planfix::PlanfixClient& planfix);

// At start, after the overdue timers fired: with invoices.digest on and no digest timer pending
// (the first start, or the digest was off), an invoices.digest.schedule event sets it.
void ScheduleMoneyDigest(storage::Database& database, const config::Config& config,
                         core::TimePoint now);

// The task an earlier attempt of a create job made when its answer never came back (a timeout,
// a dropped connection, the process killed between Planfix's answer and the commit): a task of
// the same template and counterparty with exactly the same name (POST /task/list). nullopt:
// none, so creating is safe. Used for the report tasks, whose name holds the deal and month.
core::Result<std::optional<long long>> FindEarlierCreatedTask(planfix::PlanfixClient& planfix,
                                                              const planfix::TaskCreate& task);

}  // namespace planfix_flow::app
