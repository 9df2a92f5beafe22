// FakeTelegram: a loopback fake of the Telegram Bot API for tests and the demo. It checks the
// token in the path, answers with the Bot API's envelopes and error texts, keeps chats with
// the messages they received, blocked users, users who never started the bot and migrated
// groups, enforces the flood limits with 429 + retry_after, serves updates to long polling
// and, on request, delivers them to a webhook the way Telegram does. Thread-safe.
//
// setWebhook, deleteWebhook, getWebhookInfo and getMe check their parameters against the Bot
// API: a value of the wrong type is refused with 400; a parameter the method does not have, an
// unknown update type in allowed_updates or a certificate upload is recorded as a failure
// (Telegram ignores the first two, so a typo would pass silently in production). One
// deliberate difference: besides https:// on ports 443, 80, 88 and 8443, the fake also
// accepts an http:// webhook on a loopback host, which is the only kind it can deliver to
// (Telegram refuses http://).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/pacer.h"
#include "planfix_flow/sandbox/fake_server.h"

namespace planfix_flow::sandbox {

struct FakeTelegramOptions {
  std::string token = "123456789:AAFakeTelegramTokenForTests_0123456789";
  std::int64_t bot_id = 123456789;
  std::string bot_username = "planfix_flow_bot";
  // Flood limits on sendMessage and editMessageText, as Telegram applies them.
  core::RateLimit per_chat{1, std::chrono::seconds(1)};
  core::RateLimit per_group{20, std::chrono::seconds(60)};  // chats with ids < 0
  core::RateLimit global{30, std::chrono::seconds(1)};
  // A call arriving up to this much early still passes (network jitter; Telegram's own
  // limits are approximate too).
  std::chrono::milliseconds rate_slack{50};
  // Time for message dates and flood limits; nullptr means the system clock. Long polling
  // always waits in real time.
  core::Clock* clock = nullptr;
};

// A message as the fake holds it, after any edits.
struct FakeMessage {
  std::int64_t message_id = 0;
  bool from_bot = true;
  std::string text;      // after entity parsing, as the Bot API returns it
  std::string raw_text;  // as sent (HTML markup included)
  std::string parse_mode;
  std::string entities_json;      // "[]" when none
  std::string reply_markup_json;  // empty when none
  bool disable_notification = false;
  int edit_count = 0;
  core::TimePoint received_at;  // on the fake's clock, of the send (not of edits)
  core::TimePoint edited_at;    // of the last edit, when edit_count > 0
  // sendPhoto: the uploaded file and its PNG size; the caption is in text/raw_text.
  std::string photo;
  int photo_width = 0;
  int photo_height = 0;
  // sendDocument: the uploaded file and the filename its part gave; the caption is in text.
  std::string document;
  std::string document_name;
};

struct FakeCallbackAnswer {
  std::string callback_query_id;
  std::string text;
  bool show_alert = false;
};

// The bot's standing in a group, supergroup or channel, as getChatMember reports it. Sends
// meet it too: a bot that left or was kicked gets 403, a restricted one 400.
enum class FakeBotStatus { kMember, kAdministrator, kRestricted, kLeft, kKicked };

struct FakeWebhook {
  std::string url;  // empty: no webhook
  std::string secret_token;
  std::string allowed_updates_json;  // as last given to setWebhook; empty when never given
  std::optional<int> max_connections;
  // The last failed delivery, as getWebhookInfo reports it (kept while the URL stays the same,
  // also across setWebhook calls with that URL).
  std::optional<std::int64_t> last_error_date;  // Unix seconds on the fake's clock
  std::string last_error_message;
};

class FakeTelegram : public FakeServer {
 public:
  explicit FakeTelegram(FakeTelegramOptions options = {});
  ~FakeTelegram() override;

  const std::string& token() const { return options_.token; }
  // A base URL for TelegramOptions::base_url (the client appends /bot<token>/<method>).
  std::string api_base_url() const { return base_url(); }

  // Chats. A private chat's id is its user's id.
  void AddPrivateChat(std::int64_t user_id, std::string first_name = "Client",
                      std::string username = {});
  void AddGroup(std::int64_t chat_id, std::string title = "Group");
  void AddSupergroup(std::int64_t chat_id, std::string title = "Supergroup",
                     std::string username = {});
  // The user blocked the bot: sends answer 403 until the user writes again.
  void BlockBot(std::int64_t user_id);
  // A known user who never pressed Start: sends answer 403 until the user writes.
  void AddUserWhoNeverStarted(std::int64_t user_id, std::string first_name = "Stranger");
  // The bot's membership of a (super)group the fake knows (kMember when never set), and
  // whether plain members may send text there (permissions.can_send_messages; default yes).
  void SetBotStatus(std::int64_t chat_id, FakeBotStatus status);
  void SetMembersCanSend(std::int64_t chat_id, bool can_send);
  // The webhook as Telegram holds it (a previous deployment's URL, a delivery error).
  void SeedWebhook(FakeWebhook webhook);
  // The group became a supergroup with a new id; the old id answers 400 with
  // migrate_to_chat_id, the new chat exists (empty).
  void MigrateGroup(std::int64_t group_id, std::int64_t supergroup_id);

  // Updates served to getUpdates. Returns the update_id (assigned when the JSON has none).
  // Throws std::invalid_argument on malformed JSON (a bug in the test).
  std::int64_t PushUpdate(const std::string& update_json);
  // A user writes to the bot; returns the update_id. For a private chat the user is the chat.
  std::int64_t SimulateUserMessage(std::int64_t chat_id, std::int64_t from_user_id,
                                   const std::string& text);
  // A user presses the inline button with `data` on a bot message; returns the fresh
  // callback_query id, which answerCallbackQuery accepts once within 15 minutes (fake clock).
  // Throws std::invalid_argument when there is no such message or button.
  std::string SimulateUserPress(std::int64_t chat_id, std::int64_t message_id,
                                const std::string& data, std::int64_t from_user_id = 0);
  // A modified client sends `data` as a press under a bot message that has no button with
  // it: Telegram delivers it as it is (the Bot API: "the message originated the query can
  // contain no callback buttons with this data"). Throws when there is no such message.
  std::string SimulateModifiedClientPress(std::int64_t chat_id, std::int64_t message_id,
                                          const std::string& data);

  // Delivers pending updates to the webhook as Telegram does: in order, one POST each with
  // the update as a JSON body and the secret in X-Telegram-Bot-Api-Secret-Token; a 2xx
  // answer confirms the update, anything else stops the run and is recorded as the webhook's
  // last error ("Wrong response from the webhook: 404 Not Found", "Connection refused", ...)
  // for getWebhookInfo, the update staying pending. Returns how many were delivered. Throws
  // std::logic_error when no webhook is set or it is not an http:// loopback URL (the fake
  // cannot reach anything else).
  std::size_t DeliverWebhookUpdates();

  // What the fake holds.
  std::vector<FakeMessage> Messages(std::int64_t chat_id) const;
  std::optional<FakeMessage> FindMessage(std::int64_t chat_id, std::int64_t message_id) const;
  std::vector<FakeCallbackAnswer> callback_answers() const;
  FakeWebhook webhook() const;
  std::size_t pending_update_count() const;
  // Waits (real time, at most `max`) until a getUpdates call is parked: it found no update
  // and waits for one, so an update pushed now wakes it. False if none parked in time.
  bool WaitForParkedPoll(std::chrono::milliseconds max) const;
  // Calls refused with 429 so far.
  int rate_limited_count() const;

 protected:
  FakeResponse MethodNotAllowed(const FakeRequest& request) override;

 private:
  enum class ChatStatus { kActive, kBlocked, kNeverStarted, kMigrated };
  struct ChatState {
    std::int64_t id = 0;
    std::string type;
    std::string title;
    std::string username;
    std::string first_name;
    ChatStatus status = ChatStatus::kActive;
    std::int64_t migrated_to = 0;
    FakeBotStatus bot_status = FakeBotStatus::kMember;
    bool members_can_send = true;
    std::int64_t next_message_id = 1;
    std::vector<FakeMessage> messages;
  };
  struct Params;

  FakeResponse Handle(const FakeRequest& request);
  static std::optional<std::string> ParseMultipart(const std::string& content_type,
                                                   const std::string& body, Params& params);
  FakeResponse GetMe(const Params& params);
  FakeResponse SendMessage(const Params& params);
  FakeResponse SendPhoto(const Params& params);
  FakeResponse SendDocument(const Params& params);
  FakeResponse EditMessageText(const Params& params);
  FakeResponse AnswerCallbackQuery(const Params& params);
  FakeResponse GetUpdates(const Params& params);
  FakeResponse SetWebhook(const Params& params);
  FakeResponse DeleteWebhook(const Params& params);
  FakeResponse GetWebhookInfo(const Params& params);
  FakeResponse GetChat(const Params& params);
  FakeResponse GetChatMember(const Params& params);
  // 403 when the bot is not in the (super)group `chat` (left or kicked). state_mutex_ held.
  std::optional<FakeResponse> CheckBotInChatLocked(const ChatState& chat) const;
  // Refuses a parameter of the wrong type (400) and records a failure for a name `method`
  // does not have. `spec`: name -> type ("String", "Integer", "Boolean", "Array of String",
  // "InputFile"), as in the Bot API's description.
  std::optional<FakeResponse> CheckParams(const std::string& method, const Params& params,
                                          const std::map<std::string, std::string>& spec);

  enum class ButtonCheck { kMustExist, kAnyData };
  std::string Press(std::int64_t chat_id, std::int64_t message_id, const std::string& data,
                    std::int64_t from_user_id, ButtonCheck check);

  // All below require state_mutex_ held.
  ChatState* FindChatLocked(const std::string& chat_ref);
  std::optional<FakeResponse> CheckChatLocked(const ChatState* chat);
  std::optional<FakeResponse> CheckFloodLocked(std::int64_t chat_id);
  std::int64_t PushUpdateLocked(const std::string& update_json, std::optional<std::int64_t> id);
  std::string ChatJsonLocked(const ChatState& chat) const;
  // Whether the bot's allowed_updates setting lets Telegram keep this update for it.
  bool WantedLocked(const std::string& update_type) const;
  std::string MessageJsonLocked(const ChatState& chat, const FakeMessage& message) const;

  core::TimePoint Now() const;

  FakeTelegramOptions options_;
  core::SystemClock system_clock_;
  mutable std::mutex state_mutex_;
  std::condition_variable updates_changed_;
  bool stopping_ = false;
  std::map<std::int64_t, ChatState> chats_;
  struct QueuedUpdate {
    std::int64_t update_id;
    std::string type;
    std::string json;
  };
  std::deque<QueuedUpdate> updates_;
  std::int64_t next_update_id_ = 100000001;
  std::uint64_t poll_generation_ = 0;
  int parked_polls_ = 0;  // getUpdates calls waiting for an update
  mutable std::condition_variable poll_parked_;
  std::optional<std::vector<std::string>> allowed_updates_;
  std::map<std::string, core::TimePoint> open_callbacks_;  // id -> when pressed
  std::uint64_t next_callback_ = 1;
  std::vector<FakeCallbackAnswer> callback_answers_;
  FakeWebhook webhook_;
  std::map<std::string, std::deque<core::TimePoint>> flood_history_;
  int rate_limited_ = 0;
};

}  // namespace planfix_flow::sandbox
