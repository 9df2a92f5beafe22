#include "planfix_flow/storage/records.h"

#include <fmt/format.h>

namespace planfix_flow::storage {

namespace {

nlohmann::json EmbedJson(const std::string& text) {
  if (text.empty()) return nullptr;
  auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return text;
  return parsed;
}

nlohmann::json OptionalTime(const std::optional<core::TimePoint>& moment) {
  if (!moment) return nullptr;
  return FormatTime(*moment);
}

template <typename Id>
nlohmann::json OptionalId(const std::optional<Id>& id) {
  if (!id) return nullptr;
  return *id;
}

}  // namespace

std::string_view ToString(JobState state) {
  switch (state) {
    case JobState::kPending:
      return "pending";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kDead:
      return "dead";
  }
  return "unknown";
}

std::optional<JobState> ParseJobState(std::string_view text) {
  for (auto state : {JobState::kPending, JobState::kRunning, JobState::kDone, JobState::kDead}) {
    if (ToString(state) == text) return state;
  }
  return std::nullopt;
}

std::string_view ToString(TimerState state) {
  switch (state) {
    case TimerState::kPending:
      return "pending";
    case TimerState::kFired:
      return "fired";
    case TimerState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

nlohmann::json ToJson(const Job& job) {
  return {
      {"id", job.id},
      {"kind", job.kind},
      {"destination", job.destination},
      {"state", ToString(job.state)},
      {"attempts", job.attempts},
      {"max_attempts", job.max_attempts},
      {"priority", job.priority == plan::EffectPriority::kBulk ? "bulk" : "interactive"},
      {"idempotency_key", job.idempotency_key},
      {"event_id", OptionalId(job.event_id)},
      {"due_at", FormatTime(job.due_at)},
      {"next_attempt_at", FormatTime(job.next_attempt_at)},
      {"lease_owner", job.lease_owner},
      {"lease_expires_at", OptionalTime(job.lease_expires_at)},
      {"last_error", job.last_error},
      {"result", EmbedJson(job.result)},
      {"payload", EmbedJson(job.payload)},
      {"created_at", FormatTime(job.created_at)},
      {"updated_at", FormatTime(job.updated_at)},
      {"done_at", OptionalTime(job.done_at)},
      {"replay_count", job.replay_count},
      {"replayed_at", OptionalTime(job.replayed_at)},
  };
}

nlohmann::json ToJson(const StoredEvent& event) {
  return {
      {"id", event.id},
      {"source", ToString(event.source)},
      {"dedupe_key", event.dedupe_key},
      {"kind", event.kind},
      {"state", ToString(event.state)},
      {"attempts", event.attempts},
      {"received_at", FormatTime(event.received_at)},
      {"next_attempt_at", FormatTime(event.next_attempt_at)},
      {"last_error", event.last_error},
      {"processed_at", OptionalTime(event.processed_at)},
      {"payload", EmbedJson(event.payload)},
  };
}

nlohmann::json ToJson(const Timer& timer) {
  return {
      {"id", timer.id},
      {"key", timer.key},
      {"kind", timer.kind},
      {"state", ToString(timer.state)},
      {"due_at", FormatTime(timer.due_at)},
      {"created_at", FormatTime(timer.created_at)},
      {"fired_at", OptionalTime(timer.fired_at)},
      {"event_id", OptionalId(timer.event_id)},
      {"payload", EmbedJson(timer.payload)},
  };
}

nlohmann::json ToJson(const Flow& flow) {
  return {
      {"id", flow.id},
      {"key", flow.key},
      {"kind", flow.kind},
      {"task", OptionalId(flow.task)},
      {"contact", OptionalId(flow.contact)},
      {"state", flow.state},
      {"data", EmbedJson(flow.data)},
      {"created_at", FormatTime(flow.created_at)},
      {"updated_at", FormatTime(flow.updated_at)},
  };
}

}  // namespace planfix_flow::storage
