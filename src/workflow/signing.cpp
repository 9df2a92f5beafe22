#include "planfix_flow/workflow/signing.h"

#include <stdexcept>

#include "planfix_flow/core/crypto.h"
#include "rule_support.h"

namespace planfix_flow::workflow {

namespace {

constexpr std::size_t kFingerprintHexChars = 16;

std::size_t Index(SigningPurpose purpose) { return static_cast<std::size_t>(purpose); }

}  // namespace

SigningKeys::SigningKeys(std::string_view current, std::string_view previous,
                         std::optional<core::TimePoint> previous_until)
    : previous_until_(previous.empty() ? std::nullopt : previous_until) {
  if (current.empty()) throw std::invalid_argument("the signing key is empty");
  current_ = Derive(current);
  if (!previous.empty()) previous_ = Derive(previous);
  fingerprint_ = detail::Hex(core::HmacSha256(current, "planfix-flow key fingerprint v1"),
                             kFingerprintHexChars);
}

SigningKeys::PurposeKeys SigningKeys::Derive(std::string_view root) {
  // One key per purpose: a brief code, which every client sees, is then no help in forging a
  // deep link or a button, whatever the message formats have in common.
  return {core::HmacSha256(root, "planfix-flow brief-code key v1"),
          core::HmacSha256(root, "planfix-flow deep-link key v1"),
          core::HmacSha256(root, "planfix-flow approval key v1")};
}

const std::string& SigningKeys::Signing(SigningPurpose purpose) const {
  return current_[Index(purpose)];
}

std::vector<std::string_view> SigningKeys::Verifying(SigningPurpose purpose,
                                                     core::TimePoint at) const {
  std::vector<std::string_view> keys{current_[Index(purpose)]};
  if (!previous_[Index(purpose)].empty() && previous_until_ && at < *previous_until_)
    keys.push_back(previous_[Index(purpose)]);
  return keys;
}

}  // namespace planfix_flow::workflow
