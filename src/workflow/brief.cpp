#include "planfix_flow/workflow/brief.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "planfix_flow/core/crypto.h"
#include "planfix_flow/core/url.h"
#include "planfix_flow/core/utf8.h"
#include "planfix_flow/planfix/custom_field_value.h"
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

constexpr std::size_t kCodeHexChars = 10;
constexpr std::size_t kTokenHexChars = 16;

// Distinct labels keep a brief code from ever being valid as a bind token and vice versa.
std::string Mac(std::string_view key, std::string_view label, std::int64_t task,
                std::int64_t contact, std::size_t chars) {
  return Hex(core::HmacSha256(key, fmt::format("planfix-flow {} v1:{}:{}", label, task, contact)),
             chars);
}

std::string ReminderTimerKey(std::int64_t task) {
  return fmt::format("brief.reminder:task:{}", task);
}
std::string EscalationTimerKey(std::int64_t task) {
  return fmt::format("brief.escalate:task:{}", task);
}
std::string ContactFlowKey(std::int64_t contact) {
  return fmt::format("brief.contact:{}", contact);
}
std::string BindFlowKey(std::string_view token) { return fmt::format("brief.bind:{}", token); }
std::string ResponseFlowKey(std::string_view response_id) {
  return fmt::format("brief.response:{}", response_id);
}

plan::TimerChange CancelTimer(std::string key) {
  plan::TimerChange change;
  change.action = plan::TimerAction::kCancel;
  change.key = std::move(key);
  return change;
}

plan::TimerChange SetTimer(std::string key, std::string kind, core::TimePoint due,
                           const json& payload) {
  plan::TimerChange change;
  change.action = plan::TimerAction::kSet;
  change.key = std::move(key);
  change.kind = std::move(kind);
  change.due_at = due;
  change.payload = payload.dump();
  return change;
}

plan::FlowChange BriefFlow(const BriefState& state, std::string flow_state) {
  return plan::FlowChange{BriefFlowKey(state.task), "brief",      state.task, state.contact,
                          std::move(flow_state),    ToJson(state)};
}

plan::FlowChange ContactFlow(const BriefState& state) {
  return plan::FlowChange{
      ContactFlowKey(state.contact),    "brief.contact", state.task, state.contact, "current",
      json{{"task", state.task}}.dump()};
}

// The state's brief code and form link under the current signing key.
void MintCode(BriefState& state, const RuleContext& context) {
  state.code = MakeBriefCode(detail::Keys(context).Signing(SigningPurpose::kBriefCode), state.task,
                             state.contact);
  state.form_url = BriefFormUrl(context.config->google, state.code);
}

detail::ClientReport ReportFor(const BriefState& state) {
  return detail::ClientReport{state.task, state.contact, state.client_name};
}

// The effects, timers and flows of sending the brief to state.chat_id now.
Result<plan::Plan> SendBrief(const plan::StoredEvent& event, BriefState state,
                             const RuleContext& context, core::TimePoint now, plan::Plan plan) {
  const auto& brief = context.config->brief;
  // Minted now, with the current key: a brief that waited for its Start across a key
  // rotation goes out with a code that stays valid.
  MintCode(state, context);
  const core::TimePoint deadline =
      context.calendar->AddWorkingDays(now, brief.deadline_working_days);
  const std::string deadline_text = context.calendar->FormatLocal(deadline);
  auto message = detail::RenderFor(context, state.language, "brief_request",
                                   {{"client_name", state.client_name},
                                    {"form_url", state.form_url},
                                    {"deadline", deadline_text}});
  if (!message) return Fail(message.error());
  auto comment = detail::Render(context, "comment_brief_sent",
                                {{"client_name", state.client_name},
                                 {"form_url", state.form_url},
                                 {"deadline", deadline_text}});
  if (!comment) return Fail(comment.error());

  plan.effects.push_back(
      detail::ClientMessage(*state.chat_id, *message, EventKey(event, "brief"), ReportFor(state)));
  plan.effects.push_back(detail::TaskComment(state.task, *comment, EventKey(event, "comment")));
  if (const auto status = context.config->planfix.statuses.brief_requested; status > 0)
    plan.effects.push_back(detail::TaskStatus(state.task, status, EventKey(event, "status")));

  // A later press restarts the deadline: Set replaces the timer of the same key.
  if (brief.max_reminders > 0) {
    plan.timers.push_back(SetTimer(ReminderTimerKey(state.task), kEventBriefReminder, deadline,
                                   json{{"task", state.task}, {"number", 1}}));
    plan.timers.push_back(CancelTimer(EscalationTimerKey(state.task)));
  } else {
    plan.timers.push_back(CancelTimer(ReminderTimerKey(state.task)));
    if (brief.escalate_to_staff) {
      plan.timers.push_back(SetTimer(EscalationTimerKey(state.task), kEventBriefEscalate, deadline,
                                     json{{"task", state.task}}));
    }
  }
  state.sent_at = now;
  state.deadline = deadline;
  state.reminders = 0;
  plan.flows.push_back(BriefFlow(state, "sent"));
  plan.flows.push_back(ContactFlow(state));
  plan.summary = fmt::format("brief for task {} sent to contact {} (deadline {})", state.task,
                             state.contact, core::FormatTime(deadline));
  return plan;
}

std::optional<core::TimePoint> OptionalTime(const json& object, const char* name) {
  const auto seconds = OptionalInt(object, name);
  if (!seconds) return std::nullopt;
  return core::FromUnixSeconds(*seconds);
}

void FlattenAnswer(const json& value, std::vector<std::string>& out) {
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_array()) {
    for (const auto& element : value) FlattenAnswer(element, out);
  }
}

std::string Join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

bool IsMultiValue(planfix::FieldType type) {
  return type == planfix::FieldType::kSetOfValues ||
         type == planfix::FieldType::kSetOfDirectoryValues ||
         type == planfix::FieldType::kListOfUsers;
}

// A Telegram error as a reason a PM understands (Ukrainian, the original after it).
std::string DeliveryReason(const std::string& error) {
  std::string lowered = error;
  std::transform(lowered.begin(), lowered.end(), lowered.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lowered.find("blocked") != std::string::npos)
    return "клієнт заблокував бота (the client blocked the bot)";
  if (lowered.find("chat not found") != std::string::npos ||
      lowered.find("can't initiate") != std::string::npos)
    return "бот не може написати в цей чат (the bot cannot reach this chat)";
  if (lowered.find("deactivated") != std::string::npos)
    return "обліковий запис клієнта видалено (the account is deleted)";
  return "повідомлення не доставлено (" + error + ")";
}

}  // namespace

// ---- Codes ----

std::string MakeBriefCode(std::string_view key, std::int64_t task, std::int64_t contact) {
  return fmt::format("{}-{}-{}", task, contact,
                     Mac(key, "brief code", task, contact, kCodeHexChars));
}

std::optional<BriefCodeRef> VerifyBriefCode(std::string_view key, std::string_view code) {
  const auto first = code.find('-');
  if (first == std::string_view::npos) return std::nullopt;
  const auto second = code.find('-', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  const auto task = ParsePositive(code.substr(0, first));
  const auto contact = ParsePositive(code.substr(first + 1, second - first - 1));
  const std::string_view mac = code.substr(second + 1);
  if (!task || !contact || mac.size() != kCodeHexChars) return std::nullopt;
  const std::string expected = Mac(key, "brief code", *task, *contact, kCodeHexChars);
  if (!core::SameBytes(expected, mac)) return std::nullopt;
  return BriefCodeRef{*task, *contact};
}

std::optional<BriefCodeRef> VerifyBriefCode(const SigningKeys& keys, core::TimePoint at,
                                            std::string_view code) {
  for (const auto key : keys.Verifying(SigningPurpose::kBriefCode, at)) {
    if (auto ref = VerifyBriefCode(key, code)) return ref;
  }
  return std::nullopt;
}

std::string MakeBindToken(std::string_view key, std::int64_t task, std::int64_t contact) {
  return fmt::format("b{}_{}", task, Mac(key, "bind token", task, contact, kTokenHexChars));
}

bool VerifyBindToken(const SigningKeys& keys, core::TimePoint at, std::string_view token,
                     std::int64_t task, std::int64_t contact) {
  for (const auto key : keys.Verifying(SigningPurpose::kDeepLink, at)) {
    const std::string expected = MakeBindToken(key, task, contact);
    if (core::SameBytes(expected, token)) return true;
  }
  return false;
}

std::string BriefFormUrl(const config::GoogleConfig& google, std::string_view code) {
  const char joiner = google.form_url.find('?') == std::string::npos ? '?' : '&';
  return fmt::format("{}{}usp=pp_url&{}={}", google.form_url, joiner, google.brief_code_entry,
                     core::UrlEncode(code));
}

planfix::FieldType CatalogueType(config::FieldType type) {
  switch (type) {
    case config::FieldType::kLine:
      return planfix::FieldType::kLine;
    case config::FieldType::kText:
      return planfix::FieldType::kText;
    case config::FieldType::kNumber:
      return planfix::FieldType::kNumber;
    case config::FieldType::kDate:
      return planfix::FieldType::kDate;
    case config::FieldType::kTime:
      return planfix::FieldType::kTime;
    case config::FieldType::kCheckbox:
      return planfix::FieldType::kCheckbox;
    case config::FieldType::kList:
      return planfix::FieldType::kList;
    case config::FieldType::kSetOfValues:
      return planfix::FieldType::kSetOfValues;
  }
  return planfix::FieldType::kText;
}

std::string BriefFlowKey(std::int64_t task) { return fmt::format("brief:task:{}", task); }

// ---- State ----

std::string ToJson(const BriefState& state) {
  json out{{"task", state.task},          {"task_name", state.task_name},
           {"contact", state.contact},    {"client_name", state.client_name},
           {"code", state.code},          {"form_url", state.form_url},
           {"reminders", state.reminders}};
  if (state.chat_id) out["chat_id"] = *state.chat_id;
  if (!state.bind_token.empty()) out["bind_token"] = state.bind_token;
  if (state.sent_at) out["sent_at"] = core::ToUnixSeconds(*state.sent_at);
  if (state.deadline) out["deadline"] = core::ToUnixSeconds(*state.deadline);
  if (!state.language.empty()) out["language"] = state.language;
  return out.dump();
}

Result<BriefState> ParseBriefState(std::string_view text) {
  const json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !OptionalInt(in, "task") || !OptionalInt(in, "contact"))
    return Fail(ErrorCode::kInvalidInput, "brief state is not an object with task and contact");
  BriefState state;
  state.task = *OptionalInt(in, "task");
  state.contact = *OptionalInt(in, "contact");
  state.task_name = in.value("task_name", "");
  state.client_name = in.value("client_name", "");
  state.chat_id = OptionalInt(in, "chat_id");
  state.code = in.value("code", "");
  state.form_url = in.value("form_url", "");
  state.bind_token = in.value("bind_token", "");
  state.sent_at = OptionalTime(in, "sent_at");
  state.deadline = OptionalTime(in, "deadline");
  state.reminders = static_cast<int>(OptionalInt(in, "reminders").value_or(0));
  state.language = in.value("language", "");
  return state;
}

// ---- Sending ----

Result<plan::Plan> DecideBriefSend(const plan::StoredEvent& event, const TaskFacts& task,
                                   const std::optional<ContactFacts>& contact,
                                   const RuleContext& context, core::TimePoint now) {
  plan::Plan plan;
  if (!contact) {
    auto comment = detail::Render(context, "comment_brief_no_client", {});
    if (!comment) return Fail(comment.error());
    plan.effects.push_back(detail::TaskComment(task.number, *comment, EventKey(event, "comment")));
    plan.summary = fmt::format("brief for task {} not sent: the task has no client", task.number);
    return plan;
  }
  BriefState state;
  state.task = task.number;
  state.task_name = task.name;
  state.contact = contact->id;
  state.client_name = contact->name;
  state.chat_id = contact->telegram_chat_id;
  state.language = detail::ClientLanguage(context, contact->language);
  MintCode(state, context);
  if (state.chat_id) return SendBrief(event, std::move(state), context, now, std::move(plan));

  // No chat yet: the PM passes the client a deep link; the client's Start binds the chat and
  // sends this brief (DecideBriefBind).
  state.bind_token = MakeBindToken(detail::Keys(context).Signing(SigningPurpose::kDeepLink),
                                   task.number, contact->id);
  const std::string deep_link = fmt::format(
      "https://t.me/{}?start={}", context.config->telegram.bot_username, state.bind_token);
  auto comment = detail::Render(context, "brief_bind_link",
                                {{"client_name", state.client_name}, {"deep_link", deep_link}});
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(detail::TaskComment(task.number, *comment, EventKey(event, "bind_link")));
  plan.timers.push_back(CancelTimer(ReminderTimerKey(task.number)));
  plan.timers.push_back(CancelTimer(EscalationTimerKey(task.number)));
  plan.flows.push_back(BriefFlow(state, "awaiting_bind"));
  plan.flows.push_back(ContactFlow(state));
  plan.flows.push_back(plan::FlowChange{BindFlowKey(state.bind_token), "brief.bind", task.number,
                                        contact->id, "waiting",
                                        json{{"task", task.number}}.dump()});
  plan.summary = fmt::format("brief for task {} waits for contact {} to bind Telegram", task.number,
                             contact->id);
  return plan;
}

Result<plan::Plan> DecideBriefBind(const plan::StoredEvent& event, const BriefState& waiting,
                                   std::int64_t chat_id, const RuleContext& context,
                                   core::TimePoint now) {
  plan::Plan plan;
  const auto field = context.config->planfix.contact_fields.telegram_chat_id;
  plan::PlanfixUpdateContact update;
  update.contact = waiting.contact;
  if (field > 0) {
    update.custom_fields.push_back(plan::ContactFieldValue{field, std::to_string(chat_id)});
  } else {
    update.telegram_id = std::to_string(chat_id);
  }
  plan.effects.push_back(plan::MakeEffect(update, "planfix", EventKey(event, "bind_contact")));
  plan.flows.push_back(plan::FlowChange{BindFlowKey(waiting.bind_token), "brief.bind", waiting.task,
                                        waiting.contact, "used",
                                        json{{"task", waiting.task}, {"chat_id", chat_id}}.dump()});
  BriefState state = waiting;
  state.chat_id = chat_id;
  return SendBrief(event, std::move(state), context, now, std::move(plan));
}

// ---- Receiving ----

bool IsBriefCodeTitle(std::string_view title, std::string_view configured) {
  const auto same = [](std::string_view a, std::string_view b) {
    const auto trim = [](std::string_view text) {
      while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
      while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
      return text;
    };
    a = trim(a);
    b = trim(b);
    return !a.empty() && a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  if (same(title, configured)) return true;
  for (std::size_t start = 0; start <= title.size();) {
    const std::size_t end = std::min(title.find(" / ", start), title.size());
    if (same(title.substr(start, end - start), configured)) return true;
    start = end + 3;
  }
  return false;
}

Result<Submission> ParseSubmission(std::string_view payload_json,
                                   std::string_view brief_code_question) {
  const json in = json::parse(payload_json, nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !in.contains("responseId") || !in["responseId"].is_string())
    return Fail(ErrorCode::kInvalidInput, "form submission without a responseId");
  Submission submission;
  submission.response_id = in["responseId"].get<std::string>();
  submission.timestamp = in.value("timestamp", "");
  submission.respondent_email = in.value("respondentEmail", "");
  submission.brief_code = in.value("briefCode", "");
  std::optional<std::string> configured_code;
  if (const auto answers = in.find("answers"); answers != in.end() && answers->is_array()) {
    for (const auto& answer : *answers) {
      if (!answer.is_object() || !answer.contains("title") || !answer["title"].is_string())
        continue;
      const std::string& title = answer["title"].get_ref<const std::string&>();
      std::vector<std::string> values;
      if (const auto value = answer.find("value"); value != answer.end())
        FlattenAnswer(*value, values);
      if (!brief_code_question.empty() && IsBriefCodeTitle(title, brief_code_question)) {
        if (!configured_code) {
          std::string_view code = values.empty() ? std::string_view() : values.front();
          while (!code.empty() && std::isspace(static_cast<unsigned char>(code.front())))
            code.remove_prefix(1);
          while (!code.empty() && std::isspace(static_cast<unsigned char>(code.back())))
            code.remove_suffix(1);
          configured_code = std::string(code);
        }
        continue;
      }
      auto& kept = submission.answers[title];
      kept.insert(kept.end(), values.begin(), values.end());
    }
  }
  // The config names the question; the script's own guess counts only without it.
  if (configured_code) submission.brief_code = *configured_code;
  return submission;
}

Result<json> EncodeBriefAnswer(const planfix::CustomFieldDefinition& field,
                               const std::vector<std::string>& values,
                               const planfix::CheckboxWords& words) {
  if (field.type == planfix::FieldType::kCheckbox) {
    auto checked = planfix::ParseCheckboxAnswer(Join(values, ", "), words);
    if (!checked) {
      return Fail(ErrorCode::kInvalidInput, fmt::format("field {} \"{}\": {}", field.id, field.name,
                                                        checked.error().message));
    }
    return planfix::EncodeCustomFieldValue(field, json(*checked));
  }
  const json input = IsMultiValue(field.type) ? json(values) : json(Join(values, ", "));
  return planfix::EncodeCustomFieldValue(field, input);
}

std::string AnswersSummary(const Submission& submission, std::size_t max_chars) {
  std::string out;
  for (const auto& [title, values] : submission.answers) {
    std::string line = fmt::format("{}: {}", title, Join(values, ", "));
    if (!out.empty()) out += "\n";
    out += line;
    if (out.size() > max_chars) {
      out.resize(core::Utf8Prefix(out, max_chars).size());
      out += "…";
      break;
    }
  }
  return out;
}

namespace {

// What the comment and the staff message about a filled brief say besides the fields.
struct FilledNotice {
  std::int64_t task = 0;
  std::string task_name;
  std::string client_name;
  std::string answers_summary;
};

json ToJson(const FilledNotice& notice) {
  return json{{"task", notice.task},
              {"task_name", notice.task_name},
              {"client_name", notice.client_name},
              {"answers_summary", notice.answers_summary}};
}

// The staff message and the task comment about a filled brief: `written` are the contact
// fields Planfix took, `problems` what it did not (and why).
core::Status AddFilledNotices(const plan::StoredEvent& event, const FilledNotice& notice,
                              const std::vector<std::string>& written,
                              const std::vector<std::string>& problems, const RuleContext& context,
                              plan::Plan& plan) {
  const std::string problems_text = Join(problems, "; ");
  auto staff = detail::Render(context, "brief_staff_filled",
                              {{"client_name", notice.client_name},
                               {"task_number", std::to_string(notice.task)},
                               {"task_name", notice.task_name},
                               {"task_url", detail::TaskUrl(context, notice.task)},
                               {"answers_summary", notice.answers_summary},
                               {"problems", problems_text}});
  if (!staff) return Fail(staff.error());
  auto comment = detail::Render(context, "comment_brief_received",
                                {{"client_name", notice.client_name},
                                 {"fields_updated", Join(written, ", ")},
                                 {"answers_summary", notice.answers_summary},
                                 {"problems", problems_text}});
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(detail::StaffMessage(context, *staff, EventKey(event, "staff")));
  plan.effects.push_back(detail::TaskComment(notice.task, *comment, EventKey(event, "comment")));
  return core::Ok();
}

// The id of the sent field a Planfix failure names: "customFieldData.<id>", a bare id, or the
// field's name (Planfix's naming is unverified, so any of them).
std::optional<std::int64_t> FailedFieldId(const std::string& failed, const json& fields) {
  std::size_t digits = failed.size();
  while (digits > 0 && failed[digits - 1] >= '0' && failed[digits - 1] <= '9') --digits;
  const auto id = ParsePositive(std::string_view(failed).substr(digits));
  for (const auto& field : fields) {
    if (id && OptionalInt(field, "id") == id) return id;
    if (field.value("name", "") == failed && !failed.empty()) return OptionalInt(field, "id");
  }
  return std::nullopt;
}

}  // namespace

Result<plan::Plan> DecideBriefFilled(const plan::StoredEvent& event, const Submission& submission,
                                     const MatchedSubmission& match, const RuleContext& context,
                                     core::TimePoint /*now*/) {
  const BriefState& brief = match.brief;
  plan::Plan plan;

  // Answers -> contact fields, by the catalogue's type; what does not convert is reported.
  std::vector<plan::ContactFieldValue> custom_fields;
  json sent = json::array();  // {id, name, question} of each field in custom_fields
  std::vector<std::string> problems;
  for (const auto& mapping : context.config->brief.answers) {
    const auto answer = submission.answers.find(mapping.question);
    if (answer == submission.answers.end() || answer->second.empty()) continue;
    const auto field = std::find_if(
        match.fields.begin(), match.fields.end(),
        [&](const planfix::CustomFieldDefinition& f) { return f.id == mapping.field_id; });
    if (field == match.fields.end()) {
      problems.push_back(fmt::format("«{}»: поле {} не знайдено в Planfix (field not found)",
                                     mapping.question, mapping.field_id));
      continue;
    }
    if (mapping.type && CatalogueType(*mapping.type) != field->type) {
      problems.push_back(fmt::format(
          "«{}» → «{}»: у Planfix це поле типу «{}», а в конфігурації — «{}»; перевірте "
          "field_id і type (type mismatch)",
          mapping.question, field->name, planfix::FieldTypeName(field->type),
          config::ToString(*mapping.type)));
      continue;
    }
    auto value = EncodeBriefAnswer(
        *field, answer->second, planfix::CheckboxWords{mapping.true_values, mapping.false_values});
    if (!value) {
      problems.push_back(
          fmt::format("«{}» → «{}»: {}", mapping.question, field->name, value.error().message));
      continue;
    }
    custom_fields.push_back(plan::ContactFieldValue{field->id, *value});
    sent.push_back({{"id", field->id},
                    {"name", field->name.empty() ? std::to_string(field->id) : field->name},
                    {"question", mapping.question}});
  }

  const FilledNotice notice{brief.task, brief.task_name, brief.client_name,
                            AnswersSummary(submission)};
  if (!custom_fields.empty()) {
    // The comment and the staff message wait for Planfix's answer (DecideBriefContactUpdated).
    json report = ToJson(notice);
    report["contact"] = brief.contact;
    report["fields"] = sent;
    report["problems"] = problems;
    plan::PlanfixUpdateContact update;
    update.contact = brief.contact;
    update.custom_fields = std::move(custom_fields);
    update.report = std::move(report);
    plan.effects.push_back(
        plan::MakeEffect(std::move(update), "planfix", EventKey(event, "contact_fields")));
  } else if (auto told = AddFilledNotices(event, notice, {}, problems, context, plan); !told) {
    return Fail(told.error());
  }

  const auto chat = match.contact.telegram_chat_id ? match.contact.telegram_chat_id : brief.chat_id;
  if (chat) {
    auto thanks =
        detail::RenderFor(context, detail::ClientLanguage(context, match.contact.language),
                          "brief_received", {{"client_name", brief.client_name}});
    if (!thanks) return Fail(thanks.error());
    plan.effects.push_back(
        detail::ClientMessage(*chat, *thanks, EventKey(event, "client"), ReportFor(brief)));
  }
  if (const auto status = context.config->planfix.statuses.brief_filled; status > 0)
    plan.effects.push_back(detail::TaskStatus(brief.task, status, EventKey(event, "status")));

  plan.timers.push_back(CancelTimer(ReminderTimerKey(brief.task)));
  plan.timers.push_back(CancelTimer(EscalationTimerKey(brief.task)));
  plan.flows.push_back(BriefFlow(brief, "filled"));
  plan.flows.push_back(plan::FlowChange{ResponseFlowKey(submission.response_id), "brief.response",
                                        brief.task, brief.contact, "processed",
                                        json{{"matched_by", match.matched_by},
                                             {"fields_sent", custom_fields.size()},
                                             {"problems", problems}}
                                            .dump()});
  plan.summary = fmt::format(
      "brief for task {} filled by contact {} (matched by {}, {} fields sent, {} problems)",
      brief.task, brief.contact, match.matched_by, custom_fields.size(), problems.size());
  return plan;
}

Result<plan::Plan> DecideBriefContactUpdated(const plan::StoredEvent& event,
                                             const RuleContext& context) {
  auto payload = detail::ParsePayload(event);
  if (!payload) return Fail(payload.error());
  const json job = payload->value("payload", json::object());
  const json report = job.is_object() ? job.value("report", json()) : json();
  plan::Plan plan;
  if (!report.is_object() || !OptionalInt(report, "task")) {
    plan.summary = "contact update without a report: nothing to tell";
    return plan;
  }
  FilledNotice notice;
  notice.task = *OptionalInt(report, "task");
  notice.task_name = report.value("task_name", "");
  notice.client_name = report.value("client_name", "");
  notice.answers_summary = report.value("answers_summary", "");
  const json fields = report.value("fields", json::array());
  std::vector<std::string> problems;
  for (const auto& problem : report.value("problems", json::array())) {
    if (problem.is_string()) problems.push_back(problem.get<std::string>());
  }
  const auto label = [](const json& field) {
    return fmt::format("«{}» → «{}»", field.value("question", ""), field.value("name", ""));
  };

  std::vector<std::string> written;
  const json result = payload->value("result", json());
  if (!result.is_object()) {
    // Dead: Planfix never took the update.
    std::vector<std::string> labels;
    for (const auto& field : fields) labels.push_back(label(field));
    problems.push_back(fmt::format("{}: Planfix не прийняв оновлення контакту (not written: {})",
                                   Join(labels, ", "), payload->value("error", "")));
  } else {
    std::map<std::int64_t, std::string> refused;
    std::vector<std::string> unnamed;
    for (const auto& failure : result.value("failures", json::array())) {
      const std::string name = failure.value("field", "");
      const std::string error = failure.value("error", "");
      if (const auto id = FailedFieldId(name, fields)) {
        refused[*id] = error;
      } else {
        unnamed.push_back(fmt::format("{}: {}", name, error));
      }
    }
    std::vector<std::string> unconfirmed;
    for (const auto& field : fields) {
      const auto id = OptionalInt(field, "id").value_or(0);
      if (const auto it = refused.find(id); it != refused.end()) {
        problems.push_back(
            fmt::format("{}: Planfix відмовив (refused: {})", label(field), it->second));
      } else if (!unnamed.empty()) {
        unconfirmed.push_back(label(field));
      } else {
        written.push_back(field.value("name", ""));
      }
    }
    if (!unnamed.empty()) {
      // A refusal Planfix did not tie to a field could concern any of them.
      problems.push_back(fmt::format("Planfix: {}; не підтверджено (not confirmed): {}",
                                     Join(unnamed, "; "), Join(unconfirmed, ", ")));
    }
  }
  if (auto told = AddFilledNotices(event, notice, written, problems, context, plan); !told) {
    return Fail(told.error());
  }
  plan.summary = fmt::format("brief contact update for task {}: {} fields written, {} problems",
                             notice.task, written.size(), problems.size());
  return plan;
}

Result<plan::Plan> DecideBriefUnmatched(const plan::StoredEvent& event,
                                        const Submission& submission, const RuleContext& context) {
  auto staff = detail::Render(context, "brief_unmatched",
                              {{"response_id", submission.response_id},
                               {"respondent_email", submission.respondent_email},
                               {"submitted_at", submission.timestamp},
                               {"answers_summary", AnswersSummary(submission)}});
  if (!staff) return Fail(staff.error());
  plan::Plan plan;
  plan.effects.push_back(detail::StaffMessage(context, *staff, EventKey(event, "staff")));
  plan.flows.push_back(plan::FlowChange{ResponseFlowKey(submission.response_id), "brief.response",
                                        std::nullopt, std::nullopt, "unmatched", event.payload});
  plan.summary =
      fmt::format("form response {} matched no brief; kept as unmatched", submission.response_id);
  return plan;
}

// ---- Reminding ----

Result<plan::Plan> DecideBriefReminder(const plan::StoredEvent& event,
                                       const std::optional<plan::Flow>& flow,
                                       const RuleContext& context, core::TimePoint now) {
  auto payload = detail::ParsePayload(event);
  if (!payload) return Fail(payload.error());
  auto task = detail::IdField(*payload, "task");
  if (!task) return Fail(task.error());
  const int number = payload->value("number", 1);
  plan::Plan plan;
  if (!flow || flow->state != "sent") {
    plan.summary = fmt::format("brief reminder {} for task {} skipped: the brief is {}", number,
                               *task, flow ? flow->state : "unknown");
    return plan;
  }
  auto state = ParseBriefState(flow->data);
  if (!state) return Fail(state.error());
  if (state->reminders >= number || !state->chat_id) {
    plan.summary =
        fmt::format("brief reminder {} for task {} skipped: already sent", number, *task);
    return plan;
  }
  const auto& brief = context.config->brief;
  const core::TimePoint send_at = context.calendar->NextWorkingMoment(now);
  const core::TimePoint next =
      context.calendar->AddWorkingDays(send_at, brief.reminder_interval_working_days);
  std::string next_text;
  if (number < brief.max_reminders) {
    plan.timers.push_back(SetTimer(ReminderTimerKey(*task), kEventBriefReminder, next,
                                   json{{"task", *task}, {"number", number + 1}}));
    next_text = context.calendar->FormatLocal(next);
  } else if (brief.escalate_to_staff) {
    plan.timers.push_back(
        SetTimer(EscalationTimerKey(*task), kEventBriefEscalate, next, json{{"task", *task}}));
    next_text = context.calendar->FormatLocal(next);
  }
  // The link again, minted with the current key (the first may predate a key rotation).
  MintCode(*state, context);
  auto message =
      detail::RenderFor(context, state->language, "brief_reminder",
                        {{"client_name", state->client_name}, {"form_url", state->form_url}});
  if (!message) return Fail(message.error());
  auto comment = detail::Render(context, "comment_brief_reminder_sent",
                                {{"client_name", state->client_name},
                                 {"reminder_number", std::to_string(number)},
                                 {"next_deadline", next_text}});
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(detail::ClientMessage(
      *state->chat_id, *message, EventKey(event, "reminder"), ReportFor(*state),
      send_at > now ? std::optional(send_at) : std::nullopt));
  auto comment_effect = detail::TaskComment(*task, *comment, EventKey(event, "comment"));
  comment_effect.not_before = send_at > now ? std::optional(send_at) : std::nullopt;
  plan.effects.push_back(std::move(comment_effect));
  state->reminders = number;
  plan.flows.push_back(BriefFlow(*state, "sent"));
  plan.summary =
      fmt::format("brief reminder {} for task {} to contact {}", number, *task, state->contact);
  return plan;
}

Result<plan::Plan> DecideBriefEscalation(const plan::StoredEvent& event,
                                         const std::optional<plan::Flow>& flow,
                                         const RuleContext& context) {
  auto payload = detail::ParsePayload(event);
  if (!payload) return Fail(payload.error());
  auto task = detail::IdField(*payload, "task");
  if (!task) return Fail(task.error());
  plan::Plan plan;
  if (!flow || flow->state != "sent") {
    plan.summary = fmt::format("brief escalation for task {} skipped: the brief is {}", *task,
                               flow ? flow->state : "unknown");
    return plan;
  }
  auto state = ParseBriefState(flow->data);
  if (!state) return Fail(state.error());
  auto text = detail::Render(
      context, "brief_escalation",
      {{"client_name", state->client_name},
       {"task_number", std::to_string(*task)},
       {"task_name", state->task_name},
       {"task_url", detail::TaskUrl(context, *task)},
       {"reminders_sent", state->reminders > 0 ? std::to_string(state->reminders) : ""},
       {"sent_at", state->sent_at ? context.calendar->FormatLocal(*state->sent_at) : ""}});
  if (!text) return Fail(text.error());
  plan.effects.push_back(detail::StaffMessage(context, *text, EventKey(event, "staff")));
  plan.effects.push_back(detail::TaskComment(*task, *text, EventKey(event, "comment")));
  plan.flows.push_back(BriefFlow(*state, "escalated"));
  plan.summary = fmt::format("brief for task {} escalated to the staff chat", *task);
  return plan;
}

Result<plan::Plan> DecideDeliveryFailed(const plan::StoredEvent& event,
                                        const std::optional<plan::Flow>& flow,
                                        const RuleContext& context) {
  auto payload = detail::ParsePayload(event);
  if (!payload) return Fail(payload.error());
  const json report = payload->value("report", json::object());
  plan::Plan plan;
  if (!report.is_object() || !report.contains("task")) {
    plan.summary = "undeliverable message without a report: nothing to tell";
    return plan;
  }
  auto task = detail::IdField(report, "task");
  if (!task) return Fail(task.error());
  const std::string client_name = report.value("client_name", "");
  const std::string reason = DeliveryReason(payload->value("error", ""));
  auto staff = detail::Render(context, "staff_unreachable_client",
                              {{"client_name", client_name},
                               {"task_number", std::to_string(*task)},
                               {"task_url", detail::TaskUrl(context, *task)},
                               {"reason", reason}});
  if (!staff) return Fail(staff.error());
  auto comment = detail::Render(context, "comment_delivery_failed",
                                {{"client_name", client_name}, {"reason", reason}});
  if (!comment) return Fail(comment.error());
  plan.effects.push_back(detail::StaffMessage(context, *staff, EventKey(event, "staff")));
  plan.effects.push_back(detail::TaskComment(*task, *comment, EventKey(event, "comment")));
  // Reminders to a chat that cannot be reached would only fail again.
  if (flow && flow->state == "sent") {
    auto state = ParseBriefState(flow->data);
    if (state) {
      plan.timers.push_back(CancelTimer(ReminderTimerKey(*task)));
      plan.timers.push_back(CancelTimer(EscalationTimerKey(*task)));
      plan.flows.push_back(BriefFlow(*state, "unreachable"));
    }
  }
  plan.summary = fmt::format("client of task {} unreachable in Telegram; staff told", *task);
  return plan;
}

}  // namespace planfix_flow::workflow
