// TelegramClient: the Bot API methods this service uses (sendMessage, sendPhoto, sendDocument,
// editMessageText,
// answerCallbackQuery, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, getMe, getChat,
// getChatMember) over an HttpClient,
// with local validation, error mapping and pacing. Thread-safe: calls may come from any
// thread; message sends block on the clock until the pacer gives them a slot.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "planfix_flow/core/clock.h"
#include "planfix_flow/core/pacer.h"
#include "planfix_flow/core/result.h"
#include "planfix_flow/http/http_client.h"
#include "planfix_flow/telegram/types.h"

namespace planfix_flow::telegram {

struct TelegramOptions {
  std::string base_url = "https://api.telegram.org";  // no trailing slash needed
  std::string token;                                  // a secret: never logged
  // Pacing of sendMessage and editMessageText. Group limits apply to chat ids < 0.
  core::RateLimit per_chat{1, std::chrono::seconds(1)};
  core::RateLimit per_group{20, std::chrono::seconds(60)};
  core::RateLimit global{30, std::chrono::seconds(1)};
  // After a 429 the chat (or the bot) is paused for retry_after. A call that would have to
  // wait longer than this fails at once with kRateLimited and the remaining retry_after, so a
  // worker thread is not held for minutes; shorter pauses are waited out.
  std::chrono::seconds max_backoff_wait{10};
  std::chrono::seconds long_poll_timeout{25};
  // HTTP timeout of every call; getUpdates gets its long-poll timeout on top of it.
  std::chrono::milliseconds request_timeout{10000};
};

struct LinkPreviewOptions {
  bool is_disabled = false;
  std::string url;
  bool prefer_small_media = false;
  bool prefer_large_media = false;
  bool show_above_text = false;
};

inline constexpr std::size_t kMaxTextCharacters = 4096;
inline constexpr std::size_t kMaxCallbackDataBytes = 64;

struct SendMessageRequest {
  ChatId chat_id = 0;
  std::string text;
  std::string parse_mode = "HTML";  // empty: plain text
  InlineKeyboard keyboard;          // empty: no reply_markup
  bool disable_notification = false;
  std::optional<LinkPreviewOptions> link_preview_options;
};

// sendPhoto with the photo uploaded as a file (multipart/form-data).
inline constexpr std::size_t kMaxCaptionCharacters = 1024;
inline constexpr std::size_t kMaxPhotoBytes = std::size_t{10} * 1024 * 1024;

struct SendPhotoRequest {
  ChatId chat_id = 0;
  std::string photo;  // the image file's bytes (PNG or JPEG), 1 byte .. kMaxPhotoBytes
  std::string filename = "photo.png";
  std::string caption;              // 0..kMaxCaptionCharacters after entity parsing
  std::string parse_mode = "HTML";  // of the caption; empty: plain text
};

// sendDocument with the document uploaded as a file (multipart/form-data). Telegram takes
// uploads of up to 50 MB from bots.
inline constexpr std::size_t kMaxDocumentBytes = std::size_t{50} * 1000 * 1000;

struct SendDocumentRequest {
  ChatId chat_id = 0;
  std::string document;  // the file's bytes, 1 byte .. kMaxDocumentBytes
  std::string filename;  // as the client sees it, e.g. "report-2026-12.pdf"; no quote, CR, LF
  std::string caption;   // 0..kMaxCaptionCharacters after entity parsing
  std::string parse_mode = "HTML";  // of the caption; empty: plain text
};

struct EditMessageTextRequest {
  ChatId chat_id = 0;
  std::int64_t message_id = 0;
  std::string text;
  std::string parse_mode = "HTML";
  InlineKeyboard keyboard;  // empty: the message loses its keyboard (as in the Bot API)
  std::optional<LinkPreviewOptions> link_preview_options;
};

struct EditOutcome {
  // False when Telegram answered "message is not modified" (the text and keyboard were
  // already as requested): a success for our purposes, e.g. a retried edit.
  bool modified = true;
  // The edited message; when !modified only chat.id and message_id are set.
  Message message;
};

struct AnswerCallbackQueryRequest {
  std::string callback_query_id;
  std::string text;  // optional notification, 0-200 characters
  bool show_alert = false;
  std::string url;
  std::optional<int> cache_time;
};

struct GetUpdatesRequest {
  std::optional<std::int64_t> offset;           // the last update_id seen + 1
  std::optional<int> limit;                     // 1-100
  std::optional<std::chrono::seconds> timeout;  // default: options.long_poll_timeout
  // Unset keeps the previous setting (as in the Bot API); an empty list means the default set.
  std::optional<std::vector<std::string>> allowed_updates;
};

struct SetWebhookRequest {
  std::string url;           // see ValidateWebhookUrl; empty removes the webhook
  std::string secret_token;  // 1-256 of A-Z a-z 0-9 _ -; empty: none
  std::optional<std::vector<std::string>> allowed_updates;
  std::optional<int> max_connections;
  bool drop_pending_updates = false;
};

enum class PendingUpdates { kKeep, kDrop };

// What getWebhookInfo reports. Dates are Unix seconds.
struct WebhookInfo {
  std::string url;  // empty: no webhook (getUpdates is in use)
  bool has_custom_certificate = false;
  std::int64_t pending_update_count = 0;
  std::string ip_address;
  // The most recent failed delivery to the webhook, if any (Telegram keeps it after later
  // deliveries succeed: compare dates, not presence).
  std::optional<std::int64_t> last_error_date;
  std::string last_error_message;
  std::optional<std::int64_t> last_synchronization_error_date;
  std::optional<int> max_connections;
  std::vector<std::string> allowed_updates;  // empty: Telegram's default set
};

// Error mapping of every call (Error::remote_code holds Telegram's error_code):
//   429           -> kRateLimited, retry_after set; the chat (or, for calls without a chat,
//                    the whole bot) is paused in the pacer until then
//   400 with parameters.migrate_to_chat_id
//                 -> kConflict with migrate_to_chat_id: the group became a supergroup; store
//                    the new id and resend there (resending to the old id fails again)
//   401           -> kUnauthorized (wrong token)
//   403           -> kPermanent ("bot was blocked by the user", "bot can't initiate
//                    conversation with a user", ...): do not retry, tell the staff
//   409           -> kConflict (getUpdates while a webhook is set, or a competing poller)
//   other 4xx     -> kPermanent
//   5xx           -> kUnavailable
//   transport     -> as the HttpClient reports (kTimeout, kUnavailable, ...)
// Invalid input is refused locally with kInvalidInput and never sent.
class TelegramClient {
 public:
  TelegramClient(http::HttpClient& http, core::Clock& clock, TelegramOptions options);

  core::Result<Message> SendMessage(const SendMessageRequest& request);
  // Paced like a message to the chat. Refused locally: an empty or oversized photo, a caption
  // too long or with bad markup, a filename with a quote, CR or LF.
  core::Result<Message> SendPhoto(const SendPhotoRequest& request);
  // Paced like a message to the chat. Refused locally: an empty or oversized document, an
  // empty filename or one with a quote, CR or LF, a caption too long or with bad markup.
  core::Result<Message> SendDocument(const SendDocumentRequest& request);
  core::Result<EditOutcome> EditMessageText(const EditMessageTextRequest& request);
  core::Status AnswerCallbackQuery(const AnswerCallbackQueryRequest& request);
  // Long polling: blocks up to the timeout. An update that cannot be parsed comes back as
  // kind kOther with type "invalid" (its update_id kept), so the offset still moves past it.
  core::Result<std::vector<Update>> GetUpdates(const GetUpdatesRequest& request);
  core::Status SetWebhook(const SetWebhookRequest& request);
  core::Status DeleteWebhook(PendingUpdates pending = PendingUpdates::kKeep);
  core::Result<WebhookInfo> GetWebhookInfo();
  core::Result<User> GetMe();
  // getChat and getChatMember: read-only, for checking that the bot may write to a chat.
  core::Result<ChatInfo> GetChat(ChatId chat_id);
  core::Result<ChatMember> GetChatMember(ChatId chat_id, std::int64_t user_id);

 private:
  struct Call;
  core::Result<std::string> Invoke(Call& call);

  // Records a 429 pause for `key` (in the pacer too); returns the remaining wait, if any.
  void Pause(const std::string& key, core::TimePoint until);
  std::optional<core::Duration> PausedFor(const std::string& key) const;

  http::HttpClient& http_;
  core::Clock& clock_;
  TelegramOptions options_;
  core::Pacer pacer_;
  mutable std::mutex pause_mutex_;
  std::map<std::string, core::TimePoint> paused_until_;
};

// Local checks the client applies before sending (also useful to callers building texts).
// Text: with parse_mode "HTML" the markup must parse as Telegram parses it; the text after
// parsing, trimmed of surrounding whitespace, must hold 1-4096 Unicode code points (Telegram
// counts "characters after entities parsing"; code points are our reading of that).
core::Status ValidateMessageText(std::string_view text, std::string_view parse_mode);
// A photo's caption: as message text, but 0..kMaxCaptionCharacters.
core::Status ValidateCaption(std::string_view caption, std::string_view parse_mode);
// Every button: non-empty text and exactly one of callback_data (1-64 bytes) and url.
core::Status ValidateKeyboard(const InlineKeyboard& keyboard);
// 1-256 characters of A-Z a-z 0-9 _ -.
core::Status ValidateSecretToken(std::string_view token);
// A webhook URL Telegram delivers to: https://<host>[:443|:80|:88|:8443]/... Also accepted:
// http:// with a loopback host (127.x.x.x, localhost, [::1]) on any port, which only the
// sandbox fake can reach (tests); Telegram itself refuses it.
core::Status ValidateWebhookUrl(std::string_view url);
// Whether `url` is http:// to a loopback host (see ValidateWebhookUrl).
bool IsLoopbackHttpUrl(std::string_view url);

}  // namespace planfix_flow::telegram
