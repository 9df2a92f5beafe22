// The JSON the agency's Apps Script posts when a Google Form is submitted (shape documented
// in webhooks/google-forms/README.md): parsing, validation and the normalised payload the
// workflow reads. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "planfix_flow/core/result.h"

namespace planfix_flow::http {

inline constexpr std::size_t kGoogleFormMaxJsonDepth = 8;
inline constexpr std::size_t kGoogleFormMaxAnswers = 500;

// Text and choice questions give a string, checkboxes a list, grids a list of rows.
using FormAnswerValue =
    std::variant<std::string, std::vector<std::string>, std::vector<std::vector<std::string>>>;

struct FormAnswer {
  std::string title;
  std::string question_id;  // empty when the script did not send one
  FormAnswerValue value;
};

struct GoogleFormSubmission {
  std::string response_id;
  std::string form_id;
  std::string timestamp;         // RFC 3339, as sent (e.g. "2026-11-27T10:15:30.123Z")
  std::string respondent_email;  // empty when the form does not collect it
  std::vector<FormAnswer> answers;
  std::string brief_code;  // the pre-filled "Brief code" answer; empty when absent

  // The same shape as the input, with optional members always present
  // ("respondentEmail":"" / "questionId":"" / "briefCode":"").
  std::string ToPayloadJson() const;
};

// kInvalidInput naming the problem and the field: invalid UTF-8, malformed JSON, nesting
// deeper than kGoogleFormMaxJsonDepth, a missing or empty responseId/formId, a timestamp that
// is not RFC 3339, answers that are not a list of {title, questionId?, value} objects, a value
// that is not a string, a list of strings or a list of lists of strings, more than
// kGoogleFormMaxAnswers answers. Unknown members are ignored.
core::Result<GoogleFormSubmission> ParseGoogleFormSubmission(std::string_view body);

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", fields in range (no calendar check).
bool IsRfc3339Timestamp(std::string_view text);

}  // namespace planfix_flow::http
