// Typed effects: one struct per effect kind the executor knows, with one encoder (the job
// payload a rule plans) and one strict decoder (what the executor runs). A missing or
// wrong-typed field is a permanent error naming the field, never a default. The JSON shape
// is the one jobs have always been stored in, so jobs already in a database still decode.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/plan.h"

namespace planfix_flow::plan {

inline constexpr char kEffectTelegramSend[] = "telegram.send_message";
inline constexpr char kEffectTelegramAnswerCallback[] = "telegram.answer_callback";
inline constexpr char kEffectTelegramEdit[] = "telegram.edit_message";
inline constexpr char kEffectTelegramSendPlanfixFile[] = "telegram.send_planfix_file";
inline constexpr char kEffectPlanfixComment[] = "planfix.add_comment";
inline constexpr char kEffectPlanfixUpdateContact[] = "planfix.update_contact";
inline constexpr char kEffectPlanfixUpdateTask[] = "planfix.update_task";
inline constexpr char kEffectPlanfixCreateTask[] = "planfix.create_task";
inline constexpr char kEffectPlanfixSetTaskFields[] = "planfix.set_task_fields";
inline constexpr char kEffectPlanfixAddDataTagEntry[] = "planfix.add_data_tag_entry";
inline constexpr char kEffectTimeSync[] = "time.sync";
inline constexpr char kEffectTimeWriteEntry[] = "time.write_entry";
inline constexpr char kEffectTimeSendSummary[] = "time.send_summary";

// Who a client message concerns ("report"): when it cannot be delivered (blocked bot, unknown
// chat) the staff chat and the task are told (effect.failed) instead of retrying forever.
struct ClientReport {
  std::int64_t task = 0;
  std::int64_t contact = 0;
  std::string client_name;
};

// One inline keyboard button: exactly one of callback_data and url is set.
struct KeyboardButton {
  std::string text;
  std::string callback_data;  // omitted from the payload when empty
  std::string url;            // omitted from the payload when empty
};
using Keyboard = std::vector<std::vector<KeyboardButton>>;

// telegram.send_message: {chat_id, text, report?, reply_markup? {inline_keyboard}}.
struct TelegramSendMessage {
  static constexpr const char* kKind = kEffectTelegramSend;
  std::int64_t chat_id = 0;
  std::string text;  // HTML
  std::optional<ClientReport> report;
  Keyboard keyboard;  // reply_markup.inline_keyboard; empty: no reply_markup
};

// telegram.send_planfix_file: {chat_id, file, name, size, caption?, report?}: the Planfix file
// `file` (attached to a task; `size` bytes as Planfix listed it) downloaded and sent to the
// chat as a document named `name` (the monthly report). One job per file, so a retry never
// sends a file already sent, nor skips one not yet sent.
struct TelegramSendPlanfixFile {
  static constexpr const char* kKind = kEffectTelegramSendPlanfixFile;
  std::int64_t chat_id = 0;
  std::int64_t file = 0;
  std::string name;
  std::int64_t size = 0;
  std::string caption;  // HTML; omitted when empty
  std::optional<ClientReport> report;
};

// telegram.answer_callback: {callback_query_id, text} (plain, up to 200 characters).
struct TelegramAnswerCallback {
  static constexpr const char* kKind = kEffectTelegramAnswerCallback;
  std::string callback_query_id;
  std::string text;
};

// telegram.edit_message: {chat_id, message_id, text} (HTML); the inline keyboard is removed.
struct TelegramEditMessage {
  static constexpr const char* kKind = kEffectTelegramEdit;
  std::int64_t chat_id = 0;
  std::int64_t message_id = 0;
  std::string text;
};

// planfix.add_comment: {task, description, recipients? ["user:N"]}.
struct PlanfixAddComment {
  static constexpr const char* kKind = kEffectPlanfixComment;
  std::int64_t task = 0;
  std::string description;
  std::vector<std::string> recipients;  // omitted when empty
};

// A custom field value as the wire wants it (planfix::EncodeCustomFieldValue's result).
struct ContactFieldValue {
  std::int64_t id = 0;
  nlohmann::json value;
};

// planfix.update_contact: {contact, custom_fields? [{id, value}], telegram_id?, report?}.
// `report` (the brief's, an object the executor passes on): when the job ends, a
// contact.updated event says what Planfix took. Result {queued, failures [{field, error}]}.
struct PlanfixUpdateContact {
  static constexpr const char* kKind = kEffectPlanfixUpdateContact;
  std::int64_t contact = 0;
  std::vector<ContactFieldValue> custom_fields;  // omitted when empty
  std::optional<std::string> telegram_id;
  std::optional<nlohmann::json> report;
};

// planfix.update_task: {task, status}.
struct PlanfixUpdateTask {
  static constexpr const char* kKind = kEffectPlanfixUpdateTask;
  std::int64_t task = 0;
  std::int64_t status = 0;
};

// planfix.set_task_fields: {task, custom_fields [{id, value}]} (wire values, at least one):
// the invoice's paid fields. A field Planfix refuses fails the job (not retried).
struct PlanfixSetTaskFields {
  static constexpr const char* kKind = kEffectPlanfixSetTaskFields;
  std::int64_t task = 0;
  std::vector<ContactFieldValue> custom_fields;
};

// planfix.add_data_tag_entry: {task, data_tag, custom_fields [{id, value}]} (wire values, at
// least one): one entry of a data tag on a task (POST /task/{id}/datatags/), e.g. the income
// a matched payment brought. Result {keys, comment_id?}.
struct PlanfixAddDataTagEntry {
  static constexpr const char* kKind = kEffectPlanfixAddDataTagEntry;
  std::int64_t task = 0;
  std::int64_t data_tag = 0;
  std::vector<ContactFieldValue> custom_fields;
};

// planfix.create_task: {name, description, template_id?, project_id?, process_id?,
// counterparty ("contact:N"), assignees? ["user:N"], deal?, report?}; result {"task": number}.
// `deal` (the task whose handoff created it) and `report` (the monthly report's flow key) are
// for the task.created event only.
struct PlanfixCreateTask {
  static constexpr const char* kKind = kEffectPlanfixCreateTask;
  std::string name;
  std::string description;
  std::optional<std::int64_t> template_id;
  std::optional<std::int64_t> project_id;
  std::optional<std::int64_t> process_id;
  std::string counterparty;
  std::vector<std::string> assignees;  // omitted when empty
  std::optional<std::int64_t> deal;
  std::optional<std::string> report;
};

// time.sync: {} (the App reads the time data tag from its watermark).
struct TimeSync {
  static constexpr const char* kKind = kEffectTimeSync;
};

// time.write_entry: {task, employee ("user:N"), date (YYYY-MM-DD), from, to (HH:MM), minutes}:
// a stopped timer's entry in the time data tag.
struct TimeWriteEntry {
  static constexpr const char* kKind = kEffectTimeWriteEntry;
  std::int64_t task = 0;
  std::string employee;
  std::string date;
  std::string from;
  std::string to;
  std::int64_t minutes = 0;
};

// time.send_summary: {month (YYYY-MM), chat_id}: the month's chart to the staff chat.
struct TimeSendSummary {
  static constexpr const char* kKind = kEffectTimeSendSummary;
  std::string month;
  std::int64_t chat_id = 0;
};

// The job payload (JSON text) of each kind.
std::string Encode(const TelegramSendMessage& effect);
std::string Encode(const TelegramSendPlanfixFile& effect);
std::string Encode(const TelegramAnswerCallback& effect);
std::string Encode(const TelegramEditMessage& effect);
std::string Encode(const PlanfixAddComment& effect);
std::string Encode(const PlanfixUpdateContact& effect);
std::string Encode(const PlanfixUpdateTask& effect);
std::string Encode(const PlanfixCreateTask& effect);
std::string Encode(const PlanfixSetTaskFields& effect);
std::string Encode(const PlanfixAddDataTagEntry& effect);
std::string Encode(const TimeSync& effect);
std::string Encode(const TimeWriteEntry& effect);
std::string Encode(const TimeSendSummary& effect);

// Decodes a job payload of kind T. kPermanent (retrying cannot fix a payload) when it is not
// a JSON object, a required field is missing, or a field has the wrong type; the message
// names the kind and the field, e.g. "telegram.send_message: chat_id is missing".
template <typename T>
core::Result<T> Decode(std::string_view payload);
template <>
core::Result<TelegramSendMessage> Decode(std::string_view payload);
template <>
core::Result<TelegramSendPlanfixFile> Decode(std::string_view payload);
template <>
core::Result<TelegramAnswerCallback> Decode(std::string_view payload);
template <>
core::Result<TelegramEditMessage> Decode(std::string_view payload);
template <>
core::Result<PlanfixAddComment> Decode(std::string_view payload);
template <>
core::Result<PlanfixUpdateContact> Decode(std::string_view payload);
template <>
core::Result<PlanfixUpdateTask> Decode(std::string_view payload);
template <>
core::Result<PlanfixCreateTask> Decode(std::string_view payload);
template <>
core::Result<PlanfixSetTaskFields> Decode(std::string_view payload);
template <>
core::Result<PlanfixAddDataTagEntry> Decode(std::string_view payload);
core::Result<TimeSync> Decode(std::string_view payload);
template <>
core::Result<TimeWriteEntry> Decode(std::string_view payload);
template <>
core::Result<TimeSendSummary> Decode(std::string_view payload);

// An Effect of T's kind carrying `effect` as its payload.
template <typename T>
Effect MakeEffect(const T& effect, std::string destination, std::string idempotency_key) {
  return Effect{T::kKind, std::move(destination), Encode(effect), std::move(idempotency_key)};
}

}  // namespace planfix_flow::plan
