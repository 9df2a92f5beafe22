// Clock: the one seam for time. SystemClock reads the real clock; FakeClock is
// moved by tests. Both are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace planfix_flow::core {

using TimePoint = std::chrono::system_clock::time_point;
using Duration = std::chrono::system_clock::duration;

// "2026-11-27T14:03:05.120Z" (RFC 3339, UTC, milliseconds).
std::string FormatTime(TimePoint moment);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint Now() const = 0;
  // Blocks until Now() >= deadline. A FakeClock advances itself instead.
  virtual void SleepUntil(TimePoint deadline) = 0;
  void SleepFor(Duration duration) { SleepUntil(Now() + duration); }
};

class SystemClock final : public Clock {
 public:
  TimePoint Now() const override;
  void SleepUntil(TimePoint deadline) override;
};

// Starts at the given moment and moves only when told to (or when something sleeps on it).
class FakeClock final : public Clock {
 public:
  explicit FakeClock(TimePoint start);
  TimePoint Now() const override;
  void SleepUntil(TimePoint deadline) override;
  void Advance(Duration duration);
  void Set(TimePoint moment);

 private:
  mutable std::mutex mutex_;
  TimePoint now_;
};

// Seconds since the Unix epoch, for wire formats.
long long ToUnixSeconds(TimePoint moment);
TimePoint FromUnixSeconds(long long seconds);

}  // namespace planfix_flow::core
