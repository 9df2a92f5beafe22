// The approval flow (DESIGN.md, "Stage notifications and approval"): when a task reaches the
// "awaiting approval" status the client gets the request in Telegram with two signed inline
// buttons; a press moves the task to approved / rework, comments on it and edits the message;
// after "request changes" the client's next text message becomes a task comment. Every
// Decide function is pure: event + facts + context (+ now) -> Plan.
//
// Flow rows it keeps (storage "flows"):
//   approval:task:<N>       the latest approval request of task N; state waiting | approved |
//                           rework | unreachable; data below (ApprovalState)
//   rework.wait:chat:<id>   after "request changes" in the client's chat: the next text
//                           message there is the client's list of changes; state waiting |
//                           captured; data {task, nonce, client_name, task_name}
//
// Presses that change nothing (forged or malformed data, a stale button, a second press, a
// chat that may not decide) are answered with one short neutral text, so the client's spinner
// stops, and the reason goes to the log (the plan summary); Planfix is never touched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/telegram/types.h"
#include "planfix_flow/workflow/signing.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::workflow {

// Planfix posts it when a task's status changes: {event, task, status} (ids).
inline constexpr char kEventTaskStatusChanged[] = "task.status_changed";

// ---- Signed callback data ----

enum class ApprovalChoice { kApprove, kRework };

// "ap:<task>:<nonce>:<a|r>:<16 hex>", at most 59 bytes (Telegram allows 64). The nonce ties
// the button to one request (the event id of the status change), so a button of an earlier
// request is stale even for the same task.
std::string MakeApprovalCallbackData(std::string_view key, std::int64_t task, std::int64_t nonce,
                                     ApprovalChoice choice);

struct ApprovalCallbackRef {
  std::int64_t task = 0;
  std::int64_t nonce = 0;
  ApprovalChoice choice = ApprovalChoice::kApprove;
};
// The reference of valid data (constant-time MAC check); nullopt for anything else. `key` is
// SigningKeys' kApproval key.
std::optional<ApprovalCallbackRef> VerifyApprovalCallbackData(std::string_view key,
                                                              std::string_view data);
// The same under every key SigningKeys accepts for a press that came in at `at`.
std::optional<ApprovalCallbackRef> VerifyApprovalCallbackData(const SigningKeys& keys,
                                                              core::TimePoint at,
                                                              std::string_view data);

// ---- Stored state (data of approval:task:<N>) ----

struct ApprovalState {
  std::int64_t task = 0;
  std::string task_name;
  std::int64_t contact = 0;  // 0 when the task has no client
  std::string client_name;
  std::optional<std::int64_t> chat;
  std::int64_t nonce = 0;
  std::string decided_by;  // set once decided
  std::string language;    // of the client's messages (detail::ClientLanguage); empty: default
};
std::string ToJson(const ApprovalState& state);
core::Result<ApprovalState> ParseApprovalState(std::string_view json);

std::string ApprovalFlowKey(std::int64_t task);
std::string ReworkWaitFlowKey(std::int64_t chat);

// ---- Decisions ----

// task.status_changed to awaiting_approval: `contact` is the task's client, nullopt when the
// task has none.
core::Result<plan::Plan> DecideApprovalRequest(const plan::StoredEvent& event,
                                               const TaskFacts& task,
                                               const std::optional<ContactFacts>& contact,
                                               const RuleContext& context);

// A press of an approval button. `flow` is approval:task:<N> for the task the data names
// (nullopt when the data is invalid or there is no flow); `task_status` the task's current
// status in Planfix (nullopt when unknown, e.g. the task was deleted).
core::Result<plan::Plan> DecideApprovalPress(const plan::StoredEvent& event,
                                             const telegram::CallbackQuery& query,
                                             const std::optional<plan::Flow>& flow,
                                             std::optional<std::int64_t> task_status,
                                             const RuleContext& context);

// A text message in a chat with a waiting rework.wait flow: `approval` is the task's
// approval:task:<N> flow. The text becomes a task comment once; the client is thanked.
core::Result<plan::Plan> DecideReworkMessage(const plan::StoredEvent& event,
                                             const telegram::Message& message,
                                             const plan::Flow& wait,
                                             const std::optional<plan::Flow>& approval,
                                             const RuleContext& context);

}  // namespace planfix_flow::workflow
