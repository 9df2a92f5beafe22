#include "planfix_flow/sandbox/fake_planfix.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "planfix_flow/http/curl_http_client.h"

namespace planfix_flow::sandbox {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "fake-test-token";

class FakePlanfixTest : public ::testing::Test {
 protected:
  FakePlanfixTest() : fake_(Options()) {}

  static FakePlanfixOptions Options() {
    FakePlanfixOptions options;
    options.tokens = {{kToken, {}, true},
                      {"reader", {"task_readonly", "contact_readonly"}, true},
                      {"retired", {}, false}};
    options.min_interval = 0ms;  // tests of the limit turn it on
    return options;
  }

  void SetUp() override {
    fake_.DefineProcess(3, {{1, "New", true}, {2, "Done", false}});
    fake_.DefineTaskField({101, "Budget", 1, {}});
    fake_.DefineContactField({201, "Company", 0, {}});
    fake_.DefineContactField({202, "Start", 3, {}});
    fake_.DefineContactField({203, "Access", 7, {}});
    fake_.DefineContactField({204, "Channel", 8, {"Website", "Ads"}});
    fake_.DefineContactField({205, "Manager", 11, {}});
    fake_.DefineContactField({206, "Total", 24, {}});
    fake_.DefineDataTag(7, "Time", {{71, "Hours", 1, {}}});
    FakeTask task;
    task.id = 12;
    task.name = "Communication";
    task.process_id = 3;
    task.status_id = 1;
    task.custom_fields[101] = 10;
    fake_.AddTask(task);
    FakeContact contact;
    contact.id = 5;
    contact.name = "Olena";
    contact.custom_fields[201] = "Koval Studio";
    fake_.AddContact(contact);
    fake_.Start();
  }

  http::HttpResponse Send(const std::string& method, const std::string& path,
                          const std::string& body = "", const std::string& token = kToken) {
    http::HttpRequest request;
    request.method = method;
    request.url = fake_.rest_url() + path;
    if (!token.empty()) request.headers["Authorization"] = "Bearer " + token;
    if (method == "POST") {
      request.headers["Content-Type"] = "application/json";
      request.body = body;
    }
    auto response = client_.Send(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : http::HttpResponse{};
  }

  static json Body(const http::HttpResponse& response) {
    return json::parse(response.body, nullptr, false);
  }

  // The fake records each request it refuses (FakeResponse::IsRefusal) as a failure: a
  // correct client never sends one. These tests send them on purpose, so the check of each
  // refusal also takes its record, which must name the refused status.
  void TakeRefusalOfTheLastRequest() {
    const auto requests = fake_.requests();
    if (requests.empty() || !requests.back().refused) return;
    const auto failures = fake_.TakeFailures();
    ASSERT_EQ(failures.size(), 1u);
    EXPECT_NE(failures[0].find(" with " + std::to_string(requests.back().status) + ": "),
              std::string::npos)
        << failures[0];
  }

  void ExpectFail(const http::HttpResponse& response, int status, int code) {
    TakeRefusalOfTheLastRequest();
    EXPECT_EQ(response.status, status) << response.body;
    const json body = Body(response);
    EXPECT_EQ(body.value("result", ""), "fail") << response.body;
    EXPECT_EQ(body.value("code", -1), code) << response.body;
    EXPECT_TRUE(body.contains("error") && body["error"].is_string()) << response.body;
  }

  // The failures of a 200 update answer, as "field" -> "error".
  static std::map<std::string, std::string> Failures(const http::HttpResponse& response) {
    std::map<std::string, std::string> failures;
    for (const auto& failure : Body(response).value("failures", json::array())) {
      failures[failure["field"].get<std::string>()] = failure["error"].get<std::string>();
    }
    return failures;
  }

  FakePlanfix fake_;
  http::CurlHttpClient client_;
};

TEST_F(FakePlanfixTest, RejectsAMissingOrUnknownBearerTokenWith401Code1) {
  ExpectFail(Send("GET", "/ping", "", ""), 401, 1);
  ExpectFail(Send("GET", "/ping", "", "guess"), 401, 1);
  http::HttpRequest basic;
  basic.url = fake_.rest_url() + "/ping";
  basic.headers["Authorization"] = std::string("Basic ") + kToken;
  ExpectFail(*client_.Send(basic), 401, 1);
  EXPECT_EQ(Send("GET", "/ping").status, 200);
}

TEST_F(FakePlanfixTest, ServesATasksFilesAsTheSpecShapesThemBehindTheToken) {
  const long long report = fake_.AttachFile(12, "report.pdf", "%PDF-1.7");
  const long long note =
      fake_.AttachFile(12, "note.txt", "hi", FakePlanfix::FileLocation::kComment);
  ExpectFail(Send("GET", "/task/12/files", "", ""), 401, 1);
  ExpectFail(Send("GET", fmt::format("/file/{}/download", report), "", ""), 401, 1);
  const auto listed = Send("GET", "/task/12/files");
  ASSERT_EQ(listed.status, 200) << listed.body;
  EXPECT_EQ(Body(listed)["files"],
            json::parse(fmt::format(R"([{{"id":{},"name":"report.pdf","size":8}},)"
                                    R"({{"id":{},"name":"note.txt","size":2}}])",
                                    report, note)));
  const auto described = Send("GET", "/task/12/files?onlyFromDescription=true");
  EXPECT_EQ(Body(described)["files"].size(), 1u);
  ExpectFail(Send("GET", "/task/12/files?onlyFromDescription=yes"), 400, 41);
  EXPECT_EQ(Body(Send("GET", "/task/99/files")).value("code", 0), 1000);
  // An unknown file: 400 with code 7000, as the spec's example.
  const auto unknown = Send("GET", "/file/424242/download");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_EQ(Body(unknown).value("code", 0), 7000);
  // The download is a 302 to a signed location that takes no Bearer token.
  const auto redirect = Send("GET", fmt::format("/file/{}/download", report));
  ASSERT_EQ(redirect.status, 302);
  const std::string location = redirect.headers.at("Location");
  http::HttpRequest with_token;
  with_token.url = location;
  with_token.headers["Authorization"] = std::string("Bearer ") + kToken;
  EXPECT_EQ(client_.Send(with_token)->status, 400);
  http::HttpRequest signed_only;
  signed_only.url = location;
  const auto file = client_.Send(signed_only);
  ASSERT_EQ(file->status, 200);
  EXPECT_EQ(file->body, "%PDF-1.7");
  // A link is for its own file only.
  signed_only.url = location;
  signed_only.url.replace(signed_only.url.find(fmt::format("/storage/{}/", report)),
                          fmt::format("/storage/{}/", report).size(),
                          fmt::format("/storage/{}/", note));
  EXPECT_EQ(client_.Send(signed_only)->status, 403);
  const auto refusals = fake_.TakeFailures();
  EXPECT_EQ(refusals.size(), 2u);  // the token at the storage, the borrowed link
}

TEST_F(FakePlanfixTest, RejectsAnInactiveTokenWithCode2) {
  ExpectFail(Send("GET", "/task/12", "", "retired"), 401, 2);
  // Deactivated after the client was configured: an answer, not a refusal.
  EXPECT_FALSE(fake_.requests().back().refused);
}

TEST_F(FakePlanfixTest, AnswersWritesOfAReadOnlyTokenWith405Code5) {
  EXPECT_EQ(Send("GET", "/task/12", "", "reader").status, 200);
  EXPECT_EQ(Send("POST", "/contact/list", "{}", "reader").status, 200);
  ExpectFail(Send("POST", "/task/12", R"({"name":"x"})", "reader"), 405, 5);
  ExpectFail(Send("POST", "/task/", R"({"name":"x"})", "reader"), 405, 5);
  ExpectFail(Send("POST", "/task/12/comments/", R"({"description":"x"})", "reader"), 405, 5);
  ExpectFail(Send("POST", "/contact/5", R"({"name":"x"})", "reader"), 405, 5);
  EXPECT_EQ(fake_.task(12)->name, "Communication");
}

TEST_F(FakePlanfixTest, RejectsBadJsonWithCode30) {
  ExpectFail(Send("POST", "/task/12", "{\"name\":"), 400, 30);
  ExpectFail(Send("POST", "/contact/list", "[1,2]"), 400, 30);
}

TEST_F(FakePlanfixTest, RejectsATaskWithoutANameWithCode40) {
  ExpectFail(Send("POST", "/task/", R"({"description":"no name"})"), 400, 40);
  ExpectFail(Send("POST", "/task/", R"({"name":""})"), 400, 40);
}

TEST_F(FakePlanfixTest, RejectsAnUnknownStatusWithCode41) {
  ExpectFail(Send("POST", "/task/12", R"({"status":{"id":99}})"), 400, 41);
  ExpectFail(Send("POST", "/task/", R"({"name":"x","status":{"id":99}})"), 400, 41);
  EXPECT_EQ(Send("POST", "/task/12", R"({"status":{"id":2}})").status, 200);
  EXPECT_EQ(fake_.task(12)->status_id, 2);
}

TEST_F(FakePlanfixTest, AnswersUnknownTasksWithCode1000AndUnknownContactsWith2000) {
  ExpectFail(Send("GET", "/task/404"), 404, 1000);
  ExpectFail(Send("POST", "/task/404", R"({"name":"x"})"), 404, 1000);
  ExpectFail(Send("POST", "/task/404/comments/", R"({"description":"x"})"), 404, 1000);
  ExpectFail(Send("GET", "/contact/404"), 404, 2000);
  ExpectFail(Send("POST", "/contact/contact:404", R"({"name":"x"})"), 404, 2000);
}

TEST_F(FakePlanfixTest, ReportsAnUnknownCustomFieldIdAsAFailureOnUpdateAndCode41OnCreate) {
  auto response = Send("POST", "/task/12",
                       R"({"customFieldData":[{"field":{"id":999},"value":"x"},
                                              {"field":{"id":101},"value":20}]})");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(Body(response)["result"], "success");
  const auto failures = Failures(response);
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures.at("customFieldData.999").find("not found"), std::string::npos);
  EXPECT_EQ(fake_.task(12)->custom_fields.at(101), json(20));
  ExpectFail(Send("POST", "/task/",
                  R"({"name":"x","customFieldData":[{"field":{"id":999},"value":"x"}]})"),
             400, 41);
}

TEST_F(FakePlanfixTest, ReportsAValueOfTheWrongShapeForEachFieldType) {
  const std::vector<std::pair<long long, json>> wrong = {
      {201, 42},                            // line given a number
      {202, "2026-12-01"},                  // date given a bare string
      {202, json{{"date", "2026-12-01"}}},  // date not dd-MM-yyyy
      {202, json{{"date", "31-02-2026"}}},  // no such day
      {203, "yes"},                         // checkbox given text
      {204, "Radio"},                       // not one of the list's options
      {205, json{{"id", "contact:5"}}},     // employee given a contact
      {206, "1"},                           // computed, read-only
  };
  for (const auto& [field, value] : wrong) {
    json body = {
        {"customFieldData", json::array({{{"field", {{"id", field}}}, {"value", value}}})}};
    auto response = Send("POST", "/contact/5", body.dump());
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(Failures(response).count("customFieldData." + std::to_string(field)), 1u)
        << value.dump() << " -> " << response.body;
  }
  EXPECT_EQ(fake_.contact(5)->custom_fields.size(), 1u);  // nothing wrong was stored
  ExpectFail(Send("POST", "/contact/5", R"({"customFieldData":[{"value":1}]})"), 400, 41);
  ExpectFail(Send("POST", "/contact/5", R"({"customFieldData":{"field":{"id":201}}})"), 400, 41);
}

TEST_F(FakePlanfixTest, StoresWellShapedValuesAndReturnsThemOnlyWhenListedInFields) {
  auto response = Send("POST", "/contact/5?silent=true", R"({"customFieldData":[
      {"field":{"id":202},"value":{"date":"01-12-2026"}},
      {"field":{"id":203},"value":true},
      {"field":{"id":205},"value":{"id":3}}]})");
  EXPECT_EQ(response.status, 200);
  EXPECT_TRUE(Failures(response).empty()) << response.body;
  EXPECT_TRUE(fake_.writes().back().silent);

  auto plain = Body(Send("GET", "/contact/5?fields=id,name"));
  EXPECT_EQ(plain["result"], "success");
  EXPECT_EQ(plain["contact"]["name"], "Olena");
  EXPECT_FALSE(plain["contact"].contains("customFieldData"));

  auto with_fields = Body(Send("GET", "/contact/5?fields=name,202,205"));
  const json& data = with_fields["contact"]["customFieldData"];
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0]["field"]["id"], 202);
  EXPECT_EQ(data[0]["field"]["type"], 3);
  EXPECT_EQ(data[0]["value"]["date"], "01-12-2026");
  EXPECT_EQ(data[0]["value"]["datetime"], "2026-12-01T00:00Z");
  EXPECT_EQ(data[1]["value"]["id"], "user:3");
}

TEST_F(FakePlanfixTest, ReportsInvalidEmailsAndPhonesAsFailures) {
  auto response = Send("POST", "/contact/5",
                       R"({"email":"not-an-email","phones":[{"number":"12","type":1}],
                           "telegramId":"abc"})");
  EXPECT_EQ(response.status, 200);
  const auto failures = Failures(response);
  EXPECT_EQ(failures.count("email"), 1u);
  EXPECT_EQ(failures.count("phones"), 1u);
  EXPECT_EQ(failures.count("telegramId"), 1u);
}

TEST_F(FakePlanfixTest, AnswersABusyTaskWith202AndStillAppliesTheChange) {
  fake_.MarkTaskBusy(12, 1);
  auto queued = Send("POST", "/task/12", R"({"status":{"id":2}})");
  EXPECT_EQ(queued.status, 202);
  EXPECT_EQ(fake_.task(12)->status_id, 2);
  EXPECT_EQ(Send("POST", "/task/12", R"({"status":{"id":1}})").status, 200);
}

TEST_F(FakePlanfixTest, ValidatesCommentsAndAnswers201WithTheId) {
  ExpectFail(Send("POST", "/task/12/comments/", R"({"isHidden":true})"), 400, 40);
  ExpectFail(
      Send("POST", "/task/12/comments/", R"({"description":"x","recipients":{"roles":["boss"]}})"),
      400, 41);
  ExpectFail(Send("POST", "/task/12/comments/",
                  R"({"description":"x","recipients":{"users":[{"id":5}]}})"),
             400, 41);
  auto created = Send("POST", "/task/12/comments/",
                      R"({"description":"Hello","recipients":{"users":[{"id":"user:5"}]}})");
  EXPECT_EQ(created.status, 201);
  EXPECT_EQ(Body(created)["result"], "success");
  EXPECT_TRUE(Body(created)["id"].is_number_integer());
  EXPECT_EQ(fake_.comments(12).size(), 1u);
}

TEST_F(FakePlanfixTest, ValidatesDataTagEntries) {
  ExpectFail(Send("POST", "/task/12/datatags/", R"({"items":[]})"), 400, 40);
  ExpectFail(Send("POST", "/task/12/datatags/",
                  R"({"dataTag":{"id":404},"items":[{"customFieldData":[]}]})"),
             400, 6000);
  ExpectFail(
      Send("POST", "/task/12/datatags/",
           R"({"dataTag":{"id":7},"items":[{"customFieldData":[{"field":{"id":72},"value":1}]}]})"),
      400, 6001);
  ExpectFail(
      Send(
          "POST", "/task/12/datatags/",
          R"({"dataTag":{"id":7},"items":[{"customFieldData":[{"field":{"id":71},"value":"1h"}]}]})"),
      400, 6001);
  auto added = Send(
      "POST", "/task/12/datatags/",
      R"({"dataTag":{"id":7},"items":[{"customFieldData":[{"field":{"id":71},"value":1.5}]}]})");
  EXPECT_EQ(added.status, 201);
  EXPECT_EQ(Body(added)["keys"].size(), 1u);
  EXPECT_TRUE(Body(added).contains("commentId"));
  ExpectFail(Send("POST", "/datatag/404/entry/list", "{}"), 400, 6000);
}

TEST_F(FakePlanfixTest, RejectsPageSizesAbove100) {
  ExpectFail(Send("POST", "/contact/list", R"({"offset":0,"pageSize":101})"), 400, 41);
  ExpectFail(Send("POST", "/datatag/7/entry/list", R"({"pageSize":0})"), 400, 41);
}

TEST_F(FakePlanfixTest, RefusesRequestsFasterThanItsRateLimitWith429) {
  fake_.SetMinInterval(10s);
  EXPECT_EQ(Send("GET", "/ping").status, 200);
  auto refused = Send("GET", "/ping");
  ExpectFail(refused, 429, 0);
  EXPECT_NE(Body(refused)["error"].get<std::string>().find("rate limit"), std::string::npos);
  EXPECT_EQ(fake_.rate_limited_count(), 1);
}

TEST_F(FakePlanfixTest, AnswersCode22WhenTheDailyQuotaIsSpent) {
  fake_.SetDailyQuota(2);
  EXPECT_EQ(Send("GET", "/ping").status, 200);
  EXPECT_EQ(Send("GET", "/ping").status, 200);
  ExpectFail(Send("GET", "/ping"), 400, 22);
  // The limit is the account's state, not the request's fault: no refusal.
  EXPECT_FALSE(fake_.requests().back().refused);
}

TEST_F(FakePlanfixTest, AnswersUnknownRoutesWith500AndRecordsAFailure) {
  ExpectFail(Send("POST", "/task/12/comments", R"({"description":"x"})"), 500, 0);  // no slash
  ExpectFail(Send("GET", "/project/12/files"), 500, 0);
  const auto failures = fake_.TakeFailures();
  ASSERT_EQ(failures.size(), 2u);
  EXPECT_NE(failures[0].find("/rest/task/12/comments"), std::string::npos);
}

TEST_F(FakePlanfixTest, AnswersAWrongMethodOnAKnownPathWith405) {
  ExpectFail(Send("GET", "/task/"), 405, 405);
  ExpectFail(Send("GET", "/contact/list"), 405, 405);
}

TEST_F(FakePlanfixTest, RefusesContactFiltersItDoesNotModelLoudly) {
  ExpectFail(Send("POST", "/contact/list",
                  R"({"filters":[{"type":4011,"operator":"equal","value":{"dateType":"today"}}]})"),
             500, 0);
  const auto failures = fake_.TakeFailures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_NE(failures[0].find("4011"), std::string::npos);
  ExpectFail(Send("POST", "/contact/list", R"({"filters":[{"type":4026,"value":"a@b.c"}]})"), 400,
             40);
}

TEST_F(FakePlanfixTest, AcceptsOnlyTrueOrFalseForSilent) {
  EXPECT_EQ(Send("POST", "/task/12?silent=false", R"({"name":"y"})").status, 200);
  ExpectFail(Send("POST", "/task/12?silent=yes", R"({"name":"y"})"), 400, 41);
}

}  // namespace
}  // namespace planfix_flow::sandbox

namespace planfix_flow::sandbox {
namespace {

TEST_F(FakePlanfixTest, ListsProcessesTemplatesAndDataTagsAsTheSpecShapesThem) {
  fake_.NameProcess(3, "Deals");
  fake_.DefineTaskTemplate(40, "Communication");
  fake_.DefineTaskTemplate(41, "Report");
  auto processes = Send("GET", "/process/task?fields=id,name");
  ASSERT_EQ(processes.status, 200) << processes.body;
  EXPECT_EQ(Body(processes)["processes"], json::parse(R"([{"id":3,"name":"Deals"}])"));

  auto templates = Send("GET", "/task/templates?offset=1&pageSize=1&fields=id,name");
  ASSERT_EQ(templates.status, 200) << templates.body;
  EXPECT_EQ(Body(templates)["templates"], json::parse(R"([{"id":41,"name":"Report"}])"));
  // Task templates need a token that may read tasks.
  EXPECT_EQ(Send("GET", "/task/templates", "", "reader").status, 200);

  auto tags =
      Send("POST", "/datatag/list", R"({"offset":0,"pageSize":100,"fields":"id,name,fields"})");
  ASSERT_EQ(tags.status, 200) << tags.body;
  EXPECT_EQ(
      Body(tags)["dataTags"],
      json::parse(
          R"([{"id":7,"name":"Time","fields":[{"id":71,"name":"Hours","type":1,"objectType":4}]}])"));
}

TEST_F(FakePlanfixTest, RefusesBadCatalogueRequestsAsPlanfixDoes) {
  ExpectFail(Send("GET", "/task/templates?pageSize=101"), 400, 41);
  ExpectFail(Send("GET", "/task/templates?offset=-1"), 400, 41);
  ExpectFail(Send("GET", "/process/task?fields=id,colour"), 400, 41);
  ExpectFail(Send("POST", "/datatag/list", R"({"pageSize":0})"), 400, 41);
  ExpectFail(Send("POST", "/datatag/list", R"({"fields":["id"]})"), 400, 41);
  ExpectFail(Send("POST", "/datatag/list", "not json"), 400, 30);
  // A token limited to tasks and contacts may not read data tags.
  ExpectFail(Send("POST", "/datatag/list", "{}", "reader"), 405, 5);
  ExpectFail(Send("GET", "/process/task", "", "nobody"), 401, 1);
}

}  // namespace
}  // namespace planfix_flow::sandbox
