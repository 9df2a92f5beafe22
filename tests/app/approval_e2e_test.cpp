// The approval flow end to end: the real App (HTTP ingress, SQLite, engine, workflow, clients)
// against the sandbox fakes on a simulated clock. Planfix posts task.status_changed, the
// client presses the inline buttons in the fake Telegram, and presses reach the service as
// Telegram's webhook POSTs (built here by hand, as SandboxWorld::PostStart does) or, in
// polling mode, through getUpdates.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/workflow/approval.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;
using std::chrono::minutes;

// Monday 2026-11-23 10:00 in Kyiv (08:00 UTC).
const core::TimePoint kMonday10 = core::FromUnixSeconds(1'795'420'800);
constexpr std::int64_t kChat = 5001;
// The sandbox process's "Завершено" (work completed).
constexpr std::int64_t kCompleted = 109;

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

class ApprovalFlow : public ::testing::Test {
 protected:
  void SetUpWorld(config::TelegramMode mode = config::TelegramMode::kWebhook) {
    clock_ = std::make_unique<core::FakeClock>(kMonday10);
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    auto& config = world_->config;
    config.server.planfix_dedupe_window_seconds = 600;
    config.telegram.mode = mode;
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    templates_ = loaded.set;
    app_ = std::make_unique<App>(world_->config, templates_, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 17});
    app_->Start();
  }

  const config::PlanfixStatuses& Statuses() const { return world_->config.planfix.statuses; }

  // A PM moves the task to `status` in Planfix; Planfix's automation posts the change.
  void MoveTask(std::int64_t task, std::int64_t status) {
    http::HttpRequest request;
    request.method = "POST";
    request.url = fmt::format("{}/task/{}", world_->config.planfix.base_url, task);
    request.headers["Content-Type"] = "application/json";
    request.headers["Authorization"] = "Bearer " + world_->config.secrets.planfix_token;
    request.body = json{{"status", {{"id", status}}}}.dump();
    auto moved = world_->http().Send(request);
    ASSERT_TRUE(moved) << moved.error().ToString();
    ASSERT_EQ(moved->status, 200) << moved->body;
    auto answer = world_->PostPlanfix(app_->port(), {{"event", "task.status_changed"},
                                                     {"task", std::to_string(task)},
                                                     {"status", std::to_string(status)}});
    ASSERT_TRUE(answer) << answer.error().ToString();
    ASSERT_EQ(answer->status, 200) << answer->body;
    app_->RunUntilIdle();
  }

  // The last message the bot sent to `chat` with buttons, and its buttons' data.
  struct Request {
    std::int64_t message_id = 0;
    std::string approve;
    std::string rework;
  };
  // Nullopt (and a test failure saying why) when there is none, or its keyboard is not one
  // row of the two buttons.
  std::optional<Request> LastRequest(std::int64_t chat) const {
    const auto messages = world_->telegram.Messages(chat);
    for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
      if (!it->from_bot || it->reply_markup_json.empty()) continue;
      const json keyboard = json::parse(it->reply_markup_json).value("inline_keyboard", json());
      const bool two_buttons = keyboard.is_array() && keyboard.size() == 1 &&
                               keyboard[0].is_array() && keyboard[0].size() == 2 &&
                               keyboard[0][0].value("callback_data", json()).is_string() &&
                               keyboard[0][1].value("callback_data", json()).is_string();
      if (!two_buttons) {
        ADD_FAILURE() << "not the approve and rework buttons: " << it->reply_markup_json;
        return std::nullopt;
      }
      return Request{it->message_id, keyboard[0][0]["callback_data"],
                     keyboard[0][1]["callback_data"]};
    }
    ADD_FAILURE() << "no message with buttons in chat " << chat;
    return std::nullopt;
  }
  // The bot's message, or nullopt (and a test failure).
  std::optional<sandbox::FakeMessage> Message(std::int64_t chat, std::int64_t message_id) const {
    auto message = world_->telegram.FindMessage(chat, message_id);
    if (!message) ADD_FAILURE() << "no message " << message_id << " in chat " << chat;
    return message;
  }

  // Telegram POSTs the callback query of a press to the webhook. `data` and `chat` may differ
  // from the button pressed (a modified client, a forged update), `query_id` is the fake's.
  void PostPress(const std::string& query_id, std::int64_t chat, std::int64_t message_id,
                 const std::string& data) {
    const json update{{"update_id", next_update_id_++},
                      {"callback_query",
                       {{"id", query_id},
                        {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "Олена"}}},
                        {"message",
                         {{"message_id", message_id},
                          {"date", core::ToUnixSeconds(clock_->Now())},
                          {"chat", {{"id", chat}, {"type", "private"}, {"first_name", "Олена"}}},
                          {"text", "…"}}},
                        {"chat_instance", "42"},
                        {"data", data}}}};
    PostUpdate(update);
  }

  // The client presses a real button: the fake opens the callback query, the webhook gets it
  // (in polling mode the service fetches it from the fake instead).
  std::string Press(std::int64_t chat, std::int64_t message_id, const std::string& data) {
    const std::string query_id = world_->telegram.SimulateUserPress(chat, message_id, data);
    if (world_->config.telegram.mode == config::TelegramMode::kWebhook)
      PostPress(query_id, chat, message_id, data);
    app_->RunUntilIdle();
    return query_id;
  }

  // The client writes a text message.
  void Write(std::int64_t chat, const std::string& text) {
    const std::int64_t update_id = world_->telegram.SimulateUserMessage(chat, chat, text);
    if (world_->config.telegram.mode == config::TelegramMode::kWebhook) {
      PostUpdate({{"update_id", update_id},
                  {"message",
                   {{"message_id", update_id},
                    {"date", core::ToUnixSeconds(clock_->Now())},
                    {"chat", {{"id", chat}, {"type", "private"}, {"first_name", "Олена"}}},
                    {"from", {{"id", chat}, {"is_bot", false}, {"first_name", "Олена"}}},
                    {"text", text}}}});
    }
    app_->RunUntilIdle();
  }

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

  std::vector<std::string> Comments(std::int64_t task) const {
    std::vector<std::string> out;
    for (const auto& comment : world_->planfix.comments(task)) out.push_back(comment.description);
    return out;
  }
  std::optional<std::int64_t> TaskStatus(std::int64_t task) const {
    const auto found = world_->planfix.task(task);
    if (!found) return std::nullopt;
    return found->status_id;
  }
  std::optional<std::string> AnswerTo(const std::string& query_id) const {
    for (const auto& answer : world_->telegram.callback_answers()) {
      if (answer.callback_query_id == query_id) return answer.text;
    }
    return std::nullopt;
  }
  std::string FlowState(const std::string& key) {
    const auto flow = app_->database().GetFlow(key);
    return flow ? flow->state : std::string();
  }

  // The client approves: the whole happy path, in either Telegram mode.
  void ApproveAndCheck() {
    const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
    MoveTask(client.task, Statuses().awaiting_approval);
    const auto request = LastRequest(kChat);
    ASSERT_TRUE(request);
    const auto asked = Message(kChat, request->message_id);
    ASSERT_TRUE(asked);
    EXPECT_TRUE(Contains(asked->text, "Комунікація: Олена")) << asked->text;
    ASSERT_EQ(Comments(client.task).size(), 1u);
    EXPECT_TRUE(Contains(Comments(client.task)[0], "запит на погодження"))
        << Comments(client.task)[0];
    EXPECT_EQ(FlowState(workflow::ApprovalFlowKey(client.task)), "waiting");

    const std::string query = Press(kChat, request->message_id, request->approve);
    EXPECT_EQ(AnswerTo(query), "Дякуємо, результат погоджено.");
    const auto edited = Message(kChat, request->message_id);
    ASSERT_TRUE(edited);
    EXPECT_EQ(edited->edit_count, 1);
    EXPECT_TRUE(Contains(edited->text, "погоджено")) << edited->text;
    EXPECT_TRUE(Contains(edited->text, "Погоджено: Олена")) << edited->text;
    EXPECT_TRUE(edited->reply_markup_json.empty()) << edited->reply_markup_json;
    EXPECT_EQ(TaskStatus(client.task), Statuses().approved);
    const auto comments = Comments(client.task);
    ASSERT_EQ(comments.size(), 2u);
    EXPECT_TRUE(Contains(comments[1], "погоджено в Telegram")) << comments[1];
    EXPECT_TRUE(Contains(comments[1], "Рішення: Олена")) << comments[1];
    EXPECT_EQ(FlowState(workflow::ApprovalFlowKey(client.task)), "approved");
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  std::unique_ptr<App> app_;
  std::int64_t next_update_id_ = 700000001;
};

TEST_F(ApprovalFlow, ClientApprovesWithTheButtonOverTheWebhook) {
  SetUpWorld();
  ApproveAndCheck();
}

TEST_F(ApprovalFlow, ClientApprovesWithTheButtonInLongPollingMode) {
  SetUpWorld(config::TelegramMode::kPolling);
  ApproveAndCheck();
}

TEST_F(ApprovalFlow, ReworkMovesTheTaskAndTheClientsNextMessageBecomesOneComment) {
  SetUpWorld();
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto request = LastRequest(kChat);
  ASSERT_TRUE(request);
  const std::string query = Press(kChat, request->message_id, request->rework);

  EXPECT_EQ(AnswerTo(query), "Дякуємо! Напишіть, будь ласка, що змінити.");
  EXPECT_EQ(TaskStatus(client.task), Statuses().rework);
  const auto edited = Message(kChat, request->message_id);
  ASSERT_TRUE(edited);
  EXPECT_TRUE(Contains(edited->text, "що саме змінити")) << edited->text;
  EXPECT_TRUE(Contains(edited->text, "Правки запитано: Олена")) << edited->text;
  ASSERT_EQ(Comments(client.task).size(), 2u);
  EXPECT_TRUE(Contains(Comments(client.task)[1], "запитано правки")) << Comments(client.task)[1];

  Write(kChat, "Будь ласка, змініть заголовок на «Весняний розпродаж»");
  auto comments = Comments(client.task);
  ASSERT_EQ(comments.size(), 3u);
  EXPECT_TRUE(Contains(comments[2], "Правки від клієнта Олена")) << comments[2];
  EXPECT_TRUE(Contains(comments[2], "Весняний розпродаж")) << comments[2];
  const auto sent = world_->telegram.Messages(kChat);
  ASSERT_FALSE(sent.empty());
  EXPECT_TRUE(Contains(sent.back().text, "Ваш коментар: Будь ласка, змініть заголовок"))
      << sent.back().text;
  EXPECT_EQ(FlowState(workflow::ReworkWaitFlowKey(kChat)), "captured");

  // Only the first message is the list of changes.
  Write(kChat, "І ще одне");
  EXPECT_EQ(Comments(client.task).size(), 3u);
}

TEST_F(ApprovalFlow, SecondPressIsAnsweredNeutrallyAndChangesNothing) {
  SetUpWorld();
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto request = LastRequest(kChat);
  ASSERT_TRUE(request);
  // A double tap: both presses were made before the edit removed the buttons.
  const std::string first =
      world_->telegram.SimulateUserPress(kChat, request->message_id, request->approve);
  const std::string second =
      world_->telegram.SimulateUserPress(kChat, request->message_id, request->rework);
  PostPress(first, kChat, request->message_id, request->approve);
  PostPress(second, kChat, request->message_id, request->rework);

  EXPECT_EQ(AnswerTo(first), "Дякуємо, результат погоджено.");
  EXPECT_EQ(AnswerTo(second), "Ця кнопка вже неактуальна.");
  EXPECT_EQ(TaskStatus(client.task), Statuses().approved);
  EXPECT_EQ(Comments(client.task).size(), 2u);
  const auto message = Message(kChat, request->message_id);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->edit_count, 1);
  EXPECT_EQ(FlowState(workflow::ReworkWaitFlowKey(kChat)), "");
}

TEST_F(ApprovalFlow, ButtonOfAnEarlierRequestIsStaleAfterANewOne) {
  SetUpWorld();
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto earlier = LastRequest(kChat);
  ASSERT_TRUE(earlier);
  // The PM takes the result back and asks again later (past Planfix's dedupe window).
  // (Not via "in production": that is the production gate's status.)
  clock_->Advance(minutes(11));
  MoveTask(client.task, Statuses().rework);
  clock_->Advance(minutes(11));
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto later = LastRequest(kChat);
  ASSERT_TRUE(later);
  ASSERT_NE(later->message_id, earlier->message_id);
  ASSERT_NE(later->approve, earlier->approve);
  const std::size_t comments = Comments(client.task).size();
  ASSERT_EQ(comments, 2u);

  const std::string stale = Press(kChat, earlier->message_id, earlier->approve);
  EXPECT_EQ(AnswerTo(stale), "Ця кнопка вже неактуальна.");
  EXPECT_EQ(TaskStatus(client.task), Statuses().awaiting_approval);
  EXPECT_EQ(Comments(client.task).size(), comments);
  const auto message = Message(kChat, earlier->message_id);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->edit_count, 0);

  // The new request's button still works.
  Press(kChat, later->message_id, later->approve);
  EXPECT_EQ(TaskStatus(client.task), Statuses().approved);
}

TEST_F(ApprovalFlow, ButtonIsStaleWhenTheTaskMovedOnInPlanfix) {
  SetUpWorld();
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto request = LastRequest(kChat);
  ASSERT_TRUE(request);
  // The PM closes the task without Planfix telling the service.
  {
    http::HttpRequest move;
    move.method = "POST";
    move.url = fmt::format("{}/task/{}", world_->config.planfix.base_url, client.task);
    move.headers["Content-Type"] = "application/json";
    move.headers["Authorization"] = "Bearer " + world_->config.secrets.planfix_token;
    move.body = json{{"status", {{"id", kCompleted}}}}.dump();
    const auto moved = world_->http().Send(move);
    ASSERT_TRUE(moved) << moved.error().ToString();
    ASSERT_EQ(moved->status, 200) << moved->body;
  }
  const std::string query = Press(kChat, request->message_id, request->approve);
  EXPECT_EQ(AnswerTo(query), "Ця кнопка вже неактуальна.");
  EXPECT_EQ(TaskStatus(client.task), kCompleted);
  EXPECT_EQ(Comments(client.task).size(), 1u);
}

TEST_F(ApprovalFlow, ForgedCallbackDataChangesNothing) {
  SetUpWorld();
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto request = LastRequest(kChat);
  ASSERT_TRUE(request);
  // A modified client sends other data with a real press: the task id alone, and the
  // approve button's data turned into another task's.
  const std::string raw_id =
      world_->telegram.SimulateUserPress(kChat, request->message_id, request->approve);
  PostPress(raw_id, kChat, request->message_id, std::to_string(client.task));
  std::string other_task = request->approve;
  other_task.replace(3, std::to_string(client.task).size(), std::to_string(client.task + 1));
  const std::string tampered =
      world_->telegram.SimulateUserPress(kChat, request->message_id, request->approve);
  PostPress(tampered, kChat, request->message_id, other_task);

  EXPECT_EQ(AnswerTo(raw_id), "Ця кнопка вже неактуальна.");
  EXPECT_EQ(AnswerTo(tampered), "Ця кнопка вже неактуальна.");
  EXPECT_EQ(TaskStatus(client.task), Statuses().awaiting_approval);
  EXPECT_EQ(Comments(client.task).size(), 1u);
  const auto message = Message(kChat, request->message_id);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->edit_count, 0);
  EXPECT_EQ(FlowState(workflow::ApprovalFlowKey(client.task)), "waiting");
}

TEST_F(ApprovalFlow, PressFromAnotherChatChangesNothing) {
  SetUpWorld();
  const auto client = world_->AddClient("Олена", "olena@example.com", "", kChat);
  const auto other = world_->AddClient("Петро", "petro@example.com", "", 6002);
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto request = LastRequest(kChat);
  ASSERT_TRUE(request);
  // The valid data of Олена's button, arriving from Петро's chat.
  const std::string query =
      world_->telegram.SimulateUserPress(kChat, request->message_id, request->approve);
  PostPress(query, 6002, request->message_id, request->approve);

  EXPECT_EQ(AnswerTo(query), "Ця кнопка вже неактуальна.");
  EXPECT_EQ(TaskStatus(client.task), Statuses().awaiting_approval);
  EXPECT_EQ(Comments(client.task).size(), 1u);
  EXPECT_TRUE(Comments(other.task).empty());
  EXPECT_EQ(FlowState(workflow::ApprovalFlowKey(client.task)), "waiting");

  // Олена's own press still decides.
  Press(kChat, request->message_id, request->approve);
  EXPECT_EQ(TaskStatus(client.task), Statuses().approved);
}

TEST_F(ApprovalFlow, ClientWithoutAChatIsReportedOnTheTaskAndToTheStaff) {
  SetUpWorld();
  const auto client = world_->AddClient("Олена", "olena@example.com", "", std::nullopt);
  MoveTask(client.task, Statuses().awaiting_approval);
  const auto comments = Comments(client.task);
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_TRUE(Contains(comments[0], "не має прив")) << comments[0];
  const auto staff = world_->telegram.Messages(world_->config.telegram.staff_chat_id);
  ASSERT_EQ(staff.size(), 1u);
  EXPECT_TRUE(Contains(staff[0].text, "Олена")) << staff[0].text;
  EXPECT_EQ(FlowState(workflow::ApprovalFlowKey(client.task)), "unreachable");
}

}  // namespace
}  // namespace planfix_flow::app
