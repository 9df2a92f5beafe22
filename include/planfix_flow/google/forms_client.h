// GoogleFormsClient: reads forms and their responses through the Google Forms API v1 as a
// service account (JWT-bearer grant; the access token is cached until shortly before it
// expires). Thread-safe: one client may be shared; token refreshes are serialised.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/http/http_client.h"

namespace planfix_flow::google {

struct GoogleOptions {
  std::string forms_base_url = "https://forms.googleapis.com";
  // Where to exchange the JWT; empty means key.token_uri. The JWT's audience is always
  // key.token_uri, as Google requires.
  std::string token_url;
  ServiceAccountKey key;
  // Per Google's discovery document forms.get accepts forms.body.readonly (not
  // forms.responses.readonly) and responses.list/get accept forms.responses.readonly, so the
  // default asks for both.
  std::vector<std::string> scopes = {kFormsBodyReadonlyScope, kFormsResponsesReadonlyScope};
  // A cached token is replaced this long before it expires.
  std::chrono::seconds refresh_margin{60};
  // pageSize for responses.list; 0 leaves it out (Google then returns up to 5000 a page).
  int page_size = 0;
  // Per HTTP request; zero means the HttpClient's default.
  std::chrono::milliseconds timeout{0};
};

enum class QuestionKind {
  kUnknown,
  kShortText,   // textQuestion
  kParagraph,   // textQuestion.paragraph
  kRadio,       // choiceQuestion RADIO
  kCheckbox,    // choiceQuestion CHECKBOX (several answers)
  kDropDown,    // choiceQuestion DROP_DOWN
  kScale,       // scaleQuestion
  kDate,        // dateQuestion; answers "YYYY-MM-DD"
  kDateTime,    // dateQuestion.includeTime; answers "YYYY-MM-DD HH:MM"
  kTime,        // timeQuestion; answers "HH:MM"
  kDuration,    // timeQuestion.duration
  kFileUpload,  // fileUploadQuestion; answers are Drive file ids
  kRating,      // ratingQuestion
  kGridRow,     // rowQuestion, one row of a questionGroupItem grid
};
std::string_view ToString(QuestionKind kind);

struct FormQuestion {
  std::string question_id;
  std::string title;  // the item's title, or the row's title for a grid row
  QuestionKind kind = QuestionKind::kUnknown;
  bool required = false;
  std::vector<std::string> options;  // choice options, or a grid's columns
};

// One item of a form. Items that ask nothing (text, image, video, page break) have no
// questions; a question item has one; a grid (questionGroupItem) has one per row.
struct FormItem {
  std::string item_id;
  std::string title;
  std::vector<FormQuestion> questions;
};

struct Form {
  std::string form_id;
  std::string title;
  std::string responder_uri;
  std::string revision_id;
  std::vector<FormItem> items;

  // Nullptr when no item asks `question_id`.
  const FormQuestion* FindQuestion(std::string_view question_id) const;
  // The first question with this exact title (a grid row's title for grids), or nullptr.
  const FormQuestion* FindQuestionByTitle(std::string_view wanted) const;
};

struct FormResponse {
  std::string response_id;
  std::string form_id;  // Google leaves it out of list answers; the client fills it in
  core::TimePoint create_time;
  core::TimePoint last_submitted_time;
  std::string respondent_email;  // empty unless the form collects e-mail addresses
  // questionId -> values: textAnswers[].value (dates "YYYY-MM-DD", times "HH:MM", one
  // value per ticked checkbox), or the Drive file ids of a file upload.
  std::map<std::string, std::vector<std::string>> answers;
};

// A response's answers keyed by question title (the config maps form questions to Planfix
// fields by title). Answers to questions the form no longer has are left out; a grid row is
// keyed "<grid title>: <row title>".
std::map<std::string, std::vector<std::string>> AnswersByTitle(const Form& form,
                                                               const FormResponse& response);

// Errors, for every call:
//   kInvalidInput   400 INVALID_ARGUMENT (bad filter, bad page token)
//   kUnauthorized   the token endpoint refused the JWT (invalid_grant, invalid_scope, ...);
//                   401 twice in a row; 403 PERMISSION_DENIED, whether the token lacks a scope
//                   or the form is not shared with the service account (not retryable: an
//                   operator must share the form or fix the key, so it is reported as a
//                   credentials problem); remote_code is the HTTP status
//   kNotFound       404 (unknown form or response)
//   kRateLimited    429 RESOURCE_EXHAUSTED; retry_after from Retry-After when present
//   kUnavailable    5xx, connection failures
//   kTimeout        no answer in time
//   kInternal       an answer that does not parse
class GoogleFormsClient {
 public:
  // `http` and `clock` must outlive the client.
  GoogleFormsClient(http::HttpClient& http, core::Clock& clock, GoogleOptions options);

  // forms.get
  core::Result<Form> GetForm(const std::string& form_id);
  // forms.responses.list, following nextPageToken to the end. With `after`, only responses
  // submitted strictly after it (filter "timestamp > <RFC 3339>").
  core::Result<std::vector<FormResponse>> ListResponses(
      const std::string& form_id, std::optional<core::TimePoint> after = std::nullopt);
  // forms.responses.get
  core::Result<FormResponse> GetResponse(const std::string& form_id,
                                         const std::string& response_id);

  // A valid access token, from the cache or a fresh exchange (also a credentials check).
  core::Result<std::string> AccessToken();

 private:
  struct CachedToken {
    std::string value;
    core::TimePoint refresh_at;
  };
  core::Result<CachedToken> ExchangeJwt();
  void DropToken(const std::string& token);
  // GET forms_base_url + path_and_query with the bearer token; retries once after a 401.
  core::Result<std::string> Get(const std::string& path_and_query);

  http::HttpClient& http_;
  core::Clock& clock_;
  GoogleOptions options_;
  std::mutex token_mutex_;
  std::optional<CachedToken> token_;
};

// The schema fields (Forms discovery document names) the client's parser reads, so a test
// can check them against the official document.
struct SchemaField {
  std::string_view schema;
  std::string_view field;
};
const std::vector<SchemaField>& FieldsReadByClient();

}  // namespace planfix_flow::google
