#include "planfix_flow/engine/effect_executor.h"

#include <unistd.h>

#include <random>

#include "engine/wake.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/core/pacer.h"

namespace planfix_flow::engine {

namespace {

core::TimePoint NextMidnightUtc(core::TimePoint now) {
  return std::chrono::floor<std::chrono::days>(now) + std::chrono::days(1);
}

// Never schedule a retry at `now` itself, so RunDue cannot spin on one failing job.
constexpr core::Duration kMinimumRetryDelay = std::chrono::milliseconds(1);

}  // namespace

EffectExecutor::EffectExecutor(storage::Database& database, core::Clock& clock,
                               EffectExecutorOptions options, core::Metrics* metrics)
    : database_(database),
      clock_(clock),
      options_(std::move(options)),
      metrics_(metrics),
      backoff_(options_.backoff, options_.seed ? *options_.seed : std::random_device{}()) {
  if (options_.worker_id.empty()) options_.worker_id = "executor-" + std::to_string(::getpid());
  if (!options_.quota_reset) options_.quota_reset = NextMidnightUtc;
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

void EffectExecutor::Register(const std::string& kind, JobHandler handler) {
  handlers_[kind] = std::move(handler);
}

int EffectExecutor::MaxAttempts(const Job& job) const {
  return job.max_attempts > 0 ? job.max_attempts : options_.max_attempts;
}

JobOutcome EffectExecutor::RunOnce() {
  const auto now = clock_.Now();
  auto job = database_.LeaseNextJob(options_.worker_id, now, now + options_.lease);
  if (!job) return JobOutcome::kIdle;

  core::Result<std::string> result = core::Fail(
      core::ErrorCode::kPermanent, "no handler is registered for job kind '" + job->kind + "'");
  const auto handler = handlers_.find(job->kind);
  if (handler != handlers_.end()) {
    const auto started = std::chrono::steady_clock::now();
    // A bulk job's calls yield to interactive ones at the shared pacer (Planfix's 1/s).
    std::optional<core::BulkScope> bulk;
    if (job->priority == plan::EffectPriority::kBulk) bulk.emplace();
    try {
      result = handler->second(*job);
    } catch (const std::exception& error) {
      result =
          core::Fail(core::ErrorCode::kInternal, std::string("handler threw: ") + error.what());
    }
    if (metrics_) {
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
      metrics_
          ->GetHistogram("planfix_flow_effect_latency_seconds",
                         "Time one effect's external call took", {{"kind", job->kind}})
          .Observe(elapsed.count());
    }
  }
  return Record(*job, result);
}

JobOutcome EffectExecutor::Record(const Job& job, const core::Result<std::string>& result) {
  const auto now = clock_.Now();
  auto log = core::Logger("engine");
  JobOutcome outcome = JobOutcome::kDone;
  bool recorded = false;
  std::string reason;

  if (result) {
    const auto report = options_.report ? options_.report(job, result) : std::nullopt;
    recorded = database_.CompleteJob(job.id, options_.worker_id, *result, now,
                                     report ? &*report : nullptr);
    log->info("event=job_done id={} kind={} destination={} attempts={}", job.id, job.kind,
              job.destination, job.attempts);
  } else {
    const core::Error& error = result.error();
    reason = error.ToString();
    if (error.code == core::ErrorCode::kQuotaExhausted) {
      // Not the job's fault: wait for the quota to reset without spending an attempt.
      const auto next = std::max(options_.quota_reset(now), now + kMinimumRetryDelay);
      outcome = JobOutcome::kRetry;
      recorded = database_.FailJob(job.id, options_.worker_id, reason,
                                   storage::FailureOutcome::kRetry, next, now,
                                   /*refund_attempt=*/true);
      log->warn("event=job_quota_wait id={} kind={} next_attempt_at={} error=\"{}\"", job.id,
                job.kind, storage::FormatTime(next), reason);
    } else if (!core::IsRetryable(error.code) || job.attempts >= MaxAttempts(job)) {
      if (core::IsRetryable(error.code)) {
        reason = "attempts exhausted (" + std::to_string(job.attempts) + "): " + reason;
      }
      outcome = JobOutcome::kDead;
      const auto report = options_.report ? options_.report(job, result) : std::nullopt;
      recorded = database_.FailJob(job.id, options_.worker_id, reason,
                                   storage::FailureOutcome::kDead, now, now,
                                   /*refund_attempt=*/false, report ? &*report : nullptr);
      log->error("event=job_dead id={} kind={} destination={} attempts={} error=\"{}\"", job.id,
                 job.kind, job.destination, job.attempts, reason);
    } else {
      auto delay = std::max(backoff_.Delay(job.attempts), kMinimumRetryDelay);
      if (error.retry_after) delay = std::max<core::Duration>(delay, *error.retry_after);
      const auto next = now + delay;
      outcome = JobOutcome::kRetry;
      recorded = database_.FailJob(job.id, options_.worker_id, reason,
                                   storage::FailureOutcome::kRetry, next, now);
      log->warn(
          "event=job_retry id={} kind={} destination={} attempts={} next_attempt_at={}"
          " error=\"{}\"",
          job.id, job.kind, job.destination, job.attempts, storage::FormatTime(next), reason);
    }
  }
  if (!recorded) {
    log->warn("event=job_lease_lost id={} kind={} worker={}", job.id, job.kind, options_.worker_id);
  }
  if (metrics_) {
    const char* name = outcome == JobOutcome::kDone    ? "done"
                       : outcome == JobOutcome::kRetry ? "retry"
                                                       : "dead";
    metrics_
        ->GetCounter("planfix_flow_job_attempts_total", "Job attempts, by kind and outcome",
                     {{"kind", job.kind}, {"outcome", name}})
        .Increment();
    if (outcome == JobOutcome::kDead) {
      metrics_
          ->GetCounter("planfix_flow_dead_letters_total", "Jobs that went dead, by kind",
                       {{"kind", job.kind}})
          .Increment();
    }
  }
  return outcome;
}

std::size_t EffectExecutor::RunDue(const std::stop_token& stop) {
  std::size_t ran = 0;
  while (!stop.stop_requested() && RunOnce() != JobOutcome::kIdle) ++ran;
  return ran;
}

void EffectExecutor::Run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    try {
      if (RunOnce() != JobOutcome::kIdle) continue;
      const auto wait =
          internal::TimeUntil(database_.NextJobAttemptAt(), clock_.Now(), options_.max_idle_wait);
      internal::WaitForWork(wake_mutex_, wake_cv_, notified_, stop, wait);
    } catch (const std::exception& error) {
      core::Logger("engine")->error("event=executor_error error=\"{}\"", error.what());
      internal::WaitForWork(wake_mutex_, wake_cv_, notified_, stop, std::chrono::seconds(1));
    }
  }
}

void EffectExecutor::Notify() { internal::Wake(wake_mutex_, wake_cv_, notified_); }

core::Result<Job> EffectExecutor::ReplayJob(std::int64_t job_id) {
  auto replayed = database_.ReplayJob(job_id, clock_.Now());
  if (replayed) {
    core::Logger("engine")->info("event=job_replayed id={} kind={}", replayed->id, replayed->kind);
    Notify();
  }
  return replayed;
}

}  // namespace planfix_flow::engine
