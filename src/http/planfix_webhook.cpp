#include "planfix_flow/http/planfix_webhook.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "http/body_checks.h"
#include "planfix_flow/http/http_client.h"
#include "planfix_flow/http/standard_webhooks.h"

namespace planfix_flow::http {

using core::ErrorCode;
using core::Fail;
using core::Result;

namespace {

constexpr std::size_t kMaxEventLength = 64;
constexpr std::size_t kMaxIdDigits = 18;  // fits in int64

bool IsIdField(std::string_view name) {
  return std::find(std::begin(kPlanfixIdFields), std::end(kPlanfixIdFields), name) !=
         std::end(kPlanfixIdFields);
}

bool IsValidEventName(std::string_view name) {
  if (name.empty() || name.size() > kMaxEventLength) return false;
  if (name.front() < 'a' || name.front() > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
  });
}

std::string_view Trim(std::string_view text) {
  const auto is_space = [](char ch) { return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

// nullopt: absent (empty). Error: not a positive integer.
Result<std::optional<std::string>> NormaliseId(std::string_view field, std::string_view raw) {
  std::string_view text = Trim(raw);
  if (text.empty()) return std::optional<std::string>();
  const std::string prefix = std::string(field) + ":";
  if (text.substr(0, prefix.size()) == prefix) text = Trim(text.substr(prefix.size()));
  const bool digits_only = !text.empty() && std::all_of(text.begin(), text.end(), [](char ch) {
    return ch >= '0' && ch <= '9';
  });
  if (!digits_only) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("{} must be a positive integer (optionally \"{}:N\")", field, field));
  }
  while (text.size() > 1 && text.front() == '0') text.remove_prefix(1);
  if (text == "0") {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{} must be a positive integer", field));
  }
  if (text.size() > kMaxIdDigits) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{} is too large", field));
  }
  return std::optional<std::string>(std::string(text));
}

Result<std::optional<std::string>> NormaliseJsonId(const std::string& field,
                                                   const nlohmann::json& value) {
  if (value.is_null()) return std::optional<std::string>();
  if (value.is_string()) return NormaliseId(field, value.get_ref<const std::string&>());
  if (value.is_number_unsigned()) {
    return NormaliseId(field, std::to_string(value.get<std::uint64_t>()));
  }
  if (value.is_number_integer() || value.is_number_float()) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{} must be a positive integer", field));
  }
  return Fail(ErrorCode::kInvalidInput,
              fmt::format("{} must be a number or a string of digits", field));
}

core::Status SetAt(PlanfixWebhook& webhook, std::string_view raw) {
  const std::string_view at = Trim(raw);
  if (at.size() > kPlanfixMaxAtBytes) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("at is longer than {} bytes", kPlanfixMaxAtBytes));
  }
  for (const char ch : at) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f)
      return Fail(ErrorCode::kInvalidInput, "at holds a control character");
  }
  webhook.at = std::string(at);
  return core::Ok();
}

core::Status SetEvent(PlanfixWebhook& webhook, std::string_view raw) {
  const std::string_view event = Trim(raw);
  if (event.empty()) return Fail(ErrorCode::kInvalidInput, "event is empty");
  if (!IsValidEventName(event)) {
    return Fail(ErrorCode::kInvalidInput, "event must match [a-z][a-z0-9_.]{0,63}");
  }
  webhook.event = std::string(event);
  return core::Ok();
}

Result<PlanfixWebhook> ParseJson(std::string_view body) {
  auto parsed = ParseJsonBody(body, kPlanfixMaxJsonDepth);
  if (!parsed) return Fail(parsed.error());
  const nlohmann::json& json = *parsed;
  if (!json.is_object()) return Fail(ErrorCode::kInvalidInput, "body must be a JSON object");
  PlanfixWebhook webhook;
  const auto event = json.find("event");
  if (event == json.end() || event->is_null()) {
    return Fail(ErrorCode::kInvalidInput, "missing event");
  }
  if (!event->is_string()) return Fail(ErrorCode::kInvalidInput, "event must be a string");
  if (auto status = SetEvent(webhook, event->get_ref<const std::string&>()); !status) {
    return Fail(status.error());
  }
  if (const auto at = json.find("at"); at != json.end() && !at->is_null()) {
    if (!at->is_string() && !at->is_number()) {
      return Fail(ErrorCode::kInvalidInput, "at must be a string or a number");
    }
    if (auto status = SetAt(webhook, at->is_string() ? at->get<std::string>() : at->dump());
        !status) {
      return Fail(status.error());
    }
  }
  for (const auto& [key, value] : json.items()) {
    if (!IsIdField(key)) continue;
    auto id = NormaliseJsonId(key, value);
    if (!id) return Fail(id.error());
    if (*id) webhook.ids[key] = std::move(**id);
  }
  return webhook;
}

Result<PlanfixWebhook> ParseForm(std::string_view body) {
  std::map<std::string, std::string> fields;
  std::string_view rest = body;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    std::string key = UrlDecode(pair.substr(0, eq));
    std::string value =
        eq == std::string_view::npos ? std::string() : UrlDecode(pair.substr(eq + 1));
    if (!IsValidUtf8(key) || !IsValidUtf8(value)) {
      return Fail(ErrorCode::kInvalidInput, "form field is not valid UTF-8 after decoding");
    }
    if (key != "event" && key != "at" && !IsIdField(key)) continue;
    if (fields.count(key) > 0) {
      return Fail(ErrorCode::kInvalidInput, fmt::format("form field {} is given twice", key));
    }
    fields.emplace(std::move(key), std::move(value));
  }
  PlanfixWebhook webhook;
  const auto event = fields.find("event");
  if (event == fields.end()) return Fail(ErrorCode::kInvalidInput, "missing event");
  if (auto status = SetEvent(webhook, event->second); !status) return Fail(status.error());
  if (const auto at = fields.find("at"); at != fields.end()) {
    if (auto status = SetAt(webhook, at->second); !status) return Fail(status.error());
  }
  for (const auto& [key, value] : fields) {
    if (key == "event" || key == "at") continue;
    auto id = NormaliseId(key, value);
    if (!id) return Fail(id.error());
    if (*id) webhook.ids[key] = std::move(**id);
  }
  return webhook;
}

}  // namespace

std::string PlanfixWebhook::ToPayloadJson() const {
  nlohmann::json json = nlohmann::json::object();
  json["event"] = event;
  for (const auto& [key, value] : ids) json[key] = value;
  return json.dump();
}

Result<PlanfixWebhook> ParsePlanfixWebhook(std::string_view body, PlanfixBodyFormat format) {
  if (!IsValidUtf8(body)) return Fail(ErrorCode::kInvalidInput, "body is not valid UTF-8");
  if (Trim(body).empty()) return Fail(ErrorCode::kInvalidInput, "body is empty");
  return format == PlanfixBodyFormat::kJson ? ParseJson(body) : ParseForm(body);
}

std::string PlanfixContentHash(const PlanfixWebhook& webhook) {
  // Event names and ids cannot contain '\n' or '=', so this encoding is unambiguous.
  std::string canonical = "planfix\n" + webhook.event + "\n";
  for (const auto& [key, value] : webhook.ids) canonical += key + "=" + value + "\n";
  // `at` has no control characters, and "at" is no id field: still unambiguous.
  if (!webhook.at.empty()) canonical += "at=" + webhook.at + "\n";
  return Sha256Hex(canonical);
}

PlanfixDedupe::PlanfixDedupe(std::chrono::seconds window, std::size_t max_entries)
    : window_(window), max_entries_(max_entries) {
  if (window_.count() <= 0) throw std::invalid_argument("the Planfix dedupe window must be > 0");
}

void PlanfixDedupe::Expire(core::TimePoint now) {
  while (!order_.empty() &&
         (now - order_.front().first >= window_ || order_.size() > max_entries_)) {
    const auto it = first_seen_.find(order_.front().second);
    // A later sighting of the same content replaced the entry; only erase our own.
    if (it != first_seen_.end() && it->second == order_.front().first) first_seen_.erase(it);
    order_.pop_front();
  }
}

std::string PlanfixDedupe::KeyFor(const PlanfixWebhook& webhook, core::TimePoint now) {
  const std::string hash = PlanfixContentHash(webhook);
  // With `at` the content itself tells a retry from a new change: no window needed.
  if (!webhook.at.empty()) return hash + ":at";
  core::TimePoint first = now;
  {
    std::lock_guard lock(mutex_);
    Expire(now);
    const auto it = first_seen_.find(hash);
    if (it != first_seen_.end() && now - it->second < window_ && now >= it->second) {
      first = it->second;
    } else {
      first_seen_[hash] = now;
      order_.emplace_back(now, hash);
    }
  }
  const long long seconds = core::ToUnixSeconds(first);
  const long long width = window_.count();
  const long long bucket = seconds >= 0 ? seconds / width : (seconds - width + 1) / width;
  return fmt::format("{}:{}", hash, bucket);
}

}  // namespace planfix_flow::http
