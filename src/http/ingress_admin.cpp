// The admin endpoints over the job store (/admin/jobs*), behind the admin token.
#include <fmt/format.h>
#include <httplib.h>

#include <charconv>

#include "http/ingress_internal.h"
#include "planfix_flow/core/crypto.h"
#include "planfix_flow/core/parse.h"

namespace planfix_flow::http {

using core::ErrorCode;
using storage::EventSource;

bool IngressServer::Impl::AdminAuthorized(const httplib::Request& req,
                                          httplib::Response& res) const {
  if (secrets.admin_token.empty() || hooks.job_admin == nullptr) {
    WriteError(res, 404, "the admin endpoints are not enabled");
    return false;
  }
  const std::string header = req.get_header_value("Authorization");
  const std::size_t space = header.find(' ');
  const bool authorized =
      space != std::string::npos && core::AsciiLower(header.substr(0, space)) == "bearer" &&
      core::ConstantTimeEquals(core::Trim(std::string_view(header).substr(space + 1)),
                               secrets.admin_token);
  if (!authorized) {
    log->warn("admin request refused remote={} path={}", Remote(req), req.path);
    res.set_header("WWW-Authenticate", "Bearer realm=\"planfix-flow admin\"");
    WriteError(
        res, 401,
        req.has_header("Authorization") ? "wrong admin token" : "missing Authorization: Bearer");
  }
  return authorized;
}

void IngressServer::Impl::AnswerAdmin(const core::Result<std::string>& result,
                                      httplib::Response& res) {
  if (!result) {
    const int status = HttpStatusFor(result.error().code);
    if (status >= 500) log->error("admin request failed: {}", result.error().ToString());
    return WriteError(res, status, result.error().message);
  }
  res.status = 200;
  res.set_content(*result, kJson);
}

void IngressServer::Impl::HandleJobList(const httplib::Request& req, httplib::Response& res) {
  if (!AdminAuthorized(req, res)) return;
  std::string state = req.has_param("state") ? req.get_param_value("state") : "dead";
  const bool state_ok = !state.empty() && state.size() <= 32 &&
                        std::all_of(state.begin(), state.end(),
                                    [](char ch) { return (ch >= 'a' && ch <= 'z') || ch == '_'; });
  if (!state_ok) return WriteError(res, 400, "state must be 1-32 characters of a-z and _");
  int limit = 50;
  if (req.has_param("limit")) {
    const std::string text = req.get_param_value("limit");
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), limit);
    if (error != std::errc() || end != text.data() + text.size() || limit < 1 || limit > 1000) {
      return WriteError(res, 400, "limit must be an integer from 1 to 1000");
    }
  }
  AnswerAdmin(hooks.job_admin->ListJobs(state, limit), res);
}

void IngressServer::Impl::HandleJobShow(const httplib::Request& req, httplib::Response& res) {
  if (!AdminAuthorized(req, res)) return;
  const std::int64_t id = core::ParseId(req.matches[1].str()).value_or(0);
  if (id == 0) return WriteError(res, 404, "no such job");
  AnswerAdmin(hooks.job_admin->ShowJob(id), res);
}

void IngressServer::Impl::HandleJobReplay(const httplib::Request& req, httplib::Response& res) {
  if (!AdminAuthorized(req, res)) return;
  const std::int64_t id = core::ParseId(req.matches[1].str()).value_or(0);
  if (id == 0) return WriteError(res, 404, "no such job");
  auto result = hooks.job_admin->ReplayJob(id);
  if (result) log->info("admin replayed job_id={} remote={}", id, Remote(req));
  AnswerAdmin(result, res);
}

}  // namespace planfix_flow::http
