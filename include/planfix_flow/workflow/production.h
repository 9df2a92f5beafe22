// The production path (DESIGN.md steps 1 and 3, and the stage messages of step 4): the sales →
// production handoff check, the production gate and stage notifications. All three start from
// a task.status_changed event (or a deal.handoff button); every Decide function is pure.
//
// Flow rows it keeps (storage "flows"):
//   task.status:<N>    the last status the service saw for task N ({status, previous}), so a
//                      refused gate can send the task back where it came from
//   handoff:task:<N>   the deal's handoff; state rejected | handed_over; data {missing} or
//                      {communication_task}
//   gate:task:<N>      the production gate; state refused | passed
//   stage:task:<N>     the last stage message sent ({status}), so a repeated webhook for the
//                      same status sends nothing
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::workflow {

inline constexpr char kEventStatusChanged[] = "task.status_changed";
inline constexpr char kEventDealHandoff[] = "deal.handoff";

// What the deal (and its client) lacks for production, as labels for the comment, in the
// order the config lists them. Empty: complete.
std::vector<std::string> MissingForHandoff(const TaskFacts& deal,
                                           const std::optional<ContactFacts>& client,
                                           const RuleContext& context);

// A deal moved to "handed to production" (or the handoff button): incomplete → back to the
// configured status with a comment for the sales manager naming what is missing; complete →
// the PM's Communication task is created (planfix.create_task).
core::Result<plan::Plan> DecideHandoff(const plan::StoredEvent& event, const TaskFacts& deal,
                                       const std::optional<ContactFacts>& client,
                                       const RuleContext& context);

// The Communication task exists (task.created): the deal gets a comment linking to it.
core::Result<plan::Plan> DecideHandoffCreated(const plan::StoredEvent& event,
                                              const RuleContext& context);

// What may not start yet: payment, access, the brief. Empty: the gate opens.
struct GateFacts {
  bool brief_filled = false;
  // The status the task had before "in production", when the service saw it.
  std::optional<std::int64_t> previous_status;
};
std::vector<std::string> MissingForProduction(const TaskFacts& task, const GateFacts& gate,
                                              const RuleContext& context);

// A task moved to "in production": refused → back to the previous status (or the configured
// one) with a comment listing what is missing; passed → the client is told work started.
core::Result<plan::Plan> DecideGate(const plan::StoredEvent& event, const TaskFacts& task,
                                    const std::optional<ContactFacts>& client,
                                    const GateFacts& gate, const RuleContext& context);

// A task reached a status with a configured stage message. `last_notified` is the status of
// the last stage message for this task (none when never).
core::Result<plan::Plan> DecideStage(const plan::StoredEvent& event, const TaskFacts& task,
                                     const std::optional<ContactFacts>& client,
                                     const config::StageNotice& stage,
                                     std::optional<std::int64_t> last_notified,
                                     const RuleContext& context);

// Records the status the task is now in (the flow task.status:<N>).
plan::FlowChange StatusSeen(std::int64_t task, std::int64_t status,
                            std::optional<std::int64_t> previous);

}  // namespace planfix_flow::workflow
