// Planfix "Send HTTP request" bodies: parse a JSON or form-encoded body carrying an event
// name and ids into a normalised webhook, and derive its dedupe key. The parser is pure;
// PlanfixDedupe is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"

namespace planfix_flow::http {

enum class PlanfixBodyFormat { kJson, kForm };

// The id fields a body may carry; each is a positive integer given as a number or a string,
// optionally prefixed with its own name ("contact:45", "user:5"). Other fields are ignored.
inline constexpr std::string_view kPlanfixIdFields[] = {"contact", "project", "status", "task",
                                                        "user"};
inline constexpr std::size_t kPlanfixMaxJsonDepth = 4;
inline constexpr std::size_t kPlanfixMaxAtBytes = 64;

struct PlanfixWebhook {
  std::string event;                       // matches [a-z][a-z0-9_.]{0,63}
  std::map<std::string, std::string> ids;  // field -> decimal digits, no leading zeros
  // Optional `at`: a value Planfix renders once per request (e.g. the current date and time),
  // so a retry carries the same one and a new change another. Part of the content hash, not
  // of the payload. At most kPlanfixMaxAtBytes printable characters.
  std::string at;

  // {"event":"brief.send","contact":"45","task":"123"}: what the workflow reads.
  std::string ToPayloadJson() const;
};

// kInvalidInput with a message naming the problem (never echoing values): invalid UTF-8,
// malformed JSON or not an object, nesting deeper than kPlanfixMaxJsonDepth, a missing or
// invalid event, an id that is not a positive integer, a field given twice in a form.
// An id that is empty or null counts as absent (Planfix substitutes "" for an empty variable).
core::Result<PlanfixWebhook> ParsePlanfixWebhook(std::string_view body, PlanfixBodyFormat format);

// SHA-256 (hex) over the event, its ids and `at`: equal for every retry of one body, whatever
// the field order, formatting or body format.
std::string PlanfixContentHash(const PlanfixWebhook& webhook);

// Turns a content hash into a dedupe key "<hash>:<bucket>", where the bucket is the window
// that contains the first time this content was seen. Repeats within `window` of that first
// sighting get the same key (Planfix retries are duplicates); a repeat after the window starts
// a new sighting whose bucket is necessarily different (a deliberate second press is a new
// event). Sightings are kept in memory only; after a restart the bucket of the current time
// is used, which matches the stored key unless the first sighting was in an earlier bucket.
// A body with `at` gets "<hash>:at" instead: the same `at` is a duplicate whenever it comes.
class PlanfixDedupe {
 public:
  explicit PlanfixDedupe(std::chrono::seconds window, std::size_t max_entries = 100000);

  std::string KeyFor(const PlanfixWebhook& webhook, core::TimePoint now);
  std::chrono::seconds window() const { return window_; }

 private:
  void Expire(core::TimePoint now);

  std::chrono::seconds window_;
  std::size_t max_entries_;
  std::mutex mutex_;
  std::unordered_map<std::string, core::TimePoint> first_seen_;
  std::deque<std::pair<core::TimePoint, std::string>> order_;
};

}  // namespace planfix_flow::http
