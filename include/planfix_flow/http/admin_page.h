// The admin page: server-rendered HTML under /admin/ (health and backlog, dead jobs and events
// with a Replay button, unmatched form responses, one client's timeline) behind a login with
// the admin token. AdminConsole is what the page needs from the rest of the service; the
// IngressServer calls it from many handler threads at once, so implementations are
// thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "planfix_flow/core/result.h"
#include "planfix_flow/storage/records.h"

namespace planfix_flow::http {

struct AdminOverview {
  storage::Backlog backlog;
  // What keeps the service from being ready (as /readyz says); empty: ready.
  std::vector<std::string> problems;
  // Label and value lines shown as they are, e.g. {"Telegram", "webhook mode, bot @x: ready"}.
  std::vector<std::pair<std::string, std::string>> facts;
};

class AdminConsole {
 public:
  virtual ~AdminConsole() = default;
  virtual AdminOverview Overview() = 0;
  // Newest first, at most `limit`.
  virtual std::vector<storage::Job> ListJobs(storage::JobState state, std::size_t limit) = 0;
  virtual std::vector<storage::StoredEvent> ListEvents(storage::EventState state,
                                                       std::size_t limit) = 0;
  virtual std::optional<storage::Job> GetJob(std::int64_t id) = 0;
  virtual std::optional<storage::StoredEvent> GetEvent(std::int64_t id) = 0;
  // Queue a dead job or event again (and wake whoever runs it). kNotFound, or kConflict when
  // it is not dead.
  virtual core::Result<storage::Job> ReplayJob(std::int64_t id) = 0;
  virtual core::Status ReplayEvent(std::int64_t id) = 0;
  // Form responses no client could be matched to (`briefs unmatched`), newest first.
  virtual std::vector<storage::Flow> UnmatchedResponses(std::size_t limit) = 0;
  virtual storage::Timeline FindTimeline(storage::TimelineSubject subject, std::int64_t id,
                                         std::size_t limit) = 0;
};

}  // namespace planfix_flow::http
