#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "http/admin_page_routes.h"
#include "http/admin_templates.h"
#include "planfix_flow/core/url.h"
#include "planfix_flow/http/standard_webhooks.h"

namespace planfix_flow::http {

namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;
using Object = kainjow::mustache::object;
using List = kainjow::mustache::list;

constexpr char kCookie[] = "planfix_flow_admin";
constexpr char kHtml[] = "text/html; charset=utf-8";
constexpr char kCsp[] =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'";

std::string EscapeAll(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

// Renders one built-in template; a broken template is a bug (the tests render every one).
std::string Render(const char* source, const data& values) {
  mustache page{std::string(source)};
  page.set_custom_escape(EscapeAll);
  std::string out = page.render(values);
  if (!page.is_valid()) throw std::logic_error("admin template: " + page.error_message());
  return out;
}

std::string RandomHex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  std::string hex;
  for (const char ch : raw) hex += fmt::format("{:02x}", static_cast<unsigned char>(ch));
  return hex;
}

std::string CookieValue(const httplib::Request& req, std::string_view name) {
  const std::size_t count = req.get_header_value_count("Cookie");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string text = req.get_header_value("Cookie", i);
    std::string_view header = text;
    while (!header.empty()) {
      const std::size_t end = header.find(';');
      std::string_view pair = header.substr(0, end);
      header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const std::size_t equals = pair.find('=');
      if (equals != std::string_view::npos && pair.substr(0, equals) == name) {
        return std::string(pair.substr(equals + 1));
      }
    }
  }
  return {};
}

httplib::Params FormOf(const httplib::Request& req) {
  httplib::Params params;
  const std::string type = req.get_header_value("Content-Type");
  if (type.rfind("application/x-www-form-urlencoded", 0) == 0) {
    httplib::detail::parse_query_text(req.body, params);
  }
  return params;
}

std::string FormValue(const httplib::Params& params, const std::string& name) {
  const auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

// A positive decimal id; nullopt for anything else.
std::optional<std::int64_t> ParsePositive(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

bool IsLoopback(const IpAddress& address) {
  static const IpRange loopback_v4 = *ParseIpRange("127.0.0.0/8");
  static const IpRange loopback_v6 = *ParseIpRange("::1");
  return loopback_v4.Contains(address) || loopback_v6.Contains(address);
}

// A Host header naming this machine: "localhost", "127.0.0.1", "[::1]", with or without a
// port.
bool IsLoopbackHost(std::string_view host) {
  if (!host.empty() && host.front() == '[') {
    const std::size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    host = host.substr(1, close - 1);
  } else if (const std::size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return core::IsLoopbackHost(host);
}

std::string Age(core::TimePoint since, core::TimePoint now) {
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now - since).count();
  if (seconds < 120) return fmt::format("{} s", std::max<std::int64_t>(0, seconds));
  if (seconds < 7200) return fmt::format("{} min", seconds / 60);
  if (seconds < std::int64_t{2} * 86400) return fmt::format("{} h", seconds / 3600);
  return fmt::format("{} days", seconds / 86400);
}

std::string OptionalTime(const std::optional<core::TimePoint>& moment) {
  return moment ? storage::FormatTime(*moment) : std::string();
}

// A JSON text indented for reading; the text itself when it is no JSON.
std::string Pretty(const std::string& text) {
  const auto parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return text;
  return parsed.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string Shorten(const std::string& text, std::size_t limit) {
  if (text.size() <= limit) return text;
  std::size_t cut = limit;
  // Not inside a UTF-8 sequence.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return text.substr(0, cut) + "…";
}

data JobData(const storage::Job& job) {
  data item{data::type::object};
  item.set("id", std::to_string(job.id));
  item.set("kind", job.kind);
  item.set("destination", job.destination);
  item.set("state", std::string(storage::ToString(job.state)));
  item.set("attempts", std::to_string(job.attempts));
  item.set("priority", job.priority == plan::EffectPriority::kBulk ? "bulk" : "interactive");
  item.set("created_at", storage::FormatTime(job.created_at));
  item.set("updated_at", storage::FormatTime(job.updated_at));
  item.set("done_at", OptionalTime(job.done_at));
  item.set("replay_count", std::to_string(job.replay_count));
  item.set("last_error", job.last_error);
  item.set("payload", Pretty(job.payload));
  if (!job.result.empty()) item.set("result", Pretty(job.result));
  if (job.event_id) item.set("event_id", std::to_string(*job.event_id));
  item.set("dead", job.state == storage::JobState::kDead);
  return item;
}

data EventData(const storage::StoredEvent& event) {
  data item{data::type::object};
  item.set("id", std::to_string(event.id));
  item.set("source", std::string(storage::ToString(event.source)));
  item.set("kind", event.kind);
  item.set("state", std::string(storage::ToString(event.state)));
  item.set("attempts", std::to_string(event.attempts));
  item.set("received_at", storage::FormatTime(event.received_at));
  item.set("processed_at", OptionalTime(event.processed_at));
  item.set("last_error", event.last_error);
  item.set("payload", Pretty(event.payload));
  item.set("dead", event.state == storage::EventState::kDead);
  return item;
}

std::string Count(const auto& counts, auto state) {
  const auto found = counts.find(state);
  return std::to_string(found == counts.end() ? 0 : found->second);
}

}  // namespace

// What one answer shows: a title, the body's HTML and an optional notice or problem line.
struct AdminPage::Page {
  std::string title;
  std::string body;
  std::string notice;
  std::string problem;
};

AdminPage::AdminPage(AdminPageOptions options, AdminConsole& console, core::Clock& clock,
                     const TrustedProxies& trusted, std::shared_ptr<spdlog::logger> log)
    : options_(std::move(options)),
      console_(console),
      clock_(clock),
      trusted_(trusted),
      log_(std::move(log)) {
  if (options_.token.empty()) throw std::invalid_argument("the admin page needs an admin token");
  if (options_.max_sessions == 0) throw std::invalid_argument("max_sessions must be > 0");
}

AdminPage::~AdminPage() = default;

std::size_t AdminPage::session_count() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::string AdminPage::Remote(const httplib::Request& req) const {
  std::string forwarded;
  const std::size_t headers = req.get_header_value_count("X-Forwarded-For");
  for (std::size_t i = 0; i < headers; ++i) {
    if (i > 0) forwarded += ',';
    forwarded += req.get_header_value("X-Forwarded-For", i);
  }
  return OriginOf(req.remote_addr, forwarded, trusted_).client;
}

bool AdminPage::TransportAcceptable(const httplib::Request& req) const {
  const bool from_proxy = trusted_.Contains(req.remote_addr);
  if (from_proxy && req.get_header_value("X-Forwarded-Proto") == "https") return true;
  // Plain HTTP only when nothing but this machine can have carried it: a loopback peer that
  // says it forwards nobody, reached by a loopback name. A tunnel (ssh -L) arrives like that;
  // a proxy's plain-HTTP site would carry X-Forwarded-For and its public host name.
  const auto peer = ParseIpAddress(req.remote_addr);
  return peer && IsLoopback(*peer) && !req.has_header("X-Forwarded-For") &&
         IsLoopbackHost(req.get_header_value("Host"));
}

std::optional<AdminPage::Session> AdminPage::FindSession(const httplib::Request& req) {
  const std::string id = CookieValue(req, kCookie);
  if (id.empty()) return std::nullopt;
  const std::string key = Sha256Hex(id);
  const core::TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  const auto it = sessions_.find(key);
  if (it == sessions_.end()) return std::nullopt;
  Session& session = it->second;
  if (now >= session.created_at + options_.session_lifetime ||
      now >= session.last_seen + options_.idle_timeout) {
    sessions_.erase(it);
    return std::nullopt;
  }
  session.last_seen = now;
  return session;
}

std::string AdminPage::CreateSession() {
  std::string id = RandomHex(32);
  const core::TimePoint now = clock_.Now();
  std::lock_guard lock(mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    const bool ended = now >= it->second.created_at + options_.session_lifetime ||
                       now >= it->second.last_seen + options_.idle_timeout;
    it = ended ? sessions_.erase(it) : std::next(it);
  }
  if (sessions_.size() >= options_.max_sessions) {
    const auto least_recent = std::min_element(
        sessions_.begin(), sessions_.end(),
        [](const auto& a, const auto& b) { return a.second.last_seen < b.second.last_seen; });
    sessions_.erase(least_recent);
  }
  sessions_[Sha256Hex(id)] = Session{RandomHex(32), now, now};
  return id;
}

void AdminPage::EndSession(const httplib::Request& req) {
  const std::string id = CookieValue(req, kCookie);
  if (id.empty()) return;
  std::lock_guard lock(mutex_);
  sessions_.erase(Sha256Hex(id));
}

void AdminPage::Answer(httplib::Response& res, int status, const Page& page,
                       const std::optional<Session>& session) const {
  data head{data::type::object};
  head.set("title", page.title);
  head.set("signed_in", session.has_value());
  head.set("csrf", session ? session->csrf : std::string());
  head.set("notice", page.notice);
  head.set("problem", page.problem);
  if (page.notice.empty()) head.set("notice", false);
  if (page.problem.empty()) head.set("problem", false);
  res.status = status;
  res.set_header("Content-Security-Policy", kCsp);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cache-Control", "no-store");
  res.set_content(Render(admin_templates::kHead, head) + page.body +
                      Render(admin_templates::kFoot, data{data::type::object}),
                  kHtml);
}

void AdminPage::Redirect(httplib::Response& res, const std::string& location) const {
  res.status = 303;
  res.set_header("Location", location);
  res.set_header("Cache-Control", "no-store");
  res.set_content("", kHtml);
}

std::optional<AdminPage::Session> AdminPage::RequireSession(const httplib::Request& req,
                                                            httplib::Response& res) {
  auto session = FindSession(req);
  if (!session) Redirect(res, "/admin/login");
  return session;
}

std::optional<AdminPage::Session> AdminPage::RequireForm(const httplib::Request& req,
                                                         httplib::Response& res) {
  auto session = FindSession(req);
  if (!session) {
    log_->warn("admin form refused: not signed in remote={} path={}", Remote(req), req.path);
    Answer(res, 403,
           {"Not signed in", Render(admin_templates::kMessage, data{}), "",
            "Your session has ended or never began. Sign in and try again."},
           std::nullopt);
    return std::nullopt;
  }
  const std::string csrf = FormValue(FormOf(req), "csrf");
  if (csrf.empty() || !ConstantTimeEquals(csrf, session->csrf)) {
    log_->warn("admin form refused: {} CSRF token remote={} path={}",
               csrf.empty() ? "no" : "a wrong", Remote(req), req.path);
    Answer(res, 403,
           {"Refused", Render(admin_templates::kMessage, data{}), "",
            "This form did not come from this session's page (a missing or wrong "
            "CSRF token). Nothing was changed; reload the page and try again."},
           session);
    return std::nullopt;
  }
  return session;
}

void AdminPage::GetLogin(const httplib::Request& req, httplib::Response& res) {
  if (auto session = FindSession(req)) return Redirect(res, "/admin/");
  Page page{"Sign in", Render(admin_templates::kLogin, data{}), "", ""};
  if (!TransportAcceptable(req)) {
    page.problem =
        "Signing in needs HTTPS (through the proxy) or a loopback address (an SSH tunnel to "
        "http://127.0.0.1); this request came over neither, so the form will be refused.";
  }
  Answer(res, 200, page, std::nullopt);
}

void AdminPage::PostLogin(const httplib::Request& req, httplib::Response& res) {
  const std::string token = FormValue(FormOf(req), "token");
  const Page form{"Sign in", Render(admin_templates::kLogin, data{}), "", ""};
  if (!TransportAcceptable(req)) {
    log_->warn("admin sign-in refused: plain HTTP from a non-loopback address remote={}",
               Remote(req));
    Page page = form;
    page.problem =
        "Refused: the token must not cross the network unencrypted. Use HTTPS through the proxy "
        "or an SSH tunnel to http://127.0.0.1.";
    return Answer(res, 403, page, std::nullopt);
  }
  if (token.empty() || !ConstantTimeEquals(token, options_.token)) {
    log_->warn("admin sign-in refused: {} token remote={}", token.empty() ? "no" : "a wrong",
               Remote(req));
    Page page = form;
    page.problem = "Wrong admin token.";
    return Answer(res, 401, page, std::nullopt);
  }
  const std::string id = CreateSession();
  log_->info("admin signed in remote={}", Remote(req));
  res.set_header("Set-Cookie",
                 fmt::format("{}={}; Path=/admin; Max-Age={}; Secure; HttpOnly; SameSite=Strict",
                             kCookie, id, options_.session_lifetime.count()));
  Redirect(res, "/admin/");
}

void AdminPage::PostLogout(const httplib::Request& req, httplib::Response& res) {
  if (!RequireForm(req, res)) return;
  EndSession(req);
  log_->info("admin signed out remote={}", Remote(req));
  res.set_header("Set-Cookie", fmt::format("{}=; Path=/admin; Max-Age=0; Secure; HttpOnly; "
                                           "SameSite=Strict",
                                           kCookie));
  Redirect(res, "/admin/login");
}

void AdminPage::GetOverview(const httplib::Request& req, httplib::Response& res) {
  auto session = RequireSession(req, res);
  if (!session) return;
  const AdminOverview overview = console_.Overview();
  const core::TimePoint now = clock_.Now();
  const auto& backlog = overview.backlog;
  using storage::EventState;
  using storage::JobState;
  data values{data::type::object};
  values.set("ready", overview.problems.empty());
  List problems;
  for (const auto& problem : overview.problems) problems.push_back(Object{{"text", problem}});
  values.set("problems", problems);
  List facts;
  for (const auto& [label, value] : overview.facts) {
    facts.push_back(Object{{"label", label}, {"value", value}});
  }
  values.set("facts", facts);
  values.set("has_facts", !overview.facts.empty());
  values.set("events_pending", Count(backlog.events, EventState::kPending));
  values.set("events_done", Count(backlog.events, EventState::kDone));
  values.set("events_dead", Count(backlog.events, EventState::kDead));
  values.set("jobs_pending", Count(backlog.jobs, JobState::kPending));
  values.set("jobs_running", Count(backlog.jobs, JobState::kRunning));
  values.set("jobs_done", Count(backlog.jobs, JobState::kDone));
  values.set("jobs_dead", Count(backlog.jobs, JobState::kDead));
  const auto waited = [&](const std::optional<core::TimePoint>& since) {
    return since ? fmt::format("{} (since {})", Age(*since, now), storage::FormatTime(*since))
                 : std::string("none");
  };
  values.set("oldest_event", waited(backlog.oldest_waiting_event));
  values.set("oldest_job", waited(backlog.oldest_due_job));
  values.set("timers_pending", std::to_string(backlog.timers_pending));
  Answer(res, 200, {"Overview", Render(admin_templates::kOverview, values), "", ""}, session);
}

void AdminPage::GetDead(const httplib::Request& req, httplib::Response& res) {
  auto session = RequireSession(req, res);
  if (!session) return;
  List jobs;
  for (const auto& job : console_.ListJobs(storage::JobState::kDead, options_.list_limit)) {
    jobs.push_back(JobData(job));
  }
  List events;
  for (const auto& event : console_.ListEvents(storage::EventState::kDead, options_.list_limit)) {
    events.push_back(EventData(event));
  }
  data values{data::type::object};
  values.set("has_jobs", !jobs.empty());
  values.set("jobs", jobs);
  values.set("has_events", !events.empty());
  values.set("events", events);
  values.set("csrf", session->csrf);
  Answer(res, 200, {"Dead jobs and events", Render(admin_templates::kDead, values), "", ""},
         session);
}

void AdminPage::GetJob(const httplib::Request& req, httplib::Response& res) {
  auto session = RequireSession(req, res);
  if (!session) return;
  const auto id = ParsePositive(req.matches[1].str());
  const auto job = id ? console_.GetJob(*id) : std::nullopt;
  if (!job) {
    return Answer(res, 404,
                  {"No such job", Render(admin_templates::kMessage, data{}), "", "No such job."},
                  session);
  }
  data values = JobData(*job);
  values.set("csrf", session->csrf);
  Page page{fmt::format("Job {}", job->id), Render(admin_templates::kJob, values), "", ""};
  if (req.has_param("replayed")) page.notice = "Queued again; reload to follow it.";
  Answer(res, 200, page, session);
}

void AdminPage::GetEvent(const httplib::Request& req, httplib::Response& res) {
  auto session = RequireSession(req, res);
  if (!session) return;
  const auto id = ParsePositive(req.matches[1].str());
  const auto event = id ? console_.GetEvent(*id) : std::nullopt;
  if (!event) {
    return Answer(
        res, 404,
        {"No such event", Render(admin_templates::kMessage, data{}), "", "No such event."},
        session);
  }
  data values = EventData(*event);
  values.set("csrf", session->csrf);
  Page page{fmt::format("Event {}", event->id), Render(admin_templates::kEvent, values), "", ""};
  if (req.has_param("replayed")) page.notice = "Queued again; reload to follow it.";
  Answer(res, 200, page, session);
}

void AdminPage::PostReplay(const httplib::Request& req, httplib::Response& res,
                           std::string_view noun, std::string_view title,
                           const std::function<core::Status(std::int64_t)>& replay) {
  auto session = RequireForm(req, res);
  if (!session) return;
  const auto id = ParsePositive(req.matches[1].str());
  if (!id) {
    const std::string missing = fmt::format("No such {}", noun);
    return Answer(res, 404, {missing, "", "", missing + "."}, session);
  }
  auto replayed = replay(*id);
  if (!replayed) {
    const int status = replayed.error().code == core::ErrorCode::kNotFound   ? 404
                       : replayed.error().code == core::ErrorCode::kConflict ? 409
                                                                             : 500;
    return Answer(res, status,
                  {"Not replayed", Render(admin_templates::kMessage, data{}), "",
                   fmt::format("{} {} was not replayed: {}", title, *id, replayed.error().message)},
                  session);
  }
  log_->info("admin replayed {}_id={} remote={}", noun, *id, Remote(req));
  Redirect(res, fmt::format("/admin/{}/{}?replayed=1", noun, *id));
}

void AdminPage::PostReplayJob(const httplib::Request& req, httplib::Response& res) {
  PostReplay(req, res, "job", "Job", [this](std::int64_t id) -> core::Status {
    auto replayed = console_.ReplayJob(id);
    if (!replayed) return core::Unexpected{replayed.error()};
    return {};
  });
}

void AdminPage::PostReplayEvent(const httplib::Request& req, httplib::Response& res) {
  PostReplay(req, res, "event", "Event",
             [this](std::int64_t id) { return console_.ReplayEvent(id); });
}

void AdminPage::GetUnmatched(const httplib::Request& req, httplib::Response& res) {
  auto session = RequireSession(req, res);
  if (!session) return;
  List responses;
  for (const auto& flow : console_.UnmatchedResponses(options_.list_limit)) {
    const auto payload = nlohmann::json::parse(flow.data, nullptr, /*allow_exceptions=*/false);
    const auto text = [&](const char* key) {
      return payload.is_object() && payload.contains(key) && payload[key].is_string()
                 ? payload[key].get<std::string>()
                 : std::string();
    };
    data item{data::type::object};
    item.set("updated_at", storage::FormatTime(flow.updated_at));
    item.set("response_id", text("responseId"));
    const std::string email = text("respondentEmail");
    if (email.empty()) {
      item.set("email", false);
    } else {
      item.set("email", email);
    }
    List answers;
    if (payload.is_object() && payload.contains("answers") && payload["answers"].is_array()) {
      for (const auto& answer : payload["answers"]) {
        if (!answer.is_object()) continue;
        const auto title = answer.find("title");
        const auto value = answer.find("value");
        std::string shown;
        if (value != answer.end()) {
          shown = value->is_string()
                      ? value->get<std::string>()
                      : value->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        }
        answers.push_back(
            Object{{"title", title != answer.end() && title->is_string() ? title->get<std::string>()
                                                                         : std::string()},
                   {"value", shown}});
      }
    }
    item.set("answers", answers);
    responses.push_back(item);
  }
  data values{data::type::object};
  values.set("responses", responses);
  Answer(res, 200,
         {"Unmatched form responses", Render(admin_templates::kUnmatched, values), "", ""},
         session);
}

void AdminPage::GetTimeline(const httplib::Request& req, httplib::Response& res) {
  auto session = RequireSession(req, res);
  if (!session) return;
  const std::string task_text = req.has_param("task") ? req.get_param_value("task") : "";
  const std::string contact_text = req.has_param("contact") ? req.get_param_value("contact") : "";
  data values{data::type::object};
  values.set("task", task_text);
  values.set("contact", contact_text);
  values.set("searched", false);
  if (task_text.empty() && contact_text.empty()) {
    return Answer(res, 200, {"Timeline", Render(admin_templates::kTimeline, values), "", ""},
                  session);
  }
  const auto task = ParsePositive(task_text);
  const auto contact = ParsePositive(contact_text);
  if ((!task_text.empty() && !contact_text.empty()) || (!task_text.empty() && !task) ||
      (!contact_text.empty() && !contact)) {
    return Answer(res, 400,
                  {"Timeline", Render(admin_templates::kTimeline, values), "",
                   "Give one of them: a task number or a contact id (a positive integer)."},
                  session);
  }
  const auto subject = task ? storage::TimelineSubject::kTask : storage::TimelineSubject::kContact;
  const std::int64_t id = task ? *task : *contact;
  const storage::Timeline timeline = console_.FindTimeline(subject, id, options_.list_limit);

  struct Entry {
    core::TimePoint at;
    bool is_job;
    std::int64_t id;
    data values;
  };
  std::vector<Entry> entries;
  for (const auto& event : timeline.events) {
    data item{data::type::object};
    item.set("at", storage::FormatTime(event.received_at));
    item.set("what", "event");
    item.set("id", std::to_string(event.id));
    item.set("kind", event.kind);
    item.set("state", std::string(storage::ToString(event.state)));
    item.set("detail", Shorten(event.last_error.empty() ? event.payload : event.last_error, 300));
    entries.push_back({event.received_at, false, event.id, item});
  }
  for (const auto& job : timeline.jobs) {
    data item{data::type::object};
    item.set("at", storage::FormatTime(job.created_at));
    item.set("what", "job");
    item.set("id", std::to_string(job.id));
    item.set("kind", job.kind);
    item.set("state", std::string(storage::ToString(job.state)));
    item.set("detail", Shorten(job.last_error.empty() ? job.payload : job.last_error, 300));
    entries.push_back({job.created_at, true, job.id, item});
  }
  // Newest first; at the same moment a job after the event that planned it (so above it).
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    if (a.at != b.at) return a.at > b.at;
    if (a.is_job != b.is_job) return a.is_job;
    return a.id > b.id;
  });
  List list;
  for (auto& entry : entries) list.push_back(entry.values);
  values.set("searched", true);
  values.set("count", std::to_string(entries.size()));
  values.set("subject", task ? fmt::format("task {}", id) : fmt::format("contact {}", id));
  values.set("entries", list);
  Answer(res, 200, {"Timeline", Render(admin_templates::kTimeline, values), "", ""}, session);
}

void AdminPage::Register(httplib::Server& server) {
  using httplib::Request;
  using httplib::Response;
  const auto get = [&](const std::string& pattern,
                       void (AdminPage::*handler)(const Request&, Response&)) {
    server.Get(pattern,
               [this, handler](const Request& req, Response& res) { (this->*handler)(req, res); });
  };
  const auto post = [&](const std::string& pattern,
                        void (AdminPage::*handler)(const Request&, Response&)) {
    server.Post(pattern,
                httplib::Server::Handler([this, handler](const Request& req, Response& res) {
                  (this->*handler)(req, res);
                }));
  };
  server.Get("/admin", [this](const Request&, Response& res) { Redirect(res, "/admin/"); });
  get("/admin/", &AdminPage::GetOverview);
  get("/admin/login", &AdminPage::GetLogin);
  post("/admin/login", &AdminPage::PostLogin);
  post("/admin/logout", &AdminPage::PostLogout);
  get("/admin/dead", &AdminPage::GetDead);
  get(R"(/admin/job/(\d+))", &AdminPage::GetJob);
  get(R"(/admin/event/(\d+))", &AdminPage::GetEvent);
  post(R"(/admin/job/(\d+)/replay)", &AdminPage::PostReplayJob);
  post(R"(/admin/event/(\d+)/replay)", &AdminPage::PostReplayEvent);
  get("/admin/unmatched", &AdminPage::GetUnmatched);
  get("/admin/timeline", &AdminPage::GetTimeline);
}

}  // namespace planfix_flow::http
