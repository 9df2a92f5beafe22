#include "planfix_flow/plan/plan.h"

namespace planfix_flow::plan {

std::string_view ToString(EventSource source) {
  switch (source) {
    case EventSource::kPlanfix:
      return "planfix";
    case EventSource::kGoogle:
      return "google";
    case EventSource::kTelegram:
      return "telegram";
    case EventSource::kTimer:
      return "timer";
    case EventSource::kInternal:
      return "internal";
    case EventSource::kBank:
      return "bank";
  }
  return "unknown";
}

std::optional<EventSource> ParseEventSource(std::string_view text) {
  for (auto source : {EventSource::kPlanfix, EventSource::kGoogle, EventSource::kTelegram,
                      EventSource::kTimer, EventSource::kInternal, EventSource::kBank}) {
    if (ToString(source) == text) return source;
  }
  return std::nullopt;
}

std::string_view ToString(EventState state) {
  switch (state) {
    case EventState::kPending:
      return "pending";
    case EventState::kDone:
      return "done";
    case EventState::kDead:
      return "dead";
  }
  return "unknown";
}

std::optional<EventState> ParseEventState(std::string_view text) {
  for (auto state : {EventState::kPending, EventState::kDone, EventState::kDead}) {
    if (ToString(state) == text) return state;
  }
  return std::nullopt;
}

}  // namespace planfix_flow::plan
