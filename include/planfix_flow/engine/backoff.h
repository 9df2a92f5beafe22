// Backoff: exponential delays with proportional jitter from a seeded generator, so tests
// can predict them. Not thread-safe; each worker owns one.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::engine {

struct BackoffPolicy {
  core::Duration base = std::chrono::seconds(2);  // delay after the first failure
  core::Duration max = std::chrono::hours(1);
  double multiplier = 2.0;
  // Each delay is scaled by a factor drawn uniformly from [1 - jitter, 1 + jitter].
  double jitter = 0.2;
};

class Backoff {
 public:
  Backoff(BackoffPolicy policy, std::uint64_t seed) : policy_(policy), random_(seed) {}
  // The delay after `failures` failed attempts (1 for the first), capped at max (before
  // jitter).
  core::Duration Delay(int failures);
  const BackoffPolicy& policy() const { return policy_; }

 private:
  BackoffPolicy policy_;
  std::mt19937_64 random_;
};

}  // namespace planfix_flow::engine
