#include "planfix_flow/core/clock.h"

#include <thread>

namespace planfix_flow::core {

TimePoint SystemClock::Now() const { return std::chrono::system_clock::now(); }

void SystemClock::SleepUntil(TimePoint deadline) { std::this_thread::sleep_until(deadline); }

FakeClock::FakeClock(TimePoint start) : now_(start) {}

TimePoint FakeClock::Now() const {
  std::lock_guard lock(mutex_);
  return now_;
}

void FakeClock::SleepUntil(TimePoint deadline) {
  std::lock_guard lock(mutex_);
  if (deadline > now_) now_ = deadline;
}

void FakeClock::Advance(Duration duration) {
  std::lock_guard lock(mutex_);
  now_ += duration;
}

void FakeClock::Set(TimePoint moment) {
  std::lock_guard lock(mutex_);
  now_ = moment;
}

long long ToUnixSeconds(TimePoint moment) {
  return std::chrono::duration_cast<std::chrono::seconds>(moment.time_since_epoch()).count();
}

TimePoint FromUnixSeconds(long long seconds) { return TimePoint(std::chrono::seconds(seconds)); }

}  // namespace planfix_flow::core
