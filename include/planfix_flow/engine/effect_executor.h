// EffectExecutor: runs due jobs (effects) through registered handlers, one external call
// per job, and records the outcome: done, retry with exponential backoff and jitter
// (honouring retry_after), or dead (permanent error, attempts exhausted, unknown kind).
// Jobs are leased, so a job left running by a crashed worker runs again once its lease
// expires. Register before running; RunOnce/RunDue/Run on one thread; the rest thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/engine/backoff.h"
#include "planfix_flow/engine/plan.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::engine {

// Makes the job's one external call. Returns the result to store (JSON, e.g. the sent
// message id; "" for none) or the error. Pacing per destination is the client's business.
using JobHandler = std::function<core::Result<std::string>(const Job& job)>;

struct EffectExecutorOptions {
  std::string worker_id;  // "executor-<pid>" when empty
  core::Duration lease = std::chrono::minutes(5);
  int max_attempts = 8;  // for jobs that do not set their own
  BackoffPolicy backoff{std::chrono::seconds(2), std::chrono::hours(1), 2.0, 0.2};
  std::optional<std::uint64_t> seed;  // jitter seed; random when absent
  // A spent daily quota (kQuotaExhausted) is retried at this moment, not counted as an
  // attempt. Default: the next midnight UTC.
  std::function<core::TimePoint(core::TimePoint now)> quota_reset;
  core::Duration max_idle_wait = std::chrono::seconds(30);
  // How the workflow hears that a job ended: called on the executor's thread for a job about
  // to be recorded done (with its result) or dead (with its error as the handler gave it);
  // the event it returns, if any, is stored in the same transaction as that outcome, so an
  // acknowledged outcome is never without its report (and a crash in between records
  // neither, so the job runs again).
  std::function<std::optional<storage::NewEvent>(const Job& job,
                                                 const core::Result<std::string>& outcome)>
      report;
};

enum class JobOutcome { kIdle, kDone, kRetry, kDead };

class EffectExecutor {
 public:
  EffectExecutor(storage::Database& database, core::Clock& clock,
                 EffectExecutorOptions options = {}, core::Metrics* metrics = nullptr);

  void Register(const std::string& kind, JobHandler handler);

  // Leases and runs the next due job, if any.
  JobOutcome RunOnce();
  // Runs jobs while some are due (or until `stop`); returns how many ran.
  std::size_t RunDue(const std::stop_token& stop = {});
  // Runs until `stop`, sleeping until Notify or the next due job; an in-flight job is
  // finished before returning.
  void Run(const std::stop_token& stop);
  // New jobs were committed or replayed.
  void Notify();

  // For the CLI and the admin endpoints.
  core::Result<Job> ReplayJob(std::int64_t job_id);
  std::optional<Job> GetJob(std::int64_t job_id) const { return database_.GetJob(job_id); }
  std::vector<Job> ListJobs(const storage::JobFilter& filter) const {
    return database_.ListJobs(filter);
  }

  const std::string& worker_id() const { return options_.worker_id; }

 private:
  int MaxAttempts(const Job& job) const;
  JobOutcome Record(const Job& job, const core::Result<std::string>& result);

  storage::Database& database_;
  core::Clock& clock_;
  EffectExecutorOptions options_;
  core::Metrics* metrics_;
  Backoff backoff_;
  std::map<std::string, JobHandler> handlers_;

  std::mutex wake_mutex_;
  std::condition_variable_any wake_cv_;
  bool notified_ = false;
};

}  // namespace planfix_flow::engine
