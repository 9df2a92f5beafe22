// The config doctor: `check-config --online` checks a config against the live accounts it
// names (Planfix, Telegram, Google Forms) and gives one verdict per checked item. Every call
// it makes reads; it changes nothing in any account. Planfix calls go through the given
// PlanfixClient and so keep to its pacing (1 request per second per account). Not
// thread-safe beyond what the clients are.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "planfix_flow/bank/monobank_client.h"
#include "planfix_flow/config/config.h"
#include "planfix_flow/core/clock.h"
#include "planfix_flow/google/forms_client.h"
#include "planfix_flow/http/http_client.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/telegram/telegram_client.h"

namespace planfix_flow::app {

enum class Verdict {
  kOk,
  kProblem,  // check-config --online exits non-zero
  kNote,     // worth knowing, not wrong (e.g. no webhook registered before the first start)
};

struct DoctorCheck {
  Verdict verdict = Verdict::kOk;
  std::string key_path;  // a config key ("planfix.statuses.in_production") or a variable name
  std::string value;     // the configured value as shown after "=", empty for none
  std::string message;

  // "ok       planfix.statuses.in_production = 103: ..." (verdict padded to one width).
  std::string ToString() const;
};

// What the Planfix checks learnt that the Google checks use: the contact field catalogue
// (id -> type), to judge a form question against the field its answer goes to.
struct PlanfixFacts {
  bool contact_fields_read = false;
  std::map<std::int64_t, planfix::CustomFieldDefinition> contact_fields;
};

// The token (GET /ping); planfix.processes.* among the account's task processes; each
// configured status in its process (the deal's, the Communication tasks', or, where the
// config names no process, any task process) with its name; task and contact custom field
// ids on the right object with a type the service can use; [[brief.answers]] field ids on
// contacts with the declared type; planfix.handoff.communication_template_id among the task
// templates; with [report]: its templates among the task templates, retainer_field a task
// checkbox, process_id a task process and sent_status a status in it (in any process when
// process_id is 0); the data tags in `data_tags`. A token Planfix refuses stops the rest.
std::vector<DoctorCheck> CheckPlanfixAccount(const config::Config& config,
                                             planfix::PlanfixClient& planfix,
                                             PlanfixFacts* facts = nullptr);

// A data tag id the config names, by its key path.
struct DataTagKey {
  std::string key_path;
  std::int64_t id = 0;
  // The tag's fields the config names: each must be one of the tag's fields.
  std::vector<std::pair<std::string, std::int64_t>> fields;  // key path, field id
};
// The data tags the config names (time.data_tag and its time.fields.*, invoices.income.data_tag
// and its invoices.income.fields.*).
std::vector<DataTagKey> ConfiguredDataTags(const config::Config& config);
// Each id among the account's data tags (POST /datatag/list); nothing when `keys` is empty.
std::vector<DoctorCheck> CheckDataTags(const std::vector<DataTagKey>& keys,
                                       planfix::PlanfixClient& planfix);

// The token (getMe) and telegram.bot_username; that the bot may post to
// telegram.staff_chat_id (getChat, getChatMember for the bot: nothing is sent); the webhook
// (getWebhookInfo): in webhook mode registered at telegram.webhook_url with no delivery error
// in the last hour. A token Telegram refuses stops the rest.
std::vector<DoctorCheck> CheckTelegramBot(const config::Config& config,
                                          telegram::TelegramClient& telegram, core::Clock& clock);

// The service account gets a token; google.form_id can be read (forms.get); the brief code
// question (google.brief_code_question) is a text question whose questionId is the number of
// google.brief_code_entry; each [[brief.answers]] question is in the form, of a kind its
// field's type can take (the declared type, else the Planfix field's from `facts`).
std::vector<DoctorCheck> CheckGoogleForm(const config::Config& config,
                                         google::GoogleFormsClient& forms,
                                         const PlanfixFacts& facts);

// With bank.enabled: the token (client-info answers), each bank.accounts id among the token's
// accounts (a non-UAH one is noted), and whether the bank holds this config's webhook address
// (never printed: it carries the path token). Nothing when the bank is off.
std::vector<DoctorCheck> CheckMonobank(const config::Config& config, bank::MonobankClient& bank);

// All of the above with clients built from `config` over `http`, printing each verdict to
// `out` as it comes and a last line with the count. Returns the number of problems.
std::size_t RunOnlineChecks(const config::Config& config, http::HttpClient& http,
                            core::Clock& clock, std::ostream& out);

}  // namespace planfix_flow::app
