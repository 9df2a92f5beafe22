// The TOML config file, checked as check-config and serve check it (relative paths resolve
// against deploy/, so the repository's templates load). A config comes back exactly when
// there are no problems, and no problem ever shows a secret from the environment.
#include <filesystem>
#include <string>

#include "fuzz/fuzz_support.h"
#include "planfix_flow/config/config.h"

namespace {

namespace config = planfix_flow::config;

// Distinct enough that no key path or message contains them by chance.
const config::Environment& Secrets() {
  static const config::Environment env = {
      {std::string(config::kEnvPlanfixToken), "SECRET-planfix-token-5f1c"},
      {std::string(config::kEnvTelegramBotToken), "SECRET-bot-token-9a2e"},
      {std::string(config::kEnvTelegramWebhookSecret), "SECRET-telegram-webhook-77d0"},
      {std::string(config::kEnvPlanfixWebhookSecret), "SECRET-planfix-webhook-3b4a"},
      {std::string(config::kEnvGoogleWebhookSecret), "SECRET-google-webhook-c81f"},
      {std::string(config::kEnvAdminToken), "SECRET-admin-token-e6a9"},
      {std::string(config::kEnvSigningKey), "SECRET-signing-key-0d6b-0123456789abcdef"},
      {std::string(config::kEnvSigningKeyPrevious), "SECRET-signing-previous-41c2-0123456789"},
  };
  return env;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::filesystem::path base_dir =
      std::filesystem::path(PLANFIX_FLOW_SOURCE_DIR) / "deploy";
  const std::string_view text = planfix_flow::fuzz::AsText(data, size);
  const auto result = config::ParseConfig(text, base_dir, Secrets());
  FUZZ_CHECK(result.ok() == result.problems.empty());
  FUZZ_CHECK(!result.ok() || result.templates != nullptr);
  for (const auto& problem : result.problems) {
    const std::string shown = problem.ToString();
    for (const auto& [name, secret] : Secrets()) {
      // A problem may quote the file (an unknown key), which libFuzzer can fill with a secret
      // it saw compared here; only a secret the file does not hold must never show.
      if (text.find(secret) != std::string_view::npos) continue;
      FUZZ_CHECK(shown.find(secret) == std::string::npos);
    }
  }
  return 0;
}
