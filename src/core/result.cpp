#include "planfix_flow/core/result.h"

#include <fmt/format.h>

namespace planfix_flow::core {

std::string_view ToString(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return "invalid_input";
    case ErrorCode::kUnauthorized:
      return "unauthorized";
    case ErrorCode::kNotFound:
      return "not_found";
    case ErrorCode::kRateLimited:
      return "rate_limited";
    case ErrorCode::kQuotaExhausted:
      return "quota_exhausted";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kTimeout:
      return "timeout";
    case ErrorCode::kPermanent:
      return "permanent";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

bool IsRetryable(ErrorCode code) {
  switch (code) {
    case ErrorCode::kRateLimited:
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
    case ErrorCode::kConflict:
      return true;
    default:
      return false;
  }
}

std::string Error::ToString() const {
  std::string text = fmt::format("{}: {}", core::ToString(code), message);
  if (remote_code != 0) text += fmt::format(" (code {})", remote_code);
  if (retry_after) text += fmt::format(" (retry after {}s)", retry_after->count());
  return text;
}

}  // namespace planfix_flow::core
