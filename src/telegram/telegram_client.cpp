#include "planfix_flow/telegram/telegram_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "planfix_flow/core/log.h"
#include "planfix_flow/core/parse.h"
#include "planfix_flow/core/url.h"
#include "telegram/json_codec.h"

namespace planfix_flow::telegram {

using core::Error;
using core::ErrorCode;
using core::Fail;
using core::Result;
using core::Status;
using nlohmann::json;

Status ValidateMessageText(std::string_view text, std::string_view parse_mode) {
  std::string plain;
  if (parse_mode == "HTML") {
    auto parsed = ParseHtml(text);
    if (!parsed) {
      return Fail(ErrorCode::kInvalidInput,
                  "telegram: can't parse entities: " + parsed.error().message);
    }
    plain = std::move(parsed->text);
  } else {
    if (!IsValidUtf8(text)) return Fail(ErrorCode::kInvalidInput, "telegram: text is not UTF-8");
    plain = std::string(text);
  }
  const std::size_t length = CountCodePoints(TrimWhitespace(plain));
  if (length == 0) return Fail(ErrorCode::kInvalidInput, "telegram: message text is empty");
  if (length > kMaxTextCharacters) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("telegram: message is too long ({} characters, at most {})", length,
                            kMaxTextCharacters));
  }
  return core::Ok();
}

Status ValidateCaption(std::string_view caption, std::string_view parse_mode) {
  std::string plain;
  if (parse_mode == "HTML") {
    auto parsed = ParseHtml(caption);
    if (!parsed) {
      return Fail(ErrorCode::kInvalidInput,
                  "telegram: can't parse caption entities: " + parsed.error().message);
    }
    plain = std::move(parsed->text);
  } else {
    if (!IsValidUtf8(caption)) {
      return Fail(ErrorCode::kInvalidInput, "telegram: caption is not UTF-8");
    }
    plain = std::string(caption);
  }
  const std::size_t length = CountCodePoints(TrimWhitespace(plain));
  if (length > kMaxCaptionCharacters) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("telegram: caption is too long ({} characters, at most {})", length,
                            kMaxCaptionCharacters));
  }
  return core::Ok();
}

Status ValidateKeyboard(const InlineKeyboard& keyboard) {
  for (std::size_t row = 0; row < keyboard.size(); ++row) {
    for (std::size_t column = 0; column < keyboard[row].size(); ++column) {
      const InlineButton& button = keyboard[row][column];
      const std::string where = fmt::format("telegram: button [{}][{}]", row, column);
      if (button.text.empty()) return Fail(ErrorCode::kInvalidInput, where + " has no text");
      if (button.callback_data.empty() == button.url.empty()) {
        return Fail(ErrorCode::kInvalidInput,
                    where + " needs exactly one of callback_data and url");
      }
      if (!button.callback_data.empty() && button.callback_data.size() > kMaxCallbackDataBytes) {
        return Fail(ErrorCode::kInvalidInput,
                    fmt::format("{}: callback_data is {} bytes, at most {}", where,
                                button.callback_data.size(), kMaxCallbackDataBytes));
      }
    }
  }
  return core::Ok();
}

Status ValidateSecretToken(std::string_view token) {
  if (token.empty() || token.size() > 256) {
    return Fail(ErrorCode::kInvalidInput, "telegram: secret_token must be 1-256 characters");
  }
  const bool allowed = std::all_of(token.begin(), token.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
  });
  if (!allowed) {
    return Fail(ErrorCode::kInvalidInput,
                "telegram: secret_token may hold only A-Z, a-z, 0-9, _ and -");
  }
  return core::Ok();
}

namespace {

struct Authority {
  std::string host;  // lowercased; an IPv6 address keeps its brackets
  std::string port;  // empty when the URL names none
};

// The authority of "<scheme>://<authority>[/?#...]" given what follows "://"; nullopt when
// it is not a plain host[:port] (user info, an empty host, a port that is not a number).
std::optional<Authority> ParseAuthority(std::string_view rest) {
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  Authority out;
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(0, close + 1);
    const std::string_view tail = authority.substr(close + 1);
    if (!tail.empty()) {
      if (tail.front() != ':') return std::nullopt;
      port = tail.substr(1);
      has_port = true;
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  if (host.empty()) return std::nullopt;
  if (has_port &&
      (port.empty() || port.size() > 5 ||
       !std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))) {
    return std::nullopt;
  }
  out.host.reserve(host.size());
  for (const char ch : host) {
    out.host.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
  }
  out.port = std::string(port);
  return out;
}

bool HasSpaceOrControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char ch) {
    const auto byte = static_cast<unsigned char>(ch);
    return byte <= 0x20 || byte == 0x7f;
  });
}

}  // namespace

bool IsLoopbackHttpUrl(std::string_view url) {
  if (!url.starts_with("http://") || HasSpaceOrControl(url)) return false;
  const auto authority = ParseAuthority(url.substr(7));
  return authority && core::IsLoopbackHost(authority->host);
}

Status ValidateWebhookUrl(std::string_view url) {
  if (url.empty()) return Fail(ErrorCode::kInvalidInput, "telegram: webhook URL: is empty");
  if (HasSpaceOrControl(url)) {
    return Fail(ErrorCode::kInvalidInput,
                "telegram: webhook URL: contains spaces or control characters");
  }
  if (url.starts_with("https://")) {
    const auto authority = ParseAuthority(url.substr(8));
    if (!authority) {
      return Fail(ErrorCode::kInvalidInput,
                  "telegram: webhook URL: has no valid host[:port] after https://");
    }
    const std::string& port = authority->port;
    if (!port.empty() && port != "443" && port != "80" && port != "88" && port != "8443") {
      return Fail(ErrorCode::kInvalidInput,
                  fmt::format("telegram: webhook URL: port {} is not one Telegram delivers to "
                              "(443, 80, 88, 8443)",
                              port));
    }
    return core::Ok();
  }
  if (IsLoopbackHttpUrl(url)) return core::Ok();
  return Fail(ErrorCode::kInvalidInput,
              "telegram: webhook URL: must be an https:// URL (Telegram refuses anything else; "
              "http:// is accepted only to a loopback host, for tests against the sandbox)");
}

namespace {

const std::string kGlobalKey = "telegram:global";

std::string ChatKey(ChatId chat_id) { return fmt::format("telegram:chat:{}", chat_id); }

json ToJson(const LinkPreviewOptions& options) {
  json out = json::object();
  if (options.is_disabled) out["is_disabled"] = true;
  if (!options.url.empty()) out["url"] = options.url;
  if (options.prefer_small_media) out["prefer_small_media"] = true;
  if (options.prefer_large_media) out["prefer_large_media"] = true;
  if (options.show_above_text) out["show_above_text"] = true;
  return out;
}

bool IsNotModified(const Error& error) {
  return error.remote_code == 400 &&
         error.message.find("message is not modified") != std::string::npos;
}

}  // namespace

struct TelegramClient::Call {
  std::string method;
  json body = json::object();
  // Sent as multipart/form-data with `body`'s members as text fields when set.
  struct File {
    std::string field;
    std::string filename;
    std::string content_type;
    std::string bytes;
  };
  std::optional<File> file;
  std::optional<ChatId> chat;  // paced as a message to this chat
  std::chrono::milliseconds extra_timeout{0};
};

TelegramClient::TelegramClient(http::HttpClient& http, core::Clock& clock, TelegramOptions options)
    : http_(http), clock_(clock), options_(std::move(options)), pacer_(clock) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/')
    options_.base_url.pop_back();
}

void TelegramClient::Pause(const std::string& key, core::TimePoint until) {
  pacer_.Pause(key, until);
  std::lock_guard lock(pause_mutex_);
  auto& paused = paused_until_[key];
  paused = std::max(paused, until);
}

std::optional<core::Duration> TelegramClient::PausedFor(const std::string& key) const {
  std::lock_guard lock(pause_mutex_);
  const auto it = paused_until_.find(key);
  if (it == paused_until_.end()) return std::nullopt;
  const auto now = clock_.Now();
  if (it->second <= now) return std::nullopt;
  return it->second - now;
}

Result<std::string> TelegramClient::Invoke(Call& call) {
  static const auto logger = core::Logger("telegram");
  // Fail fast instead of sleeping through a long flood-control pause.
  for (const std::string& key : call.chat
                                    ? std::vector<std::string>{kGlobalKey, ChatKey(*call.chat)}
                                    : std::vector<std::string>{kGlobalKey}) {
    const auto wait = PausedFor(key);
    if (wait && *wait > options_.max_backoff_wait) {
      Error error = core::MakeError(
          ErrorCode::kRateLimited,
          fmt::format("telegram {}: paused by an earlier 429 (not sent)", call.method));
      error.retry_after = std::chrono::ceil<std::chrono::seconds>(*wait);
      return Fail(std::move(error));
    }
  }
  if (call.chat) {
    std::vector<core::Pacer::Scope> scopes{{options_.global, kGlobalKey},
                                           {options_.per_chat, ChatKey(*call.chat)}};
    if (*call.chat < 0) scopes.push_back({options_.per_group, ChatKey(*call.chat)});
    pacer_.Acquire(scopes);
  } else {
    // Calls without a chat only wait out a global back-off, they are not counted.
    pacer_.Acquire({{core::RateLimit{0, std::chrono::seconds(0)}, kGlobalKey}});
  }

  http::HttpRequest request;
  request.method = "POST";
  request.url = fmt::format("{}/bot{}/{}", options_.base_url, options_.token, call.method);
  if (call.file) {
    // A boundary that occurs in no part: derived from the content, lengthened until unique.
    std::string boundary =
        fmt::format("planfix-flow-{:016x}", std::hash<std::string>{}(call.file->bytes));
    const auto occurs = [&](const std::string& candidate) {
      if (call.file->bytes.find(candidate) != std::string::npos) return true;
      for (const auto& [name, value] : call.body.items()) {
        const std::string text = value.is_string() ? value.get<std::string>() : value.dump();
        if (text.find(candidate) != std::string::npos) return true;
      }
      return false;
    };
    while (occurs(boundary)) boundary += "x";
    std::string body;
    for (const auto& [name, value] : call.body.items()) {
      body +=
          fmt::format("--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n{}\r\n", boundary,
                      name, value.is_string() ? value.get<std::string>() : value.dump());
    }
    body += fmt::format(
        "--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: "
        "{}\r\n\r\n",
        boundary, call.file->field, call.file->filename, call.file->content_type);
    body += call.file->bytes;
    body += fmt::format("\r\n--{}--\r\n", boundary);
    request.headers["Content-Type"] = "multipart/form-data; boundary=" + boundary;
    request.body = std::move(body);
  } else {
    request.headers["Content-Type"] = "application/json";
    request.body = call.body.dump();
  }
  request.timeout = options_.request_timeout + call.extra_timeout;
  auto response = http_.Send(request);
  if (!response) {
    Error error = response.error();
    error.message = fmt::format("telegram {}: {}", call.method, error.message);
    return Fail(std::move(error));
  }

  const json body = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  const int status = response->status;
  if (body.is_discarded() || !body.is_object() || !body.contains("ok") ||
      !body["ok"].is_boolean()) {
    Error error = core::MakeError(
        status >= 500 ? ErrorCode::kUnavailable : ErrorCode::kInternal,
        fmt::format("telegram {}: HTTP {} without a Bot API answer", call.method, status));
    error.remote_code = status;
    return Fail(std::move(error));
  }
  if (body["ok"].get<bool>()) {
    if (!body.contains("result")) {
      return Fail(ErrorCode::kInternal,
                  fmt::format("telegram {}: answer has no result", call.method));
    }
    return body["result"].dump();
  }

  int code = status;
  if (body.contains("error_code") && body["error_code"].is_number_integer()) {
    code = body["error_code"].get<int>();
  }
  const std::string description = body.contains("description") && body["description"].is_string()
                                      ? body["description"].get<std::string>()
                                      : fmt::format("HTTP {}", status);
  Error error;
  error.remote_code = code;
  error.message = fmt::format("telegram {}: {}", call.method, description);
  const json parameters =
      body.contains("parameters") && body["parameters"].is_object() ? body["parameters"] : json();
  if (code == 429) {
    std::int64_t seconds = 1;
    if (parameters.contains("retry_after") && parameters["retry_after"].is_number_integer()) {
      seconds = std::max<std::int64_t>(1, parameters["retry_after"].get<std::int64_t>());
    }
    error.code = ErrorCode::kRateLimited;
    error.retry_after = std::chrono::seconds(seconds);
    const auto until = clock_.Now() + std::chrono::seconds(seconds);
    Pause(call.chat ? ChatKey(*call.chat) : kGlobalKey, until);
    logger->warn("event=rate_limited method={} chat={} retry_after={}", call.method,
                 call.chat ? std::to_string(*call.chat) : "-", seconds);
  } else if (code == 400 && parameters.contains("migrate_to_chat_id") &&
             parameters["migrate_to_chat_id"].is_number_integer()) {
    error.code = ErrorCode::kConflict;
    error.migrate_to_chat_id = parameters["migrate_to_chat_id"].get<long long>();
  } else if (code == 401) {
    error.code = ErrorCode::kUnauthorized;
  } else if (code == 409) {
    error.code = ErrorCode::kConflict;
  } else if (code >= 500) {
    error.code = ErrorCode::kUnavailable;
  } else {
    error.code = ErrorCode::kPermanent;
  }
  if (code == 403) {
    logger->warn("event=forbidden method={} chat={} description=\"{}\"", call.method,
                 call.chat ? std::to_string(*call.chat) : "-", description);
  }
  return Fail(std::move(error));
}

namespace {

// Parses a Bot API result that must be a Message.
Result<Message> ParseMessageResult(const std::string& method, const std::string& result) {
  const json object = json::parse(result, nullptr, /*allow_exceptions=*/false);
  auto message = internal::ParseMessage(object);
  if (!message) {
    return Fail(ErrorCode::kInternal,
                fmt::format("telegram {}: unexpected result: {}", method, message.error().message));
  }
  return message;
}

Status ExpectTrue(const std::string& method, const std::string& result) {
  if (result != "true") {
    return Fail(ErrorCode::kInternal, fmt::format("telegram {}: expected true", method));
  }
  return core::Ok();
}

}  // namespace

Result<Message> TelegramClient::SendMessage(const SendMessageRequest& request) {
  if (auto valid = ValidateMessageText(request.text, request.parse_mode); !valid) {
    return Fail(valid.error());
  }
  if (auto valid = ValidateKeyboard(request.keyboard); !valid) return Fail(valid.error());
  Call call;
  call.method = "sendMessage";
  call.chat = request.chat_id;
  call.body["chat_id"] = request.chat_id;
  call.body["text"] = request.text;
  if (!request.parse_mode.empty()) call.body["parse_mode"] = request.parse_mode;
  if (!request.keyboard.empty()) call.body["reply_markup"] = internal::ToJson(request.keyboard);
  if (request.disable_notification) call.body["disable_notification"] = true;
  if (request.link_preview_options) {
    call.body["link_preview_options"] = ToJson(*request.link_preview_options);
  }
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  return ParseMessageResult(call.method, *result);
}

namespace {

// What every upload (sendPhoto, sendDocument) must be before it is sent: `what` ("photo",
// "document") not empty and at most `max_bytes`, a filename the multipart header can quote,
// and a valid caption.
Status CheckUpload(std::string_view what, const std::string& bytes, std::size_t max_bytes,
                   const std::string& filename, const std::string& caption,
                   const std::string& parse_mode) {
  if (bytes.empty())
    return Fail(ErrorCode::kInvalidInput, fmt::format("telegram: {} is empty", what));
  if (bytes.size() > max_bytes) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("telegram: {} is too large ({} bytes, at most {})", what, bytes.size(),
                            max_bytes));
  }
  if (filename.empty() || filename.find_first_of("\"\r\n") != std::string::npos) {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("telegram: {} filename is empty or not quotable", what));
  }
  if (auto valid = ValidateCaption(caption, parse_mode); !valid) return Fail(valid.error());
  return core::Ok();
}

}  // namespace

Result<Message> TelegramClient::SendPhoto(const SendPhotoRequest& request) {
  if (auto checked = CheckUpload("photo", request.photo, kMaxPhotoBytes, request.filename,
                                 request.caption, request.parse_mode);
      !checked) {
    return Fail(checked.error());
  }
  Call call;
  call.method = "sendPhoto";
  call.chat = request.chat_id;
  call.body["chat_id"] = std::to_string(request.chat_id);
  if (!request.caption.empty()) {
    call.body["caption"] = request.caption;
    if (!request.parse_mode.empty()) call.body["parse_mode"] = request.parse_mode;
  }
  const bool png = request.photo.rfind("\x89PNG", 0) == 0;
  call.file =
      Call::File{"photo", request.filename, png ? "image/png" : "image/jpeg", request.photo};
  // An upload takes longer than a text message.
  call.extra_timeout = std::chrono::seconds(30);
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  return ParseMessageResult(call.method, *result);
}

namespace {

// The part's Content-Type: what the name says for the kinds a report comes in; Telegram
// detects the type itself anyway (disable_content_type_detection is not set).
std::string DocumentContentType(std::string_view filename) {
  const auto dot = filename.rfind('.');
  const std::string extension =
      dot == std::string_view::npos ? std::string() : core::AsciiLower(filename.substr(dot + 1));
  if (extension == "pdf") return "application/pdf";
  if (extension == "xlsx")
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  if (extension == "docx")
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (extension == "zip") return "application/zip";
  if (extension == "png") return "image/png";
  if (extension == "jpg" || extension == "jpeg") return "image/jpeg";
  return "application/octet-stream";
}

}  // namespace

Result<Message> TelegramClient::SendDocument(const SendDocumentRequest& request) {
  if (auto checked = CheckUpload("document", request.document, kMaxDocumentBytes, request.filename,
                                 request.caption, request.parse_mode);
      !checked) {
    return Fail(checked.error());
  }
  Call call;
  call.method = "sendDocument";
  call.chat = request.chat_id;
  call.body["chat_id"] = std::to_string(request.chat_id);
  if (!request.caption.empty()) {
    call.body["caption"] = request.caption;
    if (!request.parse_mode.empty()) call.body["parse_mode"] = request.parse_mode;
  }
  call.file = Call::File{"document", request.filename, DocumentContentType(request.filename),
                         request.document};
  // Up to 50 MB on the way out: a minute and a half on top of the usual timeout.
  call.extra_timeout = std::chrono::seconds(90);
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  return ParseMessageResult(call.method, *result);
}

Result<EditOutcome> TelegramClient::EditMessageText(const EditMessageTextRequest& request) {
  if (auto valid = ValidateMessageText(request.text, request.parse_mode); !valid) {
    return Fail(valid.error());
  }
  if (auto valid = ValidateKeyboard(request.keyboard); !valid) return Fail(valid.error());
  if (request.message_id <= 0) {
    return Fail(ErrorCode::kInvalidInput, "telegram editMessageText: message_id is required");
  }
  Call call;
  call.method = "editMessageText";
  call.chat = request.chat_id;
  call.body["chat_id"] = request.chat_id;
  call.body["message_id"] = request.message_id;
  call.body["text"] = request.text;
  if (!request.parse_mode.empty()) call.body["parse_mode"] = request.parse_mode;
  if (!request.keyboard.empty()) call.body["reply_markup"] = internal::ToJson(request.keyboard);
  if (request.link_preview_options) {
    call.body["link_preview_options"] = ToJson(*request.link_preview_options);
  }
  auto result = Invoke(call);
  EditOutcome outcome;
  if (!result) {
    if (!IsNotModified(result.error())) return Fail(result.error());
    outcome.modified = false;
    outcome.message.chat.id = request.chat_id;
    outcome.message.message_id = request.message_id;
    return outcome;
  }
  // Edits of inline-mode messages answer true; ours always name a chat, so expect a Message.
  auto message = ParseMessageResult(call.method, *result);
  if (!message) return Fail(message.error());
  outcome.message = std::move(*message);
  return outcome;
}

Status TelegramClient::AnswerCallbackQuery(const AnswerCallbackQueryRequest& request) {
  if (request.callback_query_id.empty()) {
    return Fail(ErrorCode::kInvalidInput,
                "telegram answerCallbackQuery: callback_query_id is required");
  }
  if (CountCodePoints(request.text) > 200) {
    return Fail(ErrorCode::kInvalidInput,
                "telegram answerCallbackQuery: text is longer than 200 characters");
  }
  Call call;
  call.method = "answerCallbackQuery";
  call.body["callback_query_id"] = request.callback_query_id;
  if (!request.text.empty()) call.body["text"] = request.text;
  if (request.show_alert) call.body["show_alert"] = true;
  if (!request.url.empty()) call.body["url"] = request.url;
  if (request.cache_time) call.body["cache_time"] = *request.cache_time;
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  return ExpectTrue(call.method, *result);
}

Result<std::vector<Update>> TelegramClient::GetUpdates(const GetUpdatesRequest& request) {
  static const auto logger = core::Logger("telegram");
  const auto timeout = request.timeout.value_or(options_.long_poll_timeout);
  if (timeout.count() < 0) {
    return Fail(ErrorCode::kInvalidInput, "telegram getUpdates: timeout must not be negative");
  }
  if (request.limit && (*request.limit < 1 || *request.limit > 100)) {
    return Fail(ErrorCode::kInvalidInput, "telegram getUpdates: limit must be 1-100");
  }
  Call call;
  call.method = "getUpdates";
  if (request.offset) call.body["offset"] = *request.offset;
  if (request.limit) call.body["limit"] = *request.limit;
  call.body["timeout"] = timeout.count();
  if (request.allowed_updates) call.body["allowed_updates"] = *request.allowed_updates;
  // The server holds the request for up to `timeout`: the HTTP timeout must outlast it.
  call.extra_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(timeout);
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  const json array = json::parse(*result, nullptr, /*allow_exceptions=*/false);
  if (!array.is_array()) {
    return Fail(ErrorCode::kInternal, "telegram getUpdates: result is not an array");
  }
  // A second parse that keeps the key order, for Update::raw_json.
  const auto ordered = nlohmann::ordered_json::parse(*result, nullptr, false);
  std::vector<Update> updates;
  updates.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const json& item = array[i];
    auto update = internal::ParseUpdate(item);
    if (update) {
      update->raw_json = ordered[i].dump();
      updates.push_back(std::move(*update));
      continue;
    }
    if (!item.is_object() || !item.contains("update_id") ||
        !item["update_id"].is_number_integer()) {
      return Fail(ErrorCode::kInternal, "telegram getUpdates: an update has no update_id");
    }
    Update invalid;
    invalid.update_id = item["update_id"].get<std::int64_t>();
    invalid.kind = UpdateKind::kOther;
    invalid.type = "invalid";
    invalid.raw_json = ordered[i].dump();
    logger->warn("event=invalid_update update_id={} error=\"{}\"", invalid.update_id,
                 update.error().message);
    updates.push_back(std::move(invalid));
  }
  return updates;
}

Status TelegramClient::SetWebhook(const SetWebhookRequest& request) {
  // An empty url removes the webhook.
  if (!request.url.empty()) {
    if (auto valid = ValidateWebhookUrl(request.url); !valid) return Fail(valid.error());
  }
  if (!request.secret_token.empty()) {
    if (auto valid = ValidateSecretToken(request.secret_token); !valid) {
      return Fail(valid.error());
    }
  }
  if (request.max_connections && (*request.max_connections < 1 || *request.max_connections > 100)) {
    return Fail(ErrorCode::kInvalidInput, "telegram setWebhook: max_connections must be 1-100");
  }
  Call call;
  call.method = "setWebhook";
  call.body["url"] = request.url;
  if (!request.secret_token.empty()) call.body["secret_token"] = request.secret_token;
  if (request.allowed_updates) call.body["allowed_updates"] = *request.allowed_updates;
  if (request.max_connections) call.body["max_connections"] = *request.max_connections;
  if (request.drop_pending_updates) call.body["drop_pending_updates"] = true;
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  return ExpectTrue(call.method, *result);
}

Status TelegramClient::DeleteWebhook(PendingUpdates pending) {
  Call call;
  call.method = "deleteWebhook";
  if (pending == PendingUpdates::kDrop) call.body["drop_pending_updates"] = true;
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  return ExpectTrue(call.method, *result);
}

Result<WebhookInfo> TelegramClient::GetWebhookInfo() {
  Call call;
  call.method = "getWebhookInfo";
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  const json object = json::parse(*result, nullptr, /*allow_exceptions=*/false);
  auto unexpected = [](std::string_view what) {
    return Fail(ErrorCode::kInternal,
                fmt::format("telegram getWebhookInfo: unexpected result: {}", what));
  };
  if (!object.is_object()) return unexpected("not an object");
  WebhookInfo info;
  const auto url = object.find("url");
  const auto certificate = object.find("has_custom_certificate");
  const auto pending = object.find("pending_update_count");
  if (url == object.end() || !url->is_string()) return unexpected("url");
  if (certificate == object.end() || !certificate->is_boolean()) {
    return unexpected("has_custom_certificate");
  }
  if (pending == object.end() || !pending->is_number_integer()) {
    return unexpected("pending_update_count");
  }
  info.url = url->get<std::string>();
  info.has_custom_certificate = certificate->get<bool>();
  info.pending_update_count = pending->get<std::int64_t>();
  auto optional_int = [&](const char* name, std::optional<std::int64_t>& out) {
    const auto it = object.find(name);
    if (it == object.end()) return true;
    if (!it->is_number_integer()) return false;
    out = it->get<std::int64_t>();
    return true;
  };
  auto optional_string = [&](const char* name, std::string& out) {
    const auto it = object.find(name);
    if (it == object.end()) return true;
    if (!it->is_string()) return false;
    out = it->get<std::string>();
    return true;
  };
  std::optional<std::int64_t> max_connections;
  if (!optional_int("last_error_date", info.last_error_date)) return unexpected("last_error_date");
  if (!optional_int("last_synchronization_error_date", info.last_synchronization_error_date)) {
    return unexpected("last_synchronization_error_date");
  }
  if (!optional_int("max_connections", max_connections)) return unexpected("max_connections");
  if (max_connections) info.max_connections = static_cast<int>(*max_connections);
  if (!optional_string("last_error_message", info.last_error_message)) {
    return unexpected("last_error_message");
  }
  if (!optional_string("ip_address", info.ip_address)) return unexpected("ip_address");
  if (const auto it = object.find("allowed_updates"); it != object.end()) {
    if (!it->is_array()) return unexpected("allowed_updates");
    for (const auto& type : *it) {
      if (!type.is_string()) return unexpected("allowed_updates");
      info.allowed_updates.push_back(type.get<std::string>());
    }
  }
  return info;
}

Result<User> TelegramClient::GetMe() {
  Call call;
  call.method = "getMe";
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  auto user = internal::ParseUser(json::parse(*result, nullptr, /*allow_exceptions=*/false));
  if (!user) {
    return Fail(ErrorCode::kInternal, "telegram getMe: unexpected result: " + user.error().message);
  }
  return user;
}

Result<ChatInfo> TelegramClient::GetChat(ChatId chat_id) {
  Call call;
  call.method = "getChat";
  call.body = {{"chat_id", chat_id}};
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  const json object = json::parse(*result, nullptr, /*allow_exceptions=*/false);
  auto chat = internal::ParseChat(object);
  if (!chat) {
    return Fail(ErrorCode::kInternal,
                "telegram getChat: unexpected result: " + chat.error().message);
  }
  ChatInfo info;
  info.chat = std::move(*chat);
  const auto permissions = object.find("permissions");
  if (permissions != object.end() && permissions->is_object()) {
    const auto can_send = permissions->find("can_send_messages");
    if (can_send != permissions->end() && can_send->is_boolean()) {
      info.members_can_send_messages = can_send->get<bool>();
    }
  }
  return info;
}

Result<ChatMember> TelegramClient::GetChatMember(ChatId chat_id, std::int64_t user_id) {
  Call call;
  call.method = "getChatMember";
  call.body = {{"chat_id", chat_id}, {"user_id", user_id}};
  auto result = Invoke(call);
  if (!result) return Fail(result.error());
  const json object = json::parse(*result, nullptr, /*allow_exceptions=*/false);
  const auto unexpected = [](std::string_view what) {
    return Fail(ErrorCode::kInternal,
                fmt::format("telegram getChatMember: unexpected result: {}", what));
  };
  if (!object.is_object()) return unexpected("not an object");
  const auto status = object.find("status");
  if (status == object.end() || !status->is_string()) return unexpected("status");
  auto user = internal::ParseUser(object.value("user", json()));
  if (!user) return unexpected("user: " + user.error().message);
  ChatMember member;
  member.status = status->get<std::string>();
  member.user = std::move(*user);
  const auto flag = [&](const char* name, std::optional<bool>& out) {
    const auto it = object.find(name);
    if (it != object.end() && it->is_boolean()) out = it->get<bool>();
  };
  flag("is_member", member.is_member);
  flag("can_send_messages", member.can_send_messages);
  flag("can_post_messages", member.can_post_messages);
  return member;
}

}  // namespace planfix_flow::telegram
