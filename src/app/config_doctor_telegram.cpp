// The config doctor's Telegram checks: the bot token and username, the bot's right to post to
// the staff chat (asked, never tried: nothing is sent), and the webhook Telegram holds.
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "config_doctor_support.h"
#include "planfix_flow/app/config_doctor.h"
#include "planfix_flow/app/telegram_setup.h"

namespace planfix_flow::app {

namespace {

using doctor::Note;
using doctor::Ok;
using doctor::Problem;
using doctor::Quoted;

// A delivery error younger than this is a problem (Telegram keeps the last one after later
// deliveries succeed, so an old one says little).
constexpr std::int64_t kRecentErrorSeconds = 60 * 60;

bool SameUsername(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Ago(std::int64_t seconds) {
  if (seconds < 120) return fmt::format("{} s ago", seconds);
  if (seconds < 2 * 3600) return fmt::format("{} min ago", seconds / 60);
  if (seconds < 2 * 86400) return fmt::format("{} h ago", seconds / 3600);
  return fmt::format("{} days ago", seconds / 86400);
}

std::string ChatName(const telegram::Chat& chat) {
  const std::string& name = chat.title.empty() ? chat.first_name : chat.title;
  return name.empty() ? chat.type : fmt::format("{} \"{}\"", chat.type, name);
}

void CheckStaffChat(const config::Config& config, telegram::TelegramClient& telegram,
                    const telegram::User& bot, std::vector<DoctorCheck>& checks) {
  const std::string key = "telegram.staff_chat_id";
  const std::string value = std::to_string(config.telegram.staff_chat_id);
  auto chat = telegram.GetChat(config.telegram.staff_chat_id);
  if (!chat) {
    const auto& error = chat.error();
    if (error.migrate_to_chat_id) {
      checks.push_back(Problem(key, value,
                               fmt::format("the group became a supergroup: set {} = {}", key,
                                           *error.migrate_to_chat_id)));
    } else if (error.message.find("chat not found") != std::string::npos) {
      checks.push_back(Problem(key, value,
                               "the bot knows no such chat (" + error.message + "): add @" +
                                   bot.username + " to the staff group, or fix the id"));
    } else {
      checks.push_back(Problem(key, value, "the bot cannot read the chat: " + error.message));
    }
    return;
  }
  if (chat->chat.type == "private") {
    checks.push_back(
        Ok(key, value,
           fmt::format("a private chat with {}: the bot may write there", chat->chat.first_name)));
    return;
  }
  auto member = telegram.GetChatMember(config.telegram.staff_chat_id, bot.id);
  if (!member) {
    checks.push_back(Problem(key, value,
                             "the bot cannot read its own membership of " + ChatName(chat->chat) +
                                 ": " + member.error().message));
    return;
  }
  const std::string& status = member->status;
  std::string cannot;
  if (status == "left" || status == "kicked") {
    cannot = fmt::format("the bot is not in {} (status \"{}\"): add @{} to it",
                         ChatName(chat->chat), status, bot.username);
  } else if (status == "restricted" &&
             (!member->is_member.value_or(false) || !member->can_send_messages.value_or(false))) {
    cannot = fmt::format(
        "the bot is restricted in {} and may not send messages: lift the "
        "restriction",
        ChatName(chat->chat));
  } else if (status == "member" && chat->chat.type == "channel") {
    cannot = fmt::format("in {} only administrators post: make @{} an administrator",
                         ChatName(chat->chat), bot.username);
  } else if (status == "member" && !chat->members_can_send_messages.value_or(true)) {
    cannot = fmt::format(
        "members of {} may not send messages: make @{} an administrator or let "
        "members send",
        ChatName(chat->chat), bot.username);
  } else if (status == "administrator" && chat->chat.type == "channel" &&
             !member->can_post_messages.value_or(false)) {
    cannot = fmt::format("the bot administers {} without the right to post messages",
                         ChatName(chat->chat));
  } else if (status != "creator" && status != "administrator" && status != "member" &&
             status != "restricted") {
    cannot = fmt::format("the bot's status in {} is \"{}\"", ChatName(chat->chat), status);
  }
  if (!cannot.empty()) {
    checks.push_back(Problem(key, value, cannot));
    return;
  }
  checks.push_back(Ok(key, value,
                      fmt::format("the bot may post to {} (status \"{}\"; nothing was sent)",
                                  ChatName(chat->chat), status)));
}

void CheckWebhook(const config::Config& config, telegram::TelegramClient& telegram,
                  core::Clock& clock, std::vector<DoctorCheck>& checks) {
  const bool webhook_mode = config.telegram.mode == config::TelegramMode::kWebhook;
  const std::string key = webhook_mode ? "telegram.webhook_url" : "telegram.mode";
  const std::string value = webhook_mode ? Quoted(config.telegram.webhook_url) : Quoted("polling");
  auto info = telegram.GetWebhookInfo();
  if (!info) {
    checks.push_back(Problem(key, value, "getWebhookInfo failed: " + info.error().message));
    return;
  }
  if (!webhook_mode) {
    if (info->url.empty()) {
      checks.push_back(Ok(key, value, "no webhook is set, so getUpdates can poll"));
    } else {
      checks.push_back(Note(key, value,
                            fmt::format("the bot has a webhook at \"{}\": `serve` deletes it at "
                                        "start to poll (another deployment using it stops "
                                        "getting updates)",
                                        info->url)));
    }
    return;
  }
  if (info->url.empty()) {
    checks.push_back(Note(key, value,
                          "no webhook is registered yet: `serve` registers it at start (run "
                          "check-config --online again once it runs)"));
    return;
  }
  if (!SameWebhookUrl(info->url, config.telegram.webhook_url)) {
    checks.push_back(Problem(key, value,
                             fmt::format("the bot's webhook is \"{}\" (another deployment of the "
                                         "bot?); `serve` would take it over at start",
                                         info->url)));
    return;
  }
  const std::int64_t now = core::ToUnixSeconds(clock.Now());
  if (info->last_error_date) {
    const std::int64_t age = std::max<std::int64_t>(0, now - *info->last_error_date);
    const std::string error =
        fmt::format("Telegram's last delivery failed {}: \"{}\" (pending updates: {})", Ago(age),
                    info->last_error_message, info->pending_update_count);
    if (age < kRecentErrorSeconds) {
      checks.push_back(Problem(key, value, error));
    } else {
      checks.push_back(Note(key, value, "registered; " + error));
    }
    return;
  }
  checks.push_back(Ok(key, value,
                      fmt::format("registered, no delivery error (pending updates: {})",
                                  info->pending_update_count)));
}

}  // namespace

std::vector<DoctorCheck> CheckTelegramBot(const config::Config& config,
                                          telegram::TelegramClient& telegram, core::Clock& clock) {
  std::vector<DoctorCheck> checks;
  auto me = telegram.GetMe();
  if (!me) {
    if (me.error().code == core::ErrorCode::kUnauthorized) {
      checks.push_back(Problem(std::string(config::kEnvTelegramBotToken), "",
                               "Telegram refused the bot token (getMe): " + me.error().message));
    } else {
      checks.push_back(Problem("telegram.base_url", Quoted(config.telegram.base_url),
                               "getMe failed: " + me.error().message));
    }
    checks.push_back(Note("telegram", "", "the other Telegram checks were skipped"));
    return checks;
  }
  const std::string username = Quoted(config.telegram.bot_username);
  if (!SameUsername(me->username, config.telegram.bot_username)) {
    checks.push_back(Problem("telegram.bot_username", username,
                             fmt::format("the token belongs to @{} (id {}): deep links would open "
                                         "another bot; fix the token or the key",
                                         me->username, me->id)));
  } else {
    checks.push_back(Ok("telegram.bot_username", username,
                        fmt::format("the token is @{}'s (id {})", me->username, me->id)));
  }
  CheckStaffChat(config, telegram, *me, checks);
  CheckWebhook(config, telegram, clock, checks);
  return checks;
}

}  // namespace planfix_flow::app
