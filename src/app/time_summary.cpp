#include "planfix_flow/app/time_summary.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <utility>
#include <vector>

#include "planfix_flow/app/time_ledger.h"
#include "planfix_flow/chart/bar_chart.h"
#include "planfix_flow/core/log.h"
#include "planfix_flow/plan/effects.h"
#include "planfix_flow/timekeeping/amount.h"

namespace planfix_flow::app {

using nlohmann::json;

namespace {

constexpr std::uint32_t kCommunicationColour = 0xE4572E;
constexpr std::uint32_t kProductionColour = 0x29A19C;
constexpr std::size_t kMaxDealLines = 5;
constexpr std::size_t kMaxNameCharacters = 40;

// 245 minutes -> "4.08" hours (rounded half up to hundredths), exactly.
std::string Hours(std::int64_t minutes) {
  const std::int64_t hundredths = (minutes * 100 + 30) / 60;
  return fmt::format("{}.{:02}", hundredths / 100, hundredths % 100);
}

// At most `limit` code points of UTF-8 `text`, "…" added when cut.
std::string Shorten(const std::string& text, std::size_t limit) {
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && points++ == limit) {
      return text.substr(0, i) + "…";
    }
  }
  return text;
}

std::string MonthKey(const timekeeping::Month& month) {
  return fmt::format("time.summary:{}", month.ToString());
}

}  // namespace

TimeSummary::TimeSummary(const config::Config& config, const templates::TemplateSet& templates,
                         const calendar::WorkCalendar& calendar, telegram::TelegramClient& telegram,
                         storage::Database& database, core::Clock& clock)
    : config_(config),
      templates_(templates),
      calendar_(calendar),
      telegram_(telegram),
      database_(database),
      clock_(clock) {}

bool TimeSummary::Handles(std::string_view kind) { return kind == kEventTimeSummaryDue; }

core::TimePoint TimeSummary::DueOf(const timekeeping::Month& month) const {
  return calendar_.NextWorkingMoment(
      calendar_.ToMoment(month.Next().First(), calendar::LocalTime{0}));
}

void TimeSummary::Start() {
  if (const auto timer = database_.GetTimer(kTimerTimeSummary);
      timer && timer->state == storage::TimerState::kPending) {
    return;
  }
  const auto month = timekeeping::MonthOf(calendar_.ToLocalDate(clock_.Now())).Previous();
  storage::NewEvent event;
  event.source = storage::EventSource::kInternal;
  event.kind = kEventTimeSummaryDue;
  event.received_at = clock_.Now();
  event.dedupe_key = fmt::format("time.summary.start:{}", core::ToUnixSeconds(event.received_at));
  event.payload = json{{"month", month.ToString()}}.dump();
  if (auto stored = database_.AppendEvent(event); !stored) {
    core::Logger("time")->error("event=time_summary_not_scheduled error=\"{}\"",
                                stored.error().ToString());
  }
}

core::Result<engine::Plan> TimeSummary::Handle(const engine::StoredEvent& event,
                                               core::TimePoint now) {
  const json payload = json::parse(event.payload, nullptr, /*allow_exceptions=*/false);
  if (!payload.is_object() || !payload.contains("month") || !payload["month"].is_string()) {
    return core::Fail(core::ErrorCode::kPermanent, "time.summary_due: no month");
  }
  auto month = timekeeping::ParseMonth(payload["month"].get<std::string>());
  if (!month) return core::Fail(core::ErrorCode::kPermanent, month.error().message);
  engine::Plan plan;
  const auto arm = [&](const timekeeping::Month& which) {
    plan.timers.push_back(engine::TimerChange{engine::TimerAction::kSet, kTimerTimeSummary,
                                              kEventTimeSummaryDue, DueOf(which),
                                              json{{"month", which.ToString()}}.dump()});
  };
  if (now < DueOf(*month)) {
    arm(*month);
    plan.summary = fmt::format("time summary of {} due {}", month->ToString(),
                               calendar_.FormatLocal(DueOf(*month)));
    return plan;
  }
  arm(month->Next());
  const std::string key = MonthKey(*month);
  if (database_.GetFlow(key)) {
    plan.summary = fmt::format("time summary of {} already sent", month->ToString());
    return plan;
  }
  const std::int64_t chat = database_.CurrentChatId(config_.telegram.staff_chat_id);
  engine::Effect send = plan::MakeEffect(plan::TimeSendSummary{month->ToString(), chat},
                                         fmt::format("telegram:chat:{}", chat), key);
  // After the next read of the data tag: entries typed on the month's last evening count.
  send.not_before = now + std::chrono::minutes(config_.time.sync_interval_minutes + 1);
  plan.effects.push_back(std::move(send));
  plan.flows.push_back(engine::FlowChange{key, "time.summary", std::nullopt, std::nullopt,
                                          "planned", json{{"event", event.id}}.dump()});
  plan.summary = fmt::format("time summary of {} planned", month->ToString());
  return plan;
}

core::Result<TimeSummaryMessage> TimeSummary::Build(const timekeeping::Month& month) const {
  const auto report = timekeeping::BuildTimeReport(
      TimeReportInputFor(database_, config_, calendar_, month, std::nullopt));
  const auto& total = report.total;
  if (total.communication.minutes + total.production.minutes == 0) {
    return core::Fail(core::ErrorCode::kNotFound,
                      fmt::format("no time recorded in {}", month.ToString()));
  }
  const std::string& language = config_.templates.default_language;
  auto labels = templates_.Render("time_summary_chart", language, {{"month", month.ToString()}});
  if (!labels) return core::Fail(labels.error());
  // Three lines: the title, the communication series, the production series.
  std::vector<std::string> lines;
  for (std::size_t start = 0; start <= labels->size();) {
    const auto end = std::min(labels->find('\n', start), labels->size());
    lines.push_back(labels->substr(start, end - start));
    start = end + 1;
  }
  lines.resize(3);

  chart::BarChart chart;
  chart.title = lines[0];
  chart.series = {{lines[1], kCommunicationColour}, {lines[2], kProductionColour}};
  chart.format = chart::BarChart::ValueFormat::kHoursMinutes;
  for (const auto& client : report.clients) {
    if (client.communication.minutes + client.production.minutes == 0) continue;
    if (chart.rows.size() == chart::kMaxRows) break;
    chart.rows.push_back(chart::Row{client.client_name.empty()
                                        ? (client.client ? fmt::format("#{}", *client.client) : "—")
                                        : client.client_name,
                                    {client.communication.minutes, client.production.minutes}});
  }
  auto png = chart::RenderPng(chart);
  if (!png) return core::Fail(png.error());

  // The deals whose communication cost more than their work, worst first (the report's order).
  std::vector<std::string> deals;
  for (const auto& deal : report.deals) {
    if (!deal.communication_over_production) continue;
    deals.push_back(fmt::format("#{} {} — {} / {}", deal.deal,
                                Shorten(deal.deal_name, kMaxNameCharacters),
                                Hours(deal.communication.minutes), Hours(deal.production.minutes)));
  }
  const std::size_t over = deals.size();
  if (deals.size() > kMaxDealLines) deals.resize(kMaxDealLines);
  // Fewer deal lines until the caption fits Telegram's 1024 characters.
  while (true) {
    std::string joined;
    for (const auto& line : deals) joined += (joined.empty() ? "" : "\n") + line;
    templates::Values values{
        {"month", month.ToString()},
        {"communication_hours", Hours(total.communication.minutes)},
        {"communication_cost", timekeeping::FormatAmount(total.communication.cost)},
        {"production_hours", Hours(total.production.minutes)},
        {"production_cost", timekeeping::FormatAmount(total.production.cost)},
        {"saved_hours", Hours(total.saved_minutes)},
        {"currency", report.currency},
        {"over_count", over > 0 ? std::to_string(over) : ""},
        {"deals", joined}};
    auto caption = templates_.Render("time_summary", language, values);
    if (!caption) return core::Fail(caption.error());
    if (telegram::ValidateCaption(*caption, "HTML") || deals.empty()) {
      return TimeSummaryMessage{std::move(*png), std::move(*caption), chart.rows.size()};
    }
    deals.pop_back();
  }
}

void TimeSummary::RegisterEffects(engine::EffectExecutor& executor) {
  executor.Register(plan::kEffectTimeSendSummary,
                    [this](const engine::Job& job) { return Send(job); });
}

core::Result<std::string> TimeSummary::Send(const engine::Job& job) {
  auto payload = plan::Decode<plan::TimeSendSummary>(job.payload);
  if (!payload) return core::Fail(payload.error());
  auto month = timekeeping::ParseMonth(payload->month);
  if (!month) return core::Fail(core::ErrorCode::kPermanent, month.error().message);
  // The job waits one sync interval (Handle), so a read made after the month ended is in;
  // with Planfix unreachable all that time the summary goes out from what was read before.
  if (const auto synced = database_.GetTimeSyncState().last_sync_at;
      !synced || *synced < DueOf(*month)) {
    core::Logger("time")->warn("event=time_summary_from_older_read month={} last_sync=\"{}\"",
                               month->ToString(),
                               synced ? calendar_.FormatLocal(*synced) : std::string("never"));
  }
  auto message = Build(*month);
  if (!message) {
    if (message.error().code != core::ErrorCode::kNotFound) return core::Fail(message.error());
    core::Logger("time")->info("event=time_summary_skipped month={} reason=\"{}\"",
                               month->ToString(), message.error().message);
    return json{{"skipped", message.error().message}}.dump();
  }
  telegram::SendPhotoRequest request;
  request.chat_id = database_.CurrentChatId(payload->chat_id);
  request.photo = std::move(message->png);
  request.filename = fmt::format("time-{}.png", month->ToString());
  request.caption = std::move(message->caption);
  auto sent = telegram_.SendPhoto(request);
  if (!sent) return core::Fail(sent.error());
  return json{
      {"chat_id", sent->chat.id}, {"message_id", sent->message_id}, {"clients", message->clients}}
      .dump();
}

}  // namespace planfix_flow::app
