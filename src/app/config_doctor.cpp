#include "planfix_flow/app/config_doctor.h"

#include <fmt/format.h>

#include <ostream>

#include "config_doctor_support.h"
#include "planfix_flow/google/service_account.h"

namespace planfix_flow::app {

std::string DoctorCheck::ToString() const {
  const char* verdict_text = verdict == Verdict::kOk        ? "ok"
                             : verdict == Verdict::kProblem ? "problem"
                                                            : "note";
  return fmt::format("{:<8} {}{}: {}", verdict_text, key_path, value.empty() ? "" : " = " + value,
                     message);
}

std::size_t RunOnlineChecks(const config::Config& config, http::HttpClient& http,
                            core::Clock& clock, std::ostream& out) {
  std::size_t counts[3] = {0, 0, 0};
  const auto print = [&](const std::vector<DoctorCheck>& checks) {
    for (const auto& check : checks) {
      ++counts[static_cast<int>(check.verdict)];
      out << check.ToString() << "\n";
    }
    out.flush();
  };

  // As `serve` builds its client, so the checks keep to the same pacing.
  planfix::PlanfixOptions planfix_options;
  planfix_options.base_url = config.planfix.base_url;
  planfix_options.token = config.secrets.planfix_token;
  planfix_options.min_interval = std::chrono::milliseconds(config.planfix.min_interval_ms);
  planfix_options.timeout = std::chrono::seconds(config.planfix.request_timeout_seconds);
  planfix::PlanfixClient planfix(http, clock, planfix_options);
  PlanfixFacts facts;
  print(CheckPlanfixAccount(config, planfix, &facts));

  telegram::TelegramOptions telegram_options;
  telegram_options.base_url = config.telegram.base_url;
  telegram_options.token = config.secrets.telegram_bot_token;
  telegram::TelegramClient telegram(http, clock, telegram_options);
  print(CheckTelegramBot(config, telegram, clock));

  auto key = google::LoadServiceAccountKey(config.secrets.google_sa_key_file);
  if (!key) {
    print({doctor::Problem(std::string(config::kEnvGoogleSaKeyFile), "",
                           "the service-account key cannot be used: " + key.error().message)});
  } else {
    google::GoogleOptions google_options;
    google_options.forms_base_url = config.google.forms_base_url;
    google_options.token_url = config.google.token_url;
    google_options.key = std::move(*key);
    google::GoogleFormsClient forms(http, clock, std::move(google_options));
    print(CheckGoogleForm(config, forms, facts));
  }

  if (config.bank.enabled) {
    bank::MonobankOptions bank_options;
    bank_options.base_url = config.bank.base_url;
    bank_options.token = config.secrets.monobank_token;
    bank::MonobankClient monobank(http, clock, std::move(bank_options));
    print(CheckMonobank(config, monobank));
  }

  const std::size_t problems = counts[static_cast<int>(Verdict::kProblem)];
  out << fmt::format("online checks: {} ok, {} {}, {} {}\n", counts[0], problems,
                     problems == 1 ? "problem" : "problems", counts[2],
                     counts[2] == 1 ? "note" : "notes");
  return problems;
}

}  // namespace planfix_flow::app
