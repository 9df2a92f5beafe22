// TelegramPoller: Telegram long polling for telegram.mode = "polling". It reads updates with
// getUpdates and stores each one in the inbox as POST /webhooks/telegram would. Not
// thread-safe: one thread polls (Run, or PollOnce from the owner's loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <stop_token>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/storage/inbox.h"
#include "planfix_flow/telegram/telegram_client.h"

namespace planfix_flow::app {

struct TelegramPollerOptions {
  // How long Telegram holds a getUpdates call open in Run. Stop waits for the call in
  // flight, so this also bounds how long stopping can take.
  std::chrono::seconds poll_timeout{25};
  int limit = 100;  // updates per getUpdates call, 1-100
  // Back-off after a failed call: base, doubled per consecutive failure, capped at max.
  // A 429 waits its retry_after instead.
  core::Duration backoff_base = std::chrono::seconds(1);
  core::Duration backoff_max = std::chrono::seconds(60);
};

// The offset sent to getUpdates confirms every update below it, and Telegram forgets those.
// The poller therefore moves its offset past an update only after the inbox committed it
// (or found it a duplicate); an update that could not be stored is fetched again. After a
// restart the offset starts unset, so updates stored but not yet confirmed come again and
// the inbox drops them as duplicates (the dedupe key is the update_id).
class TelegramPoller {
 public:
  TelegramPoller(telegram::TelegramClient& telegram, storage::Inbox& inbox, core::Clock& clock,
                 TelegramPollerOptions options = {});

  // One step. The first successful step calls deleteWebhook first (getUpdates is refused
  // while a webhook is set; pending updates are kept). Then one getUpdates call waiting up to
  // `timeout`, and the updates are stored in order. Returns how many were newly stored
  // (duplicates and updates the webhook would refuse are skipped, not counted).
  // While backing off (clock.Now() < next_attempt_at()) it returns 0 without calling
  // Telegram. Errors: the failed deleteWebhook, getUpdates or AppendEvent; the next attempt
  // is then delayed by retry_after (429) or the exponential back-off.
  core::Result<std::size_t> PollOnce(std::chrono::seconds timeout);

  // Polls with options.poll_timeout until `stop` is requested, waiting out back-offs on the
  // clock (re-checked at least every second, so a FakeClock can move them). A stop request
  // ends a back-off wait at once; a getUpdates in flight is not interrupted and returns within
  // poll_timeout (plus the client's request timeout).
  void Run(std::stop_token stop);

  // The next offset to send: the last stored update_id + 1; unset before the first update.
  std::optional<std::int64_t> offset() const { return offset_; }
  core::TimePoint next_attempt_at() const { return next_attempt_at_; }
  int consecutive_failures() const { return failures_; }
  bool webhook_deleted() const { return webhook_deleted_; }

 private:
  // Records a failure and sets next_attempt_at_.
  core::Error Failed(core::Error error);

  telegram::TelegramClient& telegram_;
  storage::Inbox& inbox_;
  core::Clock& clock_;
  TelegramPollerOptions options_;
  bool webhook_deleted_ = false;
  std::optional<std::int64_t> offset_;
  int failures_ = 0;
  core::TimePoint next_attempt_at_{};
};

}  // namespace planfix_flow::app
