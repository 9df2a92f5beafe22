// Plan: what handling one event decided, as plain data. The event processor commits it in
// one transaction with marking the event done. Plain value types; thread-compatible.
#pragma once

#include <string>
#include <vector>

#include "planfix_flow/storage/records.h"

namespace planfix_flow::engine {

using StoredEvent = storage::StoredEvent;
using Effect = storage::Effect;
using TimerAction = storage::TimerAction;
using TimerChange = storage::TimerChange;
using FlowChange = storage::FlowChange;
using Job = storage::Job;

struct Plan {
  std::vector<Effect> effects;
  std::vector<TimerChange> timers;
  std::vector<FlowChange> flows;
  std::string summary;  // one line for the log, e.g. "brief sent to contact 12"; no secrets
};

}  // namespace planfix_flow::engine
