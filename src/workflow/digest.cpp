#include "planfix_flow/workflow/digest.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "planfix_flow/core/money.h"
#include "rule_support.h"

namespace planfix_flow::workflow {

using core::Fail;
using core::Result;
using nlohmann::json;

namespace {

// Flows of a kind and state read per digest, at most: far above a day's payments.
constexpr std::size_t kMaxFlows = 2000;
// The window of the first digest, which has no previous one.
constexpr auto kFirstWindow = std::chrono::hours(24);

std::string Label(const RuleContext& context, const char* uk, const char* en) {
  return context.config->templates.default_language == "en" ? en : uk;
}

plan::Plan Skip(std::string summary) {
  plan::Plan plan;
  plan.summary = std::move(summary);
  return plan;
}

calendar::LocalTime DigestTime(const RuleContext& context) {
  auto at = calendar::ParseLocalTime(context.config->invoices.digest.time);
  return at ? *at : calendar::LocalTime{9 * 60 + 30};
}

plan::TimerChange DigestTimer(const RuleContext& context, core::TimePoint at) {
  return plan::TimerChange{plan::TimerAction::kSet, kDigestTimerKey, kEventDigest, at,
                           json{{"date", context.calendar->ToLocalDate(at).ToString()}}.dump()};
}

// "15000.50 UAH, 120.00 USD": the sums by currency.
std::string Totals(const std::map<std::string, std::int64_t>& sums) {
  std::string out;
  for (const auto& [currency, sum] : sums)
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", core::FormatMoney(sum), currency);
  return out;
}

// "2026-11-28" -> "28.11.2026".
std::string ShowDate(const std::string& iso) {
  if (iso.size() != 10) return iso;
  return fmt::format("{}.{}.{}", iso.substr(8, 2), iso.substr(5, 2), iso.substr(0, 4));
}

std::string CurrencyOf(const json& data, const std::optional<InvoiceState>& invoice) {
  if (data.contains("currency_code") && data["currency_code"].is_number_integer()) {
    const auto code = data["currency_code"].get<std::int64_t>();
    return code == kCurrencyUah ? std::string("UAH") : fmt::format("ISO {}", code);
  }
  return invoice ? invoice->currency : std::string("UAH");
}

}  // namespace

std::string DigestFlowKey(const calendar::LocalDate& date) {
  return fmt::format("invoices.digest:{}", date.ToString());
}

core::TimePoint NextDigestAt(const calendar::WorkCalendar& calendar, calendar::LocalTime at,
                             core::TimePoint after) {
  calendar::LocalDate date = calendar.ToLocalDate(after);
  // A year without a working day would be a calendar nobody works by.
  for (int day = 0; day < 400; ++day) {
    const core::TimePoint moment = calendar.ToMoment(date, at);
    if (calendar.IsWorkingDay(date) && moment > after) return moment;
    date = calendar.ToLocalDate(calendar.ToMoment(date, calendar::LocalTime{12 * 60}) +
                                std::chrono::hours(24));
  }
  throw std::logic_error("no working day within 400 days");
}

Result<plan::Plan> DecideDigestSchedule(const plan::StoredEvent& event, const RuleContext& context,
                                        core::TimePoint now) {
  (void)event;
  const auto at = NextDigestAt(*context.calendar, DigestTime(context), now);
  plan::Plan plan;
  plan.timers.push_back(DigestTimer(context, at));
  plan.summary = fmt::format("money digest scheduled at {}", context.calendar->FormatLocal(at));
  return plan;
}

Result<plan::Plan> DecideDigest(const plan::StoredEvent& event, const calendar::LocalDate& date,
                                const DigestInput& input, const RuleContext& context,
                                core::TimePoint now) {
  (void)event;  // the digest is keyed by its date, not by the event
  plan::Plan plan;
  // The next one whatever happens to this one: the timer is the digest's only memory of time.
  plan.timers.push_back(DigestTimer(
      context, NextDigestAt(*context.calendar, DigestTime(context),
                            std::max(now, context.calendar->ToMoment(date, DigestTime(context))))));
  if (input.already_sent) {
    plan.summary = fmt::format("money digest of {} already sent", date.ToString());
    return plan;
  }
  const core::TimePoint from = input.from.value_or(now - kFirstWindow);

  std::string money_lines;
  std::map<std::string, std::int64_t> money_totals;
  for (const auto& payment : input.payments) {
    money_totals[payment.currency] += payment.amount_minor;
    const std::string what =
        payment.matched
            ? fmt::format("{} №{}", Label(context, "рахунок", "invoice"), payment.invoice_number)
            : fmt::format("{} ({})", Label(context, "без рахунку", "no invoice"), payment.key);
    money_lines += fmt::format("{}• {} {} — {}{}", money_lines.empty() ? "" : "\n",
                               core::FormatMoney(payment.amount_minor), payment.currency,
                               payment.client.empty() ? "" : payment.client + ", ", what);
  }
  std::string overdue_lines;
  std::map<std::string, std::int64_t> overdue_totals;
  for (const auto& invoice : input.overdue) {
    overdue_totals[invoice.currency] += invoice.remaining_minor();
    overdue_lines +=
        fmt::format("{}• №{}{}: {} {} ({} {})", overdue_lines.empty() ? "" : "\n", invoice.number,
                    invoice.client_name.empty() ? "" : ", " + invoice.client_name,
                    core::FormatMoney(invoice.remaining_minor()), invoice.currency,
                    Label(context, "строк", "due"), ShowDate(invoice.due_date));
  }
  auto text = detail::Render(context, "staff_money_digest",
                             {{"date", ShowDate(date.ToString())},
                              {"since", context.calendar->FormatLocal(from)},
                              {"money_in", money_lines},
                              {"money_in_total", Totals(money_totals)},
                              {"payments", std::to_string(input.payments.size())},
                              {"overdue", overdue_lines},
                              {"overdue_total", Totals(overdue_totals)},
                              {"overdue_count", std::to_string(input.overdue.size())}});
  if (!text) return Fail(text.error());
  plan.effects.push_back(
      detail::StaffMessage(context, *text, fmt::format("{}:staff", DigestFlowKey(date))));
  const json window{{"from", core::ToUnixSeconds(from)},
                    {"to", core::ToUnixSeconds(now)},
                    {"payments", input.payments.size()},
                    {"overdue", input.overdue.size()}};
  plan.flows.push_back(plan::FlowChange{DigestFlowKey(date), "invoices.digest", std::nullopt,
                                        std::nullopt, "sent", window.dump()});
  plan.flows.push_back(plan::FlowChange{kDigestLastFlowKey, "invoices.digest.last", std::nullopt,
                                        std::nullopt, "sent",
                                        json{{"to", core::ToUnixSeconds(now)}}.dump()});
  plan.summary = fmt::format("money digest of {}: {} payment(s), {} overdue invoice(s)",
                             date.ToString(), input.payments.size(), input.overdue.size());
  return plan;
}

std::optional<Result<plan::Plan>> HandleDigestEvent(const plan::StoredEvent& event,
                                                    FactSource& facts, const RuleContext& context,
                                                    core::TimePoint now) {
  const auto& invoices = context.config->invoices;
  if (!invoices.enabled || !invoices.digest.enabled) return std::nullopt;
  if (event.kind == kEventDigestSchedule) {
    if (event.source != plan::EventSource::kInternal)
      return Skip("ignored: invoices.digest.schedule from another source than the service");
    return DecideDigestSchedule(event, context, now);
  }
  if (event.kind != kEventDigest) return std::nullopt;
  if (event.source != plan::EventSource::kTimer)
    return Skip("ignored: invoices.digest from another source than a timer");
  calendar::LocalDate date = context.calendar->ToLocalDate(now);
  if (auto payload = detail::ParsePayload(event)) {
    if (payload->contains("date") && (*payload)["date"].is_string()) {
      if (auto parsed = calendar::ParseLocalDate((*payload)["date"].get<std::string>()))
        date = *parsed;
    }
  }
  // A timer that fires on a later day than its own (the service was down) sends one digest
  // now, dated today and covering everything since the last one; on a day off it waits for
  // the next working day's, which then covers the days missed. Either way nothing is lost:
  // the window starts where the last digest ended.
  const calendar::LocalDate today = context.calendar->ToLocalDate(now);
  if (date < today) {
    if (!context.calendar->IsWorkingDay(today)) {
      auto plan = DecideDigestSchedule(event, context, now);
      if (plan) {
        plan->summary = fmt::format("money digest of {} missed (the service was down); {}",
                                    date.ToString(), plan->summary);
      }
      return plan;
    }
    date = today;
  }
  DigestInput input;
  input.already_sent = facts.GetFlow(DigestFlowKey(date)).has_value();
  if (const auto last = facts.GetFlow(kDigestLastFlowKey)) {
    const json data = json::parse(last->data, nullptr, /*allow_exceptions=*/false);
    if (const auto to = data.is_object() ? detail::OptionalInt(data, "to") : std::nullopt)
      input.from = core::FromUnixSeconds(*to);
  }
  if (!input.already_sent) {
    const core::TimePoint from = input.from.value_or(now - kFirstWindow);
    std::map<std::int64_t, std::optional<InvoiceState>> invoice_of;
    const auto invoice = [&](std::int64_t task) -> const std::optional<InvoiceState>& {
      auto it = invoice_of.find(task);
      if (it != invoice_of.end()) return it->second;
      std::optional<InvoiceState> state;
      if (const auto flow = facts.GetFlow(InvoiceFlowKey(task))) {
        if (auto parsed = ParseInvoiceState(flow->data)) state = std::move(*parsed);
      }
      return invoice_of.emplace(task, std::move(state)).first->second;
    };
    for (const char* state : {"matched", "unmatched"}) {
      for (const auto& flow : facts.ListFlows("payment", state, kMaxFlows)) {
        if (flow.created_at <= from || flow.created_at > now) continue;
        const json data = json::parse(flow.data, nullptr, /*allow_exceptions=*/false);
        if (!data.is_object()) continue;
        const auto amount = detail::OptionalInt(data, "amount_minor");
        if (!amount) continue;
        DigestPayment payment;
        payment.key = flow.key;
        payment.amount_minor = *amount;
        payment.matched = flow.state == "matched";
        payment.recorded_at = flow.created_at;
        std::optional<InvoiceState> paid;
        if (const auto task = detail::OptionalInt(data, "task")) paid = invoice(*task);
        payment.currency = CurrencyOf(data, paid);
        if (payment.matched && paid) {
          payment.invoice_number = paid->number;
          payment.client = paid->client_name;
        } else {
          payment.client = data.value("counter_name", std::string());
        }
        input.payments.push_back(std::move(payment));
      }
    }
    std::sort(input.payments.begin(), input.payments.end(),
              [](const DigestPayment& a, const DigestPayment& b) {
                return a.recorded_at != b.recorded_at ? a.recorded_at < b.recorded_at
                                                      : a.key < b.key;
              });
    const std::int64_t now_s = core::ToUnixSeconds(now);
    for (const char* state : {"open", "partly_paid"}) {
      for (const auto& flow : facts.ListFlows("invoice", state, kMaxFlows)) {
        auto parsed = ParseInvoiceState(flow.data);
        if (!parsed || parsed->due_at <= 0 || parsed->due_at > now_s) continue;
        input.overdue.push_back(std::move(*parsed));
      }
    }
    std::sort(input.overdue.begin(), input.overdue.end(),
              [](const InvoiceState& a, const InvoiceState& b) {
                return a.due_at != b.due_at ? a.due_at < b.due_at : a.task < b.task;
              });
  }
  return DecideDigest(event, date, input, context, now);
}

}  // namespace planfix_flow::workflow
