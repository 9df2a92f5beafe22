// FakeGoogle: a loopback stand-in for Google's OAuth token endpoint (JWT-bearer grant, RS256
// signatures checked against registered service-account public keys) and the Forms API v1
// (forms.get, forms.responses.list, forms.responses.get) with stateful forms and responses,
// Google's error envelopes, scope checks, sharing, paging and a per-minute read quota.
// Thread-safe: seed it from the test thread while the server thread answers.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/google/forms_client.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/sandbox/fake_server.h"

namespace planfix_flow::sandbox {

struct RsaKeyPair {
  std::string private_key_pem;  // PKCS#8, as in Google's key files
  std::string public_key_pem;   // SubjectPublicKeyInfo
};

// A fresh 2048-bit pair (slow: tens to hundreds of milliseconds).
RsaKeyPair GenerateRsaKeyPair();
// One pair per slot, generated on first use and kept for the process, so tests stay fast.
// Different slots give different pairs (to test a signature by the wrong key).
const RsaKeyPair& TestRsaKeyPair(int slot = 0);

struct FakeGoogleOptions {
  // Token expiry and JWT time checks read this clock; nullptr means the system clock.
  // Must outlive the fake.
  core::Clock* clock = nullptr;
  std::string token_path = "/token";
  // expires_in of issued access tokens (Google's is 3599).
  std::chrono::seconds token_lifetime{3599};
  // API reads per service account per clock minute; 0 means unlimited.
  int reads_per_minute = 0;
  // Google sends no Retry-After with its 429s; a test may ask for one.
  std::optional<std::chrono::seconds> quota_retry_after;
  // The most responses one page holds (Google: 5000); pageSize above it is capped.
  int max_page_size = 5000;
};

struct FakeQuestion {
  std::string question_id;
  std::string title;  // a grid row's title for AddGrid
  google::QuestionKind kind = google::QuestionKind::kShortText;
  std::vector<std::string> options;  // for radio, checkbox and drop-down
  bool required = false;
};

class FakeGoogle : public FakeServer {
 public:
  explicit FakeGoogle(FakeGoogleOptions options = {});
  ~FakeGoogle() override;

  // base_url() + token_path; valid once started.
  std::string token_url() const;

  // The token endpoint accepts JWTs from `client_email` signed by the matching private key
  // (and, when the JWT names a kid, only with `key_id`).
  void RegisterServiceAccount(std::string client_email, std::string public_key_pem,
                              std::string key_id);
  // A key for `client_email` built from TestRsaKeyPair(key_slot), registered here, with
  // token_uri = token_url(). Call after Start().
  google::ServiceAccountKey CreateServiceAccount(std::string client_email, int key_slot = 0);

  // Seeding; throws std::invalid_argument on a seeding mistake (unknown form or question,
  // duplicate ids), since that is a bug in the test.
  // One item per question, in order. kGridRow is not allowed here: use AddGrid.
  void AddForm(std::string form_id, std::string title, std::vector<FakeQuestion> questions);
  // Appends a grid (questionGroupItem): one question per row, radio columns.
  void AddGrid(const std::string& form_id, std::string title, std::vector<FakeQuestion> rows,
               std::vector<std::string> columns);
  // Stores a submission and returns its responseId (generated when empty). Zero times
  // default to now; lastSubmittedTime defaults to createTime. Answers to file-upload
  // questions are file ids.
  std::string AddResponse(const std::string& form_id, google::FormResponse response);
  // Lets `client_email` read the form (Google: share the form with the service account).
  void ShareWith(const std::string& form_id, std::string client_email);

  // Every issued access token stops working (the client's next call gets a 401).
  void RevokeTokens();
  void SetTokenLifetime(std::chrono::seconds lifetime);
  void SetReadsPerMinute(int reads_per_minute);
  std::size_t tokens_issued() const;

 protected:
  FakeResponse MethodNotAllowed(const FakeRequest& request) override;

 private:
  struct State;
  FakeResponse Token(const FakeRequest& request);
  FakeResponse GetForm(const FakeRequest& request);
  FakeResponse ListResponses(const FakeRequest& request);
  FakeResponse GetResponse(const FakeRequest& request);

  FakeGoogleOptions options_;
  std::unique_ptr<core::SystemClock> own_clock_;
  core::Clock* clock_;
  std::unique_ptr<State> state_;
};

}  // namespace planfix_flow::sandbox
