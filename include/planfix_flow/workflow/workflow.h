// Workflow: the business rules. Handling an event is two steps: load the facts it needs
// (through FactSource, which does I/O) and call a pure Decide function that turns event +
// facts + config + now into a Plan. Decide functions never do I/O and are unit-tested as data.
// Workflow::Handle is called from the event processor's one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "planfix_flow/calendar/work_calendar.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/engine/event_handler.h"
#include "planfix_flow/templates/template_set.h"

namespace planfix_flow::workflow {

// What the rules need to know about a Planfix task.
struct TaskFacts {
  std::int64_t number = 0;
  std::string name;
};

// Reads current facts from the outside world. Errors (kNotFound included) are values.
class FactSource {
 public:
  virtual ~FactSource() = default;
  virtual core::Result<TaskFacts> GetTask(std::int64_t number) = 0;
};

// Everything a rule may read besides the event and its facts. Not owned.
struct RuleContext {
  const config::Config* config = nullptr;
  const templates::TemplateSet* templates = nullptr;
  const calendar::WorkCalendar* calendar = nullptr;
};

// Effect kinds the executor knows (see app/effects.h) and their JSON payloads.
inline constexpr char kEffectTelegramSend[] = "telegram.send_message";  // chat_id, text
inline constexpr char kEffectPlanfixComment[] = "planfix.add_comment";  // task, description

// The end-to-end check rule ("ping"): a Planfix "ping" event for task N tells the staff chat,
// comments on the task and sets a follow-up timer one working day later; the follow-up tells
// the staff chat once more. Pure.
core::Result<engine::Plan> DecidePing(const engine::StoredEvent& event, const TaskFacts& task,
                                      const RuleContext& context, core::TimePoint now);
core::Result<engine::Plan> DecidePingFollowUp(const engine::StoredEvent& event,
                                              const RuleContext& context);

class Workflow final : public engine::EventHandler {
 public:
  Workflow(RuleContext context, FactSource& facts);
  core::Result<engine::Plan> Handle(const engine::StoredEvent& event, core::TimePoint now) override;

 private:
  RuleContext context_;
  FactSource& facts_;
};

}  // namespace planfix_flow::workflow
