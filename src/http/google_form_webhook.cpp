#include "planfix_flow/http/google_form_webhook.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "http/body_checks.h"

namespace planfix_flow::http {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

bool IsDigit(char ch) { return ch >= '0' && ch <= '9'; }

// Reads `count` digits at `pos` into `value`; false if they are not all digits.
bool ReadNumber(std::string_view text, std::size_t pos, std::size_t count, int& value) {
  if (pos + count > text.size()) return false;
  value = 0;
  for (std::size_t i = pos; i < pos + count; ++i) {
    if (!IsDigit(text[i])) return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}

Result<std::string> RequiredString(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("missing {}", name));
  }
  if (!it->is_string()) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{} must be a string", name));
  }
  if (it->get_ref<const std::string&>().empty()) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{} is empty", name));
  }
  return it->get<std::string>();
}

Result<std::string> OptionalString(const json& object, const char* name) {
  const auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return Fail(ErrorCode::kInvalidInput, fmt::format("{} must be a string", name));
  }
  return it->get<std::string>();
}

Result<std::vector<std::string>> StringList(const json& value, const std::string& where) {
  std::vector<std::string> out;
  out.reserve(value.size());
  for (const auto& item : value) {
    if (!item.is_string()) {
      return Fail(ErrorCode::kInvalidInput,
                  fmt::format("{} must be a string, a list of strings or a list of lists of "
                              "strings",
                              where));
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<FormAnswerValue> ParseValue(const json& value, const std::string& where) {
  if (value.is_string()) return FormAnswerValue(value.get<std::string>());
  if (!value.is_array()) {
    return Fail(
        ErrorCode::kInvalidInput,
        fmt::format("{} must be a string, a list of strings or a list of lists of strings", where));
  }
  // An empty list reads as an unanswered checkbox question.
  if (value.empty() || value.front().is_string()) {
    auto list = StringList(value, where);
    if (!list) return Fail(list.error());
    return FormAnswerValue(std::move(*list));
  }
  std::vector<std::vector<std::string>> rows;
  rows.reserve(value.size());
  for (const auto& row : value) {
    if (!row.is_array()) {
      return Fail(ErrorCode::kInvalidInput, fmt::format("{} mixes lists and non-lists", where));
    }
    auto list = StringList(row, where);
    if (!list) return Fail(list.error());
    rows.push_back(std::move(*list));
  }
  return FormAnswerValue(std::move(rows));
}

json ValueToJson(const FormAnswerValue& value) {
  return std::visit([](const auto& v) { return json(v); }, value);
}

}  // namespace

bool IsRfc3339Timestamp(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadNumber(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
      !ReadNumber(text, 5, 2, month) || text[7] != '-' || !ReadNumber(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !ReadNumber(text, 11, 2, hour) || text[13] != ':' ||
      !ReadNumber(text, 14, 2, minute) || text[16] != ':' || !ReadNumber(text, 17, 2, second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return false;
  }
  std::size_t pos = 19;
  if (text[pos] == '.') {
    const std::size_t start = ++pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == start) return false;
  }
  if (pos == text.size()) return false;
  if (text[pos] == 'Z' || text[pos] == 'z') return pos + 1 == text.size();
  if (text[pos] != '+' && text[pos] != '-') return false;
  int offset_hours = 0, offset_minutes = 0;
  return pos + 6 == text.size() && ReadNumber(text, pos + 1, 2, offset_hours) &&
         text[pos + 3] == ':' && ReadNumber(text, pos + 4, 2, offset_minutes) &&
         offset_hours <= 23 && offset_minutes <= 59;
}

Result<GoogleFormSubmission> ParseGoogleFormSubmission(std::string_view body) {
  auto body_json = ParseJsonBody(body, kGoogleFormMaxJsonDepth);
  if (!body_json) return Fail(body_json.error());
  const json& root = *body_json;
  if (!root.is_object()) return Fail(ErrorCode::kInvalidInput, "body must be a JSON object");

  GoogleFormSubmission submission;
  auto response_id = RequiredString(root, "responseId");
  if (!response_id) return Fail(response_id.error());
  submission.response_id = std::move(*response_id);
  auto form_id = RequiredString(root, "formId");
  if (!form_id) return Fail(form_id.error());
  submission.form_id = std::move(*form_id);
  auto timestamp = RequiredString(root, "timestamp");
  if (!timestamp) return Fail(timestamp.error());
  if (!IsRfc3339Timestamp(*timestamp)) {
    return Fail(ErrorCode::kInvalidInput,
                "timestamp must be RFC 3339, e.g. 2026-11-27T10:15:30.123Z");
  }
  submission.timestamp = std::move(*timestamp);
  auto email = OptionalString(root, "respondentEmail");
  if (!email) return Fail(email.error());
  submission.respondent_email = std::move(*email);
  auto brief_code = OptionalString(root, "briefCode");
  if (!brief_code) return Fail(brief_code.error());
  submission.brief_code = std::move(*brief_code);

  const auto answers = root.find("answers");
  if (answers == root.end() || answers->is_null()) {
    return Fail(ErrorCode::kInvalidInput, "missing answers");
  }
  if (!answers->is_array()) return Fail(ErrorCode::kInvalidInput, "answers must be a list");
  if (answers->size() > kGoogleFormMaxAnswers) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("more than {} answers", kGoogleFormMaxAnswers));
  }
  submission.answers.reserve(answers->size());
  for (std::size_t i = 0; i < answers->size(); ++i) {
    const json& item = (*answers)[i];
    const std::string where = fmt::format("answers[{}]", i);
    if (!item.is_object()) {
      return Fail(ErrorCode::kInvalidInput, fmt::format("{} must be an object", where));
    }
    FormAnswer answer;
    auto title = RequiredString(item, "title");
    if (!title) {
      return Fail(ErrorCode::kInvalidInput, fmt::format("{}: {}", where, title.error().message));
    }
    answer.title = std::move(*title);
    auto question_id = OptionalString(item, "questionId");
    if (!question_id) {
      return Fail(ErrorCode::kInvalidInput,
                  fmt::format("{}: {}", where, question_id.error().message));
    }
    answer.question_id = std::move(*question_id);
    const auto value = item.find("value");
    if (value == item.end()) {
      return Fail(ErrorCode::kInvalidInput, fmt::format("{}: missing value", where));
    }
    auto parsed = ParseValue(*value, where + ".value");
    if (!parsed) return Fail(parsed.error());
    answer.value = std::move(*parsed);
    submission.answers.push_back(std::move(answer));
  }
  return submission;
}

std::string GoogleFormSubmission::ToPayloadJson() const {
  json answers_json = json::array();
  for (const auto& answer : answers) {
    answers_json.push_back(json{{"title", answer.title},
                                {"questionId", answer.question_id},
                                {"value", ValueToJson(answer.value)}});
  }
  return json{{"responseId", response_id},
              {"formId", form_id},
              {"timestamp", timestamp},
              {"respondentEmail", respondent_email},
              {"answers", std::move(answers_json)},
              {"briefCode", brief_code}}
      .dump();
}

}  // namespace planfix_flow::http
