#include "planfix_flow/workflow/approval.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/crypto.h"
#include "planfix_flow/core/utf8.h"
#include "rule_support.h"

namespace planfix_flow::workflow {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

using detail::EventKey;
using detail::Hex;
using detail::OptionalInt;
using detail::ParsePositive;

namespace {

constexpr std::string_view kDataPrefix = "ap:";
constexpr std::size_t kMacHexChars = 16;
constexpr std::size_t kMaxDataBytes = 64;  // Telegram's limit on callback_data
// What a client's message may add to the thank-you echo (the whole text goes to the task).
constexpr std::size_t kMaxEchoBytes = 1000;

constexpr char kWaiting[] = "waiting";
constexpr char kApproved[] = "approved";
constexpr char kRework[] = "rework";
constexpr char kUnreachable[] = "unreachable";
constexpr char kCaptured[] = "captured";
constexpr char kExpired[] = "expired";

char ChoiceLetter(ApprovalChoice choice) { return choice == ApprovalChoice::kApprove ? 'a' : 'r'; }

std::string Mac(std::string_view key, std::int64_t task, std::int64_t nonce, char choice) {
  return Hex(
      core::HmacSha256(key, fmt::format("planfix-flow approval v1:{}:{}:{}", task, nonce, choice)),
      kMacHexChars);
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ' || text.back() == '\r'))
    text.pop_back();
  return text;
}

// Cut at a UTF-8 character boundary.
std::string Truncate(std::string text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  text.resize(core::Utf8Prefix(text, max_bytes).size());
  return text + "…";
}

// "First Last (@username)": who pressed, as the task comment and the edited message show it.
std::string DisplayName(const telegram::User& user) {
  std::string name = user.first_name;
  if (!user.last_name.empty()) name += (name.empty() ? "" : " ") + user.last_name;
  if (!user.username.empty())
    name += (name.empty() ? "@" : " (@") + user.username + (name.empty() ? "" : ")");
  if (name.empty()) name = fmt::format("id {}", user.id);
  return name;
}

plan::FlowChange ApprovalFlow(const ApprovalState& state, std::string flow_state) {
  return plan::FlowChange{
      ApprovalFlowKey(state.task),
      "approval",
      state.task,
      state.contact > 0 ? std::optional<std::int64_t>(state.contact) : std::nullopt,
      std::move(flow_state),
      ToJson(state)};
}

plan::Effect AnswerCallback(const plan::StoredEvent& event, const std::string& query_id,
                            const std::string& text) {
  return plan::MakeEffect(plan::TelegramAnswerCallback{query_id, text}, "telegram:callback",
                          EventKey(event, "approval_answer"));
}

// Answers a press that changes nothing with the neutral text (in `language`, the client's when
// the press is known to come from the client's chat); the reason is the summary.
Result<plan::Plan> RefusePress(const plan::StoredEvent& event, const telegram::CallbackQuery& query,
                               const RuleContext& context, const std::string& reason,
                               std::string_view language = {}) {
  plan::Plan plan;
  if (!query.id.empty()) {
    auto text = detail::RenderFor(context, language, "approval_button_inactive", {});
    if (!text) return Fail(text.error());
    plan.effects.push_back(AnswerCallback(event, query.id, Trimmed(*text)));
  }
  plan.summary = fmt::format("approval press refused: {} (chat {}, user {})", reason,
                             query.message ? query.message->chat.id : 0, query.from.id);
  return plan;
}

}  // namespace

// ---- Callback data ----

std::string MakeApprovalCallbackData(std::string_view key, std::int64_t task, std::int64_t nonce,
                                     ApprovalChoice choice) {
  const char letter = ChoiceLetter(choice);
  return fmt::format("{}{}:{}:{}:{}", kDataPrefix, task, nonce, letter,
                     Mac(key, task, nonce, letter));
}

std::optional<ApprovalCallbackRef> VerifyApprovalCallbackData(std::string_view key,
                                                              std::string_view data) {
  if (data.size() > kMaxDataBytes || !data.starts_with(kDataPrefix)) return std::nullopt;
  data.remove_prefix(kDataPrefix.size());
  std::string_view parts[4];
  for (int i = 0; i < 3; ++i) {
    const auto colon = data.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    parts[i] = data.substr(0, colon);
    data.remove_prefix(colon + 1);
  }
  parts[3] = data;
  const auto task = ParsePositive(parts[0]);
  const auto nonce = ParsePositive(parts[1]);
  if (!task || !nonce || parts[2].size() != 1 || (parts[2][0] != 'a' && parts[2][0] != 'r') ||
      parts[3].size() != kMacHexChars)
    return std::nullopt;
  const std::string expected = Mac(key, *task, *nonce, parts[2][0]);
  if (!core::SameBytes(expected, parts[3])) return std::nullopt;
  return ApprovalCallbackRef{
      *task, *nonce, parts[2][0] == 'a' ? ApprovalChoice::kApprove : ApprovalChoice::kRework};
}

std::optional<ApprovalCallbackRef> VerifyApprovalCallbackData(const SigningKeys& keys,
                                                              core::TimePoint at,
                                                              std::string_view data) {
  for (const auto key : keys.Verifying(SigningPurpose::kApproval, at)) {
    if (auto ref = VerifyApprovalCallbackData(key, data)) return ref;
  }
  return std::nullopt;
}

// ---- State ----

std::string ToJson(const ApprovalState& state) {
  json out{{"task", state.task},
           {"task_name", state.task_name},
           {"contact", state.contact},
           {"client_name", state.client_name},
           {"nonce", state.nonce}};
  if (state.chat) out["chat"] = *state.chat;
  if (!state.decided_by.empty()) out["decided_by"] = state.decided_by;
  if (!state.language.empty()) out["language"] = state.language;
  return out.dump();
}

Result<ApprovalState> ParseApprovalState(std::string_view text) {
  const json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !OptionalInt(in, "task") || !OptionalInt(in, "nonce"))
    return Fail(ErrorCode::kInvalidInput, "approval state is not an object with task and nonce");
  ApprovalState state;
  state.task = *OptionalInt(in, "task");
  state.nonce = *OptionalInt(in, "nonce");
  state.task_name = in.value("task_name", "");
  state.contact = OptionalInt(in, "contact").value_or(0);
  state.client_name = in.value("client_name", "");
  state.chat = OptionalInt(in, "chat");
  state.decided_by = in.value("decided_by", "");
  state.language = in.value("language", "");
  return state;
}

std::string ApprovalFlowKey(std::int64_t task) { return fmt::format("approval:task:{}", task); }
std::string ReworkWaitFlowKey(std::int64_t chat) {
  return fmt::format("rework.wait:chat:{}", chat);
}

// ---- Decisions ----

Result<plan::Plan> DecideApprovalRequest(const plan::StoredEvent& event, const TaskFacts& task,
                                         const std::optional<ContactFacts>& contact,
                                         const RuleContext& context) {
  ApprovalState state;
  state.task = task.number;
  state.task_name = task.name;
  state.nonce = event.id;
  if (contact) {
    state.contact = contact->id;
    state.client_name = contact->name;
    state.chat = contact->telegram_chat_id;
    state.language = detail::ClientLanguage(context, contact->language);
  }
  plan::Plan plan;
  if (!state.chat) {
    // Recorded all the same: the new nonce makes any earlier button of this task stale.
    auto comment =
        detail::Render(context, "comment_approval_no_chat", {{"client_name", state.client_name}});
    if (!comment) return Fail(comment.error());
    const std::string reason =
        contact ? "немає прив'язаного Telegram-чату, запит на погодження не надіслано (no "
                  "Telegram chat is bound; the approval request was not sent)"
                : "у задачі не вказано клієнта, запит на погодження не надіслано (the task has "
                  "no client; the approval request was not sent)";
    auto staff =
        detail::Render(context, "staff_unreachable_client",
                       {{"client_name", state.client_name.empty() ? "—" : state.client_name},
                        {"task_number", std::to_string(task.number)},
                        {"task_url", detail::TaskUrl(context, task.number)},
                        {"reason", reason}});
    if (!staff) return Fail(staff.error());
    plan.effects.push_back(
        detail::TaskComment(task.number, *comment, EventKey(event, "approval_comment")));
    plan.effects.push_back(
        detail::StaffMessage(context, *staff, EventKey(event, "approval_unreachable")));
    plan.flows.push_back(ApprovalFlow(state, kUnreachable));
    plan.summary = fmt::format("approval of task {} not requested: {}", task.number,
                               contact ? "the client has no Telegram chat" : "no client");
    return plan;
  }

  auto text = detail::RenderFor(context, state.language, "approval_request",
                                {{"client_name", state.client_name},
                                 {"task_name", state.task_name},
                                 {"stage_name", ""},
                                 {"result_url", ""}});
  if (!text) return Fail(text.error());
  auto approve = detail::RenderFor(context, state.language, "approval_button_approve", {});
  if (!approve) return Fail(approve.error());
  auto rework = detail::RenderFor(context, state.language, "approval_button_rework", {});
  if (!rework) return Fail(rework.error());
  auto comment =
      detail::Render(context, "comment_approval_requested", {{"client_name", state.client_name}});
  if (!comment) return Fail(comment.error());

  const std::string& key = detail::Keys(context).Signing(SigningPurpose::kApproval);
  plan::Keyboard keyboard{
      {plan::KeyboardButton{
           Trimmed(*approve),
           MakeApprovalCallbackData(key, state.task, state.nonce, ApprovalChoice::kApprove),
           {}},
       plan::KeyboardButton{
           Trimmed(*rework),
           MakeApprovalCallbackData(key, state.task, state.nonce, ApprovalChoice::kRework),
           {}}}};
  plan.effects.push_back(
      detail::ClientMessage(*state.chat, *text, EventKey(event, "approval_request"),
                            detail::ClientReport{state.task, state.contact, state.client_name},
                            std::nullopt, std::move(keyboard)));
  plan.effects.push_back(
      detail::TaskComment(task.number, *comment, EventKey(event, "approval_comment")));
  plan.flows.push_back(ApprovalFlow(state, kWaiting));
  plan.summary = fmt::format("approval of task {} requested from contact {} (nonce {})",
                             task.number, state.contact, state.nonce);
  return plan;
}

Result<plan::Plan> DecideApprovalPress(const plan::StoredEvent& event,
                                       const telegram::CallbackQuery& query,
                                       const std::optional<plan::Flow>& flow,
                                       std::optional<std::int64_t> task_status,
                                       const RuleContext& context) {
  const auto& config = *context.config;
  const auto ref = VerifyApprovalCallbackData(detail::Keys(context), event.received_at, query.data);
  if (!ref) {
    return RefusePress(event, query, context,
                       "callback data not signed by a current key (forged, malformed, or "
                       "signed with a retired key)");
  }
  if (!query.message) return RefusePress(event, query, context, "the press has no message");
  if (!flow) {
    return RefusePress(event, query, context,
                       fmt::format("no approval request for task {}", ref->task));
  }
  auto parsed = ParseApprovalState(flow->data);
  if (!parsed) return RefusePress(event, query, context, parsed.error().message);
  ApprovalState state = std::move(*parsed);
  const std::int64_t chat = query.message->chat.id;
  const bool from_client = state.chat && chat == *state.chat;
  // Whoever is answered in the client's chat reads the client's language; the staff chat
  // reads the default one.
  const std::string language = from_client ? state.language : std::string();
  if (state.task != ref->task || state.nonce != ref->nonce) {
    return RefusePress(event, query, context,
                       fmt::format("stale button: task {} nonce {}, the request has nonce {}",
                                   ref->task, ref->nonce, state.nonce),
                       language);
  }
  if (flow->state != kWaiting) {
    return RefusePress(
        event, query, context,
        fmt::format("task {} is no longer waiting (state {})", state.task, flow->state), language);
  }
  // The staff group may have become a supergroup since the config was written.
  const bool from_staff = config.telegram.staff_chat_id != 0 &&
                          (chat == config.telegram.staff_chat_id || chat == StaffChatId(context));
  if (!from_client && !from_staff) {
    return RefusePress(event, query, context,
                       fmt::format("this chat may not decide on task {}", state.task));
  }
  const auto& statuses = config.planfix.statuses;
  if (task_status != statuses.awaiting_approval) {
    return RefusePress(event, query, context,
                       fmt::format("task {} moved on (status {})", state.task,
                                   task_status ? std::to_string(*task_status) : "unknown"),
                       language);
  }

  const bool approved = ref->choice == ApprovalChoice::kApprove;
  const std::string flag = approved ? "1" : "";
  state.decided_by = DisplayName(query.from);
  auto answer = detail::RenderFor(context, language, "approval_answer", {{"approved", flag}});
  if (!answer) return Fail(answer.error());
  auto decided = detail::RenderFor(context, language, "approval_decided",
                                   {{"client_name", state.client_name},
                                    {"task_name", state.task_name},
                                    {"approved", flag},
                                    {"comment", ""}});
  if (!decided) return Fail(decided.error());
  auto by = detail::RenderFor(context, language, "approval_decided_by",
                              {{"approved", flag},
                               {"decided_by", state.decided_by},
                               {"ask_for_changes", from_client && !approved ? "1" : ""}});
  if (!by) return Fail(by.error());
  auto comment = detail::Render(
      context, "comment_approval_decided",
      {{"client_name", state.client_name}, {"approved", flag}, {"decided_by", state.decided_by}});
  if (!comment) return Fail(comment.error());

  plan::Plan plan;
  plan.effects.push_back(AnswerCallback(event, query.id, Trimmed(*answer)));
  plan.effects.push_back(
      plan::MakeEffect(plan::TelegramEditMessage{chat, query.message->message_id,
                                                 Trimmed(*decided) + "\n\n" + Trimmed(*by)},
                       fmt::format("telegram:chat:{}", chat), EventKey(event, "approval_edit")));
  const std::int64_t status = approved ? statuses.approved : statuses.rework;
  if (status > 0)
    plan.effects.push_back(detail::TaskStatus(state.task, status, EventKey(event, "status")));
  plan.effects.push_back(
      detail::TaskComment(state.task, *comment, EventKey(event, "approval_decided")));
  plan.flows.push_back(ApprovalFlow(state, approved ? kApproved : kRework));
  if (!approved && from_client) {
    plan.flows.push_back(plan::FlowChange{ReworkWaitFlowKey(chat), "rework.wait", state.task,
                                          std::nullopt, kWaiting,
                                          json{{"task", state.task},
                                               {"nonce", state.nonce},
                                               {"client_name", state.client_name},
                                               {"task_name", state.task_name}}
                                              .dump()});
  }
  plan.summary = fmt::format("approval of task {}: {} by {} in chat {}", state.task,
                             approved ? "approved" : "changes requested", state.decided_by, chat);
  return plan;
}

Result<plan::Plan> DecideReworkMessage(const plan::StoredEvent& event,
                                       const telegram::Message& message, const plan::Flow& wait,
                                       const std::optional<plan::Flow>& approval,
                                       const RuleContext& context) {
  plan::Plan plan;
  const json data = json::parse(wait.data, nullptr, /*allow_exceptions=*/false);
  const auto task = data.is_object() ? OptionalInt(data, "task") : std::nullopt;
  const auto nonce = data.is_object() ? OptionalInt(data, "nonce") : std::nullopt;
  if (wait.state != kWaiting || !task || !nonce) {
    plan.summary = "ignored: no changes are awaited in this chat";
    return plan;
  }
  std::optional<ApprovalState> state;
  if (approval && approval->state == kRework) {
    if (auto parsed = ParseApprovalState(approval->data)) state = std::move(*parsed);
  }
  if (!state || state->nonce != *nonce) {
    // A newer request (or a decision made elsewhere) replaced the one this wait belongs to.
    plan.flows.push_back(
        plan::FlowChange{wait.key, wait.kind, std::nullopt, std::nullopt, kExpired, wait.data});
    plan.summary = fmt::format("rework wait for task {} expired: the request changed", *task);
    return plan;
  }
  const std::string text = message.text;
  if (text.empty()) {
    plan.summary = "ignored: a message without text while changes are awaited";
    return plan;
  }
  auto comment = detail::Render(context, "comment_approval_rework_message",
                                {{"client_name", state->client_name}, {"message", text}});
  if (!comment) return Fail(comment.error());
  auto thanks = detail::RenderFor(context, state->language, "approval_decided",
                                  {{"client_name", state->client_name},
                                   {"task_name", state->task_name},
                                   {"approved", ""},
                                   {"comment", Truncate(text, kMaxEchoBytes)}});
  if (!thanks) return Fail(thanks.error());
  plan.effects.push_back(
      detail::TaskComment(state->task, *comment, EventKey(event, "rework_comment")));
  plan.effects.push_back(
      detail::ClientMessage(message.chat.id, *thanks, EventKey(event, "rework_thanks"),
                            detail::ClientReport{state->task, state->contact, state->client_name}));
  json captured = data;
  captured["event"] = event.id;
  plan.flows.push_back(plan::FlowChange{wait.key, wait.kind, std::nullopt, std::nullopt, kCaptured,
                                        captured.dump()});
  plan.summary = fmt::format("client's changes for task {} added as a comment", state->task);
  return plan;
}

}  // namespace planfix_flow::workflow
