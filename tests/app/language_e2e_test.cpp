// The client's language end to end (issue 11, item 2): the contact field
// planfix.contact_fields.language chooses the templates of every message to the client; staff
// messages and task comments stay in templates.default_language. Through the real App and
// the sandbox fakes, which return the field in customFieldData only when it is asked for.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/workflow/approval.h"
#include "planfix_flow/workflow/brief.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::hours;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class ClientLanguage : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    world_->config.server.planfix_dedupe_window_seconds = 600;
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 29});
    app_->Start();
  }

  void Post(const json& body) {
    auto answer = world_->PostPlanfix(app_->port(), body);
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }
  void MoveTask(std::int64_t task, std::int64_t status) {
    auto stored = world_->planfix.task(task);
    ASSERT_TRUE(stored);
    stored->status_id = status;
    world_->planfix.AddTask(*stored);  // replaces the task
    Post({{"event", "task.status_changed"},
          {"task", std::to_string(task)},
          {"status", std::to_string(status)}});
  }
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
  std::vector<sandbox::FakeMessage> StaffMessages() const {
    return BotMessages(world_->config.telegram.staff_chat_id);
  }
  // Telegram posts an update to the webhook.
  void PostUpdate(const json& update) {
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
  json CallbackQuery(const std::string& id, std::int64_t chat, std::int64_t message_id,
                     const std::string& data) const {
    return {{"id", id},
            {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "Emma"}}},
            {"message",
             {{"message_id", message_id},
              {"date", core::ToUnixSeconds(clock_->Now())},
              {"chat", {{"id", chat}, {"type", "private"}, {"first_name", "Emma"}}},
              {"text", "…"}}},
            {"chat_instance", "7"},
            {"data", data}};
  }
  // The client writes a text message.
  void Write(std::int64_t chat, const std::string& text) {
    const std::int64_t update_id = world_->telegram.SimulateUserMessage(chat, chat, text);
    PostUpdate({{"update_id", update_id},
                {"message",
                 {{"message_id", update_id},
                  {"date", core::ToUnixSeconds(clock_->Now())},
                  {"chat", {{"id", chat}, {"type", "private"}, {"first_name", "Emma"}}},
                  {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "Emma"}}},
                  {"text", text}}}});
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
  std::unique_ptr<App> app_;
};

TEST_F(ClientLanguage, AnEnglishClientHearsEverythingInEnglishWhileTheStaffReadsUkrainian) {
  const auto client =
      world_->AddClient("Emma", "emma@example.com", "", 5005, /*user=*/0, /*language=*/"en");
  Post({{"event", "brief.send"}, {"task", std::to_string(client.task)}});
  auto sent = BotMessages(5005);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(Contains(sent[0].text, "Hello, Emma!")) << sent[0].text;
  EXPECT_TRUE(Contains(sent[0].text, "Please fill it in by 25.11.2026 10:00")) << sent[0].text;
  ASSERT_EQ(Comments(client.task).size(), 1u);
  EXPECT_TRUE(Contains(Comments(client.task)[0], "Emma")) << Comments(client.task)[0];
  EXPECT_FALSE(Contains(Comments(client.task)[0], "brief")) << Comments(client.task)[0];

  // The deadline passes: the reminder is in English too.
  clock_->Advance(hours(48));
  app_->RunUntilIdle();
  sent = BotMessages(5005);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(Contains(sent[1].text, "you have not filled in the Google form")) << sent[1].text;

  // The client fills the brief: thanked in English, the staff told in Ukrainian.
  auto answer = world_->PostSubmission(
      app_->port(), world_->Submit("resp-en", world_->BriefCodeSentTo(5005), "", "More leads", ""),
      "resp-en");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  app_->RunUntilIdle();
  sent = BotMessages(5005);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_TRUE(Contains(sent[2].text, "We received the filled brief")) << sent[2].text;
  ASSERT_EQ(StaffMessages().size(), 1u);
  EXPECT_TRUE(Contains(StaffMessages()[0].text, "Бриф заповнено")) << StaffMessages()[0].text;

  // A stage message, with the stage's English name.
  MoveTask(client.task, 110);
  sent = BotMessages(5005);
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[3].text, "Update on \"Комунікація: Emma\": Design.");

  // The approval request, its buttons, the answer to the press and the edited message.
  MoveTask(client.task, world_->config.planfix.statuses.awaiting_approval);
  sent = BotMessages(5005);
  ASSERT_EQ(sent.size(), 5u);
  EXPECT_TRUE(Contains(sent[4].text, "Please review the result")) << sent[4].text;
  const json row = json::parse(sent[4].reply_markup_json)["inline_keyboard"][0];
  EXPECT_EQ(row[0]["text"], "Approve");
  EXPECT_EQ(row[1]["text"], "Request changes");
  // A double tap: both presses were made before the edit removed the buttons.
  const std::string first =
      world_->telegram.SimulateUserPress(5005, sent[4].message_id, row[1]["callback_data"]);
  const std::string second =
      world_->telegram.SimulateUserPress(5005, sent[4].message_id, row[0]["callback_data"]);
  PostUpdate({{"update_id", 800001},
              {"callback_query",
               CallbackQuery(first, 5005, sent[4].message_id, row[1]["callback_data"])}});
  PostUpdate({{"update_id", 800002},
              {"callback_query",
               CallbackQuery(second, 5005, sent[4].message_id, row[0]["callback_data"])}});
  EXPECT_EQ(AnswerTo(first), "Thank you! Please write what to change.");
  EXPECT_EQ(AnswerTo(second), "This button is no longer active.");
  const auto edited = world_->telegram.FindMessage(5005, sent[4].message_id);
  EXPECT_TRUE(Contains(edited->text, "we will make your changes")) << edited->text;
  EXPECT_TRUE(Contains(edited->text, "Changes requested by Emma")) << edited->text;
  EXPECT_EQ(world_->planfix.task(client.task)->status_id, world_->config.planfix.statuses.rework);

  // The client's list of changes: thanked in English, the task comment in Ukrainian.
  Write(5005, "A new header, please");
  sent = BotMessages(5005);
  ASSERT_EQ(sent.size(), 6u);
  EXPECT_TRUE(Contains(sent[5].text, "Your comment: A new header, please")) << sent[5].text;
  EXPECT_TRUE(Contains(Comments(client.task).back(), "Правки від клієнта Emma"))
      << Comments(client.task).back();
  ExpectNoFakeFailures();
}

TEST_F(ClientLanguage, OtherValuesFallBackToTheDefaultLanguageAndCaseAndSpacesDoNotMatter) {
  struct Case {
    std::string value;
    bool english;
  };
  const std::vector<Case> cases = {{"uk", false},         {"", false},    {"de", false},
                                   {"Українська", false}, {" EN ", true}, {"en-GB", true},
                                   {"eng", false}};
  std::int64_t chat = 6100;
  for (const auto& c : cases) {
    const auto client = world_->AddClient("Client", "", "", ++chat, 0, c.value);
    Post({{"event", "brief.send"}, {"task", std::to_string(client.task)}});
    const auto sent = BotMessages(chat);
    ASSERT_EQ(sent.size(), 1u) << c.value;
    EXPECT_EQ(Contains(sent[0].text, "Hello, Client!"), c.english)
        << c.value << ": " << sent[0].text;
    EXPECT_EQ(Contains(sent[0].text, "Добрий день, Client!"), !c.english)
        << c.value << ": " << sent[0].text;
  }
  ExpectNoFakeFailures();
}

}  // namespace
}  // namespace planfix_flow::app
