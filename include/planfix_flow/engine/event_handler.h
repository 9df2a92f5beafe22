// The engine's name for the workflow's entry point (plan/event_handler.h).
#pragma once

#include "planfix_flow/engine/plan.h"
#include "planfix_flow/plan/event_handler.h"

namespace planfix_flow::engine {

using plan::EventHandler;

}  // namespace planfix_flow::engine
