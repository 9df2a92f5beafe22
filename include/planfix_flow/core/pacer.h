// Pacer: keeps calls to a destination within sliding-window rate limits
// (for example Telegram's 1/s per chat, 20/min per group, 30/s overall).
// Thread-safe: concurrent callers get distinct, ordered slots.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
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

  // For a remote that counts requests as they arrive (Planfix: 1 request/s per account).
  // Calls under `key` go one at a time, and each starts at least `interval` after the
  // previous one's answer. A request cannot arrive before it is sent, nor after its answer,
  // so no network or scheduling delay can bring two arrivals closer than `interval`. Hold the
  // Turn for the whole call; releasing it notes the answer's time.
  class Turn {
   public:
    Turn(Turn&& other) noexcept = default;
    Turn& operator=(Turn&&) = delete;
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    ~Turn();

   private:
    friend class Pacer;
    Turn(Pacer& pacer, std::string key, Duration interval, std::unique_lock<std::mutex> lane)
        : pacer_(&pacer), key_(std::move(key)), interval_(interval), lane_(std::move(lane)) {}
    Pacer* pacer_;
    std::string key_;
    Duration interval_;
    std::unique_lock<std::mutex> lane_;
  };
  [[nodiscard]] Turn TakeTurn(const std::string& key, Duration interval);

 private:
  Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<std::mutex>> lanes_;
  std::unordered_map<std::string, std::deque<TimePoint>> history_;
  std::unordered_map<std::string, TimePoint> paused_until_;
  std::size_t reservations_since_prune_ = 0;
};

}  // namespace planfix_flow::core
