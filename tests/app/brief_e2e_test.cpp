// The brief flow end to end: the real App (HTTP ingress, SQLite, engine, workflow, clients)
// against the sandbox fakes on a simulated clock. Each test plays the outside world through
// SandboxWorld: a PM's button, the client's Telegram, the Apps Script and Google Forms.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/workflow/brief.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
// Friday 2026-11-27 12:00 in Kyiv (10:00 UTC).
const core::TimePoint kFriday12 = core::FromUnixSeconds(1'795'773'600);

class BriefFlow : public ::testing::Test {
 protected:
  // `prepare` changes the world (its config, the fakes) before the service starts.
  void SetUpWorld(core::TimePoint start, bool file_database = false, bool polling = false,
                  const std::function<void(SandboxWorld&)>& prepare = nullptr) {
    clock_ = std::make_unique<core::FakeClock>(start);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    if (prepare) prepare(*world_);
    auto& config = world_->config;
    if (polling) config.telegram.mode = config::TelegramMode::kPolling;
    config.server.planfix_dedupe_window_seconds = 600;
    if (file_database) {
      config.storage.path = (dir_.path() / "flow.db").string();
      config.storage.synchronous = config::SqliteSynchronous::kFull;
    }
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    templates_ = loaded.set;
    StartApp();
  }

  void StartApp() {
    app_ = std::make_unique<App>(world_->config, templates_, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 11});
    app_->Start();
  }

  void PressSendBrief(std::int64_t task) {
    auto answer = world_->PostPlanfix(app_->port(),
                                      {{"event", "brief.send"}, {"task", std::to_string(task)}});
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }

  void PostSubmission(const json& submission, const std::string& webhook_id) {
    auto answer = world_->PostSubmission(app_->port(), submission, webhook_id);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }

  // What the bot sent to the chat (the client's own messages left out).
  std::vector<sandbox::FakeMessage> Messages(std::int64_t chat) const {
    std::vector<sandbox::FakeMessage> sent;
    for (auto& message : world_->telegram.Messages(chat)) {
      if (message.from_bot) sent.push_back(std::move(message));
    }
    return sent;
  }
  std::vector<sandbox::FakeMessage> StaffMessages() const {
    return world_->telegram.Messages(world_->config.telegram.staff_chat_id);
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
  std::optional<storage::Timer> ReminderTimer(std::int64_t task) {
    return app_->database().GetTimer(fmt::format("brief.reminder:task:{}", task));
  }
  workflow::SigningKeys SigningKeys() const {
    return workflow::SigningKeys(world_->config.secrets.signing_key);
  }
  std::int64_t Field(std::size_t answer) const {
    return world_->config.brief.answers.at(answer).field_id;
  }

  void SetContactField(std::int64_t contact, std::int64_t field, const json& value) {
    auto stored = world_->planfix.contact(contact);
    ASSERT_TRUE(stored);
    stored->custom_fields[field] = value;
    world_->planfix.AddContact(*stored);  // replaces the contact
  }
  // The brief's submission with `extra` answers ({title, value}) besides the sandbox's own.
  void Fill(std::int64_t chat, const std::string& response_id,
            const std::vector<std::pair<std::string, json>>& extra) {
    json submission =
        world_->Submit(response_id, world_->BriefCodeSentTo(chat), "", "Продажі", "Google Ads");
    for (const auto& [title, value] : extra) {
      submission["answers"].push_back({{"title", title}, {"value", value}});
    }
    PostSubmission(submission, response_id);
  }
  std::vector<storage::Job> DeadJobs() const {
    storage::JobFilter dead;
    dead.state = storage::JobState::kDead;
    return app_->database().ListJobs(dead);
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  std::unique_ptr<App> app_;
};

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST_F(BriefFlow, ButtonSendsTheBriefOnceCommentsAndSetsTheDeadlineTwoWorkingDaysLater) {
  SetUpWorld(kMonday10);
  const auto client = world_->AddClient("Олена", "olena@example.com", "+380501112233", 5001);
  PressSendBrief(client.task);

  const auto sent = Messages(5001);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(Contains(sent[0].text, "Добрий день, Олена!")) << sent[0].text;
  EXPECT_TRUE(Contains(sent[0].text, "25.11.2026 10:00")) << sent[0].text;  // Wednesday
  const std::string code = world_->BriefCodeSentTo(5001);
  const auto ref = workflow::VerifyBriefCode(SigningKeys(), clock_->Now(), code);
  ASSERT_TRUE(ref) << code;
  EXPECT_EQ(ref->task, client.task);
  EXPECT_EQ(ref->contact, client.contact);

  const auto comments = Comments(client.task);
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_TRUE(Contains(comments[0], "Олена")) << comments[0];
  EXPECT_TRUE(Contains(comments[0], "25.11.2026 10:00")) << comments[0];
  EXPECT_EQ(world_->planfix.task(client.task)->status_id,
            world_->config.planfix.statuses.brief_requested);
  const auto timer = ReminderTimer(client.task);
  ASSERT_TRUE(timer);
  EXPECT_EQ(timer->due_at, kMonday10 + hours(48));

  // Planfix repeats the same press (a lost 200): nothing goes out twice.
  clock_->Advance(minutes(2));
  PressSendBrief(client.task);
  EXPECT_EQ(Messages(5001).size(), 1u);
  EXPECT_EQ(Comments(client.task).size(), 1u);

  // A deliberate press the next day sends again and restarts the deadline.
  clock_->Advance(hours(24));
  PressSendBrief(client.task);
  EXPECT_EQ(Messages(5001).size(), 2u);
  EXPECT_EQ(Comments(client.task).size(), 2u);
  EXPECT_EQ(ReminderTimer(client.task)->due_at, kMonday10 + hours(24) + minutes(2) + hours(48));
}

// The config's google.brief_code_question is the one place naming the code's question: a
// form whose question carries another title in the Apps Script's list (briefCode empty) is
// still matched by its code, not by e-mail.
TEST_F(BriefFlow, TheConfiguredCodeQuestionMatchesEvenWhenTheScriptDidNotRecogniseIt) {
  SetUpWorld(kMonday10);
  const auto client = world_->AddClient("Олена", "olena@example.com", "+380501112233", 5001);
  PressSendBrief(client.task);
  const std::string code = world_->BriefCodeSentTo(5001);
  json submission = world_->Submit("resp-7", code, "someone-else@example.com",
                                   "Більше заявок з сайту", "Google Ads");
  submission["briefCode"] = "";
  for (auto& answer : submission["answers"]) {
    if (answer["title"] == kSandboxBriefCode)
      answer["title"] = std::string(" Код брифу / Brief code");
  }
  PostSubmission(submission, "resp-7");
  EXPECT_EQ(ContactField(client.contact, Field(0)), "Більше заявок з сайту");
  const auto comments = Comments(client.task);
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_FALSE(Contains(comments[1], code)) << "the code is no answer to copy: " << comments[1];
}

TEST_F(BriefFlow, FilledBriefLandsInTheContactTellsEveryoneAndCancelsTheReminder) {
  SetUpWorld(kMonday10);
  const auto client = world_->AddClient("Олена", "olena@example.com", "+380501112233", 5001);
  PressSendBrief(client.task);
  const std::string code = world_->BriefCodeSentTo(5001);

  clock_->Advance(hours(3));
  const json submission =
      world_->Submit("resp-1", code, "", "Більше заявок з сайту", "Google Ads, Meta Ads");
  PostSubmission(submission, "resp-1");

  EXPECT_EQ(ContactField(client.contact, Field(0)), "Більше заявок з сайту");
  EXPECT_EQ(ContactField(client.contact, Field(2)), json::array({"Google Ads", "Meta Ads"}));
  const auto staff = StaffMessages();
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_TRUE(Contains(staff[0].text, "Бриф заповнено")) << staff[0].text;
  EXPECT_TRUE(Contains(staff[0].text, "Більше заявок з сайту")) << staff[0].text;
  const auto client_messages = Messages(5001);
  ASSERT_EQ(client_messages.size(), 2u);
  EXPECT_TRUE(Contains(client_messages[1].text, "Ми отримали заповнений бриф"))
      << client_messages[1].text;
  const auto comments = Comments(client.task);
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_TRUE(Contains(comments[1], "заповнив бриф")) << comments[1];
  // The comment is HTML: one answer a line with <br>, as the rest of it; a bare newline
  // would run the answers together in Planfix.
  EXPECT_TRUE(Contains(comments[1], "Google Ads, Meta Ads<br>Що ви очікуєте")) << comments[1];
  EXPECT_FALSE(Contains(comments[1], "\n")) << comments[1];
  EXPECT_EQ(world_->planfix.task(client.task)->status_id,
            world_->config.planfix.statuses.brief_filled);
  EXPECT_EQ(ReminderTimer(client.task)->state, storage::TimerState::kCancelled);

  // The Apps Script retries with another id, and reconciliation later finds the same
  // response in Google: neither changes anything.
  PostSubmission(submission, "resp-1-retry");
  clock_->Advance(minutes(20));
  app_->RunUntilIdle();
  // Past the deadline: no reminder for a filled brief.
  clock_->Advance(hours(72));
  app_->RunUntilIdle();
  EXPECT_EQ(StaffMessages().size(), 1u);
  EXPECT_EQ(Messages(5001).size(), 2u);
  EXPECT_EQ(Comments(client.task).size(), 2u);
}

TEST_F(BriefFlow, AnAnswerThatDoesNotFitItsFieldIsReportedAndTheRestWritten) {
  SetUpWorld(kMonday10);
  const auto client = world_->AddClient("Олена", "olena@example.com", "", 5001);
  PressSendBrief(client.task);
  PostSubmission(world_->Submit("resp-2", world_->BriefCodeSentTo(5001), "", "Продажі",
                                "Google Ads, TikTok Ads"),
                 "resp-2");
  EXPECT_EQ(ContactField(client.contact, Field(0)), "Продажі");
  EXPECT_EQ(ContactField(client.contact, Field(2)), nullptr);
  const auto comments = Comments(client.task);
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_TRUE(Contains(comments[1], "TikTok Ads")) << comments[1];
  EXPECT_TRUE(Contains(comments[1], "Не записано")) << comments[1];
  ASSERT_EQ(StaffMessages().size(), 1u);
  EXPECT_TRUE(Contains(StaffMessages()[0].text, "Не записано")) << StaffMessages()[0].text;
}

TEST_F(BriefFlow, ReminderGoesOutAfterTwoWorkingDaysAcrossTheWeekendThenTheStaffIsTold) {
  SetUpWorld(kFriday12);
  const auto client = world_->AddClient("Петро", "petro@example.com", "", 5002);
  PressSendBrief(client.task);
  ASSERT_EQ(Messages(5002).size(), 1u);

  // Monday noon: one working day has passed, no reminder yet.
  clock_->Advance(hours(72));
  app_->RunUntilIdle();
  EXPECT_EQ(Messages(5002).size(), 1u);

  // Tuesday noon: the deadline.
  clock_->Advance(hours(24));
  app_->RunUntilIdle();
  const auto reminded = Messages(5002);
  ASSERT_EQ(reminded.size(), 2u);
  EXPECT_TRUE(Contains(reminded[1].text, "ще не заповнили Google-форму")) << reminded[1].text;
  EXPECT_EQ(reminded[1].received_at, kFriday12 + hours(96));
  ASSERT_EQ(Comments(client.task).size(), 2u);
  EXPECT_TRUE(Contains(Comments(client.task)[1], "нагадування")) << Comments(client.task)[1];
  EXPECT_TRUE(StaffMessages().empty());

  // Two more working days without an answer: the staff chat and the task hear about it.
  clock_->Advance(hours(48));
  app_->RunUntilIdle();
  const auto staff = StaffMessages();
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_TRUE(Contains(staff[0].text, "Бриф досі не заповнено")) << staff[0].text;
  EXPECT_EQ(Comments(client.task).size(), 3u);
  EXPECT_EQ(Messages(5002).size(), 2u);  // one reminder, as the agency does today

  // The client fills it after all.
  PostSubmission(world_->Submit("resp-3", world_->BriefCodeSentTo(5002), "", "Бренд", ""),
                 "resp-3");
  EXPECT_EQ(ContactField(client.contact, Field(0)), "Бренд");
  EXPECT_EQ(Messages(5002).size(), 3u);
}

TEST_F(BriefFlow, ReminderOutsideWorkingHoursWaitsForTheNextWorkingMorning) {
  // Friday 17:30 Kyiv: the deadline is Tuesday 17:30; the reminder then goes out at once,
  // but a deadline reached at night would wait. Press at 17:59 so the deadline is 17:59.
  SetUpWorld(kFriday12 + hours(5) + minutes(59));
  const auto client = world_->AddClient("Ірина", "iryna@example.com", "", 5003);
  PressSendBrief(client.task);
  // Tuesday 19:00: the timer fired at 17:59 while RunUntilIdle was not called; the
  // reminder must still respect working hours and go out Wednesday 09:00.
  clock_->Advance(hours(96) + minutes(61));
  app_->RunUntilIdle();
  EXPECT_EQ(Messages(5003).size(), 1u);
  clock_->Advance(hours(14));  // Wednesday 09:00
  app_->RunUntilIdle();
  const auto messages = Messages(5003);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[1].received_at, kFriday12 + hours(5 + 96 + 15) + minutes(60));
}

TEST_F(BriefFlow, ADeadlineSurvivesARestartAndFiresOnce) {
  SetUpWorld(kMonday10, /*file_database=*/true);
  const auto client = world_->AddClient("Олена", "olena@example.com", "", 5001);
  PressSendBrief(client.task);
  app_->Stop();
  app_.reset();

  clock_->Advance(hours(50));  // past Wednesday 10:00 while the service was down
  StartApp();
  app_->RunUntilIdle();
  EXPECT_EQ(Messages(5001).size(), 2u);
  app_->Stop();
  StartApp();
  app_->RunUntilIdle();
  EXPECT_EQ(Messages(5001).size(), 2u);
}

TEST_F(BriefFlow, AClientWithoutTelegramBindsThroughTheDeepLinkAndGetsTheWaitingBrief) {
  SetUpWorld(kMonday10);
  const auto client =
      world_->AddClient("Андрій", "andriy@example.com", "", std::nullopt, /*user=*/7007);
  PressSendBrief(client.task);
  EXPECT_TRUE(Messages(7007).empty());
  const std::string token = world_->BindTokenOnTask(client.task);
  ASSERT_FALSE(token.empty()) << (Comments(client.task).empty() ? "" : Comments(client.task)[0]);
  EXPECT_TRUE(Contains(Comments(client.task)[0], "https://t.me/sandbox_agency_bot?start=" + token));

  clock_->Advance(hours(2));
  auto answer = world_->PostStart(app_->port(), 7007, token);
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  app_->RunUntilIdle();

  EXPECT_EQ(ContactField(client.contact, world_->config.planfix.contact_fields.telegram_chat_id),
            "7007");
  const auto messages = Messages(7007);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_TRUE(Contains(messages[0].text, "Андрій")) << messages[0].text;
  EXPECT_EQ(
      workflow::VerifyBriefCode(SigningKeys(), clock_->Now(), world_->BriefCodeSentTo(7007))->task,
      client.task);
  EXPECT_EQ(ReminderTimer(client.task)->due_at, kMonday10 + hours(2) + hours(48));

  // Pressing Start again does not send the brief twice.
  ASSERT_TRUE(world_->PostStart(app_->port(), 7007, token));
  app_->RunUntilIdle();
  EXPECT_EQ(Messages(7007).size(), 1u);
}

TEST_F(BriefFlow, InLongPollingModeTheStartPressArrivesThroughGetUpdates) {
  SetUpWorld(kMonday10, /*file_database=*/false, /*polling=*/true);
  const auto client =
      world_->AddClient("Андрій", "andriy@example.com", "", std::nullopt, /*user=*/7007);
  PressSendBrief(client.task);
  const std::string token = world_->BindTokenOnTask(client.task);
  ASSERT_FALSE(token.empty());
  // The client presses Start; nothing is posted to the service, which polls Telegram.
  world_->telegram.SimulateUserMessage(7007, 7007, "/start " + token);
  app_->RunUntilIdle();
  EXPECT_EQ(world_->telegram.pending_update_count(), 0u);
  EXPECT_EQ(ContactField(client.contact, world_->config.planfix.contact_fields.telegram_chat_id),
            "7007");
  ASSERT_EQ(Messages(7007).size(), 1u);
  EXPECT_TRUE(Contains(Messages(7007)[0].text, "Андрій")) << Messages(7007)[0].text;
}

TEST_F(BriefFlow, ASubmissionWithoutACodeIsMatchedByEmailOrPhone) {
  SetUpWorld(kMonday10);
  const auto by_email = world_->AddClient("Олена", "olena@example.com", "", 5001);
  const auto by_phone = world_->AddClient("Петро", "petro@example.com", "+380671234567", 5002);
  PressSendBrief(by_email.task);
  PressSendBrief(by_phone.task);

  PostSubmission(world_->Submit("resp-e", "", "olena@example.com", "Лиди", ""), "resp-e");
  EXPECT_EQ(ContactField(by_email.contact, Field(0)), "Лиди");
  PostSubmission(world_->Submit("resp-p", "not-a-code", "", "Впізнаваність", "", "+380671234567"),
                 "resp-p");
  EXPECT_EQ(ContactField(by_phone.contact, Field(0)), "Впізнаваність");
  EXPECT_EQ(StaffMessages().size(), 2u);
  EXPECT_EQ(ReminderTimer(by_phone.task)->state, storage::TimerState::kCancelled);
}

TEST_F(BriefFlow, AnUnmatchedSubmissionIsToldToTheStaffAndKept) {
  SetUpWorld(kMonday10);
  const auto client = world_->AddClient("Олена", "olena@example.com", "", 5001);
  PressSendBrief(client.task);
  PostSubmission(world_->Submit("resp-x", "1-2-0000000000", "stranger@example.com", "Щось", ""),
                 "resp-x");
  const auto staff = StaffMessages();
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_TRUE(Contains(staff[0].text, "resp-x")) << staff[0].text;
  EXPECT_TRUE(Contains(staff[0].text, "Щось")) << staff[0].text;
  const auto kept = app_->database().GetFlow("brief.response:resp-x");
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->state, "unmatched");
  EXPECT_TRUE(Contains(kept->data, "stranger@example.com"));
  EXPECT_EQ(ContactField(client.contact, Field(0)), nullptr);
  EXPECT_EQ(ReminderTimer(client.task)->state, storage::TimerState::kPending);
}

TEST_F(BriefFlow, ReconciliationProcessesAResponseTheScriptNeverPosted) {
  SetUpWorld(kMonday10);
  const auto client = world_->AddClient("Олена", "olena@example.com", "", 5001);
  PressSendBrief(client.task);
  clock_->Advance(minutes(5));
  // Stored in Google only: the Apps Script's call was lost.
  const json lost =
      world_->Submit("resp-lost", world_->BriefCodeSentTo(5001), "", "Замовлення", "Meta Ads");
  app_->RunUntilIdle();
  EXPECT_EQ(ContactField(client.contact, Field(0)), nullptr);  // the next pass is not due yet

  clock_->Advance(minutes(10));
  app_->RunUntilIdle();
  EXPECT_EQ(ContactField(client.contact, Field(0)), "Замовлення");
  EXPECT_EQ(ContactField(client.contact, Field(2)), json::array({"Meta Ads"}));
  EXPECT_EQ(StaffMessages().size(), 1u);
  EXPECT_EQ(Messages(5001).size(), 2u);

  // The script's late retry (same response id) and the next pass change nothing.
  PostSubmission(lost, "resp-lost");
  clock_->Advance(minutes(15));
  app_->RunUntilIdle();
  EXPECT_EQ(Messages(5001).size(), 2u);
}

TEST_F(BriefFlow, AClientWhoBlockedTheBotIsReportedInsteadOfRetriedForever) {
  SetUpWorld(kMonday10);
  const auto client = world_->AddClient("Олена", "olena@example.com", "", 5001);
  world_->telegram.BlockBot(5001);
  PressSendBrief(client.task);

  EXPECT_TRUE(Messages(5001).empty());
  const auto staff = StaffMessages();
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_TRUE(Contains(staff[0].text, "заблокував бота")) << staff[0].text;
  const auto comments = Comments(client.task);
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_TRUE(Contains(comments[1], "Не вдалося надіслати")) << comments[1];
  EXPECT_EQ(ReminderTimer(client.task)->state, storage::TimerState::kCancelled);
  storage::JobFilter dead;
  dead.state = storage::JobState::kDead;
  EXPECT_EQ(app_->database().ListJobs(dead).size(), 1u);

  // Days later nothing more is tried or reported.
  clock_->Advance(hours(120));
  app_->RunUntilIdle();
  EXPECT_EQ(StaffMessages().size(), 1u);
}

TEST_F(BriefFlow, ATaskWithoutAClientGetsACommentAndNothingIsSent) {
  SetUpWorld(kMonday10);
  world_->planfix.AddTask(sandbox::FakeTask{.id = 3001, .name = "No client"});
  PressSendBrief(3001);
  const auto comments = Comments(3001);
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_TRUE(Contains(comments[0], "не вказано клієнта")) << comments[0];
  EXPECT_FALSE(ReminderTimer(3001));
}

// ---- Issue 11: yes/no answers, refused fields, statuses a process lacks ----

constexpr char kAccessQuestion[] = "Доступ до рекламних кабінетів надано?";
constexpr std::int64_t kAccessField = 404;

// A checkbox "access granted" on the contact, answered by a bilingual yes/no question.
void AddAccessCheckbox(SandboxWorld& world) {
  world.config.brief.answers.push_back(
      {kAccessQuestion, kAccessField, config::FieldType::kCheckbox});
  world.planfix.DefineContactField({kAccessField, "Доступ надано", 7});
}

TEST_F(BriefFlow, ABilingualYesOrNoAnswerSetsTheCheckboxEitherWay) {
  SetUpWorld(kMonday10, false, false, AddAccessCheckbox);
  const auto olena = world_->AddClient("Олена", "olena@example.com", "", 5001);
  const auto petro = world_->AddClient("Петро", "petro@example.com", "", 5002);
  SetContactField(petro.contact, kAccessField, true);  // ticked by hand long ago
  PressSendBrief(olena.task);
  PressSendBrief(petro.task);

  Fill(5001, "resp-yes", {{kAccessQuestion, "Так / Yes"}});
  Fill(5002, "resp-no", {{kAccessQuestion, "Ні / No"}});

  EXPECT_EQ(ContactField(olena.contact, kAccessField), json(true));
  // The client said no: the old tick must not survive.
  EXPECT_EQ(ContactField(petro.contact, kAccessField), json(false));
  const std::string comment = Comments(petro.task).back();
  EXPECT_TRUE(Contains(comment, "Доступ надано")) << comment;
  EXPECT_FALSE(Contains(comment, "Не записано")) << comment;
}

TEST_F(BriefFlow, ACheckboxReadsExactlyTheWordsItsMappingDeclares) {
  SetUpWorld(kMonday10, false, false, [](SandboxWorld& world) {
    AddAccessCheckbox(world);
    auto& mapping = world.config.brief.answers.back();
    mapping.true_values = {"Надам сьогодні"};
    mapping.false_values = {"Поки що ні"};
  });
  const auto olena = world_->AddClient("Олена", "olena@example.com", "", 5001);
  const auto petro = world_->AddClient("Петро", "petro@example.com", "", 5002);
  SetContactField(petro.contact, kAccessField, true);
  PressSendBrief(olena.task);
  PressSendBrief(petro.task);

  Fill(5001, "resp-1", {{kAccessQuestion, "поки що НІ"}});
  Fill(5002, "resp-2", {{kAccessQuestion, "Так / Yes"}});  // not one of the declared answers
  EXPECT_EQ(ContactField(olena.contact, kAccessField), json(false));
  EXPECT_EQ(ContactField(petro.contact, kAccessField), json(true));  // untouched, and said so
  const std::string comment = Comments(petro.task).back();
  EXPECT_TRUE(Contains(comment, "Не записано")) << comment;
  EXPECT_TRUE(Contains(comment, "Надам сьогодні")) << comment;
}

TEST_F(BriefFlow, AnAnswerWhoseDeclaredTypePlanfixContradictsIsNotWritten) {
  const std::int64_t contractors = 402;  // a text field: the mapping's field_id is wrong
  SetUpWorld(kMonday10, false, false, [&](SandboxWorld& world) {
    world.config.brief.answers.push_back(
        {kAccessQuestion, contractors, config::FieldType::kCheckbox});
  });
  const auto client = world_->AddClient("Олена", "olena@example.com", "", 5001);
  SetContactField(client.contact, contractors, "Студія Альфа");
  PressSendBrief(client.task);
  Fill(5001, "resp-1", {{kAccessQuestion, "Так / Yes"}});

  EXPECT_EQ(ContactField(client.contact, contractors), "Студія Альфа");
  EXPECT_EQ(ContactField(client.contact, Field(0)), "Продажі");  // the rest is written
  const std::string comment = Comments(client.task).back();
  EXPECT_TRUE(Contains(comment, "(type mismatch)")) << comment;
  EXPECT_TRUE(Contains(comment, "«checkbox»")) << comment;
}

TEST_F(BriefFlow, AFieldPlanfixRefusesIsNamedAsRefusedNotAsWritten) {
  SetUpWorld(kMonday10, false, false, [](SandboxWorld& world) {
    // The robot employee may read the access field but not change it.
    world.planfix.DefineContactField({world.config.brief.answers.at(2).field_id,
                                      "Доступи",
                                      20,
                                      {"Google Ads", "Meta Ads", "Google Analytics"},
                                      /*writable=*/false});
  });
  const auto client = world_->AddClient("Олена", "olena@example.com", "", 5001);
  PressSendBrief(client.task);
  Fill(5001, "resp-1", {});

  EXPECT_EQ(ContactField(client.contact, Field(0)), "Продажі");
  EXPECT_EQ(ContactField(client.contact, Field(2)), nullptr);
  const auto comments = Comments(client.task);
  ASSERT_EQ(comments.size(), 2u);
  EXPECT_TRUE(Contains(comments[1], "Оновлено поля контакту: Очікування від проєкту."))
      << comments[1];
  EXPECT_TRUE(Contains(comments[1], "«Доступи до акаунтів» → «Доступи»: Planfix відмовив"))
      << comments[1];
  EXPECT_TRUE(Contains(comments[1], "No rights to change custom field")) << comments[1];
  const auto staff = StaffMessages();
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_TRUE(Contains(staff[0].text, "Planfix відмовив")) << staff[0].text;
  // A refused field is an answer, not an outage: nothing is dead or retried.
  EXPECT_TRUE(DeadJobs().empty());
  clock_->Advance(hours(3));
  app_->RunUntilIdle();
  EXPECT_EQ(Comments(client.task).size(), 2u);
  EXPECT_EQ(StaffMessages().size(), 1u);
}

TEST_F(BriefFlow, AStatusTheCommunicationProcessLacksIsNotSentAndTheStaffAreToldOnce) {
  constexpr long long kCommunication = 2;  // New / In progress / Completed only
  SetUpWorld(kMonday10, false, false, [](SandboxWorld& world) {
    world.planfix.DefineProcess(kCommunication, {{1, "Нова"}, {2, "В роботі"}, {3, "Завершена"}});
  });
  const auto olena = world_->AddClient("Олена", "olena@example.com", "", 5001);
  const auto petro = world_->AddClient("Петро", "petro@example.com", "", 5002);
  for (const auto& client : {olena, petro}) {
    auto task = world_->planfix.task(client.task);
    task->process_id = kCommunication;
    task->status_id = 2;
    world_->planfix.AddTask(*task);
  }
  PressSendBrief(olena.task);
  PressSendBrief(petro.task);
  Fill(5001, "resp-1", {});
  Fill(5002, "resp-2", {});

  // Neither status went to Planfix, so nothing was refused there and nothing is dead.
  EXPECT_EQ(world_->planfix.task(olena.task)->status_id, 2);
  EXPECT_EQ(world_->planfix.task(petro.task)->status_id, 2);
  EXPECT_TRUE(DeadJobs().empty());
  for (const auto& write : world_->planfix.writes()) {
    EXPECT_FALSE(write.body.contains("status")) << write.path << " " << write.body;
  }
  // Once per process and status: brief_requested and brief_filled, on the first task.
  std::vector<std::string> told;
  for (const auto& message : StaffMessages()) {
    if (Contains(message.text, "Статус не встановлено")) told.push_back(message.text);
  }
  ASSERT_EQ(told.size(), 2u);
  EXPECT_TRUE(Contains(told[0], "planfix.statuses.brief_requested")) << told[0];
  EXPECT_TRUE(Contains(told[0], "Нова (1), В роботі (2), Завершена (3)")) << told[0];
  EXPECT_TRUE(Contains(told[1], "planfix.statuses.brief_filled")) << told[1];
  const auto count = [&](std::int64_t task) {
    const auto comments = Comments(task);
    return std::count_if(comments.begin(), comments.end(), [](const std::string& comment) {
      return Contains(comment, "не встановлено");
    });
  };
  EXPECT_EQ(count(olena.task), 2);
  EXPECT_EQ(count(petro.task), 0);
  // The rest of the flow went on as usual.
  EXPECT_EQ(ContactField(petro.contact, Field(0)), "Продажі");
  EXPECT_EQ(app_->database().GetFlow(workflow::BriefFlowKey(petro.task))->state, "filled");
}

}  // namespace
}  // namespace planfix_flow::app
