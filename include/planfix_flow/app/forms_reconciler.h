// FormsReconciler: the safety net under the Apps Script. Every reconcile interval it lists the
// brief form's responses through the Forms API and stores each as a form.submitted event, so
// a submission whose webhook call was lost is still processed. Events are deduplicated by the
// response id (the Apps Script sends it as webhook-id), and the workflow handles a response
// once whichever path delivered it first. RunDue/RunOnce on one thread; Run on its own thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/google/forms_client.h"
#include "planfix_flow/storage/inbox.h"

namespace planfix_flow::app {

struct FormsReconcilerOptions {
  std::string form_id;
  std::string brief_code_question = "Brief code";
  core::Duration interval = std::chrono::minutes(15);
  // The first run after start looks this far back; later runs from the newest response seen,
  // less `overlap` (Google's timestamps and ours may disagree a little).
  core::Duration first_lookback = std::chrono::hours(24 * 7);
  core::Duration overlap = std::chrono::minutes(10);
};

// The form.submitted payload (webhooks/google-forms shape) for a response read from the API.
std::string SubmissionPayload(const google::Form& form, const google::FormResponse& response,
                              const std::string& brief_code_question);

class FormsReconciler {
 public:
  FormsReconciler(google::GoogleFormsClient& forms, storage::Inbox& inbox, core::Clock& clock,
                  FormsReconcilerOptions options);

  // One pass now: returns how many responses were newly stored (duplicates not counted).
  core::Result<std::size_t> RunOnce();
  // A pass if the interval has passed since the last one (the first is due at once).
  std::size_t RunDue();
  // Passes every interval until `stop`.
  void Run(std::stop_token stop);

 private:
  google::GoogleFormsClient& forms_;
  storage::Inbox& inbox_;
  core::Clock& clock_;
  FormsReconcilerOptions options_;
  std::optional<core::TimePoint> next_run_;
  std::optional<core::TimePoint> watermark_;
};

}  // namespace planfix_flow::app
