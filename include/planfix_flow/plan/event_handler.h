// EventHandler: the workflow's entry point. It loads the facts an event needs, then calls its
// pure rules to build a Plan. Called from the event processor's single thread.
#pragma once

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"

namespace planfix_flow::plan {

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // An error (or an exception) leaves the event pending for a later attempt with backoff;
  // after the processor's max attempts it is dead. An event the workflow does not care
  // about should return an empty Plan, not an error.
  virtual core::Result<Plan> Handle(const StoredEvent& event, core::TimePoint now) = 0;
};

}  // namespace planfix_flow::plan
