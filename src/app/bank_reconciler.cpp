#include "planfix_flow/app/bank_reconciler.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <nlohmann/json.hpp>

#include "planfix_flow/app/telegram_setup.h"
#include "planfix_flow/core/log.h"

namespace planfix_flow::app {

using nlohmann::json;

namespace {

// The service_state key of the statement watermarks: {"<account>": <Unix s read up to>}.
constexpr char kWatermarksKey[] = "bank.statement_watermarks";

std::int64_t Seconds(core::Duration duration) {
  return std::chrono::duration_cast<std::chrono::seconds>(duration).count();
}

}  // namespace

BankReconciler::BankReconciler(bank::MonobankClient& bank, storage::Database& database,
                               core::Clock& clock, core::Metrics& metrics,
                               BankReconcilerOptions options)
    : bank_(bank),
      database_(database),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      webhook_ok_(metrics.GetGauge("planfix_flow_bank_webhook_ok",
                                   "1 when the bank's webhook was registered and, at the last "
                                   "client-info check, was still this service's URL")) {
  const core::TimePoint now = clock_.Now();
  next_register_at_ = now;
  next_pass_at_ = now;
  next_check_at_ = now + options_.interval;
}

void BankReconciler::Delay(core::TimePoint& next, const core::Error& error) {
  core::Duration delay = options_.retry_delay;
  if (error.retry_after) delay = std::max<core::Duration>(delay, *error.retry_after);
  next = clock_.Now() + delay;
}

bool BankReconciler::Register() {
  auto log = core::Logger("bank");
  auto set = bank_.SetWebhook(options_.webhook_url);
  if (!set) {
    Delay(next_register_at_, set.error());
    webhook_ok_.Set(0);
    metrics_
        .GetCounter("planfix_flow_bank_calls_failed_total", "Failed calls to the bank, by call.",
                    {{"call", "webhook"}})
        .Increment();
    log->error("outcome=webhook_not_registered retry_in_s={} error=\"{}\"",
               Seconds(next_register_at_ - clock_.Now()), set.error().ToString());
    return false;
  }
  webhook_ok_.Set(1);
  log->info("outcome=webhook_registered");
  return true;
}

void BankReconciler::CheckWebhook() {
  auto log = core::Logger("bank");
  auto info = bank_.GetClientInfo();
  if (!info) {
    Delay(next_check_at_, info.error());
    metrics_
        .GetCounter("planfix_flow_bank_calls_failed_total", "Failed calls to the bank, by call.",
                    {{"call", "client-info"}})
        .Increment();
    log->warn("outcome=client_info_failed error=\"{}\"", info.error().ToString());
    return;
  }
  next_check_at_ = clock_.Now() + options_.interval;
  for (const auto& account : options_.accounts) {
    const bool known = std::any_of(info->accounts.begin(), info->accounts.end(),
                                   [&](const bank::Account& held) { return held.id == account; });
    if (!known && accounts_missing_told_.insert(account).second) {
      log->error("event=account_unknown_to_bank account={} action=\"check bank.accounts\"",
                 account);
    }
  }
  if (!SameWebhookUrl(info->webhook_url, options_.webhook_url)) {
    // Neither URL is logged: ours carries the path token.
    log->warn("event=webhook_not_ours bank_has_webhook={} action=registering_again",
              info->webhook_url.empty() ? "no" : "another");
    webhook_ok_.Set(0);
    registered_ = false;
    next_register_at_ = clock_.Now();
  }
}

std::optional<std::int64_t> BankReconciler::Watermark(const std::string& account) const {
  const auto text = database_.GetServiceState(kWatermarksKey);
  if (!text) return std::nullopt;
  const json object = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!object.is_object()) return std::nullopt;
  const auto it = object.find(account);
  if (it == object.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<std::int64_t>();
}

void BankReconciler::SaveWatermark(const std::string& account, std::int64_t watermark) {
  json object = json::object();
  if (const auto text = database_.GetServiceState(kWatermarksKey)) {
    object = json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!object.is_object()) object = json::object();
  }
  object[account] = watermark;
  database_.SetServiceState(kWatermarksKey, object.dump(), clock_.Now());
}

std::size_t BankReconciler::ReadPage() {
  auto log = core::Logger("bank");
  const std::int64_t now = core::ToUnixSeconds(clock_.Now());
  if (!window_) {
    Window window;
    window.account = pending_accounts_.front();
    pending_accounts_.erase(pending_accounts_.begin());
    const auto watermark = Watermark(window.account);
    window.from = watermark ? std::max<std::int64_t>(0, *watermark - Seconds(options_.overlap))
                            : now - Seconds(options_.first_lookback);
    // 31 days, within the bank's 31 days and 1 hour.
    const std::int64_t longest = Seconds(std::chrono::days(31));
    window.to = std::min(now, window.from + longest);
    window_capped_ = window.to < now;
    window.page_to = window.to;
    window_ = std::move(window);
  }
  Window& window = *window_;
  auto page = bank_.GetStatement(window.account, window.from, window.page_to);
  if (!page) {
    Delay(next_statement_at_, page.error());
    metrics_
        .GetCounter("planfix_flow_bank_calls_failed_total", "Failed calls to the bank, by call.",
                    {{"call", "statement"}})
        .Increment();
    if (!core::IsRetryable(page.error().code)) {
      // The bank refuses this account (a wrong id in bank.accounts): the others go on, and
      // the account is tried again at the next pass.
      log->error("outcome=statement_refused account={} error=\"{}\" action=\"check bank.accounts\"",
                 window.account, page.error().ToString());
      window_.reset();
      return 0;
    }
    log->warn("outcome=statement_failed account={} retry_in_s={} error=\"{}\"", window.account,
              Seconds(next_statement_at_ - clock_.Now()), page.error().ToString());
    return 0;
  }
  next_statement_at_ = clock_.Now() + bank::kCallInterval;
  std::size_t stored = 0;
  std::size_t duplicates = 0;
  std::int64_t oldest = window.page_to;
  for (const auto& item : *page) {
    oldest = std::min(oldest, item.time);
    if (item.amount <= 0 || !window.seen.insert(item.id).second) continue;
    storage::NewEvent event;
    event.source = storage::EventSource::kBank;
    event.dedupe_key = bank::DedupeKey(item.id);
    event.kind = bank::kEventStatementItem;
    event.payload = bank::InboxPayload(window.account, item, bank::Via::kStatement);
    event.received_at = clock_.Now();
    auto appended = database_.AppendEvent(event);
    if (!appended) {
      // The window stays where it is: the page is read again, nothing is skipped.
      window.seen.erase(item.id);
      Delay(next_statement_at_, appended.error());
      log->error("outcome=not_stored account={} error=\"{}\"", window.account,
                 appended.error().ToString());
      return stored;
    }
    if (appended->outcome == storage::AppendOutcome::kStored) {
      ++stored;
    } else {
      ++duplicates;
    }
  }
  metrics_
      .GetCounter("planfix_flow_bank_statement_items_total",
                  "Incoming items read from the bank's statement, by outcome.",
                  {{"outcome", "stored"}})
      .Increment(static_cast<double>(stored));
  log->info("outcome=page_read account={} from={} to={} items={} stored={} duplicates={}",
            window.account, window.from, window.page_to, page->size(), stored, duplicates);
  if (page->size() >= bank::kStatementPageSize) {
    // The rest is older: ask again up to the oldest item's time (its items come again and
    // are skipped). 500 items within one second would never move on: step past it.
    window.page_to = oldest < window.page_to ? oldest : window.page_to - 1;
    if (window.page_to >= window.from) return stored;
    log->warn("event=statement_page_stuck account={} action=\"moving on\"", window.account);
  }
  SaveWatermark(window.account, window.to);
  // A long outage: the next 31 days of the same account come next.
  if (window_capped_) pending_accounts_.insert(pending_accounts_.begin(), window.account);
  window_.reset();
  return stored;
}

std::size_t BankReconciler::RunDue() {
  std::size_t stored = 0;
  if (!registered_ && clock_.Now() >= next_register_at_) registered_ = Register();
  if (registered_ && clock_.Now() >= next_check_at_) {
    CheckWebhook();
    if (!registered_ && clock_.Now() >= next_register_at_) registered_ = Register();
  }
  for (;;) {
    const core::TimePoint now = clock_.Now();
    if (!window_ && pending_accounts_.empty()) {
      if (now < next_pass_at_) break;
      pending_accounts_ = options_.accounts;
      next_pass_at_ = now + options_.interval;
      if (pending_accounts_.empty()) break;
    }
    if (now < next_statement_at_) break;
    stored += ReadPage();
  }
  return stored;
}

void BankReconciler::Run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    RunDue();
    std::unique_lock lock(mutex);
    wake.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; });
  }
}

}  // namespace planfix_flow::app
