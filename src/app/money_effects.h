// The executor's handlers for the money effects the invoice rules plan (plan/effects.h):
// planfix.add_data_tag_entry, the income entry of a matched payment. Registered by the App
// beside its other handlers; each runs on the executor's thread.
#pragma once

#include "planfix_flow/engine/effect_executor.h"
#include "planfix_flow/planfix/planfix_client.h"

namespace planfix_flow::app {

void RegisterMoneyEffects(engine::EffectExecutor& executor, planfix::PlanfixClient& planfix);

}  // namespace planfix_flow::app
