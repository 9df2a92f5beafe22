// The engine's names for the plan vocabulary (plan/plan.h): what handling one event decided.
// The event processor commits it in one transaction with marking the event done.
#pragma once

#include "planfix_flow/plan/plan.h"
#include "planfix_flow/storage/records.h"

namespace planfix_flow::engine {

using plan::Effect;
using plan::FlowChange;
using plan::Plan;
using plan::StoredEvent;
using plan::TimerAction;
using plan::TimerChange;
using storage::Job;

}  // namespace planfix_flow::engine
