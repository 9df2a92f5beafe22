// The monitoring files in deploy/ name only metrics the service really exports: an alert rule
// or a dashboard panel on a misspelt metric would stay silent for ever.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <string>

namespace planfix_flow {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every "planfix_flow_..." string literal in src/: the names the service registers.
std::set<std::string> RegisteredMetrics() {
  std::set<std::string> names;
  const std::regex literal(R"re("(planfix_flow_[a-z_]+)")re");
  for (const auto& entry :
       fs::recursive_directory_iterator(fs::path(PLANFIX_FLOW_SOURCE_DIR) / "src")) {
    if (entry.path().extension() != ".cpp") continue;
    const std::string text = ReadFile(entry.path());
    for (std::sregex_iterator it(text.begin(), text.end(), literal), end; it != end; ++it) {
      names.insert((*it)[1].str());
    }
  }
  return names;
}

// The metric a query names: histograms are queried through their _bucket, _sum and _count.
std::string MetricOf(std::string name) {
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (name.ends_with(suffix)) return name.substr(0, name.size() - suffix.size());
  }
  return name;
}

TEST(DeployFiles, AlertRulesAndTheDashboardNameOnlyMetricsTheServiceExports) {
  const auto registered = RegisteredMetrics();
  ASSERT_GT(registered.size(), 10u);
  const fs::path deploy = fs::path(PLANFIX_FLOW_SOURCE_DIR) / "deploy";
  const std::regex metric(R"(planfix_flow_[a-z_]+)");
  for (const auto& file : {deploy / "prometheus" / "planfix-flow.rules.yml",
                           deploy / "grafana" / "planfix-flow-dashboard.json"}) {
    const std::string text = ReadFile(file);
    ASSERT_FALSE(text.empty()) << file;
    std::size_t named = 0;
    for (std::sregex_iterator it(text.begin(), text.end(), metric), end; it != end; ++it) {
      ++named;
      EXPECT_TRUE(registered.count(MetricOf(it->str()))) << file.filename() << ": " << it->str();
    }
    EXPECT_GT(named, 5u) << file;
  }
}

}  // namespace
}  // namespace planfix_flow
