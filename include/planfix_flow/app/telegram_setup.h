// TelegramSetup: makes sure the service hears from Telegram. At start it checks the bot token
// with getMe (the token's bot must be telegram.bot_username) and, in webhook mode, registers
// telegram.webhook_url with setWebhook; failures are retried with backoff. Then, in webhook
// mode, it reads getWebhookInfo every check interval and tells the staff chat once per
// problem (through a telegram.webhook_problem event). Problem() is what /readyz reports.
// RunDue/Run on one thread; Problem() from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/storage/database.h"
#include "planfix_flow/telegram/telegram_client.h"

namespace planfix_flow::app {

struct TelegramSetupOptions {
  std::string bot_username;  // telegram.bot_username, without "@"
  // Webhook mode: the URL to register and watch, and the secret Telegram sends back with
  // every update. An empty URL means polling mode: getMe only (the poller removes the webhook).
  std::string webhook_url;
  std::string secret_token;
  // The update types the rules handle; registered as allowed_updates.
  std::vector<std::string> allowed_updates;
  core::Duration check_interval = std::chrono::minutes(10);
  // Back-off after a failed call: base, doubled per consecutive failure, capped at max; a 429
  // waits its retry_after instead.
  core::Duration backoff_base = std::chrono::seconds(5);
  core::Duration backoff_max = std::chrono::minutes(10);
};

// The order matters: setWebhook is called only once getMe has shown that the token belongs to
// the configured bot, so a token pasted from another bot never takes over that bot's webhook.
// setWebhook keeps the pending updates (no drop_pending_updates) and runs at every start, so
// a changed secret, URL or update list takes effect; with the same values it changes nothing.
//
// The watch: Telegram keeps the last delivery error (date and message) in getWebhookInfo.
// An error dated after this process registered the webhook starts a problem, told once per
// message; the problem ends when a check finds no newer error and nothing pending. Errors
// from before the registration (e.g. while the service was down) are not reported. A webhook
// URL other than ours is told once per URL and shown in Problem() until it is ours again (the
// service does not take it back by itself: another deployment may be using the token; a
// restart registers ours). What has been told is kept in the database, so a restart does not
// tell it again.
class TelegramSetup {
 public:
  TelegramSetup(telegram::TelegramClient& telegram, storage::Database& database, core::Clock& clock,
                core::Metrics& metrics, TelegramSetupOptions options);

  // Does what is due: getMe, then setWebhook, then the first check at once; later a check
  // every interval. Returns how many events it stored (staff notices).
  std::size_t RunDue();
  // RunDue until `stop`, waiting on the clock in between (at most a second at a time, so a
  // FakeClock can move it). Returns at once in polling mode after getMe succeeded.
  void Run(std::stop_token stop);

  // What keeps the service from hearing Telegram, for /readyz: empty when getMe showed the
  // configured bot and, in webhook mode, the webhook is registered and is ours. Delivery
  // errors are not in it (they go to the staff chat and the metrics).
  std::string Problem() const;

 private:
  enum class Stage { kCheckBot, kRegister, kWatch, kDone };
  struct WatchState;

  bool webhook_mode() const { return !options_.webhook_url.empty(); }
  bool CheckBot();
  bool Register();
  std::size_t Watch();
  // A failed step: counts it, logs it, shows `problem` and sets the next attempt.
  void Failed(const char* call, const core::Error& error, std::string problem);
  bool Tell(WatchState& state, const std::string& payload, const char* what);
  void SetProblem(std::string problem);

  telegram::TelegramClient& telegram_;
  storage::Database& database_;
  core::Clock& clock_;
  core::Metrics& metrics_;
  TelegramSetupOptions options_;
  Stage stage_ = Stage::kCheckBot;
  core::TimePoint next_at_{};
  int failures_ = 0;
  std::int64_t registered_at_ = 0;  // Unix seconds of this process's setWebhook
  core::Gauge& bot_ok_;
  core::Gauge* webhook_ok_ = nullptr;       // webhook mode only
  core::Gauge* pending_updates_ = nullptr;  // webhook mode only

  mutable std::mutex mutex_;
  std::string problem_;  // guarded by mutex_
};

// Whether two webhook URLs name the same endpoint: scheme and host compared without case (as
// Telegram may give them back), the rest exactly.
bool SameWebhookUrl(std::string_view a, std::string_view b);

}  // namespace planfix_flow::app
