#include "planfix_flow/templates/template_set.h"

#include <fmt/format.h>
#include <kainjow/mustache.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "planfix_flow/telegram/html.h"

namespace planfix_flow::templates {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view kExtension = ".mustache";

TemplateSpec Spec(std::string name, Channel channel, std::string purpose,
                  std::vector<std::string> variables, std::vector<std::string> must_use) {
  return TemplateSpec{std::move(name), channel, std::move(purpose), std::move(variables),
                      std::move(must_use)};
}

std::vector<TemplateSpec> BuildRegistry() {
  using enum Channel;
  return {
      Spec("approval_answer", kTelegram,
           "client: the short notice (plain text) after pressing an approval button", {"approved"},
           {}),
      Spec("approval_button_approve", kTelegram, "inline button: approve the result", {}, {}),
      Spec("approval_button_inactive", kTelegram,
           "client: the short notice (plain text) after pressing a button that no longer acts", {},
           {}),
      Spec("approval_button_rework", kTelegram, "inline button: ask for changes", {}, {}),
      Spec("approval_decided", kTelegram, "client: confirms the client's approval decision",
           {"client_name", "task_name", "approved", "comment"}, {"approved"}),
      Spec("approval_decided_by", kTelegram,
           "client: the line under the decided approval request: who decided, and for changes "
           "asked in the client's chat, to write them",
           {"approved", "decided_by", "ask_for_changes"}, {"decided_by"}),
      Spec("approval_request", kTelegram, "client: asks to approve a stage's result",
           {"client_name", "task_name", "stage_name", "result_url"}, {"task_name"}),
      Spec("brief_bind_link", kPlanfixComment,
           "Planfix comment for the PM: the deep link that binds the client's Telegram chat",
           {"client_name", "deep_link"}, {"deep_link"}),
      Spec("brief_escalation", kTelegram,
           "staff chat: the client has not filled the brief after every reminder",
           {"client_name", "task_number", "task_name", "task_url", "reminders_sent", "sent_at"},
           {"client_name", "task_number"}),
      Spec("brief_received", kTelegram, "client: thanks for the filled brief", {"client_name"}, {}),
      Spec("brief_reminder", kTelegram, "client: the brief is still not filled",
           {"client_name", "form_url"}, {"form_url"}),
      Spec("brief_request", kTelegram, "client: please fill the brief (Google Form link)",
           {"client_name", "form_url", "deadline"}, {"form_url"}),
      Spec("brief_staff_filled", kTelegram,
           "staff chat: the client filled the brief, with a short summary",
           {"client_name", "task_number", "task_name", "task_url", "answers_summary", "problems"},
           {"client_name", "task_number", "problems"}),
      Spec("brief_unmatched", kTelegram,
           "staff chat: a filled brief that matches no client, kept for a person",
           {"response_id", "respondent_email", "submitted_at", "answers_summary"}, {"response_id"}),
      Spec("comment_approval_decided", kPlanfixComment,
           "Planfix comment: the result was approved or changes requested, and by whom",
           {"client_name", "approved", "decided_by"}, {"approved", "decided_by"}),
      Spec("comment_approval_no_chat", kPlanfixComment,
           "Planfix comment: the approval request could not be sent (no client or no chat)",
           {"client_name"}, {}),
      Spec("comment_approval_requested", kPlanfixComment,
           "Planfix comment: the approval request went to the client", {"client_name"}, {}),
      Spec("comment_approval_rework_message", kPlanfixComment,
           "Planfix comment: the client's message with the changes asked for",
           {"client_name", "message"}, {"message"}),
      Spec("comment_brief_no_client", kPlanfixComment,
           "Planfix comment: the brief was not sent because the task has no client", {}, {}),
      Spec("comment_brief_received", kPlanfixComment,
           "Planfix comment: the brief was filled and copied into the contact",
           {"client_name", "fields_updated", "answers_summary", "problems"}, {"problems"}),
      Spec("comment_brief_reminder_sent", kPlanfixComment,
           "Planfix comment: a reminder was sent to the client",
           {"client_name", "reminder_number", "next_deadline"}, {}),
      Spec("comment_brief_sent", kPlanfixComment,
           "Planfix comment: the brief request went to the client",
           {"client_name", "form_url", "deadline"}, {"deadline"}),
      Spec("comment_client_notified", kPlanfixComment,
           "Planfix comment: the client was told about a stage or asked to approve",
           {"client_name", "stage_name", "message_kind"}, {}),
      Spec("comment_delivery_failed", kPlanfixComment,
           "Planfix comment: a message to the client could not be delivered",
           {"client_name", "reason"}, {"reason"}),
      Spec("comment_gate_refused", kPlanfixComment,
           "Planfix comment: the task may not go into production yet, and why",
           {"missing", "moved_back"}, {"missing"}),
      Spec("comment_handoff_done", kPlanfixComment,
           "Planfix comment on the deal: the PM's Communication task was created",
           {"task_number", "task_url"}, {"task_number"}),
      Spec("comment_handoff_rejected", kPlanfixComment,
           "Planfix comment: the deal was not handed to production; what is missing",
           {"missing", "deal_name"}, {"missing"}),
      Spec("comment_invoice_escalated", kPlanfixComment,
           "Planfix comment: the invoice is still unpaid after every reminder; staff told",
           {"invoice_number", "reminders_sent", "remaining", "currency"}, {"invoice_number"}),
      Spec("comment_invoice_incomplete", kPlanfixComment,
           "Planfix comment: the invoice was not registered; the fields that are missing",
           {"missing"}, {"missing"}),
      Spec("comment_invoice_payment", kPlanfixComment,
           "Planfix comment: a payment was counted towards the invoice",
           {"invoice_number", "amount", "currency", "source", "paid", "remaining"}, {"amount"}),
      Spec("comment_invoice_registered", kPlanfixComment,
           "Planfix comment: the invoice was registered; when the first reminder is due",
           {"invoice_number", "amount", "currency", "due_date", "first_reminder"},
           {"invoice_number"}),
      Spec("comment_invoice_reminder_sent", kPlanfixComment,
           "Planfix comment: a payment reminder was sent to the client",
           {"client_name", "reminder_number", "remaining", "currency", "next_step"}, {}),
      Spec("comment_report_month", kPlanfixComment,
           "Planfix comment on the report task: what the service recorded about the month",
           {"month", "summary", "deal_number"}, {"month"}),
      Spec("comment_report_sent", kPlanfixComment,
           "Planfix comment: the report and the invoice were sent to the client",
           {"client_name", "month", "invoice_number", "files"}, {"invoice_number"}),
      Spec("comment_status_not_in_process", kPlanfixComment,
           "Planfix comment: a status the service would set is not in the task's process",
           {"status", "config_keys", "process", "process_statuses", "task_number", "task_url"},
           {"status", "process"}),
      Spec("comment_time_alert", kPlanfixComment,
           "Planfix comment on a deal: its communication has cost more than the configured share "
           "of its amount",
           {"deal_number", "deal_name", "communication_cost", "communication_hours", "amount",
            "share", "currency"},
           {"communication_cost", "amount"}),
      Spec("comment_timer_refused", kPlanfixComment,
           "Planfix comment: a timer button press that changed nothing, and why (no or unknown "
           "employee, no timer running, the timer runs on another task or already here)",
           {"employee", "no_user", "unknown_employee", "not_running", "running_task",
            "already_running", "started_at"},
           {}),
      Spec("comment_timer_started", kPlanfixComment,
           "Planfix comment: an employee's timer started on the task; when it closes at the latest",
           {"employee", "started_at", "closes_at"}, {"employee", "started_at"}),
      Spec("comment_timer_stopped", kPlanfixComment,
           "Planfix comment: a timer stopped (button, another timer started, or the end of the "
           "working day) and the time written to the data tag",
           {"employee", "started_at", "ended_at", "duration", "too_short", "end_of_day",
            "switched_to"},
           {"employee", "started_at"}),
      Spec("invoice_escalation", kTelegram,
           "staff chat: an invoice is still unpaid after every reminder",
           {"client_name", "invoice_number", "task_number", "task_url", "remaining", "currency",
            "due_date", "reminders_sent"},
           {"invoice_number", "task_number"}),
      Spec("invoice_reminder", kTelegram,
           "client: a polite reminder that an invoice is due (names what remains to pay)",
           {"client_name", "invoice_number", "amount", "currency", "due_date", "paid",
            "payment_details"},
           {"invoice_number", "amount"}),
      Spec("invoice_thanks", kTelegram, "client: thanks, the payment was received",
           {"client_name", "invoice_number", "amount", "currency", "remaining"},
           {"invoice_number", "amount"}),
      Spec("ping", kTelegram, "end-to-end check message", {"message"}, {"message"}),
      Spec("report_and_invoice", kTelegram,
           "client: the month's report and the invoice for the next month",
           {"client_name", "month", "summary", "invoice_number", "amount", "currency", "due_date",
            "payment_details"},
           {"month", "invoice_number", "amount"}),
      Spec("stage_changed", kTelegram, "client: a stage of the work started or finished",
           {"client_name", "task_name", "stage_name"}, {"stage_name"}),
      Spec("staff_chat_migrated", kTelegram,
           "staff chat: Telegram made the staff group a supergroup; set the new id in the config",
           {"old_chat_id", "new_chat_id"}, {"new_chat_id"}),
      Spec("staff_money_in", kTelegram, "staff chat: money in, counted towards an invoice",
           {"client_name", "amount", "currency", "invoice_number", "task_number", "task_url",
            "remaining", "source"},
           {"amount", "invoice_number"}),
      Spec("staff_money_digest", kTelegram,
           "staff chat: the daily digest of money in since the previous one and overdue invoices",
           {"date", "since", "money_in", "money_in_total", "payments", "overdue", "overdue_total",
            "overdue_count"},
           {"date"}),
      Spec("staff_payment_unmatched", kTelegram,
           "staff chat: an incoming payment that matches no invoice, kept for a person",
           {"payment", "amount", "currency", "payer", "purpose", "reason"}, {"payment", "reason"}),
      Spec("staff_status_not_in_process", kTelegram,
           "staff chat: a status the service would set is not in the task's process (told once "
           "per process and status)",
           {"status", "config_keys", "process", "process_statuses", "task_number", "task_url"},
           {"status", "process", "task_number"}),
      Spec("staff_unreachable_client", kTelegram,
           "staff chat: a client cannot be reached in Telegram",
           {"client_name", "task_number", "task_url", "reason"}, {"client_name", "reason"}),
      Spec("staff_webhook_delivery_error", kTelegram,
           "staff chat: Telegram reports that it cannot deliver updates to the webhook",
           {"error_message", "error_time", "webhook_url"}, {"error_message"}),
      Spec("staff_webhook_url_changed", kTelegram,
           "staff chat: the bot's webhook is not telegram.webhook_url any more",
           {"webhook_url", "telegram_url"}, {"webhook_url"}),
      Spec("time_alert", kTelegram,
           "staff chat: a deal's communication has cost more than the configured share of its "
           "amount (once per deal)",
           {"deal_number", "deal_name", "deal_url", "communication_cost", "communication_hours",
            "amount", "share", "currency"},
           {"deal_number", "communication_cost", "amount"}),
      Spec("time_summary", kTelegram,
           "staff chat: the caption of the month's communication-vs-production chart (at most "
           "1024 characters): totals, time saved, the deals whose communication cost more than "
           "their work",
           {"month", "communication_hours", "communication_cost", "production_hours",
            "production_cost", "saved_hours", "currency", "over_count", "deals"},
           {"month", "communication_hours", "production_hours"}),
      Spec("time_summary_chart", kTelegram,
           "the month's chart: three lines, its title, then the names of the communication and "
           "the production series",
           {"month"}, {"month"}),
      Spec("work_started", kTelegram, "client: work on the project has started",
           {"client_name", "project_name", "task_name"}, {}),
  };
}

std::string_view Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  if (!(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
  });
}

struct ScanResult {
  std::vector<std::string> used;  // variable and section names, sorted, unique
  std::vector<std::string> problems;
};

// A deliberately small Mustache tag scanner: enough to list the variables a text uses and to
// reject the constructs we forbid. kainjow then confirms the text parses.
ScanResult Scan(std::string_view text) {
  ScanResult result;
  std::set<std::string> used;
  std::vector<std::string> open_sections;
  std::size_t pos = 0;
  const auto line_of = [&](std::size_t offset) {
    return 1 + std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(offset), '\n');
  };
  while ((pos = text.find("{{", pos)) != std::string_view::npos) {
    const auto line = line_of(pos);
    if (text.substr(pos, 3) == "{{{") {
      result.problems.push_back(fmt::format(
          "line {}: triple mustache {{{{{{...}}}}}} is not allowed (every value is HTML-escaped)",
          line));
      const auto end = text.find("}}}", pos);
      if (end == std::string_view::npos) break;
      pos = end + 3;
      continue;
    }
    const auto end = text.find("}}", pos + 2);
    if (end == std::string_view::npos) {
      result.problems.push_back(fmt::format("line {}: tag opened with {{{{ is never closed", line));
      break;
    }
    const std::string_view content = Trim(text.substr(pos + 2, end - pos - 2));
    pos = end + 2;
    const char kind = content.empty() ? ' ' : content[0];
    std::string_view name = content;
    switch (kind) {
      case '!':
        continue;
      case '&':
        result.problems.push_back(fmt::format(
            "line {}: {{{{&...}}}} is not allowed (every value is HTML-escaped)", line));
        continue;
      case '>':
        result.problems.push_back(
            fmt::format("line {}: partials ({{{{>...}}}}) are not allowed", line));
        continue;
      case '=':
        result.problems.push_back(
            fmt::format("line {}: changing delimiters ({{{{=...=}}}}) is not allowed", line));
        continue;
      case '#':
      case '^':
      case '/':
        name = Trim(content.substr(1));
        break;
      default:
        break;
    }
    if (!IsValidName(name)) {
      result.problems.push_back(fmt::format(
          "line {}: \"{{{{{}}}}}\" is not a valid variable name (letters, digits and _)", line,
          content));
      continue;
    }
    if (kind == '#' || kind == '^') {
      open_sections.emplace_back(name);
    } else if (kind == '/') {
      if (open_sections.empty() || open_sections.back() != name) {
        result.problems.push_back(
            fmt::format("line {}: {{{{/{}}}}} closes no open section", line, name));
      } else {
        open_sections.pop_back();
      }
      continue;
    }
    used.emplace(name);
  }
  for (const auto& section : open_sections) {
    result.problems.push_back(fmt::format("section {{{{#{}}}}} is never closed", section));
  }
  result.used.assign(used.begin(), used.end());
  return result;
}

std::vector<std::string> CheckAgainstSpec(const ScanResult& scan, const TemplateSpec& spec) {
  std::vector<std::string> problems;
  for (const auto& name : scan.used) {
    if (std::find(spec.variables.begin(), spec.variables.end(), name) == spec.variables.end()) {
      problems.push_back(fmt::format(
          "uses {{{{{}}}}}, which the service does not supply to \"{}\" (it supplies: {})", name,
          spec.name,
          spec.variables.empty() ? "nothing" : fmt::format("{}", fmt::join(spec.variables, ", "))));
    }
  }
  for (const auto& name : spec.must_use) {
    if (!std::binary_search(scan.used.begin(), scan.used.end(), name)) {
      problems.push_back(
          fmt::format("does not use {{{{{}}}}}, which \"{}\" must show", name, spec.name));
    }
  }
  return problems;
}

// The markup Telegram's HTML parse mode accepts (anything else makes sendMessage fail with
// "can't parse entities"): these tags, and only &lt; &gt; &amp; &quot; and numeric entities.
constexpr std::string_view kTelegramTags[] = {
    "a",   "b", "blockquote", "code",   "del",    "em",       "i",          "ins",
    "pre", "s", "span",       "strike", "strong", "tg-emoji", "tg-spoiler", "u",
};

bool IsTelegramTag(std::string_view name) {
  return std::find(std::begin(kTelegramTags), std::end(kTelegramTags), name) !=
         std::end(kTelegramTags);
}

bool IsTelegramEntity(std::string_view rest) {
  for (std::string_view named : {"lt;", "gt;", "amp;", "quot;"}) {
    if (rest.starts_with(named)) return true;
  }
  if (!rest.starts_with("#")) return false;
  rest.remove_prefix(1);
  const bool hex = rest.starts_with("x") || rest.starts_with("X");
  if (hex) rest.remove_prefix(1);
  std::size_t digits = 0;
  while (digits < rest.size() && (hex ? std::isxdigit(static_cast<unsigned char>(rest[digits]))
                                      : std::isdigit(static_cast<unsigned char>(rest[digits])))) {
    ++digits;
  }
  return digits > 0 && digits < rest.size() && rest[digits] == ';';
}

// The template's static text with every value as `value` and every section tag removed: what
// Telegram's parser must accept, whichever sections render (values are escaped text).
std::string MarkupProbe(std::string_view text, std::string_view value) {
  std::string probe;
  for (std::size_t pos = 0; pos < text.size();) {
    const auto open = text.find("{{", pos);
    const auto close = open == std::string_view::npos ? open : text.find("}}", open + 2);
    if (close == std::string_view::npos) {
      probe += text.substr(pos);
      break;
    }
    probe += text.substr(pos, open - pos);
    const char sigil = open + 2 < text.size() ? text[open + 2] : '}';
    if (sigil != '#' && sigil != '^' && sigil != '/' && sigil != '!') probe += value;
    pos = close + 2;
  }
  return probe;
}

// Checks the template's own markup (values are escaped when rendered, so only the static text
// matters): Telegram's tags only, properly nested, and no bare & or <; then the whole markup
// with Telegram's own parser (attribute syntax and the rest).
std::vector<std::string> CheckTelegramHtml(std::string_view text) {
  std::vector<std::string> problems;
  std::vector<std::string> open_tags;
  // Per open section, how many tags were open where it began: a tag opened inside a section
  // must close inside it, or some values would leave it open (or close it twice).
  std::vector<std::size_t> section_tags;
  std::size_t line = 1;
  for (std::size_t pos = 0; pos < text.size(); ++pos) {
    const char ch = text[pos];
    if (ch == '\n') {
      ++line;
    } else if (text.substr(pos, 2) == "{{") {
      const auto end = text.find("}}", pos + 2);
      if (end == std::string_view::npos) break;  // reported by Scan
      const char sigil = pos + 2 < end ? text[pos + 2] : '}';
      if (sigil == '#' || sigil == '^') {
        section_tags.push_back(open_tags.size());
      } else if (sigil == '/' && !section_tags.empty()) {
        if (open_tags.size() > section_tags.back()) {
          problems.push_back(fmt::format(
              "line {}: <{}> opened inside a section must be closed before the section ends", line,
              open_tags.back()));
          open_tags.resize(section_tags.back());
        }
        section_tags.pop_back();
      }
      pos = end + 1;
    } else if (ch == '&') {
      if (!IsTelegramEntity(text.substr(pos + 1))) {
        problems.push_back(
            fmt::format("line {}: a bare & is not valid in Telegram HTML (write &amp;)", line));
      }
    } else if (ch == '>') {
      problems.push_back(
          fmt::format("line {}: a bare > is not valid in Telegram HTML (write &gt;)", line));
    } else if (ch == '<') {
      const auto end = text.find('>', pos);
      if (end == std::string_view::npos) {
        problems.push_back(
            fmt::format("line {}: a bare < is not valid in Telegram HTML (write &lt;)", line));
        continue;
      }
      std::string_view tag = text.substr(pos + 1, end - pos - 1);
      line += static_cast<std::size_t>(std::count(tag.begin(), tag.end(), '\n'));
      pos = end;
      const bool closing = tag.starts_with("/");
      if (closing) tag.remove_prefix(1);
      const std::string name(tag.substr(0, tag.find_first_of(" \t\n/")));
      if (!IsTelegramTag(name)) {
        problems.push_back(fmt::format(
            "line {}: <{}> is not supported by Telegram's HTML (use b, i, u, s, a, code, pre, "
            "blockquote, tg-spoiler; a line break is a plain newline)",
            line, name));
        continue;
      }
      if (!closing) {
        open_tags.push_back(name);
      } else if (!section_tags.empty() && open_tags.size() <= section_tags.back()) {
        problems.push_back(fmt::format(
            "line {}: </{}> inside a section closes a tag opened outside it", line, name));
      } else if (open_tags.empty() || open_tags.back() != name) {
        problems.push_back(fmt::format("line {}: </{}> closes no open <{}>", line, name, name));
      } else {
        open_tags.pop_back();
      }
    }
  }
  for (const auto& name : open_tags) {
    problems.push_back(fmt::format("<{}> is never closed", name));
  }
  if (problems.empty()) {
    // A value is escaped text, but inside a tag it is part of the attribute syntax, so the
    // markup must also parse when a value holds spaces, quotes, '=' and entities.
    const std::string markup_value = EscapeHtml("<b x=\"1\">Ім'я & </b>");
    for (const auto& [value, label] : {std::pair<std::string_view, std::string_view>{"x", "x"},
                                       {markup_value, "text with markup in it"}}) {
      if (auto parsed = telegram::ParseHtml(MarkupProbe(text, value)); !parsed) {
        problems.push_back(fmt::format("Telegram would refuse the markup: {} (each value as {})",
                                       parsed.error().message, label));
        break;
      }
    }
  }
  return problems;
}

std::optional<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return buffer.str();
}

}  // namespace

const std::vector<TemplateSpec>& Registry() {
  static const std::vector<TemplateSpec> registry = BuildRegistry();
  return registry;
}

const TemplateSpec* FindSpec(std::string_view name) {
  for (const auto& spec : Registry()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::vector<std::string> RequiredVariables(std::string_view name) {
  const TemplateSpec* spec = FindSpec(name);
  return spec != nullptr ? spec->variables : std::vector<std::string>{};
}

std::string EscapeHtml(std::string_view text) {
  std::string escaped;
  escaped.reserve(text.size() + text.size() / 8);
  for (char ch : text) {
    switch (ch) {
      case '&':
        escaped += "&amp;";
        break;
      case '<':
        escaped += "&lt;";
        break;
      case '>':
        escaped += "&gt;";
        break;
      case '"':
        escaped += "&quot;";
        break;
      default:
        escaped += ch;
    }
  }
  return escaped;
}

std::vector<std::string> CheckTemplateText(std::string_view text, const TemplateSpec* spec) {
  // Rendered texts travel in JSON requests, which must be UTF-8 (nlohmann throws otherwise).
  if (!telegram::IsValidUtf8(text)) return {"is not valid UTF-8"};
  ScanResult scan = Scan(text);
  std::vector<std::string> problems = std::move(scan.problems);
  if (problems.empty()) {
    const kainjow::mustache::mustache parsed{std::string(text)};
    if (!parsed.is_valid()) problems.push_back("does not parse: " + parsed.error_message());
  }
  if (spec != nullptr) {
    for (auto& problem : CheckAgainstSpec(scan, *spec)) problems.push_back(std::move(problem));
    if (spec->channel == Channel::kTelegram) {
      for (auto& problem : CheckTelegramHtml(text)) problems.push_back(std::move(problem));
    }
  }
  return problems;
}

TemplateLoadResult TemplateSet::Load(const fs::path& dir, const std::vector<std::string>& languages,
                                     const std::string& default_language) {
  TemplateLoadResult result;
  std::error_code error;
  if (!fs::is_directory(dir, error)) {
    result.problems.push_back({dir.string(), "is not a readable directory"});
    return result;
  }
  if (std::find(languages.begin(), languages.end(), default_language) == languages.end()) {
    result.problems.push_back(
        {dir.string(), fmt::format("the default language \"{}\" is not loaded", default_language)});
  }
  std::map<std::string, std::map<std::string, std::string>> texts;
  for (const auto& language : languages) {
    const fs::path language_dir = dir / language;
    if (!fs::is_directory(language_dir, error)) {
      result.problems.push_back({language_dir.string(), "is not a readable directory"});
      continue;
    }
    auto& by_name = texts[language];
    for (const auto& spec : Registry()) {
      const fs::path file = language_dir / (spec.name + std::string(kExtension));
      if (!fs::exists(file, error)) {
        result.problems.push_back({file.string(), "is missing (" + spec.purpose + ")"});
        continue;
      }
      auto text = ReadFile(file);
      if (!text) {
        result.problems.push_back({file.string(), "cannot be read"});
        continue;
      }
      for (auto& problem : CheckTemplateText(*text, &spec)) {
        result.problems.push_back({file.string(), std::move(problem)});
      }
      by_name[spec.name] = std::move(*text);
    }
    for (fs::directory_iterator it(language_dir, error), end; !error && it != end;
         it.increment(error)) {
      const fs::path& path = it->path();
      if (path.extension() != kExtension) continue;
      if (FindSpec(path.stem().string()) == nullptr) {
        result.problems.push_back(
            {path.string(), "is not a template the service knows (a typo in the file name?)"});
      }
    }
    if (error)
      result.problems.push_back({language_dir.string(), "cannot be listed: " + error.message()});
  }
  if (!result.problems.empty()) return result;
  return FromTexts(texts, default_language);
}

TemplateLoadResult TemplateSet::FromTexts(
    const std::map<std::string, std::map<std::string, std::string>>& texts,
    const std::string& default_language) {
  TemplateLoadResult result;
  std::shared_ptr<TemplateSet> set(new TemplateSet());
  set->default_language_ = default_language;
  for (const auto& [language, by_name] : texts) {
    for (const auto& [name, source] : by_name) {
      const std::string where = fmt::format("{} ({})", name, language);
      const TemplateSpec* spec = FindSpec(name);
      if (spec == nullptr) {
        result.problems.push_back({where, "is not a template the service knows"});
        continue;
      }
      for (auto& problem : CheckTemplateText(source, spec)) {
        result.problems.push_back({where, std::move(problem)});
      }
      set->texts_[language][name] = Text{source, Scan(source).used};
    }
  }
  if (set->texts_.find(default_language) == set->texts_.end()) {
    result.problems.push_back({default_language, "the default language has no templates"});
  }
  if (result.problems.empty()) result.set = std::move(set);
  return result;
}

core::Result<std::string> TemplateSet::Render(std::string_view name, std::string_view language,
                                              const Values& values) const {
  auto by_language = texts_.find(language);
  if (by_language == texts_.end()) by_language = texts_.find(default_language_);
  if (by_language == texts_.end()) {
    return core::Fail(core::ErrorCode::kNotFound, "no templates for the default language");
  }
  const auto text = by_language->second.find(name);
  if (text == by_language->second.end()) {
    return core::Fail(
        core::ErrorCode::kNotFound,
        fmt::format("no template \"{}\" in language \"{}\"", name, by_language->first));
  }
  // Every declared variable is required, not only those this language's text uses: a caller
  // tested against one language must not fail in another.
  std::vector<std::string> missing;
  if (const TemplateSpec* spec = FindSpec(name); spec != nullptr) {
    for (const auto& variable : spec->variables) {
      if (values.find(variable) == values.end()) missing.push_back(variable);
    }
  }
  kainjow::mustache::data data{kainjow::mustache::data::type::object};
  for (const auto& variable : text->second.used_variables) {
    const auto value = values.find(variable);
    if (value == values.end()) {
      if (std::find(missing.begin(), missing.end(), variable) == missing.end()) {
        missing.push_back(variable);
      }
    } else if (value->second.empty()) {
      data.set(variable, kainjow::mustache::data{false});
    } else {
      data.set(variable, kainjow::mustache::data{value->second});
    }
  }
  if (!missing.empty()) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      fmt::format("template \"{}\" ({}) needs variables that were not supplied: {}",
                                  name, by_language->first, fmt::join(missing, ", ")));
  }
  kainjow::mustache::mustache mustache{text->second.source};
  // Planfix comments are HTML, where a newline is only a space: a value's line breaks (the
  // answers of a brief, one a line) become <br>, as the comment's own markup writes them.
  // Telegram's HTML parse mode keeps newlines as they are.
  const TemplateSpec* spec = FindSpec(name);
  const bool comment = spec != nullptr && spec->channel == Channel::kPlanfixComment;
  mustache.set_custom_escape([comment](const std::string& raw) {
    std::string escaped = EscapeHtml(raw);
    if (!comment) return escaped;
    std::string html;
    html.reserve(escaped.size());
    for (const char ch : escaped) {
      if (ch == '\n') {
        html += "<br>";
      } else if (ch != '\r') {
        html += ch;
      }
    }
    return html;
  });
  std::string rendered = mustache.render(data);
  if (!mustache.is_valid()) {
    return core::Fail(core::ErrorCode::kInternal,
                      fmt::format("template \"{}\" ({}) failed to render: {}", name,
                                  by_language->first, mustache.error_message()));
  }
  return std::string(Trim(rendered));
}

bool TemplateSet::Has(std::string_view name, std::string_view language) const {
  const auto by_language = texts_.find(language);
  return by_language != texts_.end() && by_language->second.find(name) != by_language->second.end();
}

std::vector<std::string> TemplateSet::languages() const {
  std::vector<std::string> names;
  for (const auto& [language, by_name] : texts_) names.push_back(language);
  return names;
}

std::size_t TemplateSet::size() const {
  std::size_t count = 0;
  for (const auto& [language, by_name] : texts_) count += by_name.size();
  return count;
}

}  // namespace planfix_flow::templates
