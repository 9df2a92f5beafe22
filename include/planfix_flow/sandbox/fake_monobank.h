// FakeMonobank: a loopback fake of monobank's personal API (../shared/API-NOTES.md, section
// Monobank) for tests and the demo. It checks X-Token (401 without, 403 for an unknown one),
// serves client-info and the statement at most once per 60 s per token each (429 otherwise,
// recorded as a refusal: a correct client never gets it), keeps the statement's limits (31
// days and 1 hour per call, newest first, 500 items per answer), and sets the webhook the
// way the bank does: a GET probe first that must answer exactly 200. Booked items are
// delivered as StatementItem events when the test calls DeliverPending: a delivery counts
// only when answered exactly 200 within 5 s; a failed one is tried again 60 s and then 600 s
// later on the fake's clock, and after the third failure the webhook is switched off. One
// deliberate difference: it can probe and deliver only to http:// on loopback. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/sandbox/fake_server.h"

namespace planfix_flow::sandbox {

struct FakeBankAccount {
  std::string id;
  std::string iban;
  std::string type = "fop";
  int currency_code = 980;
};

struct FakeMonobankOptions {
  std::string token = "uFakeMonobankToken_ForTests_0123456789abcdefXYZ";
  std::string client_name = "FOP Agency";
  std::vector<FakeBankAccount> accounts = {
      {"fop-uah-account", "UA213223130000026007233566001", "fop", 980},
      {"black-card", "UA903052992990004149123456789", "black", 980},
  };
};

// A statement item as the bank books it; the optional strings are left out of the JSON when
// empty.
struct FakeStatementItem {
  std::string id;
  std::int64_t time = 0;
  std::int64_t amount = 0;  // kopecks, > 0 is money in
  int currency_code = 980;
  std::string description;
  std::string comment;
  std::string counter_edrpou;
  std::string counter_iban;
  std::string counter_name;
};

class FakeMonobank : public FakeServer {
 public:
  // `clock` drives the rate limits, the statement's "now" and the delivery schedule.
  explicit FakeMonobank(core::Clock& clock, FakeMonobankOptions options = {});
  ~FakeMonobank() override;

  const std::string& token() const { return options_.token; }
  const std::vector<FakeBankAccount>& accounts() const { return options_.accounts; }

  // Books `item` on `account` (it is in the statement from now on) and, when a webhook is
  // set, queues its event for DeliverPending. Throws std::invalid_argument for an unknown
  // account or a repeated id (a bug in the test).
  void Book(const std::string& account, FakeStatementItem item);
  // Queues the event of an item already booked once more (the bank repeats a delivery whose
  // answer it did not get). Throws std::invalid_argument when there is no such item.
  void QueueEventAgain(const std::string& item_id);
  // Delivers the events that are due on the fake's clock, in order. Returns how many were
  // answered 200. Throws std::logic_error when the webhook is not an http:// loopback URL.
  std::size_t DeliverPending();

  // What the bank holds.
  std::string webhook_url() const;
  void SetWebhookUrlDirectly(std::string url);  // a previous deployment's, or "" (off)
  std::size_t pending_events() const;
  int failed_deliveries() const;
  int probes() const;

 private:
  struct Event {
    std::string account;
    std::string item_id;
    int failures = 0;
    core::TimePoint due;
  };

  FakeResponse ClientInfo(const FakeRequest& request);
  FakeResponse SetWebhook(const FakeRequest& request);
  FakeResponse Statement(const FakeRequest& request);
  // The refusal for a request without the right X-Token, or nothing.
  std::optional<FakeResponse> CheckToken(const FakeRequest& request) const;
  // 429 when `kind` was served less than 60 s ago; otherwise notes this call.
  std::optional<FakeResponse> Pace(const std::string& kind);
  std::string EventBody(const Event& event) const;

  core::Clock& clock_;
  FakeMonobankOptions options_;
  mutable std::mutex state_mutex_;
  std::string webhook_url_;                                       // guarded
  std::map<std::string, std::vector<FakeStatementItem>> booked_;  // guarded, by account
  std::deque<Event> events_;                                      // guarded
  std::map<std::string, core::TimePoint> last_call_;              // guarded, by kind
  int failed_deliveries_ = 0;                                     // guarded
  int probes_ = 0;                                                // guarded
};

}  // namespace planfix_flow::sandbox
