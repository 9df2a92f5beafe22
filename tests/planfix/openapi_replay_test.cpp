// Checks the client and the fake against Planfix's own OpenAPI file (read at run time from
// the shared directory): every path the client calls exists there with that method, the
// spec's request examples are accepted by the fake, and the fake's answers carry the
// properties the spec's examples show. Known defects of the spec (API-NOTES) are noted
// where they matter.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <regex>
#include <set>

#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/planfix/planfix_client.h"
#include "planfix_flow/sandbox/fake_planfix.h"

namespace planfix_flow::planfix {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "replay-token";
constexpr const char* kReader = "replay-reader";

const std::string kSpecPath =
    std::string(PLANFIX_FLOW_SHARED_DIR) + "/planfix/planfix-rest-openapi-1.6.9.json";

// Every operation PlanfixClient uses: spec path and method, and a concrete path on the fake.
struct Operation {
  std::string method;  // lower case, as the spec's keys
  std::string spec_path;
  std::string sample_path;
};

const std::vector<Operation>& Operations() {
  static const std::vector<Operation> kOperations = {
      {"get", "/ping", "/ping"},
      {"get", "/task/{id}", "/task/10"},
      {"post", "/task/{id}", "/task/10"},
      {"post", "/task/", "/task/"},
      {"get", "/process/task/{id}/statuses", "/process/task/1/statuses"},
      {"post", "/task/{id}/comments/", "/task/10/comments/"},
      {"post", "/task/{id}/datatags/", "/task/10/datatags/"},
      {"get", "/contact/{id}", "/contact/12"},
      {"post", "/contact/{id}", "/contact/12"},
      {"post", "/contact/list", "/contact/list"},
      {"get", "/customfield/contact", "/customfield/contact"},
      {"get", "/customfield/task", "/customfield/task"},
      {"post", "/datatag/{id}/entry/list", "/datatag/4/entry/list"},
      {"get", "/process/task", "/process/task"},
      {"get", "/task/templates", "/task/templates"},
      {"post", "/datatag/list", "/datatag/list"},
  };
  return kOperations;
}

std::optional<json> LoadSpec() {
  std::ifstream file(kSpecPath);
  if (!file) return std::nullopt;
  return json::parse(file, nullptr, false);
}

std::string Upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

// Contact filter types the fake models (see FakePlanfix::ListContacts); the spec's examples
// that use any other filter are expected to be refused loudly (500 plus a recorded failure).
const std::set<int> kModelledContactFilters = {4001, 4003, 4005, 4014, 4015, 4026, 4101,
                                               4102, 4105, 4106, 4107, 4108, 4109, 4110,
                                               4112, 4113, 4115, 4117, 4226, 4231, 4234};

class OpenApiReplayTest : public ::testing::Test {
 protected:
  OpenApiReplayTest() : fake_(Options()) {}

  static sandbox::FakePlanfixOptions Options() {
    sandbox::FakePlanfixOptions options;
    options.tokens = {{kToken, {}, true}, {kReader, {"task_readonly", "contact_readonly"}, true}};
    options.min_interval = 0ms;
    return options;
  }

  void SetUp() override {
    auto spec = LoadSpec();
    if (!spec) GTEST_SKIP() << "Planfix OpenAPI file not found at " << kSpecPath;
    ASSERT_FALSE(spec->is_discarded()) << "cannot parse " << kSpecPath;
    spec_ = std::move(*spec);
    SeedFromSpec();
    fake_.Start();
  }

  const json& Op(const std::string& path, const std::string& method) const {
    return spec_["paths"][path][method];
  }

  // Examples of one content block, by name.
  static std::vector<std::pair<std::string, json>> Examples(const json& content) {
    std::vector<std::pair<std::string, json>> examples;
    if (!content.contains("examples")) return examples;
    for (const auto& [name, example] : content["examples"].items()) {
      if (example.contains("value")) examples.emplace_back(name, example["value"]);
    }
    return examples;
  }

  std::vector<std::pair<std::string, json>> RequestExamples(const std::string& path,
                                                            const std::string& method) const {
    const json& op = Op(path, method);
    if (!op.contains("requestBody")) return {};
    return Examples(op["requestBody"]["content"]["application/json"]);
  }

  std::vector<std::pair<std::string, json>> ResponseExamples(const std::string& path,
                                                             const std::string& method,
                                                             const std::string& status) const {
    const json& responses = Op(path, method)["responses"];
    if (!responses.contains(status) || !responses[status].contains("content")) return {};
    return Examples(responses[status]["content"]["application/json"]);
  }

  // The custom field catalogue the spec's GET examples show, with the spec's ids and types.
  std::vector<sandbox::FakeCustomField> CatalogueFrom(const std::string& path,
                                                      const std::string& object) const {
    std::map<long long, sandbox::FakeCustomField> fields;
    for (const auto& [name, example] : ResponseExamples(path, "get", "200")) {
      for (const auto& entry : example[object].value("customFieldData", json::array())) {
        sandbox::FakeCustomField field;
        field.id = entry["field"]["id"].get<long long>();
        field.name = entry["field"]["name"].get<std::string>();
        field.type = entry["field"]["type"].get<int>();
        if (field.type == 8) field.enum_values = {entry["value"].get<std::string>()};
        fields[field.id] = field;
      }
    }
    // Update examples also write field 95, a second directory entry the GET examples lack.
    fields[95] = {95, "Second directory entry", 9, {}};
    std::vector<sandbox::FakeCustomField> list;
    for (auto& [id, field] : fields) list.push_back(field);
    return list;
  }

  void SeedFromSpec() {
    const auto task_fields = CatalogueFrom("/task/{id}", "task");
    const auto contact_fields = CatalogueFrom("/contact/{id}", "contact");
    ASSERT_GE(task_fields.size(), 20u);
    for (const auto& field : task_fields) fake_.DefineTaskField(field);
    for (const auto& field : contact_fields) fake_.DefineContactField(field);
    // The data tag examples use the task examples' field ids plus three of their own:
    // 6 (date), 7 (period of time) and 65 (period with dates).
    auto tag_fields = task_fields;
    tag_fields.push_back({6, "Date", 3, {}});
    tag_fields.push_back({7, "Period", 6, {}});
    tag_fields.push_back({65, "Date with time frame", 6, {}});
    fake_.DefineDataTag(4, "Time and money", tag_fields);
    // Statuses: the spec's statuses example is status 1 "New"; the task examples set 4 and 6.
    fake_.DefineProcess(1, {{1, "New", true}, {4, "In progress", true}, {6, "Completed", false}});
    for (long long id : {5, 10, 12}) {
      sandbox::FakeContact contact;
      contact.id = id;
      contact.name = "Ivan";
      contact.lastname = "Ivanov";
      contact.email = "ivan@mail.com";
      contact.phones = {{"89643752416", 1}};
      fake_.AddContact(contact);
    }
    sandbox::FakeTask task;
    task.id = 10;
    task.name = "Task name";
    task.description = "Task description";
    task.process_id = 1;
    task.status_id = 1;
    // Seed the values the GET examples show, so answers can be compared with them.
    for (const auto& [name, example] : ResponseExamples("/task/{id}", "get", "200")) {
      for (const auto& entry : example["task"].value("customFieldData", json::array())) {
        task.custom_fields[entry["field"]["id"].get<long long>()] = entry["value"];
      }
    }
    fake_.AddTask(task);
  }

  http::HttpResponse Send(const std::string& method, const std::string& path, const json& body,
                          const std::string& token = kToken) {
    http::HttpRequest request;
    request.method = Upper(method);
    request.url = fake_.rest_url() + path;
    request.headers["Authorization"] = "Bearer " + token;
    if (request.method == "POST") {
      request.headers["Content-Type"] = "application/json";
      request.body = body.dump();
    }
    auto response = http_.Send(request);
    EXPECT_TRUE(response) << response.error().ToString();
    return response ? *response : http::HttpResponse{};
  }

  json spec_;
  sandbox::FakePlanfix fake_;
  http::CurlHttpClient http_;
};

TEST_F(OpenApiReplayTest, EveryOperationTheClientUsesIsInTheSpec) {
  for (const auto& op : Operations()) {
    ASSERT_TRUE(spec_["paths"].contains(op.spec_path)) << op.spec_path;
    EXPECT_TRUE(spec_["paths"][op.spec_path].contains(op.method))
        << Upper(op.method) << " " << op.spec_path;
  }
}

TEST_F(OpenApiReplayTest, TheClientCallsOnlyPathsAndMethodsFromTheSpec) {
  core::SystemClock clock;
  PlanfixOptions options;
  options.base_url = fake_.rest_url();
  options.token = kToken;
  options.min_interval = 0ms;
  PlanfixClient client(http_, clock, options);
  EXPECT_TRUE(client.Ping());
  EXPECT_TRUE(client.GetTask(10, {10, 20}));
  EXPECT_TRUE(client.UpdateTask(10, TaskUpdate{6, std::nullopt, {{20, json(5)}}, true}));
  TaskCreate create;
  create.name = "New task";
  EXPECT_TRUE(client.CreateTask(create));
  EXPECT_TRUE(client.GetProcessStatuses(1));
  EXPECT_TRUE(client.AddComment(10, Comment{"text", {"user:1"}, {"assignee"}, false, false}));
  EXPECT_TRUE(client.AddDataTagEntries(10, 4, {{{10, json("x")}}}));
  EXPECT_TRUE(client.GetContact("contact:12", {10}));
  ContactUpdate update;
  update.email = "a@b.cd";
  EXPECT_TRUE(client.UpdateContact("12", update));
  ContactQuery query;
  query.filters.push_back({4026, "equal", json("ivan@mail.com"), std::nullopt});
  EXPECT_TRUE(client.FindContacts(query));
  EXPECT_TRUE(client.GetContactCustomFields());
  EXPECT_TRUE(client.GetTaskCustomFields());
  EXPECT_TRUE(client.ListDataTagEntries(4, DataTagQuery{10, {10}, 100, 1000}));
  EXPECT_TRUE(client.ListTaskProcesses());
  EXPECT_TRUE(client.ListTaskTemplates());
  EXPECT_TRUE(client.ListDataTags());

  std::set<std::string> seen;
  for (const auto& request : fake_.requests()) {
    bool matched = false;
    for (const auto& op : Operations()) {
      const std::string pattern =
          "/rest" + std::regex_replace(op.spec_path, std::regex(R"(\{[a-zA-Z]+\})"), "[^/]+");
      if (Upper(op.method) == request.method &&
          std::regex_match(request.path, std::regex(pattern))) {
        matched = true;
        seen.insert(op.method + " " + op.spec_path);
      }
    }
    EXPECT_TRUE(matched) << request.method << " " << request.path << " is not in the spec";
  }
  EXPECT_EQ(seen.size(), Operations().size());
}

TEST_F(OpenApiReplayTest, TheFakeAcceptsEveryRequestExampleOfTheWrites) {
  for (const auto& op : Operations()) {
    if (op.method != "post" || op.spec_path == "/contact/list" ||
        op.spec_path == "/datatag/{id}/entry/list") {
      continue;
    }
    const auto examples = RequestExamples(op.spec_path, op.method);
    ASSERT_FALSE(examples.empty()) << op.spec_path;
    for (const auto& [name, body] : examples) {
      auto response = Send(op.method, op.sample_path, body);
      EXPECT_GE(response.status, 200) << op.spec_path << " / " << name << ": " << response.body;
      EXPECT_LT(response.status, 300) << op.spec_path << " / " << name << ": " << response.body;
      const json answer = json::parse(response.body, nullptr, false);
      EXPECT_EQ(answer.value("result", ""), "success") << name << ": " << response.body;
      EXPECT_FALSE(answer.contains("failures")) << name << ": " << response.body;
    }
  }
}

TEST_F(OpenApiReplayTest, TheFakeAnswersTheListExamplesOrRefusesUnmodelledFiltersLoudly) {
  int accepted = 0;
  std::vector<std::string> unmodelled;
  for (const auto& [name, body] : RequestExamples("/contact/list", "post")) {
    bool modelled = true;
    for (const auto& filter : body.value("filters", json::array())) {
      modelled = modelled && kModelledContactFilters.count(filter["type"].get<int>()) > 0;
    }
    auto response = Send("post", "/contact/list", body);
    if (modelled) {
      EXPECT_EQ(response.status, 200) << name << ": " << response.body;
      EXPECT_TRUE(json::parse(response.body).contains("contacts")) << name;
      ++accepted;
    } else {
      EXPECT_EQ(response.status, 500) << name << ": " << response.body;
      unmodelled.push_back(name);
    }
  }
  // The data-tag filters the service uses (3101 dates, 3104 employees) are modelled: on this
  // tag, which has none of the examples' fields, they are refused as Planfix refuses an
  // unknown field (400); every other filter is refused loudly as not modelled (500).
  std::size_t refused = 0;
  for (const auto& [name, body] : RequestExamples("/datatag/{id}/entry/list", "post")) {
    auto response = Send("post", "/datatag/4/entry/list", body);
    if (!body.contains("filters")) {
      EXPECT_EQ(response.status, 200) << name << ": " << response.body;
      ++accepted;
    } else if (response.status == 400) {
      EXPECT_NE(response.body.find("is not a field of data tag 4"), std::string::npos)
          << name << ": " << response.body;
      ++refused;
    } else {
      EXPECT_EQ(response.status, 500) << name << ": " << response.body;
      unmodelled.push_back(name);
    }
  }
  EXPECT_GE(accepted, 20);
  EXPECT_EQ(fake_.TakeFailures().size(), unmodelled.size() + refused);
  std::cout << "not modelled by the fake (" << unmodelled.size() << "):";
  for (const auto& name : unmodelled) std::cout << " [" << name << "]";
  std::cout << "\n";
}

TEST_F(OpenApiReplayTest, TheFakesAnswersCarryThePropertiesOfTheSpecsExamples) {
  // Success envelopes: the fake's answer has every top-level key of the spec's example
  // (`failures` appears only on a partial failure).
  struct Probe {
    std::string method, spec_path, sample_path, status;
    json body;
  };
  const std::vector<Probe> probes = {
      {"get", "/ping", "/ping", "200", json()},
      {"get", "/process/task/{id}/statuses", "/process/task/1/statuses", "200", json()},
      {"get", "/process/task", "/process/task", "200", json()},
      {"post", "/task/{id}/comments/", "/task/10/comments/", "201", {{"description", "x"}}},
      {"post", "/task/", "/task/", "201", {{"name", "x"}}},
      {"post",
       "/task/{id}/datatags/",
       "/task/10/datatags/",
       "201",
       {{"dataTag", {{"id", 4}}}, {"items", {{{"customFieldData", json::array()}}}}}},
      {"post", "/contact/list", "/contact/list", "200", json::object()},
      {"get", "/customfield/contact", "/customfield/contact", "200", json()},
      {"get", "/customfield/task", "/customfield/task", "200", json()},
      {"post",
       "/datatag/{id}/entry/list",
       "/datatag/4/entry/list",
       "200",
       {{"fields", "dataTag,key,commentId,task,10"}}},
  };
  for (const auto& probe : probes) {
    const auto examples = ResponseExamples(probe.spec_path, probe.method, probe.status);
    ASSERT_FALSE(examples.empty()) << probe.spec_path;
    auto response = Send(probe.method, probe.sample_path, probe.body);
    ASSERT_EQ(std::to_string(response.status), probe.status) << probe.spec_path << response.body;
    const json answer = json::parse(response.body);
    EXPECT_EQ(answer["result"], "success");
    for (const auto& [key, value] : examples[0].second.items()) {
      EXPECT_TRUE(answer.contains(key)) << probe.spec_path << " lacks " << key;
      if (value.is_array() && !value.empty() && value[0].is_object() && answer.contains(key) &&
          !answer[key].empty()) {
        // Items: the keys the fake models must be there (ids, names, types).
        for (const char* item_key : {"id", "name", "type", "key", "isActive"}) {
          if (value[0].contains(item_key) &&
              (key != "dataTagEntries" || item_key == std::string("key"))) {
            EXPECT_TRUE(answer[key][0].contains(item_key))
                << probe.spec_path << " " << key << "[0] lacks " << item_key;
          }
        }
      }
    }
  }
}

TEST_F(OpenApiReplayTest, GetTaskAndGetContactAnswerLikeTheSpecsFieldExamples) {
  const std::set<std::string> modelled_task = {"id", "name", "description", "customFieldData"};
  int compared = 0;
  for (const auto& [name, example] : ResponseExamples("/task/{id}", "get", "200")) {
    const std::size_t at = name.find("fields=");
    ASSERT_NE(at, std::string::npos) << name;
    const std::string fields = name.substr(at + 7, name.find(' ', at) - at - 7);
    auto response = Send("get", "/task/10?fields=" + http::UrlEncode(fields), json());
    ASSERT_EQ(response.status, 200) << response.body;
    const json answer = json::parse(response.body);
    ASSERT_EQ(answer["result"], "success");
    for (const auto& [key, value] : example["task"].items()) {
      if (modelled_task.count(key) == 0) continue;
      ASSERT_TRUE(answer["task"].contains(key)) << name << ": lacks " << key;
      if (key != "customFieldData") continue;
      ASSERT_EQ(answer["task"][key].size(), value.size()) << name;
      const json& got = answer["task"][key][0];
      EXPECT_EQ(got["field"]["id"], value[0]["field"]["id"]) << name;
      EXPECT_EQ(got["field"]["type"], value[0]["field"]["type"]) << name;
      for (const char* field_key : {"id", "name", "type", "objectType"}) {
        EXPECT_TRUE(got["field"].contains(field_key)) << name << ": field lacks " << field_key;
      }
      EXPECT_EQ(got["value"], value[0]["value"]) << name;
      ++compared;
    }
  }
  EXPECT_GE(compared, 20);

  // GET /contact/{id}: the envelope and the modelled system fields.
  auto response = Send("get", "/contact/12?fields=name,email,phones", json());
  ASSERT_EQ(response.status, 200);
  const json contact = json::parse(response.body)["contact"];
  for (const char* key : {"id", "name", "email", "phones"}) EXPECT_TRUE(contact.contains(key));
  for (const char* key : {"number", "maskedNumber", "type"}) {
    EXPECT_TRUE(contact["phones"][0].contains(key)) << key;
  }
}

TEST_F(OpenApiReplayTest, ErrorAnswersMatchTheSpecsErrorExamples) {
  struct Probe {
    std::string method, spec_path, sample_path, status;
    json body;
    std::string token;
  };
  const std::vector<Probe> probes = {
      {"post", "/task/{id}", "/task/1", "404", {{"name", "x"}}, kToken},
      {"post", "/task/{id}", "/task/10", "405", {{"name", "x"}}, kReader},
      {"post", "/task/", "/task/", "400", {{"name", "x"}, {"status", {{"id", 2}}}}, kToken},
      {"get", "/contact/{id}", "/contact/1", "404", json(), kToken},
      {"post", "/contact/{id}", "/contact/1", "404", {{"name", "x"}}, kToken},
      {"post", "/contact/{id}", "/contact/12", "405", {{"name", "x"}}, kReader},
      {"post",
       "/task/{id}/datatags/",
       "/task/10/datatags/",
       "400",
       {{"dataTag", {{"id", 4}}},
        {"items", {{{"customFieldData", {{{"field", {{"id", 70}}}, {"value", "yes"}}}}}}}},
       kToken},
      {"get", "/ping", "/ping", "401", json(), "not-a-token"},
  };
  for (const auto& probe : probes) {
    const auto examples = ResponseExamples(probe.spec_path, probe.method, probe.status);
    ASSERT_FALSE(examples.empty()) << probe.spec_path << " " << probe.status;
    const json& expected = examples[0].second;
    // Each probe but the 404s is a request a correct client never sends.
    if (probe.status != "404") fake_.ExpectRefusals(1);
    auto response = Send(probe.method, probe.sample_path, probe.body, probe.token);
    EXPECT_EQ(std::to_string(response.status), probe.status) << probe.spec_path << response.body;
    const json answer = json::parse(response.body, nullptr, false);
    EXPECT_EQ(answer.value("result", ""), "fail") << response.body;
    EXPECT_EQ(answer.value("code", -1), expected["code"].get<int>())
        << probe.spec_path << " " << probe.status << ": " << response.body;
    EXPECT_TRUE(answer.contains("error"));
  }
}

}  // namespace
}  // namespace planfix_flow::planfix
