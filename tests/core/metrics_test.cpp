#include "planfix_flow/core/metrics.h"

#include <gtest/gtest.h>

namespace planfix_flow::core {
namespace {

TEST(Metrics, RendersCountersWithLabelsInPrometheusTextFormat) {
  Metrics metrics;
  metrics
      .GetCounter("events_total", "Events received", {{"source", "planfix"}, {"outcome", "stored"}})
      .Increment();
  metrics
      .GetCounter("events_total", "Events received", {{"source", "planfix"}, {"outcome", "stored"}})
      .Increment(2);
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("# TYPE events_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("events_total{source=\"planfix\",outcome=\"stored\"} 3\n"), std::string::npos)
      << text;
}

TEST(Metrics, HistogramBucketsAreCumulative) {
  Metrics metrics;
  auto& latency = metrics.GetHistogram("latency_seconds", "Latency", {}, {0.1, 1.0});
  latency.Observe(0.05);
  latency.Observe(0.5);
  latency.Observe(5);
  const std::string text = metrics.Render();
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"1\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("latency_seconds_count 3\n"), std::string::npos) << text;
}

TEST(Metrics, CollectorsRefreshGaugesAtRenderTime) {
  Metrics metrics;
  int scrapes = 0;
  metrics.AddCollector([&scrapes](Metrics& m) {
    m.GetGauge("timers_pending", "Pending timers").Set(++scrapes * 10);
  });
  EXPECT_NE(metrics.Render().find("timers_pending 10\n"), std::string::npos);
  EXPECT_NE(metrics.Render().find("timers_pending 20\n"), std::string::npos);
}

TEST(Metrics, EscapesLabelValues) {
  Metrics metrics;
  metrics.GetGauge("g", "help", {{"reason", "a \"b\"\nc"}}).Set(1);
  EXPECT_NE(metrics.Render().find(R"(g{reason="a \"b\"\nc"} 1)"), std::string::npos);
}

TEST(Metrics, RefusesOneNameWithTwoTypes) {
  Metrics metrics;
  metrics.GetCounter("x", "help");
  EXPECT_THROW(metrics.GetGauge("x", "help"), std::logic_error);
}

}  // namespace
}  // namespace planfix_flow::core
