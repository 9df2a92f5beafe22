// Helpers shared by the engine tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include "planfix_flow/engine/plan.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::engine::testing {

inline const core::TimePoint kStart = core::FromUnixSeconds(1'795'000'000);  // Nov 2026

inline storage::NewEvent MakeEvent(const std::string& dedupe_key,
                                   const std::string& kind = "brief.send",
                                   core::TimePoint received_at = kStart) {
  storage::NewEvent event;
  event.source = storage::EventSource::kPlanfix;
  event.dedupe_key = dedupe_key;
  event.kind = kind;
  event.payload = R"({"task":123})";
  event.received_at = received_at;
  return event;
}

inline Effect MakeEffect(const std::string& key, const std::string& kind = "telegram.send") {
  Effect effect;
  effect.kind = kind;
  effect.destination = "telegram:chat:42";
  effect.payload = R"({"chat_id":42,"text":"hi"})";
  effect.idempotency_key = key;
  return effect;
}

inline TimerChange SetTimer(const std::string& key, core::TimePoint due,
                            const std::string& kind = "brief.reminder") {
  TimerChange change;
  change.action = TimerAction::kSet;
  change.key = key;
  change.kind = kind;
  change.due_at = due;
  change.payload = R"({"task":123})";
  return change;
}

inline TimerChange CancelTimer(const std::string& key) {
  TimerChange change;
  change.action = TimerAction::kCancel;
  change.key = key;
  return change;
}

// Commits `plan` as the outcome of a fresh internal event (as the processor would).
inline void CommitPlan(storage::Database& db, const Plan& plan, core::TimePoint now = kStart) {
  static std::atomic<int> counter{0};
  storage::NewEvent event = MakeEvent("plan-" + std::to_string(++counter), "internal.plan", now);
  event.source = storage::EventSource::kInternal;
  auto stored = db.AppendEvent(event);
  ASSERT_TRUE(stored) << stored.error().ToString();
  db.CompleteEvent(stored->event_id, plan.effects, plan.timers, plan.flows, now);
}

// Polls `condition` until it holds or 20 s pass (for loops running on their own thread).
inline bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return condition();
}

}  // namespace planfix_flow::engine::testing
