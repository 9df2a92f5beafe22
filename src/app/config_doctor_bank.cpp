// The config doctor's bank checks: the monobank token answers client-info, and every account
// [bank] names is one of the token's. One client-info call (the bank allows one a minute).
#include <fmt/format.h>

#include <algorithm>

#include "config_doctor_support.h"
#include "planfix_flow/app/config_doctor.h"

namespace planfix_flow::app {

using doctor::Note;
using doctor::Ok;
using doctor::Problem;

std::vector<DoctorCheck> CheckMonobank(const config::Config& config, bank::MonobankClient& bank) {
  std::vector<DoctorCheck> checks;
  if (!config.bank.enabled) return checks;
  const std::string token_key(config::kEnvMonobankToken);
  auto info = bank.GetClientInfo();
  if (!info) {
    const auto& error = info.error();
    if (error.code == core::ErrorCode::kUnauthorized) {
      checks.push_back(Problem(token_key, "", "monobank refused the token: " + error.message));
    } else if (error.code == core::ErrorCode::kRateLimited) {
      checks.push_back(Problem(token_key, "",
                               "monobank answered client-info with 429 (one call a minute per "
                               "token, also the running service's): run the check again later"));
    } else {
      checks.push_back(Problem("bank.base_url", doctor::Quoted(config.bank.base_url),
                               "monobank did not answer client-info: " + error.message));
    }
    checks.push_back(Note("bank", "", "the other bank checks were skipped"));
    return checks;
  }
  checks.push_back(Ok(token_key, "",
                      fmt::format("monobank at {} accepts the token (client-info: {} account(s))",
                                  config.bank.base_url, info->accounts.size())));
  std::vector<std::string> listed;
  for (const auto& account : info->accounts) {
    listed.push_back(fmt::format("{} ({}, {})", account.id, account.type, account.currency_code));
  }
  for (std::size_t i = 0; i < config.bank.accounts.size(); ++i) {
    const std::string& id = config.bank.accounts[i];
    const std::string key = fmt::format("bank.accounts[{}]", i);
    const auto found = std::find_if(info->accounts.begin(), info->accounts.end(),
                                    [&](const bank::Account& account) { return account.id == id; });
    if (found == info->accounts.end()) {
      checks.push_back(Problem(
          key, doctor::Quoted(id),
          fmt::format("no such account of the token (accounts: {})",
                      listed.empty() ? "none" : fmt::format("{}", fmt::join(listed, ", ")))));
      continue;
    }
    const std::string currency = found->currency_code == 980
                                     ? std::string("UAH")
                                     : fmt::format("currency {}", found->currency_code);
    checks.push_back(
        Ok(key, doctor::Quoted(id), fmt::format("{} account in {}", found->type, currency)));
    if (found->currency_code != 980) {
      checks.push_back(Note(key, doctor::Quoted(id),
                            "not a hryvnia account: its payments are never matched to invoices"));
    }
  }
  // The URL holds the webhook's path token: say whether it is ours, never print it.
  if (info->webhook_url.empty()) {
    checks.push_back(Note("bank.public_base_url", "",
                          "the bank holds no webhook; the service registers it when it starts"));
  } else if (info->webhook_url != config::MonobankWebhookUrl(config)) {
    checks.push_back(Note("bank.public_base_url", "",
                          "the bank holds another webhook address than this config's; the "
                          "service replaces it when it starts"));
  } else {
    checks.push_back(Ok("bank.public_base_url", "", "the bank's webhook is this config's address"));
  }
  return checks;
}

}  // namespace planfix_flow::app
