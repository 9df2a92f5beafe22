// Pacer: keeps calls to a destination within sliding-window rate limits
// (for example Telegram's 1/s per chat, 20/min per group, 30/s overall).
// Thread-safe: concurrent callers get distinct, ordered slots.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::core {

struct RateLimit {
  std::size_t count = 1;                      // at most this many calls ...
  Duration window = std::chrono::seconds(1);  // ... in any window of this length
};

// Who waits for a call: a person (a button press, a message) or nobody at this moment (the
// monthly run's hundreds of calls, a timer's work). Per thread; interactive unless a
// BulkScope is open on it.
enum class CallPriority { kInteractive, kBulk };
CallPriority CurrentCallPriority();

// Marks the calls this thread makes while it lives as bulk (the executor opens one around a
// bulk job). Nests; restores what was before.
class BulkScope {
 public:
  BulkScope();
  ~BulkScope();
  BulkScope(const BulkScope&) = delete;
  BulkScope& operator=(const BulkScope&) = delete;

 private:
  CallPriority previous_;
};

class Pacer {
  // One per key of TakeTurn: who holds the turn and who waits.
  struct Lane {
    std::mutex mutex;
    std::condition_variable changed;
    bool busy = false;
    std::size_t waiting = 0;
    std::size_t interactive_waiting = 0;
  };

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
  // Interactive callers go first: a bulk caller takes the turn only while no interactive one
  // waits, and nobody holds the turn while waiting for its moment, so a press that comes
  // while a bulk caller waits for the next second overtakes it.
  class Turn {
   public:
    Turn(Turn&& other) noexcept
        : pacer_(other.pacer_),
          key_(std::move(other.key_)),
          interval_(other.interval_),
          lane_(std::exchange(other.lane_, nullptr)) {}
    Turn& operator=(Turn&&) = delete;
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    ~Turn();

   private:
    friend class Pacer;
    Turn(Pacer& pacer, std::string key, Duration interval, Lane* lane)
        : pacer_(&pacer), key_(std::move(key)), interval_(interval), lane_(lane) {}
    Pacer* pacer_;
    std::string key_;
    Duration interval_;
    Lane* lane_;
  };
  [[nodiscard]] Turn TakeTurn(const std::string& key, Duration interval);

  // Callers waiting for a turn under `key` (for tests that must know both are queued).
  std::size_t WaitingForTurn(const std::string& key);

 private:
  // The moment Reserve would give, without reserving it.
  TimePoint NextSlot(const std::vector<Scope>& scopes);
  Lane& LaneFor(const std::string& key);

  Clock& clock_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::unique_ptr<Lane>> lanes_;
  std::unordered_map<std::string, std::deque<TimePoint>> history_;
  std::unordered_map<std::string, TimePoint> paused_until_;
  std::size_t reservations_since_prune_ = 0;
};

}  // namespace planfix_flow::core
