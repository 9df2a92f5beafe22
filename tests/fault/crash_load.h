// What the crash test's load asks of the crash harness, shared by both: a Telegram update
// whose text is "/effect <ms>" plans one message to its chat and a timer due <ms> after it is
// handled, whose firing plans one more message. Each message's text names its job, so the
// fake's records show every delivery of every job.
#pragma once

#include <cstdint>
#include <string>

namespace planfix_flow::fault {

inline constexpr char kEffectCommand[] = "/effect ";
inline constexpr char kTimerEventKind[] = "crash.timer";

inline std::string EventJobKey(std::int64_t update_id) {
  return "crash:event:" + std::to_string(update_id);
}
inline std::string TimerJobKey(std::int64_t update_id) {
  return "crash:timer:" + std::to_string(update_id);
}
// The timer's key is the key of the job its firing plans.
inline std::string TimerKey(std::int64_t update_id) { return TimerJobKey(update_id); }
// The message text of a job: its key.
inline std::string MessageText(const std::string& job_key) { return "job " + job_key; }

}  // namespace planfix_flow::fault
