#include "planfix_flow/app/sandbox_world.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <stdexcept>

#include "planfix_flow/core/log.h"
#include "planfix_flow/google/service_account.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/http/standard_webhooks.h"
#include "planfix_flow/storage/records.h"

namespace planfix_flow::app {

using nlohmann::json;

namespace {

constexpr long long kProcess = 1;
constexpr char kServiceAccount[] = "planfix-flow@sandbox.iam.gserviceaccount.com";
constexpr char kBankHookToken[] = "sandbox-bank-hook-0123456789abcdef01234567";

sandbox::FakePlanfixOptions PlanfixOptions() {
  sandbox::FakePlanfixOptions options;
  options.min_interval = std::chrono::milliseconds(0);  // the client paces on the fake clock
  return options;
}

sandbox::FakeTelegramOptions TelegramOptions(core::Clock& clock) {
  sandbox::FakeTelegramOptions options;
  options.clock = &clock;
  options.bot_username = "sandbox_agency_bot";
  return options;
}

sandbox::FakeGoogleOptions GoogleOptions(core::Clock& clock) {
  sandbox::FakeGoogleOptions options;
  options.clock = &clock;
  return options;
}

// The question id the sandbox form gives each title.
std::string QuestionId(std::string_view title) {
  if (title == kSandboxExpectations) return "q-expectations";
  if (title == kSandboxContractors) return "q-contractors";
  if (title == kSandboxAccess) return "q-access";
  if (title == kSandboxPhone) return "q-phone";
  return "q-brief-code";
}

// Posts `update` as Telegram's webhook POST does, with the secret token header.
core::Result<http::HttpResponse> PostTelegramUpdate(http::HttpClient& http, int port,
                                                    const std::string& secret, const json& update) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = fmt::format("http://127.0.0.1:{}/webhooks/telegram", port);
  request.headers["Content-Type"] = "application/json";
  request.headers["X-Telegram-Bot-Api-Secret-Token"] = secret;
  request.body = update.dump();
  return http.Send(request);
}

// A loopback port that was free a moment ago: bound to port 0, read back, released.
int FreeLoopbackPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

}  // namespace

SandboxWorld::SandboxWorld(core::Clock& clock, std::filesystem::path dir)
    : config(config::DefaultSandboxConfig()),
      planfix(PlanfixOptions()),
      telegram(TelegramOptions(clock)),
      google(GoogleOptions(clock)),
      bank(clock),
      clock_(clock),
      dir_(std::move(dir)),
      http_(std::make_unique<http::CurlHttpClient>()) {
  planfix.Start();
  telegram.Start();
  google.Start();

  config.planfix.base_url = planfix.rest_url();
  config.planfix.web_url = "https://sandbox.planfix.com";
  config.secrets.planfix_token = PlanfixOptions().tokens.at(0).token;
  config.telegram.base_url = telegram.api_base_url();
  config.telegram.bot_username = "sandbox_agency_bot";
  config.secrets.telegram_bot_token = telegram.token();
  // The client keeps to Telegram's per-chat limit on the simulated clock, as in production.
  config.telegram.per_chat_interval_ms = 1000;
  // Updates come as Telegram's webhook POSTs (PostStart), the production setup.
  config.telegram.mode = config::TelegramMode::kWebhook;
  config.telegram.webhook_url = "https://sandbox.example/webhooks/telegram";
  config.google.forms_base_url = google.base_url();
  config.google.token_url = google.token_url();

  const auto& statuses = config.planfix.statuses;
  planfix.DefineProcess(kProcess, {{statuses.handed_to_production, "Передано у виробництво"},
                                   {statuses.returned_to_sales, "Повернено продажам"},
                                   {statuses.in_production, "У виробництві"},
                                   {statuses.brief_requested, "Бриф запитано"},
                                   {statuses.brief_filled, "Бриф заповнено"},
                                   {statuses.awaiting_approval, "На погодженні"},
                                   {statuses.approved, "Погоджено"},
                                   {statuses.rework, "Доопрацювання"},
                                   {109, "Завершено"},
                                   {110, "Дизайн"},
                                   {111, "Розробка"}});
  const auto& task_fields = config.planfix.task_fields;
  planfix.DefineTaskField({task_fields.work_type, "Тип робіт", 0});
  planfix.DefineTaskField({task_fields.amount, "Сума", 1});
  planfix.DefineTaskField({task_fields.payment_received, "Оплату отримано", 7});
  planfix.DefineTaskField({task_fields.access_granted, "Доступи надано", 7});
  planfix.DefineContactField({config.planfix.contact_fields.telegram_chat_id, "Telegram chat", 0});
  planfix.DefineContactField({config.planfix.contact_fields.language, "Мова", 0});
  planfix.DefineContactField({config.brief.answers.at(0).field_id, "Очікування від проєкту", 2});
  planfix.DefineContactField({config.brief.answers.at(1).field_id, "Підрядники", 2});
  planfix.DefineContactField({config.brief.answers.at(2).field_id,
                              "Доступи",
                              20,
                              {"Google Ads", "Meta Ads", "Google Analytics"}});

  telegram.AddSupergroup(config.telegram.staff_chat_id, "Agency staff");

  std::vector<sandbox::FakeQuestion> questions;
  for (const char* title : {kSandboxExpectations, kSandboxContractors}) {
    questions.push_back({QuestionId(title), title, google::QuestionKind::kParagraph, {}, false});
  }
  questions.push_back({QuestionId(kSandboxAccess),
                       kSandboxAccess,
                       google::QuestionKind::kCheckbox,
                       {"Google Ads", "Meta Ads", "Google Analytics", "TikTok Ads"},
                       false});
  questions.push_back(
      {QuestionId(kSandboxPhone), kSandboxPhone, google::QuestionKind::kShortText, {}, false});
  questions.push_back({QuestionId(kSandboxBriefCode),
                       kSandboxBriefCode,
                       google::QuestionKind::kShortText,
                       {},
                       false});
  google.AddForm(config.google.form_id, "Бриф клієнта", questions);
  const auto key = google.CreateServiceAccount(kServiceAccount);
  google.ShareWith(config.google.form_id, kServiceAccount);
  const auto key_path = dir_ / "google-service-account.json";
  std::ofstream(key_path) << google::ServiceAccountKeyJson(key);
  config.secrets.google_sa_key_file = key_path.string();
}

SandboxWorld::~SandboxWorld() = default;

int SandboxWorld::EnableBank() {
  if (!bank.running()) bank.Start();
  const int port = FreeLoopbackPort();
  if (port == 0) throw std::runtime_error("sandbox: no free loopback port for the service");
  config.server.port = port;
  config.bank.enabled = true;
  config.bank.accounts = {kSandboxBankAccount};
  config.bank.base_url = bank.base_url();
  config.bank.public_base_url = fmt::format("http://127.0.0.1:{}", port);
  config.secrets.monobank_token = bank.token();
  config.secrets.monobank_webhook_token = kBankHookToken;
  return port;
}

http::HttpClient& SandboxWorld::http() { return *http_; }

SandboxClient SandboxWorld::AddClient(const std::string& name, const std::string& email,
                                      const std::string& phone, std::optional<std::int64_t> chat,
                                      std::int64_t telegram_user_if_unbound,
                                      const std::string& language) {
  sandbox::FakeContact contact;
  contact.name = name;
  contact.email = email;
  if (!language.empty()) contact.custom_fields[config.planfix.contact_fields.language] = language;
  if (!phone.empty()) contact.phones.push_back({phone, 1});
  if (chat) {
    contact.custom_fields[config.planfix.contact_fields.telegram_chat_id] = std::to_string(*chat);
    telegram.AddPrivateChat(*chat, name);
  } else if (telegram_user_if_unbound != 0) {
    telegram.AddUserWhoNeverStarted(telegram_user_if_unbound, name);
  }
  const long long contact_id = planfix.AddContact(contact);
  sandbox::FakeTask task;
  task.id = next_task_++;
  task.name = "Комунікація: " + name;
  task.process_id = kProcess;
  task.counterparty = fmt::format("contact:{}", contact_id);
  task.assigner = "user:1";
  const long long task_id = planfix.AddTask(task);
  return SandboxClient{contact_id, task_id, chat};
}

std::int64_t SandboxWorld::AddDeal(const SandboxClient& client, std::int64_t project,
                                   const std::string& work_type, double amount) {
  sandbox::FakeTask task;
  task.id = next_task_++;
  task.name = "Угода: сайт і реклама";
  task.process_id = kProcess;
  task.project_id = project;
  task.counterparty = fmt::format("contact:{}", client.contact);
  task.assigner = "user:1";
  task.assignees = {"user:7"};
  const auto& fields = config.planfix.task_fields;
  if (!work_type.empty()) task.custom_fields[fields.work_type] = work_type;
  if (amount != 0) task.custom_fields[fields.amount] = amount;
  return planfix.AddTask(task);
}

core::Result<http::HttpResponse> SandboxWorld::PostPlanfix(int port, const json& body) {
  http::HttpRequest request;
  request.method = "POST";
  request.url = fmt::format("http://127.0.0.1:{}/webhooks/planfix", port);
  request.headers["Content-Type"] = "application/json";
  request.headers["Authorization"] = "Bearer " + config.secrets.planfix_webhook_secret;
  request.body = body.dump();
  return http_->Send(request);
}

core::Result<http::HttpResponse> SandboxWorld::PostStart(int port, std::int64_t user,
                                                         const std::string& token) {
  // The client's press also reaches the fake (it stops refusing messages to this user).
  const std::int64_t update_id = telegram.SimulateUserMessage(user, user, "/start " + token);
  const json update{
      {"update_id", update_id},
      {"message",
       {{"message_id", update_id},
        {"date", core::ToUnixSeconds(clock_.Now())},
        {"chat", {{"id", user}, {"type", "private"}, {"first_name", "Client"}}},
        {"from", {{"id", user}, {"is_bot", false}, {"first_name", "Client"}}},
        {"text", "/start " + token},
        {"entities", json::array({{{"type", "bot_command"}, {"offset", 0}, {"length", 6}}})}}}};
  return PostTelegramUpdate(*http_, port, config.secrets.telegram_webhook_secret, update);
}

core::Result<http::HttpResponse> SandboxWorld::PostPress(int port, std::int64_t chat,
                                                         std::int64_t message_id,
                                                         const std::string& data,
                                                         const std::string& first_name) {
  const std::string id = telegram.SimulateUserPress(chat, message_id, data, chat);
  const json update{{"update_id", 900000 + (++presses_)},
                    {"callback_query",
                     {{"id", id},
                      {"from", {{"id", chat}, {"is_bot", false}, {"first_name", first_name}}},
                      {"message",
                       {{"message_id", message_id},
                        {"date", core::ToUnixSeconds(clock_.Now())},
                        {"chat", {{"id", chat}, {"type", "private"}, {"first_name", first_name}}},
                        {"text", "…"}}},
                      {"chat_instance", "1"},
                      {"data", data}}}};
  return PostTelegramUpdate(*http_, port, config.secrets.telegram_webhook_secret, update);
}

core::Result<http::HttpResponse> SandboxWorld::PostSubmission(int port, const json& submission,
                                                              const std::string& webhook_id) {
  auto key = http::StandardWebhookKey(config.secrets.google_webhook_secret);
  if (!key) return core::Fail(key.error());
  const long long timestamp = core::ToUnixSeconds(clock_.Now());
  http::HttpRequest request;
  request.method = "POST";
  request.url = fmt::format("http://127.0.0.1:{}/webhooks/google-forms", port);
  request.headers["Content-Type"] = "application/json";
  request.body = submission.dump();
  request.headers["webhook-id"] = webhook_id;
  request.headers["webhook-timestamp"] = std::to_string(timestamp);
  request.headers["webhook-signature"] =
      http::SignStandardWebhook(*key, webhook_id, timestamp, request.body);
  return http_->Send(request);
}

json SandboxWorld::Submit(const std::string& response_id, const std::string& brief_code,
                          const std::string& email, const std::string& expectations,
                          const std::string& access, const std::string& phone) {
  std::vector<std::string> access_items;
  std::size_t start = 0;
  while (start < access.size()) {
    const auto comma = access.find(", ", start);
    access_items.push_back(access.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 2;
  }
  google::FormResponse response;
  response.response_id = response_id;
  response.create_time = clock_.Now();
  response.last_submitted_time = clock_.Now();
  response.respondent_email = email;
  response.answers[QuestionId(kSandboxExpectations)] = {expectations};
  if (!access_items.empty()) response.answers[QuestionId(kSandboxAccess)] = access_items;
  if (!phone.empty()) response.answers[QuestionId(kSandboxPhone)] = {phone};
  if (!brief_code.empty()) response.answers[QuestionId(kSandboxBriefCode)] = {brief_code};
  google.AddResponse(config.google.form_id, response);

  json answers = json::array();
  answers.push_back({{"title", kSandboxExpectations}, {"value", expectations}});
  if (!access_items.empty())
    answers.push_back({{"title", kSandboxAccess}, {"value", access_items}});
  if (!phone.empty()) answers.push_back({{"title", kSandboxPhone}, {"value", phone}});
  // As the Apps Script posts it: the code's question is among the answers too.
  if (!brief_code.empty()) answers.push_back({{"title", kSandboxBriefCode}, {"value", brief_code}});
  return json{{"responseId", response_id},
              {"formId", config.google.form_id},
              {"timestamp", storage::FormatTime(clock_.Now())},
              {"respondentEmail", email},
              {"answers", answers},
              {"briefCode", brief_code}};
}

std::string SandboxWorld::BriefCodeSentTo(std::int64_t chat) const {
  const std::regex code_in_link(config.google.brief_code_entry + "=([0-9]+-[0-9]+-[0-9a-f]+)");
  const auto messages = telegram.Messages(chat);
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    std::smatch match;
    if (std::regex_search(it->raw_text, match, code_in_link)) return match[1];
  }
  return {};
}

std::string SandboxWorld::BindTokenOnTask(std::int64_t task) const {
  const std::regex token_in_link(R"(\?start=(b[0-9]+_[0-9a-f]+))");
  const auto comments = planfix.comments(task);
  for (auto it = comments.rbegin(); it != comments.rend(); ++it) {
    std::smatch match;
    if (std::regex_search(it->description, match, token_in_link)) return match[1];
  }
  return {};
}

}  // namespace planfix_flow::app
