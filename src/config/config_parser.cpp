// Reads the TOML file into a Config: syntax, presence, types and unknown keys. The semantic
// checks (ranges, URLs, secrets, calendar, templates) are in config_validator.cpp.
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "planfix_flow/config/config.h"
#include "planfix_flow/http/client_address.h"

namespace planfix_flow::config {

namespace {

namespace fs = std::filesystem;

enum class Need { kRequired, kOptional };

std::string Join(std::string_view prefix, std::string_view key) {
  if (prefix.empty()) return std::string(key);
  return fmt::format("{}.{}", prefix, key);
}

std::string_view TypeName(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a floating-point number";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

// Levenshtein distance, for "did you mean" hints on unknown keys.
std::size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// A table being read and its key path ("" for the root). A null table means the section is
// absent (already reported if it was required): reads from it quietly find nothing.
struct Section {
  const toml::table* table = nullptr;
  std::string path;
};

// Typed reads that record every problem with its key path and remember which keys the schema
// knows, so that anything else in the file can be reported as unknown.
class Reader {
 public:
  explicit Reader(std::vector<Problem>& problems) : problems_(problems) {}

  void Add(std::string key_path, std::string message) {
    problems_.push_back(Problem{std::move(key_path), std::move(message)});
  }

  Section Table(const Section& parent, std::string_view key, Need need) {
    const std::string path = Join(parent.path, key);
    const toml::node* node = Find(parent, key, need, path);
    if (node == nullptr) return {nullptr, path};
    if (!node->is_table()) {
      WrongType(path, "a table", *node);
      return {nullptr, path};
    }
    return {node->as_table(), path};
  }

  template <typename T>
  void Int(const Section& section, std::string_view key, Need need, T& out) {
    const std::string path = Join(section.path, key);
    const toml::node* node = Find(section, key, need, path);
    if (node == nullptr) return;
    const auto* integer = node->as_integer();
    if (integer == nullptr) {
      WrongType(path, "an integer", *node);
      return;
    }
    const std::int64_t value = integer->get();
    if (value < static_cast<std::int64_t>(std::numeric_limits<T>::min()) ||
        static_cast<std::uint64_t>(std::max<std::int64_t>(value, 0)) >
            static_cast<std::uint64_t>(std::numeric_limits<T>::max())) {
      Add(path, fmt::format("{} is out of range", value));
      return;
    }
    out = static_cast<T>(value);
  }

  void String(const Section& section, std::string_view key, Need need, std::string& out) {
    const std::string path = Join(section.path, key);
    const toml::node* node = Find(section, key, need, path);
    if (node == nullptr) return;
    const auto* text = node->as_string();
    if (text == nullptr) {
      WrongType(path, "a string", *node);
      return;
    }
    out = text->get();
  }

  void Bool(const Section& section, std::string_view key, Need need, bool& out) {
    const std::string path = Join(section.path, key);
    const toml::node* node = Find(section, key, need, path);
    if (node == nullptr) return;
    const auto* flag = node->as_boolean();
    if (flag == nullptr) {
      WrongType(path, "a boolean (true or false)", *node);
      return;
    }
    out = flag->get();
  }

  // An array of strings; each element is handed to `parse` with its own key path.
  template <typename Parse>
  bool StringArray(const Section& section, std::string_view key, Need need, Parse parse) {
    const std::string path = Join(section.path, key);
    const toml::node* node = Find(section, key, need, path);
    if (node == nullptr) return false;
    const auto* array = node->as_array();
    if (array == nullptr) {
      WrongType(path, "an array of strings", *node);
      return false;
    }
    for (std::size_t index = 0; index < array->size(); ++index) {
      const std::string element_path = fmt::format("{}[{}]", path, index);
      const toml::node& element = *array->get(index);
      if (const auto* text = element.as_string()) {
        parse(element_path, text->get());
      } else if (const auto* date = element.as_date()) {
        // A bare TOML date (2026-12-25) reads as its text.
        const auto& value = date->get();
        parse(element_path, fmt::format("{:04}-{:02}-{:02}", value.year, value.month, value.day));
      } else {
        WrongType(element_path, "a string", element);
      }
    }
    return true;
  }

  // An array of integers; true when present.
  bool IntArray(const Section& section, std::string_view key, Need need,
                std::vector<std::int64_t>& out) {
    const std::string path = Join(section.path, key);
    const toml::node* node = Find(section, key, need, path);
    if (node == nullptr) return false;
    const auto* array = node->as_array();
    if (array == nullptr) {
      WrongType(path, "an array of integers", *node);
      return false;
    }
    out.clear();
    for (std::size_t index = 0; index < array->size(); ++index) {
      const toml::node& element = *array->get(index);
      if (const auto* integer = element.as_integer()) {
        out.push_back(integer->get());
      } else {
        WrongType(fmt::format("{}[{}]", path, index), "an integer", element);
      }
    }
    return true;
  }

  // The keys of a table whose keys are data (employee ids, message kinds), each marked known.
  std::vector<std::string> Keys(const Section& section) {
    std::vector<std::string> keys;
    if (section.table == nullptr) return keys;
    for (auto&& [key, node] : *section.table) {
      keys.emplace_back(key.str());
      known_.insert(Join(section.path, key.str()));
    }
    return keys;
  }

  // An array of tables ([[brief.answers]]); returns one Section per element.
  std::vector<Section> TableArray(const Section& section, std::string_view key, Need need) {
    const std::string path = Join(section.path, key);
    const toml::node* node = Find(section, key, need, path);
    std::vector<Section> elements;
    if (node == nullptr) return elements;
    const auto* array = node->as_array();
    if (array == nullptr || (!array->empty() && !array->is_array_of_tables())) {
      WrongType(path, fmt::format("an array of tables ([[{}]])", path), *node);
      return elements;
    }
    for (std::size_t index = 0; index < array->size(); ++index) {
      const std::string element_path = fmt::format("{}[{}]", path, index);
      known_.insert(element_path);
      elements.push_back({array->get(index)->as_table(), element_path});
    }
    return elements;
  }

  // Reports every key in the file that no read asked for.
  void ReportUnknownKeys(const toml::table& root) { Walk(root, ""); }

 private:
  const toml::node* Find(const Section& section, std::string_view key, Need need,
                         const std::string& path) {
    known_.insert(path);
    if (section.table == nullptr) return nullptr;
    const toml::node* node = section.table->get(key);
    if (node == nullptr && need == Need::kRequired) Add(path, "is missing (required)");
    return node;
  }

  void WrongType(const std::string& path, std::string_view expected, const toml::node& node) {
    std::string found(TypeName(node));
    if (const auto* text = node.as_string(); text != nullptr && text->get().size() <= 40) {
      found += fmt::format(" (\"{}\")", text->get());
    }
    Add(path, fmt::format("expected {}, found {}", expected, found));
  }

  void Walk(const toml::table& table, const std::string& prefix) {
    for (auto&& [key, node] : table) {
      const std::string path = Join(prefix, key.str());
      if (known_.count(path) == 0) {
        Add(path, fmt::format("unknown {}{}", node.is_table() ? "section" : "key",
                              Suggestion(prefix, key.str())));
        continue;
      }
      if (const auto* child = node.as_table()) {
        Walk(*child, path);
      } else if (const auto* array = node.as_array();
                 array != nullptr && array->is_array_of_tables()) {
        for (std::size_t index = 0; index < array->size(); ++index) {
          Walk(*array->get(index)->as_table(), fmt::format("{}[{}]", path, index));
        }
      }
    }
  }

  // " (did you mean \"x\"?)" for the nearest known key in the same table, if close enough.
  std::string Suggestion(const std::string& prefix, std::string_view key) const {
    std::string best;
    std::size_t best_distance = 3;
    for (const auto& known : known_) {
      std::string_view name = known;
      if (!prefix.empty()) {
        if (!name.starts_with(prefix) || name.size() <= prefix.size() ||
            name[prefix.size()] != '.') {
          continue;
        }
        name.remove_prefix(prefix.size() + 1);
      }
      if (name.find('.') != std::string_view::npos || name.find('[') != std::string_view::npos) {
        continue;
      }
      const std::size_t distance = EditDistance(name, key);
      if (distance < best_distance) {
        best_distance = distance;
        best = std::string(name);
      }
    }
    return best.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", best);
  }

  std::vector<Problem>& problems_;
  std::set<std::string> known_;
};

// Reads a string and maps it through `choices`; reports the allowed values otherwise.
template <typename E>
void Choice(Reader& reader, const Section& section, std::string_view key, Need need,
            const std::vector<std::pair<std::string_view, E>>& choices, E& out) {
  std::string text;
  bool present = false;
  reader.String(section, key, need, text);
  for (const auto& [name, value] : choices) {
    if (text == name) {
      out = value;
      present = true;
    }
  }
  if (!present && !text.empty()) {
    std::vector<std::string_view> names;
    names.reserve(choices.size());
    for (const auto& choice : choices) names.push_back(choice.first);
    reader.Add(Join(section.path, key),
               fmt::format("\"{}\" is not one of: {}", text, fmt::join(names, ", ")));
  }
}

const std::vector<std::pair<std::string_view, std::optional<FieldType>>> kFieldTypes = {
    {"line", FieldType::kLine},     {"text", FieldType::kText},
    {"number", FieldType::kNumber}, {"date", FieldType::kDate},
    {"time", FieldType::kTime},     {"checkbox", FieldType::kCheckbox},
    {"list", FieldType::kList},     {"set", FieldType::kSetOfValues},
};

const std::vector<std::pair<std::string_view, ContactData>> kContactData = {
    {"name", ContactData::kName},
    {"email", ContactData::kEmail},
    {"phone", ContactData::kPhone},
    {"telegram", ContactData::kTelegram},
};

void ReadServer(Reader& reader, const Section& root, ServerConfig& server) {
  const Section section = reader.Table(root, "server", Need::kOptional);
  reader.String(section, "host", Need::kOptional, server.host);
  reader.Int(section, "port", Need::kOptional, server.port);
  reader.Int(section, "body_limit_bytes", Need::kOptional, server.body_limit_bytes);
  reader.Int(section, "threads", Need::kOptional, server.threads);
  reader.Int(section, "max_connections", Need::kOptional, server.max_connections);
  reader.Int(section, "max_connections_per_address", Need::kOptional,
             server.max_connections_per_address);
  // Checked here, where each element's key path is known (ValidateConfig checks them again
  // for configs built in code); a bad one is left out, so it is reported once.
  std::vector<std::string> trusted;
  if (reader.StringArray(section, "trusted_proxies", Need::kOptional,
                         [&](const std::string& path, const std::string& text) {
                           if (auto range = http::ParseIpRange(text)) {
                             trusted.push_back(text);
                           } else {
                             reader.Add(path, range.error().message);
                           }
                         })) {
    server.trusted_proxies = std::move(trusted);
  }
  reader.Int(section, "keep_alive_seconds", Need::kOptional, server.keep_alive_seconds);
  reader.Int(section, "read_timeout_seconds", Need::kOptional, server.read_timeout_seconds);
  reader.Int(section, "planfix_dedupe_window_seconds", Need::kOptional,
             server.planfix_dedupe_window_seconds);
}

void ReadStorage(Reader& reader, const Section& root, StorageConfig& storage) {
  const Section section = reader.Table(root, "storage", Need::kRequired);
  reader.String(section, "path", Need::kRequired, storage.path);
  Choice<SqliteSynchronous>(
      reader, section, "synchronous", Need::kOptional,
      {{"full", SqliteSynchronous::kFull}, {"normal", SqliteSynchronous::kNormal}},
      storage.synchronous);
  reader.Int(section, "retention_days", Need::kOptional, storage.retention_days);
}

// A key the service once documented and no longer reads: named with `why` rather than only
// "unknown key". Read as an integer first, so it is not also reported as unknown.
void RetiredKey(Reader& reader, const Section& section, const char* key, const char* why) {
  std::int64_t ignored = 0;
  reader.Int(section, key, Need::kOptional, ignored);
  if (section.table != nullptr && section.table->contains(key)) {
    reader.Add(Join(section.path, key), why);
  }
}

void ReadPlanfix(Reader& reader, const Section& root, PlanfixConfig& planfix) {
  const Section section = reader.Table(root, "planfix", Need::kRequired);
  reader.String(section, "base_url", Need::kRequired, planfix.base_url);
  reader.String(section, "web_url", Need::kRequired, planfix.web_url);
  reader.String(section, "account", Need::kRequired, planfix.account);
  reader.Int(section, "min_interval_ms", Need::kOptional, planfix.min_interval_ms);
  reader.Int(section, "request_timeout_seconds", Need::kOptional, planfix.request_timeout_seconds);

  const Section statuses = reader.Table(section, "statuses", Need::kRequired);
  auto& s = planfix.statuses;
  reader.Int(statuses, "handed_to_production", Need::kRequired, s.handed_to_production);
  reader.Int(statuses, "returned_to_sales", Need::kRequired, s.returned_to_sales);
  reader.Int(statuses, "in_production", Need::kRequired, s.in_production);
  reader.Int(statuses, "awaiting_approval", Need::kRequired, s.awaiting_approval);
  reader.Int(statuses, "brief_requested", Need::kOptional, s.brief_requested);
  reader.Int(statuses, "brief_filled", Need::kOptional, s.brief_filled);
  reader.Int(statuses, "approved", Need::kOptional, s.approved);
  reader.Int(statuses, "rework", Need::kOptional, s.rework);
  RetiredKey(reader, statuses, "completed",
             "is no longer read (nothing set or watched it); remove it, and put a status the "
             "client should hear about in [[stages]]");

  const Section processes = reader.Table(section, "processes", Need::kOptional);
  reader.Int(processes, "deal", Need::kOptional, planfix.processes.deal);
  reader.Int(processes, "communication", Need::kOptional, planfix.processes.communication);

  const Section task_fields = reader.Table(section, "task_fields", Need::kRequired);
  auto& t = planfix.task_fields;
  reader.Int(task_fields, "work_type", Need::kRequired, t.work_type);
  reader.Int(task_fields, "amount", Need::kRequired, t.amount);
  reader.Int(task_fields, "payment_received", Need::kRequired, t.payment_received);
  reader.Int(task_fields, "access_granted", Need::kRequired, t.access_granted);
  RetiredKey(reader, task_fields, "communication_minutes",
             "is no longer read (nothing used it; time tracking will come with its own "
             "settings); remove it");

  const Section contact_fields = reader.Table(section, "contact_fields", Need::kRequired);
  auto& c = planfix.contact_fields;
  reader.Int(contact_fields, "telegram_chat_id", Need::kRequired, c.telegram_chat_id);
  reader.Int(contact_fields, "language", Need::kOptional, c.language);

  const Section handoff = reader.Table(section, "handoff", Need::kOptional);
  std::vector<std::vector<ContactData>> required;
  const bool present = reader.StringArray(
      handoff, "required_contact_data", Need::kOptional,
      [&](const std::string& path, const std::string& text) {
        // "phone|email": either will do.
        std::vector<ContactData> alternatives;
        std::size_t start = 0;
        for (;;) {
          const std::size_t bar = text.find('|', start);
          std::string name = text.substr(start, bar == std::string::npos ? bar : bar - start);
          name.erase(0, name.find_first_not_of(' '));
          name.erase(name.find_last_not_of(' ') + 1);
          const auto known = std::find_if(kContactData.begin(), kContactData.end(),
                                          [&](const auto& choice) { return choice.first == name; });
          if (known == kContactData.end()) {
            reader.Add(path, fmt::format("\"{}\" is not one of: name, email, phone, telegram "
                                         "(alternatives joined by |, e.g. \"phone|email\")",
                                         name));
            return;
          }
          if (std::find(alternatives.begin(), alternatives.end(), known->second) ==
              alternatives.end()) {
            alternatives.push_back(known->second);
          }
          if (bar == std::string::npos) break;
          start = bar + 1;
        }
        required.push_back(std::move(alternatives));
      });
  if (present) planfix.handoff_required_contact_data = std::move(required);
  reader.Int(handoff, "communication_template_id", Need::kOptional,
             planfix.communication_template_id);
  reader.String(handoff, "pm_user", Need::kOptional, planfix.pm_user);
  const Section gate = reader.Table(section, "gate", Need::kOptional);
  reader.Int(gate, "refused_status", Need::kOptional, planfix.gate_refused_status);
}

void ReadStages(Reader& reader, const Section& root, std::vector<StageNotice>& stages) {
  for (const Section& element : reader.TableArray(root, "stages", Need::kOptional)) {
    StageNotice stage;
    reader.Int(element, "status", Need::kRequired, stage.status);
    reader.String(element, "name", Need::kRequired, stage.name);
    reader.String(element, "template", Need::kOptional, stage.template_name);
    const Section names = reader.Table(element, "names", Need::kOptional);
    if (names.table != nullptr) {
      for (auto&& [language, node] : *names.table) {
        std::string name;
        reader.String(names, language.str(), Need::kOptional, name);
        stage.names[std::string(language.str())] = std::move(name);
      }
    }
    stages.push_back(std::move(stage));
  }
}

void ReadTelegram(Reader& reader, const Section& root, TelegramConfig& telegram) {
  const Section section = reader.Table(root, "telegram", Need::kRequired);
  reader.String(section, "base_url", Need::kOptional, telegram.base_url);
  reader.String(section, "bot_username", Need::kRequired, telegram.bot_username);
  reader.Int(section, "staff_chat_id", Need::kRequired, telegram.staff_chat_id);
  Choice<TelegramMode>(reader, section, "mode", Need::kOptional,
                       {{"webhook", TelegramMode::kWebhook}, {"polling", TelegramMode::kPolling}},
                       telegram.mode);
  reader.String(section, "webhook_url", Need::kOptional, telegram.webhook_url);
  reader.Int(section, "webhook_check_interval_minutes", Need::kOptional,
             telegram.webhook_check_interval_minutes);
  reader.Int(section, "polling_timeout_seconds", Need::kOptional, telegram.polling_timeout_seconds);
  reader.Int(section, "per_chat_interval_ms", Need::kOptional, telegram.per_chat_interval_ms);
  reader.Int(section, "group_messages_per_minute", Need::kOptional,
             telegram.group_messages_per_minute);
  reader.Int(section, "global_messages_per_second", Need::kOptional,
             telegram.global_messages_per_second);
}

void ReadGoogle(Reader& reader, const Section& root, GoogleConfig& google) {
  const Section section = reader.Table(root, "google", Need::kRequired);
  reader.String(section, "forms_base_url", Need::kOptional, google.forms_base_url);
  reader.String(section, "token_url", Need::kOptional, google.token_url);
  reader.String(section, "form_id", Need::kRequired, google.form_id);
  reader.String(section, "form_url", Need::kRequired, google.form_url);
  reader.String(section, "brief_code_entry", Need::kRequired, google.brief_code_entry);
  reader.String(section, "brief_code_question", Need::kOptional, google.brief_code_question);
  reader.Int(section, "reconcile_interval_minutes", Need::kOptional,
             google.reconcile_interval_minutes);
  reader.Int(section, "webhook_max_skew_seconds", Need::kOptional, google.webhook_max_skew_seconds);
}

void ReadBank(Reader& reader, const Section& root, BankConfig& bank) {
  const Section section = reader.Table(root, "bank", Need::kOptional);
  reader.Bool(section, "enabled", Need::kOptional, bank.enabled);
  reader.String(section, "provider", Need::kOptional, bank.provider);
  reader.String(section, "base_url", Need::kOptional, bank.base_url);
  reader.StringArray(
      section, "accounts", Need::kOptional,
      [&](const std::string&, const std::string& text) { bank.accounts.push_back(text); });
  reader.String(section, "public_base_url", Need::kOptional, bank.public_base_url);
  reader.Int(section, "reconcile_interval_seconds", Need::kOptional,
             bank.reconcile_interval_seconds);
  reader.Int(section, "lookback_days", Need::kOptional, bank.lookback_days);
}

void ReadInvoices(Reader& reader, const Section& root, InvoicesConfig& invoices) {
  const Section section = reader.Table(root, "invoices", Need::kOptional);
  invoices.enabled = section.table != nullptr;
  const Section fields = reader.Table(section, "fields", Need::kRequired);
  auto& f = invoices.fields;
  reader.Int(fields, "number", Need::kRequired, f.number);
  reader.Int(fields, "amount", Need::kRequired, f.amount);
  reader.Int(fields, "due_date", Need::kRequired, f.due_date);
  reader.Int(fields, "currency", Need::kOptional, f.currency);
  reader.Int(fields, "payment_details", Need::kOptional, f.payment_details);
  reader.Int(fields, "paid", Need::kOptional, f.paid);
  reader.Int(fields, "paid_amount", Need::kOptional, f.paid_amount);
  const Section statuses = reader.Table(section, "statuses", Need::kOptional);
  reader.Int(statuses, "issued", Need::kOptional, invoices.statuses.issued);
  reader.Int(statuses, "paid", Need::kOptional, invoices.statuses.paid);
  reader.Int(statuses, "returned", Need::kOptional, invoices.statuses.returned);
  const Section payer = reader.Table(section, "payer_fields", Need::kOptional);
  reader.Int(payer, "edrpou", Need::kOptional, invoices.payer_fields.edrpou);
  reader.Int(payer, "iban", Need::kOptional, invoices.payer_fields.iban);
  reader.String(section, "default_currency", Need::kOptional, invoices.default_currency);
  reader.Int(section, "reminder_interval_working_days", Need::kOptional,
             invoices.reminder_interval_working_days);
  reader.Int(section, "max_reminders", Need::kOptional, invoices.max_reminders);
  reader.Bool(section, "escalate_to_staff", Need::kOptional, invoices.escalate_to_staff);
  const Section income = reader.Table(section, "income", Need::kOptional);
  invoices.income.enabled = income.table != nullptr;
  reader.Int(income, "data_tag", Need::kRequired, invoices.income.data_tag);
  const Section income_fields = reader.Table(income, "fields", Need::kRequired);
  auto& i = invoices.income.fields;
  reader.Int(income_fields, "amount", Need::kRequired, i.amount);
  reader.Int(income_fields, "date", Need::kOptional, i.date);
  reader.Int(income_fields, "invoice_number", Need::kOptional, i.invoice_number);
  reader.Int(income_fields, "payer", Need::kOptional, i.payer);
  reader.Int(income_fields, "purpose", Need::kOptional, i.purpose);
  const Section digest = reader.Table(section, "digest", Need::kOptional);
  reader.Bool(digest, "enabled", Need::kOptional, invoices.digest.enabled);
  reader.String(digest, "time", Need::kOptional, invoices.digest.time);
}

void ReadReport(Reader& reader, const Section& root, ReportConfig& report) {
  const Section section = reader.Table(root, "report", Need::kOptional);
  report.enabled = section.table != nullptr;
  reader.Int(section, "deal_template_id", Need::kRequired, report.deal_template_id);
  reader.Int(section, "retainer_field", Need::kRequired, report.retainer_field);
  reader.Int(section, "days_before_month_end", Need::kOptional, report.days_before_month_end);
  reader.String(section, "time", Need::kOptional, report.time);
  reader.Int(section, "template_id", Need::kRequired, report.template_id);
  reader.Int(section, "process_id", Need::kOptional, report.process_id);
  reader.Int(section, "sent_status", Need::kOptional, report.sent_status);
}

void ReadBrief(Reader& reader, const Section& root, BriefConfig& brief) {
  const Section section = reader.Table(root, "brief", Need::kRequired);
  reader.Int(section, "deadline_working_days", Need::kOptional, brief.deadline_working_days);
  reader.Int(section, "reminder_interval_working_days", Need::kOptional,
             brief.reminder_interval_working_days);
  reader.Int(section, "max_reminders", Need::kOptional, brief.max_reminders);
  reader.Bool(section, "escalate_to_staff", Need::kOptional, brief.escalate_to_staff);
  reader.String(section, "phone_question", Need::kOptional, brief.phone_question);
  for (const Section& element : reader.TableArray(section, "answers", Need::kRequired)) {
    BriefAnswer answer;
    reader.String(element, "question", Need::kRequired, answer.question);
    reader.Int(element, "field_id", Need::kRequired, answer.field_id);
    Choice<std::optional<FieldType>>(reader, element, "type", Need::kOptional, kFieldTypes,
                                     answer.type);
    const auto read_words = [&](std::string_view key, std::vector<std::string>& words) {
      reader.StringArray(element, key, Need::kOptional,
                         [&](const std::string& path, const std::string& text) {
                           if (text.find_first_not_of(" \t") == std::string::npos) {
                             reader.Add(path, "must not be empty");
                           } else {
                             words.push_back(text);
                           }
                         });
    };
    read_words("true_values", answer.true_values);
    read_words("false_values", answer.false_values);
    brief.answers.push_back(std::move(answer));
  }
}

void ReadCalendar(Reader& reader, const Section& root, calendar::CalendarSettings& settings) {
  const Section section = reader.Table(root, "calendar", Need::kOptional);
  reader.String(section, "time_zone", Need::kOptional, settings.time_zone);

  std::set<unsigned> weekdays;
  if (reader.StringArray(section, "working_days", Need::kOptional,
                         [&](const std::string& path, const std::string& text) {
                           auto weekday = calendar::ParseWeekday(text);
                           if (weekday) {
                             weekdays.insert(*weekday);
                           } else {
                             reader.Add(path, weekday.error().message);
                           }
                         })) {
    settings.working_weekdays = std::move(weekdays);
  }

  const auto read_time = [&](std::string_view key, bool end_of_day, calendar::LocalTime& out) {
    std::string text;
    reader.String(section, key, Need::kOptional, text);
    if (text.empty()) return;
    auto time = calendar::ParseLocalTime(text, end_of_day);
    if (time) {
      out = *time;
    } else {
      reader.Add(Join(section.path, key), time.error().message);
    }
  };
  read_time("work_start", false, settings.work_start);
  read_time("work_end", true, settings.work_end);

  const auto read_dates = [&](std::string_view key, std::vector<calendar::LocalDate>& out) {
    reader.StringArray(section, key, Need::kOptional,
                       [&](const std::string& path, const std::string& text) {
                         auto date = calendar::ParseLocalDate(text);
                         if (date) {
                           out.push_back(*date);
                         } else {
                           reader.Add(path, date.error().message);
                         }
                       });
  };
  read_dates("holidays", settings.holidays);
  read_dates("moved_working_days", settings.moved_working_days);
}

void ReadTemplates(Reader& reader, const Section& root, TemplatesConfig& templates) {
  const Section section = reader.Table(root, "templates", Need::kOptional);
  reader.String(section, "dir", Need::kOptional, templates.dir);
  reader.String(section, "default_language", Need::kOptional, templates.default_language);
  std::vector<std::string> languages;
  if (reader.StringArray(
          section, "languages", Need::kOptional,
          [&](const std::string&, const std::string& text) { languages.push_back(text); })) {
    templates.languages = std::move(languages);
  }
}

void ReadLimits(Reader& reader, const Section& root, LimitsConfig& limits) {
  const Section section = reader.Table(root, "limits", Need::kOptional);
  reader.Int(section, "job_max_attempts", Need::kOptional, limits.job_max_attempts);
  reader.Int(section, "backoff_base_seconds", Need::kOptional, limits.backoff_base_seconds);
  reader.Int(section, "backoff_max_seconds", Need::kOptional, limits.backoff_max_seconds);
}

void ReadSigning(Reader& reader, const Section& root, SigningConfig& signing) {
  const Section section = reader.Table(root, "signing", Need::kOptional);
  reader.Int(section, "previous_key_grace_days", Need::kOptional, signing.previous_key_grace_days);
}

void ReadLogging(Reader& reader, const Section& root, LoggingConfig& logging) {
  const Section section = reader.Table(root, "logging", Need::kOptional);
  reader.String(section, "level", Need::kOptional, logging.level);
}

void ReadTime(Reader& reader, const Section& root, TimeConfig& time) {
  const Section section = reader.Table(root, "time", Need::kOptional);
  reader.Int(section, "data_tag", Need::kOptional, time.data_tag);
  reader.Int(section, "sync_interval_minutes", Need::kOptional, time.sync_interval_minutes);
  reader.Int(section, "sync_window_days", Need::kOptional, time.sync_window_days);
  const Section fields = reader.Table(section, "fields", Need::kOptional);
  reader.Int(fields, "date", Need::kOptional, time.fields.date);
  reader.Int(fields, "duration", Need::kOptional, time.fields.duration);
  reader.String(fields, "duration_unit", Need::kOptional, time.fields.duration_unit);
  reader.Int(fields, "period", Need::kOptional, time.fields.period);
  reader.Int(fields, "employee", Need::kOptional, time.fields.employee);
  reader.Int(fields, "kind", Need::kOptional, time.fields.kind);

  const Section classify = reader.Table(section, "classify", Need::kOptional);
  auto& rule = time.classify;
  const auto strings = [&](std::string_view key, std::vector<std::string>& out) {
    reader.StringArray(classify, key, Need::kOptional,
                       [&](const std::string&, const std::string& text) { out.push_back(text); });
  };
  strings("communication_kinds", rule.communication_kinds);
  strings("production_kinds", rule.production_kinds);
  reader.IntArray(classify, "communication_templates", Need::kOptional,
                  rule.communication_templates);
  reader.IntArray(classify, "production_templates", Need::kOptional, rule.production_templates);
  reader.IntArray(classify, "communication_processes", Need::kOptional,
                  rule.communication_processes);
  reader.IntArray(classify, "production_processes", Need::kOptional, rule.production_processes);
  reader.String(classify, "fallback", Need::kOptional, rule.fallback);

  reader.String(section, "default_rate", Need::kOptional, time.default_rate);
  reader.Int(section, "rate_field", Need::kOptional, time.rate_field);
  reader.String(section, "currency", Need::kOptional, time.currency);
  reader.Int(section, "alert_share_percent", Need::kOptional, time.alert_share_percent);
  const Section rates = reader.Table(section, "rates", Need::kOptional);
  for (const auto& employee : reader.Keys(rates)) {
    std::string rate;
    reader.String(rates, employee, Need::kOptional, rate);
    time.rates[employee] = rate;
  }
  const Section automation = reader.Table(section, "automation_minutes", Need::kOptional);
  for (const auto& kind : reader.Keys(automation)) {
    int minutes = 0;
    reader.Int(automation, kind, Need::kOptional, minutes);
    time.automation_minutes[kind] = minutes;
  }
}

std::string Lookup(const Environment& env, std::string_view name) {
  const auto it = env.find(name);
  return it == env.end() ? std::string() : it->second;
}

std::string Resolve(const fs::path& base_dir, const std::string& path) {
  if (path.empty() || path == ":memory:") return path;
  const fs::path candidate(path);
  if (candidate.is_absolute()) return candidate.lexically_normal().string();
  return (base_dir / candidate).lexically_normal().string();
}

ConfigLoadResult ParseConfigNamed(std::string_view toml_text, const fs::path& base_dir,
                                  const Environment& env, const std::string& source_name) {
  ConfigLoadResult result;
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    result.problems.push_back({fmt::format("{}:{}:{}", source_name, begin.line, begin.column),
                               fmt::format("TOML syntax error: {}", error.description())});
    return result;
  }

  Config config;
  Reader reader(result.problems);
  const Section top{&root, ""};
  ReadServer(reader, top, config.server);
  ReadStorage(reader, top, config.storage);
  ReadPlanfix(reader, top, config.planfix);
  ReadTelegram(reader, top, config.telegram);
  ReadGoogle(reader, top, config.google);
  ReadBrief(reader, top, config.brief);
  ReadInvoices(reader, top, config.invoices);
  ReadReport(reader, top, config.report);
  ReadStages(reader, top, config.stages);
  ReadCalendar(reader, top, config.calendar);
  ReadTemplates(reader, top, config.templates);
  ReadLimits(reader, top, config.limits);
  ReadSigning(reader, top, config.signing);
  ReadLogging(reader, top, config.logging);
  ReadTime(reader, top, config.time);
  ReadBank(reader, top, config.bank);
  reader.ReportUnknownKeys(root);

  config.storage.path = Resolve(base_dir, config.storage.path);
  config.templates.dir = Resolve(base_dir, config.templates.dir);

  auto& secrets = config.secrets;
  secrets.planfix_token = Lookup(env, kEnvPlanfixToken);
  secrets.telegram_bot_token = Lookup(env, kEnvTelegramBotToken);
  secrets.telegram_webhook_secret = Lookup(env, kEnvTelegramWebhookSecret);
  secrets.planfix_webhook_secret = Lookup(env, kEnvPlanfixWebhookSecret);
  secrets.google_webhook_secret = Lookup(env, kEnvGoogleWebhookSecret);
  secrets.google_sa_key_file = Resolve(base_dir, Lookup(env, kEnvGoogleSaKeyFile));
  secrets.admin_token = Lookup(env, kEnvAdminToken);
  secrets.signing_key = Lookup(env, kEnvSigningKey);
  secrets.signing_key_previous = Lookup(env, kEnvSigningKeyPrevious);
  secrets.monobank_token = Lookup(env, kEnvMonobankToken);
  secrets.monobank_webhook_token = Lookup(env, kEnvMonobankWebhookToken);

  // A key (or section) the parser already complained about holds its default now; judging
  // that default again would only repeat the complaint.
  std::set<std::string> reported;
  for (const auto& problem : result.problems) reported.insert(problem.key_path);
  const auto already_reported = [&](const std::string& key_path) {
    for (std::size_t end = 0; end != std::string::npos;) {
      end = key_path.find_first_of(".[", end + 1);
      if (reported.count(key_path.substr(0, end)) > 0) return true;
    }
    return false;
  };
  for (auto& problem : ValidateConfig(config)) {
    if (!already_reported(problem.key_path)) result.problems.push_back(std::move(problem));
  }
  auto templates = LoadTemplates(config, result.problems);
  if (result.problems.empty()) {
    result.config = std::move(config);
    result.templates = std::move(templates.set);
  }
  return result;
}

}  // namespace

ConfigLoadResult ParseConfig(std::string_view toml_text, const fs::path& base_dir,
                             const Environment& env) {
  return ParseConfigNamed(toml_text, base_dir, env, "config");
}

namespace {

// The config file's text, or the problem that it cannot be read.
std::optional<std::string> ReadConfigFile(const fs::path& path, std::vector<Problem>& problems) {
  std::error_code kind_error;
  if (fs::is_directory(path, kind_error)) {
    problems.push_back({path.string(), "is a directory, not a config file"});
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::error_code error;
    const bool exists = fs::exists(path, error);
    problems.push_back({path.string(), exists ? "cannot be read" : "does not exist"});
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path AbsolutePath(const fs::path& path) {
  std::error_code error;
  fs::path absolute = fs::absolute(path, error);
  return error ? path : absolute;
}

}  // namespace

ConfigLoadResult LoadConfig(const fs::path& path, const Environment& env) {
  ConfigLoadResult result;
  const auto text = ReadConfigFile(path, result.problems);
  if (!text) return result;
  const fs::path absolute = AbsolutePath(path);
  result = ParseConfigNamed(*text, absolute.parent_path(), env, path.string());
  if (result.config) result.config->source = absolute.lexically_normal();
  return result;
}

StoragePathResult LoadStoragePath(const fs::path& path) {
  StoragePathResult result;
  const auto text = ReadConfigFile(path, result.problems);
  if (!text) return result;
  toml::table root;
  try {
    root = toml::parse(*text, path.string());
  } catch (const toml::parse_error& error) {
    const auto& begin = error.source().begin;
    result.problems.push_back({fmt::format("{}:{}:{}", path.string(), begin.line, begin.column),
                               fmt::format("TOML syntax error: {}", error.description())});
    return result;
  }
  StorageConfig storage;
  Reader reader(result.problems);
  ReadStorage(reader, Section{&root, ""}, storage);
  if (result.problems.empty() && storage.path.empty()) {
    reader.Add("storage.path", "must not be empty");
  }
  if (result.problems.empty()) {
    result.path = Resolve(AbsolutePath(path).parent_path(), storage.path);
  }
  return result;
}

}  // namespace planfix_flow::config
