// SandboxWorld: the sandbox fakes (Planfix, Telegram, Google, and monobank once EnableBank is
// called) seeded for the brief flow, on one clock, with a matching Config: what `planfix-flow
// demo`, the end-to-end tests and the benchmarks run the real service against. It also plays
// the outside world's part: Planfix's buttons, the client's Telegram, the Apps Script's signed
// posts and Google's stored responses. Use from one thread (the fakes are thread-safe).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/http/http_client.h"
#include "planfix_flow/sandbox/fake_google.h"
#include "planfix_flow/sandbox/fake_monobank.h"
#include "planfix_flow/sandbox/fake_planfix.h"
#include "planfix_flow/sandbox/fake_telegram.h"

namespace planfix_flow::app {

// The brief form's questions in the sandbox (titles match DefaultSandboxConfig's answers).
inline constexpr char kSandboxExpectations[] = "Що ви очікуєте від проєкту?";
inline constexpr char kSandboxContractors[] = "Хто ваші підрядники?";
inline constexpr char kSandboxAccess[] = "Доступи до акаунтів";
inline constexpr char kSandboxPhone[] = "Ваш номер телефону";
inline constexpr char kSandboxBriefCode[] = "Код брифу";

// The bank account whose incoming transfers the sandbox service takes in (EnableBank).
inline constexpr char kSandboxBankAccount[] = "fop-uah-account";

struct SandboxClient {
  std::int64_t contact = 0;
  std::int64_t task = 0;
  std::optional<std::int64_t> chat;  // the client's Telegram user id when bound
};

class SandboxWorld {
 public:
  // Starts the fakes on loopback. `dir` holds the service-account key file (and whatever
  // the caller puts there); it must exist. `clock` is a FakeClock in tests and the demo; the
  // benchmarks pass the system clock.
  SandboxWorld(core::Clock& clock, std::filesystem::path dir);
  ~SandboxWorld();
  SandboxWorld(const SandboxWorld&) = delete;
  SandboxWorld& operator=(const SandboxWorld&) = delete;

  // A client contact with a "Communication" task. With `chat`, the contact has the bound
  // chat in its Telegram field and the chat exists (the client pressed Start long ago);
  // without, the chat exists only as a user who never started the bot. `language` is the
  // contact's language field as a PM typed it (empty: not filled).
  SandboxClient AddClient(const std::string& name, const std::string& email,
                          const std::string& phone, std::optional<std::int64_t> chat,
                          std::int64_t telegram_user_if_unbound = 0,
                          const std::string& language = {});

  // A deal task of `client` (the counterparty), set by sales and assigned to user:7: project
  // 0 means none, an empty work type or a zero amount means the field is empty.
  std::int64_t AddDeal(const SandboxClient& client, std::int64_t project,
                       const std::string& work_type, double amount);

  // The bank joins the world: starts the monobank fake and turns [bank] on in `config` for
  // its UAH account (kSandboxBankAccount), with the webhook token set. The bank must know
  // where the service listens before it starts, so this picks a free loopback port now and
  // sets it as server.port and the bank's public base URL; returns it.
  int EnableBank();

  // Planfix posts a webhook (JSON body) to the service.
  core::Result<http::HttpResponse> PostPlanfix(int port, const nlohmann::json& body);
  // The client presses Start on a deep link: the update as Telegram would POST it.
  core::Result<http::HttpResponse> PostStart(int port, std::int64_t user, const std::string& token);
  // The client presses an inline button with `data` under the bot's message: the callback
  // query as Telegram would POST it, from the chat's user called `first_name`.
  core::Result<http::HttpResponse> PostPress(int port, std::int64_t chat, std::int64_t message_id,
                                             const std::string& data,
                                             const std::string& first_name = "Client");
  // The Apps Script posts a submission, signed with the Google webhook secret.
  core::Result<http::HttpResponse> PostSubmission(int port, const nlohmann::json& submission,
                                                  const std::string& webhook_id);
  // A submission as the Apps Script builds it, and the same response stored in the fake
  // Google Forms (so reconciliation can find it). Returns the JSON payload.
  nlohmann::json Submit(const std::string& response_id, const std::string& brief_code,
                        const std::string& email, const std::string& expectations,
                        const std::string& access, const std::string& phone = {});

  // The brief code the service pre-filled into the link it sent to `chat` (from the last
  // message carrying the form link); empty when none.
  std::string BriefCodeSentTo(std::int64_t chat) const;
  // The deep-link token in the last comment on `task` that carries one; empty when none.
  std::string BindTokenOnTask(std::int64_t task) const;

  config::Config config;
  sandbox::FakePlanfix planfix;
  sandbox::FakeTelegram telegram;
  sandbox::FakeGoogle google;
  sandbox::FakeMonobank bank;  // started by EnableBank
  http::HttpClient& http();

 private:
  core::Clock& clock_;
  std::filesystem::path dir_;
  std::unique_ptr<http::HttpClient> http_;
  std::int64_t next_task_ = 2001;
  std::int64_t presses_ = 0;
};

}  // namespace planfix_flow::app
