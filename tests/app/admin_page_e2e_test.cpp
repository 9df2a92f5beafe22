// The HTML admin page end to end: the real App (HTTP ingress, SQLite, engine) against the
// sandbox fakes, driven as a browser would (form posts, a cookie, redirects by hand).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>

#include "google/google_test_support.h"
#include "planfix_flow/app/app.h"
#include "planfix_flow/app/sandbox_world.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_planfix.h"
#include "planfix_flow/sandbox/fake_telegram.h"

namespace planfix_flow::app {
namespace {

using nlohmann::json;

// Friday 2026-11-27 12:00 in Kyiv.
const core::TimePoint kFridayNoon = core::FromUnixSeconds(1'795'773'600);
constexpr std::int64_t kStaffChat = -1001000000001;

class AdminPageEndToEnd : public ::testing::Test {
 protected:
  AdminPageEndToEnd() : clock_(kFridayNoon), telegram_(TelegramOptions(clock_)) {}

  static sandbox::FakeTelegramOptions TelegramOptions(core::Clock& clock) {
    sandbox::FakeTelegramOptions options;
    options.clock = &clock;
    options.bot_username = config::DefaultSandboxConfig().telegram.bot_username;
    return options;
  }

  void SetUp() override {
    sandbox::FakePlanfixOptions planfix_options;
    planfix_options.tokens = {sandbox::FakePlanfixToken{"e2e-planfix-token", {}, true}};
    planfix_options.min_interval = std::chrono::milliseconds(0);
    planfix_ = std::make_unique<sandbox::FakePlanfix>(planfix_options);
    planfix_->Start();
    planfix_->AddTask(sandbox::FakeTask{.id = 42, .name = "Landing"});
    planfix_->AddTask(sandbox::FakeTask{.id = 43, .name = "Other"});
    telegram_.Start();
    telegram_.AddSupergroup(kStaffChat, "Staff");

    db_path_ = std::filesystem::temp_directory_path() /
               ("pff-admin-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db");
    RemoveDatabase();

    config_ = config::DefaultSandboxConfig();
    config_.storage.path = db_path_.string();
    config_.planfix.base_url = planfix_->rest_url();
    config_.telegram.base_url = telegram_.api_base_url();
    config_.telegram.staff_chat_id = kStaffChat;
    config_.telegram.mode = config::TelegramMode::kWebhook;
    config_.telegram.webhook_url = "https://flow.e2e.test/webhooks/telegram";
    config_.server.keep_alive_seconds = 1;
    config_.secrets.planfix_token = "e2e-planfix-token";
    config_.secrets.telegram_bot_token = telegram_.token();
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(config_, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    templates_ = loaded.set;
    app_ = std::make_unique<App>(config_, templates_, clock_, http_,
                                 AppOptions{.background_threads = false, .seed = 7});
    app_->Start();
    app_->RunUntilIdle();
  }

  void TearDown() override {
    app_.reset();
    RemoveDatabase();
  }

  void RemoveDatabase() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      std::filesystem::remove(db_path_.string() + suffix);
    }
  }

  http::HttpResponse Send(const std::string& method, const std::string& path, std::string body,
                          http::Headers headers) {
    http::HttpRequest request;
    request.method = method;
    request.url = "http://127.0.0.1:" + std::to_string(app_->port()) + path;
    request.body = std::move(body);
    request.headers = std::move(headers);
    if (method == "POST" && !request.headers.count("Content-Type")) {
      request.headers["Content-Type"] = "application/x-www-form-urlencoded";
    }
    auto response = http_.Send(request);
    if (!response) ADD_FAILURE() << response.error().ToString();
    return response ? *response : http::HttpResponse{};
  }

  http::HttpResponse Get(const std::string& path, http::Headers headers = {}) {
    return Send("GET", path, "", std::move(headers));
  }
  http::HttpResponse Post(const std::string& path, const std::string& form,
                          http::Headers headers = {}) {
    return Send("POST", path, form, std::move(headers));
  }

  // Signs in with the admin token; returns the Cookie header value for later requests.
  std::string SignIn() {
    auto signed_in = Post("/admin/login", "token=" + http::UrlEncode(config_.secrets.admin_token));
    EXPECT_EQ(signed_in.status, 303) << signed_in.body;
    const std::string set_cookie = signed_in.headers["Set-Cookie"];
    return set_cookie.substr(0, set_cookie.find(';'));
  }

  http::HttpResponse GetAs(const std::string& cookie, const std::string& path) {
    return Get(path, {{"Cookie", cookie}});
  }

  // The CSRF token the page's forms carry.
  static std::string CsrfOf(const std::string& page) {
    std::smatch match;
    if (!std::regex_search(page, match, std::regex(R"re(name="csrf" value="([0-9a-f]+)")re"))) {
      return {};
    }
    return match[1].str();
  }

  // A staff message job that Telegram refused for good: one dead job.
  storage::Job DeadJob(int task = 42) {
    telegram_.FailNext(
        1, 400, R"({"ok":false,"error_code":400,"description":"Bad Request: chat not found"})");
    EXPECT_EQ(PostPing(task).status, 200);
    app_->RunUntilIdle();
    storage::JobFilter filter;
    filter.state = storage::JobState::kDead;
    auto dead = app_->database().ListJobs(filter);
    EXPECT_EQ(dead.size(), 1u);
    return dead.empty() ? storage::Job{} : dead[0];
  }

  http::HttpResponse PostPing(int task) {
    return Send("POST", "/webhooks/planfix",
                json{{"event", "ping"},
                     {"task", std::to_string(task)},
                     {"at", storage::FormatTime(clock_.Now())}}
                    .dump(),
                {{"Authorization", "Bearer " + config_.secrets.planfix_webhook_secret},
                 {"Content-Type", "application/json"}});
  }

  core::FakeClock clock_;
  std::unique_ptr<sandbox::FakePlanfix> planfix_;
  sandbox::FakeTelegram telegram_;
  http::CurlHttpClient http_;
  std::filesystem::path db_path_;
  config::Config config_;
  std::shared_ptr<const templates::TemplateSet> templates_;
  std::unique_ptr<App> app_;
};

TEST_F(AdminPageEndToEnd, SignsInWithTheTokenAndSetsAStrictSessionCookie) {
  auto form = Get("/admin/login");
  ASSERT_EQ(form.status, 200);
  EXPECT_NE(form.body.find(R"(<form method="post" action="/admin/login">)"), std::string::npos);

  auto signed_in = Post("/admin/login", "token=" + http::UrlEncode(config_.secrets.admin_token));
  ASSERT_EQ(signed_in.status, 303) << signed_in.body;
  EXPECT_EQ(signed_in.headers["Location"], "/admin/");
  const std::string cookie = signed_in.headers["Set-Cookie"];
  EXPECT_TRUE(std::regex_search(cookie, std::regex("^planfix_flow_admin=[0-9a-f]{64}; ")))
      << cookie;
  for (const char* flag : {"; Path=/admin", "; Secure", "; HttpOnly", "; SameSite=Strict"}) {
    EXPECT_NE(cookie.find(flag), std::string::npos) << flag << " missing in " << cookie;
  }
  EXPECT_EQ(cookie.find("Domain"), std::string::npos);

  auto overview = GetAs(cookie.substr(0, cookie.find(';')), "/admin/");
  ASSERT_EQ(overview.status, 200);
  EXPECT_NE(overview.body.find("id=\"backlog\""), std::string::npos);
  EXPECT_EQ(overview.headers["Content-Security-Policy"],
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
            "frame-ancestors 'none'; base-uri 'none'");
  EXPECT_EQ(overview.headers["Cache-Control"], "no-store");
  EXPECT_EQ(overview.body.find("<script"), std::string::npos);
}

TEST_F(AdminPageEndToEnd, RefusesAWrongTokenAndSendsStrangersToTheLoginForm) {
  auto wrong = Post("/admin/login", "token=not-the-token");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.headers.count("Set-Cookie"), 0u);
  EXPECT_NE(wrong.body.find("Wrong admin token."), std::string::npos);
  EXPECT_EQ(Post("/admin/login", "").status, 401);

  for (const char* path :
       {"/admin/", "/admin/dead", "/admin/unmatched", "/admin/timeline?task=42", "/admin/job/1"}) {
    auto page = Get(path);
    EXPECT_EQ(page.status, 303) << path;
    EXPECT_EQ(page.headers["Location"], "/admin/login") << path;
    EXPECT_EQ(page.body.find("backlog"), std::string::npos) << path;
  }
  auto forged = GetAs("planfix_flow_admin=" + std::string(64, 'a'), "/admin/");
  EXPECT_EQ(forged.status, 303);
}

TEST_F(AdminPageEndToEnd, RefusesPlainHttpSignInFromAHostThatIsNotLoopback) {
  const std::string form = "token=" + http::UrlEncode(config_.secrets.admin_token);
  auto public_name = Post("/admin/login", form, {{"Host", "flow.example.com"}});
  EXPECT_EQ(public_name.status, 403) << public_name.body;
  EXPECT_EQ(public_name.headers.count("Set-Cookie"), 0u);
  // A plain-HTTP site of the proxy: it forwards someone else.
  auto proxied_plain =
      Post("/admin/login", form, {{"Host", "127.0.0.1"}, {"X-Forwarded-For", "198.51.100.7"}});
  EXPECT_EQ(proxied_plain.status, 403);
  // The proxy (a trusted one, loopback by default) terminated TLS.
  auto proxied_tls = Post("/admin/login", form,
                          {{"Host", "flow.example.com"},
                           {"X-Forwarded-For", "198.51.100.7"},
                           {"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(proxied_tls.status, 303);
}

TEST_F(AdminPageEndToEnd, ReplaysADeadJobFromTheDeadPageAndItIsDone) {
  const storage::Job dead = DeadJob();
  const std::string cookie = SignIn();
  auto page = GetAs(cookie, "/admin/dead");
  ASSERT_EQ(page.status, 200);
  const std::string id = std::to_string(dead.id);
  EXPECT_NE(page.body.find("id=\"job-" + id + "\""), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("chat not found"), std::string::npos);
  const std::string csrf = CsrfOf(page.body);
  ASSERT_EQ(csrf.size(), 64u);

  auto replayed = Post("/admin/job/" + id + "/replay", "csrf=" + csrf, {{"Cookie", cookie}});
  ASSERT_EQ(replayed.status, 303) << replayed.body;
  EXPECT_EQ(replayed.headers["Location"], "/admin/job/" + id + "?replayed=1");
  app_->RunUntilIdle();
  EXPECT_EQ(app_->database().GetJob(dead.id)->state, storage::JobState::kDone);
  EXPECT_EQ(telegram_.Messages(kStaffChat).size(), 1u);

  auto job = GetAs(cookie, "/admin/job/" + id);
  EXPECT_NE(job.body.find(R"(<td id="job-priority">interactive</td>)"), std::string::npos)
      << job.body;
  EXPECT_NE(job.body.find(R"(<td id="job-state" class="state-done">done</td>)"), std::string::npos)
      << job.body;
  // Replaying it again: it is not dead any more.
  auto again = Post("/admin/job/" + id + "/replay", "csrf=" + csrf, {{"Cookie", cookie}});
  EXPECT_EQ(again.status, 409);
}

TEST_F(AdminPageEndToEnd, RefusesAReplayWithoutTheSessionsCsrfTokenAndChangesNothing) {
  const storage::Job dead = DeadJob();
  const std::string cookie = SignIn();
  const std::string other_cookie = SignIn();  // another session: another token
  const std::string other_csrf = CsrfOf(GetAs(other_cookie, "/admin/dead").body);
  const std::string path = "/admin/job/" + std::to_string(dead.id) + "/replay";

  for (const std::string& form :
       {std::string(), std::string("csrf="), std::string("csrf=") + std::string(64, '0'),
        "csrf=" + other_csrf}) {
    auto refused = Post(path, form, {{"Cookie", cookie}});
    EXPECT_EQ(refused.status, 403) << form;
    EXPECT_NE(refused.body.find("CSRF"), std::string::npos);
  }
  // The right token without the session cookie.
  const std::string csrf = CsrfOf(GetAs(cookie, "/admin/dead").body);
  EXPECT_EQ(Post(path, "csrf=" + csrf).status, 403);
  app_->RunUntilIdle();
  auto job = app_->database().GetJob(dead.id);
  EXPECT_EQ(job->state, storage::JobState::kDead);
  EXPECT_EQ(job->replay_count, 0);
}

TEST_F(AdminPageEndToEnd, SignOutEndsTheSession) {
  const std::string cookie = SignIn();
  const std::string csrf = CsrfOf(GetAs(cookie, "/admin/").body);
  EXPECT_EQ(Post("/admin/logout", "csrf=wrong", {{"Cookie", cookie}}).status, 403);
  EXPECT_EQ(GetAs(cookie, "/admin/").status, 200);
  auto out = Post("/admin/logout", "csrf=" + csrf, {{"Cookie", cookie}});
  EXPECT_EQ(out.status, 303);
  EXPECT_NE(out.headers["Set-Cookie"].find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(GetAs(cookie, "/admin/").status, 303);
}

TEST_F(AdminPageEndToEnd, ASessionEndsAfterAnHourIdle) {
  const std::string cookie = SignIn();
  clock_.Advance(std::chrono::minutes(59));
  EXPECT_EQ(GetAs(cookie, "/admin/").status, 200);  // and the hour starts again
  clock_.Advance(std::chrono::minutes(59));
  EXPECT_EQ(GetAs(cookie, "/admin/").status, 200);
  clock_.Advance(std::chrono::minutes(61));
  EXPECT_EQ(GetAs(cookie, "/admin/").status, 303);
}

TEST_F(AdminPageEndToEnd, KeepsAtMost32SessionsEndingTheLeastRecentlyUsed) {
  const std::string first = SignIn();
  clock_.Advance(std::chrono::seconds(1));
  const std::string second = SignIn();
  for (int i = 0; i < 30; ++i) {
    clock_.Advance(std::chrono::seconds(1));
    SignIn();
  }
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(GetAs(first, "/admin/").status, 200);  // 32 live; the first is now the most recent
  SignIn();                                        // the 33rd ends the second, not the first
  EXPECT_EQ(GetAs(second, "/admin/").status, 303);
  EXPECT_EQ(GetAs(first, "/admin/").status, 200);
}

TEST_F(AdminPageEndToEnd, ShowsTheBacklogAtAGlance) {
  DeadJob();
  ASSERT_EQ(PostPing(43).status, 200);  // stored, not processed yet
  const std::string cookie = SignIn();
  auto page = GetAs(cookie, "/admin/");
  ASSERT_EQ(page.status, 200);
  // events: 1 pending (task 43), 1 done (task 42); jobs as the database counts them, one dead;
  // the ping's follow-up timer pending.
  EXPECT_NE(page.body.find("<tr id=\"events-row\"><th>Events (inbox)</th><td>1</td><td></td>"
                           "<td>1</td><td><a href=\"/admin/dead\">0</a></td><td>0 s (since "),
            std::string::npos)
      << page.body;
  const auto jobs = app_->database().CountJobsByState();
  ASSERT_EQ(jobs.at(storage::JobState::kDead), 1);
  const std::string done = std::to_string(
      jobs.count(storage::JobState::kDone) != 0 ? jobs.at(storage::JobState::kDone) : 0);
  EXPECT_NE(page.body.find("<tr id=\"jobs-row\"><th>Jobs (outbound effects)</th><td>0</td>"
                           "<td>0</td><td>" +
                           done + "</td><td><a href=\"/admin/dead\">1</a></td><td>none</td>"),
            std::string::npos)
      << page.body;
  EXPECT_NE(page.body.find("<span id=\"timers-pending\">1</span>"), std::string::npos);
  EXPECT_NE(page.body.find("id=\"ready\""), std::string::npos);
}

TEST_F(AdminPageEndToEnd, ShowsOneTasksTimelineNewestFirst) {
  ASSERT_EQ(PostPing(42).status, 200);
  app_->RunUntilIdle();
  clock_.Advance(std::chrono::minutes(5));
  ASSERT_EQ(PostPing(43).status, 200);  // another task: not in 42's timeline
  app_->RunUntilIdle();
  clock_.Advance(std::chrono::minutes(5));
  ASSERT_EQ(PostPing(42).status, 200);  // a second ping on 42, newer
  app_->RunUntilIdle();

  const std::string cookie = SignIn();
  auto page = GetAs(cookie, "/admin/timeline?task=42");
  ASSERT_EQ(page.status, 200) << page.body;
  std::vector<std::string> rows;
  const std::regex row(
      R"re(<tr class="entry"><td>([^<]+)</td><td>(event|job)</td><td><a href="/admin/(?:event|job)/(\d+)">)re");
  for (auto it = std::sregex_iterator(page.body.begin(), page.body.end(), row);
       it != std::sregex_iterator(); ++it) {
    rows.push_back((*it)[1].str() + " " + (*it)[2].str() + " " + (*it)[3].str());
  }
  // Each ping on 42: its event and the jobs it planned, newest first; at the same moment the
  // jobs above the event that planned them. Nothing of task 43.
  const auto events = app_->database().ListEvents(std::nullopt, 10);  // newest first
  ASSERT_EQ(events.size(), 3u);
  const auto at = [](core::TimePoint moment) { return storage::FormatTime(moment); };
  std::vector<std::string> expected;
  for (const auto& event : events) {
    if (json::parse(event.payload).at("task") != "42") continue;
    storage::JobFilter filter;  // newest first
    for (const auto& job : app_->database().ListJobs(filter)) {
      if (job.event_id == event.id) {
        expected.push_back(at(job.created_at) + " job " + std::to_string(job.id));
      }
    }
    expected.push_back(at(event.received_at) + " event " + std::to_string(event.id));
  }
  ASSERT_GE(expected.size(), 4u);
  EXPECT_EQ(rows, expected) << page.body;
  EXPECT_NE(page.body.find(std::to_string(expected.size()) + " entries about task 42"),
            std::string::npos);
  EXPECT_EQ(page.body.find("/admin/event/" + std::to_string(events[1].id) + "\""),
            std::string::npos);  // task 43's

  EXPECT_EQ(GetAs(cookie, "/admin/timeline?task=abc").status, 400);
  EXPECT_EQ(GetAs(cookie, "/admin/timeline?task=1&contact=2").status, 400);
  EXPECT_EQ(GetAs(cookie, "/admin/timeline?contact=0").status, 400);
}

TEST_F(AdminPageEndToEnd, EscapesHostileTextEverywhere) {
  const std::string hostile = R"(<script>alert('x')</script>"><img src=x onerror=alert(1)>)";
  telegram_.FailNext(1, 400,
                     json{{"ok", false},
                          {"error_code", 400},
                          {"description", "Bad Request: chat not found " + hostile}}
                         .dump());
  ASSERT_EQ(PostPing(42).status, 200);
  app_->RunUntilIdle();
  const std::string cookie = SignIn();
  for (const char* path : {"/admin/dead", "/admin/job/1", "/admin/timeline?task=42"}) {
    auto page = GetAs(cookie, path);
    ASSERT_EQ(page.status, 200) << path;
    EXPECT_EQ(page.body.find("<script"), std::string::npos) << path;
    EXPECT_EQ(page.body.find("<img"), std::string::npos) << path;
    EXPECT_NE(page.body.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img"),
              std::string::npos)
        << path << "\n"
        << page.body;
  }
  // What the admin typed is echoed escaped too.
  auto typed = GetAs(cookie, "/admin/timeline?task=%22%3E%3Cb%3E");
  EXPECT_EQ(typed.status, 400);
  EXPECT_NE(typed.body.find("value=\"&quot;&gt;&lt;b&gt;\""), std::string::npos) << typed.body;
}

TEST_F(AdminPageEndToEnd, KeepsTheBearerJsonEndpointsAsTheyWere) {
  const storage::Job dead = DeadJob();
  const http::Headers bearer{{"Authorization", "Bearer " + config_.secrets.admin_token}};
  EXPECT_EQ(Get("/admin/jobs?state=dead").status, 401);
  // A session cookie is no Bearer token.
  EXPECT_EQ(GetAs(SignIn(), "/admin/jobs?state=dead").status, 401);
  auto listed = Get("/admin/jobs?state=dead", bearer);
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(json::parse(listed.body).size(), 1u);
  auto replayed = Post("/admin/jobs/" + std::to_string(dead.id) + "/replay", "", bearer);
  EXPECT_EQ(replayed.status, 200) << replayed.body;
}

TEST_F(AdminPageEndToEnd, ReplaysADeadEventFromTheDeadPage) {
  // Planfix refuses the robot the task for good: the ping event is dead at once.
  planfix_->FailNext(1, 400, R"({"result":"fail","code":6,"error":"No access to task"})");
  ASSERT_EQ(PostPing(42).status, 200);
  app_->RunUntilIdle();
  const auto dead = app_->database().ListEvents(storage::EventState::kDead, 10);
  ASSERT_EQ(dead.size(), 1u);
  const std::string id = std::to_string(dead[0].id);

  const std::string cookie = SignIn();
  auto page = GetAs(cookie, "/admin/dead");
  EXPECT_NE(page.body.find("id=\"event-" + id + "\""), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("No access to task"), std::string::npos);
  EXPECT_EQ(Post("/admin/event/" + id + "/replay", "csrf=nope", {{"Cookie", cookie}}).status, 403);
  EXPECT_EQ(app_->database().GetEvent(dead[0].id)->state, storage::EventState::kDead);

  auto replayed =
      Post("/admin/event/" + id + "/replay", "csrf=" + CsrfOf(page.body), {{"Cookie", cookie}});
  ASSERT_EQ(replayed.status, 303) << replayed.body;
  EXPECT_EQ(replayed.headers["Location"], "/admin/event/" + id + "?replayed=1");
  app_->RunUntilIdle();
  EXPECT_EQ(app_->database().GetEvent(dead[0].id)->state, storage::EventState::kDone);
  EXPECT_EQ(telegram_.Messages(kStaffChat).size(), 1u);
  auto shown = GetAs(cookie, "/admin/event/" + id);
  EXPECT_NE(shown.body.find(R"(<td id="event-state" class="state-done">done</td>)"),
            std::string::npos)
      << shown.body;
  EXPECT_EQ(GetAs(cookie, "/admin/event/999").status, 404);
}

TEST_F(AdminPageEndToEnd, AnswersAWrongMethodWith405AndAllow) {
  auto wrong = Send("DELETE", "/admin/dead", "", {});
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.headers["Allow"], "GET");
  EXPECT_EQ(Get("/admin/job/1/replay").status, 405);
}

// The admin page through the brief flow of the sandbox world: form responses and contacts.
class AdminPageBriefs : public ::testing::Test {
 protected:
  void SetUp() override {
    clock_ = std::make_unique<core::FakeClock>(core::FromUnixSeconds(1'795'420'800));  // Mon 10:00
    world_ = std::make_unique<SandboxWorld>(*clock_, dir_.path());
    std::vector<config::Problem> problems;
    auto loaded = config::LoadTemplates(world_->config, problems);
    ASSERT_TRUE(loaded.set) << (problems.empty() ? "" : problems[0].ToString());
    app_ = std::make_unique<App>(world_->config, loaded.set, *clock_, world_->http(),
                                 AppOptions{.background_threads = false, .seed = 5});
    app_->Start();
    app_->RunUntilIdle();
  }

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(app_->port()) + path;
  }

  std::string SignIn() {
    http::HttpRequest request;
    request.method = "POST";
    request.url = Url("/admin/login");
    request.headers["Content-Type"] = "application/x-www-form-urlencoded";
    request.body = "token=" + http::UrlEncode(world_->config.secrets.admin_token);
    auto answer = world_->http().Send(request);
    EXPECT_TRUE(answer && answer->status == 303);
    if (!answer) return {};
    const std::string cookie = answer->headers["Set-Cookie"];
    return cookie.substr(0, cookie.find(';'));
  }

  http::HttpResponse GetAs(const std::string& cookie, const std::string& path) {
    http::HttpRequest request;
    request.url = Url(path);
    request.headers["Cookie"] = cookie;
    auto answer = world_->http().Send(request);
    if (!answer) ADD_FAILURE() << answer.error().ToString();
    return answer ? *answer : http::HttpResponse{};
  }

  void PressSendBrief(std::int64_t task) {
    auto answer = world_->PostPlanfix(app_->port(),
                                      {{"event", "brief.send"}, {"task", std::to_string(task)}});
    ASSERT_TRUE(answer && answer->status == 200);
    app_->RunUntilIdle();
  }

  google_test::TempDir dir_;
  std::unique_ptr<core::FakeClock> clock_;
  std::unique_ptr<SandboxWorld> world_;
  std::unique_ptr<App> app_;
};

TEST_F(AdminPageBriefs, ListsUnmatchedResponsesWithTheirAnswersEscaped) {
  const auto client = world_->AddClient("Olena", "olena@example.com", "", 5001);
  PressSendBrief(client.task);
  auto posted = world_->PostSubmission(
      app_->port(),
      world_->Submit("resp-x", "1-2-0000000000", "stranger@example.com", "<b>Leads</b> & more", ""),
      "resp-x");
  ASSERT_TRUE(posted && posted->status == 200);
  app_->RunUntilIdle();
  ASSERT_EQ(app_->database().GetFlow("brief.response:resp-x")->state, "unmatched");

  auto page = GetAs(SignIn(), "/admin/unmatched");
  ASSERT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<h2>Response resp-x</h2>"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("stranger@example.com"), std::string::npos);
  EXPECT_NE(page.body.find("<th>" + std::string(kSandboxExpectations) +
                           "</th><td class=\"error\">&lt;b&gt;Leads&lt;/b&gt; &amp; more</td>"),
            std::string::npos)
      << page.body;
  EXPECT_EQ(page.body.find("<b>Leads"), std::string::npos);
}

TEST_F(AdminPageBriefs, AContactsTimelineHasItsTasksAndItsChatButNotAnotherClients) {
  const auto olena = world_->AddClient("Olena", "olena@example.com", "", 5001);
  const auto petro = world_->AddClient("Petro", "petro@example.com", "", 5002);
  PressSendBrief(olena.task);
  PressSendBrief(petro.task);
  // Olena writes to the bot: an update about her chat only, no task or contact in it.
  auto pressed = world_->PostStart(app_->port(), 5001, "no-such-token");
  ASSERT_TRUE(pressed && pressed->status == 200);
  app_->RunUntilIdle();
  const auto events = app_->database().ListEvents(std::nullopt, 10);
  ASSERT_EQ(events.size(), 3u);  // newest first: the press, Petro's brief, Olena's brief

  auto page = GetAs(SignIn(), "/admin/timeline?contact=" + std::to_string(olena.contact));
  ASSERT_EQ(page.status, 200) << page.body;
  const auto shows_event = [&](std::int64_t id) {
    return page.body.find("<a href=\"/admin/event/" + std::to_string(id) + "\">") !=
           std::string::npos;
  };
  EXPECT_TRUE(shows_event(events[0].id)) << page.body;   // her chat's update
  EXPECT_FALSE(shows_event(events[1].id)) << page.body;  // Petro's task
  EXPECT_TRUE(shows_event(events[2].id)) << page.body;   // her task
  // The brief message to her chat is there; the one to Petro's is not.
  for (const auto& job : app_->database().ListJobs(storage::JobFilter{})) {
    const bool to_petro = job.payload.find("5002") != std::string::npos;
    const bool shown = page.body.find("<a href=\"/admin/job/" + std::to_string(job.id) + "\">") !=
                       std::string::npos;
    if (to_petro) {
      EXPECT_FALSE(shown) << job.kind << " " << job.payload;
    }
    if (job.payload.find("5001") != std::string::npos) {
      EXPECT_TRUE(shown) << job.kind << " " << job.payload;
    }
  }
}

TEST(AdminPageDisabled, AnswersNotFoundWithoutAnAdminToken) {
  google_test::TempDir dir;
  core::FakeClock clock(core::FromUnixSeconds(1'795'420'800));
  SandboxWorld world(clock, dir.path());
  world.config.secrets.admin_token.clear();
  std::vector<config::Problem> problems;
  auto loaded = config::LoadTemplates(world.config, problems);
  ASSERT_TRUE(loaded.set);
  App app(world.config, loaded.set, clock, world.http(), AppOptions{.background_threads = false});
  app.Start();
  for (const char* path : {"/admin/", "/admin/login", "/admin/dead"}) {
    http::HttpRequest request;
    request.url = "http://127.0.0.1:" + std::to_string(app.port()) + path;
    auto answer = world.http().Send(request);
    ASSERT_TRUE(answer);
    EXPECT_EQ(answer->status, 404) << path;
  }
}

}  // namespace
}  // namespace planfix_flow::app
