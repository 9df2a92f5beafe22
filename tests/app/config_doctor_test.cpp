// The online config checks against the Planfix sandbox: statuses in their processes and the
// brief's fields in the contact catalogue, each problem under its config key.
#include "planfix_flow/app/config_doctor.h"

#include <gtest/gtest.h>

#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_planfix.h"

namespace planfix_flow::app {
namespace {

using namespace std::chrono_literals;

class ConfigDoctor : public ::testing::Test {
 protected:
  ConfigDoctor() : config_(config::DefaultSandboxConfig()) {
    sandbox::FakePlanfixOptions options;
    options.min_interval = 0ms;
    fake_ = std::make_unique<sandbox::FakePlanfix>(options);
  }

  void SetUp() override {
    const auto& s = config_.planfix.statuses;
    fake_->DefineProcess(1, {{s.handed_to_production, "Передано"},
                             {s.returned_to_sales, "Повернено"},
                             {s.in_production, "У виробництві"}});
    fake_->DefineProcess(2, {{1, "Нова"}, {2, "В роботі"}, {s.brief_filled, "Бриф заповнено"}});
    fake_->DefineContactField({401, "Очікування", 2});
    fake_->DefineContactField({402, "Підрядники", 7});  // a checkbox, though the config says text
    fake_->Start();
    config_.planfix.processes = config::PlanfixProcesses{.deal = 1, .communication = 2};
    config_.brief.answers.push_back({"Без поля", 499, std::nullopt});
  }

  std::vector<config::Problem> Check() {
    planfix::PlanfixOptions options;
    options.base_url = fake_->rest_url();
    options.token = "sandbox-token";
    options.min_interval = 0ms;
    planfix::PlanfixClient client(http_, clock_, options);
    return CheckConfigOnline(config_, client);
  }

  static std::string All(const std::vector<config::Problem>& problems) {
    std::string all;
    for (const auto& problem : problems) all += problem.ToString() + "\n";
    return all;
  }

  config::Config config_;
  std::unique_ptr<sandbox::FakePlanfix> fake_;
  http::CurlHttpClient http_;
  core::SystemClock clock_;
};

TEST_F(ConfigDoctor, NamesEachStatusMissingFromItsProcessAndEachFieldThatDoesNotMatch) {
  const auto problems = Check();
  const std::string all = All(problems);
  EXPECT_EQ(problems.size(), 4u) << all;
  for (const std::string expected : {
           "planfix.statuses.brief_requested: status 104 is not in process 2 "
           "(planfix.processes.communication: Нова (1), В роботі (2), Бриф заповнено (105))",
           "brief.answers[1].type: \"text\", but contact field 402 \"Підрядники\" is a checkbox "
           "field in Planfix",
           "brief.answers[2].field_id: 403 is not a contact field in Planfix",
           "brief.answers[3].field_id: 499 is not a contact field in Planfix",
       }) {
    EXPECT_NE(all.find(expected), std::string::npos) << expected << "\n" << all;
  }
  // The deals' statuses are all there; the approval statuses are not the doctor's to judge.
  EXPECT_EQ(all.find("handed_to_production"), std::string::npos) << all;
  EXPECT_EQ(all.find("approved"), std::string::npos) << all;
}

TEST_F(ConfigDoctor, AProcessThatCannotBeReadIsAProblemAndNoProcessMeansNoCheck) {
  config_.planfix.processes.deal = 77;
  config_.planfix.processes.communication = 0;
  const std::string all = All(Check());
  EXPECT_NE(all.find("planfix.processes.deal: the statuses of process 77 cannot be read"),
            std::string::npos)
      << all;
  EXPECT_EQ(all.find("brief_requested"), std::string::npos) << all;
}

}  // namespace
}  // namespace planfix_flow::app
