// Database: planfix-flow's durable state in one SQLite file (WAL): the inbox of events,
// the outbox of jobs, timers and flows. Thread-safe. There is one writer path (a mutex over
// one connection); appends from concurrent callers are group-committed, each caller
// returning only after its event is durable. Reads use their own connection, so they never
// wait for the writer. Disk and SQL errors throw (std::runtime_error), except in
// AppendEvent, which reports them as kUnavailable.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/storage/flow_reader.h"
#include "planfix_flow/storage/inbox.h"
#include "planfix_flow/storage/records.h"
#include "planfix_flow/storage/time_records.h"

namespace SQLite {  // NOLINT(readability-identifier-naming): SQLiteCpp names it
class Database;
}  // namespace SQLite

namespace planfix_flow::storage {

// kFull: an acknowledged event survives power loss. kNormal: it survives a crash of the
// process but the last commits may be lost on power loss (faster).
enum class Synchronous { kFull, kNormal };

struct DatabaseOptions {
  std::string path = ":memory:";  // a file path, or ":memory:" for tests
  Synchronous synchronous = Synchronous::kFull;
  std::chrono::milliseconds busy_timeout{5000};
  // Appends committed together at most (group commit).
  std::size_t max_batch = 512;
  // Before a newer build migrates an existing file, copy it to
  // "<path>.schema-v<old version>-<UTC time>.backup" (storage/backup.h), so a rollback to the
  // older build has a file it can read. Migrating stops (the constructor throws) if the copy
  // fails.
  bool backup_before_migration = true;
};

// What committing an event's outcome changed, so the caller can wake the executor and
// the scheduler.
struct CommitSummary {
  std::size_t jobs_added = 0;  // effects whose idempotency key was new
  std::size_t timers_set = 0;
  std::size_t timers_cancelled = 0;
  std::optional<core::TimePoint> earliest_timer;  // the earliest due time among timers set
};

// How a failed event or job attempt ends.
enum class FailureOutcome { kRetry, kDead };

struct JobFilter {
  std::optional<JobState> state;  // all states when absent
  std::size_t limit = 100;
  // Newest first (by id) when true; oldest first otherwise.
  bool newest_first = true;
};

class Database final : public Inbox, public FlowReader {
 public:
  // Opens (creating if needed) and migrates. Throws std::runtime_error when the file cannot
  // be opened or its schema is newer than this build knows.
  explicit Database(DatabaseOptions options);
  ~Database() override;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // The schema version after migrations (the highest applied).
  int schema_version() const;

  // Called after events were newly committed by AppendEvent or by FireDueTimers, on the
  // committing thread and outside the database's locks; wire it to the event processor's
  // Notify. May be replaced or cleared (nullptr) at any time, also while other threads
  // append: once this returns, no call to the old listener is running or will start, so its
  // owner may go away. It must not call SetEventsAddedListener itself (that would wait for
  // its own call to end) and must not throw.
  void SetEventsAddedListener(std::function<void()> listener);

  // Whether a write transaction can start now (what /readyz reports). Never throws.
  bool IsWritable();

  // ---- Inbox ----
  core::Result<AppendResult> AppendEvent(const NewEvent& event) override;
  // Number of commits made by AppendEvent so far (each may hold many events).
  std::uint64_t append_commits() const;
  // Appends waiting for a commit (for tests and metrics).
  std::size_t queued_appends() const;

  // ---- Events (the processor's path) ----
  // The pending event with the lowest id whose next attempt is due at `now`.
  std::optional<StoredEvent> NextDueEvent(core::TimePoint now) const;
  // The earliest next_attempt_at among pending events.
  std::optional<core::TimePoint> NextEventAttemptAt() const;
  // In one transaction: inserts the effects as jobs (skipping known idempotency keys),
  // applies the timer and flow changes and marks the event done. Throws if the event is
  // not pending (nothing is changed then).
  CommitSummary CompleteEvent(std::int64_t event_id, const std::vector<Effect>& effects,
                              const std::vector<TimerChange>& timers,
                              const std::vector<FlowChange>& flows, core::TimePoint now);
  // Counts a failed attempt: back to pending with `next_attempt_at`, or dead.
  void FailEvent(std::int64_t event_id, const std::string& error, FailureOutcome outcome,
                 core::TimePoint next_attempt_at, core::TimePoint now);
  // A dead event back to pending with attempts reset. kNotFound, or kConflict if not dead.
  core::Status ReplayEvent(std::int64_t event_id, core::TimePoint now);
  std::optional<StoredEvent> GetEvent(std::int64_t event_id) const;
  std::vector<StoredEvent> ListEvents(std::optional<EventState> state, std::size_t limit) const;

  // ---- Jobs (the executor's path) ----
  // Leases the next runnable job: pending and due, or running with an expired lease (its
  // worker died). Counts the attempt. Ordered by next attempt time, then id.
  std::optional<Job> LeaseNextJob(const std::string& worker, core::TimePoint now,
                                  core::TimePoint lease_until);
  std::optional<core::TimePoint> NextJobAttemptAt() const;
  // The following return false (and change nothing) when `worker` no longer holds the lease.
  // `report`, when given, is an internal event telling the workflow how the job ended: it is
  // stored (once per dedupe key) in the same transaction that records the outcome, so a crash
  // cannot keep one without the other.
  bool CompleteJob(std::int64_t job_id, const std::string& worker, const std::string& result,
                   core::TimePoint now, const NewEvent* report = nullptr);
  // kRetry: back to pending at `next_attempt_at`; kDead: dead with the reason (and `report`).
  // `refund_attempt` un-counts this attempt (a spent daily quota is not the job's fault).
  bool FailJob(std::int64_t job_id, const std::string& worker, const std::string& error,
               FailureOutcome outcome, core::TimePoint next_attempt_at, core::TimePoint now,
               bool refund_attempt = false, const NewEvent* report = nullptr);
  // Gives a leased job back untouched (the attempt is not counted), e.g. at shutdown.
  bool ReleaseJob(std::int64_t job_id, const std::string& worker, core::TimePoint now);
  // At start-up, before this process's executor runs: every job still leased was left by a
  // process that ended during its call (kill -9, power loss), so it goes back to pending, due
  // at `now`, instead of waiting out a lease nobody holds. The attempt stays counted: the
  // call may have reached the remote. Only for a database one process executes (serve).
  // Returns how many jobs were released.
  std::size_t ReleaseAbandonedJobs(core::TimePoint now);
  // A dead job back to pending, due now, attempts reset, replay recorded.
  // kNotFound for an unknown id, kConflict for a job that is not dead.
  core::Result<Job> ReplayJob(std::int64_t job_id, core::TimePoint now);
  std::optional<Job> GetJob(std::int64_t job_id) const;
  std::vector<Job> ListJobs(const JobFilter& filter) const;
  std::map<JobState, std::int64_t> CountJobsByState() const;

  // ---- Timers (the scheduler's path) ----
  // Turns up to `limit` pending timers due at `now` into events (source timer, dedupe key
  // "timer:<id>", the timer's kind and payload) and marks them fired, in one transaction.
  // Returns how many fired; call again while it returns `limit`.
  std::size_t FireDueTimers(core::TimePoint now, std::size_t limit);
  std::optional<core::TimePoint> NextTimerDue() const;
  std::optional<Timer> GetTimer(const std::string& key) const;
  std::int64_t CountPendingTimers() const;

  // ---- Flows ----
  std::optional<Flow> GetFlow(const std::string& key) const override;
  // The flow `flow.key` names: inserted from `flow` (created at `now`) when there is none,
  // otherwise returned as stored, unchanged. For facts the service records once, outside any
  // event (when it first ran with a signing key).
  Flow EnsureFlow(const FlowChange& flow, core::TimePoint now);
  std::vector<Flow> FlowsForTask(std::int64_t task, std::size_t limit) const override;
  // Flows of one kind in one state, newest first (e.g. unmatched form responses).
  std::vector<Flow> ListFlows(const std::string& kind, const std::string& state,
                              std::size_t limit) const override;

  // ---- Admin views (database_admin.cpp) ----
  // Every event and job about a task number or a contact id, at most `limit` of each. About
  // a task: its id under a "task" key anywhere in the payload, and the jobs those events
  // planned. About a contact: its id under a "contact" key, plus what is about the tasks and
  // Telegram chats the contact's flows name (a client's chat id under "chat_id", "chat" or
  // an update's chat.id).
  Timeline FindTimeline(TimelineSubject subject, std::int64_t id, std::size_t limit) const;
  Backlog GetBacklog(core::TimePoint now) const;

  // ---- Telegram chat migrations ----
  // Records that Telegram moved `old_chat` to `new_chat` (a group became a supergroup).
  // Returns false when exactly this was already known.
  bool RecordChatMigration(std::int64_t old_chat, std::int64_t new_chat, core::TimePoint now);
  // The id Telegram uses now for `chat`: the recorded migrations followed to the end (a few
  // hops at most), `chat` itself when it never migrated.
  std::int64_t CurrentChatId(std::int64_t chat) const;

  // ---- Service state: small values the service keeps between runs, by key ----
  std::optional<std::string> GetServiceState(const std::string& key) const;
  void SetServiceState(const std::string& key, const std::string& value, core::TimePoint now);

  // Retention: blanks the raw body of every event processed (done) before `cutoff` and the
  // payload of every job done before it, writing {"pruned_at": "<now>"} in their place; the
  // rows, their dedupe and idempotency keys, job results, dead items, timers and flows stay.
  // Works in batches of `batch` rows, each its own transaction, so it never holds the writer
  // long. Returns how many events and jobs it blanked.
  struct PruneSummary {
    std::size_t events = 0;
    std::size_t jobs = 0;
  };
  PruneSummary PruneBefore(core::TimePoint cutoff, core::TimePoint now, std::size_t batch = 500);

  // ---- Communication time (issue 14; database_time.cpp) ----
  // In one transaction: stores a complete read of the time data tag (entries replaced by key,
  // never doubled; problems kept with their reason; what the read's scope lacks removed) and
  // moves the watermark.
  TimeSyncCounts ApplyTimeSync(const TimeSyncBatch& batch, core::TimePoint now);
  TimeSyncState GetTimeSyncState() const;
  // Counted entries dated from..to ("YYYY-MM-DD", both included), by date then key.
  std::vector<TimeEntryRecord> ListTimeEntries(const std::string& from_date,
                                               const std::string& to_date) const;
  std::vector<TimeProblemRecord> ListTimeProblems() const;
  std::optional<TimeTaskRecord> GetTimeTask(std::int64_t task) const;
  void PutTimeTask(const TimeTaskRecord& task);
  // Done jobs of `kind` that finished in [from, to), oldest first: the outbox's sent messages.
  std::vector<Job> ListDoneJobs(const std::string& kind, core::TimePoint from,
                                core::TimePoint to) const;

  // Refreshes gauges: planfix_flow_jobs{state}, planfix_flow_events{state},
  // planfix_flow_timers_pending. Call from a Metrics collector.
  void CollectMetrics(core::Metrics& metrics) const;
  // The same, and planfix_flow_backlog_oldest_seconds{queue="events"|"jobs"} as of `now`.
  void CollectMetrics(core::Metrics& metrics, core::TimePoint now) const;

  // Holds the writer until the returned object is destroyed (tests use it to make appends
  // queue up behind a busy writer).
  std::unique_lock<std::mutex> BlockWriterForTesting();

 private:
  struct PendingAppend;

  void Migrate();
  std::vector<core::Result<AppendResult>> CommitAppendBatch(
      const std::vector<PendingAppend*>& batch);
  // Runs `read` on the read connection (or on the writer for in-memory databases).
  void Read(const std::function<void(SQLite::Database&)>& read) const;
  // Runs `write` in an immediate transaction on the writer connection and commits.
  void Write(const std::function<void(SQLite::Database&)>& write);
  void NotifyEventsAdded();

  DatabaseOptions options_;
  std::unique_ptr<SQLite::Database> writer_;
  mutable std::mutex writer_mutex_;
  std::unique_ptr<SQLite::Database> reader_;  // null for :memory: (reads use the writer)
  mutable std::mutex reader_mutex_;

  // Group commit: callers queue, one of them (the leader) commits everyone queued and wakes
  // just those, then the next queued one to lead (each waiter has its own condition).
  mutable std::mutex queue_mutex_;
  std::vector<PendingAppend*> queue_;
  bool leader_active_ = false;
  std::uint64_t append_commits_ = 0;

  // Shared with the calls in progress, which copy it under the mutex and call it outside;
  // a replaced listener is released when its last call ends (listener_idle_ is notified).
  mutable std::mutex listener_mutex_;
  std::condition_variable listener_idle_;
  std::shared_ptr<const std::function<void()>> events_added_listener_;
};

}  // namespace planfix_flow::storage
