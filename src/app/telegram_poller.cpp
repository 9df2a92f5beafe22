#include "planfix_flow/app/telegram_poller.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>

#include "planfix_flow/core/log.h"
#include "planfix_flow/http/telegram_webhook.h"

namespace planfix_flow::app {

using core::Fail;
using core::Result;

TelegramPoller::TelegramPoller(telegram::TelegramClient& telegram, storage::Inbox& inbox,
                               core::Clock& clock, TelegramPollerOptions options)
    : telegram_(telegram), inbox_(inbox), clock_(clock), options_(options) {
  if (options_.limit < 1 || options_.limit > 100) {
    throw std::invalid_argument("TelegramPoller: limit must be 1-100");
  }
}

core::Error TelegramPoller::Failed(core::Error error) {
  ++failures_;
  core::Duration delay = options_.backoff_base;
  for (int i = 1; i < failures_ && delay < options_.backoff_max; ++i) delay *= 2;
  delay = std::min(delay, options_.backoff_max);
  if (error.code == core::ErrorCode::kRateLimited && error.retry_after) {
    delay = *error.retry_after;
  }
  next_attempt_at_ = clock_.Now() + delay;
  core::Logger("telegram_poller")
      ->warn("outcome=failed failures={} retry_in_ms={} error=\"{}\"", failures_,
             std::chrono::duration_cast<std::chrono::milliseconds>(delay).count(),
             error.ToString());
  return error;
}

Result<std::size_t> TelegramPoller::PollOnce(std::chrono::seconds timeout) {
  if (clock_.Now() < next_attempt_at_) return std::size_t{0};
  static const auto log = core::Logger("telegram_poller");
  if (!webhook_deleted_) {
    if (auto deleted = telegram_.DeleteWebhook(telegram::PendingUpdates::kKeep); !deleted) {
      return Fail(Failed(deleted.error()));
    }
    webhook_deleted_ = true;
    log->info("outcome=webhook_deleted");
  }

  telegram::GetUpdatesRequest request;
  request.offset = offset_;
  request.limit = options_.limit;
  request.timeout = timeout;
  auto updates = telegram_.GetUpdates(request);
  if (!updates) return Fail(Failed(updates.error()));

  std::size_t stored = 0;
  for (const auto& update : *updates) {
    // The same checks as the webhook; what it would refuse cannot be stored on a retry
    // either, so it is skipped (and confirmed) rather than fetched forever.
    if (auto checked = http::ParseTelegramWebhook(update.raw_json); !checked) {
      log->warn("outcome=skipped update_id={} error=\"{}\"", update.update_id,
                checked.error().message);
      offset_ = update.update_id + 1;
      continue;
    }
    storage::NewEvent event;
    event.source = storage::EventSource::kTelegram;
    event.dedupe_key = std::to_string(update.update_id);
    event.kind = "telegram.update";
    event.payload = update.raw_json;
    event.received_at = clock_.Now();
    auto appended = inbox_.AppendEvent(event);
    if (!appended) {
      // The offset stays at this update, so the next call fetches it again.
      return Fail(Failed(appended.error()));
    }
    offset_ = update.update_id + 1;
    if (appended->outcome == storage::AppendOutcome::kStored) {
      ++stored;
      log->info("outcome=stored update_id={} type={} event_id={}", update.update_id, update.type,
                appended->event_id);
    } else {
      log->info("outcome=duplicate update_id={} event_id={}", update.update_id, appended->event_id);
    }
  }
  failures_ = 0;
  return stored;
}

void TelegramPoller::Run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    const auto now = clock_.Now();
    if (now < next_attempt_at_) {
      const core::Duration wait =
          std::min<core::Duration>(next_attempt_at_ - now, std::chrono::seconds(1));
      std::unique_lock lock(mutex);
      wake.wait_for(lock, stop, wait, [] { return false; });
      continue;
    }
    (void)PollOnce(options_.poll_timeout);  // failures are logged and backed off inside
  }
}

}  // namespace planfix_flow::app
