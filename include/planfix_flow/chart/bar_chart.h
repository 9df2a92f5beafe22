// Charts people would rather look at than read: a horizontal stacked bar chart (one bar per
// row, one coloured segment per series) drawn with cairo into a PNG. Pure apart from cairo's
// font lookup; thread-safe (each call owns its surface).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "planfix_flow/core/result.h"

namespace planfix_flow::chart {

struct Series {
  std::string name;       // shown in the legend
  std::uint32_t rgb = 0;  // 0xRRGGBB
};

struct Row {
  std::string label;                 // shown left of the bar (shortened when long)
  std::vector<std::int64_t> values;  // one per series, >= 0 (e.g. minutes)
};

struct BarChart {
  std::string title;
  std::vector<Series> series;
  std::vector<Row> rows;  // drawn top to bottom; at most kMaxRows (the rest are left out)
  // How a value is written on its segment and in the totals, e.g. minutes as "4:05".
  enum class ValueFormat { kNumber, kHoursMinutes } format = ValueFormat::kNumber;
  int width = 1000;  // pixels; the height follows from the rows
};

inline constexpr std::size_t kMaxRows = 40;

// The PNG file's bytes. kInvalidInput for a chart without series, a row whose value count
// differs from the series count or a negative value; kInternal when cairo fails.
core::Result<std::string> RenderPng(const BarChart& chart);

}  // namespace planfix_flow::chart
