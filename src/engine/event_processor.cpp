#include "planfix_flow/engine/event_processor.h"

#include <algorithm>
#include <random>

#include "engine/wake.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/core/pacer.h"

namespace planfix_flow::engine {

namespace {

// A plan that storage would refuse is the rule's bug: it fails the event, not the loop.
std::string CheckPlan(const Plan& plan) {
  for (const auto& effect : plan.effects) {
    if (effect.kind.empty()) return "an effect has no kind";
    if (effect.idempotency_key.empty()) return "effect " + effect.kind + " has no idempotency key";
  }
  for (const auto& timer : plan.timers) {
    if (timer.key.empty()) return "a timer change has no key";
    if (timer.action == TimerAction::kSet && timer.kind.empty()) {
      return "timer " + timer.key + " has no kind";
    }
  }
  for (const auto& flow : plan.flows) {
    if (flow.key.empty() || flow.kind.empty() || flow.state.empty()) {
      return "flow change '" + flow.key + "' needs a key, a kind and a state";
    }
  }
  return "";
}

}  // namespace

EventProcessor::EventProcessor(storage::Database& database, EventHandler& handler,
                               core::Clock& clock, EventProcessorOptions options,
                               core::Metrics* metrics)
    : database_(database),
      handler_(handler),
      clock_(clock),
      options_(options),
      metrics_(metrics),
      backoff_(options_.backoff, options_.seed ? *options_.seed : std::random_device{}()) {
  if (options_.max_attempts < 1) options_.max_attempts = 1;
}

ProcessOutcome EventProcessor::RunOnce() {
  const auto now = clock_.Now();
  auto event = database_.NextDueEvent(now);
  if (!event) return ProcessOutcome::kIdle;
  auto log = core::Logger("engine");

  std::string failure;
  std::optional<Plan> plan;
  // A refusal that no retry can change (a bad payload, a task that does not exist, an invalid
  // plan) is dead at once; an outage or a rate limit is retried, no sooner than retry_after.
  bool permanent = false;
  core::Duration retry_after{};
  try {
    // What a timer started reads Planfix for nobody waiting: a press's calls go first.
    std::optional<core::BulkScope> bulk;
    if (event->source == plan::EventSource::kTimer) bulk.emplace();
    auto handled = handler_.Handle(*event, now);
    if (handled) {
      failure = CheckPlan(*handled);
      if (failure.empty()) {
        plan = std::move(*handled);
      } else {
        failure = "invalid plan: " + failure;
        permanent = true;
      }
    } else {
      failure = handled.error().ToString();
      const auto code = handled.error().code;
      permanent = !core::IsRetryable(code) && code != core::ErrorCode::kQuotaExhausted;
      if (handled.error().retry_after) retry_after = *handled.error().retry_after;
    }
  } catch (const std::exception& error) {
    failure = std::string("handler threw: ") + error.what();
  }

  const auto done_at = clock_.Now();
  if (plan) {
    // What a timer started (the monthly run, reminders) nobody is waiting for at this moment:
    // it runs after any due interactive job, so a backlog of it never delays a button press.
    if (event->source == plan::EventSource::kTimer) {
      for (auto& effect : plan->effects) effect.priority = plan::EffectPriority::kBulk;
    }
    const auto summary =
        database_.CompleteEvent(event->id, plan->effects, plan->timers, plan->flows, done_at);
    log->info("event=event_processed id={} kind={} jobs_added={} timers_set={} summary=\"{}\"",
              event->id, event->kind, summary.jobs_added, summary.timers_set, plan->summary);
    if (metrics_) {
      metrics_
          ->GetCounter("planfix_flow_events_processed_total", "Events processed, by outcome",
                       {{"kind", event->kind}, {"outcome", "done"}})
          .Increment();
    }
    if (summary.jobs_added > 0 && listeners_.jobs_added) listeners_.jobs_added();
    if ((summary.timers_set > 0 || summary.timers_cancelled > 0) && listeners_.timers_changed) {
      listeners_.timers_changed();
    }
    return ProcessOutcome::kDone;
  }

  const int attempts = event->attempts + 1;
  const bool dead = permanent || attempts >= options_.max_attempts;
  const auto next_attempt =
      dead ? done_at : done_at + std::max<core::Duration>(backoff_.Delay(attempts), retry_after);
  database_.FailEvent(event->id, failure,
                      dead ? storage::FailureOutcome::kDead : storage::FailureOutcome::kRetry,
                      next_attempt, done_at);
  if (metrics_) {
    metrics_
        ->GetCounter("planfix_flow_events_processed_total", "Events processed, by outcome",
                     {{"kind", event->kind}, {"outcome", dead ? "dead" : "retry"}})
        .Increment();
  }
  if (dead) {
    log->error("event=event_dead id={} kind={} attempts={} error=\"{}\"", event->id, event->kind,
               attempts, failure);
    return ProcessOutcome::kDead;
  }
  log->warn("event=event_retry id={} kind={} attempts={} next_attempt_at={} error=\"{}\"",
            event->id, event->kind, attempts, storage::FormatTime(next_attempt), failure);
  return ProcessOutcome::kRetry;
}

void EventProcessor::Run(const std::stop_token& stop) {
  while (!stop.stop_requested()) {
    try {
      if (RunOnce() != ProcessOutcome::kIdle) continue;
      const auto wait =
          internal::TimeUntil(database_.NextEventAttemptAt(), clock_.Now(), options_.max_idle_wait);
      internal::WaitForWork(wake_mutex_, wake_cv_, notified_, stop, wait);
    } catch (const std::exception& error) {
      core::Logger("engine")->error("event=processor_error error=\"{}\"", error.what());
      internal::WaitForWork(wake_mutex_, wake_cv_, notified_, stop, std::chrono::seconds(1));
    }
  }
}

void EventProcessor::Notify() { internal::Wake(wake_mutex_, wake_cv_, notified_); }

}  // namespace planfix_flow::engine
