// BankReconciler: makes sure every incoming transfer on the configured monobank accounts
// reaches the inbox, whatever happened to the webhook. At start it registers the webhook
// (the bank probes it with a GET first, so the ingress must already listen); then every
// reconcile interval it reads client-info and sets the webhook again if the bank holds another
// URL or none (it switches the webhook off after three failed deliveries), and reads each
// account's statement from a durable watermark in windows of at most 31 days and pages of 500,
// storing each item with amount > 0 as a bank.statement_item event (via "statement") under the
// same dedupe key as the webhook's, so an item is one event whichever way it came. The bank
// allows one statement call per 60 s, so a pass over several accounts or pages spreads over
// minutes: RunDue does at most what the limits allow now and never waits. Registering the
// webhook and reading statements are independent: a bank that refuses the one still gets
// asked for the other. RunDue and Run on one thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include "planfix_flow/bank/monobank_client.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/metrics.h"
#include "planfix_flow/storage/database.h"

namespace planfix_flow::app {

struct BankReconcilerOptions {
  std::vector<std::string> accounts;
  std::string webhook_url;  // with its path token: never logged
  core::Duration interval = std::chrono::minutes(5);
  // The first run (no watermark yet) reads this far back.
  core::Duration first_lookback = std::chrono::days(31);
  // Each window starts this much before the last one ended: an item the bank books with a
  // slightly earlier time than it was seen is still read (the inbox drops the repeats).
  core::Duration overlap = std::chrono::minutes(10);
  core::Duration retry_delay = std::chrono::seconds(60);
};

class BankReconciler {
 public:
  BankReconciler(bank::MonobankClient& bank, storage::Database& database, core::Clock& clock,
                 core::Metrics& metrics, BankReconcilerOptions options);

  // Does what is due and allowed now; returns how many events it newly stored.
  std::size_t RunDue();
  // RunDue until `stop`, waiting at most a second at a time (so Stop is prompt).
  void Run(std::stop_token stop);

 private:
  // One account's reading in progress: the window [from, to], and the page's upper end.
  struct Window {
    std::string account;
    std::int64_t from = 0;
    std::int64_t to = 0;
    std::int64_t page_to = 0;
    std::set<std::string> seen;  // ids already stored from this window (page boundaries)
  };

  bool Register();
  void CheckWebhook();
  // One statement call; returns the events stored. Sets next_statement_at_.
  std::size_t ReadPage();
  std::optional<std::int64_t> Watermark(const std::string& account) const;
  void SaveWatermark(const std::string& account, std::int64_t watermark);
  void Delay(core::TimePoint& next, const core::Error& error);

  bank::MonobankClient& bank_;
  storage::Database& database_;
  core::Clock& clock_;
  core::Metrics& metrics_;
  BankReconcilerOptions options_;

  bool registered_ = false;
  core::TimePoint next_register_at_{};
  core::TimePoint next_check_at_{};
  core::TimePoint next_pass_at_{};
  core::TimePoint next_statement_at_{};
  std::vector<std::string> pending_accounts_;  // of the pass under way
  std::optional<Window> window_;
  bool window_capped_ = false;  // the window ends before now: the account has another
  std::set<std::string> accounts_missing_told_;
  core::Gauge& webhook_ok_;
};

}  // namespace planfix_flow::app
