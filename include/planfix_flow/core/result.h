// Result<T>: expected failures as values, with std::expected's member names.
// Plain value types; thread-compatible.
#pragma once

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace planfix_flow::core {

enum class ErrorCode {
  kInvalidInput,    // the request or payload is malformed
  kUnauthorized,    // credentials missing, wrong, or lacking a scope
  kNotFound,        // the remote object does not exist
  kRateLimited,     // over a rate limit; retry_after says when to try again
  kQuotaExhausted,  // a daily quota is spent; not retryable until it resets
  kUnavailable,     // the remote side is down or answered 5xx; retryable
  kTimeout,         // no answer in time; retryable
  kPermanent,       // the remote side refused for good (blocked bot, bad value)
  kConflict,        // the object is busy or changed; retryable
  kInternal,        // a bug or an unexpected answer
};

std::string_view ToString(ErrorCode code);

// True for errors that a later attempt of the same call may cure.
bool IsRetryable(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // For kRateLimited: how long the remote asked us to wait.
  std::optional<std::chrono::seconds> retry_after;
  // Service-specific numeric code (Planfix error code, Telegram error_code, HTTP status).
  int remote_code = 0;
  // Telegram: a group that became a supergroup has a new chat id.
  std::optional<long long> migrate_to_chat_id;

  std::string ToString() const;
};

inline Error MakeError(ErrorCode code, std::string message) {
  Error error;
  error.code = code;
  error.message = std::move(message);
  return error;
}

// Wraps an Error so Result<T> can be built from it unambiguously.
struct Unexpected {
  Error error;
};

inline Unexpected Fail(ErrorCode code, std::string message) {
  return Unexpected{MakeError(code, std::move(message))};
}
inline Unexpected Fail(Error error) { return Unexpected{std::move(error)}; }

class BadResultAccess : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
  Result(Unexpected failure)                                             // NOLINT
      : state_(std::in_place_index<1>, std::move(failure.error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    Check();
    return std::get<0>(state_);
  }
  const T& value() const& {
    Check();
    return std::get<0>(state_);
  }
  T&& value() && {
    Check();
    return std::get<0>(std::move(state_));
  }
  const Error& error() const {
    if (has_value()) throw BadResultAccess("Result holds a value, not an error");
    return std::get<1>(state_);
  }
  T value_or(T fallback) const& { return has_value() ? std::get<0>(state_) : fallback; }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  void Check() const {
    if (!has_value())
      throw BadResultAccess("Result holds an error: " + std::get<1>(state_).ToString());
  }
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Unexpected failure) : error_(std::move(failure.error)) {}  // NOLINT

  bool has_value() const { return !error_.has_value(); }
  explicit operator bool() const { return has_value(); }
  void value() const {
    if (error_) throw BadResultAccess("Result holds an error: " + error_->ToString());
  }
  const Error& error() const {
    if (!error_) throw BadResultAccess("Result holds a value, not an error");
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status Ok() { return {}; }

}  // namespace planfix_flow::core
