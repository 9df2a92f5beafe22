#include "planfix_flow/engine/backoff.h"

#include <algorithm>
#include <cmath>

namespace planfix_flow::engine {

core::Duration Backoff::Delay(int failures) {
  using Seconds = std::chrono::duration<double>;
  const double base = std::chrono::duration_cast<Seconds>(policy_.base).count();
  const double max = std::chrono::duration_cast<Seconds>(policy_.max).count();
  const int exponent = std::clamp(failures - 1, 0, 62);
  const double raw = std::min(max, base * std::pow(policy_.multiplier, exponent));
  double factor = 1.0;
  if (policy_.jitter > 0) {
    std::uniform_real_distribution<double> spread(1.0 - policy_.jitter, 1.0 + policy_.jitter);
    factor = spread(random_);
  }
  return std::chrono::duration_cast<core::Duration>(Seconds(std::max(0.0, raw * factor)));
}

}  // namespace planfix_flow::engine
