// The sleeping part of the engine loops: wait for a Notify, a stop request or a timeout.
// Private to src/engine.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <stop_token>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::engine::internal {

// Waits (real time) until `notified` is set, `stop` is requested or `timeout` passes, then
// clears `notified`. A Notify that came before the wait is not lost.
inline void WaitForWork(std::mutex& mutex, std::condition_variable_any& cv, bool& notified,
                        std::stop_token stop, core::Duration timeout) {
  std::unique_lock lock(mutex);
  if (timeout > core::Duration::zero()) {
    cv.wait_for(lock, std::move(stop), timeout, [&notified] { return notified; });
  }
  notified = false;
}

inline void Wake(std::mutex& mutex, std::condition_variable_any& cv, bool& notified) {
  {
    std::lock_guard lock(mutex);
    notified = true;
  }
  cv.notify_all();
}

// How long to sleep until `next` (now when absent work is due), at most `cap`.
inline core::Duration TimeUntil(const std::optional<core::TimePoint>& next, core::TimePoint now,
                                core::Duration cap) {
  if (!next) return cap;
  return std::clamp<core::Duration>(*next - now, core::Duration::zero(), cap);
}

}  // namespace planfix_flow::engine::internal
