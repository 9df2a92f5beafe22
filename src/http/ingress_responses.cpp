// Answers: JSON error bodies, outcome names, the error code -> HTTP status mapping.
#include <fmt/format.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "http/ingress_internal.h"
#include "planfix_flow/core/parse.h"

namespace planfix_flow::http {

using core::ErrorCode;
using storage::EventSource;

std::string_view OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kStored:
      return "stored";
    case Outcome::kDuplicate:
      return "duplicate";
    case Outcome::kUnauthorized:
      return "unauthorized";
    case Outcome::kTooLarge:
      return "too_large";
    case Outcome::kBadContentType:
      return "bad_content_type";
    case Outcome::kMalformed:
      return "malformed";
    case Outcome::kError:
      return "error";
    case Outcome::kIgnored:
      return "ignored";
  }
  return "error";
}

// The "error" member of a JSON error body for each status this server answers with.
std::string_view ErrorNameFor(int status) {
  switch (status) {
    case 400:
      return "malformed";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 408:
      return "request_timeout";
    case 409:
      return "conflict";
    case 413:
      return "too_large";
    case 414:
      return "uri_too_long";
    case 415:
      return "bad_content_type";
    case 422:
      return "unprocessable";
    case 429:
      return "rate_limited";
    case 503:
      return "unavailable";
    case 504:
      return "timeout";
    default:
      return status >= 500 ? "internal" : "bad_request";
  }
}

void WriteJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), kJson);
}

nlohmann::json ErrorBody(int status, std::string_view detail) {
  return nlohmann::json{{"error", std::string(ErrorNameFor(status))},
                        {"detail", std::string(detail)}};
}

void WriteError(httplib::Response& res, int status, std::string_view detail) {
  WriteJson(res, status, ErrorBody(status, detail));
}

MediaType ParseMediaType(std::string_view header) {
  MediaType media;
  const std::size_t semicolon = header.find(';');
  media.type = core::AsciiLower(core::Trim(header.substr(0, semicolon)));
  std::string_view params =
      semicolon == std::string_view::npos ? std::string_view() : header.substr(semicolon + 1);
  while (!params.empty()) {
    const std::size_t next = params.find(';');
    const std::string param = core::AsciiLower(core::Trim(params.substr(0, next)));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    if (param.rfind("charset=", 0) == 0) {
      std::string value = param.substr(8);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (value != "utf-8" && value != "utf8") media.utf8_or_unspecified = false;
    }
  }
  return media;
}

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return 400;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPermanent:
      return 422;
    case ErrorCode::kRateLimited:
    case ErrorCode::kQuotaExhausted:
      return 429;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kTimeout:
      return 504;
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace planfix_flow::http
