// Pacer: keeps calls to a destination within sliding-window rate limits
// (for example Telegram's 1/s per chat, 20/min per group, 30/s overall).
// Thread-safe: concurrent callers get distinct, ordered slots.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::core {

struct RateLimit {
  std::size_t count = 1;                      // at most this many calls ...
  Duration window = std::chrono::seconds(1);  // ... in any window of this length
};

class Pacer {
 public:
  explicit Pacer(Clock& clock) : clock_(clock) {}

  // One limit per scope: the caller names the scope and key of each limit that applies
  // (e.g. {"global", ""} and {"chat", "12345"}). Returns the moment the call may go;
  // the slot is reserved in every scope, so concurrent callers are spread out.
  struct Scope {
    RateLimit limit;
    std::string key;
  };
  TimePoint Reserve(const std::vector<Scope>& scopes);

  // Reserve, then sleep on the clock until the slot.
  void Acquire(const std::vector<Scope>& scopes);

  // Push every scope's next slot to at least `until` (a remote asked us to back off).
  void Pause(const std::string& key, TimePoint until);

 private:
  Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<TimePoint>> history_;
  std::unordered_map<std::string, TimePoint> paused_until_;
  std::size_t reservations_since_prune_ = 0;
};

}  // namespace planfix_flow::core
