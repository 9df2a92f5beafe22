// The brief flow (DESIGN.md, "Initialization / data request"): a Planfix button sends the
// client a Google Form link in Telegram (or, without a chat, gives the PM a deep link that
// binds one), the submitted answers land in the client's Contact fields, and reminders go
// out after the configured working days, then an escalation. Every Decide function is pure:
// event + facts + context + now -> Plan.
//
// Flow rows it keeps (storage "flows"):
//   brief:task:<N>          the brief of task N; state awaiting_bind | sent | filled |
//                           escalated | unreachable; data below (BriefState)
//   brief.contact:<id>      the contact's latest brief task (matching by e-mail / phone)
//   brief.bind:<token>      a deep-link token waiting for the client's Start; state
//                           waiting | used
//   brief.response:<id>     a form response already handled (webhook and reconciliation
//                           deliver it once between them); state processed | unmatched
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/planfix/custom_field_value.h"
#include "planfix_flow/planfix/planfix_types.h"
#include "planfix_flow/workflow/signing.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::workflow {

// Event kinds of the brief flow.
inline constexpr char kEventBriefSend[] = "brief.send";          // Planfix button
inline constexpr char kEventFormSubmitted[] = "form.submitted";  // Apps Script or reconciliation
inline constexpr char kEventTelegramUpdate[] = "telegram.update";
inline constexpr char kEventBriefReminder[] = "brief.reminder";  // timer
inline constexpr char kEventBriefEscalate[] = "brief.escalate";  // timer

// ---- Brief codes and deep-link tokens ----

// The keys are the purpose keys of SigningKeys (kBriefCode, kDeepLink), never a secret
// another party holds: whoever has the key can mint codes and tokens.

// "<task>-<contact>-<10 hex>": an HMAC of task and contact under `key`, pre-filled into the
// form so a response names its task and contact and cannot be forged.
std::string MakeBriefCode(std::string_view key, std::int64_t task, std::int64_t contact);

struct BriefCodeRef {
  std::int64_t task = 0;
  std::int64_t contact = 0;
};
// The task and contact of a valid code (constant-time check); nullopt for anything else.
std::optional<BriefCodeRef> VerifyBriefCode(std::string_view key, std::string_view code);
// The same under every key SigningKeys accepts for a code that came in at `at`.
std::optional<BriefCodeRef> VerifyBriefCode(const SigningKeys& keys, core::TimePoint at,
                                            std::string_view code);

// The Telegram deep-link start parameter for binding the client of `task`: "b<task>_<16 hex>"
// (Telegram allows [A-Za-z0-9_-], up to 64 characters). Deterministic, so a second press
// gives the PM the same link.
std::string MakeBindToken(std::string_view key, std::int64_t task, std::int64_t contact);
// Whether `token` is the bind token of task and contact under a key SigningKeys accepts for
// a Start that came in at `at` (constant-time check).
bool VerifyBindToken(const SigningKeys& keys, core::TimePoint at, std::string_view token,
                     std::int64_t task, std::int64_t contact);

// The form link with the code pre-filled: "<form_url>?usp=pp_url&<entry>=<code>".
std::string BriefFormUrl(const config::GoogleConfig& google, std::string_view code);

// ---- The brief's stored state (data of the brief:task:<N> flow) ----

struct BriefState {
  std::int64_t task = 0;
  std::string task_name;
  std::int64_t contact = 0;
  std::string client_name;
  std::optional<std::int64_t> chat_id;
  std::string code;
  std::string form_url;
  std::string bind_token;
  std::optional<core::TimePoint> sent_at;
  std::optional<core::TimePoint> deadline;
  int reminders = 0;     // reminders sent so far
  std::string language;  // of the client's messages (detail::ClientLanguage); empty: default
};
std::string ToJson(const BriefState& state);
core::Result<BriefState> ParseBriefState(std::string_view json);

std::string BriefFlowKey(std::int64_t task);

// ---- Decisions ----

// brief.send: `contact` is the task's client, nullopt when the task has none.
core::Result<plan::Plan> DecideBriefSend(const plan::StoredEvent& event, const TaskFacts& task,
                                         const std::optional<ContactFacts>& contact,
                                         const RuleContext& context, core::TimePoint now);

// /start <token> from `chat_id`: `waiting` is the brief bound to the token (its flow state
// awaiting_bind). Binds the chat to the contact and sends the waiting brief.
core::Result<plan::Plan> DecideBriefBind(const plan::StoredEvent& event, const BriefState& waiting,
                                         std::int64_t chat_id, const RuleContext& context,
                                         core::TimePoint now);

// A form submission, normalised (http::GoogleFormSubmission's JSON shape).
struct Submission {
  std::string response_id;
  std::string timestamp;
  std::string respondent_email;
  std::string brief_code;
  // Answers by question title: one string, or several (checkboxes, grids flattened).
  std::map<std::string, std::vector<std::string>> answers;
};
// `brief_code_question` (google.brief_code_question) is the one place that names the question
// carrying the brief code: the answer whose title matches it (IsBriefCodeTitle) is the code and
// is not an answer to copy. Without such an answer, the payload's own briefCode (what the Apps
// Script found by its BRIEF_CODE_TITLES) is taken.
core::Result<Submission> ParseSubmission(std::string_view payload_json,
                                         std::string_view brief_code_question = {});

// Whether a form question's title names the brief code question `configured`: equal, or one of
// its " / "-separated parts equal (bilingual titles such as "Код брифу / Brief code"), with
// surrounding spaces and the case of ASCII letters ignored; the Apps Script matches the same way.
bool IsBriefCodeTitle(std::string_view title, std::string_view configured);

// One answer's values as the wire value of a contact field: each value an option of a
// multi-value field (set of values, directory values, users), otherwise joined with ", "; a
// checkbox reads the joined answer by `words` (planfix::ParseCheckboxAnswer).
// kInvalidInput when they do not convert to the field's type (planfix::EncodeCustomFieldValue).
core::Result<nlohmann::json> EncodeBriefAnswer(const planfix::CustomFieldDefinition& field,
                                               const std::vector<std::string>& values,
                                               const planfix::CheckboxWords& words = {});

// The catalogue's field type for a type [[brief.answers]] can name.
planfix::FieldType CatalogueType(config::FieldType type);

// A submission matched to its brief. `brief` is the stored state (a submission for a task
// whose brief was never sent still gets its answers written); `contact` the current contact;
// `fields` the contact field catalogue.
struct MatchedSubmission {
  BriefState brief;
  std::string flow_state;  // of brief:task:<N>; empty when there is none
  ContactFacts contact;
  std::vector<planfix::CustomFieldDefinition> fields;
  std::string matched_by;  // "code", "email" or "phone"
};
core::Result<plan::Plan> DecideBriefFilled(const plan::StoredEvent& event,
                                           const Submission& submission,
                                           const MatchedSubmission& match,
                                           const RuleContext& context, core::TimePoint now);

// The brief's contact update ended (contact.updated): the task's comment and the staff
// message name the fields Planfix wrote, and those it refused or never confirmed, with the
// answers that did not convert. Written only now, so they never claim what did not happen.
core::Result<plan::Plan> DecideBriefContactUpdated(const plan::StoredEvent& event,
                                                   const RuleContext& context);

// A submission no contact could be found for: the staff chat is told and it is kept as an
// unmatched flow for a person to resolve.
core::Result<plan::Plan> DecideBriefUnmatched(const plan::StoredEvent& event,
                                              const Submission& submission,
                                              const RuleContext& context);

// The reminder timer (payload {task, number}) with the brief's current flow.
core::Result<plan::Plan> DecideBriefReminder(const plan::StoredEvent& event,
                                             const std::optional<plan::Flow>& flow,
                                             const RuleContext& context, core::TimePoint now);
core::Result<plan::Plan> DecideBriefEscalation(const plan::StoredEvent& event,
                                               const std::optional<plan::Flow>& flow,
                                               const RuleContext& context);

// A client message that could not be delivered (effect.failed with a report): the staff
// chat and the task are told; the brief (if any) stops reminding.
core::Result<plan::Plan> DecideDeliveryFailed(const plan::StoredEvent& event,
                                              const std::optional<plan::Flow>& flow,
                                              const RuleContext& context);

// The short "question: answer" lines used in staff messages and comments.
std::string AnswersSummary(const Submission& submission, std::size_t max_chars = 1500);

}  // namespace planfix_flow::workflow
