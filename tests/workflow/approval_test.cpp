// The approval flow's pure rules, as data: signed callback data, the request, presses (the
// accepted ones and every kind that must change nothing) and the client's list of changes.
#include "planfix_flow/workflow/approval.h"

#include "planfix_flow/engine/plan.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/telegram/telegram_client.h"

#include <gtest/gtest.h>

#include <atomic>

#include <nlohmann/json.hpp>
#include <regex>

namespace planfix_flow::workflow {
namespace {

using nlohmann::json;

constexpr std::int64_t kTask = 42;
constexpr std::int64_t kContact = 7;
constexpr std::int64_t kChat = 5001;
constexpr std::int64_t kNonce = 31;
constexpr char kSigningKey[] = "approval-test-signing-key-0123456789abcdef";

class ApprovalRules : public ::testing::Test {
 protected:
  ApprovalRules()
      : config_(config::DefaultSandboxConfig()),
        calendar_(*calendar::WorkCalendar::Create(config_.calendar)),
        signing_(kSigningKey) {
    std::vector<config::Problem> problems;
    templates_ = config::LoadTemplates(config_, problems).set;
    context_ = RuleContext{&config_, templates_.get(), &calendar_, &signing_};
  }

  void SetUp() override { ASSERT_TRUE(templates_); }

  const std::string& Key() const { return signing_.Signing(SigningPurpose::kApproval); }

  static engine::StoredEvent Event(std::string kind, json payload, std::int64_t id) {
    engine::StoredEvent event;
    event.id = id;
    event.kind = std::move(kind);
    event.payload = payload.dump();
    return event;
  }

  static std::vector<std::string> Kinds(const engine::Plan& plan) {
    std::vector<std::string> kinds;
    for (const auto& effect : plan.effects) kinds.push_back(effect.kind);
    return kinds;
  }

  static const engine::Effect* FindEffect(const engine::Plan& plan, std::string_view kind) {
    for (const auto& effect : plan.effects) {
      if (effect.kind == kind) return &effect;
    }
    return nullptr;
  }

  storage::Flow WaitingFlow(std::string state = "waiting", std::string language = {}) const {
    ApprovalState approval;
    approval.language = std::move(language);
    approval.task = kTask;
    approval.task_name = "Landing";
    approval.contact = kContact;
    approval.client_name = "Олена";
    approval.chat = kChat;
    approval.nonce = kNonce;
    storage::Flow flow;
    flow.key = ApprovalFlowKey(kTask);
    flow.kind = "approval";
    flow.task = kTask;
    flow.state = std::move(state);
    flow.data = ToJson(approval);
    return flow;
  }

  static telegram::CallbackQuery Press(std::string data, std::int64_t chat = kChat) {
    telegram::CallbackQuery query;
    query.id = "cbq-1";
    query.from.id = chat;
    query.from.first_name = "Олена";
    query.from.username = "olena";
    query.data = std::move(data);
    telegram::Message message;
    message.message_id = 77;
    message.chat.id = chat;
    query.message = message;
    return query;
  }

  engine::Plan Decide(const telegram::CallbackQuery& query,
                      const std::optional<storage::Flow>& flow,
                      std::optional<std::int64_t> status) {
    auto plan = DecideApprovalPress(Event("telegram.update", json::object(), 50), query, flow,
                                    status, context_);
    EXPECT_TRUE(plan) << plan.error().ToString();
    return plan ? *plan : engine::Plan{};
  }

  // A refused press: one neutral answer to stop the spinner, nothing else.
  void ExpectRefused(const engine::Plan& plan, std::string_view reason_part) {
    EXPECT_EQ(Kinds(plan), std::vector<std::string>{plan::kEffectTelegramAnswerCallback});
    EXPECT_TRUE(plan.flows.empty());
    EXPECT_TRUE(plan.timers.empty());
    EXPECT_NE(plan.summary.find("refused"), std::string::npos) << plan.summary;
    EXPECT_NE(plan.summary.find(reason_part), std::string::npos) << plan.summary;
    if (!plan.effects.empty()) {
      const json answer = json::parse(plan.effects[0].payload);
      EXPECT_EQ(answer["callback_query_id"], "cbq-1");
      EXPECT_EQ(answer["text"], "Ця кнопка вже неактуальна.");
    }
  }

  std::int64_t Awaiting() const { return config_.planfix.statuses.awaiting_approval; }

  config::Config config_;
  calendar::WorkCalendar calendar_;
  SigningKeys signing_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  RuleContext context_;
};

TEST_F(ApprovalRules, CallbackDataRoundTripsWithinTelegramsLimit) {
  for (const auto choice : {ApprovalChoice::kApprove, ApprovalChoice::kRework}) {
    const std::string data = MakeApprovalCallbackData(Key(), kTask, kNonce, choice);
    EXPECT_TRUE(std::regex_match(data, std::regex(R"(ap:42:31:[ar]:[0-9a-f]{16})"))) << data;
    const auto ref = VerifyApprovalCallbackData(Key(), data);
    ASSERT_TRUE(ref);
    EXPECT_EQ(ref->task, kTask);
    EXPECT_EQ(ref->nonce, kNonce);
    EXPECT_EQ(ref->choice, choice);
  }
  // The largest ids (18 digits each) still fit in 64 bytes.
  const std::int64_t big = 999'999'999'999'999'999;
  const std::string longest = MakeApprovalCallbackData(Key(), big, big, ApprovalChoice::kRework);
  EXPECT_LE(longest.size(), telegram::kMaxCallbackDataBytes);
  EXPECT_TRUE(VerifyApprovalCallbackData(Key(), longest));
}

TEST_F(ApprovalRules, CallbackDataRejectsTamperingOtherKeysAndJunk) {
  const std::string data = MakeApprovalCallbackData(Key(), kTask, kNonce, ApprovalChoice::kRework);
  // Flipping the choice, the task or the nonce keeps the MAC of the original: refused.
  std::string flipped = data;
  flipped[flipped.find(":r:") + 1] = 'a';
  EXPECT_FALSE(VerifyApprovalCallbackData(Key(), flipped));
  std::string other_task = data;
  other_task.replace(3, 2, "43");
  EXPECT_FALSE(VerifyApprovalCallbackData(Key(), other_task));
  std::string other_nonce = data;
  other_nonce.replace(6, 2, "32");
  EXPECT_FALSE(VerifyApprovalCallbackData(Key(), other_nonce));
  std::string bad_mac = data;
  bad_mac.back() = bad_mac.back() == '0' ? '1' : '0';
  EXPECT_FALSE(VerifyApprovalCallbackData(Key(), bad_mac));
  // Another signing key (another installation) does not verify, nor do the keys of the
  // other purposes; the same key after a restart does.
  const SigningKeys other("approval-test-other-signing-key-0123456789");
  EXPECT_FALSE(VerifyApprovalCallbackData(other.Signing(SigningPurpose::kApproval), data));
  EXPECT_FALSE(VerifyApprovalCallbackData(signing_.Signing(SigningPurpose::kBriefCode), data));
  EXPECT_FALSE(VerifyApprovalCallbackData(signing_.Signing(SigningPurpose::kDeepLink), data));
  const SigningKeys restarted(kSigningKey);
  EXPECT_TRUE(VerifyApprovalCallbackData(restarted.Signing(SigningPurpose::kApproval), data));
  for (const std::string& junk :
       {std::string(), std::string("42"), std::string("ap:"), std::string("ap:42:31:a"),
        std::string("ap:42:31:x:0123456789abcdef"), std::string("ap:-42:31:a:0123456789abcdef"),
        std::string("ap:0:31:a:0123456789abcdef"), std::string("ap:42:31:a:0123456789abcdef:"),
        data + "0", std::string(65, 'a'), "ap:42:31:a:" + std::string(53, '0')}) {
    EXPECT_FALSE(VerifyApprovalCallbackData(Key(), junk)) << junk;
  }
}

// Found by fuzz_approval_callback: "ap:042:..." verified as the button of task 42, so one
// button had many spellings. Only the data the service made verifies.
TEST_F(ApprovalRules, CallbackDataWithLeadingZerosIsRefused) {
  const std::string data = MakeApprovalCallbackData(Key(), kTask, kNonce, ApprovalChoice::kApprove);
  ASSERT_TRUE(VerifyApprovalCallbackData(Key(), data));
  std::string zero_task = data;
  zero_task.insert(3, "0");
  EXPECT_FALSE(VerifyApprovalCallbackData(Key(), zero_task)) << zero_task;
  std::string zero_nonce = data;
  zero_nonce.insert(data.find(':', 3) + 1, "00");
  EXPECT_FALSE(VerifyApprovalCallbackData(Key(), zero_nonce)) << zero_nonce;
}

TEST_F(ApprovalRules, RequestSendsSignedButtonsCommentsAndWaits) {
  TaskFacts task{kTask, "Landing", kContact, Awaiting()};
  ContactFacts contact;
  contact.id = kContact;
  contact.name = "Олена";
  contact.telegram_chat_id = kChat;
  auto plan = DecideApprovalRequest(
      Event(kEventTaskStatusChanged, {{"task", "42"}, {"status", "106"}}, kNonce), task, contact,
      context_);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(Kinds(*plan),
            (std::vector<std::string>{plan::kEffectTelegramSend, plan::kEffectPlanfixComment}));
  const json message = json::parse(plan->effects[0].payload);
  EXPECT_EQ(message["chat_id"], kChat);
  EXPECT_NE(message["text"].get<std::string>().find("Landing"), std::string::npos);
  EXPECT_EQ(message["report"]["task"], kTask);
  const json& row = message["reply_markup"]["inline_keyboard"][0];
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row[0]["text"], "Погоджую");
  EXPECT_EQ(row[1]["text"], "Потрібні правки");
  const auto approve =
      VerifyApprovalCallbackData(Key(), row[0]["callback_data"].get<std::string>());
  const auto rework = VerifyApprovalCallbackData(Key(), row[1]["callback_data"].get<std::string>());
  ASSERT_TRUE(approve && rework);
  EXPECT_EQ(approve->choice, ApprovalChoice::kApprove);
  EXPECT_EQ(rework->choice, ApprovalChoice::kRework);
  EXPECT_EQ(approve->nonce, kNonce);
  ASSERT_EQ(plan->flows.size(), 1u);
  EXPECT_EQ(plan->flows[0].key, "approval:task:42");
  EXPECT_EQ(plan->flows[0].state, "waiting");
  const auto state = ParseApprovalState(plan->flows[0].data);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->chat, kChat);
  EXPECT_EQ(state->nonce, kNonce);
  EXPECT_EQ(state->client_name, "Олена");
}

TEST_F(ApprovalRules, RequestWithoutAChatCommentsAndTellsTheStaff) {
  TaskFacts task{kTask, "Landing", kContact, Awaiting()};
  ContactFacts contact;
  contact.id = kContact;
  contact.name = "Олена";
  auto plan = DecideApprovalRequest(Event(kEventTaskStatusChanged, json::object(), kNonce), task,
                                    contact, context_);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(Kinds(*plan),
            (std::vector<std::string>{plan::kEffectPlanfixComment, plan::kEffectTelegramSend}));
  EXPECT_NE(plan->effects[0].payload.find("Telegram"), std::string::npos);
  EXPECT_EQ(json::parse(plan->effects[1].payload)["chat_id"], config_.telegram.staff_chat_id);
  ASSERT_EQ(plan->flows.size(), 1u);
  EXPECT_EQ(plan->flows[0].state, "unreachable");

  // No client at all: the same, saying so.
  auto no_client = DecideApprovalRequest(Event(kEventTaskStatusChanged, json::object(), kNonce),
                                         TaskFacts{kTask, "Landing", std::nullopt, Awaiting()},
                                         std::nullopt, context_);
  ASSERT_TRUE(no_client);
  EXPECT_NE(json::parse(no_client->effects[0].payload)["description"].get<std::string>().find(
                "не вказано клієнта"),
            std::string::npos);
}

TEST_F(ApprovalRules, ClientApprovalAnswersEditsMovesTheTaskAndComments) {
  const auto plan =
      Decide(Press(MakeApprovalCallbackData(Key(), kTask, kNonce, ApprovalChoice::kApprove)),
             WaitingFlow(), Awaiting());
  EXPECT_EQ(Kinds(plan), (std::vector<std::string>{
                             plan::kEffectTelegramAnswerCallback, plan::kEffectTelegramEdit,
                             plan::kEffectPlanfixUpdateTask, plan::kEffectPlanfixComment}));
  const json edit = json::parse(FindEffect(plan, plan::kEffectTelegramEdit)->payload);
  EXPECT_EQ(edit["chat_id"], kChat);
  EXPECT_EQ(edit["message_id"], 77);
  EXPECT_NE(edit["text"].get<std::string>().find("погоджено"), std::string::npos) << edit;
  EXPECT_NE(edit["text"].get<std::string>().find("Олена (@olena)"), std::string::npos) << edit;
  EXPECT_EQ(json::parse(FindEffect(plan, plan::kEffectPlanfixUpdateTask)->payload)["status"],
            config_.planfix.statuses.approved);
  EXPECT_NE(FindEffect(plan, plan::kEffectPlanfixComment)->payload.find("Олена (@olena)"),
            std::string::npos);
  ASSERT_EQ(plan.flows.size(), 1u);
  EXPECT_EQ(plan.flows[0].state, "approved");
}

TEST_F(ApprovalRules, TheClientsLanguageIsKeptWithTheRequestAndTheStaffChatReadsTheDefault) {
  ContactFacts contact;
  contact.id = kContact;
  contact.name = "Emma";
  contact.telegram_chat_id = kChat;
  contact.language = "En";
  auto request = DecideApprovalRequest(
      Event(kEventTaskStatusChanged, {{"task", "42"}, {"status", "106"}}, kNonce),
      TaskFacts{kTask, "Landing", kContact, Awaiting()}, contact, context_);
  ASSERT_TRUE(request) << request.error().ToString();
  const json message = json::parse(request->effects[0].payload);
  EXPECT_NE(message["text"].get<std::string>().find("Please review the result"), std::string::npos);
  EXPECT_EQ(message["reply_markup"]["inline_keyboard"][0][0]["text"], "Approve");
  EXPECT_EQ(ParseApprovalState(request->flows[0].data)->language, "en");
  // The task comment is the staff's.
  EXPECT_NE(
      json::parse(request->effects[1].payload)["description"].get<std::string>().find("погодження"),
      std::string::npos);

  const std::string approve =
      MakeApprovalCallbackData(Key(), kTask, kNonce, ApprovalChoice::kApprove);
  const auto by_client = Decide(Press(approve), WaitingFlow("waiting", "en"), Awaiting());
  EXPECT_EQ(
      json::parse(FindEffect(by_client, plan::kEffectTelegramAnswerCallback)->payload)["text"],
      "Thank you, the result is approved.");
  EXPECT_NE(json::parse(FindEffect(by_client, plan::kEffectTelegramEdit)->payload)["text"]
                .get<std::string>()
                .find("Approved by"),
            std::string::npos);
  // A stale press from the client's chat is refused in English too.
  const auto stale = Decide(Press(approve), WaitingFlow("approved", "en"), Awaiting());
  EXPECT_EQ(json::parse(stale.effects.at(0).payload)["text"], "This button is no longer active.");
  // In the staff chat the decision reads in the default language.
  const auto by_staff = Decide(Press(approve, config_.telegram.staff_chat_id),
                               WaitingFlow("waiting", "en"), Awaiting());
  EXPECT_EQ(json::parse(FindEffect(by_staff, plan::kEffectTelegramAnswerCallback)->payload)["text"],
            "Дякуємо, результат погоджено.");
}

TEST_F(ApprovalRules, ClientReworkWaitsForTheNextMessageInThatChat) {
  const auto plan =
      Decide(Press(MakeApprovalCallbackData(Key(), kTask, kNonce, ApprovalChoice::kRework)),
             WaitingFlow(), Awaiting());
  EXPECT_EQ(json::parse(FindEffect(plan, plan::kEffectPlanfixUpdateTask)->payload)["status"],
            config_.planfix.statuses.rework);
  const json edit = json::parse(FindEffect(plan, plan::kEffectTelegramEdit)->payload);
  EXPECT_NE(edit["text"].get<std::string>().find("що саме змінити"), std::string::npos) << edit;
  ASSERT_EQ(plan.flows.size(), 2u);
  EXPECT_EQ(plan.flows[0].state, "rework");
  EXPECT_EQ(plan.flows[1].key, "rework.wait:chat:5001");
  EXPECT_EQ(plan.flows[1].state, "waiting");

  // The next message becomes a comment, the client is thanked, and the wait closes.
  storage::Flow wait;
  wait.key = plan.flows[1].key;
  wait.kind = plan.flows[1].kind;
  wait.task = kTask;
  wait.state = "waiting";
  wait.data = plan.flows[1].data;
  storage::Flow approval = WaitingFlow("rework");
  telegram::Message message;
  message.chat.id = kChat;
  message.text = "Змініть, будь ласка, колір кнопки <на синій>";
  auto captured = DecideReworkMessage(Event("telegram.update", json::object(), 60), message, wait,
                                      approval, context_);
  ASSERT_TRUE(captured) << captured.error().ToString();
  EXPECT_EQ(Kinds(*captured),
            (std::vector<std::string>{plan::kEffectPlanfixComment, plan::kEffectTelegramSend}));
  EXPECT_NE(json::parse(captured->effects[0].payload)["description"].get<std::string>().find(
                "колір кнопки &lt;на синій&gt;"),
            std::string::npos);
  ASSERT_EQ(captured->flows.size(), 1u);
  EXPECT_EQ(captured->flows[0].state, "captured");

  // A wait whose request was replaced by a newer one expires without a comment.
  ApprovalState newer = *ParseApprovalState(approval.data);
  newer.nonce = kNonce + 10;
  approval.data = ToJson(newer);
  auto expired = DecideReworkMessage(Event("telegram.update", json::object(), 61), message, wait,
                                     approval, context_);
  ASSERT_TRUE(expired);
  EXPECT_TRUE(expired->effects.empty());
  ASSERT_EQ(expired->flows.size(), 1u);
  EXPECT_EQ(expired->flows[0].state, "expired");
}

TEST_F(ApprovalRules, StaffChatMayDecideButDoesNotWaitForTheClientsMessage) {
  const auto plan =
      Decide(Press(MakeApprovalCallbackData(Key(), kTask, kNonce, ApprovalChoice::kRework),
                   config_.telegram.staff_chat_id),
             WaitingFlow(), Awaiting());
  EXPECT_EQ(plan.effects.size(), 4u);
  ASSERT_EQ(plan.flows.size(), 1u);
  EXPECT_EQ(plan.flows[0].state, "rework");
}

TEST_F(ApprovalRules, AStaffGroupThatBecameASupergroupMayStillDecide) {
  constexpr std::int64_t kSupergroup = -1001009998877;
  std::atomic<std::int64_t> staff{kSupergroup};
  context_.staff_chat = &staff;
  const std::string rework =
      MakeApprovalCallbackData(Key(), kTask, kNonce, ApprovalChoice::kRework);
  const auto plan = Decide(Press(rework, kSupergroup), WaitingFlow(), Awaiting());
  ASSERT_EQ(plan.flows.size(), 1u) << plan.summary;
  EXPECT_EQ(plan.flows[0].state, "rework");
  // And the staff messages the rules plan go there.
  auto no_chat = DecideApprovalRequest(Event(kEventTaskStatusChanged, json::object(), kNonce),
                                       TaskFacts{kTask, "Landing", std::nullopt, Awaiting()},
                                       std::nullopt, context_);
  ASSERT_TRUE(no_chat);
  EXPECT_EQ(json::parse(no_chat->effects[1].payload)["chat_id"], kSupergroup);
}

TEST_F(ApprovalRules, SecondPressStaleForgedAndForeignPressesChangeNothing) {
  const std::string approve =
      MakeApprovalCallbackData(Key(), kTask, kNonce, ApprovalChoice::kApprove);
  ExpectRefused(Decide(Press(approve), WaitingFlow("approved"), Awaiting()), "no longer waiting");
  ExpectRefused(Decide(Press(approve), WaitingFlow("rework"), Awaiting()), "no longer waiting");
  // A button of an earlier request of the same task.
  ExpectRefused(
      Decide(Press(MakeApprovalCallbackData(Key(), kTask, kNonce - 1, ApprovalChoice::kApprove)),
             WaitingFlow(), Awaiting()),
      "stale");
  // The task moved on in Planfix, or was deleted.
  ExpectRefused(Decide(Press(approve), WaitingFlow(), /*a status past approval*/ 109), "moved on");
  ExpectRefused(Decide(Press(approve), WaitingFlow(), std::nullopt), "moved on");
  // No request stored for the task.
  ExpectRefused(Decide(Press(approve), std::nullopt, Awaiting()), "no approval request");
  // Forged or malformed data.
  std::string forged = approve;
  forged.back() = forged.back() == '0' ? '1' : '0';
  ExpectRefused(Decide(Press(forged), WaitingFlow(), Awaiting()), "forged");
  ExpectRefused(Decide(Press("42"), WaitingFlow(), Awaiting()), "forged");
  ExpectRefused(Decide(Press(std::string(200, 'x')), WaitingFlow(), Awaiting()), "forged");
  // Valid data pressed in a chat that is neither the client's nor the staff's.
  ExpectRefused(Decide(Press(approve, 6002), WaitingFlow(), Awaiting()), "may not decide");
  // An inline-mode press without its message.
  auto no_message = Press(approve);
  no_message.message.reset();
  ExpectRefused(Decide(no_message, WaitingFlow(), Awaiting()), "no message");
}

}  // namespace
}  // namespace planfix_flow::workflow
