#include "planfix_flow/google/forms_client.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "planfix_flow/core/log.h"
#include "planfix_flow/core/parse.h"
#include "planfix_flow/google/rfc3339.h"

namespace planfix_flow::google {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

// Field names as Google's Forms discovery document spells them. FieldsReadByClient() lists
// the same constants, so the discovery test checks exactly what the parser reads.
namespace field {
constexpr std::string_view kFormId = "formId";
constexpr std::string_view kInfo = "info";
constexpr std::string_view kTitle = "title";
constexpr std::string_view kResponderUri = "responderUri";
constexpr std::string_view kRevisionId = "revisionId";
constexpr std::string_view kItems = "items";
constexpr std::string_view kItemId = "itemId";
constexpr std::string_view kQuestionItem = "questionItem";
constexpr std::string_view kQuestionGroupItem = "questionGroupItem";
constexpr std::string_view kQuestion = "question";
constexpr std::string_view kQuestions = "questions";
constexpr std::string_view kGrid = "grid";
constexpr std::string_view kColumns = "columns";
constexpr std::string_view kQuestionId = "questionId";
constexpr std::string_view kRequired = "required";
constexpr std::string_view kChoiceQuestion = "choiceQuestion";
constexpr std::string_view kTextQuestion = "textQuestion";
constexpr std::string_view kScaleQuestion = "scaleQuestion";
constexpr std::string_view kDateQuestion = "dateQuestion";
constexpr std::string_view kTimeQuestion = "timeQuestion";
constexpr std::string_view kFileUploadQuestion = "fileUploadQuestion";
constexpr std::string_view kRatingQuestion = "ratingQuestion";
constexpr std::string_view kRowQuestion = "rowQuestion";
constexpr std::string_view kType = "type";
constexpr std::string_view kOptions = "options";
constexpr std::string_view kValue = "value";
constexpr std::string_view kParagraph = "paragraph";
constexpr std::string_view kIncludeTime = "includeTime";
constexpr std::string_view kDuration = "duration";
constexpr std::string_view kResponses = "responses";
constexpr std::string_view kNextPageToken = "nextPageToken";
constexpr std::string_view kResponseId = "responseId";
constexpr std::string_view kCreateTime = "createTime";
constexpr std::string_view kLastSubmittedTime = "lastSubmittedTime";
constexpr std::string_view kRespondentEmail = "respondentEmail";
constexpr std::string_view kAnswers = "answers";
constexpr std::string_view kTextAnswers = "textAnswers";
constexpr std::string_view kFileUploadAnswers = "fileUploadAnswers";
constexpr std::string_view kFileId = "fileId";
}  // namespace field

// Query parameter names of forms.responses.list.
constexpr std::string_view kFilterParam = "filter";
constexpr std::string_view kPageSizeParam = "pageSize";
constexpr std::string_view kPageTokenParam = "pageToken";

constexpr int kMaxPages = 10000;
constexpr std::size_t kMaxMessageChars = 300;

const json* Find(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(std::string(key));
  return it == object.end() ? nullptr : &*it;
}

const json* FindObject(const json& object, std::string_view key) {
  const json* value = Find(object, key);
  return value != nullptr && value->is_object() ? value : nullptr;
}

std::string String(const json& object, std::string_view key) {
  const json* value = Find(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

bool Bool(const json& object, std::string_view key) {
  const json* value = Find(object, key);
  return value != nullptr && value->is_boolean() && value->get<bool>();
}

// Elements of an array member; empty when absent (Google omits empty lists).
std::vector<const json*> Elements(const json& object, std::string_view key) {
  std::vector<const json*> out;
  const json* value = Find(object, key);
  if (value == nullptr || !value->is_array()) return out;
  for (const auto& element : *value) out.push_back(&element);
  return out;
}

std::string Shorten(std::string text) {
  if (text.size() > kMaxMessageChars) {
    text.resize(kMaxMessageChars);
    text += "...";
  }
  return text;
}

std::vector<std::string> OptionValues(const json& choice) {
  std::vector<std::string> values;
  for (const json* option : Elements(choice, field::kOptions)) {
    values.push_back(String(*option, field::kValue));
  }
  return values;
}

FormQuestion ParseQuestion(const json& question, std::string title) {
  FormQuestion out;
  out.question_id = String(question, field::kQuestionId);
  out.title = std::move(title);
  out.required = Bool(question, field::kRequired);
  if (const json* choice = FindObject(question, field::kChoiceQuestion)) {
    const std::string type = String(*choice, field::kType);
    out.kind = type == "CHECKBOX"    ? QuestionKind::kCheckbox
               : type == "DROP_DOWN" ? QuestionKind::kDropDown
                                     : QuestionKind::kRadio;
    out.options = OptionValues(*choice);
  } else if (const json* text = FindObject(question, field::kTextQuestion)) {
    out.kind = Bool(*text, field::kParagraph) ? QuestionKind::kParagraph : QuestionKind::kShortText;
  } else if (FindObject(question, field::kScaleQuestion) != nullptr) {
    out.kind = QuestionKind::kScale;
  } else if (const json* date = FindObject(question, field::kDateQuestion)) {
    out.kind = Bool(*date, field::kIncludeTime) ? QuestionKind::kDateTime : QuestionKind::kDate;
  } else if (const json* time = FindObject(question, field::kTimeQuestion)) {
    out.kind = Bool(*time, field::kDuration) ? QuestionKind::kDuration : QuestionKind::kTime;
  } else if (FindObject(question, field::kFileUploadQuestion) != nullptr) {
    out.kind = QuestionKind::kFileUpload;
  } else if (FindObject(question, field::kRatingQuestion) != nullptr) {
    out.kind = QuestionKind::kRating;
  } else if (const json* row = FindObject(question, field::kRowQuestion)) {
    out.kind = QuestionKind::kGridRow;
    out.title = String(*row, field::kTitle);
  }
  return out;
}

Result<Form> ParseForm(const std::string& body) {
  const json root = json::parse(body, nullptr, false);
  if (!root.is_object() || String(root, field::kFormId).empty()) {
    return Fail(ErrorCode::kInternal, "forms.get: the answer is not a Form");
  }
  Form form;
  form.form_id = String(root, field::kFormId);
  if (const json* info = FindObject(root, field::kInfo)) form.title = String(*info, field::kTitle);
  form.responder_uri = String(root, field::kResponderUri);
  form.revision_id = String(root, field::kRevisionId);
  for (const json* item : Elements(root, field::kItems)) {
    FormItem out;
    out.item_id = String(*item, field::kItemId);
    out.title = String(*item, field::kTitle);
    if (const json* question_item = FindObject(*item, field::kQuestionItem)) {
      if (const json* question = FindObject(*question_item, field::kQuestion)) {
        out.questions.push_back(ParseQuestion(*question, out.title));
      }
    } else if (const json* group = FindObject(*item, field::kQuestionGroupItem)) {
      std::vector<std::string> columns;
      if (const json* grid = FindObject(*group, field::kGrid)) {
        if (const json* choice = FindObject(*grid, field::kColumns))
          columns = OptionValues(*choice);
      }
      for (const json* question : Elements(*group, field::kQuestions)) {
        out.questions.push_back(ParseQuestion(*question, out.title));
        out.questions.back().options = columns;
      }
    }
    for (const auto& question : out.questions) {
      if (question.question_id.empty()) {
        return Fail(ErrorCode::kInternal, "forms.get: a question has no questionId");
      }
    }
    form.items.push_back(std::move(out));
  }
  return form;
}

Result<FormResponse> ParseResponse(const json& root, const std::string& form_id) {
  FormResponse out;
  out.response_id = String(root, field::kResponseId);
  if (out.response_id.empty()) {
    return Fail(ErrorCode::kInternal, "a FormResponse has no responseId");
  }
  out.form_id = String(root, field::kFormId);
  if (out.form_id.empty()) out.form_id = form_id;
  const auto created = ParseRfc3339(String(root, field::kCreateTime));
  const auto submitted = ParseRfc3339(String(root, field::kLastSubmittedTime));
  if (!created || !submitted) {
    return Fail(
        ErrorCode::kInternal,
        fmt::format("FormResponse {} has no valid createTime/lastSubmittedTime", out.response_id));
  }
  out.create_time = *created;
  out.last_submitted_time = *submitted;
  out.respondent_email = String(root, field::kRespondentEmail);
  if (const json* answers = Find(root, field::kAnswers)) {
    if (!answers->is_object()) {
      return Fail(ErrorCode::kInternal, "FormResponse.answers is not an object");
    }
    for (const auto& [map_key, answer] : answers->items()) {
      // The map is keyed by questionId; the Answer repeats it.
      std::string question_id = String(answer, field::kQuestionId);
      if (question_id.empty()) question_id = map_key;
      auto& values = out.answers[question_id];
      if (const json* text = FindObject(answer, field::kTextAnswers)) {
        for (const json* value : Elements(*text, field::kAnswers)) {
          values.push_back(String(*value, field::kValue));
        }
      }
      if (const json* files = FindObject(answer, field::kFileUploadAnswers)) {
        for (const json* file : Elements(*files, field::kAnswers)) {
          values.push_back(String(*file, field::kFileId));
        }
      }
    }
  }
  return out;
}

std::optional<std::chrono::seconds> RetryAfter(const http::HttpResponse& response) {
  const auto it = response.headers.find("Retry-After");
  if (it == response.headers.end()) return std::nullopt;
  return core::ParseRetryAfter(it->second);
}

// Google's error envelope: {"error":{"code":N,"message":"...","status":"PERMISSION_DENIED",
// "details":[{"reason":"ACCESS_TOKEN_SCOPE_INSUFFICIENT",...}]}}.
core::Error ApiError(std::string_view call, const http::HttpResponse& response) {
  const json root = json::parse(response.body, nullptr, false);
  std::string status;
  std::string message;
  std::string reason;
  if (const json* error = FindObject(root, "error")) {
    status = String(*error, "status");
    message = String(*error, "message");
    for (const json* detail : Elements(*error, "details")) {
      if (reason.empty()) reason = String(*detail, "reason");
    }
  }
  ErrorCode code = ErrorCode::kInternal;
  if (response.status == 429 || status == "RESOURCE_EXHAUSTED") {
    code = ErrorCode::kRateLimited;
  } else if (response.status >= 500) {
    code = ErrorCode::kUnavailable;
  } else if (response.status == 400) {
    code = ErrorCode::kInvalidInput;
  } else if (response.status == 401 || response.status == 403) {
    code = ErrorCode::kUnauthorized;
  } else if (response.status == 404) {
    code = ErrorCode::kNotFound;
  } else if (response.status == 409) {
    code = ErrorCode::kConflict;
  }
  core::Error out;
  out.code = code;
  out.remote_code = response.status;
  out.message = fmt::format("{}: HTTP {}", call, response.status);
  if (!status.empty()) out.message += " " + status;
  if (!reason.empty()) out.message += " (" + reason + ")";
  if (!message.empty()) out.message += ": " + Shorten(message);
  if (response.status == 403 && reason != "ACCESS_TOKEN_SCOPE_INSUFFICIENT") {
    out.message += " (is the form shared with the service account?)";
  }
  if (code == ErrorCode::kRateLimited) out.retry_after = RetryAfter(response);
  return out;
}

// The token endpoint's OAuth error: {"error":"invalid_grant","error_description":"..."}.
core::Error TokenError(const http::HttpResponse& response) {
  const json root = json::parse(response.body, nullptr, false);
  const std::string error = String(root, "error");
  const std::string description = String(root, "error_description");
  static const std::set<std::string, std::less<>> kCredentialErrors = {
      "invalid_grant", "invalid_scope", "invalid_client", "unauthorized_client", "access_denied"};
  ErrorCode code = ErrorCode::kInternal;
  if (response.status == 429) {
    code = ErrorCode::kRateLimited;
  } else if (response.status >= 500) {
    code = ErrorCode::kUnavailable;
  } else if (kCredentialErrors.count(error) > 0 || response.status == 401 ||
             response.status == 403) {
    code = ErrorCode::kUnauthorized;
  } else if (response.status == 400) {
    code = ErrorCode::kInvalidInput;
  }
  core::Error out;
  out.code = code;
  out.remote_code = response.status;
  out.message = fmt::format("google token exchange: HTTP {}", response.status);
  if (!error.empty()) out.message += " " + error;
  if (!description.empty()) out.message += ": " + Shorten(description);
  if (code == ErrorCode::kRateLimited) out.retry_after = RetryAfter(response);
  return out;
}

std::string JoinScopes(const std::vector<std::string>& scopes) {
  std::string joined;
  for (const auto& scope : scopes) {
    if (!joined.empty()) joined += ' ';
    joined += scope;
  }
  return joined;
}

core::Status CheckId(std::string_view what, const std::string& id) {
  if (id.empty()) return Fail(ErrorCode::kInvalidInput, fmt::format("{} is empty", what));
  return core::Ok();
}

}  // namespace

std::string_view ToString(QuestionKind kind) {
  switch (kind) {
    case QuestionKind::kUnknown:
      return "unknown";
    case QuestionKind::kShortText:
      return "text";
    case QuestionKind::kParagraph:
      return "paragraph";
    case QuestionKind::kRadio:
      return "radio";
    case QuestionKind::kCheckbox:
      return "checkbox";
    case QuestionKind::kDropDown:
      return "drop_down";
    case QuestionKind::kScale:
      return "scale";
    case QuestionKind::kDate:
      return "date";
    case QuestionKind::kDateTime:
      return "date_time";
    case QuestionKind::kTime:
      return "time";
    case QuestionKind::kDuration:
      return "duration";
    case QuestionKind::kFileUpload:
      return "file_upload";
    case QuestionKind::kRating:
      return "rating";
    case QuestionKind::kGridRow:
      return "grid_row";
  }
  return "unknown";
}

const FormQuestion* Form::FindQuestion(std::string_view question_id) const {
  for (const auto& item : items) {
    for (const auto& question : item.questions) {
      if (question.question_id == question_id) return &question;
    }
  }
  return nullptr;
}

const FormQuestion* Form::FindQuestionByTitle(std::string_view wanted) const {
  for (const auto& item : items) {
    for (const auto& question : item.questions) {
      if (question.title == wanted) return &question;
    }
  }
  return nullptr;
}

std::map<std::string, std::vector<std::string>> AnswersByTitle(const Form& form,
                                                               const FormResponse& response) {
  std::map<std::string, std::vector<std::string>> answers;
  for (const auto& item : form.items) {
    for (const auto& question : item.questions) {
      const auto it = response.answers.find(question.question_id);
      if (it == response.answers.end()) continue;
      const std::string title = question.kind == QuestionKind::kGridRow
                                    ? item.title + ": " + question.title
                                    : question.title;
      answers[title] = it->second;
    }
  }
  return answers;
}

const std::vector<SchemaField>& FieldsReadByClient() {
  using namespace field;
  static const std::vector<SchemaField> kFields = {
      {"Form", kFormId},
      {"Form", kInfo},
      {"Form", kResponderUri},
      {"Form", kRevisionId},
      {"Form", kItems},
      {"Info", kTitle},
      {"Item", kItemId},
      {"Item", kTitle},
      {"Item", kQuestionItem},
      {"Item", kQuestionGroupItem},
      {"QuestionItem", kQuestion},
      {"QuestionGroupItem", kQuestions},
      {"QuestionGroupItem", kGrid},
      {"Grid", kColumns},
      {"Question", kQuestionId},
      {"Question", kRequired},
      {"Question", kChoiceQuestion},
      {"Question", kTextQuestion},
      {"Question", kScaleQuestion},
      {"Question", kDateQuestion},
      {"Question", kTimeQuestion},
      {"Question", kFileUploadQuestion},
      {"Question", kRatingQuestion},
      {"Question", kRowQuestion},
      {"ChoiceQuestion", kType},
      {"ChoiceQuestion", kOptions},
      {"Option", kValue},
      {"TextQuestion", kParagraph},
      {"DateQuestion", kIncludeTime},
      {"TimeQuestion", kDuration},
      {"RowQuestion", kTitle},
      {"ListFormResponsesResponse", kResponses},
      {"ListFormResponsesResponse", kNextPageToken},
      {"FormResponse", kResponseId},
      {"FormResponse", kFormId},
      {"FormResponse", kCreateTime},
      {"FormResponse", kLastSubmittedTime},
      {"FormResponse", kRespondentEmail},
      {"FormResponse", kAnswers},
      {"Answer", kQuestionId},
      {"Answer", kTextAnswers},
      {"Answer", kFileUploadAnswers},
      {"TextAnswers", kAnswers},
      {"TextAnswer", kValue},
      {"FileUploadAnswers", kAnswers},
      {"FileUploadAnswer", kFileId},
  };
  return kFields;
}

GoogleFormsClient::GoogleFormsClient(http::HttpClient& http, core::Clock& clock,
                                     GoogleOptions options)
    : http_(http), clock_(clock), options_(std::move(options)) {
  while (!options_.forms_base_url.empty() && options_.forms_base_url.back() == '/') {
    options_.forms_base_url.pop_back();
  }
  if (options_.token_url.empty()) options_.token_url = options_.key.token_uri;
}

Result<GoogleFormsClient::CachedToken> GoogleFormsClient::ExchangeJwt() {
  const auto now = clock_.Now();
  auto assertion = MakeJwtAssertion(options_.key, JoinScopes(options_.scopes), now);
  if (!assertion) return Fail(assertion.error());
  http::HttpRequest request;
  request.method = "POST";
  request.url = options_.token_url;
  request.headers["Content-Type"] = "application/x-www-form-urlencoded";
  request.headers["Accept"] = "application/json";
  request.body = "grant_type=" + http::UrlEncode(kJwtBearerGrantType) +
                 "&assertion=" + http::UrlEncode(*assertion);
  request.timeout = options_.timeout;
  auto response = http_.Send(request);
  if (!response) {
    core::Error error = response.error();
    error.message = "google token exchange: " + error.message;
    return Fail(std::move(error));
  }
  if (response->status != 200) return Fail(TokenError(*response));
  const json root = json::parse(response->body, nullptr, false);
  const std::string access_token = String(root, "access_token");
  std::string token_type = String(root, "token_type");
  std::transform(token_type.begin(), token_type.end(), token_type.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  const json* expires_in = Find(root, "expires_in");
  if (access_token.empty() || token_type != "bearer" || expires_in == nullptr ||
      !expires_in->is_number_integer() || expires_in->get<long long>() <= 0) {
    return Fail(ErrorCode::kInternal,
                "google token exchange: the answer has no bearer access_token and expires_in");
  }
  const std::chrono::seconds lifetime(expires_in->get<long long>());
  // Short-lived tokens (a test's) are still reused for half their life.
  const auto margin = std::min<std::chrono::seconds>(options_.refresh_margin, lifetime / 2);
  core::Logger("google")->debug("event=token_exchanged client_email={} expires_in={}",
                                options_.key.client_email, lifetime.count());
  return CachedToken{access_token, now + lifetime - margin};
}

Result<std::string> GoogleFormsClient::AccessToken() {
  std::lock_guard lock(token_mutex_);
  if (token_ && clock_.Now() < token_->refresh_at) return token_->value;
  token_.reset();
  auto fresh = ExchangeJwt();
  if (!fresh) return Fail(fresh.error());
  token_ = *fresh;
  return token_->value;
}

void GoogleFormsClient::DropToken(const std::string& token) {
  std::lock_guard lock(token_mutex_);
  if (token_ && token_->value == token) token_.reset();
}

Result<std::string> GoogleFormsClient::Get(const std::string& path_and_query) {
  const std::string call = path_and_query.substr(0, path_and_query.find('?'));
  for (int attempt = 0;; ++attempt) {
    auto token = AccessToken();
    if (!token) return Fail(token.error());
    http::HttpRequest request;
    request.method = "GET";
    request.url = options_.forms_base_url + path_and_query;
    request.headers["Authorization"] = "Bearer " + *token;
    request.headers["Accept"] = "application/json";
    request.timeout = options_.timeout;
    auto response = http_.Send(request);
    if (!response) {
      core::Error error = response.error();
      error.message = fmt::format("GET {}: {}", call, error.message);
      return Fail(std::move(error));
    }
    if (response->status == 200) return std::move(response->body);
    if (response->status == 401 && attempt == 0) {
      // Revoked or expired early: fetch a new token and try once more.
      core::Logger("google")->info("event=token_rejected path={} action=refresh", call);
      DropToken(*token);
      continue;
    }
    return Fail(ApiError("GET " + call, *response));
  }
}

Result<Form> GoogleFormsClient::GetForm(const std::string& form_id) {
  if (auto ok = CheckId("form id", form_id); !ok) return Fail(ok.error());
  auto body = Get("/v1/forms/" + http::UrlEncode(form_id));
  if (!body) return Fail(body.error());
  return ParseForm(*body);
}

Result<std::vector<FormResponse>> GoogleFormsClient::ListResponses(
    const std::string& form_id, std::optional<core::TimePoint> after) {
  if (auto ok = CheckId("form id", form_id); !ok) return Fail(ok.error());
  std::string base_query;
  auto add = [&](std::string_view name, const std::string& value) {
    base_query += base_query.empty() ? '?' : '&';
    base_query += fmt::format("{}={}", name, http::UrlEncode(value));
  };
  if (after) add(kFilterParam, "timestamp > " + FormatRfc3339(*after));
  if (options_.page_size > 0) add(kPageSizeParam, std::to_string(options_.page_size));
  const std::string path = "/v1/forms/" + http::UrlEncode(form_id) + "/responses";

  std::vector<FormResponse> responses;
  std::string page_token;
  std::set<std::string> seen_tokens;
  for (int page = 0; page < kMaxPages; ++page) {
    std::string query = base_query;
    if (!page_token.empty()) {
      query += query.empty() ? '?' : '&';
      query += fmt::format("{}={}", kPageTokenParam, http::UrlEncode(page_token));
    }
    auto body = Get(path + query);
    if (!body) return Fail(body.error());
    const json root = json::parse(*body, nullptr, false);
    if (!root.is_object()) {
      return Fail(ErrorCode::kInternal, "forms.responses.list: the answer is not JSON");
    }
    for (const json* entry : Elements(root, field::kResponses)) {
      auto response = ParseResponse(*entry, form_id);
      if (!response) return Fail(response.error());
      responses.push_back(std::move(*response));
    }
    page_token = String(root, field::kNextPageToken);
    if (page_token.empty()) return responses;
    if (!seen_tokens.insert(page_token).second) {
      return Fail(ErrorCode::kInternal, "forms.responses.list: a page token repeated");
    }
  }
  return Fail(ErrorCode::kInternal, "forms.responses.list: too many pages");
}

Result<FormResponse> GoogleFormsClient::GetResponse(const std::string& form_id,
                                                    const std::string& response_id) {
  if (auto ok = CheckId("form id", form_id); !ok) return Fail(ok.error());
  if (auto ok = CheckId("response id", response_id); !ok) return Fail(ok.error());
  auto body =
      Get("/v1/forms/" + http::UrlEncode(form_id) + "/responses/" + http::UrlEncode(response_id));
  if (!body) return Fail(body.error());
  const json root = json::parse(*body, nullptr, false);
  if (!root.is_object()) {
    return Fail(ErrorCode::kInternal, "forms.responses.get: the answer is not JSON");
  }
  return ParseResponse(root, form_id);
}

}  // namespace planfix_flow::google
