// Keys for what the service signs and later takes back from the outside: brief codes,
// deep-link tokens and approval buttons. They come from PLANFIX_FLOW_SIGNING_KEY, which only
// the service holds (never a script, a URL or another party), one key per purpose, so a MAC
// of one kind says nothing of the others. During a rotation PLANFIX_FLOW_SIGNING_KEY_PREVIOUS
// verifies (never signs) until a deadline. Immutable; thread-safe.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/clock.h"

namespace planfix_flow::workflow {

enum class SigningPurpose { kBriefCode, kDeepLink, kApproval };

class SigningKeys {
 public:
  // `current` signs and verifies. `previous` (empty: none) verifies what was made before
  // `previous_until` only; without a deadline it verifies nothing. Throws
  // std::invalid_argument when `current` is empty: nothing may be signed with an empty key.
  explicit SigningKeys(std::string_view current, std::string_view previous = {},
                       std::optional<core::TimePoint> previous_until = std::nullopt);

  // The key that signs for `purpose`: HMAC-SHA256(current, "planfix-flow <purpose> key v1").
  const std::string& Signing(SigningPurpose purpose) const;

  // The keys a MAC for `purpose` is checked against when it came in at `at`: the current
  // purpose key, then the previous one while at < previous_until.
  std::vector<std::string_view> Verifying(SigningPurpose purpose, core::TimePoint at) const;

  std::optional<core::TimePoint> previous_until() const { return previous_until_; }
  bool has_previous() const { return !previous_.empty(); }

  // Names the current key without revealing it: the first 16 hex digits of
  // HMAC-SHA256(current, "planfix-flow key fingerprint v1"). The service records when it first
  // ran with each fingerprint (the start of a rotation's grace period).
  const std::string& fingerprint() const { return fingerprint_; }

 private:
  using PurposeKeys = std::array<std::string, 3>;
  static PurposeKeys Derive(std::string_view root);

  PurposeKeys current_;
  PurposeKeys previous_;  // empty strings when there is no previous key
  std::optional<core::TimePoint> previous_until_;
  std::string fingerprint_;
};

}  // namespace planfix_flow::workflow
