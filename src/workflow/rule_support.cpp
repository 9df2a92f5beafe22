#include "rule_support.h"

#include "planfix_flow/core/parse.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace planfix_flow::workflow::detail {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

Result<json> ParsePayload(const plan::StoredEvent& event) {
  json payload = json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object()) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("event {} payload is not a JSON object", event.id));
  }
  return payload;
}

// Ids arrive as decimal strings (the ingress normalises them) or numbers (timer payloads).
Result<std::int64_t> IdField(const json& payload, const char* name) {
  const auto it = payload.find(name);
  if (it == payload.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty()))
    return Fail(ErrorCode::kInvalidInput, fmt::format("no {} id", name));
  if (it->is_number_integer() && it->get<std::int64_t>() > 0) return it->get<std::int64_t>();
  if (it->is_string()) {
    if (const auto id = core::ParseId(it->get<std::string>())) return *id;
  }
  return Fail(ErrorCode::kInvalidInput, fmt::format("{} id is not a positive integer", name));
}

std::string Hex(std::string_view bytes, std::size_t chars) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char ch : bytes) {
    if (out.size() >= chars) break;
    const auto byte = static_cast<unsigned char>(ch);
    out.push_back(kDigits[byte >> 4]);
    out.push_back(kDigits[byte & 0xf]);
  }
  out.resize(std::min(out.size(), chars));
  return out;
}

std::optional<std::int64_t> ParsePositive(std::string_view text) {
  constexpr std::size_t kMaxIdDigits = 18;
  // No leading zero: codes and callback data the service made verify in one spelling only.
  if (text.empty() || text.size() > kMaxIdDigits || text.front() == '0') return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  if (value <= 0) return std::nullopt;
  return value;
}

std::optional<std::int64_t> OptionalInt(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

std::string EventKey(const plan::StoredEvent& event, std::string_view purpose) {
  return fmt::format("event:{}:{}", event.id, purpose);
}

const SigningKeys& Keys(const RuleContext& context) {
  if (context.signing == nullptr) throw std::logic_error("the rule context has no signing keys");
  return *context.signing;
}

Result<std::string> Render(const RuleContext& context, std::string_view name,
                           const templates::Values& values) {
  return context.templates->Render(name, context.config->templates.default_language, values);
}

std::string ClientLanguage(const RuleContext& context, std::string_view field_value) {
  const auto& templates = context.config->templates;
  constexpr std::string_view kSpace = " \t\r\n";
  const auto first = field_value.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return templates.default_language;
  field_value = field_value.substr(first, field_value.find_last_not_of(kSpace) - first + 1);
  field_value = field_value.substr(0, field_value.find_first_of("-_"));
  std::string code(field_value);
  for (char& c : code) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  const bool known = std::find(templates.languages.begin(), templates.languages.end(), code) !=
                     templates.languages.end();
  return known ? code : templates.default_language;
}

Result<std::string> RenderFor(const RuleContext& context, std::string_view language,
                              std::string_view name, const templates::Values& values) {
  return context.templates->Render(
      name,
      language.empty() ? std::string_view(context.config->templates.default_language) : language,
      values);
}

plan::Effect StaffMessage(const RuleContext& context, const std::string& text,
                          const std::string& idempotency_key) {
  const auto chat = StaffChatId(context);
  return plan::MakeEffect(plan::TelegramSendMessage{chat, text, std::nullopt, {}},
                          fmt::format("telegram:chat:{}", chat), idempotency_key);
}

plan::Effect ClientMessage(std::int64_t chat_id, const std::string& text,
                           const std::string& idempotency_key, const ClientReport& report,
                           std::optional<core::TimePoint> not_before, plan::Keyboard keyboard) {
  auto effect =
      plan::MakeEffect(plan::TelegramSendMessage{chat_id, text, report, std::move(keyboard)},
                       fmt::format("telegram:chat:{}", chat_id), idempotency_key);
  effect.not_before = not_before;
  return effect;
}

plan::Effect TaskComment(std::int64_t task, const std::string& description,
                         const std::string& idempotency_key) {
  return plan::MakeEffect(plan::PlanfixAddComment{task, description, {}}, "planfix",
                          idempotency_key);
}

plan::Effect TaskStatus(std::int64_t task, std::int64_t status,
                        const std::string& idempotency_key) {
  return plan::MakeEffect(plan::PlanfixUpdateTask{task, status}, "planfix", idempotency_key);
}

std::string TaskUrl(const RuleContext& context, std::int64_t task) {
  std::string base = context.config->planfix.web_url;
  if (base.empty()) return {};
  while (!base.empty() && base.back() == '/') base.pop_back();
  return fmt::format("{}/task/{}", base, task);
}

}  // namespace planfix_flow::workflow::detail
