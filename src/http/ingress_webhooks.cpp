// The webhook endpoints: Planfix, Google Forms (Apps Script), Telegram and the bank. Each
// authenticates, checks the body and commits the event to the inbox before its 200.
#include <fmt/format.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "http/ingress_internal.h"
#include "planfix_flow/core/parse.h"
#include "planfix_flow/http/google_form_webhook.h"
#include "planfix_flow/http/monobank_webhook.h"
#include "planfix_flow/http/planfix_webhook.h"
#include "planfix_flow/http/standard_webhooks.h"
#include "planfix_flow/http/telegram_webhook.h"

namespace planfix_flow::http {

using core::ErrorCode;
using storage::EventSource;

bool IngressServer::Impl::PlanfixAuthorized(const httplib::Request& req) const {
  const std::string header = req.get_header_value("Authorization");
  const std::size_t space = header.find(' ');
  if (space == std::string::npos) return false;
  const std::string scheme = core::AsciiLower(header.substr(0, space));
  const std::string_view credentials = core::Trim(std::string_view(header).substr(space + 1));
  const std::string& secret = secrets.planfix_webhook_secret;
  if (scheme == "bearer") return ConstantTimeEquals(credentials, secret);
  if (scheme != "basic") return false;
  const auto decoded = Base64Decode(credentials);
  if (!decoded) return false;
  const std::size_t colon = decoded->find(':');
  if (colon == std::string::npos) return false;
  // Either the password is the secret (any user name), or "user:password" as a whole is.
  const bool password_matches =
      ConstantTimeEquals(std::string_view(*decoded).substr(colon + 1), secret);
  const bool pair_matches = ConstantTimeEquals(*decoded, secret);
  return password_matches || pair_matches;
}

void IngressServer::Impl::HandlePlanfix(const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
  const EventSource source = EventSource::kPlanfix;
  if (secrets.planfix_webhook_secret.empty()) {
    res.set_header("Connection", "close");
    return WriteError(res, 404, "the Planfix webhook is not configured");
  }
  if (!PlanfixAuthorized(req)) {
    const std::string detail = req.has_header("Authorization")
                                   ? "wrong credentials"
                                   : "missing Authorization (Bearer or Basic)";
    return Reject(source, req, res, {401, Outcome::kUnauthorized, detail}, false);
  }
  const MediaType media = ParseMediaType(req.get_header_value("Content-Type"));
  PlanfixBodyFormat format = PlanfixBodyFormat::kJson;
  if (media.type == "application/x-www-form-urlencoded") {
    format = PlanfixBodyFormat::kForm;
  } else if (media.type != "application/json") {
    return Reject(source, req, res,
                  {415, Outcome::kBadContentType,
                   "Content-Type must be application/json or application/x-www-form-urlencoded"},
                  false);
  }
  if (!media.utf8_or_unspecified) {
    return Reject(source, req, res,
                  {415, Outcome::kBadContentType, "only the UTF-8 charset is accepted"}, false);
  }
  const Body body = ReadBody(req, reader);
  if (auto rejection = CheckBody(body)) {
    return Reject(source, req, res, *rejection, body.state == BodyState::kRead);
  }
  auto webhook = ParsePlanfixWebhook(body.text, format);
  if (!webhook) {
    return Reject(source, req, res, {400, Outcome::kMalformed, webhook.error().message}, true);
  }
  const core::TimePoint now = clock.Now();
  storage::NewEvent event;
  event.source = source;
  event.dedupe_key = dedupe.KeyFor(*webhook, now);
  event.kind = webhook->event;
  event.payload = webhook->ToPayloadJson();
  event.received_at = now;
  Append(req, std::move(event), res);
}

void IngressServer::Impl::HandleGoogle(const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& reader) {
  const EventSource source = EventSource::kGoogle;
  if (google_key.empty()) {
    res.set_header("Connection", "close");
    return WriteError(res, 404, "the Google Forms webhook is not configured");
  }
  const MediaType media = ParseMediaType(req.get_header_value("Content-Type"));
  if (media.type != "application/json" || !media.utf8_or_unspecified) {
    return Reject(source, req, res,
                  {415, Outcome::kBadContentType, "Content-Type must be application/json"}, false);
  }
  const Body body = ReadBody(req, reader);
  if (auto rejection = CheckBody(body)) {
    return Reject(source, req, res, *rejection, body.state == BodyState::kRead);
  }
  StandardWebhookHeaders headers;
  headers.id = req.get_header_value("webhook-id");
  headers.timestamp = req.get_header_value("webhook-timestamp");
  headers.signature = req.get_header_value("webhook-signature");
  const core::TimePoint now = clock.Now();
  if (auto verified = VerifyStandardWebhook(google_key, headers, body.text, now,
                                            options.google_timestamp_tolerance);
      !verified) {
    return Reject(source, req, res, {401, Outcome::kUnauthorized, verified.error().message}, true);
  }
  auto submission = ParseGoogleFormSubmission(body.text);
  if (!submission) {
    return Reject(source, req, res, {400, Outcome::kMalformed, submission.error().message}, true);
  }
  storage::NewEvent event;
  event.source = source;
  event.dedupe_key = headers.id;
  event.kind = "form.submitted";
  event.payload = submission->ToPayloadJson();
  event.received_at = now;
  Append(req, std::move(event), res);
}

void IngressServer::Impl::HandleTelegram(const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
  const EventSource source = EventSource::kTelegram;
  if (secrets.telegram_webhook_secret.empty()) {
    res.set_header("Connection", "close");
    return WriteError(res, 404, "the Telegram webhook is not configured");
  }
  if (!req.has_header("X-Telegram-Bot-Api-Secret-Token")) {
    return Reject(source, req, res,
                  {401, Outcome::kUnauthorized, "missing X-Telegram-Bot-Api-Secret-Token"}, false);
  }
  if (!ConstantTimeEquals(req.get_header_value("X-Telegram-Bot-Api-Secret-Token"),
                          secrets.telegram_webhook_secret)) {
    return Reject(source, req, res,
                  {401, Outcome::kUnauthorized, "wrong X-Telegram-Bot-Api-Secret-Token"}, false);
  }
  const MediaType media = ParseMediaType(req.get_header_value("Content-Type"));
  if (media.type != "application/json" || !media.utf8_or_unspecified) {
    return Reject(source, req, res,
                  {415, Outcome::kBadContentType, "Content-Type must be application/json"}, false);
  }
  const Body body = ReadBody(req, reader);
  if (auto rejection = CheckBody(body)) {
    return Reject(source, req, res, *rejection, body.state == BodyState::kRead);
  }
  auto update = ParseTelegramWebhook(body.text);
  if (!update) {
    return Reject(source, req, res, {400, Outcome::kMalformed, update.error().message}, true);
  }
  storage::NewEvent event;
  event.source = source;
  event.dedupe_key = std::to_string(update->update_id);
  event.kind = "telegram.update";
  event.payload = body.text;
  event.received_at = clock.Now();
  Append(req, std::move(event), res);
}

// The path token is the endpoint's only credential (the bank does not sign its events). A
// wrong one gets the answer of an unknown path, so a guess learns nothing; nor does the log
// show the path.
bool IngressServer::Impl::MonobankTokenMatches(const httplib::Request& req,
                                               httplib::Response& res) {
  const std::string& token = secrets.monobank_webhook_token;
  if (!token.empty() && ConstantTimeEquals(req.matches[1].str(), token)) return true;
  Count(EventSource::kBank, Outcome::kUnauthorized);
  log->warn(
      "source=bank outcome=unauthorized method={} remote={} reason=\"wrong or unset path "
      "token\"",
      req.method, Remote(req));
  res.set_header("Connection", "close");
  WriteError(res, 404, "no such endpoint");
  return false;
}

// The bank checks the URL with a GET before it takes it, and needs exactly 200.
void IngressServer::Impl::HandleMonobankProbe(const httplib::Request& req, httplib::Response& res) {
  if (!MonobankTokenMatches(req, res)) return;
  WriteJson(res, 200, nlohmann::json{{"status", "ok"}});
}

void IngressServer::Impl::IgnoreBankItem(const httplib::Request& req, httplib::Response& res,
                                         const char* reason) {
  Count(EventSource::kBank, Outcome::kIgnored);
  metrics
      .GetCounter("planfix_flow_bank_items_ignored_total",
                  "Bank webhook events answered 200 and not stored, by reason.",
                  {{"reason", reason}})
      .Increment();
  log->info("source=bank outcome=ignored reason={} remote={}", reason, Remote(req));
  WriteJson(res, 200, nlohmann::json{{"status", "ignored"}, {"reason", reason}});
}

// Every answer but a refused body is 200: the bank switches the webhook off after three
// non-200 answers, and it sends the items of every account of the token, money out included.
void IngressServer::Impl::HandleMonobank(const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
  const EventSource source = EventSource::kBank;
  if (!MonobankTokenMatches(req, res)) return;
  const Body body = ReadBody(req, reader);
  if (auto rejection = CheckBody(body)) {
    return Reject(source, req, res, *rejection, body.state == BodyState::kRead);
  }
  auto event = ParseMonobankWebhook(body.text);
  if (!event) {
    return Reject(source, req, res, {400, Outcome::kMalformed, event.error().message}, true);
  }
  if (!event->item) return IgnoreBankItem(req, res, "other_type");
  const auto& accounts = options.monobank_accounts;
  if (std::find(accounts.begin(), accounts.end(), event->account) == accounts.end()) {
    return IgnoreBankItem(req, res, "unknown_account");
  }
  const bank::StatementItem& item = *event->item;
  if (item.amount <= 0) return IgnoreBankItem(req, res, "money_out");
  if (item.amount > bank::kAbsurdAmountMinor || item.currency_code != bank::kCurrencyUah) {
    log->warn("source=bank event=unusual_item item={} amount={} currency={} action=stored", item.id,
              item.amount, item.currency_code);
  }
  storage::NewEvent stored;
  stored.source = source;
  stored.dedupe_key = bank::DedupeKey(item.id);
  stored.kind = bank::kEventStatementItem;
  stored.payload = bank::InboxPayload(event->account, item, bank::Via::kWebhook);
  stored.received_at = clock.Now();
  Append(req, std::move(stored), res);
}

}  // namespace planfix_flow::http
