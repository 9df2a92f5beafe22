#include "planfix_flow/sandbox/fake_telegram.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <variant>

#include "planfix_flow/core/parse.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/telegram/html.h"
#include "planfix_flow/telegram/telegram_client.h"

namespace planfix_flow::sandbox {

using nlohmann::json;

namespace {

constexpr std::size_t kMaxTextCharacters = 4096;
constexpr std::size_t kMaxCallbackDataBytes = 64;
constexpr int kMaxLongPollSeconds = 50;
// How long a callback query can still be answered (Telegram does not publish it; about 15 min).
constexpr auto kCallbackAnswerWindow = std::chrono::minutes(15);

FakeResponse Ok(json result, std::string description = {}) {
  json body = {{"ok", true}, {"result", std::move(result)}};
  if (!description.empty()) body["description"] = std::move(description);
  return FakeResponse{200, body.dump()};
}

FakeResponse Err(int code, const std::string& description, json parameters = nullptr) {
  json body = {{"ok", false}, {"error_code", code}, {"description", description}};
  if (!parameters.is_null()) body["parameters"] = std::move(parameters);
  return FakeResponse{code, body.dump()};
}

FakeResponse BadRequest(const std::string& what) { return Err(400, "Bad Request: " + what); }

std::int64_t UnixSeconds(core::TimePoint moment) { return core::ToUnixSeconds(moment); }

}  // namespace

// Request parameters as the Bot API reads them: a JSON body, a form body or the query
// string. Form and query values are strings, and objects arrive JSON-serialized in them.
struct FakeTelegram::Params {
  json values = json::object();
  // multipart/form-data file parts by field name: the bytes, and the filename given.
  std::map<std::string, std::string> files;
  std::map<std::string, std::string> filenames;

  bool Has(const std::string& name) const {
    return values.contains(name) && !values[name].is_null();
  }
  std::optional<std::string> String(const std::string& name) const {
    if (!Has(name)) return std::nullopt;
    const json& value = values[name];
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_integer()) return std::to_string(value.get<std::int64_t>());
    return value.dump();
  }
  std::optional<std::int64_t> Integer(const std::string& name) const {
    if (!Has(name)) return std::nullopt;
    const json& value = values[name];
    if (value.is_number_integer()) return value.get<std::int64_t>();
    if (value.is_string()) {
      const std::string text = value.get<std::string>();
      try {
        std::size_t used = 0;
        const long long number = std::stoll(text, &used);
        if (used == text.size()) return number;
      } catch (const std::exception&) {
      }
    }
    return std::nullopt;
  }
  bool Bool(const std::string& name) const {
    if (!Has(name)) return false;
    const json& value = values[name];
    if (value.is_boolean()) return value.get<bool>();
    if (value.is_string()) {
      const std::string text = core::AsciiLower(value.get<std::string>());
      return text == "true" || text == "1";
    }
    return value.is_number_integer() && value.get<std::int64_t>() != 0;
  }
  // An object parameter: a JSON value, or a string holding JSON. Discarded if unparseable.
  json Object(const std::string& name) const {
    if (!Has(name)) return nullptr;
    const json& value = values[name];
    if (value.is_string()) return json::parse(value.get<std::string>(), nullptr, false);
    return value;
  }
};

FakeTelegram::FakeTelegram(FakeTelegramOptions options)
    : FakeServer("fake-telegram"), options_(std::move(options)) {
  auto handler = [this](const FakeRequest& request) { return Handle(request); };
  Route("POST", R"(/bot([^/]*)/([^/]*))", handler);
  Route("GET", R"(/bot([^/]*)/([^/]*))", handler);
}

FakeTelegram::~FakeTelegram() {
  {
    std::lock_guard lock(state_mutex_);
    stopping_ = true;
  }
  updates_changed_.notify_all();
  Stop();  // before the members the handlers use go away
}

core::TimePoint FakeTelegram::Now() const {
  return options_.clock != nullptr ? options_.clock->Now() : system_clock_.Now();
}

FakeResponse FakeTelegram::MethodNotAllowed(const FakeRequest& request) {
  // The Bot API takes GET and POST only; anything else is not a known route there.
  RecordFailure(
      fmt::format("fake-telegram: {} {} is not a Bot API method", request.method, request.path));
  return Err(404, "Not Found");
}

// ---- setup -------------------------------------------------------------------------------

void FakeTelegram::AddPrivateChat(std::int64_t user_id, std::string first_name,
                                  std::string username) {
  std::lock_guard lock(state_mutex_);
  ChatState& chat = chats_[user_id];
  chat.id = user_id;
  chat.type = "private";
  chat.first_name = std::move(first_name);
  chat.username = std::move(username);
}

void FakeTelegram::AddGroup(std::int64_t chat_id, std::string title) {
  if (chat_id >= 0) throw std::invalid_argument("group ids are negative");
  std::lock_guard lock(state_mutex_);
  ChatState& chat = chats_[chat_id];
  chat.id = chat_id;
  chat.type = "group";
  chat.title = std::move(title);
}

void FakeTelegram::AddSupergroup(std::int64_t chat_id, std::string title, std::string username) {
  if (chat_id >= 0) throw std::invalid_argument("supergroup ids are negative");
  std::lock_guard lock(state_mutex_);
  ChatState& chat = chats_[chat_id];
  chat.id = chat_id;
  chat.type = "supergroup";
  chat.title = std::move(title);
  chat.username = std::move(username);
}

void FakeTelegram::BlockBot(std::int64_t user_id) {
  std::lock_guard lock(state_mutex_);
  ChatState& chat = chats_[user_id];
  if (chat.type.empty()) {
    chat.id = user_id;
    chat.type = "private";
    chat.first_name = "Client";
  }
  chat.status = ChatStatus::kBlocked;
}

void FakeTelegram::AddUserWhoNeverStarted(std::int64_t user_id, std::string first_name) {
  std::lock_guard lock(state_mutex_);
  ChatState& chat = chats_[user_id];
  chat.id = user_id;
  chat.type = "private";
  chat.first_name = std::move(first_name);
  chat.status = ChatStatus::kNeverStarted;
}

void FakeTelegram::MigrateGroup(std::int64_t group_id, std::int64_t supergroup_id) {
  std::lock_guard lock(state_mutex_);
  auto it = chats_.find(group_id);
  if (it == chats_.end() || it->second.type != "group") {
    throw std::invalid_argument("MigrateGroup: no such basic group");
  }
  it->second.status = ChatStatus::kMigrated;
  it->second.migrated_to = supergroup_id;
  ChatState& target = chats_[supergroup_id];
  target.id = supergroup_id;
  target.type = "supergroup";
  target.title = it->second.title;
}

// ---- updates -----------------------------------------------------------------------------

std::int64_t FakeTelegram::PushUpdateLocked(const std::string& update_json,
                                            std::optional<std::int64_t> id) {
  json update = json::parse(update_json, nullptr, false);
  if (update.is_discarded() || !update.is_object()) {
    throw std::invalid_argument("PushUpdate: not a JSON object");
  }
  std::int64_t update_id = next_update_id_;
  if (id) update_id = *id;
  if (update.contains("update_id") && update["update_id"].is_number_integer()) {
    update_id = update["update_id"].get<std::int64_t>();
  }
  update["update_id"] = update_id;
  next_update_id_ = std::max(next_update_id_, update_id + 1);
  std::string type;
  for (const auto& [key, value] : update.items()) {
    if (key != "update_id") {
      type = key;
      break;
    }
  }
  updates_.push_back(QueuedUpdate{update_id, type, update.dump()});
  return update_id;
}

std::int64_t FakeTelegram::PushUpdate(const std::string& update_json) {
  std::int64_t id = 0;
  {
    std::lock_guard lock(state_mutex_);
    id = PushUpdateLocked(update_json, std::nullopt);
  }
  updates_changed_.notify_all();
  return id;
}

std::int64_t FakeTelegram::SimulateUserMessage(std::int64_t chat_id, std::int64_t from_user_id,
                                               const std::string& text) {
  std::int64_t id = 0;
  {
    std::lock_guard lock(state_mutex_);
    auto it = chats_.find(chat_id);
    if (it == chats_.end()) throw std::invalid_argument("SimulateUserMessage: unknown chat");
    ChatState& chat = it->second;
    if (chat.type == "private") {
      from_user_id = chat.id;
      chat.status = ChatStatus::kActive;  // writing to the bot (re)opens the conversation
    }
    FakeMessage stored;
    stored.message_id = chat.next_message_id++;
    stored.from_bot = false;
    stored.text = text;
    stored.raw_text = text;
    stored.entities_json = "[]";
    stored.received_at = Now();
    json message = json::parse(MessageJsonLocked(chat, stored));
    message["from"] = {{"id", from_user_id},
                       {"is_bot", false},
                       {"first_name", chat.type == "private" ? chat.first_name : "Member"}};
    if (!text.empty() && text[0] == '/') {
      const auto end = text.find(' ');
      const std::size_t length = end == std::string::npos ? text.size() : end;
      message["entities"] =
          json::array({{{"type", "bot_command"},
                        {"offset", 0},
                        {"length", telegram::CountUtf16Units(text.substr(0, length))}}});
    }
    chat.messages.push_back(std::move(stored));
    id = PushUpdateLocked(json{{"message", message}}.dump(), std::nullopt);
  }
  updates_changed_.notify_all();
  return id;
}

std::string FakeTelegram::SimulateUserPress(std::int64_t chat_id, std::int64_t message_id,
                                            const std::string& data, std::int64_t from_user_id) {
  return Press(chat_id, message_id, data, from_user_id, ButtonCheck::kMustExist);
}

std::string FakeTelegram::SimulateModifiedClientPress(std::int64_t chat_id, std::int64_t message_id,
                                                      const std::string& data) {
  return Press(chat_id, message_id, data, 0, ButtonCheck::kAnyData);
}

std::string FakeTelegram::Press(std::int64_t chat_id, std::int64_t message_id,
                                const std::string& data, std::int64_t from_user_id,
                                ButtonCheck check) {
  std::string query_id;
  {
    std::lock_guard lock(state_mutex_);
    auto it = chats_.find(chat_id);
    if (it == chats_.end()) throw std::invalid_argument("SimulateUserPress: unknown chat");
    ChatState& chat = it->second;
    auto message = std::find_if(chat.messages.begin(), chat.messages.end(),
                                [&](const FakeMessage& m) { return m.message_id == message_id; });
    if (message == chat.messages.end()) {
      throw std::invalid_argument("SimulateUserPress: unknown message");
    }
    bool found = false;
    if (!message->reply_markup_json.empty()) {
      const json markup = json::parse(message->reply_markup_json);
      for (const auto& row : markup.value("inline_keyboard", json::array())) {
        for (const auto& button : row) {
          if (button.value("callback_data", std::string()) == data) found = true;
        }
      }
    }
    if (!found && check == ButtonCheck::kMustExist)
      throw std::invalid_argument("SimulateUserPress: no button with that data");
    if (chat.type == "private") from_user_id = chat.id;
    if (from_user_id == 0) from_user_id = 5550001;
    query_id = fmt::format("{}{:06}", options_.bot_id % 1000000 + 4000000, next_callback_++);
    open_callbacks_[query_id] = Now();
    json query = {{"id", query_id},
                  {"from", {{"id", from_user_id}, {"is_bot", false}, {"first_name", "Member"}}},
                  {"message", json::parse(MessageJsonLocked(chat, *message))},
                  {"chat_instance", fmt::format("{}", (chat_id * 31) ^ options_.bot_id)},
                  {"data", data}};
    if (chat.type == "private") query["from"]["first_name"] = chat.first_name;
    PushUpdateLocked(json{{"callback_query", query}}.dump(), std::nullopt);
  }
  updates_changed_.notify_all();
  return query_id;
}

// ---- reading state -----------------------------------------------------------------------

std::vector<FakeMessage> FakeTelegram::Messages(std::int64_t chat_id) const {
  std::lock_guard lock(state_mutex_);
  auto it = chats_.find(chat_id);
  return it == chats_.end() ? std::vector<FakeMessage>{} : it->second.messages;
}

std::optional<FakeMessage> FakeTelegram::FindMessage(std::int64_t chat_id,
                                                     std::int64_t message_id) const {
  std::lock_guard lock(state_mutex_);
  auto it = chats_.find(chat_id);
  if (it == chats_.end()) return std::nullopt;
  for (const auto& message : it->second.messages) {
    if (message.message_id == message_id) return message;
  }
  return std::nullopt;
}

std::vector<FakeCallbackAnswer> FakeTelegram::callback_answers() const {
  std::lock_guard lock(state_mutex_);
  return callback_answers_;
}

FakeWebhook FakeTelegram::webhook() const {
  std::lock_guard lock(state_mutex_);
  return webhook_;
}

std::size_t FakeTelegram::pending_update_count() const {
  std::lock_guard lock(state_mutex_);
  return updates_.size();
}

bool FakeTelegram::WaitForParkedPoll(std::chrono::milliseconds max) const {
  std::unique_lock lock(state_mutex_);
  return poll_parked_.wait_for(lock, max, [this] { return parked_polls_ > 0; });
}

int FakeTelegram::rate_limited_count() const {
  std::lock_guard lock(state_mutex_);
  return rate_limited_;
}

// ---- JSON views --------------------------------------------------------------------------

std::string FakeTelegram::ChatJsonLocked(const ChatState& chat) const {
  json out = {{"id", chat.id}, {"type", chat.type}};
  if (!chat.title.empty()) out["title"] = chat.title;
  if (!chat.first_name.empty()) out["first_name"] = chat.first_name;
  if (!chat.username.empty()) out["username"] = chat.username;
  return out.dump();
}

std::string FakeTelegram::MessageJsonLocked(const ChatState& chat,
                                            const FakeMessage& message) const {
  json out = {{"message_id", message.message_id},
              {"chat", json::parse(ChatJsonLocked(chat))},
              {"date", UnixSeconds(message.received_at)},
              {"text", message.text}};
  if (message.from_bot) {
    out["from"] = {{"id", options_.bot_id},
                   {"is_bot", true},
                   {"first_name", "Planfix Flow"},
                   {"username", options_.bot_username}};
  }
  const json entities = json::parse(message.entities_json.empty() ? "[]" : message.entities_json);
  if (!entities.empty()) out["entities"] = entities;
  if (!message.reply_markup_json.empty())
    out["reply_markup"] = json::parse(message.reply_markup_json);
  if (message.edit_count > 0) out["edit_date"] = UnixSeconds(message.edited_at);
  return out.dump();
}

// ---- multipart/form-data -----------------------------------------------------------------

// Parses a multipart/form-data body (RFC 7578) into text fields and file parts; an error text
// when it is malformed (no boundary, a part without a name, no closing delimiter).
std::optional<std::string> FakeTelegram::ParseMultipart(const std::string& content_type,
                                                        const std::string& body, Params& params) {
  const auto at = core::AsciiLower(content_type).find("boundary=");
  if (at == std::string::npos) return "no boundary";
  std::string boundary = content_type.substr(at + 9);
  if (const auto end = boundary.find(';'); end != std::string::npos) boundary.resize(end);
  if (boundary.size() >= 2 && boundary.front() == '"' && boundary.back() == '"') {
    boundary = boundary.substr(1, boundary.size() - 2);
  }
  if (boundary.empty() || boundary.size() > 70) return "bad boundary";
  const std::string delimiter = "--" + boundary;
  std::size_t position = body.find(delimiter);
  if (position == std::string::npos) return "no delimiter";
  while (true) {
    position += delimiter.size();
    if (body.compare(position, 2, "--") == 0) return std::nullopt;  // the closing delimiter
    if (body.compare(position, 2, "\r\n") != 0) return "delimiter not followed by CRLF";
    position += 2;
    const auto headers_end = body.find("\r\n\r\n", position);
    if (headers_end == std::string::npos) return "part without headers";
    const std::string headers = body.substr(position, headers_end - position);
    const auto next = body.find("\r\n" + delimiter, headers_end + 4);
    if (next == std::string::npos) return "no closing delimiter";
    const std::string content = body.substr(headers_end + 4, next - headers_end - 4);
    const auto disposition = core::AsciiLower(headers).find("content-disposition: form-data");
    if (disposition == std::string::npos) return "part without Content-Disposition: form-data";
    const auto quoted = [&](const std::string& key) -> std::optional<std::string> {
      const auto found = headers.find(key + "=\"");
      if (found == std::string::npos) return std::nullopt;
      const auto start = found + key.size() + 2;
      const auto stop = headers.find('"', start);
      if (stop == std::string::npos) return std::nullopt;
      return headers.substr(start, stop - start);
    };
    const auto name = quoted("; name");
    if (!name || name->empty()) return "part without a name";
    if (const auto filename = quoted("filename")) {
      params.files[*name] = content;
      params.filenames[*name] = *filename;
    } else {
      params.values[*name] = content;
    }
    position = next + 2;
  }
}

namespace {

// A PNG's width and height from its IHDR chunk; nullopt when the bytes are not a PNG.
std::optional<std::pair<int, int>> PngSize(const std::string& bytes) {
  static constexpr std::string_view kSignature = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, kSignature) != 0 ||
      bytes.compare(12, 4, "IHDR") != 0) {
    return std::nullopt;
  }
  const auto u32 = [&](std::size_t at) {
    return (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16) |
           (static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  return std::pair<int, int>{static_cast<int>(u32(16)), static_cast<int>(u32(20))};
}

}  // namespace

// ---- dispatch ----------------------------------------------------------------------------

FakeResponse FakeTelegram::Handle(const FakeRequest& request) {
  if (request.captures.size() != 2 || request.captures[0] != options_.token) {
    return Err(401, "Unauthorized");
  }
  Params params;
  for (const auto& [key, value] : request.query) params.values[key] = value;
  const std::string content_type = core::AsciiLower(request.Header("Content-Type"));
  if (request.method == "POST" && !request.body.empty()) {
    if (content_type.rfind("application/json", 0) == 0) {
      json body = json::parse(request.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) {
        return BadRequest("can't parse request JSON object");
      }
      for (auto& [key, value] : body.items()) params.values[key] = value;
    } else if (content_type.rfind("application/x-www-form-urlencoded", 0) == 0) {
      std::string_view body = request.body;
      while (!body.empty()) {
        const auto amp = body.find('&');
        const std::string_view pair = body.substr(0, amp);
        const auto eq = pair.find('=');
        params.values[http::UrlDecode(pair.substr(0, eq))] =
            eq == std::string_view::npos ? std::string() : http::UrlDecode(pair.substr(eq + 1));
        if (amp == std::string_view::npos) break;
        body.remove_prefix(amp + 1);
      }
    } else if (content_type.rfind("multipart/form-data", 0) == 0) {
      if (auto refused = ParseMultipart(request.Header("Content-Type"), request.body, params)) {
        return BadRequest("can't parse multipart/form-data: " + *refused);
      }
    } else {
      RecordFailure("fake-telegram: unsupported Content-Type '" + content_type + "'");
      return BadRequest("unsupported Content-Type");
    }
  }
  // Method names are case-insensitive in the Bot API.
  const std::string method = core::AsciiLower(request.captures[1]);
  if (method == "getme") return GetMe(params);
  if (method == "sendmessage") return SendMessage(params);
  if (method == "sendphoto") return SendPhoto(params);
  if (method == "senddocument") return SendDocument(params);
  if (method == "editmessagetext") return EditMessageText(params);
  if (method == "answercallbackquery") return AnswerCallbackQuery(params);
  if (method == "getupdates") return GetUpdates(params);
  if (method == "setwebhook") return SetWebhook(params);
  if (method == "deletewebhook") return DeleteWebhook(params);
  if (method == "getwebhookinfo") return GetWebhookInfo(params);
  if (method == "getchat") return GetChat(params);
  if (method == "getchatmember") return GetChatMember(params);
  RecordFailure(fmt::format("fake-telegram: unknown method '{}'", request.captures[1]));
  return Err(404, "Not Found");
}

FakeResponse FakeTelegram::GetMe(const Params& params) {
  if (auto refused = CheckParams("getMe", params, {})) return *refused;
  return Ok({{"id", options_.bot_id},
             {"is_bot", true},
             {"first_name", "Planfix Flow"},
             {"username", options_.bot_username},
             {"can_join_groups", true},
             {"can_read_all_group_messages", false},
             {"supports_inline_queries", false}});
}

// ---- checks ------------------------------------------------------------------------------

FakeTelegram::ChatState* FakeTelegram::FindChatLocked(const std::string& chat_ref) {
  if (!chat_ref.empty() && chat_ref[0] == '@') {
    const std::string username = core::AsciiLower(chat_ref.substr(1));
    for (auto& [id, chat] : chats_) {
      if (chat.type != "private" && core::AsciiLower(chat.username) == username) return &chat;
    }
    return nullptr;
  }
  try {
    std::size_t used = 0;
    const long long id = std::stoll(chat_ref, &used);
    if (used != chat_ref.size()) return nullptr;
    auto it = chats_.find(id);
    return it == chats_.end() ? nullptr : &it->second;
  } catch (const std::exception&) {
    return nullptr;
  }
}

std::optional<FakeResponse> FakeTelegram::CheckChatLocked(const ChatState* chat) {
  // The client's chat id may be stale (an account deleted, a wrong id in Planfix): an answer
  // about the world, not about the request's shape.
  if (chat == nullptr) return WorldStateAnswer(BadRequest("chat not found"));
  switch (chat->status) {
    case ChatStatus::kActive:
      return std::nullopt;
    case ChatStatus::kBlocked:
      return Err(403, "Forbidden: bot was blocked by the user");
    case ChatStatus::kNeverStarted:
      return Err(403, "Forbidden: bot can't initiate conversation with a user");
    case ChatStatus::kMigrated:
      return WorldStateAnswer(Err(400, "Bad Request: group chat was upgraded to a supergroup chat",
                                  json{{"migrate_to_chat_id", chat->migrated_to}}));
  }
  return std::nullopt;
}

std::optional<FakeResponse> FakeTelegram::CheckFloodLocked(std::int64_t chat_id) {
  const core::TimePoint now = Now();
  struct Scope {
    std::string key;
    core::RateLimit limit;
  };
  std::vector<Scope> scopes{{"global", options_.global},
                            {fmt::format("chat:{}", chat_id), options_.per_chat}};
  if (chat_id < 0) scopes.push_back({fmt::format("group:{}", chat_id), options_.per_group});
  core::Duration wait{0};
  for (const auto& scope : scopes) {
    auto& history = flood_history_[scope.key];
    const core::Duration window = scope.limit.window - options_.rate_slack;
    while (!history.empty() && history.front() <= now - window) history.pop_front();
    if (scope.limit.count > 0 && history.size() >= scope.limit.count) {
      wait = std::max(wait, history[history.size() - scope.limit.count] + window - now);
    }
  }
  if (wait > core::Duration::zero()) {
    ++rate_limited_;
    const auto seconds =
        std::max<std::int64_t>(1, std::chrono::ceil<std::chrono::seconds>(wait).count());
    return Err(429, fmt::format("Too Many Requests: retry after {}", seconds),
               json{{"retry_after", seconds}});
  }
  for (const auto& scope : scopes) flood_history_[scope.key].push_back(now);
  return std::nullopt;
}

namespace {

// Validates reply_markup; returns the markup to store (inline keyboards only) or an error.
std::variant<json, FakeResponse> CheckMarkup(const json& markup, bool inline_only) {
  if (markup.is_null()) return json();
  if (markup.is_discarded() || !markup.is_object()) {
    return BadRequest("can't parse reply keyboard markup JSON object");
  }
  if (!markup.contains("inline_keyboard")) {
    if (!inline_only && (markup.contains("keyboard") || markup.contains("remove_keyboard") ||
                         markup.contains("force_reply"))) {
      return json();  // reply keyboards are not kept: the fake models inline ones
    }
    return BadRequest("can't parse reply keyboard markup JSON object");
  }
  const json& rows = markup["inline_keyboard"];
  if (!rows.is_array())
    return BadRequest("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array");
  for (const auto& row : rows) {
    if (!row.is_array())
      return BadRequest(
          "field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays");
    for (const auto& button : row) {
      if (!button.is_object())
        return BadRequest(
            "can't parse inline keyboard button: InlineKeyboardButton should be an Object");
      if (!button.contains("text") || !button["text"].is_string()) {
        return BadRequest(
            "can't parse inline keyboard button: Field \"text\" must be of type String");
      }
      const bool has_data = button.contains("callback_data");
      const bool has_url = button.contains("url");
      if (has_data == has_url) {
        return BadRequest(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline "
            "keyboard");
      }
      if (has_data) {
        const json& data = button["callback_data"];
        if (!data.is_string() || data.get<std::string>().empty() ||
            data.get<std::string>().size() > kMaxCallbackDataBytes) {
          return BadRequest("BUTTON_DATA_INVALID");
        }
      } else {
        const json& url = button["url"];
        const std::string text = url.is_string() ? url.get<std::string>() : std::string();
        if (text.rfind("http://", 0) != 0 && text.rfind("https://", 0) != 0 &&
            text.rfind("tg://", 0) != 0) {
          return BadRequest("BUTTON_URL_INVALID");
        }
      }
    }
  }
  return json{{"inline_keyboard", rows}};
}

struct ParsedText {
  std::string text;
  json entities = json::array();
};

// Parses `text` per parse_mode the way sendMessage and editMessageText do.
std::variant<ParsedText, FakeResponse> CheckText(const std::string& raw, const std::string& mode) {
  ParsedText out;
  const std::string lowered = core::AsciiLower(mode);
  if (lowered == "html") {
    auto parsed = telegram::ParseHtml(raw);
    if (!parsed) {
      if (!telegram::IsValidUtf8(raw)) return BadRequest("text must be encoded in UTF-8");
      return BadRequest("can't parse entities: " + parsed.error().message);
    }
    out.text = std::move(parsed->text);
    for (const auto& entity : parsed->entities) {
      json item = {{"type", entity.type}, {"offset", entity.offset}, {"length", entity.length}};
      if (!entity.url.empty()) item["url"] = entity.url;
      if (!entity.language.empty()) item["language"] = entity.language;
      if (!entity.custom_emoji_id.empty()) item["custom_emoji_id"] = entity.custom_emoji_id;
      out.entities.push_back(std::move(item));
    }
  } else if (lowered.empty() || lowered == "markdown" || lowered == "markdownv2") {
    // The fake does not model Markdown: the text is kept as sent.
    if (!telegram::IsValidUtf8(raw)) return BadRequest("text must be encoded in UTF-8");
    out.text = raw;
  } else {
    return BadRequest("unsupported parse_mode");
  }
  // Telegram trims the text; entity offsets are not shifted here (leading whitespace is rare).
  const std::string_view trimmed = telegram::TrimWhitespace(out.text);
  if (trimmed.empty()) return BadRequest("message text is empty");
  if (telegram::CountCodePoints(trimmed) > kMaxTextCharacters) {
    return BadRequest("message is too long");
  }
  return out;
}

// A media message's caption (sendPhoto, sendDocument): parsed like a text, at most 1024
// characters after parsing; absent or empty is no caption.
std::variant<ParsedText, FakeResponse> CheckCaption(const std::optional<std::string>& raw,
                                                    const std::string& mode) {
  if (!raw || raw->empty()) return ParsedText{};
  auto parsed = CheckText(*raw, mode);
  if (std::holds_alternative<FakeResponse>(parsed)) return parsed;
  if (telegram::CountCodePoints(std::get<ParsedText>(parsed).text) > 1024)
    return BadRequest("message caption is too long");
  return parsed;
}

}  // namespace

// ---- methods -----------------------------------------------------------------------------

FakeResponse FakeTelegram::SendMessage(const Params& params) {
  const auto chat_ref = params.String("chat_id");
  if (!chat_ref || chat_ref->empty()) return BadRequest("chat_id is empty");
  const auto text = params.String("text");
  if (!text || text->empty()) return BadRequest("message text is empty");
  auto markup = CheckMarkup(params.Object("reply_markup"), /*inline_only=*/false);
  if (auto* error = std::get_if<FakeResponse>(&markup)) return *error;
  auto parsed = CheckText(*text, params.String("parse_mode").value_or(""));
  if (auto* error = std::get_if<FakeResponse>(&parsed)) return *error;

  std::lock_guard lock(state_mutex_);
  ChatState* chat = FindChatLocked(*chat_ref);
  if (auto refused = CheckChatLocked(chat)) return *refused;
  if (auto refused = CheckBotInChatLocked(*chat)) return *refused;
  const bool may_send = chat->bot_status == FakeBotStatus::kAdministrator ||
                        (chat->bot_status == FakeBotStatus::kMember && chat->members_can_send);
  if (chat->type != "private" && !may_send) {
    return WorldStateAnswer(BadRequest("not enough rights to send text messages to the chat"));
  }
  if (auto flood = CheckFloodLocked(chat->id)) return *flood;
  auto& text_value = std::get<ParsedText>(parsed);
  FakeMessage message;
  message.message_id = chat->next_message_id++;
  message.text = text_value.text;
  message.raw_text = *text;
  message.parse_mode = params.String("parse_mode").value_or("");
  message.entities_json = text_value.entities.dump();
  const json& stored_markup = std::get<json>(markup);
  if (!stored_markup.is_null()) message.reply_markup_json = stored_markup.dump();
  message.disable_notification = params.Bool("disable_notification");
  message.received_at = Now();
  chat->messages.push_back(message);
  json result = json::parse(MessageJsonLocked(*chat, message));
  const json preview = params.Object("link_preview_options");
  if (preview.is_object()) result["link_preview_options"] = preview;
  return Ok(std::move(result));
}

// Only uploads are modelled: a file_id or URL string is refused as Telegram refuses one it
// does not know. The photo is checked as Telegram documents: at most 10 MB, an image, width +
// height at most 10000, ratio at most 20; the caption 0-1024 characters after parsing.
FakeResponse FakeTelegram::SendPhoto(const Params& params) {
  const auto chat_ref = params.String("chat_id");
  if (!chat_ref || chat_ref->empty()) return BadRequest("chat_id is empty");
  const auto file = params.files.find("photo");
  if (file == params.files.end()) {
    if (params.Has("photo")) return BadRequest("wrong file identifier/HTTP URL specified");
    return BadRequest("there is no photo in the request");
  }
  const std::string& photo = file->second;
  if (photo.empty()) return BadRequest("file must be non-empty");
  if (photo.size() > std::size_t{10} * 1024 * 1024) {
    return Err(413, "Request Entity Too Large");
  }
  const auto size = PngSize(photo);
  const bool jpeg = photo.size() > 3 && static_cast<unsigned char>(photo[0]) == 0xFF &&
                    static_cast<unsigned char>(photo[1]) == 0xD8;
  if (!size && !jpeg) return BadRequest("IMAGE_PROCESS_FAILED");
  if (size) {
    const auto [width, height] = *size;
    if (width <= 0 || height <= 0 || width + height > 10000 ||
        std::max(width, height) > 20 * std::min(width, height)) {
      return BadRequest("PHOTO_INVALID_DIMENSIONS");
    }
  }
  auto checked_caption =
      CheckCaption(params.String("caption"), params.String("parse_mode").value_or(""));
  if (auto* error = std::get_if<FakeResponse>(&checked_caption)) return *error;
  const ParsedText& caption = std::get<ParsedText>(checked_caption);

  std::lock_guard lock(state_mutex_);
  ChatState* chat = FindChatLocked(*chat_ref);
  if (auto refused = CheckChatLocked(chat)) return *refused;
  if (auto refused = CheckBotInChatLocked(*chat)) return *refused;
  const bool may_send = chat->bot_status == FakeBotStatus::kAdministrator ||
                        (chat->bot_status == FakeBotStatus::kMember && chat->members_can_send);
  if (chat->type != "private" && !may_send) {
    return WorldStateAnswer(BadRequest("not enough rights to send photos to the chat"));
  }
  if (auto flood = CheckFloodLocked(chat->id)) return *flood;
  FakeMessage message;
  message.message_id = chat->next_message_id++;
  message.text = caption.text;
  message.raw_text = params.String("caption").value_or("");
  message.parse_mode = params.String("parse_mode").value_or("");
  message.entities_json = caption.entities.dump();
  message.photo = photo;
  if (size) {
    message.photo_width = size->first;
    message.photo_height = size->second;
  }
  message.received_at = Now();
  chat->messages.push_back(message);
  json result = json::parse(MessageJsonLocked(*chat, message));
  result.erase("text");
  result.erase("entities");
  if (!caption.text.empty()) result["caption"] = caption.text;
  result["photo"] = json::array({{{"file_id", fmt::format("fake-photo-{}", message.message_id)},
                                  {"file_unique_id", fmt::format("p{}", message.message_id)},
                                  {"width", message.photo_width},
                                  {"height", message.photo_height},
                                  {"file_size", photo.size()}}});
  return Ok(std::move(result));
}

// Only uploads are modelled, as for sendPhoto. Checked as Telegram documents: a document part
// (multipart/form-data, with a filename) of 1 byte to 50 MB, the caption 0-1024 characters
// after parsing; parameters the method does not have and file parts other than the document
// are recorded as failures (Telegram ignores them, so a typo would pass silently).
FakeResponse FakeTelegram::SendDocument(const Params& params) {
  if (auto refused = CheckParams("sendDocument", params,
                                 {{"chat_id", "Integer or String"},
                                  {"message_thread_id", "Integer"},
                                  {"document", "String"},
                                  {"caption", "String"},
                                  {"parse_mode", "String"},
                                  {"disable_content_type_detection", "Boolean"},
                                  {"disable_notification", "Boolean"},
                                  {"protect_content", "Boolean"}})) {
    return *refused;
  }
  for (const auto& [name, bytes] : params.files) {
    if (name != "document")
      RecordFailure(fmt::format("fake-telegram: sendDocument: unexpected file part '{}'", name));
  }
  const auto chat_ref = params.String("chat_id");
  if (!chat_ref || chat_ref->empty()) return BadRequest("chat_id is empty");
  const auto file = params.files.find("document");
  if (file == params.files.end()) {
    if (params.Has("document")) return BadRequest("wrong file identifier/HTTP URL specified");
    return BadRequest("there is no document in the request");
  }
  const std::string& document = file->second;
  const std::string filename = params.filenames.at("document");
  if (document.empty()) return BadRequest("file must be non-empty");
  if (document.size() > std::size_t{50} * 1000 * 1000) return Err(413, "Request Entity Too Large");
  auto checked_caption =
      CheckCaption(params.String("caption"), params.String("parse_mode").value_or(""));
  if (auto* error = std::get_if<FakeResponse>(&checked_caption)) return *error;
  const ParsedText& caption = std::get<ParsedText>(checked_caption);

  std::lock_guard lock(state_mutex_);
  ChatState* chat = FindChatLocked(*chat_ref);
  if (auto refused = CheckChatLocked(chat)) return *refused;
  if (auto refused = CheckBotInChatLocked(*chat)) return *refused;
  const bool may_send = chat->bot_status == FakeBotStatus::kAdministrator ||
                        (chat->bot_status == FakeBotStatus::kMember && chat->members_can_send);
  if (chat->type != "private" && !may_send) {
    return WorldStateAnswer(BadRequest("not enough rights to send documents to the chat"));
  }
  if (auto flood = CheckFloodLocked(chat->id)) return *flood;
  FakeMessage message;
  message.message_id = chat->next_message_id++;
  message.text = caption.text;
  message.raw_text = params.String("caption").value_or("");
  message.parse_mode = params.String("parse_mode").value_or("");
  message.entities_json = caption.entities.dump();
  message.document = document;
  message.document_name = filename;
  message.received_at = Now();
  chat->messages.push_back(message);
  json result = json::parse(MessageJsonLocked(*chat, message));
  result.erase("text");
  result.erase("entities");
  if (!caption.text.empty()) result["caption"] = caption.text;
  json described{{"file_id", fmt::format("fake-document-{}", message.message_id)},
                 {"file_unique_id", fmt::format("d{}", message.message_id)},
                 {"file_size", document.size()}};
  // Telegram keeps the name the upload gave; an empty one is left out.
  if (!filename.empty()) described["file_name"] = filename;
  result["document"] = std::move(described);
  return Ok(std::move(result));
}

FakeResponse FakeTelegram::EditMessageText(const Params& params) {
  if (params.Has("inline_message_id")) {
    return BadRequest("MESSAGE_ID_INVALID");  // the fake keeps no inline-mode messages
  }
  const auto chat_ref = params.String("chat_id");
  if (!chat_ref || chat_ref->empty()) return BadRequest("chat_id is empty");
  const auto message_id = params.Integer("message_id");
  if (!message_id) return BadRequest("message identifier is not specified");
  const auto text = params.String("text");
  if (!text || text->empty()) return BadRequest("message text is empty");
  auto markup = CheckMarkup(params.Object("reply_markup"), /*inline_only=*/true);
  if (auto* error = std::get_if<FakeResponse>(&markup)) return *error;
  auto parsed = CheckText(*text, params.String("parse_mode").value_or(""));
  if (auto* error = std::get_if<FakeResponse>(&parsed)) return *error;

  std::lock_guard lock(state_mutex_);
  ChatState* chat = FindChatLocked(*chat_ref);
  if (auto refused = CheckChatLocked(chat)) return *refused;
  auto found = std::find_if(chat->messages.begin(), chat->messages.end(),
                            [&](const FakeMessage& m) { return m.message_id == *message_id; });
  // The user may have deleted the message (private chats allow it for both sides).
  if (found == chat->messages.end()) {
    return WorldStateAnswer(BadRequest("message to edit not found"));
  }
  if (!found->from_bot) return BadRequest("message can't be edited");
  auto& text_value = std::get<ParsedText>(parsed);
  const json& new_markup = std::get<json>(markup);
  const std::string markup_json = new_markup.is_null() ? std::string() : new_markup.dump();
  if (found->text == text_value.text && found->entities_json == text_value.entities.dump() &&
      found->reply_markup_json == markup_json) {
    // A retry of an edit whose answer was lost gets this too.
    return WorldStateAnswer(BadRequest(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"));
  }
  if (auto flood = CheckFloodLocked(chat->id)) return *flood;
  found->text = text_value.text;
  found->raw_text = *text;
  found->parse_mode = params.String("parse_mode").value_or("");
  found->entities_json = text_value.entities.dump();
  found->reply_markup_json = markup_json;
  ++found->edit_count;
  found->edited_at = Now();
  return Ok(json::parse(MessageJsonLocked(*chat, *found)));
}

FakeResponse FakeTelegram::AnswerCallbackQuery(const Params& params) {
  const auto id = params.String("callback_query_id");
  const std::string answer_text = params.String("text").value_or("");
  if (telegram::CountCodePoints(answer_text) > 200) return BadRequest("MESSAGE_TOO_LONG");
  if (!id || id->empty()) {
    return BadRequest("query is too old and response timeout expired or query ID is invalid");
  }
  std::lock_guard lock(state_mutex_);
  const auto open = id ? open_callbacks_.find(*id) : open_callbacks_.end();
  const bool fresh = open != open_callbacks_.end() && Now() - open->second <= kCallbackAnswerWindow;
  if (open != open_callbacks_.end()) open_callbacks_.erase(open);
  if (!fresh) {
    // Late answers (the service was down, a job retried) get this.
    return WorldStateAnswer(
        BadRequest("query is too old and response timeout expired or query ID is invalid"));
  }
  callback_answers_.push_back(FakeCallbackAnswer{*id, answer_text, params.Bool("show_alert")});
  return Ok(true);
}

FakeResponse FakeTelegram::GetUpdates(const Params& params) {
  const std::int64_t offset = params.Integer("offset").value_or(0);
  const std::int64_t limit =
      std::clamp<std::int64_t>(params.Integer("limit").value_or(100), 1, 100);
  const std::int64_t timeout =
      std::clamp<std::int64_t>(params.Integer("timeout").value_or(0), 0, kMaxLongPollSeconds);
  std::optional<std::vector<std::string>> allowed;
  if (params.Has("allowed_updates")) {
    const json list = params.Object("allowed_updates");
    if (!list.is_array()) return BadRequest("can't parse allowed updates");
    allowed.emplace();
    for (const auto& item : list) {
      if (!item.is_string()) return BadRequest("can't parse allowed updates");
      allowed->push_back(item.get<std::string>());
    }
  }

  std::unique_lock lock(state_mutex_);
  if (!webhook_.url.empty()) {
    return Err(409,
               "Conflict: can't use getUpdates method while webhook is active; use "
               "deleteWebhook to delete the webhook first");
  }
  if (allowed) allowed_updates_ = *allowed;
  // A newer poll ends an older one that is still waiting, as on the real server.
  const std::uint64_t generation = ++poll_generation_;
  updates_changed_.notify_all();

  auto wanted = [this](const QueuedUpdate& update) { return WantedLocked(update.type); };
  auto confirm_and_filter = [&] {
    if (offset < 0) {
      const auto keep = static_cast<std::size_t>(-offset);
      while (updates_.size() > keep) updates_.pop_front();
    } else {
      while (!updates_.empty() && updates_.front().update_id < offset) updates_.pop_front();
    }
    // Unwanted types are dropped, as Telegram does not keep them for this bot.
    for (auto it = updates_.begin(); it != updates_.end();) {
      it = wanted(*it) ? std::next(it) : updates_.erase(it);
    }
  };
  confirm_and_filter();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  // Counts this call as parked while it waits (the lock is held whenever the count changes).
  struct Parked {
    FakeTelegram& fake;
    bool parked = false;
    void Enter() {
      if (parked) return;
      parked = true;
      ++fake.parked_polls_;
      fake.poll_parked_.notify_all();
    }
    ~Parked() {
      if (parked) --fake.parked_polls_;
    }
  } parked{*this};
  while (updates_.empty() && timeout > 0) {
    parked.Enter();
    if (updates_changed_.wait_until(lock, deadline) == std::cv_status::timeout) break;
    if (stopping_) break;
    if (poll_generation_ != generation) {
      return Err(409,
                 "Conflict: terminated by other getUpdates request; make sure that only one bot "
                 "instance is running");
    }
    if (!webhook_.url.empty()) break;
    confirm_and_filter();
  }
  json result = json::array();
  for (const auto& update : updates_) {
    if (static_cast<std::int64_t>(result.size()) >= limit) break;
    result.push_back(json::parse(update.json));
  }
  return Ok(std::move(result));
}

bool FakeTelegram::WantedLocked(const std::string& update_type) const {
  if (!allowed_updates_ || allowed_updates_->empty()) {
    return update_type != "chat_member" && update_type != "message_reaction" &&
           update_type != "message_reaction_count";
  }
  return std::find(allowed_updates_->begin(), allowed_updates_->end(), update_type) !=
         allowed_updates_->end();
}

namespace {

// The update types of the Bot API's Update object (its fields but update_id).
const std::set<std::string>& UpdateTypes() {
  static const std::set<std::string> types = {"message",
                                              "edited_message",
                                              "channel_post",
                                              "edited_channel_post",
                                              "business_connection",
                                              "business_message",
                                              "edited_business_message",
                                              "deleted_business_messages",
                                              "guest_message",
                                              "message_reaction",
                                              "message_reaction_count",
                                              "inline_query",
                                              "chosen_inline_result",
                                              "callback_query",
                                              "shipping_query",
                                              "pre_checkout_query",
                                              "purchased_paid_media",
                                              "poll",
                                              "poll_answer",
                                              "my_chat_member",
                                              "chat_member",
                                              "chat_join_request",
                                              "chat_boost",
                                              "removed_chat_boost",
                                              "managed_bot"};
  return types;
}

// The reason phrase Telegram quotes in "Wrong response from the webhook: 404 Not Found".
std::string_view StatusText(int status) {
  switch (status) {
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

std::optional<bool> ParseBoolean(const json& value) {
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number_integer()) return value.get<std::int64_t>() != 0;
  if (value.is_string()) {
    const std::string text = core::AsciiLower(value.get<std::string>());
    if (text == "true" || text == "1") return true;
    if (text == "false" || text == "0") return false;
  }
  return std::nullopt;
}

// "https://host[:port]/..." with a port Telegram delivers to, else the Bot API's refusal.
std::optional<FakeResponse> CheckHttpsWebhook(const std::string& url) {
  if (!url.starts_with("https://")) {
    return BadRequest("bad webhook: An HTTPS URL must be provided for webhook");
  }
  const std::string authority = url.substr(8, url.find_first_of("/?#", 8) - 8);
  const std::string host_port = authority.substr(authority.find('@') + 1);
  const auto bracket = host_port.rfind(']');
  const auto colon = host_port.rfind(':');
  if (colon != std::string::npos && (bracket == std::string::npos || colon > bracket)) {
    const std::string port = host_port.substr(colon + 1);
    if (port != "443" && port != "80" && port != "88" && port != "8443") {
      return BadRequest("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
    }
  }
  const std::string host = host_port.substr(0, std::min(colon, host_port.size()));
  if (host.empty())
    return BadRequest("bad webhook: Failed to resolve host: Name or service not known");
  return std::nullopt;
}

}  // namespace

std::optional<FakeResponse> FakeTelegram::CheckParams(
    const std::string& method, const Params& params,
    const std::map<std::string, std::string>& spec) {
  for (const auto& [name, value] : params.values.items()) {
    const auto it = spec.find(name);
    if (it == spec.end()) {
      RecordFailure(fmt::format("fake-telegram: {} has no parameter '{}'", method, name));
      continue;
    }
    if (value.is_null()) continue;
    const std::string& type = it->second;
    bool fits = true;
    if (type == "String") {
      fits = value.is_string();
    } else if (type == "Integer") {
      fits = params.Integer(name).has_value();
    } else if (type == "Integer or String") {
      fits = value.is_string() || value.is_number_integer();
    } else if (type == "Boolean") {
      fits = ParseBoolean(value).has_value();
    } else if (type == "Array of String") {
      const json list = params.Object(name);
      fits = list.is_array() && std::all_of(list.begin(), list.end(),
                                            [](const json& item) { return item.is_string(); });
      if (!fits) return BadRequest("can't parse allowed updates");
    } else if (type == "InputFile") {
      RecordFailure(fmt::format("fake-telegram: {}: the fake takes no '{}' upload", method, name));
    }
    if (!fits) {
      return BadRequest(fmt::format("parameter \"{}\" must be of type {}", name, type));
    }
  }
  return std::nullopt;
}

FakeResponse FakeTelegram::SetWebhook(const Params& params) {
  if (auto refused = CheckParams("setWebhook", params,
                                 {{"url", "String"},
                                  {"certificate", "InputFile"},
                                  {"ip_address", "String"},
                                  {"max_connections", "Integer"},
                                  {"allowed_updates", "Array of String"},
                                  {"drop_pending_updates", "Boolean"},
                                  {"secret_token", "String"}})) {
    return *refused;
  }
  const auto url = params.String("url");
  if (!url) return BadRequest("parameter \"url\" is required");
  const std::string secret = params.String("secret_token").value_or("");
  const bool drop_pending = params.Has("drop_pending_updates") &&
                            ParseBoolean(params.values.at("drop_pending_updates")).value_or(false);
  std::lock_guard lock(state_mutex_);
  if (url->empty()) {
    const bool had = !webhook_.url.empty();
    webhook_ = FakeWebhook{};
    if (drop_pending) updates_.clear();
    return Ok(true, had ? "Webhook was deleted" : "Webhook is already deleted");
  }
  // The one deliberate difference from Telegram: http:// on loopback, for tests.
  if (!telegram::IsLoopbackHttpUrl(*url)) {
    if (auto refused = CheckHttpsWebhook(*url)) return *refused;
  }
  if (!secret.empty() || params.Has("secret_token")) {
    const bool valid =
        !secret.empty() && secret.size() <= 256 &&
        std::all_of(secret.begin(), secret.end(), [](char ch) {
          return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_' || ch == '-';
        });
    if (!valid) return BadRequest("secret token contains unallowed characters");
  }
  std::optional<int> max_connections;
  if (const auto wanted = params.Integer("max_connections")) {
    if (*wanted < 1 || *wanted > 100) {
      return BadRequest("bad webhook: max_connections must be between 1 and 100");
    }
    max_connections = static_cast<int>(*wanted);
  }
  std::optional<std::vector<std::string>> allowed;
  if (params.Has("allowed_updates")) {
    allowed.emplace();
    for (const auto& item : params.Object("allowed_updates")) {
      const std::string type = item.get<std::string>();
      if (!UpdateTypes().contains(type)) {
        RecordFailure(fmt::format("fake-telegram: setWebhook: '{}' is not an update type", type));
      }
      allowed->push_back(type);
    }
  }
  if (webhook_.url != *url) {
    webhook_.last_error_date.reset();
    webhook_.last_error_message.clear();
  }
  if (allowed) {
    // One setting for the bot, as in the Bot API: getUpdates and the webhook share it.
    allowed_updates_ = *allowed;
    webhook_.allowed_updates_json = json(*allowed).dump();
  }
  if (drop_pending) updates_.clear();
  webhook_.url = *url;
  webhook_.secret_token = secret;
  webhook_.max_connections = max_connections;
  updates_changed_.notify_all();  // a waiting poll ends
  return Ok(true, "Webhook was set");
}

FakeResponse FakeTelegram::DeleteWebhook(const Params& params) {
  if (auto refused = CheckParams("deleteWebhook", params, {{"drop_pending_updates", "Boolean"}})) {
    return *refused;
  }
  const bool drop_pending = params.Has("drop_pending_updates") &&
                            ParseBoolean(params.values.at("drop_pending_updates")).value_or(false);
  std::lock_guard lock(state_mutex_);
  const bool had = !webhook_.url.empty();
  webhook_ = FakeWebhook{};
  if (drop_pending) updates_.clear();
  return Ok(true, had ? "Webhook was deleted" : "Webhook is already deleted");
}

FakeResponse FakeTelegram::GetWebhookInfo(const Params& params) {
  if (auto refused = CheckParams("getWebhookInfo", params, {})) return *refused;
  std::lock_guard lock(state_mutex_);
  std::size_t pending = 0;
  for (const auto& update : updates_) pending += WantedLocked(update.type) ? 1 : 0;
  json info = {
      {"url", webhook_.url}, {"has_custom_certificate", false}, {"pending_update_count", pending}};
  if (!webhook_.url.empty()) {
    info["max_connections"] = webhook_.max_connections.value_or(40);
    if (allowed_updates_ && !allowed_updates_->empty()) info["allowed_updates"] = *allowed_updates_;
    if (webhook_.last_error_date) {
      info["last_error_date"] = *webhook_.last_error_date;
      info["last_error_message"] = webhook_.last_error_message;
    }
  }
  return Ok(std::move(info));
}

// ---- chats as the bot sees them (getChat, getChatMember) ----------------------------------

void FakeTelegram::SetBotStatus(std::int64_t chat_id, FakeBotStatus status) {
  std::lock_guard lock(state_mutex_);
  const auto chat = chats_.find(chat_id);
  if (chat == chats_.end() || chat->second.type == "private") {
    throw std::invalid_argument("SetBotStatus: no such group");
  }
  chat->second.bot_status = status;
}

void FakeTelegram::SetMembersCanSend(std::int64_t chat_id, bool can_send) {
  std::lock_guard lock(state_mutex_);
  const auto chat = chats_.find(chat_id);
  if (chat == chats_.end() || chat->second.type == "private") {
    throw std::invalid_argument("SetMembersCanSend: no such group");
  }
  chat->second.members_can_send = can_send;
}

void FakeTelegram::SeedWebhook(FakeWebhook webhook) {
  std::lock_guard lock(state_mutex_);
  webhook_ = std::move(webhook);
}

std::optional<FakeResponse> FakeTelegram::CheckBotInChatLocked(const ChatState& chat) const {
  if (chat.type == "private") return std::nullopt;
  if (chat.bot_status == FakeBotStatus::kKicked) {
    return Err(403, fmt::format("Forbidden: bot was kicked from the {} chat", chat.type));
  }
  if (chat.bot_status == FakeBotStatus::kLeft) {
    return Err(403, fmt::format("Forbidden: bot is not a member of the {} chat", chat.type));
  }
  return std::nullopt;
}

FakeResponse FakeTelegram::GetChat(const Params& params) {
  if (auto refused = CheckParams("getChat", params, {{"chat_id", "Integer or String"}})) {
    return *refused;
  }
  const auto chat_ref = params.String("chat_id");
  if (!chat_ref || chat_ref->empty()) return BadRequest("chat_id is empty");
  std::lock_guard lock(state_mutex_);
  ChatState* chat = FindChatLocked(*chat_ref);
  if (chat == nullptr) return WorldStateAnswer(BadRequest("chat not found"));
  if (chat->status == ChatStatus::kMigrated) {
    return WorldStateAnswer(Err(400, "Bad Request: group chat was upgraded to a supergroup chat",
                                json{{"migrate_to_chat_id", chat->migrated_to}}));
  }
  if (auto refused = CheckBotInChatLocked(*chat)) return *refused;
  json info = json::parse(ChatJsonLocked(*chat));
  // ChatFullInfo's required fields besides the Chat's.
  info["accent_color_id"] = 0;
  info["max_reaction_count"] = 11;
  info["accepted_gift_types"] = {{"unlimited_gifts", false},
                                 {"limited_gifts", false},
                                 {"unique_gifts", false},
                                 {"premium_subscription", false}};
  if (chat->type == "group" || chat->type == "supergroup") {
    info["permissions"] = {{"can_send_messages", chat->members_can_send}};
  }
  return Ok(std::move(info));
}

FakeResponse FakeTelegram::GetChatMember(const Params& params) {
  if (auto refused = CheckParams("getChatMember", params,
                                 {{"chat_id", "Integer or String"}, {"user_id", "Integer"}})) {
    return *refused;
  }
  const auto chat_ref = params.String("chat_id");
  if (!chat_ref || chat_ref->empty()) return BadRequest("chat_id is empty");
  const auto user_id = params.Integer("user_id");
  if (!user_id) return BadRequest("parameter \"user_id\" is required");
  std::lock_guard lock(state_mutex_);
  ChatState* chat = FindChatLocked(*chat_ref);
  if (chat == nullptr) return WorldStateAnswer(BadRequest("chat not found"));
  if (chat->status == ChatStatus::kMigrated) {
    return WorldStateAnswer(Err(400, "Bad Request: group chat was upgraded to a supergroup chat",
                                json{{"migrate_to_chat_id", chat->migrated_to}}));
  }
  if (auto refused = CheckBotInChatLocked(*chat)) return *refused;
  // The fake keeps no members but the bot (and a private chat's user).
  const bool is_bot = *user_id == options_.bot_id;
  if (!is_bot && !(chat->type == "private" && *user_id == chat->id)) {
    return WorldStateAnswer(BadRequest("user not found"));
  }
  json user = is_bot ? json{{"id", options_.bot_id},
                            {"is_bot", true},
                            {"first_name", "Planfix Flow"},
                            {"username", options_.bot_username}}
                     : json{{"id", chat->id}, {"is_bot", false}, {"first_name", chat->first_name}};
  json member = {{"user", std::move(user)}};
  if (chat->type == "private" || !is_bot) {
    member["status"] = "member";
    return Ok(std::move(member));
  }
  switch (chat->bot_status) {
    case FakeBotStatus::kAdministrator:
      member["status"] = "administrator";
      member["can_be_edited"] = false;
      member["is_anonymous"] = false;
      for (const char* right :
           {"can_manage_chat", "can_delete_messages", "can_manage_video_chats",
            "can_restrict_members", "can_promote_members", "can_change_info", "can_invite_users",
            "can_post_stories", "can_edit_stories", "can_delete_stories"}) {
        member[right] = false;
      }
      member["can_manage_chat"] = true;
      break;
    case FakeBotStatus::kRestricted:
      member["status"] = "restricted";
      member["is_member"] = true;
      for (const char* right :
           {"can_send_messages", "can_send_audios", "can_send_documents", "can_send_photos",
            "can_send_videos", "can_send_video_notes", "can_send_voice_notes", "can_send_polls",
            "can_send_other_messages", "can_add_web_page_previews", "can_react_to_messages",
            "can_edit_tag", "can_change_info", "can_invite_users", "can_pin_messages",
            "can_manage_topics"}) {
        member[right] = false;
      }
      member["until_date"] = 0;
      break;
    case FakeBotStatus::kMember:
    case FakeBotStatus::kLeft:  // answered above
    case FakeBotStatus::kKicked:
      member["status"] = "member";
      break;
  }
  return Ok(std::move(member));
}

std::size_t FakeTelegram::DeliverWebhookUpdates() {
  http::CurlHttpClient http;
  std::size_t delivered = 0;
  for (;;) {
    http::HttpRequest request;
    std::int64_t update_id = 0;
    {
      std::lock_guard lock(state_mutex_);
      if (webhook_.url.empty()) throw std::logic_error("DeliverWebhookUpdates: no webhook is set");
      if (!telegram::IsLoopbackHttpUrl(webhook_.url)) {
        throw std::logic_error("DeliverWebhookUpdates: the fake reaches only http:// loopback");
      }
      while (!updates_.empty() && !WantedLocked(updates_.front().type)) updates_.pop_front();
      if (updates_.empty()) return delivered;
      update_id = updates_.front().update_id;
      request.method = "POST";
      request.url = webhook_.url;
      request.headers["Content-Type"] = "application/json";
      if (!webhook_.secret_token.empty()) {
        request.headers["X-Telegram-Bot-Api-Secret-Token"] = webhook_.secret_token;
      }
      request.body = updates_.front().json;
      request.timeout = std::chrono::seconds(10);
    }
    const auto response = http.Send(request);  // not under the lock: the service may call us
    std::lock_guard lock(state_mutex_);
    if (response && response->status >= 200 && response->status < 300) {
      const auto it = std::find_if(updates_.begin(), updates_.end(),
                                   [&](const QueuedUpdate& u) { return u.update_id == update_id; });
      if (it != updates_.end()) updates_.erase(it);
      ++delivered;
      continue;
    }
    std::string message;
    if (!response) {
      message = response.error().code == core::ErrorCode::kTimeout ? "Read timeout expired"
                                                                   : "Connection refused";
    } else {
      message = fmt::format("Wrong response from the webhook: {} {}", response->status,
                            StatusText(response->status));
    }
    webhook_.last_error_date = UnixSeconds(Now());
    webhook_.last_error_message = std::move(message);
    return delivered;
  }
}

}  // namespace planfix_flow::sandbox
