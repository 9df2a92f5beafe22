// The config doctor's Planfix checks: the token, processes, statuses, custom fields, task
// templates and data tags the config names, each against the account's own catalogues.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "config_doctor_support.h"
#include "planfix_flow/app/config_doctor.h"
#include "planfix_flow/planfix/custom_field_value.h"
#include "planfix_flow/workflow/brief.h"

namespace planfix_flow::app {

namespace {

using doctor::Note;
using doctor::Ok;
using doctor::Problem;
using planfix::FieldType;

// The longest list of alternatives a problem line shows; the rest are counted.
constexpr std::size_t kMaxListed = 30;

template <typename T, typename Format>
std::string ListSome(const std::vector<T>& items, Format format, const char* separator = ", ") {
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < items.size() && i < kMaxListed; ++i)
    shown.push_back(format(items[i]));
  std::string text = fmt::format("{}", fmt::join(shown, separator));
  if (items.size() > kMaxListed)
    text += fmt::format("{}... {} more", separator, items.size() - kMaxListed);
  return items.empty() ? "none" : text;
}

std::string StatusList(const std::vector<planfix::TaskStatus>& statuses) {
  return ListSome(statuses,
                  [](const planfix::TaskStatus& s) { return fmt::format("{} {}", s.id, s.name); });
}

std::string TypeList(const std::vector<FieldType>& types) {
  std::vector<std::string> names;
  for (const FieldType type : types) names.emplace_back(planfix::FieldTypeName(type));
  if (names.size() == 1) return names[0];
  return fmt::format("{} or {}",
                     fmt::join(std::vector<std::string>(names.begin(), names.end() - 1), ", "),
                     names.back());
}

struct StatusKey {
  std::string key;
  std::int64_t id = 0;
  std::int64_t process = 0;  // 0: any task process
};

struct FieldKey {
  std::string key;
  std::int64_t id = 0;
  std::vector<FieldType> types;  // empty: any type will do
};

class PlanfixDoctor {
 public:
  PlanfixDoctor(const config::Config& config, planfix::PlanfixClient& planfix,
                std::vector<DoctorCheck>& checks)
      : config_(config), planfix_(planfix), checks_(checks) {}

  bool CheckToken() {
    auto ping = planfix_.Ping();
    if (ping) {
      checks_.push_back(
          Ok(std::string(config::kEnvPlanfixToken), "",
             fmt::format("Planfix at {} accepts the token (GET /ping)", config_.planfix.base_url)));
      return true;
    }
    const auto& error = ping.error();
    if (error.code == core::ErrorCode::kUnauthorized) {
      checks_.push_back(Problem(std::string(config::kEnvPlanfixToken), "",
                                "Planfix refused the token: " + error.message));
    } else {
      checks_.push_back(Problem("planfix.base_url", doctor::Quoted(config_.planfix.base_url),
                                "Planfix did not answer GET /ping: " + error.message));
    }
    checks_.push_back(Note("planfix", "", "the other Planfix checks were skipped"));
    return false;
  }

  void CheckProcessesAndStatuses() {
    auto listed = planfix_.ListTaskProcesses();
    if (listed) {
      processes_ = std::move(*listed);
    } else {
      checks_.push_back(Problem(
          "planfix.processes", "",
          "the task processes cannot be listed (GET /process/task): " + listed.error().message));
    }
    const auto& p = config_.planfix.processes;
    const bool deal_ok = CheckProcess("planfix.processes.deal", p.deal, listed.has_value());
    const bool communication_ok =
        CheckProcess("planfix.processes.communication", p.communication, listed.has_value());
    const auto& report = config_.report;
    const bool report_process_ok =
        report.enabled && CheckProcess("report.process_id", report.process_id, listed.has_value());

    const auto& s = config_.planfix.statuses;
    std::vector<StatusKey> keys = {
        {"planfix.statuses.handed_to_production", s.handed_to_production, p.deal},
        {"planfix.statuses.returned_to_sales", s.returned_to_sales, p.deal},
        {"planfix.statuses.in_production", s.in_production, p.deal},
        {"planfix.gate.refused_status", config_.planfix.gate_refused_status, p.deal},
        {"planfix.statuses.brief_requested", s.brief_requested, p.communication},
        {"planfix.statuses.brief_filled", s.brief_filled, p.communication},
        // The config does not say which process tasks awaiting approval are in.
        {"planfix.statuses.awaiting_approval", s.awaiting_approval, 0},
        {"planfix.statuses.approved", s.approved, 0},
        {"planfix.statuses.rework", s.rework, 0},
    };
    for (std::size_t i = 0; i < config_.stages.size(); ++i) {
      keys.push_back({fmt::format("stages[{}].status", i + 1), config_.stages[i].status, 0});
    }
    if (config_.invoices.enabled) {
      // The config does not say which process invoice tasks are in.
      const auto& invoice = config_.invoices.statuses;
      keys.push_back({"invoices.statuses.issued", invoice.issued, 0});
      keys.push_back({"invoices.statuses.paid", invoice.paid, 0});
      keys.push_back({"invoices.statuses.returned", invoice.returned, 0});
    }
    if (report.enabled && report.sent_status > 0) {
      // In the report task's process when the config names it, else in any process.
      const StatusKey key{"report.sent_status", report.sent_status, report.process_id};
      if (report.process_id <= 0) {
        if (listed) CheckStatusAnywhere(key);
      } else if (report_process_ok) {
        CheckStatusIn(key);
      }
    }
    for (const auto& key : keys) {
      if (key.id <= 0) continue;  // not configured (the required ones check-config requires)
      if (key.process != 0) {
        const bool process_ok = key.process == p.deal ? deal_ok : communication_ok;
        if (process_ok) CheckStatusIn(key);
      } else if (listed) {
        CheckStatusAnywhere(key);
      }
    }
  }

  void CheckFields(PlanfixFacts* facts) {
    auto task_fields = planfix_.GetTaskCustomFields();
    auto contact_fields = planfix_.GetContactCustomFields();
    if (!task_fields) {
      checks_.push_back(
          Problem("planfix.task_fields", "",
                  "the task field catalogue cannot be read (GET /customfield/task): " +
                      task_fields.error().message));
    }
    if (!contact_fields) {
      checks_.push_back(
          Problem("planfix.contact_fields", "",
                  "the contact field catalogue cannot be read (GET /customfield/contact): " +
                      contact_fields.error().message));
    } else if (facts != nullptr) {
      facts->contact_fields_read = true;
      for (const auto& field : *contact_fields) facts->contact_fields[field.id] = field;
    }
    const std::vector<planfix::CustomFieldDefinition> none;
    const auto& tasks = task_fields ? *task_fields : none;
    const auto& contacts = contact_fields ? *contact_fields : none;

    const auto& t = config_.planfix.task_fields;
    if (task_fields) {
      for (const auto& key : std::vector<FieldKey>{
               {"planfix.task_fields.work_type", t.work_type, {}},
               {"planfix.task_fields.amount",
                t.amount,
                {FieldType::kNumber, FieldType::kLine, FieldType::kCalculated}},
               {"planfix.task_fields.payment_received", t.payment_received, {FieldType::kCheckbox}},
               {"planfix.task_fields.access_granted", t.access_granted, {FieldType::kCheckbox}},
           }) {
        CheckField(key, "task", tasks, "contact", contacts);
      }
    }
    const auto& invoices = config_.invoices;
    if (invoices.enabled && task_fields) {
      // What the invoice rules read (and, for paid and paid_amount, write).
      const auto& f = invoices.fields;
      const std::vector<FieldType> text = {FieldType::kLine, FieldType::kText};
      for (const auto& key : std::vector<FieldKey>{
               {"invoices.fields.number",
                f.number,
                {FieldType::kLine, FieldType::kText, FieldType::kNumber}},
               {"invoices.fields.amount", f.amount, {FieldType::kNumber, FieldType::kLine}},
               {"invoices.fields.due_date", f.due_date, {FieldType::kDate}},
               {"invoices.fields.currency", f.currency, {FieldType::kLine, FieldType::kList}},
               {"invoices.fields.payment_details", f.payment_details, text},
               {"invoices.fields.paid", f.paid, {FieldType::kCheckbox}},
               {"invoices.fields.paid_amount", f.paid_amount, {FieldType::kNumber}},
           }) {
        CheckField(key, "task", tasks, "contact", contacts);
      }
    }
    if (config_.report.enabled && task_fields) {
      CheckField({"report.retainer_field", config_.report.retainer_field, {FieldType::kCheckbox}},
                 "task", tasks, "contact", contacts);
    }
    if (!contact_fields) return;
    if (invoices.enabled) {
      const std::vector<FieldType> payer = {FieldType::kLine, FieldType::kText, FieldType::kNumber};
      CheckField({"invoices.payer_fields.edrpou", invoices.payer_fields.edrpou, payer}, "contact",
                 contacts, "task", tasks);
      CheckField({"invoices.payer_fields.iban", invoices.payer_fields.iban, payer}, "contact",
                 contacts, "task", tasks);
    }
    const auto& c = config_.planfix.contact_fields;
    // The service writes the chat id as a string and reads the language as text.
    CheckField({"planfix.contact_fields.telegram_chat_id",
                c.telegram_chat_id,
                {FieldType::kLine, FieldType::kText}},
               "contact", contacts, "task", tasks);
    CheckField({"planfix.contact_fields.language",
                c.language,
                {FieldType::kLine, FieldType::kText, FieldType::kList}},
               "contact", contacts, "task", tasks);
    for (std::size_t i = 0; i < config_.brief.answers.size(); ++i) {
      CheckBriefAnswerField(i, contacts, tasks);
    }
  }

  void CheckTemplates() {
    std::vector<std::pair<std::string, std::int64_t>> keys;
    if (config_.planfix.communication_template_id > 0) {
      keys.emplace_back("planfix.handoff.communication_template_id",
                        config_.planfix.communication_template_id);
    }
    if (config_.report.enabled) {
      keys.emplace_back("report.deal_template_id", config_.report.deal_template_id);
      keys.emplace_back("report.template_id", config_.report.template_id);
    }
    if (keys.empty()) return;
    auto templates = planfix_.ListTaskTemplates();
    for (const auto& [key, id] : keys) CheckTemplate(key, id, templates);
  }

  void CheckTemplate(const std::string& key, std::int64_t id,
                     const core::Result<std::vector<planfix::TaskTemplate>>& templates) {
    if (id <= 0) return;
    if (!templates) {
      checks_.push_back(Problem(key, std::to_string(id),
                                "the task templates cannot be listed (GET /task/templates): " +
                                    templates.error().message));
      return;
    }
    const auto found = std::find_if(templates->begin(), templates->end(),
                                    [&](const planfix::TaskTemplate& t) { return t.id == id; });
    if (found != templates->end()) {
      checks_.push_back(
          Ok(key, std::to_string(id), fmt::format("task template \"{}\"", found->name)));
      return;
    }
    checks_.push_back(Problem(key, std::to_string(id),
                              fmt::format("no such task template (templates: {})",
                                          ListSome(*templates, [](const planfix::TaskTemplate& t) {
                                            return fmt::format("{} \"{}\"", t.id, t.name);
                                          }))));
  }

 private:
  std::string ProcessName(std::int64_t id) const {
    const auto found = std::find_if(processes_.begin(), processes_.end(),
                                    [&](const planfix::TaskProcess& p) { return p.id == id; });
    return found == processes_.end() ? fmt::format("process {}", id)
                                     : fmt::format("process {} \"{}\"", id, found->name);
  }

  const core::Result<std::vector<planfix::TaskStatus>>& Statuses(std::int64_t process) {
    auto it = statuses_.find(process);
    if (it == statuses_.end()) {
      it = statuses_.emplace(process, planfix_.GetProcessStatuses(process)).first;
    }
    return it->second;
  }

  // Returns whether the process's statuses can be checked.
  bool CheckProcess(const std::string& key, std::int64_t id, bool listed) {
    if (id <= 0) return false;
    if (listed) {
      const bool known = std::any_of(processes_.begin(), processes_.end(),
                                     [&](const planfix::TaskProcess& p) { return p.id == id; });
      if (!known) {
        checks_.push_back(
            Problem(key, std::to_string(id),
                    fmt::format("no such task process (processes: {})",
                                ListSome(processes_, [](const planfix::TaskProcess& p) {
                                  return fmt::format("{} \"{}\"", p.id, p.name);
                                }))));
        return false;
      }
    }
    const auto& statuses = Statuses(id);
    if (!statuses) {
      checks_.push_back(Problem(key, std::to_string(id),
                                fmt::format("the statuses of {} cannot be read: {}",
                                            ProcessName(id), statuses.error().message)));
      return false;
    }
    checks_.push_back(Ok(key, std::to_string(id),
                         fmt::format("{} ({} statuses)", ProcessName(id), statuses->size())));
    return true;
  }

  void CheckStatusIn(const StatusKey& key) {
    const auto& statuses = *Statuses(key.process);
    const auto found = std::find_if(statuses.begin(), statuses.end(),
                                    [&](const planfix::TaskStatus& s) { return s.id == key.id; });
    if (found != statuses.end()) {
      checks_.push_back(Ok(key.key, std::to_string(key.id),
                           fmt::format("\"{}\" in {}", found->name, ProcessName(key.process))));
      return;
    }
    checks_.push_back(Problem(key.key, std::to_string(key.id),
                              fmt::format("no such status in {} (statuses: {})",
                                          ProcessName(key.process), StatusList(statuses))));
  }

  void CheckStatusAnywhere(const StatusKey& key) {
    std::vector<std::string> found_in;
    std::vector<std::string> all;
    std::string name;
    for (const auto& process : processes_) {
      const auto& statuses = Statuses(process.id);
      if (!statuses) {
        all.push_back(fmt::format("{}: cannot be read", ProcessName(process.id)));
        continue;
      }
      all.push_back(fmt::format("{}: {}", ProcessName(process.id), StatusList(*statuses)));
      for (const auto& status : *statuses) {
        if (status.id != key.id) continue;
        name = status.name;
        found_in.push_back(ProcessName(process.id));
      }
    }
    if (!found_in.empty()) {
      checks_.push_back(Ok(key.key, std::to_string(key.id),
                           fmt::format("\"{}\" in {}", name, fmt::join(found_in, ", "))));
      return;
    }
    checks_.push_back(Problem(
        key.key, std::to_string(key.id),
        fmt::format("no such status in any task process ({})",
                    all.empty() ? "no processes" : fmt::format("{}", fmt::join(all, "; ")))));
  }

  static const planfix::CustomFieldDefinition* Find(
      const std::vector<planfix::CustomFieldDefinition>& fields, std::int64_t id) {
    const auto found =
        std::find_if(fields.begin(), fields.end(),
                     [&](const planfix::CustomFieldDefinition& f) { return f.id == id; });
    return found == fields.end() ? nullptr : &*found;
  }

  // Where a field id that is not on `object` is, if it is on the other object: a hint.
  static std::string Elsewhere(const std::vector<planfix::CustomFieldDefinition>& other_fields,
                               const char* other, std::int64_t id) {
    const auto* field = Find(other_fields, id);
    if (field == nullptr) return {};
    return fmt::format(" ({} field {} is \"{}\", {}: a field of the wrong object?)", other, id,
                       field->name, planfix::FieldTypeName(field->type));
  }

  void CheckField(const FieldKey& key, const char* object,
                  const std::vector<planfix::CustomFieldDefinition>& fields, const char* other,
                  const std::vector<planfix::CustomFieldDefinition>& other_fields) {
    if (key.id <= 0) return;
    const auto* field = Find(fields, key.id);
    if (field == nullptr) {
      checks_.push_back(Problem(key.key, std::to_string(key.id),
                                fmt::format("no such {} custom field{}", object,
                                            Elsewhere(other_fields, other, key.id))));
      return;
    }
    if (!key.types.empty() &&
        std::find(key.types.begin(), key.types.end(), field->type) == key.types.end()) {
      checks_.push_back(Problem(
          key.key, std::to_string(key.id),
          fmt::format("{} field \"{}\" is a {} field; the service needs {}", object, field->name,
                      planfix::FieldTypeName(field->type), TypeList(key.types))));
      return;
    }
    checks_.push_back(Ok(key.key, std::to_string(key.id),
                         fmt::format("{} field \"{}\" ({})", object, field->name,
                                     planfix::FieldTypeName(field->type))));
  }

  void CheckBriefAnswerField(std::size_t index,
                             const std::vector<planfix::CustomFieldDefinition>& contacts,
                             const std::vector<planfix::CustomFieldDefinition>& tasks) {
    const auto& answer = config_.brief.answers[index];
    const std::string key = fmt::format("brief.answers[{}].field_id", index + 1);
    const auto* field = Find(contacts, answer.field_id);
    if (field == nullptr) {
      checks_.push_back(Problem(key, std::to_string(answer.field_id),
                                fmt::format("no such contact custom field{}",
                                            Elsewhere(tasks, "task", answer.field_id))));
      return;
    }
    if (answer.type && workflow::CatalogueType(*answer.type) != field->type) {
      checks_.push_back(
          Problem(fmt::format("brief.answers[{}].type", index + 1),
                  doctor::Quoted(std::string(config::ToString(*answer.type))),
                  fmt::format("contact field {} \"{}\" is a {} field in Planfix", field->id,
                              field->name, planfix::FieldTypeName(field->type))));
      return;
    }
    if (planfix::IsReadOnly(field->type)) {
      checks_.push_back(Problem(key, std::to_string(answer.field_id),
                                fmt::format("contact field \"{}\" is a computed {} field: Planfix "
                                            "lets no one write it",
                                            field->name, planfix::FieldTypeName(field->type))));
      return;
    }
    checks_.push_back(Ok(key, std::to_string(answer.field_id),
                         fmt::format("contact field \"{}\" ({})", field->name,
                                     planfix::FieldTypeName(field->type))));
  }

  const config::Config& config_;
  planfix::PlanfixClient& planfix_;
  std::vector<DoctorCheck>& checks_;
  std::vector<planfix::TaskProcess> processes_;
  std::map<std::int64_t, core::Result<std::vector<planfix::TaskStatus>>> statuses_;
};

}  // namespace

std::vector<DataTagKey> ConfiguredDataTags(const config::Config& config) {
  std::vector<DataTagKey> keys;
  const auto& time = config.time;
  if (time.data_tag > 0) {
    DataTagKey key{"time.data_tag", time.data_tag, {}};
    for (const auto& [name, id] :
         {std::pair{"date", time.fields.date}, std::pair{"duration", time.fields.duration},
          std::pair{"period", time.fields.period}, std::pair{"employee", time.fields.employee},
          std::pair{"kind", time.fields.kind}}) {
      if (id > 0) key.fields.emplace_back(fmt::format("time.fields.{}", name), id);
    }
    keys.push_back(std::move(key));
  }
  const auto& income = config.invoices.income;
  if (config.invoices.enabled && income.enabled && income.data_tag > 0) {
    DataTagKey key{"invoices.income.data_tag", income.data_tag, {}};
    for (const auto& [name, id] :
         {std::pair{"amount", income.fields.amount}, std::pair{"date", income.fields.date},
          std::pair{"invoice_number", income.fields.invoice_number},
          std::pair{"payer", income.fields.payer}, std::pair{"purpose", income.fields.purpose}}) {
      if (id > 0) key.fields.emplace_back(fmt::format("invoices.income.fields.{}", name), id);
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<DoctorCheck> CheckDataTags(const std::vector<DataTagKey>& keys,
                                       planfix::PlanfixClient& planfix) {
  std::vector<DoctorCheck> checks;
  if (keys.empty()) return checks;
  auto tags = planfix.ListDataTags();
  if (!tags) {
    for (const auto& key : keys) {
      checks.push_back(
          Problem(key.key_path, std::to_string(key.id),
                  "the data tags cannot be listed (POST /datatag/list): " + tags.error().message));
    }
    return checks;
  }
  for (const auto& key : keys) {
    const auto found = std::find_if(tags->begin(), tags->end(),
                                    [&](const planfix::DataTag& tag) { return tag.id == key.id; });
    if (found != tags->end()) {
      checks.push_back(
          Ok(key.key_path, std::to_string(key.id),
             fmt::format("data tag \"{}\" ({} fields)", found->name, found->fields.size())));
      for (const auto& [path, id] : key.fields) {
        const auto field = std::find_if(
            found->fields.begin(), found->fields.end(),
            [id = id](const planfix::CustomFieldDefinition& each) { return each.id == id; });
        if (field == found->fields.end()) {
          checks.push_back(Problem(
              path, std::to_string(id),
              fmt::format("no such field in data tag \"{}\" (fields: {})", found->name,
                          ListSome(found->fields, [](const planfix::CustomFieldDefinition& each) {
                            return fmt::format("{} \"{}\"", each.id, each.name);
                          }))));
        } else {
          checks.push_back(Ok(
              path, std::to_string(id),
              fmt::format("field \"{}\" ({})", field->name, planfix::FieldTypeName(field->type))));
        }
      }
      continue;
    }
    checks.push_back(Problem(key.key_path, std::to_string(key.id),
                             fmt::format("no such data tag (data tags: {})",
                                         ListSome(*tags, [](const planfix::DataTag& tag) {
                                           return fmt::format("{} \"{}\"", tag.id, tag.name);
                                         }))));
  }
  return checks;
}

std::vector<DoctorCheck> CheckPlanfixAccount(const config::Config& config,
                                             planfix::PlanfixClient& planfix, PlanfixFacts* facts) {
  std::vector<DoctorCheck> checks;
  PlanfixDoctor doctor(config, planfix, checks);
  if (!doctor.CheckToken()) return checks;
  doctor.CheckProcessesAndStatuses();
  doctor.CheckFields(facts);
  doctor.CheckTemplates();
  auto tags = CheckDataTags(ConfiguredDataTags(config), planfix);
  checks.insert(checks.end(), tags.begin(), tags.end());
  return checks;
}

}  // namespace planfix_flow::app
