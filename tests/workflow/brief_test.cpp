// The brief flow's pure rules, as data: codes, plans for sending, binding, filling,
// reminding, escalating and undeliverable messages.
#include "planfix_flow/workflow/brief.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <tuple>

#include "workflow/rule_support.h"

#include "planfix_flow/engine/plan.h"
#include "planfix_flow/plan/effects.h"

namespace planfix_flow::workflow {
namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Friday 2026-11-27 12:00 in Kyiv (10:00 UTC).
const core::TimePoint kFridayNoon = core::FromUnixSeconds(1'795'773'600);
constexpr char kKey[] = "brief-test-key";
constexpr char kSigningKey[] = "brief-test-signing-key-0123456789abcdef";

class BriefRules : public ::testing::Test {
 protected:
  BriefRules()
      : config_(config::DefaultSandboxConfig()),
        calendar_(*calendar::WorkCalendar::Create(config_.calendar)),
        signing_(kSigningKey) {
    std::vector<config::Problem> problems;
    templates_ = config::LoadTemplates(config_, problems).set;
    context_ = RuleContext{&config_, templates_.get(), &calendar_, &signing_};
  }

  const std::string& CodeKey() const { return signing_.Signing(SigningPurpose::kBriefCode); }
  const std::string& LinkKey() const { return signing_.Signing(SigningPurpose::kDeepLink); }

  void SetUp() override { ASSERT_TRUE(templates_); }

  static engine::StoredEvent Event(std::string kind, json payload, std::int64_t id = 9) {
    engine::StoredEvent event;
    event.id = id;
    event.kind = std::move(kind);
    event.payload = payload.dump();
    return event;
  }

  static const engine::TimerChange* FindTimer(const engine::Plan& plan, std::string_view key) {
    for (const auto& timer : plan.timers) {
      if (timer.key == key) return &timer;
    }
    return nullptr;
  }

  static std::vector<std::string> Kinds(const engine::Plan& plan) {
    std::vector<std::string> kinds;
    for (const auto& effect : plan.effects) kinds.push_back(effect.kind);
    return kinds;
  }

  storage::Flow SentFlow(int reminders = 0) const {
    BriefState state;
    state.task = 42;
    state.task_name = "Landing";
    state.contact = 7;
    state.client_name = "Олена";
    state.chat_id = 5001;
    state.code = MakeBriefCode(CodeKey(), 42, 7);
    state.form_url = BriefFormUrl(config_.google, state.code);
    state.sent_at = kFridayNoon;
    state.deadline = kFridayNoon + hours(96);
    state.reminders = reminders;
    storage::Flow flow;
    flow.key = BriefFlowKey(42);
    flow.kind = "brief";
    flow.task = 42;
    flow.contact = 7;
    flow.state = "sent";
    flow.data = ToJson(state);
    return flow;
  }

  config::Config config_;
  calendar::WorkCalendar calendar_;
  SigningKeys signing_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  RuleContext context_;
};

// The cause of ApprovalRules.CallbackDataWithLeadingZerosIsRefused (found by
// fuzz_approval_callback) let "01042-77-<mac>" verify too.
TEST(BriefCode, RefusesLeadingZeros) {
  const std::string code = MakeBriefCode(kKey, 1042, 77);
  ASSERT_TRUE(VerifyBriefCode(kKey, code));
  EXPECT_FALSE(VerifyBriefCode(kKey, "0" + code));
  EXPECT_FALSE(VerifyBriefCode(kKey, "1042-077-" + code.substr(code.rfind('-') + 1)));
}

TEST(BriefCode, RoundTripsAndRejectsAnyChange) {
  const std::string code = MakeBriefCode(kKey, 1042, 77);
  EXPECT_TRUE(std::regex_match(code, std::regex(R"(1042-77-[0-9a-f]{10})"))) << code;
  const auto ref = VerifyBriefCode(kKey, code);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->task, 1042);
  EXPECT_EQ(ref->contact, 77);

  const std::string mac = code.substr(code.rfind('-') + 1);
  EXPECT_FALSE(VerifyBriefCode(kKey, "1043-77-" + mac));  // another task
  EXPECT_FALSE(VerifyBriefCode(kKey, "1042-78-" + mac));  // another contact
  EXPECT_FALSE(VerifyBriefCode("other-secret", code));
  std::string flipped = code;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(VerifyBriefCode(kKey, flipped));
  for (const char* garbage : {"", "1042", "1042-77", "1042-77-", "-77-abc", "a-b-c",
                              "1042-77-0123456789ab", "0-77-0123456789", "1042--77-01234"}) {
    EXPECT_FALSE(VerifyBriefCode(kKey, garbage)) << garbage;
  }
}

TEST(BriefCode, BindTokensAreStableDistinctAndFitTelegramsStartParameter) {
  const std::string token = MakeBindToken(kKey, 1042, 77);
  EXPECT_EQ(token, MakeBindToken(kKey, 1042, 77));
  EXPECT_NE(token, MakeBindToken(kKey, 1043, 77));
  EXPECT_NE(token, MakeBindToken(kKey, 1042, 78));
  EXPECT_TRUE(std::regex_match(token, std::regex(R"([A-Za-z0-9_-]{1,64})"))) << token;
  // A token is never a valid brief code and the MACs differ.
  EXPECT_EQ(token.find(MakeBriefCode(kKey, 1042, 77).substr(8)), std::string::npos);
}

TEST(BriefCode, FormUrlPrefillsTheCodeEntry) {
  config::GoogleConfig google;
  google.form_url = "https://docs.google.com/forms/d/e/X/viewform";
  google.brief_code_entry = "entry.123";
  EXPECT_EQ(BriefFormUrl(google, "1-2-abc"),
            "https://docs.google.com/forms/d/e/X/viewform?usp=pp_url&entry.123=1-2-abc");
  google.form_url += "?hl=uk";
  EXPECT_EQ(BriefFormUrl(google, "1-2-abc"),
            "https://docs.google.com/forms/d/e/X/viewform?hl=uk&usp=pp_url&entry.123=1-2-abc");
}

TEST_F(BriefRules, SendingToABoundChatMessagesCommentsMovesTheStatusAndSetsTheDeadline) {
  const ContactFacts contact{7, "Олена <Коваль>", "o@example.com", {}, 5001};
  auto plan = DecideBriefSend(Event("brief.send", {{"task", "42"}}), TaskFacts{42, "Landing", 7},
                              contact, context_, kFridayNoon);
  ASSERT_TRUE(plan) << plan.error().ToString();
  EXPECT_EQ(Kinds(*plan),
            (std::vector<std::string>{plan::kEffectTelegramSend, plan::kEffectPlanfixComment,
                                      plan::kEffectPlanfixUpdateTask}));
  const json message = json::parse(plan->effects[0].payload);
  EXPECT_EQ(message["chat_id"], 5001);
  EXPECT_EQ(plan->effects[0].destination, "telegram:chat:5001");
  const std::string text = message["text"];
  EXPECT_NE(text.find("Олена &lt;Коваль&gt;"), std::string::npos) << text;  // escaped for HTML
  EXPECT_NE(text.find(MakeBriefCode(CodeKey(), 42, 7)), std::string::npos) << text;
  EXPECT_NE(text.find("01.12.2026 12:00"), std::string::npos) << text;  // Tuesday
  EXPECT_EQ(message["report"],
            (json{{"task", 42}, {"contact", 7}, {"client_name", "Олена <Коваль>"}}));
  EXPECT_EQ(json::parse(plan->effects[2].payload)["status"],
            config_.planfix.statuses.brief_requested);

  const auto* reminder = FindTimer(*plan, "brief.reminder:task:42");
  ASSERT_NE(reminder, nullptr);
  EXPECT_EQ(reminder->action, engine::TimerAction::kSet);
  EXPECT_EQ(reminder->kind, kEventBriefReminder);
  EXPECT_EQ(reminder->due_at, kFridayNoon + hours(96));
  EXPECT_EQ(json::parse(reminder->payload), (json{{"task", 42}, {"number", 1}}));
  ASSERT_EQ(plan->flows.size(), 2u);
  EXPECT_EQ(plan->flows[0].key, "brief:task:42");
  EXPECT_EQ(plan->flows[0].state, "sent");
  EXPECT_EQ(plan->flows[1].key, "brief.contact:7");
  // Idempotency keys are per event, so a replayed event adds no second message.
  EXPECT_EQ(plan->effects[0].idempotency_key, "event:9:brief");
}

TEST_F(BriefRules, TheClientsLanguageChoosesTheMessagesAndStaysWithTheBrief) {
  ContactFacts contact{7, "Emma", "", {}, 5001};
  contact.language = " EN ";
  auto plan = DecideBriefSend(Event("brief.send", {{"task", 42}}), TaskFacts{42, "L", 7}, contact,
                              context_, kFridayNoon);
  ASSERT_TRUE(plan) << plan.error().ToString();
  const std::string text = json::parse(plan->effects[0].payload)["text"];
  EXPECT_NE(text.find("Hello, Emma!"), std::string::npos) << text;
  // The comment is for the staff: the default language.
  const std::string comment = json::parse(plan->effects[1].payload)["description"];
  EXPECT_NE(comment.find("надіслано запит"), std::string::npos) << comment;
  auto state = ParseBriefState(plan->flows[0].data);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->language, "en");

  // The reminder reads the language from the stored brief, not from Planfix.
  storage::Flow flow = SentFlow();
  flow.data = plan->flows[0].data;
  auto reminder = DecideBriefReminder(Event(kEventBriefReminder, {{"task", 42}, {"number", 1}}),
                                      flow, context_, kFridayNoon + hours(96));
  ASSERT_TRUE(reminder) << reminder.error().ToString();
  const std::string reminded = json::parse(reminder->effects[0].payload)["text"];
  EXPECT_NE(reminded.find("you have not filled in the Google form"), std::string::npos) << reminded;
}

TEST_F(BriefRules, ClientLanguageIsTrimmedLowercasedCutAtTheRegionAndConfiguredOnly) {
  const std::pair<const char*, const char*> cases[] = {
      {"en", "en"},         {" EN\t", "en"}, {"en-GB", "en"}, {"en_US", "en"},
      {"UK", "uk"},         {"", "uk"},      {"   ", "uk"},   {"de", "uk"},
      {"Українська", "uk"}, {"eng", "uk"},   {"-en", "uk"}};
  for (const auto& [value, language] : cases)
    EXPECT_EQ(detail::ClientLanguage(context_, value), language) << "\"" << value << "\"";
  config_.templates.languages = {"uk"};
  EXPECT_EQ(detail::ClientLanguage(context_, "en"), "uk");
}

TEST_F(BriefRules, WithNoRemindersConfiguredTheDeadlineEscalatesDirectly) {
  config_.brief.max_reminders = 0;
  auto plan = DecideBriefSend(Event("brief.send", {{"task", 42}}), TaskFacts{42, "L", 7},
                              ContactFacts{7, "Олена", "", {}, 5001}, context_, kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_EQ(FindTimer(*plan, "brief.reminder:task:42")->action, engine::TimerAction::kCancel);
  EXPECT_EQ(FindTimer(*plan, "brief.escalate:task:42")->due_at, kFridayNoon + hours(96));
}

TEST_F(BriefRules, WithoutAChatThePmGetsADeepLinkAndNothingIsSent) {
  auto plan =
      DecideBriefSend(Event("brief.send", {{"task", 42}}), TaskFacts{42, "L", 7},
                      ContactFacts{7, "Андрій", "", {}, std::nullopt}, context_, kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_EQ(Kinds(*plan), (std::vector<std::string>{plan::kEffectPlanfixComment}));
  const std::string token = MakeBindToken(LinkKey(), 42, 7);
  EXPECT_NE(json::parse(plan->effects[0].payload)["description"].get<std::string>().find(
                "https://t.me/sandbox_agency_bot?start=" + token),
            std::string::npos);
  ASSERT_EQ(plan->flows.size(), 3u);
  EXPECT_EQ(plan->flows[0].state, "awaiting_bind");
  EXPECT_EQ(plan->flows[2].key, "brief.bind:" + token);
  EXPECT_EQ(plan->flows[2].state, "waiting");
}

TEST_F(BriefRules, ATaskWithoutAClientOnlyGetsAComment) {
  auto plan = DecideBriefSend(Event("brief.send", {{"task", 42}}), TaskFacts{42, "L", {}},
                              std::nullopt, context_, kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_EQ(Kinds(*plan), (std::vector<std::string>{plan::kEffectPlanfixComment}));
  EXPECT_TRUE(plan->timers.empty());
  EXPECT_TRUE(plan->flows.empty());
}

TEST_F(BriefRules, BindingWritesTheChatToTheContactAndSendsTheWaitingBrief) {
  BriefState waiting;
  waiting.task = 42;
  waiting.contact = 7;
  waiting.client_name = "Андрій";
  waiting.bind_token = MakeBindToken(LinkKey(), 42, 7);
  waiting.code = MakeBriefCode(CodeKey(), 42, 7);
  waiting.form_url = BriefFormUrl(config_.google, waiting.code);
  auto plan = DecideBriefBind(Event("telegram.update", json::object()), waiting, 7007, context_,
                              kFridayNoon);
  ASSERT_TRUE(plan);
  ASSERT_FALSE(plan->effects.empty());
  EXPECT_EQ(plan->effects[0].kind, plan::kEffectPlanfixUpdateContact);
  EXPECT_EQ(
      json::parse(plan->effects[0].payload),
      (json{{"contact", 7},
            {"custom_fields",
             {{{"id", config_.planfix.contact_fields.telegram_chat_id}, {"value", "7007"}}}}}));
  EXPECT_EQ(json::parse(plan->effects[1].payload)["chat_id"], 7007);
  EXPECT_EQ(plan->flows[0].state, "used");

  config_.planfix.contact_fields.telegram_chat_id = 0;  // no custom field: the system one
  plan = DecideBriefBind(Event("telegram.update", json::object()), waiting, 7007, context_,
                         kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_EQ(json::parse(plan->effects[0].payload), (json{{"contact", 7}, {"telegram_id", "7007"}}));
}

TEST_F(BriefRules, FilledAnswersAreConvertedByTheCataloguesTypeAndProblemsReported) {
  config_.brief.answers = {{"Бюджет", 501, config::FieldType::kNumber},
                           {"Дата запуску", 502, config::FieldType::kDate},
                           {"Канали", 503, config::FieldType::kSetOfValues},
                           {"Термін", 504, config::FieldType::kDate},
                           {"Не в каталозі", 599, config::FieldType::kLine},
                           {"Без відповіді", 505, config::FieldType::kLine}};
  Submission submission;
  submission.response_id = "r1";
  submission.answers = {{"Бюджет", {"12 500,50"}},
                        {"Дата запуску", {"2026-12-15"}},
                        {"Канали", {"Meta Ads", "Google Ads"}},
                        {"Термін", {"не знаю"}},
                        {"Не в каталозі", {"x"}}};
  MatchedSubmission match;
  match.brief = ParseBriefState(SentFlow().data).value();
  match.flow_state = "sent";
  match.contact = ContactFacts{7, "Олена", "", {}, 5001};
  match.matched_by = "code";
  match.fields = {{501, "Бюджет", planfix::FieldType::kNumber, {}},
                  {502, "Запуск", planfix::FieldType::kDate, {}},
                  {503, "Канали", planfix::FieldType::kSetOfValues, {"Google Ads", "Meta Ads"}},
                  {504, "Термін", planfix::FieldType::kDate, {}},
                  {505, "Порожнє", planfix::FieldType::kLine, {}}};
  auto plan = DecideBriefFilled(Event("form.submitted", json::object()), submission, match,
                                context_, kFridayNoon);
  ASSERT_TRUE(plan) << plan.error().ToString();
  // The comment and the staff message wait for Planfix's answer to the update.
  EXPECT_EQ(Kinds(*plan),
            (std::vector<std::string>{plan::kEffectPlanfixUpdateContact, plan::kEffectTelegramSend,
                                      plan::kEffectPlanfixUpdateTask}));
  const json update = json::parse(plan->effects[0].payload);
  EXPECT_EQ(update["custom_fields"], (json{{{"id", 501}, {"value", 12500.5}},
                                           {{"id", 502}, {"value", {{"date", "15-12-2026"}}}},
                                           {{"id", 503}, {"value", {"Meta Ads", "Google Ads"}}}}));
  const json& report = update["report"];
  EXPECT_EQ(report["task"], 42);
  EXPECT_EQ(report["fields"][1],
            (json{{"id", 502}, {"name", "Запуск"}, {"question", "Дата запуску"}}));
  const std::string problems = report["problems"].dump();
  EXPECT_NE(problems.find("«Термін»"), std::string::npos) << problems;
  EXPECT_NE(problems.find("599"), std::string::npos) << problems;
  EXPECT_EQ(problems.find("Порожнє"), std::string::npos) << problems;  // unanswered: left alone
  EXPECT_EQ(FindTimer(*plan, "brief.reminder:task:42")->action, engine::TimerAction::kCancel);
  EXPECT_EQ(plan->flows[0].state, "filled");
  EXPECT_EQ(plan->flows[1].key, "brief.response:r1");
}

// Found by fuzz_google_form: a long Cyrillic answer that did not convert was quoted in the
// problem cut in the middle of a letter, and building the staff message threw.
TEST_F(BriefRules, AnUnconvertibleLongAnswerIsReportedInValidUtf8) {
  config_.brief.answers = {{"Термін", 504, config::FieldType::kDate}};
  Submission submission;
  submission.response_id = "r1";
  std::string answer = "x";
  for (int i = 0; i < 40; ++i) answer += "ж";
  submission.answers = {{"Термін", {answer}}};
  MatchedSubmission match;
  match.brief = ParseBriefState(SentFlow().data).value();
  match.flow_state = "sent";
  match.contact = ContactFacts{7, "Олена", "", {}, 5001};
  match.matched_by = "code";
  match.fields = {{504, "Термін", planfix::FieldType::kDate, {}}};
  auto plan = DecideBriefFilled(Event("form.submitted", json::object()), submission, match,
                                context_, kFridayNoon);
  ASSERT_TRUE(plan) << plan.error().ToString();
  bool reported = false;
  for (const auto& effect : plan->effects) {
    const std::string text = effect.payload;
    reported = reported || text.find("is not a date") != std::string::npos;
  }
  EXPECT_TRUE(reported);
}

TEST_F(BriefRules, ACheckboxAnswerIsReadByItsMappingsWordsAndATypeMismatchIsNotWritten) {
  config_.brief.answers = {{"Доступи надано?", 510, config::FieldType::kCheckbox},
                           {"Рекламу запущено?", 511, std::nullopt, {"Запущено"}, {"Ще ні"}},
                           {"Бюджет погоджено?", 512, config::FieldType::kCheckbox}};
  Submission submission;
  submission.response_id = "r1";
  submission.answers = {{"Доступи надано?", {"Ні / No"}},
                        {"Рекламу запущено?", {"ще НІ"}},
                        {"Бюджет погоджено?", {"Так / Yes"}}};
  MatchedSubmission match;
  match.brief = ParseBriefState(SentFlow().data).value();
  match.contact = ContactFacts{7, "Олена", "", {}, 5001};
  match.matched_by = "code";
  match.fields = {{510, "Доступи", planfix::FieldType::kCheckbox, {}},
                  {511, "Реклама", planfix::FieldType::kCheckbox, {}},
                  {512, "Коментар", planfix::FieldType::kText, {}}};  // a wrong field_id
  auto plan = DecideBriefFilled(Event("form.submitted", json::object()), submission, match,
                                context_, kFridayNoon);
  ASSERT_TRUE(plan) << plan.error().ToString();
  const json update = json::parse(plan->effects[0].payload);
  EXPECT_EQ(update["custom_fields"],
            (json{{{"id", 510}, {"value", false}}, {{"id", 511}, {"value", false}}}));
  const std::string problems = update["report"]["problems"].dump();
  EXPECT_NE(problems.find("«Бюджет погоджено?» → «Коментар»"), std::string::npos) << problems;
  EXPECT_NE(problems.find("«text»"), std::string::npos) << problems;
  EXPECT_NE(problems.find("«checkbox»"), std::string::npos) << problems;
}

TEST_F(BriefRules, TheCommentNamesWhatPlanfixWroteRefusedOrNeverConfirmed) {
  const json report{{"task", 42},
                    {"task_name", "Landing"},
                    {"client_name", "Олена"},
                    {"answers_summary", "Бюджет: 100"},
                    {"contact", 7},
                    {"fields",
                     {{{"id", 501}, {"name", "Бюджет"}, {"question", "Бюджет?"}},
                      {{"id", 503}, {"name", "Канали"}, {"question", "Канали?"}}}},
                    {"problems", {"«Термін»: is not a date"}}};
  const json job{{"contact", 7}, {"custom_fields", json::array()}, {"report", report}};
  const auto texts = [&](const json& outcome) {
    json payload{{"job", 5}, {"payload", job}};
    payload.update(outcome);
    auto plan = DecideBriefContactUpdated(Event(kEventContactUpdated, payload, 31), context_);
    EXPECT_TRUE(plan) << plan.error().ToString();
    EXPECT_EQ(Kinds(*plan),
              (std::vector<std::string>{plan::kEffectTelegramSend, plan::kEffectPlanfixComment}));
    EXPECT_EQ(plan->effects[1].idempotency_key, "event:31:comment");
    return std::pair{json::parse(plan->effects[0].payload)["text"].get<std::string>(),
                     json::parse(plan->effects[1].payload)["description"].get<std::string>()};
  };
  const auto has = [](const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
  };

  const auto failed = [](json failures) {
    return json{{"result", {{"queued", false}, {"failures", std::move(failures)}}}};
  };
  std::string staff;
  std::string comment;

  // Planfix refused one field by its custom field name: the other is the only one written.
  std::tie(staff, comment) =
      texts(failed(json::array({{{"field", "customFieldData.503"}, {"error", "No rights"}}})));
  EXPECT_TRUE(has(comment, "Оновлено поля контакту: Бюджет.")) << comment;
  EXPECT_TRUE(has(comment, "«Канали?» → «Канали»: Planfix відмовив (refused: No rights)"))
      << comment;
  EXPECT_TRUE(has(comment, "«Термін»: is not a date")) << comment;
  EXPECT_TRUE(has(staff, "No rights")) << staff;

  // A failure naming no field it was sent: nothing is claimed written.
  std::tie(staff, comment) = texts(failed(json::array({{{"field", "x"}, {"error", "odd"}}})));
  EXPECT_FALSE(has(comment, "Оновлено поля")) << comment;
  EXPECT_TRUE(has(comment,
                  "Planfix: x: odd; не підтверджено (not confirmed): «Бюджет?» → "
                  "«Бюджет», «Канали?» → «Канали»"))
      << comment;

  // The update went dead: nothing was written.
  std::tie(staff, comment) = texts(json{{"error", "Planfix update contact 7 failed (HTTP 500)"}});
  EXPECT_FALSE(has(comment, "Оновлено поля")) << comment;
  EXPECT_TRUE(has(comment, "Planfix не прийняв оновлення контакту")) << comment;
  EXPECT_TRUE(has(staff, "HTTP 500")) << staff;

  // Queued (202) or clean: both written.
  std::tie(staff, comment) =
      texts(json{{"result", {{"queued", true}, {"failures", json::array()}}}});
  EXPECT_TRUE(has(comment, "Оновлено поля контакту: Бюджет, Канали.")) << comment;
}

TEST_F(BriefRules, AReminderWaitsForWorkingHoursAndTheLastOneSchedulesTheEscalation) {
  // The deadline timer fires on Tuesday at 20:00 Kyiv: the reminder waits for 09:00.
  const core::TimePoint tuesday_evening = kFridayNoon + hours(96 + 8);
  auto plan = DecideBriefReminder(Event("brief.reminder", {{"task", 42}, {"number", 1}}),
                                  SentFlow(), context_, tuesday_evening);
  ASSERT_TRUE(plan) << plan.error().ToString();
  ASSERT_EQ(plan->effects.size(), 2u);
  const core::TimePoint wednesday_9 = kFridayNoon + hours(96 + 21);
  EXPECT_EQ(plan->effects[0].not_before, wednesday_9);
  EXPECT_EQ(plan->effects[1].not_before, wednesday_9);
  // max_reminders = 1 by default: the next step is the escalation, 2 working days on.
  const auto* escalation = FindTimer(*plan, "brief.escalate:task:42");
  ASSERT_NE(escalation, nullptr);
  EXPECT_EQ(escalation->due_at, wednesday_9 + hours(48));
  EXPECT_EQ(ParseBriefState(plan->flows[0].data)->reminders, 1);

  config_.brief.max_reminders = 3;
  plan = DecideBriefReminder(Event("brief.reminder", {{"task", 42}, {"number", 2}}), SentFlow(1),
                             context_, kFridayNoon);
  ASSERT_TRUE(plan);
  EXPECT_FALSE(plan->effects[0].not_before);  // Friday noon is a working moment
  EXPECT_EQ(json::parse(FindTimer(*plan, "brief.reminder:task:42")->payload)["number"], 3);
}

TEST_F(BriefRules, AStaleOrUnneededReminderDoesNothing) {
  auto filled = SentFlow();
  filled.state = "filled";
  for (const auto& flow : {std::optional<storage::Flow>(), std::optional(filled),
                           std::optional(SentFlow(/*reminders=*/1))}) {
    auto plan = DecideBriefReminder(Event("brief.reminder", {{"task", 42}, {"number", 1}}), flow,
                                    context_, kFridayNoon);
    ASSERT_TRUE(plan);
    EXPECT_TRUE(plan->effects.empty()) << plan->summary;
    EXPECT_TRUE(plan->timers.empty());
  }
  auto plan = DecideBriefEscalation(Event("brief.escalate", {{"task", 42}}), filled, context_);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->effects.empty());
}

TEST_F(BriefRules, EscalationTellsTheStaffChatAndTheTask) {
  auto plan = DecideBriefEscalation(Event("brief.escalate", {{"task", 42}}), SentFlow(1), context_);
  ASSERT_TRUE(plan);
  EXPECT_EQ(Kinds(*plan),
            (std::vector<std::string>{plan::kEffectTelegramSend, plan::kEffectPlanfixComment}));
  EXPECT_EQ(json::parse(plan->effects[0].payload)["chat_id"], config_.telegram.staff_chat_id);
  EXPECT_EQ(plan->flows[0].state, "escalated");
}

TEST_F(BriefRules, AnUndeliverableClientMessageIsReportedInPlainWordsAndStopsReminders) {
  auto plan = DecideDeliveryFailed(
      Event("effect.failed",
            {{"error", "telegram sendMessage: Forbidden: bot was blocked by the user"},
             {"report", {{"task", 42}, {"contact", 7}, {"client_name", "Олена"}}}}),
      SentFlow(), context_);
  ASSERT_TRUE(plan);
  ASSERT_EQ(plan->effects.size(), 2u);
  EXPECT_NE(
      json::parse(plan->effects[0].payload)["text"].get<std::string>().find("заблокував бота"),
      std::string::npos);
  EXPECT_EQ(FindTimer(*plan, "brief.reminder:task:42")->action, engine::TimerAction::kCancel);
  EXPECT_EQ(plan->flows[0].state, "unreachable");

  // A staff message carries no report: nothing to tell (and no loop).
  plan = DecideDeliveryFailed(Event("effect.failed", {{"error", "chat not found"}}), std::nullopt,
                              context_);
  ASSERT_TRUE(plan);
  EXPECT_TRUE(plan->effects.empty());
}

TEST(BriefSummary, ListsAnswersAndCutsLongOnesAtACharacterBoundary) {
  Submission submission;
  submission.answers = {{"А", {"один", "два"}}, {"Б", {std::string(100, 'x')}}};
  EXPECT_EQ(AnswersSummary(submission), "А: один, два\nБ: " + std::string(100, 'x'));
  const std::string cut = AnswersSummary(submission, 5);
  EXPECT_EQ(cut, "А: …");  // byte 5 is inside "о": the letter goes whole
}

TEST(BriefSubmission, ParsesTheWebhookShapeAndFlattensGrids) {
  auto parsed = ParseSubmission(
      R"({"responseId":"r","timestamp":"2026-11-27T10:00:00Z","respondentEmail":"a@b.c",
          "briefCode":"1-2-x","answers":[{"title":"T","value":"v"},
          {"title":"C","value":["a","b"]},{"title":"G","value":[["r1"],["r2","r3"]]}]})");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->response_id, "r");
  EXPECT_EQ(parsed->brief_code, "1-2-x");
  EXPECT_EQ(parsed->answers["C"], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(parsed->answers["G"], (std::vector<std::string>{"r1", "r2", "r3"}));
  EXPECT_FALSE(ParseSubmission(R"({"answers":[]})"));
  EXPECT_FALSE(ParseSubmission("not json"));
}

// The config alone names the brief code question: the Apps Script's own list of titles need
// not agree with it.
TEST(BriefSubmission, TheConfiguredQuestionCarriesTheCodeWhateverTheScriptFound) {
  const std::string payload =
      R"({"responseId":"r","briefCode":"","answers":[{"title":"Бюджет","value":"10"},
          {"title":"Код брифу / Brief Code ","value":" 12-34-abc "}]})";
  auto parsed = ParseSubmission(payload, "brief code");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->brief_code, "12-34-abc");
  EXPECT_EQ(parsed->answers.count("Код брифу / Brief Code "), 0u);  // not an answer to copy
  EXPECT_EQ(parsed->answers["Бюджет"], std::vector<std::string>{"10"});

  // A script that picked another question is overruled; without the configured question its
  // guess stands.
  parsed = ParseSubmission(
      R"({"responseId":"r","briefCode":"9-9-x","answers":[{"title":"Brief code","value":"1-2-y"}]})",
      "Brief code");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->brief_code, "1-2-y");
  parsed = ParseSubmission(R"({"responseId":"r","briefCode":"9-9-x","answers":[]})", "Brief code");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->brief_code, "9-9-x");

  EXPECT_TRUE(IsBriefCodeTitle(" Код брифу ", "Код брифу"));
  EXPECT_TRUE(IsBriefCodeTitle("Brief code / Код брифу", "BRIEF CODE"));
  EXPECT_FALSE(IsBriefCodeTitle("Brief code please", "Brief code"));
  EXPECT_FALSE(IsBriefCodeTitle("", ""));
}

}  // namespace
}  // namespace planfix_flow::workflow
