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

}  // namespace

TimePoint Pacer::Reserve(const std::vector<Scope>& scopes) {
  std::lock_guard lock(mutex_);
  const TimePoint now = clock_.Now();
  TimePoint slot = now;
  std::vector<std::string> keys;
  keys.reserve(scopes.size());
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    keys.push_back(HistoryKey(scopes[i], i));
    if (auto paused = paused_until_.find(scopes[i].key); paused != paused_until_.end()) {
      slot = std::max(slot, paused->second);
    }
  }
  // Find a slot that fits every scope at once; each move only goes forward.
  for (int round = 0; round < 64; ++round) {
    TimePoint next = slot;
    for (std::size_t i = 0; i < scopes.size(); ++i) {
      next = std::max(next, EarliestFit(history_[keys[i]], scopes[i].limit, next));
    }
    if (next == slot) break;
    slot = next;
  }
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

Pacer::Turn Pacer::TakeTurn(const std::string& key, Duration interval) {
  std::mutex* lane = nullptr;
  {
    std::lock_guard lock(mutex_);
    auto& entry = lanes_[key];
    if (!entry) entry = std::make_unique<std::mutex>();
    lane = entry.get();  // lanes are never erased, so the pointer stays valid
  }
  std::unique_lock turn(*lane);
  Acquire({Scope{RateLimit{1, interval}, key}});
  return Turn(*this, key, interval, std::move(turn));
}

Pacer::Turn::~Turn() {
  if (lane_.owns_lock()) pacer_->Pause(key_, pacer_->clock_.Now() + interval_);
}

}  // namespace planfix_flow::core
