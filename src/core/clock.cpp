#include "planfix_flow/core/clock.h"

#include <fmt/format.h>

#include <ctime>
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

std::string FormatTime(core::TimePoint moment) {
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(moment.time_since_epoch()).count();
  auto seconds = static_cast<std::time_t>(millis / 1000);
  auto fraction = millis % 1000;
  if (fraction < 0) {
    fraction += 1000;
    --seconds;
  }
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", utc.tm_year + 1900,
                     utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, fraction);
}

}  // namespace planfix_flow::core
