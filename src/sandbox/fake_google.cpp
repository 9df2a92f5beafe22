#include "planfix_flow/sandbox/fake_google.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <stdexcept>

#include "planfix_flow/google/rfc3339.h"

namespace planfix_flow::sandbox {

using google::QuestionKind;
using nlohmann::json;

// Facts from Google's Forms discovery document: the scopes each method accepts.
namespace {

const std::set<std::string>& FormsGetScopes() {
  static const std::set<std::string> kScopes = {
      "https://www.googleapis.com/auth/drive",
      "https://www.googleapis.com/auth/drive.file",
      "https://www.googleapis.com/auth/drive.readonly",
      "https://www.googleapis.com/auth/forms.body",
      "https://www.googleapis.com/auth/forms.body.readonly",
  };
  return kScopes;
}

const std::set<std::string>& ResponsesScopes() {
  static const std::set<std::string> kScopes = {
      "https://www.googleapis.com/auth/drive",
      "https://www.googleapis.com/auth/drive.file",
      "https://www.googleapis.com/auth/forms.responses.readonly",
  };
  return kScopes;
}

// The scopes the fake token endpoint knows: those of the Forms API plus a few common ones.
// Real Google answers invalid_scope for a scope it does not know.
bool KnownScope(const std::string& scope) {
  static const std::set<std::string> kExtra = {
      "https://www.googleapis.com/auth/cloud-platform",
      "https://www.googleapis.com/auth/userinfo.email",
      "https://www.googleapis.com/auth/spreadsheets.readonly",
  };
  return FormsGetScopes().count(scope) > 0 || ResponsesScopes().count(scope) > 0 ||
         kExtra.count(scope) > 0;
}

// Standard query parameters every Google API method accepts (discovery "parameters").
const std::set<std::string>& SystemParameters() {
  static const std::set<std::string> kNames = {
      "$.xgafv",     "access_token", "alt",       "callback",   "fields",         "key",
      "oauth_token", "prettyPrint",  "quotaUser", "uploadType", "upload_protocol"};
  return kNames;
}

constexpr char kGoogleAud[] = "https://oauth2.googleapis.com/token";
constexpr char kRealm[] = "Bearer realm=\"https://accounts.google.com/\"";

FakeResponse GoogleError(int code, const std::string& status, const std::string& message,
                         const std::string& reason = {}) {
  json error{{"code", code}, {"message", message}, {"status", status}};
  if (!reason.empty()) {
    error["details"] = json::array({json{{"@type", "type.googleapis.com/google.rpc.ErrorInfo"},
                                         {"reason", reason},
                                         {"domain", "googleapis.com"},
                                         {"metadata", {{"service", "forms.googleapis.com"}}}}});
  }
  return FakeResponse{code, json{{"error", error}}.dump()};
}

FakeResponse OAuthError(const std::string& error, const std::string& description) {
  return FakeResponse{400, json{{"error", error}, {"error_description", description}}.dump()};
}

std::map<std::string, std::string> ParseForm(const std::string& body) {
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    const auto end = std::min(body.find('&', start), body.size());
    const std::string pair = body.substr(start, end - start);
    if (!pair.empty()) {
      const auto equals = pair.find('=');
      const std::string key = http::UrlDecode(pair.substr(0, equals));
      const std::string value =
          equals == std::string::npos ? std::string() : http::UrlDecode(pair.substr(equals + 1));
      fields.emplace(key, value);
    }
    start = end + 1;
  }
  return fields;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

json QuestionJson(const FakeQuestion& question) {
  json out{{"questionId", question.question_id}};
  if (question.required) out["required"] = true;
  auto choice = [&](const char* type) {
    json options = json::array();
    for (const auto& option : question.options) options.push_back(json{{"value", option}});
    return json{{"type", type}, {"options", options}};
  };
  switch (question.kind) {
    case QuestionKind::kShortText:
      out["textQuestion"] = json::object();
      break;
    case QuestionKind::kParagraph:
      out["textQuestion"] = json{{"paragraph", true}};
      break;
    case QuestionKind::kRadio:
      out["choiceQuestion"] = choice("RADIO");
      break;
    case QuestionKind::kCheckbox:
      out["choiceQuestion"] = choice("CHECKBOX");
      break;
    case QuestionKind::kDropDown:
      out["choiceQuestion"] = choice("DROP_DOWN");
      break;
    case QuestionKind::kScale:
      out["scaleQuestion"] = json{{"low", 1}, {"high", 5}};
      break;
    case QuestionKind::kDate:
      out["dateQuestion"] = json{{"includeYear", true}};
      break;
    case QuestionKind::kDateTime:
      out["dateQuestion"] = json{{"includeYear", true}, {"includeTime", true}};
      break;
    case QuestionKind::kTime:
      out["timeQuestion"] = json::object();
      break;
    case QuestionKind::kDuration:
      out["timeQuestion"] = json{{"duration", true}};
      break;
    case QuestionKind::kFileUpload:
      out["fileUploadQuestion"] =
          json{{"folderId", "folder-" + question.question_id}, {"maxFiles", 1}};
      break;
    case QuestionKind::kRating:
      out["ratingQuestion"] = json{{"ratingScaleLevel", 5}, {"iconType", "STAR"}};
      break;
    case QuestionKind::kGridRow:
      out["rowQuestion"] = json{{"title", question.title}};
      break;
    case QuestionKind::kUnknown:
      throw std::invalid_argument("FakeGoogle: question " + question.question_id + " has no kind");
  }
  return out;
}

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

std::string BioText(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

RsaKeyPair GenerateRsaKeyPair() {
  std::unique_ptr<EVP_PKEY, PkeyFree> key(EVP_RSA_gen(2048));
  std::unique_ptr<BIO, BioFree> private_bio(BIO_new(BIO_s_mem()));
  std::unique_ptr<BIO, BioFree> public_bio(BIO_new(BIO_s_mem()));
  if (!key || !private_bio || !public_bio ||
      PEM_write_bio_PrivateKey(private_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_bio.get(), key.get()) != 1) {
    ERR_clear_error();
    throw std::runtime_error("cannot generate an RSA key pair");
  }
  return RsaKeyPair{BioText(private_bio.get()), BioText(public_bio.get())};
}

const RsaKeyPair& TestRsaKeyPair(int slot) {
  static std::mutex mutex;
  static std::map<int, RsaKeyPair> pairs;
  std::lock_guard lock(mutex);
  auto it = pairs.find(slot);
  if (it == pairs.end()) it = pairs.emplace(slot, GenerateRsaKeyPair()).first;
  return it->second;  // std::map nodes never move, so the reference stays valid
}

struct FakeGoogle::State {
  struct Account {
    std::string public_key_pem;
    std::string key_id;
  };
  struct Token {
    std::string client_email;
    std::set<std::string> scopes;
    core::TimePoint expires_at;
  };
  struct Item {
    std::string item_id;
    std::string title;
    std::vector<FakeQuestion> questions;
    bool grid = false;
    std::vector<std::string> columns;
  };
  struct Form {
    std::string title;
    std::vector<Item> items;
    std::set<std::string> shared_with;
    std::vector<google::FormResponse> responses;
  };
  struct PageToken {
    std::string form_id;
    std::string filter;
    std::size_t offset = 0;
  };

  std::mutex mutex;
  std::mt19937_64 random{std::random_device{}()};
  std::map<std::string, Account> accounts;
  std::map<std::string, Token> tokens;
  // Issued, then revoked: a correct client may still hold one (an unknown token is a
  // refusal; a revoked or expired one is the world moving on).
  std::set<std::string> revoked;
  std::size_t tokens_issued = 0;
  std::map<std::string, Form> forms;
  std::map<std::string, PageToken> page_tokens;
  std::chrono::seconds token_lifetime{3599};
  int reads_per_minute = 0;
  // Reads per service account in the current clock minute.
  std::map<std::string, std::pair<long long, int>> reads;

  std::string RandomText(std::size_t length) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 2);
    std::string text(length, ' ');
    for (auto& ch : text) ch = kAlphabet[pick(random)];
    return text;
  }

  std::optional<FakeResponse> Authorize(const FakeRequest& request,
                                        const std::set<std::string>& method_scopes,
                                        const std::string& form_id, core::TimePoint now,
                                        std::optional<std::chrono::seconds> quota_retry_after);
  json ResponseJson(const std::string& form_id, const google::FormResponse& response,
                    bool with_form_id) const;

  const FakeQuestion* FindQuestion(const Form& form, const std::string& question_id) const {
    for (const auto& item : form.items) {
      for (const auto& question : item.questions) {
        if (question.question_id == question_id) return &question;
      }
    }
    return nullptr;
  }
};

FakeGoogle::FakeGoogle(FakeGoogleOptions options)
    : FakeServer("google"),
      options_(std::move(options)),
      own_clock_(options_.clock == nullptr ? std::make_unique<core::SystemClock>() : nullptr),
      clock_(options_.clock != nullptr ? options_.clock : own_clock_.get()),
      state_(std::make_unique<State>()) {
  state_->token_lifetime = options_.token_lifetime;
  state_->reads_per_minute = options_.reads_per_minute;
  Route("POST",
        std::regex_replace(options_.token_path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)"),
        [this](const FakeRequest& request) { return Token(request); });
  Route("GET", R"(/v1/forms/([^/:]+))",
        [this](const FakeRequest& request) { return GetForm(request); });
  Route("GET", R"(/v1/forms/([^/:]+)/responses)",
        [this](const FakeRequest& request) { return ListResponses(request); });
  Route("GET", R"(/v1/forms/([^/:]+)/responses/([^/:]+))",
        [this](const FakeRequest& request) { return GetResponse(request); });
}

FakeGoogle::~FakeGoogle() { Stop(); }

std::string FakeGoogle::token_url() const { return base_url() + options_.token_path; }

void FakeGoogle::RegisterServiceAccount(std::string client_email, std::string public_key_pem,
                                        std::string key_id) {
  std::lock_guard lock(state_->mutex);
  state_->accounts[std::move(client_email)] =
      State::Account{std::move(public_key_pem), std::move(key_id)};
}

google::ServiceAccountKey FakeGoogle::CreateServiceAccount(std::string client_email, int key_slot) {
  if (!running()) throw std::logic_error("FakeGoogle::CreateServiceAccount needs Start() first");
  const RsaKeyPair& pair = TestRsaKeyPair(key_slot);
  google::ServiceAccountKey key;
  key.type = "service_account";
  key.project_id = "sandbox-project";
  key.private_key_id = fmt::format("sandbox-key-{}", key_slot);
  key.private_key = pair.private_key_pem;
  key.client_email = std::move(client_email);
  key.token_uri = token_url();
  RegisterServiceAccount(key.client_email, pair.public_key_pem, key.private_key_id);
  return key;
}

void FakeGoogle::AddForm(std::string form_id, std::string title,
                         std::vector<FakeQuestion> questions) {
  std::lock_guard lock(state_->mutex);
  if (form_id.empty() || state_->forms.count(form_id) > 0) {
    throw std::invalid_argument("FakeGoogle: form id empty or taken: " + form_id);
  }
  State::Form form;
  form.title = std::move(title);
  std::set<std::string> ids;
  for (auto& question : questions) {
    if (question.kind == QuestionKind::kGridRow) {
      throw std::invalid_argument("FakeGoogle: grid rows go through AddGrid");
    }
    QuestionJson(question);  // throws for a question without a kind
    if (question.question_id.empty() || !ids.insert(question.question_id).second) {
      throw std::invalid_argument("FakeGoogle: question id empty or repeated: " +
                                  question.question_id);
    }
    State::Item item;
    item.item_id = state_->RandomText(8);
    item.title = question.title;
    item.questions.push_back(std::move(question));
    form.items.push_back(std::move(item));
  }
  state_->forms.emplace(std::move(form_id), std::move(form));
}

void FakeGoogle::AddGrid(const std::string& form_id, std::string title,
                         std::vector<FakeQuestion> rows, std::vector<std::string> columns) {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->forms.find(form_id);
  if (it == state_->forms.end()) throw std::invalid_argument("FakeGoogle: no form " + form_id);
  State::Item item;
  item.item_id = state_->RandomText(8);
  item.title = std::move(title);
  item.grid = true;
  item.columns = std::move(columns);
  for (auto& row : rows) {
    if (row.question_id.empty() || state_->FindQuestion(it->second, row.question_id) != nullptr) {
      throw std::invalid_argument("FakeGoogle: question id empty or repeated: " + row.question_id);
    }
    row.kind = QuestionKind::kGridRow;
    item.questions.push_back(std::move(row));
  }
  it->second.items.push_back(std::move(item));
}

std::string FakeGoogle::AddResponse(const std::string& form_id, google::FormResponse response) {
  const auto now = clock_->Now();
  std::lock_guard lock(state_->mutex);
  const auto it = state_->forms.find(form_id);
  if (it == state_->forms.end()) throw std::invalid_argument("FakeGoogle: no form " + form_id);
  for (const auto& [question_id, values] : response.answers) {
    if (state_->FindQuestion(it->second, question_id) == nullptr) {
      throw std::invalid_argument("FakeGoogle: form " + form_id + " has no question " +
                                  question_id);
    }
  }
  if (response.response_id.empty()) response.response_id = "ACYDBN" + state_->RandomText(24);
  for (const auto& existing : it->second.responses) {
    if (existing.response_id == response.response_id) {
      throw std::invalid_argument("FakeGoogle: response id taken: " + response.response_id);
    }
  }
  response.form_id = form_id;
  if (response.create_time == core::TimePoint{}) response.create_time = now;
  if (response.last_submitted_time == core::TimePoint{}) {
    response.last_submitted_time = response.create_time;
  }
  it->second.responses.push_back(response);
  return response.response_id;
}

void FakeGoogle::ShareWith(const std::string& form_id, std::string client_email) {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->forms.find(form_id);
  if (it == state_->forms.end()) throw std::invalid_argument("FakeGoogle: no form " + form_id);
  it->second.shared_with.insert(std::move(client_email));
}

void FakeGoogle::RevokeTokens() {
  std::lock_guard lock(state_->mutex);
  for (const auto& [token, unused] : state_->tokens) state_->revoked.insert(token);
  state_->tokens.clear();
}

void FakeGoogle::SetTokenLifetime(std::chrono::seconds lifetime) {
  if (lifetime.count() <= 0) throw std::invalid_argument("FakeGoogle: token lifetime must be > 0");
  std::lock_guard lock(state_->mutex);
  state_->token_lifetime = lifetime;
}

void FakeGoogle::SetReadsPerMinute(int reads_per_minute) {
  std::lock_guard lock(state_->mutex);
  state_->reads_per_minute = reads_per_minute;
}

std::size_t FakeGoogle::tokens_issued() const {
  std::lock_guard lock(state_->mutex);
  return state_->tokens_issued;
}

FakeResponse FakeGoogle::MethodNotAllowed(const FakeRequest& request) {
  if (request.path == options_.token_path) {
    return OAuthError("invalid_request", "Only POST is supported on the token endpoint");
  }
  // Google's front end has no binding for another verb on these paths.
  return GoogleError(404, "NOT_FOUND", "Method not found.");
}

FakeResponse FakeGoogle::Token(const FakeRequest& request) {
  const std::string content_type = Lower(request.Header("Content-Type"));
  if (content_type.rfind("application/x-www-form-urlencoded", 0) != 0) {
    return OAuthError("invalid_request", "Content-Type must be application/x-www-form-urlencoded");
  }
  const auto fields = ParseForm(request.body);
  const auto grant_type = fields.find("grant_type");
  if (grant_type == fields.end() || grant_type->second.empty()) {
    return OAuthError("invalid_request", "Missing required parameter: grant_type");
  }
  if (grant_type->second != google::kJwtBearerGrantType) {
    return OAuthError("unsupported_grant_type", "Invalid grant_type: " + grant_type->second);
  }
  const auto assertion = fields.find("assertion");
  if (assertion == fields.end() || assertion->second.empty()) {
    return OAuthError("invalid_request", "Missing required parameter: assertion");
  }
  auto jwt = google::ParseJwt(assertion->second);
  if (!jwt) return OAuthError("invalid_grant", "Invalid JWT: " + jwt.error().message);
  if (jwt->header.value("alg", std::string()) != "RS256") {
    return OAuthError("invalid_grant", "Invalid JWT: alg must be RS256");
  }
  const auto& claims = jwt->claims;
  const std::string issuer = claims.value("iss", std::string());
  const auto now = clock_->Now();

  std::lock_guard lock(state_->mutex);
  const auto account = state_->accounts.find(issuer);
  if (account == state_->accounts.end()) {
    return OAuthError("invalid_grant", "Invalid grant: account not found");
  }
  const std::string kid = jwt->header.value("kid", std::string());
  if ((!kid.empty() && kid != account->second.key_id) ||
      !google::VerifyRs256(jwt->signing_input, jwt->signature, account->second.public_key_pem)) {
    return OAuthError("invalid_grant", "Invalid JWT Signature.");
  }
  const std::string audience = claims.value("aud", std::string());
  if (audience != token_url() && audience != kGoogleAud) {
    return OAuthError("invalid_grant",
                      "Invalid JWT: Failed audience check. The right audience is " + token_url());
  }
  const auto iat = claims.find("iat");
  const auto exp = claims.find("exp");
  const long long now_seconds = core::ToUnixSeconds(now);
  if (iat == claims.end() || exp == claims.end() || !iat->is_number_integer() ||
      !exp->is_number_integer() || exp->get<long long>() <= now_seconds ||
      iat->get<long long>() > now_seconds + 60 ||
      exp->get<long long>() - iat->get<long long>() > 3600 ||
      exp->get<long long>() <= iat->get<long long>()) {
    return OAuthError("invalid_grant",
                      "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
                      "reasonable timeframe. Check your iat and exp values in the JWT claim.");
  }
  std::set<std::string> scopes;
  {
    const std::string scope = claims.value("scope", std::string());
    std::size_t start = 0;
    while (start < scope.size()) {
      const auto end = std::min(scope.find(' ', start), scope.size());
      if (end > start) scopes.insert(scope.substr(start, end - start));
      start = end + 1;
    }
  }
  if (scopes.empty() || !std::all_of(scopes.begin(), scopes.end(), KnownScope)) {
    return OAuthError("invalid_scope", "Invalid OAuth scope or ID token audience provided.");
  }
  const std::string access_token = "ya29.sandbox-" + state_->RandomText(40);
  state_->tokens[access_token] = State::Token{issuer, scopes, now + state_->token_lifetime};
  ++state_->tokens_issued;
  FakeResponse response{200, json{{"access_token", access_token},
                                  {"expires_in", state_->token_lifetime.count()},
                                  {"token_type", "Bearer"}}
                                 .dump()};
  response.headers["Cache-Control"] = "no-cache, no-store, max-age=0, must-revalidate";
  return response;
}

namespace {

// Google refuses query parameters the method does not define.
std::optional<FakeResponse> CheckQuery(const FakeRequest& request,
                                       const std::set<std::string>& allowed) {
  for (const auto& [name, value] : request.query) {
    if (allowed.count(name) > 0 || SystemParameters().count(name) > 0) continue;
    return GoogleError(400, "INVALID_ARGUMENT",
                       fmt::format("Invalid JSON payload received. Unknown name \"{}\": Cannot "
                                   "bind query parameter. Field '{}' could not be found in "
                                   "request message.",
                                   name, name));
  }
  return std::nullopt;
}

std::string BearerToken(const FakeRequest& request) {
  const std::string header = request.Header("Authorization");
  if (header.size() > 7 && Lower(header.substr(0, 7)) == "bearer ") return header.substr(7);
  return request.Query("access_token");
}

}  // namespace

// Authentication, scope, quota and sharing checks shared by the Forms calls. Nullopt means
// the caller may read `form_id`. Call with the state mutex held.
std::optional<FakeResponse> FakeGoogle::State::Authorize(
    const FakeRequest& request, const std::set<std::string>& method_scopes,
    const std::string& form_id, core::TimePoint now,
    std::optional<std::chrono::seconds> quota_retry_after) {
  const std::string token_text = BearerToken(request);
  if (token_text.empty()) {
    auto refusal = GoogleError(
        401, "UNAUTHENTICATED",
        "Request is missing required authentication credential. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        "CREDENTIALS_MISSING");
    refusal.headers["WWW-Authenticate"] = kRealm;
    return refusal;
  }
  const auto token = tokens.find(token_text);
  if (token == tokens.end() || token->second.expires_at <= now) {
    auto refusal = GoogleError(
        401, "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login "
        "cookie or other valid authentication credential. See "
        "https://developers.google.com/identity/sign-in/web/devconsole-project.",
        token == tokens.end() ? "ACCESS_TOKEN_TYPE_UNSUPPORTED" : "ACCESS_TOKEN_EXPIRED");
    refusal.headers["WWW-Authenticate"] = std::string(kRealm) + ", error=\"invalid_token\"";
    // A token that expired on the way, or was revoked, is no fault of the client's.
    if (token != tokens.end() || revoked.count(token_text) > 0) return WorldStateAnswer(refusal);
    return refusal;
  }
  const auto& scopes = token->second.scopes;
  if (std::none_of(scopes.begin(), scopes.end(),
                   [&](const std::string& scope) { return method_scopes.count(scope) > 0; })) {
    // A token without the method's scope: the client asked for the wrong ones.
    auto refusal = Refusal(GoogleError(403, "PERMISSION_DENIED",
                                       "Request had insufficient authentication scopes.",
                                       "ACCESS_TOKEN_SCOPE_INSUFFICIENT"));
    refusal.headers["WWW-Authenticate"] = std::string(kRealm) + ", error=\"insufficient_scope\"";
    return refusal;
  }
  const std::string& client_email = token->second.client_email;
  if (reads_per_minute > 0) {
    const long long minute = core::ToUnixSeconds(now) / 60;
    auto& [window, count] = reads[client_email];
    if (window != minute) {
      window = minute;
      count = 0;
    }
    if (count >= reads_per_minute) {
      auto refusal = GoogleError(
          429, "RESOURCE_EXHAUSTED",
          fmt::format("Quota exceeded for quota metric 'Read requests' and limit 'Read requests "
                      "per minute per user' of service 'forms.googleapis.com' for consumer "
                      "'project_number:0'."),
          "RATE_LIMIT_EXCEEDED");
      if (quota_retry_after) {
        refusal.headers["Retry-After"] = std::to_string(quota_retry_after->count());
      }
      return refusal;
    }
    ++count;
  }
  const auto form = forms.find(form_id);
  if (form == forms.end()) {
    return GoogleError(404, "NOT_FOUND", "Requested entity was not found.");
  }
  if (form->second.shared_with.count(client_email) == 0) {
    return GoogleError(403, "PERMISSION_DENIED", "The caller does not have permission");
  }
  return std::nullopt;
}

json FakeGoogle::State::ResponseJson(const std::string& form_id,
                                     const google::FormResponse& response,
                                     bool with_form_id) const {
  const auto& form = forms.at(form_id);
  json out{{"responseId", response.response_id},
           {"createTime", google::FormatRfc3339(response.create_time)},
           {"lastSubmittedTime", google::FormatRfc3339(response.last_submitted_time)}};
  if (with_form_id) out["formId"] = form_id;
  if (!response.respondent_email.empty()) out["respondentEmail"] = response.respondent_email;
  json answers = json::object();
  for (const auto& [question_id, values] : response.answers) {
    const FakeQuestion* question = FindQuestion(form, question_id);
    json answer{{"questionId", question_id}};
    json list = json::array();
    if (question != nullptr && question->kind == QuestionKind::kFileUpload) {
      for (const auto& file_id : values) {
        list.push_back(json{
            {"fileId", file_id}, {"fileName", file_id + ".pdf"}, {"mimeType", "application/pdf"}});
      }
      answer["fileUploadAnswers"] = json{{"answers", list}};
    } else {
      for (const auto& value : values) list.push_back(json{{"value", value}});
      answer["textAnswers"] = json{{"answers", list}};
    }
    answers[question_id] = answer;
  }
  if (!answers.empty()) out["answers"] = answers;
  return out;
}

FakeResponse FakeGoogle::GetForm(const FakeRequest& request) {
  const std::string& form_id = request.captures.at(0);
  const auto now = clock_->Now();
  std::lock_guard lock(state_->mutex);
  if (auto refusal =
          state_->Authorize(request, FormsGetScopes(), form_id, now, options_.quota_retry_after)) {
    return *refusal;
  }
  if (auto refusal = CheckQuery(request, {})) return *refusal;
  const auto& form = state_->forms.at(form_id);
  json items = json::array();
  for (const auto& item : form.items) {
    json out{{"itemId", item.item_id}, {"title", item.title}};
    if (item.grid) {
      json questions = json::array();
      for (const auto& question : item.questions) questions.push_back(QuestionJson(question));
      json columns = json::array();
      for (const auto& column : item.columns) columns.push_back(json{{"value", column}});
      out["questionGroupItem"] =
          json{{"questions", questions},
               {"grid", json{{"columns", json{{"type", "RADIO"}, {"options", columns}}}}}};
    } else {
      out["questionItem"] = json{{"question", QuestionJson(item.questions.at(0))}};
    }
    items.push_back(out);
  }
  json body{{"formId", form_id},
            {"info", json{{"title", form.title}, {"documentTitle", form.title}}},
            {"revisionId", "00000002"},
            {"responderUri", "https://docs.google.com/forms/d/e/" + form_id + "/viewform"}};
  if (!items.empty()) body["items"] = items;
  return FakeResponse{200, body.dump()};
}

FakeResponse FakeGoogle::ListResponses(const FakeRequest& request) {
  const std::string& form_id = request.captures.at(0);
  const auto now = clock_->Now();
  std::lock_guard lock(state_->mutex);
  if (auto refusal =
          state_->Authorize(request, ResponsesScopes(), form_id, now, options_.quota_retry_after)) {
    return *refusal;
  }
  if (auto refusal = CheckQuery(request, {"filter", "pageSize", "pageToken"})) return *refusal;

  // filter: only "timestamp > T" and "timestamp >= T" with T in RFC 3339 UTC ("Z").
  const std::string filter = request.Query("filter");
  std::optional<core::TimePoint> bound;
  bool inclusive = false;
  // An empty filter is an unset proto field: no filter.
  if (!filter.empty()) {
    static const std::regex kFilter(R"(\s*timestamp\s*(>=|>)\s*(\S+)\s*)");
    std::smatch match;
    std::optional<core::TimePoint> moment;
    if (std::regex_match(filter, match, kFilter)) {
      const std::string value = match[2].str();
      if (!value.empty() && value.back() == 'Z') moment = google::ParseRfc3339(value);
    }
    if (!moment) {
      return GoogleError(400, "INVALID_ARGUMENT",
                         "Invalid filter: only \"timestamp > T\" and \"timestamp >= T\" with T "
                         "in RFC3339 UTC \"Zulu\" format are supported.");
    }
    bound = moment;
    inclusive = match[1].str() == ">=";
  }

  std::size_t page_size = static_cast<std::size_t>(options_.max_page_size);
  if (request.HasQuery("pageSize")) {
    static const std::regex kInteger(R"(-?\d{1,10})");
    const std::string text = request.Query("pageSize");
    long long value = 0;
    if (!std::regex_match(text, kInteger) || (value = std::stoll(text)) > 2147483647LL ||
        value < -2147483648LL) {
      return GoogleError(400, "INVALID_ARGUMENT",
                         fmt::format("Invalid value at 'page_size' (TYPE_INT32), \"{}\"", text));
    }
    if (value < 0) {
      return GoogleError(400, "INVALID_ARGUMENT", "page_size must not be negative.");
    }
    if (value > 0) page_size = std::min(page_size, static_cast<std::size_t>(value));
  }

  std::size_t offset = 0;
  if (request.HasQuery("pageToken") && !request.Query("pageToken").empty()) {
    const auto token = state_->page_tokens.find(request.Query("pageToken"));
    if (token == state_->page_tokens.end()) {
      return GoogleError(400, "INVALID_ARGUMENT", "Invalid page token.");
    }
    if (token->second.form_id != form_id || token->second.filter != filter) {
      return GoogleError(400, "INVALID_ARGUMENT",
                         "The page token was issued for another form or filter.");
    }
    offset = token->second.offset;
  }

  std::vector<const google::FormResponse*> selected;
  for (const auto& response : state_->forms.at(form_id).responses) {
    if (bound && (inclusive ? response.last_submitted_time < *bound
                            : response.last_submitted_time <= *bound)) {
      continue;
    }
    selected.push_back(&response);
  }
  std::sort(selected.begin(), selected.end(), [](const auto* a, const auto* b) {
    return std::tie(a->last_submitted_time, a->response_id) <
           std::tie(b->last_submitted_time, b->response_id);
  });
  json responses = json::array();
  const std::size_t end = std::min(selected.size(), offset + page_size);
  for (std::size_t i = offset; i < end; ++i) {
    responses.push_back(state_->ResponseJson(form_id, *selected[i], /*with_form_id=*/false));
  }
  json body = json::object();
  if (!responses.empty()) body["responses"] = responses;
  if (end < selected.size()) {
    const std::string next = state_->RandomText(32);
    state_->page_tokens[next] = State::PageToken{form_id, filter, end};
    body["nextPageToken"] = next;
  }
  return FakeResponse{200, body.dump()};
}

FakeResponse FakeGoogle::GetResponse(const FakeRequest& request) {
  const std::string& form_id = request.captures.at(0);
  const std::string& response_id = request.captures.at(1);
  const auto now = clock_->Now();
  std::lock_guard lock(state_->mutex);
  if (auto refusal =
          state_->Authorize(request, ResponsesScopes(), form_id, now, options_.quota_retry_after)) {
    return *refusal;
  }
  if (auto refusal = CheckQuery(request, {})) return *refusal;
  for (const auto& response : state_->forms.at(form_id).responses) {
    if (response.response_id == response_id) {
      return FakeResponse{200,
                          state_->ResponseJson(form_id, response, /*with_form_id=*/true).dump()};
    }
  }
  return GoogleError(404, "NOT_FOUND", "Requested entity was not found.");
}

}  // namespace planfix_flow::sandbox
