#include "planfix_flow/app/forms_reconciler.h"

#include <fmt/format.h>

#include <condition_variable>
#include <nlohmann/json.hpp>

#include "planfix_flow/core/log.h"
#include "planfix_flow/storage/records.h"
#include "planfix_flow/workflow/brief.h"

namespace planfix_flow::app {

using core::Fail;
using core::Result;
using nlohmann::json;

std::string SubmissionPayload(const google::Form& form, const google::FormResponse& response,
                              const std::string& brief_code_question) {
  json answers = json::array();
  std::string brief_code;
  for (const auto& [title, values] : google::AnswersByTitle(form, response)) {
    if (workflow::IsBriefCodeTitle(title, brief_code_question)) {
      if (!values.empty()) brief_code = values.front();
      continue;
    }
    const json value = values.size() == 1 ? json(values.front()) : json(values);
    answers.push_back({{"title", title}, {"questionId", ""}, {"value", value}});
  }
  return json{{"responseId", response.response_id},
              {"formId", form.form_id},
              {"timestamp", storage::FormatTime(response.last_submitted_time)},
              {"respondentEmail", response.respondent_email},
              {"answers", answers},
              {"briefCode", brief_code}}
      .dump();
}

FormsReconciler::FormsReconciler(google::GoogleFormsClient& forms, storage::Inbox& inbox,
                                 core::Clock& clock, FormsReconcilerOptions options)
    : forms_(forms), inbox_(inbox), clock_(clock), options_(std::move(options)) {}

Result<std::size_t> FormsReconciler::RunOnce() {
  const core::TimePoint now = clock_.Now();
  const core::TimePoint after =
      watermark_ ? *watermark_ - options_.overlap : now - options_.first_lookback;
  auto form = forms_.GetForm(options_.form_id);
  if (!form) return Fail(form.error());
  auto responses = forms_.ListResponses(options_.form_id, after);
  if (!responses) return Fail(responses.error());
  std::size_t stored = 0;
  core::TimePoint newest = watermark_.value_or(after);
  for (const auto& response : *responses) {
    storage::NewEvent event;
    event.source = storage::EventSource::kGoogle;
    event.dedupe_key = response.response_id;  // the Apps Script's webhook-id: one event either way
    event.kind = "form.submitted";
    event.payload = SubmissionPayload(*form, response, options_.brief_code_question);
    event.received_at = now;
    auto appended = inbox_.AppendEvent(event);
    if (!appended) return Fail(appended.error());  // the watermark stays: nothing is skipped
    if (appended->outcome == storage::AppendOutcome::kStored) ++stored;
    newest = std::max(newest, response.last_submitted_time);
  }
  watermark_ = newest;
  core::Logger("reconcile")
      ->info("outcome=done listed={} stored={} after={}", responses->size(), stored,
             storage::FormatTime(after));
  return stored;
}

std::size_t FormsReconciler::RunDue() {
  const core::TimePoint now = clock_.Now();
  if (next_run_ && now < *next_run_) return 0;
  next_run_ = now + options_.interval;
  auto stored = RunOnce();
  if (!stored) {
    core::Logger("reconcile")
        ->warn("outcome=error error=\"{}\" next_run={}", stored.error().ToString(),
               storage::FormatTime(*next_run_));
    return 0;
  }
  return *stored;
}

void FormsReconciler::Run(std::stop_token stop) {
  std::mutex mutex;
  std::condition_variable_any wake;
  while (!stop.stop_requested()) {
    RunDue();
    std::unique_lock lock(mutex);
    const auto wait = std::max<core::Duration>(*next_run_ - clock_.Now(), std::chrono::seconds(1));
    wake.wait_for(lock, stop, wait, [] { return false; });
  }
}

}  // namespace planfix_flow::app
