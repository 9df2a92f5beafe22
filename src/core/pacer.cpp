#include "planfix_flow/core/pacer.h"

#include <algorithm>

namespace planfix_flow::core {

namespace {

// Earliest moment >= after at which one more call fits `limit`. Slots of one key are
// handed out in order (never into a gap), which keeps this O(1) and FIFO-fair.
TimePoint EarliestFit(const std::deque<TimePoint>& history, const RateLimit& limit,
                      TimePoint after) {
  TimePoint candidate = after;
  if (!history.empty()) candidate = std::max(candidate, history.back());
  if (limit.count > 0 && history.size() >= limit.count) {
    candidate = std::max(candidate, history[history.size() - limit.count] + limit.window);
  }
  return candidate;
}

std::string HistoryKey(const Pacer::Scope& scope, std::size_t index) {
  return std::to_string(index) + '/' + std::to_string(scope.limit.count) + '/' +
         std::to_string(scope.limit.window.count()) + '/' + scope.key;
}

thread_local CallPriority current_priority = CallPriority::kInteractive;

// The first moment every scope allows from `slot` on, given what is already reserved.
TimePoint FitAll(const std::vector<Pacer::Scope>& scopes, const std::vector<std::string>& keys,
                 std::unordered_map<std::string, std::deque<TimePoint>>& history, TimePoint slot) {
  // Each move only goes forward.
  for (int round = 0; round < 64; ++round) {
    TimePoint next = slot;
    for (std::size_t i = 0; i < scopes.size(); ++i) {
      next = std::max(next, EarliestFit(history[keys[i]], scopes[i].limit, next));
    }
    if (next == slot) break;
    slot = next;
  }
  return slot;
}

// The first slot from `now` on that every scope allows (pauses and reservations so far);
// `keys` gets the scopes' history keys. The caller holds the pacer's mutex.
TimePoint FirstSlot(const std::vector<Pacer::Scope>& scopes, TimePoint now,
                    const std::unordered_map<std::string, TimePoint>& paused_until,
                    std::unordered_map<std::string, std::deque<TimePoint>>& history,
                    std::vector<std::string>& keys) {
  TimePoint slot = now;
  keys.clear();
  keys.reserve(scopes.size());
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    keys.push_back(HistoryKey(scopes[i], i));
    if (auto paused = paused_until.find(scopes[i].key); paused != paused_until.end()) {
      slot = std::max(slot, paused->second);
    }
  }
  return FitAll(scopes, keys, history, slot);
}

}  // namespace

CallPriority CurrentCallPriority() { return current_priority; }

BulkScope::BulkScope() : previous_(current_priority) { current_priority = CallPriority::kBulk; }
BulkScope::~BulkScope() { current_priority = previous_; }

TimePoint Pacer::NextSlot(const std::vector<Scope>& scopes) {
  std::lock_guard lock(mutex_);
  std::vector<std::string> keys;
  return FirstSlot(scopes, clock_.Now(), paused_until_, history_, keys);
}

TimePoint Pacer::Reserve(const std::vector<Scope>& scopes) {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.Now();
  std::vector<std::string> keys;
  const TimePoint slot = FirstSlot(scopes, now, paused_until_, history_, keys);
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    auto& history = history_[keys[i]];
    history.push_back(slot);
  }
  if (++reservations_since_prune_ >= 1024) {
    reservations_since_prune_ = 0;
    for (auto it = history_.begin(); it != history_.end();) {
      auto& history = it->second;
      // Any window is at most an hour here; older entries cannot matter.
      while (!history.empty() && history.front() < now - std::chrono::hours(1)) history.pop_front();
      it = history.empty() ? history_.erase(it) : std::next(it);
    }
    for (auto it = paused_until_.begin(); it != paused_until_.end();) {
      it = it->second < now ? paused_until_.erase(it) : std::next(it);
    }
  }
  return slot;
}

void Pacer::Acquire(const std::vector<Scope>& scopes) { clock_.SleepUntil(Reserve(scopes)); }

void Pacer::Pause(const std::string& key, TimePoint until) {
  std::lock_guard lock(mutex_);
  auto& paused = paused_until_[key];
  paused = std::max(paused, until);
}

Pacer::Lane& Pacer::LaneFor(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto& entry = lanes_[key];
  if (!entry) entry = std::make_unique<Lane>();
  return *entry;  // lanes are never erased, so the reference stays valid
}

std::size_t Pacer::WaitingForTurn(const std::string& key) {
  Lane& lane = LaneFor(key);
  std::lock_guard lock(lane.mutex);
  return lane.waiting;
}

Pacer::Turn Pacer::TakeTurn(const std::string& key, Duration interval) {
  Lane& lane = LaneFor(key);
  const bool bulk = CurrentCallPriority() == CallPriority::kBulk;
  const std::vector<Scope> scopes{Scope{RateLimit{1, interval}, key}};
  std::unique_lock lock(lane.mutex);
  ++lane.waiting;
  if (!bulk) ++lane.interactive_waiting;
  for (;;) {
    lane.changed.wait(lock, [&] { return !lane.busy && (!bulk || lane.interactive_waiting == 0); });
    const TimePoint slot = NextSlot(scopes);
    if (clock_.Now() >= slot) break;
    // Wait for the moment without the turn: whoever is first when it comes takes it.
    lock.unlock();
    clock_.SleepUntil(slot);
    lock.lock();
  }
  lane.busy = true;
  --lane.waiting;
  if (!bulk) --lane.interactive_waiting;
  lock.unlock();
  Reserve(scopes);  // due now: notes the call's start
  return Turn(*this, key, interval, &lane);
}

Pacer::Turn::~Turn() {
  if (lane_ == nullptr) return;
  pacer_->Pause(key_, pacer_->clock_.Now() + interval_);
  {
    std::lock_guard lock(lane_->mutex);
    lane_->busy = false;
  }
  lane_->changed.notify_all();
}

}  // namespace planfix_flow::core
