// The stacked bar chart: a real PNG of the right size, and refusals of data it cannot draw.
#include "planfix_flow/chart/bar_chart.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace planfix_flow::chart {
namespace {

std::uint32_t BigEndian32(const std::string& bytes, std::size_t at) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i)
    value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

BarChart Sample(std::size_t rows) {
  BarChart chart;
  chart.title = "Комунікація і виробництво, 2026-11";
  chart.series = {{"Комунікація", 0xE8743B}, {"Виробництво", 0x3B7DD8}};
  chart.format = BarChart::ValueFormat::kHoursMinutes;
  for (std::size_t i = 0; i < rows; ++i) {
    chart.rows.push_back({"Клієнт з дуже довгою назвою компанії №" + std::to_string(i),
                          {static_cast<std::int64_t>(240 - i), static_cast<std::int64_t>(10 * i)}});
  }
  return chart;
}

TEST(BarChart, DrawsAPngWhoseHeightFollowsTheRows) {
  auto three = RenderPng(Sample(3));
  ASSERT_TRUE(three) << three.error().message;
  ASSERT_GT(three->size(), 24U);
  EXPECT_EQ(three->substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_EQ(three->substr(12, 4), "IHDR");
  EXPECT_EQ(BigEndian32(*three, 16), 1000U);  // width
  const std::uint32_t three_high = BigEndian32(*three, 20);

  auto ten = RenderPng(Sample(10));
  ASSERT_TRUE(ten);
  EXPECT_GT(BigEndian32(*ten, 20), three_high);
  EXPECT_NE(*three, *ten);

  // More rows than fit are left out rather than drawn off the image.
  auto many = RenderPng(Sample(kMaxRows + 5));
  ASSERT_TRUE(many);
  EXPECT_EQ(BigEndian32(*many, 20), BigEndian32(*RenderPng(Sample(kMaxRows)), 20));
}

TEST(BarChart, AnEmptyMonthStillDraws) {
  auto empty = RenderPng(Sample(0));
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->substr(1, 3), "PNG");
}

TEST(BarChart, RefusesWhatItCannotDraw) {
  BarChart chart = Sample(2);
  chart.rows[1].values.push_back(5);
  EXPECT_FALSE(RenderPng(chart));
  chart = Sample(2);
  chart.rows[0].values[0] = -1;
  EXPECT_FALSE(RenderPng(chart));
  chart = Sample(2);
  chart.series.clear();
  EXPECT_FALSE(RenderPng(chart));
}

}  // namespace
}  // namespace planfix_flow::chart
