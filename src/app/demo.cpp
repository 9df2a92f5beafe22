#include "planfix_flow/app/demo.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/core/utf8.h"

namespace planfix_flow::app {

namespace {

using nlohmann::json;
using std::chrono::hours;
using std::chrono::minutes;

// Friday 2026-11-27 12:00 in Kyiv: 2 working days later is Tuesday, across the weekend.
const core::TimePoint kDemoStart = core::FromUnixSeconds(1'795'773'600);

// A temporary directory for the service-account key, removed on exit.
class DemoDir {
 public:
  DemoDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "planfix-flow-demo-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~DemoDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  DemoDir(const DemoDir&) = delete;
  DemoDir& operator=(const DemoDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

std::string OneLine(std::string text, std::size_t max = 160) {
  for (char& c : text) {
    if (c == '\n') c = ' ';
  }
  if (text.size() > max) text = std::string(core::Utf8Prefix(text, max)) + "…";
  return text;
}

// Prints what reached the fakes since the last call, and counts it for the final check.
class Transcript {
 public:
  Transcript(std::ostream& out, SandboxWorld& world, core::Clock& clock,
             const calendar::WorkCalendar& calendar)
      : out_(out), world_(world), clock_(clock), calendar_(calendar) {}

  void Watch(std::int64_t chat, std::string who) { chats_[chat] = Seen{std::move(who), 0}; }
  void WatchTask(std::int64_t task) { tasks_[task] = 0; }

  void Say(const std::string& line) { out_ << fmt::format("[{}] {}\n", Now(), line); }
  void Heading(const std::string& text) { out_ << "\n== " << text << " ==\n"; }

  void Flush() {
    for (auto& [chat, seen] : chats_) {
      const auto messages = world_.telegram.Messages(chat);
      for (; seen.count < messages.size(); ++seen.count) {
        const auto& message = messages[seen.count];
        if (!message.from_bot) continue;
        ++telegram_out_;
        out_ << fmt::format("[{}] out: Telegram → {}: {}\n", Local(message.received_at), seen.who,
                            OneLine(message.text));
      }
    }
    for (auto& [task, count] : tasks_) {
      const auto comments = world_.planfix.comments(task);
      for (; count < comments.size(); ++count) {
        ++comments_out_;
        out_ << fmt::format("[{}] out: Planfix comment on task {}: {}\n", Now(), task,
                            OneLine(comments[count].description));
      }
    }
    const auto writes = world_.planfix.writes();
    for (; writes_seen_ < writes.size(); ++writes_seen_) {
      const auto& write = writes[writes_seen_];
      if (write.path.find("/contact/") == std::string::npos) {
        if (write.body.contains("status")) {
          ++status_writes_;
          out_ << fmt::format("[{}] out: Planfix POST {} {}\n", Now(), write.path,
                              OneLine(write.body.dump(), 200));
        } else if (write.path == "/rest/task/") {
          ++tasks_created_;
          out_ << fmt::format("[{}] out: Planfix POST {} (new task) {}\n", Now(), write.path,
                              OneLine(write.body.dump(), 200));
        }
        continue;
      }
      ++contact_writes_;
      out_ << fmt::format("[{}] out: Planfix POST {} {}\n", Now(), write.path,
                          OneLine(write.body.dump(), 200));
    }
  }

  std::size_t telegram_out() const { return telegram_out_; }
  std::size_t comments_out() const { return comments_out_; }
  std::size_t contact_writes() const { return contact_writes_; }
  std::size_t status_writes() const { return status_writes_; }
  std::size_t tasks_created() const { return tasks_created_; }

 private:
  struct Seen {
    std::string who;
    std::size_t count = 0;
  };
  std::string Now() const { return Local(clock_.Now()); }
  // Local time in the work calendar's zone (Kyiv in the sandbox).
  std::string Local(core::TimePoint moment) const { return calendar_.FormatLocal(moment); }

  std::ostream& out_;
  SandboxWorld& world_;
  core::Clock& clock_;
  const calendar::WorkCalendar& calendar_;
  std::map<std::int64_t, Seen> chats_;
  std::map<std::int64_t, std::size_t> tasks_;
  std::size_t writes_seen_ = 0;
  std::size_t telegram_out_ = 0;
  std::size_t comments_out_ = 0;
  std::size_t contact_writes_ = 0;
  std::size_t status_writes_ = 0;
  std::size_t tasks_created_ = 0;
};

}  // namespace

int RunDemo(std::ostream& out, std::ostream& err) {
  core::SetLogLevel("warn");  // the transcript is the output; logs only for trouble
  core::FakeClock clock(kDemoStart);
  DemoDir dir;
  SandboxWorld world(clock, dir.path());
  world.config.server.planfix_dedupe_window_seconds = 600;

  std::vector<config::Problem> problems;
  auto templates = config::LoadTemplates(world.config, problems);
  if (!templates.set) {
    for (const auto& problem : problems) err << problem.ToString() << "\n";
    return 1;
  }
  auto calendar = calendar::WorkCalendar::Create(world.config.calendar);
  if (!calendar) {
    err << calendar.error().ToString() << "\n";
    return 1;
  }

  const auto olena = world.AddClient("Олена Коваль", "olena@example.com", "+380501112233", 5001);
  const auto petro = world.AddClient("Петро Мельник", "petro@example.com", "+380671234567", 5002);
  const auto andriy =
      world.AddClient("Андрій Бондар", "andriy@example.com", "", std::nullopt, /*user=*/5003);

  App app(world.config, templates.set, clock, world.http(),
          AppOptions{.background_threads = false, .seed = 1});
  app.Start();

  Transcript transcript(out, world, clock, *calendar);
  transcript.Watch(5001, "Олена");
  transcript.Watch(5002, "Петро");
  transcript.Watch(5003, "Андрій");
  transcript.Watch(world.config.telegram.staff_chat_id, "staff chat");
  for (const auto task : {olena.task, petro.task, andriy.task}) transcript.WatchTask(task);

  bool accepted = true;
  auto expect_200 = [&](const core::Result<http::HttpResponse>& answer, const char* what) {
    if (!answer || answer->status != 200) {
      accepted = false;
      err << "demo: " << what
          << " was not accepted: " << (answer ? answer->body : answer.error().ToString()) << "\n";
    }
  };
  auto press = [&](const SandboxClient& client) {
    const json body{{"event", "brief.send"}, {"task", std::to_string(client.task)}};
    transcript.Say(
        fmt::format("in:  Planfix button \"send the brief\" on task {}: POST "
                    "/webhooks/planfix {}",
                    client.task, body.dump()));
    expect_200(world.PostPlanfix(app.port(), body), "the Planfix webhook");
    app.RunUntilIdle();
    transcript.Flush();
  };
  auto submit = [&](const std::string& who, const json& submission, const std::string& id) {
    transcript.Say(
        fmt::format("in:  Apps Script: {} submitted the form (response {}), signed POST "
                    "/webhooks/google-forms",
                    who, id));
    expect_200(world.PostSubmission(app.port(), submission, id), "the form submission");
    app.RunUntilIdle();
    transcript.Flush();
  };

  out << "planfix-flow demo: the brief flow on the sandbox (simulated clock from Friday "
         "27.11.2026 12:00 Kyiv, in-memory database,\nfake Planfix, Telegram and Google on "
         "loopback). Every line marked out: was observed in the fakes.\n";
  app.RunUntilIdle();  // the first reconciliation pass: nothing in the form yet

  transcript.Heading("1. Олена gets the brief and fills it the same day");
  press(olena);
  clock.Advance(hours(2));
  submit("Олена",
         world.Submit("resp-olena", world.BriefCodeSentTo(5001), "olena@example.com",
                      "Більше заявок із сайту", "Google Ads, Meta Ads"),
         "resp-olena");

  transcript.Heading("2. Петро gets the brief and does not answer");
  press(petro);

  transcript.Heading("3. Андрій has no Telegram chat yet: the PM gets a deep link");
  press(andriy);
  const std::string token = world.BindTokenOnTask(andriy.task);
  clock.Advance(minutes(30));
  transcript.Say(
      fmt::format("in:  Telegram: Андрій opens the link and presses Start (/start {})", token));
  expect_200(world.PostStart(app.port(), 5003, token), "the Telegram update");
  app.RunUntilIdle();
  transcript.Flush();

  transcript.Heading(
      "4. The weekend passes; on Tuesday, two working days later, the deadlines come");
  for (int step = 0; step < 2 * 96; ++step) {
    clock.Advance(minutes(30));
    app.RunUntilIdle();
    transcript.Flush();
  }
  clock.Advance(hours(1));
  submit("Петро",
         world.Submit("resp-petro", world.BriefCodeSentTo(5002), "", "Впізнаваність бренду",
                      "Meta Ads"),
         "resp-petro");

  transcript.Heading("5. Андрій fills the form; the Apps Script call is lost");
  transcript.Say("in:  Google Forms stores Андрій's response; nothing is posted to the service");
  world.Submit("resp-andriy", world.BriefCodeSentTo(5003), "", "Запуск інтернет-магазину",
               "Google Analytics");
  transcript.Say("     reconciliation lists the form's responses through the Forms API");
  clock.Advance(minutes(15));
  app.RunUntilIdle();
  transcript.Flush();

  // ---- The production path on Олена's deal ----
  const auto& statuses = world.config.planfix.statuses;
  transcript.Heading("6. Олена's deal goes from sales to production");
  const auto deal = world.AddDeal(olena, /*project=*/12, "SMM і реклама", /*amount=*/0);
  transcript.WatchTask(deal);
  auto move = [&](std::int64_t status, const std::string& who) {
    auto stored = world.planfix.task(deal);
    stored->status_id = status;
    world.planfix.AddTask(*stored);
    const json body{{"event", "task.status_changed"},
                    {"task", std::to_string(deal)},
                    {"status", std::to_string(status)}};
    transcript.Say(fmt::format("in:  {} moves task {} to status {}: POST /webhooks/planfix {}", who,
                               deal, status, body.dump()));
    expect_200(world.PostPlanfix(app.port(), body), "the status webhook");
    app.RunUntilIdle();
    transcript.Flush();
  };
  auto set_field = [&](std::int64_t field, const json& value, const std::string& what) {
    auto stored = world.planfix.task(deal);
    stored->custom_fields[field] = value;
    world.planfix.AddTask(*stored);
    transcript.Say("     " + what);
  };
  clock.Advance(hours(1));
  move(statuses.handed_to_production, "Sales (the amount is not filled in)");
  bool production_ok = world.planfix.task(deal)->status_id == statuses.returned_to_sales;
  clock.Advance(minutes(20));
  set_field(world.config.planfix.task_fields.amount, 24000, "sales fills in the amount: 24000");
  move(statuses.handed_to_production, "Sales");
  production_ok = production_ok && transcript.tasks_created() == 1;

  clock.Advance(hours(1));
  move(statuses.in_production, "The PM (access to the client's accounts not yet granted)");
  production_ok =
      production_ok && world.planfix.task(deal)->status_id == statuses.handed_to_production;
  clock.Advance(minutes(30));
  set_field(world.config.planfix.task_fields.payment_received, true, "the prepayment arrives");
  set_field(world.config.planfix.task_fields.access_granted, true, "the client grants access");
  move(statuses.in_production, "The PM");
  clock.Advance(hours(2));
  move(110, "The designer");
  production_ok = production_ok && world.planfix.task(deal)->status_id == 110;

  transcript.Heading("7. The client approves the result with a button in Telegram");
  clock.Advance(hours(16));
  move(statuses.awaiting_approval, "The PM");
  std::int64_t request_id = 0;
  std::string approve;
  for (const auto& message : world.telegram.Messages(5001)) {
    if (!message.from_bot || message.reply_markup_json.empty()) continue;
    const json row = json::parse(message.reply_markup_json)["inline_keyboard"][0];
    request_id = message.message_id;
    approve = row[0].value("callback_data", "");
  }
  clock.Advance(minutes(40));
  transcript.Say(
      "in:  Telegram: Олена presses \"" +
      json::parse(
          world.telegram.FindMessage(5001, request_id)->reply_markup_json)["inline_keyboard"][0][0]
          .value("text", "") +
      "\" (callback data " + approve + ")");
  expect_200(world.PostPress(app.port(), 5001, request_id, approve, "Олена"), "the button press");
  app.RunUntilIdle();
  transcript.Flush();
  const auto decided = world.telegram.FindMessage(5001, request_id);
  if (decided) {
    transcript.Say("out: Telegram → Олена: the request message now reads: " +
                   OneLine(decided->text));
  }
  production_ok = production_ok && world.planfix.task(deal)->status_id == statuses.approved &&
                  decided && decided->edit_count == 1 &&
                  world.telegram.callback_answers().size() == 1;
  app.Stop();
  transcript.Heading("8. A deal worth 10 minutes of work took 4 hours of communication");
  const bool time_ok = RunTimeDemo(clock, dir.path(), out, err);
  SandboxWorld money_world(clock, dir.path());
  const bool money_ok = RunMoneyDemo(clock, money_world, out, err);

  // What the story must have produced: 3 briefs, 2 reminders (Петро and Андрій) and 3 thanks
  // to clients and 3 "filled" messages to staff; on the tasks 3 "sent", 2 "reminded", 3
  // "filled" comments and Андрій's deep link; three contact field updates and one binding.
  const auto filled = [&](const SandboxClient& client, const char* expected) {
    const auto contact = world.planfix.contact(client.contact);
    const auto field = world.config.brief.answers.at(0).field_id;
    return contact && contact->custom_fields.count(field) &&
           contact->custom_fields.at(field) == expected;
  };
  // The deal adds: back to sales once (a comment), handed over (a task created and linked),
  // refused by the gate once (a comment), work started and the design stage (two client
  // messages, two comments).
  const bool ok = accepted && production_ok && time_ok && money_ok &&
                  transcript.telegram_out() == 14 && transcript.comments_out() == 16 &&
                  transcript.contact_writes() == 4 && filled(olena, "Більше заявок із сайту") &&
                  filled(petro, "Впізнаваність бренду") &&
                  filled(andriy, "Запуск інтернет-магазину") && world.planfix.failures().empty() &&
                  world.telegram.failures().empty() && world.google.failures().empty();
  out << "\n"
      << fmt::format("{} Telegram messages, {} task comments, {} contact updates.\n",
                     transcript.telegram_out(), transcript.comments_out(),
                     transcript.contact_writes())
      << (ok ? "demo: every expected effect was observed in the fakes.\n"
             : "demo: FAILED: an expected effect is missing (see above).\n");
  return ok ? 0 : 1;
}

}  // namespace planfix_flow::app
