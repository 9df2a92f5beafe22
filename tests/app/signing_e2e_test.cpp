// Signed links end to end (issue 11, item 3): brief codes, deep-link tokens and approval
// buttons through the real App and the sandbox fakes. Every editor of the brief form can read
// the Google webhook secret in the Apps Script's properties, so nothing minted with it may
// act: not a deep link (the client's chat would become the forger's), not a brief code (the
// forger would write into the client's contact), not an approval button.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/http/standard_webhooks.h"
#include "planfix_flow/workflow/approval.h"
#include "planfix_flow/workflow/brief.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
constexpr std::int64_t kClientChat = 5001;
constexpr std::int64_t kUnboundClient = 7007;
constexpr std::int64_t kForger = 6666;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class SignedLinks : public ::testing::Test {
 protected:
  void SetUpWorld(config::TelegramMode mode = config::TelegramMode::kWebhook,
                  bool file_database = false) {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->config.server.planfix_dedupe_window_seconds = 600;
    if (file_database) world_->config.storage.path = (dir_.path() / "flow.db").string();
    world_->config.telegram.mode = mode;
    // An installation in polling mode gives Telegram no secret_token, so it has none.
    if (mode == config::TelegramMode::kPolling)
      world_->config.secrets.telegram_webhook_secret.clear();
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    templates_ = loaded.set;
    StartApp();
  }

  void StartApp() {
    app_ = std::make_unique<App>(world_->config, templates_, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 23});
    app_->Start();
  }

  void Post(const json& body) {
    auto answer = world_->PostPlanfix(app_->port(), body);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }
  void PressSendBrief(std::int64_t task) {
    Post({{"event", "brief.send"}, {"task", std::to_string(task)}});
  }
  // The task really is in `status` in Planfix, and Planfix's automation posts the change.
  void MoveTask(std::int64_t task, std::int64_t status) {
    auto stored = world_->planfix.task(task);
    ASSERT_TRUE(stored);
    stored->status_id = status;
    world_->planfix.AddTask(*stored);  // replaces the task
    Post({{"event", "task.status_changed"},
          {"task", std::to_string(task)},
          {"status", std::to_string(status)}});
  }
  void Start(std::int64_t user, const std::string& token) {
    auto answer = world_->PostStart(app_->port(), user, token);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }
  void Submit(const std::string& response_id, const std::string& code, const std::string& email,
              const std::string& expectations) {
    auto answer = world_->PostSubmission(
        app_->port(), world_->Submit(response_id, code, email, expectations, ""), response_id);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }

  // What the bot sent to the chat (the user's own messages left out).
  std::vector<sandbox::FakeMessage> BotMessages(std::int64_t chat) const {
    std::vector<sandbox::FakeMessage> sent;
    for (auto& message : world_->telegram.Messages(chat)) {
      if (message.from_bot) sent.push_back(std::move(message));
    }
    return sent;
  }
  std::vector<std::string> Comments(std::int64_t task) const {
    std::vector<std::string> out;
    for (const auto& comment : world_->planfix.comments(task)) out.push_back(comment.description);
    return out;
  }
  json ContactField(std::int64_t contact, std::int64_t field) const {
    const auto stored = world_->planfix.contact(contact);
    if (!stored) return nullptr;
    const auto it = stored->custom_fields.find(field);
    return it == stored->custom_fields.end() ? json(nullptr) : it->second;
  }
  std::string FlowState(const std::string& key) {
    const auto flow = app_->database().GetFlow(key);
    return flow ? flow->state : std::string();
  }
  std::int64_t TaskStatus(std::int64_t task) const { return world_->planfix.task(task)->status_id; }
  const config::PlanfixStatuses& Statuses() const { return world_->config.planfix.statuses; }
  std::int64_t ChatField() const { return world_->config.planfix.contact_fields.telegram_chat_id; }
  std::int64_t ExpectationsField() const { return world_->config.brief.answers.at(0).field_id; }
  const std::string& GoogleSecret() const { return world_->config.secrets.google_webhook_secret; }

  // The approval request's buttons in `chat`: message id and the approve button's data.
  std::pair<std::int64_t, std::string> ApprovalButton(std::int64_t chat) const {
    const auto messages = world_->telegram.Messages(chat);
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if (!it->from_bot || it->reply_markup_json.empty()) continue;
      const json row = json::parse(it->reply_markup_json)["inline_keyboard"][0];
      return {it->message_id, row[0]["callback_data"].get<std::string>()};
    }
    return {0, ""};
  }
  // Telegram posts the callback query of a press (the fake opened `query_id`) to the webhook.
  void PostCallback(const std::string& query_id, std::int64_t chat, std::int64_t message_id,
                    const std::string& data) {
    const json update{{"update_id", next_update_id_++},
                      {"callback_query",
                       {{"id", query_id},
                        {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "Client"}}},
                        {"message",
                         {{"message_id", message_id},
                          {"date", core::ToUnixSeconds(clock_->Now())},
                          {"chat", {{"id", chat}, {"type", "private"}, {"first_name", "Client"}}},
                          {"text", "…"}}},
                        {"chat_instance", "1"},
                        {"data", data}}}};
    http::HttpRequest request;
    request.method = "POST";
    request.url = fmt::format("http://127.0.0.1:{}/webhooks/telegram", app_->port());
    request.headers["Content-Type"] = "application/json";
    request.headers["X-Telegram-Bot-Api-Secret-Token"] =
        world_->config.secrets.telegram_webhook_secret;
    request.body = update.dump();
    auto answer = world_->http().Send(request);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }
  std::optional<std::string> AnswerTo(const std::string& query_id) const {
    for (const auto& answer : world_->telegram.callback_answers()) {
      if (answer.callback_query_id == query_id) return answer.text;
    }
    return std::nullopt;
  }

  void ExpectNoFakeFailures() const {
    EXPECT_TRUE(world_->planfix.failures().empty()) << world_->planfix.failures().front();
    EXPECT_TRUE(world_->telegram.failures().empty()) << world_->telegram.failures().front();
    EXPECT_TRUE(world_->google.failures().empty()) << world_->google.failures().front();
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  std::unique_ptr<App> app_;
  std::int64_t next_update_id_ = 710000001;
};

// The forger reads the Google webhook secret from the Apps Script's properties, takes the
// task number from anywhere (it is in every Planfix link) and tries contact ids (they are
// small and sequential), then presses Start on their own deep link.
TEST_F(SignedLinks, ADeepLinkMintedWithTheGoogleSecretBindsNothingAndSendsNothing) {
  SetUpWorld();
  const auto client =
      world_->AddClient("Андрій", "andriy@example.com", "", std::nullopt, kUnboundClient);
  world_->telegram.AddUserWhoNeverStarted(kForger, "Editor");
  PressSendBrief(client.task);
  const std::string real = world_->BindTokenOnTask(client.task);
  ASSERT_FALSE(real.empty());

  for (std::int64_t contact = client.contact - 2; contact <= client.contact + 2; ++contact)
    Start(kForger, workflow::MakeBindToken(GoogleSecret(), client.task, contact));

  EXPECT_TRUE(BotMessages(kForger).empty()) << BotMessages(kForger)[0].text;
  EXPECT_EQ(ContactField(client.contact, ChatField()), nullptr);
  EXPECT_EQ(FlowState(workflow::BriefFlowKey(client.task)), "awaiting_bind");
  // Nor does the client's approval request go to the forger later.
  MoveTask(client.task, Statuses().awaiting_approval);
  EXPECT_TRUE(BotMessages(kForger).empty());
  EXPECT_EQ(FlowState(workflow::ApprovalFlowKey(client.task)), "unreachable");

  // The link the PM passed on still binds the client.
  Start(kUnboundClient, real);
  EXPECT_EQ(ContactField(client.contact, ChatField()), std::to_string(kUnboundClient));
  ASSERT_EQ(BotMessages(kUnboundClient).size(), 1u);
  EXPECT_TRUE(Contains(BotMessages(kUnboundClient)[0].text, "Андрій"));
  EXPECT_TRUE(BotMessages(kForger).empty());
  ExpectNoFakeFailures();
}

// The forger fills the form with a code of their own making (the pre-filled field is
// editable), hoping to overwrite the client's contact and be taken for the client.
TEST_F(SignedLinks, ABriefCodeMintedWithTheGoogleSecretWritesNothingIntoTheClientsContact) {
  SetUpWorld();
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kClientChat);
  PressSendBrief(client.task);
  ASSERT_EQ(BotMessages(kClientChat).size(), 1u);

  const std::string forged = workflow::MakeBriefCode(GoogleSecret(), client.task, client.contact);
  Submit("resp-forged", forged, "editor@example.com", "Підроблені очікування");

  EXPECT_EQ(ContactField(client.contact, ExpectationsField()), nullptr);
  EXPECT_EQ(FlowState("brief.response:resp-forged"), "unmatched");
  EXPECT_EQ(FlowState(workflow::BriefFlowKey(client.task)), "sent");
  EXPECT_EQ(TaskStatus(client.task), Statuses().brief_requested);
  EXPECT_EQ(BotMessages(kClientChat).size(), 1u);  // no "thank you" for the forger's answers
  const auto staff = BotMessages(world_->config.telegram.staff_chat_id);
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_TRUE(Contains(staff[0].text, "resp-forged")) << staff[0].text;

  // The code the client received still matches.
  Submit("resp-real", world_->BriefCodeSentTo(kClientChat), "", "Більше заявок");
  EXPECT_EQ(ContactField(client.contact, ExpectationsField()), "Більше заявок");
  EXPECT_EQ(FlowState(workflow::BriefFlowKey(client.task)), "filled");
  ExpectNoFakeFailures();
}

// In long-polling mode the approval key used to come from the Google webhook secret. A
// modified Telegram client can send any callback data under the bot's message (the Bot API
// warns that it need not match a button); the nonce is an event id, small and sequential.
TEST_F(SignedLinks, AnApprovalButtonMintedWithTheGoogleSecretDecidesNothing) {
  SetUpWorld(config::TelegramMode::kPolling);
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kClientChat);
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto [message_id, real] = ApprovalButton(kClientChat);
  ASSERT_GT(message_id, 0);
  const auto ref = workflow::VerifyApprovalCallbackData(
      http::HmacSha256(GoogleSecret(), "planfix-flow approval callback key v1"), real);
  const std::int64_t nonce = std::stoll(real.substr(real.find(':', 3) + 1));
  EXPECT_FALSE(ref) << "the real button verifies under a key from the Google secret";

  const std::string forged = workflow::MakeApprovalCallbackData(
      http::HmacSha256(GoogleSecret(), "planfix-flow approval callback key v1"), client.task, nonce,
      workflow::ApprovalChoice::kApprove);
  const std::string query =
      world_->telegram.SimulateModifiedClientPress(kClientChat, message_id, forged);
  app_->RunUntilIdle();

  EXPECT_EQ(AnswerTo(query), "Ця кнопка вже неактуальна.");
  EXPECT_EQ(TaskStatus(client.task), Statuses().awaiting_approval);
  EXPECT_EQ(Comments(client.task).size(), 1u);
  EXPECT_EQ(world_->telegram.FindMessage(kClientChat, message_id)->edit_count, 0);
  EXPECT_EQ(FlowState(workflow::ApprovalFlowKey(client.task)), "waiting");

  // The real button still decides.
  world_->telegram.SimulateUserPress(kClientChat, message_id, real);
  app_->RunUntilIdle();
  EXPECT_EQ(TaskStatus(client.task), Statuses().approved);
  ExpectNoFakeFailures();
}

// A routine rotation: the new key signs from the restart on, the old one goes to
// PLANFIX_FLOW_SIGNING_KEY_PREVIOUS. What was sent before keeps working for
// signing.previous_key_grace_days (30 here) from the first start with the new key, a moment
// the database keeps across restarts; after that it is refused like a forgery.
TEST_F(SignedLinks, LinksSentBeforeARotationWorkDuringTheGracePeriodAndStopAfterIt) {
  SetUpWorld(config::TelegramMode::kWebhook, /*file_database=*/true);
  ASSERT_EQ(world_->config.signing.previous_key_grace_days, 30);
  const std::string old_key = world_->config.secrets.signing_key;
  const std::string new_key = "rotation-test-new-signing-key-0123456789abcdef";
  // Two clients of each kind, all served under the old key: one uses the link within the
  // grace period, the other after it.
  const auto coded_early = world_->AddClient("Олена", "", "", 5101);
  const auto coded_late = world_->AddClient("Петро", "", "", 5102);
  const auto linked_early = world_->AddClient("Андрій", "", "", std::nullopt, 7101);
  const auto linked_late = world_->AddClient("Ірина", "", "", std::nullopt, 7102);
  const auto asked_early = world_->AddClient("Марта", "", "", 5201);
  const auto asked_late = world_->AddClient("Тарас", "", "", 5202);
  for (const auto& client : {coded_early, coded_late, linked_early, linked_late})
    PressSendBrief(client.task);
  MoveTask(asked_early.task, Statuses().awaiting_approval);
  MoveTask(asked_late.task, Statuses().awaiting_approval);
  const std::string code_early = world_->BriefCodeSentTo(5101);
  const std::string code_late = world_->BriefCodeSentTo(5102);
  const std::string token_early = world_->BindTokenOnTask(linked_early.task);
  const std::string token_late = world_->BindTokenOnTask(linked_late.task);
  const auto button_early = ApprovalButton(5201);
  const auto button_late = ApprovalButton(5202);
  ASSERT_FALSE(code_early.empty() || code_late.empty() || token_early.empty() ||
               token_late.empty() || button_early.second.empty() || button_late.second.empty());

  // The rotation, one hour later.
  clock_->Advance(hours(1));
  app_->Stop();
  world_->config.secrets.signing_key = new_key;
  world_->config.secrets.signing_key_previous = old_key;
  StartApp();
  const core::TimePoint rotated = clock_->Now();
  const workflow::SigningKeys only_new(new_key);

  // A day later every old link still works.
  clock_->Advance(hours(24));
  app_->RunUntilIdle();
  Submit("resp-early", code_early, "", "Більше заявок");
  EXPECT_EQ(ContactField(coded_early.contact, ExpectationsField()), "Більше заявок");
  EXPECT_EQ(FlowState(workflow::BriefFlowKey(coded_early.task)), "filled");
  Start(7101, token_early);
  EXPECT_EQ(ContactField(linked_early.contact, ChatField()), "7101");
  ASSERT_EQ(BotMessages(7101).size(), 1u);
  // The brief that waited for the Start goes out under the new key.
  EXPECT_TRUE(workflow::VerifyBriefCode(only_new, clock_->Now(), world_->BriefCodeSentTo(7101)));
  auto press = world_->PostPress(app_->port(), 5201, button_early.first, button_early.second);
  ASSERT_TRUE(press);
  ASSERT_EQ(press->status, 200) << press->body;
  app_->RunUntilIdle();
  EXPECT_EQ(TaskStatus(asked_early.task), Statuses().approved);

  // A restart on day 21 does not move the start of the grace period.
  clock_->Advance(hours(24 * 20));
  app_->RunUntilIdle();
  app_->Stop();
  StartApp();
  app_->RunUntilIdle();
  // The reminder went out meanwhile with a fresh link under the new key.
  const std::string reminded = world_->BriefCodeSentTo(5102);
  EXPECT_NE(reminded, code_late);
  EXPECT_TRUE(workflow::VerifyBriefCode(only_new, clock_->Now(), reminded));

  // Day 30 after the rotation, plus a minute: the old key is retired.
  clock_->Advance(rotated + hours(24 * 30) + minutes(1) - clock_->Now());
  app_->RunUntilIdle();
  Submit("resp-late", code_late, "", "Впізнаваність");
  EXPECT_EQ(ContactField(coded_late.contact, ExpectationsField()), nullptr);
  EXPECT_EQ(FlowState("brief.response:resp-late"), "unmatched");
  Start(7102, token_late);
  EXPECT_EQ(ContactField(linked_late.contact, ChatField()), nullptr);
  EXPECT_TRUE(BotMessages(7102).empty());
  EXPECT_EQ(FlowState(workflow::BriefFlowKey(linked_late.task)), "awaiting_bind");
  const std::string query =
      world_->telegram.SimulateUserPress(5202, button_late.first, button_late.second);
  PostCallback(query, 5202, button_late.first, button_late.second);
  EXPECT_EQ(AnswerTo(query), "Ця кнопка вже неактуальна.");
  EXPECT_EQ(TaskStatus(asked_late.task), Statuses().awaiting_approval);
  EXPECT_EQ(FlowState(workflow::ApprovalFlowKey(asked_late.task)), "waiting");

  // The reminder's link, under the new key, still matches.
  Submit("resp-late-2", reminded, "", "Впізнаваність");
  EXPECT_EQ(ContactField(coded_late.contact, ExpectationsField()), "Впізнаваність");
  // A new press of the PM's button gives the unbound client a link that binds.
  PressSendBrief(linked_late.task);
  const std::string fresh = world_->BindTokenOnTask(linked_late.task);
  EXPECT_NE(fresh, token_late);
  Start(7102, fresh);
  EXPECT_EQ(ContactField(linked_late.contact, ChatField()), "7102");
  ExpectNoFakeFailures();
}

}  // namespace
}  // namespace planfix_flow::app
