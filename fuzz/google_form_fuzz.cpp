// The JSON the Apps Script posts for a Google Form submission, through the whole brief path:
// the ingress parser, the payload it stores, the workflow's reading of that payload and the
// conversion of each answer into a contact field value. A parsed body re-serialises to a
// payload that parses to the same submission; conversions never produce invalid UTF-8.
#include <nlohmann/json.hpp>
#include <string>

#include "fuzz/fuzz_support.h"
#include "http/body_checks.h"
#include "planfix_flow/http/google_form_webhook.h"
#include "planfix_flow/workflow/brief.h"

namespace {

namespace http = planfix_flow::http;
namespace planfix = planfix_flow::planfix;
namespace workflow = planfix_flow::workflow;
using planfix::FieldType;

// The types a brief answer may be mapped to (config::FieldType) and the multi-value ones.
constexpr FieldType kAnswerTypes[] = {
    FieldType::kLine,    FieldType::kText,        FieldType::kNumber, FieldType::kDate,
    FieldType::kTime,    FieldType::kCheckbox,    FieldType::kList,   FieldType::kSetOfValues,
    FieldType::kContact, FieldType::kListOfUsers,
};

void CheckAnswerConversion(const std::vector<std::string>& values) {
  for (const FieldType type : kAnswerTypes) {
    planfix::CustomFieldDefinition field;
    field.id = 7;
    field.name = "field";
    field.type = type;
    if (type == FieldType::kList || type == FieldType::kSetOfValues) {
      field.enum_values = {"Так", "Ні", "a, b"};
    }
    const auto encoded = workflow::EncodeBriefAnswer(field, values);
    if (encoded) {
      (void)encoded->dump();  // throws (a crash) on invalid UTF-8
    } else {
      FUZZ_CHECK(encoded.error().code == planfix_flow::core::ErrorCode::kInvalidInput);
      FUZZ_CHECK(http::IsValidUtf8(encoded.error().message));
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body = planfix_flow::fuzz::AsText(data, size);
  const auto submission = http::ParseGoogleFormSubmission(body);
  if (!submission) {
    FUZZ_CHECK(submission.error().code == planfix_flow::core::ErrorCode::kInvalidInput);
    return 0;
  }
  FUZZ_CHECK(!http::HasNulByte(body));
  FUZZ_CHECK(!submission->response_id.empty() && !submission->form_id.empty());
  FUZZ_CHECK(http::IsRfc3339Timestamp(submission->timestamp));

  const std::string payload = submission->ToPayloadJson();
  const auto again = http::ParseGoogleFormSubmission(payload);
  FUZZ_CHECK(again.has_value() && again->ToPayloadJson() == payload);

  const auto read = workflow::ParseSubmission(payload);
  FUZZ_CHECK(read.has_value());
  FUZZ_CHECK(read->response_id == submission->response_id);
  FUZZ_CHECK(read->timestamp == submission->timestamp);
  FUZZ_CHECK(read->respondent_email == submission->respondent_email);
  FUZZ_CHECK(read->brief_code == submission->brief_code);
  for (const auto& answer : submission->answers) {
    FUZZ_CHECK(read->answers.count(answer.title) == 1);
  }
  for (const auto& [title, values] : read->answers) {
    if (!values.empty()) CheckAnswerConversion(values);
  }
  (void)workflow::AnswersSummary(*read);
  FUZZ_CHECK(http::IsValidUtf8(workflow::AnswersSummary(*read, 40)));
  return 0;
}
