// Small helpers the rules share: payload parsing and the effects every flow builds.
// Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "planfix_flow/core/result.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/plan/plan.h"
#include "planfix_flow/templates/template_set.h"
#include "planfix_flow/workflow/workflow.h"

namespace planfix_flow::workflow::detail {

// The event's payload as a JSON object, or kInvalidInput.
core::Result<nlohmann::json> ParsePayload(const plan::StoredEvent& event);

// A positive id given as a JSON integer or a decimal string.
core::Result<std::int64_t> IdField(const nlohmann::json& payload, const char* name);

// The first `chars` lowercase hex digits of `bytes` (for MACs in codes and tokens).
std::string Hex(std::string_view bytes, std::size_t chars);

// A positive decimal id of at most 18 digits as the service writes it, nothing else (no sign,
// no spaces, no leading zero).
std::optional<std::int64_t> ParsePositive(std::string_view text);

// An integer member of a JSON object; nullopt when absent or of another type.
std::optional<std::int64_t> OptionalInt(const nlohmann::json& object, const char* name);

// The idempotency key of one effect of an event's plan: "event:<id>:<purpose>".
std::string EventKey(const plan::StoredEvent& event, std::string_view purpose);

// The context's signing keys; throws std::logic_error when the context has none (a wiring
// bug: nothing may be signed or verified without them).
const SigningKeys& Keys(const RuleContext& context);

// Renders a template in the default language: for staff messages and task comments.
core::Result<std::string> Render(const RuleContext& context, std::string_view name,
                                 const templates::Values& values);

// The language of a client's messages from the contact's language field: trimmed, lowercased
// and cut at a region ("EN", " en ", "en-GB" are "en"); a value that is not one of
// templates.languages (empty, "Українська", "de") gives templates.default_language.
std::string ClientLanguage(const RuleContext& context, std::string_view field_value);

// Renders a client message in `language` (a result of ClientLanguage; empty: the default).
core::Result<std::string> RenderFor(const RuleContext& context, std::string_view language,
                                    std::string_view name, const templates::Values& values);

// A message to the staff chat.
plan::Effect StaffMessage(const RuleContext& context, const std::string& text,
                          const std::string& idempotency_key);

// Who a client message concerns, so an undeliverable one is reported (effect.failed).
using ClientReport = plan::ClientReport;

// A message to a client's chat, not before `not_before` when set.
plan::Effect ClientMessage(std::int64_t chat_id, const std::string& text,
                           const std::string& idempotency_key, const ClientReport& report,
                           std::optional<core::TimePoint> not_before = std::nullopt,
                           plan::Keyboard keyboard = {});

plan::Effect TaskComment(std::int64_t task, const std::string& description,
                         const std::string& idempotency_key);

plan::Effect TaskStatus(std::int64_t task, std::int64_t status, const std::string& idempotency_key);

// The task's address in Planfix's web interface; empty when web_url is not configured.
std::string TaskUrl(const RuleContext& context, std::int64_t task);

}  // namespace planfix_flow::workflow::detail
