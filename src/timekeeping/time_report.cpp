#include "planfix_flow/timekeeping/time_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

#include "planfix_flow/core/utf8.h"
#include "planfix_flow/timekeeping/amount.h"

namespace planfix_flow::timekeeping {

using core::ErrorCode;
using core::Fail;
using core::Result;
using nlohmann::json;

std::string_view ToString(WorkKind kind) {
  return kind == WorkKind::kCommunication ? "communication" : "production";
}

std::string_view ToString(RevenueSource source) {
  switch (source) {
    case RevenueSource::kAmount:
      return "amount";
    case RevenueSource::kReceived:
      return "received";
    case RevenueSource::kMixed:
      return "mixed";
    case RevenueSource::kNone:
      break;
  }
  return "";
}

namespace {

std::string Normalize(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return core::FoldCase(text);
}

bool Listed(const std::vector<std::string>& kinds, const std::string& normalized) {
  return std::any_of(kinds.begin(), kinds.end(),
                     [&](const std::string& kind) { return Normalize(kind) == normalized; });
}

}  // namespace

WorkKind Classify(const ClassifyRule& rule, std::string_view entry_kind,
                  const TaskClassFacts& task) {
  const std::string kind = Normalize(entry_kind);
  if (!kind.empty()) {
    if (Listed(rule.communication_kinds, kind)) return WorkKind::kCommunication;
    if (Listed(rule.production_kinds, kind)) return WorkKind::kProduction;
  }
  if (task.template_id) {
    if (rule.communication_templates.count(*task.template_id) > 0) return WorkKind::kCommunication;
    if (rule.production_templates.count(*task.template_id) > 0) return WorkKind::kProduction;
  }
  if (task.process) {
    if (rule.communication_processes.count(*task.process) > 0) return WorkKind::kCommunication;
    if (rule.production_processes.count(*task.process) > 0) return WorkKind::kProduction;
  }
  return rule.fallback;
}

std::optional<std::int64_t> RateFor(const Rates& rates, std::string_view employee) {
  const auto it = rates.per_employee.find(employee);
  if (it != rates.per_employee.end()) return it->second;
  return rates.default_per_hour;
}

std::string Month::ToString() const { return fmt::format("{:04}-{:02}", year, month); }

calendar::LocalDate Month::First() const { return calendar::LocalDate{year, month, 1}; }

calendar::LocalDate Month::Last() const {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return calendar::LocalDate{year, month, month == 2 && leap ? 29U : kDays[month - 1]};
}

Month Month::Next() const { return month == 12 ? Month{year + 1, 1} : Month{year, month + 1}; }
Month Month::Previous() const { return month == 1 ? Month{year - 1, 12} : Month{year, month - 1}; }

bool Month::Contains(const calendar::LocalDate& date) const {
  return date.year == year && date.month == month;
}

Result<Month> ParseMonth(std::string_view text) {
  const auto bad = [&] {
    return Fail(ErrorCode::kInvalidInput,
                fmt::format("\"{}\" is not a month (YYYY-MM)", core::Utf8Prefix(text, 20)));
  };
  if (text.size() != 7 || text[4] != '-') return bad();
  for (std::size_t i : {0U, 1U, 2U, 3U, 5U, 6U}) {
    if (text[i] < '0' || text[i] > '9') return bad();
  }
  Month month;
  month.year =
      (text[0] - '0') * 1000 + (text[1] - '0') * 100 + (text[2] - '0') * 10 + (text[3] - '0');
  month.month = static_cast<unsigned>((text[5] - '0') * 10 + (text[6] - '0'));
  if (month.month < 1 || month.month > 12 || month.year < 1970) return bad();
  return month;
}

Month MonthOf(const calendar::LocalDate& date) { return Month{date.year, date.month}; }

namespace {

// Whether `a` is a later day than `b`. (LocalDate's defaulted <=> would do, but clang-tidy 14
// reports a use-nullptr finding inside every instantiation of it.)
bool Later(const calendar::LocalDate& a, const calendar::LocalDate& b) {
  return std::tie(a.year, a.month, a.day) > std::tie(b.year, b.month, b.day);
}

}  // namespace

Effort& Effort::operator+=(const Effort& other) {
  minutes += other.minutes;
  cost += other.cost;
  return *this;
}

namespace {

struct DealSums {
  // (kind, employee) -> minutes, in the month and up to its end.
  std::map<std::pair<WorkKind, std::string>, std::int64_t> month;
  std::map<std::pair<WorkKind, std::string>, std::int64_t> to_date;
};

std::optional<std::int64_t> Ratio(const ReportLine& line) {
  if (line.production.minutes == 0) return std::nullopt;
  const std::int64_t scaled = line.communication.minutes * 100;
  return (scaled + line.production.minutes / 2) / line.production.minutes;
}

void AddTo(ReportLine& sum, const ReportLine& line) {
  sum.communication += line.communication;
  sum.production += line.production;
  sum.unpriced_minutes += line.unpriced_minutes;
  sum.saved_minutes += line.saved_minutes;
  sum.cost_to_date += line.cost_to_date;
  if (line.amount) sum.amount = sum.amount.value_or(0) + *line.amount;
  if (line.received) sum.received = sum.received.value_or(0) + *line.received;
  if (line.revenue) sum.revenue = sum.revenue.value_or(0) + *line.revenue;
  if (line.revenue_source != RevenueSource::kNone) {
    sum.revenue_source =
        sum.revenue_source == RevenueSource::kNone || sum.revenue_source == line.revenue_source
            ? line.revenue_source
            : RevenueSource::kMixed;
  }
  if (line.margin) sum.margin = sum.margin.value_or(0) + *line.margin;
}

}  // namespace

TimeReport BuildTimeReport(const TimeReportInput& input) {
  TimeReport report;
  report.month = input.month;
  report.currency = input.currency;
  const calendar::LocalDate last = input.month.Last();

  std::map<std::int64_t, const DealFacts*> facts;
  for (const auto& deal : input.deals) facts[deal.deal] = &deal;
  const auto client_of = [&](std::int64_t deal) -> std::optional<std::int64_t> {
    const auto it = facts.find(deal);
    return it == facts.end() ? std::nullopt : it->second->client;
  };
  const auto wanted = [&](std::int64_t deal) {
    return !input.client || client_of(deal) == input.client;
  };

  std::map<std::int64_t, DealSums> sums;
  std::set<std::int64_t> active;  // deals with time or savings in the month
  for (const auto& entry : input.entries) {
    if (Later(entry.date, last) || !wanted(entry.deal)) continue;
    auto& deal = sums[entry.deal];
    deal.to_date[{entry.kind, entry.employee}] += entry.minutes;
    if (input.month.Contains(entry.date)) {
      deal.month[{entry.kind, entry.employee}] += entry.minutes;
      active.insert(entry.deal);
    }
  }
  std::map<std::int64_t, std::int64_t> saved;
  for (const auto& saving : input.savings) {
    if (!wanted(saving.deal)) continue;
    saved[saving.deal] += saving.minutes;
    active.insert(saving.deal);
  }

  // Money received to the end of the month, per deal. A payment whose invoice task names no
  // deal goes to its client's one deal with work in the month (decided before any payment
  // adds deals, so the order of the payments does not matter).
  std::map<std::optional<std::int64_t>, std::vector<std::int64_t>> worked_for;
  for (const std::int64_t deal : active) worked_for[client_of(deal)].push_back(deal);
  std::map<std::int64_t, std::int64_t> received;
  for (const auto& receipt : input.receipts) {
    if (Later(receipt.date, last)) continue;
    if (receipt.deal) {
      if (!wanted(*receipt.deal)) continue;
      received[*receipt.deal] += receipt.amount;
      if (input.month.Contains(receipt.date)) active.insert(*receipt.deal);
      continue;
    }
    if (!input.month.Contains(receipt.date)) continue;  // listed in its own month's report
    if (input.client && receipt.client != input.client) continue;
    const auto deals = receipt.client ? worked_for.find(receipt.client) : worked_for.end();
    if (deals != worked_for.end() && deals->second.size() == 1) {
      received[deals->second.front()] += receipt.amount;
      continue;
    }
    std::string reason;
    if (!receipt.client) {
      reason = "the invoice task is not a deal, not a deal's subtask and has no client";
    } else if (deals == worked_for.end()) {
      reason =
          "the invoice task is not a deal's subtask and its client has no deal with work this "
          "month";
    } else {
      reason = fmt::format(
          "the invoice task is not a deal's subtask and its client has {} deals this month: "
          "make it a subtask of its deal",
          deals->second.size());
    }
    report.received_without_deal.push_back(UnassignedReceipt{receipt, std::move(reason)});
  }

  for (const std::int64_t deal : active) {
    ReportLine line;
    line.deal = deal;
    if (const auto it = facts.find(deal); it != facts.end()) {
      line.deal_name = it->second->name;
      line.client = it->second->client;
      line.client_name = it->second->client_name;
      line.amount = it->second->amount;
    }
    if (const auto money = received.find(deal); money != received.end()) {
      line.received = money->second;
    }
    if (line.received && *line.received > 0) {
      line.revenue = line.received;
      line.revenue_source = RevenueSource::kReceived;
    } else if (line.amount) {
      line.revenue = line.amount;
      line.revenue_source = RevenueSource::kAmount;
    }
    const DealSums& deal_sums = sums[deal];
    for (const auto& [key, minutes] : deal_sums.month) {
      const auto rate = RateFor(input.rates, key.second);
      Effort& effort = key.first == WorkKind::kCommunication ? line.communication : line.production;
      effort.minutes += minutes;
      if (rate) {
        effort.cost += CostOf(minutes, *rate);
      } else {
        line.unpriced_minutes += minutes;
      }
    }
    std::int64_t communication_to_date = 0;
    std::int64_t production_to_date = 0;
    for (const auto& [key, minutes] : deal_sums.to_date) {
      const auto rate = RateFor(input.rates, key.second);
      if (!rate) continue;
      (key.first == WorkKind::kCommunication ? communication_to_date : production_to_date) +=
          CostOf(minutes, *rate);
    }
    line.cost_to_date = communication_to_date + production_to_date;
    line.communication_over_production = communication_to_date > production_to_date;
    line.saved_minutes = saved[deal];
    line.ratio_hundredths = Ratio(line);
    if (line.revenue) line.margin = *line.revenue - line.cost_to_date;
    report.deals.push_back(std::move(line));
  }

  std::sort(report.deals.begin(), report.deals.end(), [](const ReportLine& a, const ReportLine& b) {
    const auto key = [](const ReportLine& line) {
      return std::make_tuple(!line.communication_over_production, !line.margin.has_value(),
                             line.margin.value_or(0), line.deal);
    };
    return key(a) < key(b);
  });

  std::map<std::optional<std::int64_t>, ReportLine> clients;
  for (const auto& line : report.deals) {
    ReportLine& client = clients[line.client];
    client.client = line.client;
    if (client.client_name.empty()) client.client_name = line.client_name;
    AddTo(client, line);
    client.communication_over_production =
        client.communication_over_production || line.communication_over_production;
    AddTo(report.total, line);
  }
  for (auto& [id, line] : clients) {
    line.ratio_hundredths = Ratio(line);
    report.clients.push_back(std::move(line));
  }
  std::stable_sort(report.clients.begin(), report.clients.end(),
                   [](const ReportLine& a, const ReportLine& b) {
                     return a.communication.cost > b.communication.cost;
                   });
  report.total.ratio_hundredths = Ratio(report.total);
  return report;
}

std::optional<ReportFormat> ParseReportFormat(std::string_view text) {
  if (text == "table") return ReportFormat::kTable;
  if (text == "csv") return ReportFormat::kCsv;
  if (text == "json") return ReportFormat::kJson;
  return std::nullopt;
}

namespace {

std::string RatioText(const std::optional<std::int64_t>& hundredths) {
  if (!hundredths) return "-";
  return fmt::format("{}.{:02}", *hundredths / 100, *hundredths % 100);
}

std::string OptionalAmount(const std::optional<std::int64_t>& minor) {
  return minor ? FormatAmount(*minor) : "-";
}

std::size_t Width(std::string_view text) {
  std::size_t width = 0;
  for (const char ch : text) {
    if ((static_cast<unsigned char>(ch) & 0xC0) != 0x80) ++width;
  }
  return width;
}

std::string Pad(std::string text, std::size_t width, bool right) {
  if (Width(text) > width) {
    // Shorten by code points, keeping room for the ellipsis.
    std::string cut;
    std::size_t used = 0;
    for (std::size_t i = 0; i < text.size();) {
      std::size_t length = 1;
      const auto lead = static_cast<unsigned char>(text[i]);
      if (lead >= 0xF0) {
        length = 4;
      } else if (lead >= 0xE0) {
        length = 3;
      } else if (lead >= 0xC0) {
        length = 2;
      }
      if (used + 1 >= width) break;
      cut += text.substr(i, length);
      i += length;
      ++used;
    }
    text = cut + "…";
  }
  const std::string fill(width - Width(text), ' ');
  return right ? fill + text : text + fill;
}

std::string DealLabel(const ReportLine& line) {
  return line.deal_name.empty() ? fmt::format("#{}", line.deal)
                                : fmt::format("#{} {}", line.deal, line.deal_name);
}

std::string ClientLabel(const ReportLine& line) {
  if (!line.client) return "(no client)";
  return line.client_name.empty() ? fmt::format("contact {}", *line.client) : line.client_name;
}

}  // namespace

std::string RenderTable(const TimeReport& report) {
  struct Column {
    const char* title;
    std::size_t width;
    bool right;
  };
  static const std::vector<Column> columns = {
      {"client", 18, false},   {"deal", 24, false},        {"comm h", 7, true},
      {"comm cost", 11, true}, {"prod h", 7, true},        {"prod cost", 11, true},
      {"comm/prod", 9, true},  {"saved h", 7, true},       {"amount", 11, true},
      {"received", 11, true},  {"cost to date", 12, true}, {"margin", 11, true},
      {"margin on", 9, false},
  };
  const auto row = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += "  ";
      out += Pad(cells[i], columns[i].width, columns[i].right);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  const auto cells = [](const ReportLine& line, std::string client, std::string deal) {
    std::string margin = OptionalAmount(line.margin);
    if (line.communication_over_production && line.deal != 0) deal = "! " + deal;
    return std::vector<std::string>{std::move(client),
                                    std::move(deal),
                                    FormatMinutes(line.communication.minutes),
                                    FormatAmount(line.communication.cost),
                                    FormatMinutes(line.production.minutes),
                                    FormatAmount(line.production.cost),
                                    RatioText(line.ratio_hundredths),
                                    FormatMinutes(line.saved_minutes),
                                    OptionalAmount(line.amount),
                                    OptionalAmount(line.received),
                                    FormatAmount(line.cost_to_date),
                                    std::move(margin),
                                    std::string(ToString(line.revenue_source))};
  };
  std::string out = fmt::format("Communication and production time, {} (amounts in {})\n",
                                report.month.ToString(), report.currency);
  std::vector<std::string> titles;
  titles.reserve(columns.size());
  for (const auto& column : columns) titles.emplace_back(column.title);
  out += row(titles);
  if (report.deals.empty()) out += "(no time recorded this month)\n";
  for (const auto& line : report.deals) out += row(cells(line, ClientLabel(line), DealLabel(line)));
  out += "\nper client\n";
  for (const auto& line : report.clients) out += row(cells(line, ClientLabel(line), ""));
  out += row(cells(report.total, "total", ""));
  out +=
      "\n! communication cost more than production (to date). Hours are h:mm; time saved by "
      "automation is counted apart. Received is the money paid for the deal's invoices up to "
      "the month's end; the margin is received - cost to date when money was received, else "
      "amount - cost to date (\"margin on\").\n";
  if (!report.received_without_deal.empty()) {
    std::int64_t sum = 0;
    out += "\nreceived this month without a deal\n";
    for (const auto& unassigned : report.received_without_deal) {
      const Receipt& receipt = unassigned.receipt;
      sum += receipt.amount;
      out += fmt::format(
          "{}  invoice task #{}  {}  {}  {}: {}\n", receipt.date.ToString(), receipt.invoice_task,
          receipt.client ? fmt::format("contact {}", *receipt.client) : std::string("(no client)"),
          FormatAmount(receipt.amount), receipt.key, unassigned.reason);
    }
    out +=
        fmt::format("{} received without a deal (not in the totals above).\n", FormatAmount(sum));
  }
  if (report.total.unpriced_minutes > 0) {
    out += fmt::format("{} of the month's time has no hourly rate and is not priced.\n",
                       FormatMinutes(report.total.unpriced_minutes));
  }
  return out;
}

namespace {

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\n\r") == std::string::npos) return text;
  std::string quoted = "\"";
  for (const char ch : text) {
    if (ch == '"') quoted += '"';
    quoted += ch;
  }
  return quoted + "\"";
}

}  // namespace

std::string RenderCsv(const TimeReport& report) {
  std::string out =
      "line,month,currency,client_id,client,deal,deal_name,communication_minutes,"
      "communication_cost,production_minutes,production_cost,comm_prod_ratio,saved_minutes,"
      "unpriced_minutes,revenue,revenue_source,cost_to_date,margin,communication_over_production,"
      "amount,received,invoice_task,payment,reason\n";
  const auto line_row = [&](std::string_view kind, const ReportLine& line) {
    const std::vector<std::string> fields = {
        std::string(kind),
        report.month.ToString(),
        report.currency,
        line.client ? std::to_string(*line.client) : "",
        CsvField(line.client ? line.client_name : ""),
        line.deal != 0 ? std::to_string(line.deal) : "",
        CsvField(line.deal_name),
        std::to_string(line.communication.minutes),
        FormatAmount(line.communication.cost),
        std::to_string(line.production.minutes),
        FormatAmount(line.production.cost),
        line.ratio_hundredths ? RatioText(line.ratio_hundredths) : "",
        std::to_string(line.saved_minutes),
        std::to_string(line.unpriced_minutes),
        line.revenue ? FormatAmount(*line.revenue) : "",
        std::string(ToString(line.revenue_source)),
        FormatAmount(line.cost_to_date),
        line.margin ? FormatAmount(*line.margin) : "",
        line.communication_over_production ? "yes" : "no",
        line.amount ? FormatAmount(*line.amount) : "",
        line.received ? FormatAmount(*line.received) : "",
        "",
        "",
        ""};
    std::string text;
    for (std::size_t i = 0; i < fields.size(); ++i) text += (i > 0 ? "," : "") + fields[i];
    out += text + "\n";
  };
  for (const auto& line : report.deals) line_row("deal", line);
  for (const auto& line : report.clients) line_row("client", line);
  line_row("total", report.total);
  // A payment without a deal: its amount under "received", the rest of the line empty.
  for (const auto& unassigned : report.received_without_deal) {
    const Receipt& receipt = unassigned.receipt;
    out += fmt::format("unassigned,{},{},{},,,,,,,,,,,,,,,,,{},{},{},{}\n", report.month.ToString(),
                       report.currency, receipt.client ? std::to_string(*receipt.client) : "",
                       FormatAmount(receipt.amount), receipt.invoice_task, CsvField(receipt.key),
                       CsvField(unassigned.reason));
  }
  return out;
}

namespace {

json LineJson(const ReportLine& line) {
  const auto optional = [](const std::optional<std::int64_t>& value) {
    return value ? json(*value) : json(nullptr);
  };
  json out = {
      {"client", optional(line.client)},
      {"client_name", line.client ? json(line.client_name) : json(nullptr)},
      {"communication",
       {{"minutes", line.communication.minutes}, {"cost", line.communication.cost}}},
      {"production", {{"minutes", line.production.minutes}, {"cost", line.production.cost}}},
      {"comm_prod_ratio_hundredths", optional(line.ratio_hundredths)},
      {"saved_minutes", line.saved_minutes},
      {"unpriced_minutes", line.unpriced_minutes},
      {"amount", optional(line.amount)},
      {"received", optional(line.received)},
      {"revenue", optional(line.revenue)},
      {"revenue_source", line.revenue_source == RevenueSource::kNone
                             ? json(nullptr)
                             : json(ToString(line.revenue_source))},
      {"cost_to_date", line.cost_to_date},
      {"margin", optional(line.margin)},
      {"communication_over_production", line.communication_over_production},
  };
  if (line.deal != 0) {
    out["deal"] = line.deal;
    out["deal_name"] = line.deal_name;
  }
  return out;
}

}  // namespace

json ToJson(const TimeReport& report) {
  json out = {{"month", report.month.ToString()}, {"currency", report.currency},
              {"amounts", "minor units"},         {"deals", json::array()},
              {"clients", json::array()},         {"total", LineJson(report.total)}};
  out["total"].erase("client");
  out["total"].erase("client_name");
  for (const auto& line : report.deals) out["deals"].push_back(LineJson(line));
  for (const auto& line : report.clients) out["clients"].push_back(LineJson(line));
  // How to read "revenue": the margin's basis, named per line by "revenue_source".
  out["margin"] =
      "revenue - cost_to_date; revenue is the money received up to the month's end when any "
      "was, else the deal amount";
  out["received_without_deal"] = json::array();
  for (const auto& unassigned : report.received_without_deal) {
    const Receipt& receipt = unassigned.receipt;
    out["received_without_deal"].push_back(
        {{"payment", receipt.key},
         {"invoice_task", receipt.invoice_task},
         {"client", receipt.client ? json(*receipt.client) : json(nullptr)},
         {"amount", receipt.amount},
         {"date", receipt.date.ToString()},
         {"reason", unassigned.reason}});
  }
  return out;
}

std::string Render(const TimeReport& report, ReportFormat format) {
  switch (format) {
    case ReportFormat::kTable:
      return RenderTable(report);
    case ReportFormat::kCsv:
      return RenderCsv(report);
    case ReportFormat::kJson:
      return ToJson(report).dump(2) + "\n";
  }
  return {};
}

}  // namespace planfix_flow::timekeeping
