#include "planfix_flow/app/telegram_setup.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <nlohmann/json.hpp>
#include <utility>

#include "planfix_flow/core/log.h"
#include "planfix_flow/storage/records.h"
#include "planfix_flow/workflow/service_notices.h"

namespace planfix_flow::app {

using nlohmann::json;

namespace {

// The service_state key of the webhook watch.
constexpr char kWatchStateKey[] = "telegram.webhook_watch";

bool SameIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string DescribeFailure(const char* call, const core::Error& error) {
  if (error.code == core::ErrorCode::kUnauthorized) {
    return fmt::format(
        "telegram: {} failed: Telegram refused the bot token (401); check "
        "PLANFIX_FLOW_TELEGRAM_BOT_TOKEN",
        call);
  }
  // The client's messages start with "telegram <call>: "; said once is enough.
  std::string_view message = error.message;
  const std::string prefix = fmt::format("telegram {}: ", call);
  if (message.starts_with(prefix)) message.remove_prefix(prefix.size());
  return fmt::format("telegram: {} failed: {}", call, message);
}

}  // namespace

// Telegram gives the URL back as it was set; scheme and host are compared without case all
// the same, so a spelling difference there is not taken for another deployment's webhook.
bool SameWebhookUrl(std::string_view a, std::string_view b) {
  auto split = [](std::string_view url) {
    const auto scheme_end = url.find("://");
    const auto path =
        url.find_first_of("/?#", scheme_end == std::string_view::npos ? 0 : scheme_end + 3);
    return std::pair{url.substr(0, path),
                     path == std::string_view::npos ? std::string_view() : url.substr(path)};
  };
  const auto [a_origin, a_rest] = split(a);
  const auto [b_origin, b_rest] = split(b);
  return SameIgnoringCase(a_origin, b_origin) && a_rest == b_rest;
}

// What the watch has told the staff chat, kept in service_state between runs.
struct TelegramSetup::WatchState {
  std::optional<std::string> error_told;  // the delivery error of the open problem
  std::int64_t error_seen = 0;            // the newest last_error_date handled
  std::optional<std::string> url_told;    // the foreign webhook URL told about
  std::int64_t notices = 0;               // events stored so far (their dedupe keys)

  static WatchState Load(const storage::Database& database) {
    WatchState state;
    const auto text = database.GetServiceState(kWatchStateKey);
    if (!text) return state;
    const json object = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!object.is_object()) {
      core::Logger("telegram_setup")->warn("event=watch_state_unreadable action=starting_afresh");
      return state;
    }
    if (const auto it = object.find("error_told"); it != object.end() && it->is_string())
      state.error_told = it->get<std::string>();
    if (const auto it = object.find("url_told"); it != object.end() && it->is_string())
      state.url_told = it->get<std::string>();
    state.error_seen = object.value("error_seen", std::int64_t{0});
    state.notices = object.value("notices", std::int64_t{0});
    return state;
  }

  std::string ToJson() const {
    json object = {{"error_told", nullptr},
                   {"error_seen", error_seen},
                   {"url_told", nullptr},
                   {"notices", notices}};
    if (error_told) object["error_told"] = *error_told;
    if (url_told) object["url_told"] = *url_told;
    return object.dump();
  }
};

TelegramSetup::TelegramSetup(telegram::TelegramClient& telegram, storage::Database& database,
                             core::Clock& clock, core::Metrics& metrics,
                             TelegramSetupOptions options)
    : telegram_(telegram),
      database_(database),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      bot_ok_(metrics.GetGauge("planfix_flow_telegram_bot_ok",
                               "1 when getMe answered with the bot telegram.bot_username names")),
      problem_("telegram: the bot token has not been checked yet (getMe)") {
  if (webhook_mode()) {
    webhook_ok_ = &metrics.GetGauge(
        "planfix_flow_telegram_webhook_ok",
        "1 when the webhook is registered, is telegram.webhook_url and Telegram reports no "
        "delivery error since the last good check");
    pending_updates_ =
        &metrics.GetGauge("planfix_flow_telegram_webhook_pending_updates",
                          "updates Telegram holds for the webhook, as of the last getWebhookInfo");
  }
}

std::string TelegramSetup::Problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

void TelegramSetup::SetProblem(std::string problem) {
  std::lock_guard lock(mutex_);
  problem_ = std::move(problem);
}

void TelegramSetup::Failed(const char* call, const core::Error& error, std::string problem) {
  ++failures_;
  core::Duration delay = options_.backoff_base;
  for (int i = 1; i < failures_ && delay < options_.backoff_max; ++i) delay *= 2;
  delay = std::min(delay, options_.backoff_max);
  if (error.code == core::ErrorCode::kRateLimited && error.retry_after) delay = *error.retry_after;
  next_at_ = clock_.Now() + delay;
  metrics_
      .GetCounter("planfix_flow_telegram_setup_failures_total",
                  "failed getMe, setWebhook and getWebhookInfo calls (and bot username "
                  "mismatches), by call",
                  {{"call", call}})
      .Increment();
  core::Logger("telegram_setup")
      ->error("outcome=failed call={} failures={} retry_in_s={} error=\"{}\" problem=\"{}\"", call,
              failures_, std::chrono::duration_cast<std::chrono::seconds>(delay).count(),
              error.ToString(), problem);
  SetProblem(std::move(problem));
}

bool TelegramSetup::CheckBot() {
  auto me = telegram_.GetMe();
  if (!me) {
    bot_ok_.Set(0);
    Failed("getMe", me.error(), DescribeFailure("getMe", me.error()));
    return false;
  }
  if (!SameIgnoringCase(me->username, options_.bot_username)) {
    bot_ok_.Set(0);
    Failed("getMe", core::MakeError(core::ErrorCode::kPermanent, "another bot"),
           fmt::format("telegram: the bot token belongs to @{}, but telegram.bot_username is "
                       "\"{}\": deep links would open another bot; fix the token or the config",
                       me->username, options_.bot_username));
    return false;
  }
  bot_ok_.Set(1);
  failures_ = 0;
  core::Logger("telegram_setup")->info("outcome=bot_checked bot=@{} id={}", me->username, me->id);
  return true;
}

bool TelegramSetup::Register() {
  telegram::SetWebhookRequest request;
  request.url = options_.webhook_url;
  request.secret_token = options_.secret_token;
  request.allowed_updates = options_.allowed_updates;
  // drop_pending_updates stays false: updates Telegram holds (e.g. from while the service was
  // down) are delivered, not dropped.
  auto set = telegram_.SetWebhook(request);
  if (!set) {
    Failed("setWebhook", set.error(), DescribeFailure("setWebhook", set.error()));
    return false;
  }
  failures_ = 0;
  registered_at_ = core::ToUnixSeconds(clock_.Now());
  core::Logger("telegram_setup")
      ->info("outcome=webhook_registered url={} allowed_updates={}", options_.webhook_url,
             json(options_.allowed_updates).dump());
  return true;
}

bool TelegramSetup::Tell(WatchState& state, const std::string& payload, const char* what) {
  storage::NewEvent event;
  event.source = storage::EventSource::kInternal;
  // Numbered, not dated: after a crash between storing the event and saving the state, the
  // same notice gets the same key and is stored once.
  event.dedupe_key = fmt::format("telegram.webhook_notice:{}", state.notices + 1);
  event.kind = workflow::kEventTelegramWebhookProblem;
  event.payload = payload;
  event.received_at = clock_.Now();
  auto appended = database_.AppendEvent(event);
  if (!appended) {
    core::Logger("telegram_setup")
        ->error("event=notice_not_stored problem={} error=\"{}\"", what,
                appended.error().ToString());
    return false;
  }
  ++state.notices;
  return true;
}

std::size_t TelegramSetup::Watch() {
  auto info = telegram_.GetWebhookInfo();
  if (!info) {
    // The webhook stays as last seen; only the next check comes sooner than the interval.
    const auto before = Problem();
    Failed("getWebhookInfo", info.error(), before);
    next_at_ = std::min(next_at_, clock_.Now() + options_.check_interval);
    return 0;
  }
  failures_ = 0;
  next_at_ = clock_.Now() + options_.check_interval;
  pending_updates_->Set(static_cast<double>(info->pending_update_count));
  const auto log = core::Logger("telegram_setup");
  WatchState state = WatchState::Load(database_);
  const std::string saved = state.ToJson();
  std::size_t stored = 0;

  const bool ours = SameWebhookUrl(info->url, options_.webhook_url);
  if (!ours) {
    // Not the URL itself: /readyz is unauthenticated and a URL may carry a secret path.
    SetProblem(info->url.empty()
                   ? "telegram: the bot has no webhook any more (deleted by someone else?); "
                     "Telegram does not deliver updates to this service"
                   : "telegram: the bot's webhook is another URL than telegram.webhook_url (see "
                     "the log); Telegram does not deliver updates to this service");
    if (state.url_told != info->url) {
      log->error("event=webhook_url_changed telegram_url=\"{}\" webhook_url={}", info->url,
                 options_.webhook_url);
      workflow::WebhookProblem problem;
      problem.kind = workflow::WebhookProblem::Kind::kUrlChanged;
      problem.webhook_url = options_.webhook_url;
      problem.telegram_url = info->url;
      if (Tell(state, workflow::ToJson(problem), "url_changed")) {
        state.url_told = info->url;
        ++stored;
      }
    }
  } else {
    if (state.url_told) {
      log->info("event=webhook_url_ours_again");
      state.url_told.reset();
    }
    SetProblem({});
  }

  const bool fresh_error = info->last_error_date && *info->last_error_date >= registered_at_ &&
                           *info->last_error_date > state.error_seen;
  if (fresh_error) {
    state.error_seen = *info->last_error_date;
    log->warn("event=webhook_delivery_error error_date={} message=\"{}\" pending={}",
              *info->last_error_date, info->last_error_message, info->pending_update_count);
    if (state.error_told != info->last_error_message) {
      workflow::WebhookProblem problem;
      problem.kind = workflow::WebhookProblem::Kind::kDeliveryError;
      problem.webhook_url = options_.webhook_url;
      problem.telegram_url = info->url;
      problem.error_message = info->last_error_message;
      problem.error_date = *info->last_error_date;
      if (Tell(state, workflow::ToJson(problem), "delivery_error")) {
        state.error_told = info->last_error_message;
        ++stored;
      }
    }
  } else if (state.error_told && info->pending_update_count == 0) {
    log->info("event=webhook_delivery_recovered");
    state.error_told.reset();
  }
  webhook_ok_->Set(ours && !state.error_told && !fresh_error ? 1 : 0);
  if (const std::string now_state = state.ToJson(); now_state != saved) {
    database_.SetServiceState(kWatchStateKey, now_state, clock_.Now());
  }
  return stored;
}

std::size_t TelegramSetup::RunDue() {
  std::size_t stored = 0;
  while (stage_ != Stage::kDone && clock_.Now() >= next_at_) {
    switch (stage_) {
      case Stage::kCheckBot:
        if (!CheckBot()) return stored;
        if (!webhook_mode()) {
          SetProblem({});
          stage_ = Stage::kDone;
          return stored;
        }
        SetProblem("telegram: the webhook is not registered yet (setWebhook)");
        stage_ = Stage::kRegister;
        break;
      case Stage::kRegister:
        if (!Register()) return stored;
        SetProblem({});
        stage_ = Stage::kWatch;
        break;
      case Stage::kWatch:
        return stored + Watch();
      case Stage::kDone:
        break;
    }
  }
  return stored;
}

void TelegramSetup::Run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    RunDue();
    if (stage_ == Stage::kDone) return;
    const core::Duration wait = std::clamp<core::Duration>(
        next_at_ - clock_.Now(), core::Duration::zero(), std::chrono::seconds(1));
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, wait, [] { return false; });
  }
}

}  // namespace planfix_flow::app
