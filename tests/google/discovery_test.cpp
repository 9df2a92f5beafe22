// Checks the Forms client and the sandbox fake against Google's discovery document for the
// Forms API (read at run time from the shared folder; skipped when it is absent).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>

#include "google/google_test_support.h"
#include "planfix_flow/google/forms_client.h"
#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/sandbox/fake_google.h"

namespace planfix_flow::google {
namespace {

using google_test::At;
using nlohmann::json;

constexpr char kEmail[] = "flow@agency.iam.gserviceaccount.com";
const std::set<std::string> kClientMethods = {"forms.forms.get", "forms.forms.responses.list",
                                              "forms.forms.responses.get"};

std::optional<json> LoadDiscovery() {
  const std::filesystem::path path =
      std::filesystem::path(PLANFIX_FLOW_SHARED_DIR) / "google" / "forms-v1-discovery.json";
  std::ifstream file(path);
  if (!file) return std::nullopt;
  return json::parse(file);
}

// Every method in the document, by id ("forms.forms.responses.list").
std::map<std::string, json> Methods(const json& discovery) {
  std::map<std::string, json> methods;
  std::function<void(const json&)> walk = [&](const json& node) {
    const json own_methods = node.value("methods", json::object());
    for (const auto& [name, method] : own_methods.items()) {
      methods[method.at("id").get<std::string>()] = method;
    }
    const json resources = node.value("resources", json::object());
    for (const auto& [name, resource] : resources.items()) walk(resource);
  };
  walk(discovery);
  return methods;
}

// "/v1/forms/{formId}/responses" as a regex over request paths.
std::regex PathPattern(const std::string& flat_path) {
  const std::string escaped = std::regex_replace(flat_path, std::regex(R"([.:])"), R"(\$&)");
  return std::regex("/" + std::regex_replace(escaped, std::regex(R"(\{[^}]+\})"), "[^/:]+"));
}

std::string Expand(std::string flat_path, const std::map<std::string, std::string>& values) {
  for (const auto& [name, value] : values) {
    const std::string placeholder = "{" + name + "}";
    const auto at = flat_path.find(placeholder);
    if (at != std::string::npos) flat_path.replace(at, placeholder.size(), value);
  }
  return "/" + flat_path;
}

// Every key in `value` must be a property the schema defines, recursively.
void CheckAgainstSchema(const json& discovery, const json& value, const json& schema,
                        const std::string& where, std::vector<std::string>& problems) {
  if (schema.contains("$ref")) {
    CheckAgainstSchema(discovery, value, discovery["schemas"][schema["$ref"].get<std::string>()],
                       where, problems);
    return;
  }
  const std::string type = schema.value("type", "");
  if (type == "array") {
    if (!value.is_array()) return problems.push_back(where + " is not an array");
    for (std::size_t i = 0; i < value.size(); ++i) {
      CheckAgainstSchema(discovery, value[i], schema["items"],
                         where + "[" + std::to_string(i) + "]", problems);
    }
  } else if (type == "object") {
    if (!value.is_object()) return problems.push_back(where + " is not an object");
    for (const auto& [key, member] : value.items()) {
      if (schema.contains("properties") && schema["properties"].contains(key)) {
        CheckAgainstSchema(discovery, member, schema["properties"][key], where + "." + key,
                           problems);
      } else if (schema.contains("additionalProperties")) {
        CheckAgainstSchema(discovery, member, schema["additionalProperties"], where + "." + key,
                           problems);
      } else {
        problems.push_back(where + "." + key + " is not in the schema");
      }
    }
  } else if (type == "string") {
    if (!value.is_string()) problems.push_back(where + " is not a string");
  } else if (type == "integer") {
    if (!value.is_number_integer()) problems.push_back(where + " is not an integer");
  } else if (type == "boolean") {
    if (!value.is_boolean()) problems.push_back(where + " is not a boolean");
  } else if (type == "number") {
    if (!value.is_number()) problems.push_back(where + " is not a number");
  }
}

class FormsDiscoveryTest : public ::testing::Test {
 protected:
  FormsDiscoveryTest() : clock_(At("2026-11-27T10:00:00Z")), fake_(FakeOptions()) {}

  sandbox::FakeGoogleOptions FakeOptions() {
    sandbox::FakeGoogleOptions options;
    options.clock = &clock_;
    return options;
  }

  void SetUp() override {
    auto discovery = LoadDiscovery();
    if (!discovery) GTEST_SKIP() << "forms-v1-discovery.json not found under the shared dir";
    discovery_ = std::move(*discovery);
    methods_ = Methods(discovery_);
    fake_.Start();
    key_ = fake_.CreateServiceAccount(kEmail);
    fake_.AddForm("brief", "Brief",
                  {{"q-code", "Code", QuestionKind::kShortText, {}, true},
                   {"q-kind", "Kind", QuestionKind::kRadio, {"A", "B"}},
                   {"q-many", "Many", QuestionKind::kCheckbox, {"A", "B"}},
                   {"q-drop", "Drop", QuestionKind::kDropDown, {"A", "B"}},
                   {"q-text", "Text", QuestionKind::kParagraph},
                   {"q-scale", "Scale", QuestionKind::kScale},
                   {"q-date", "Date", QuestionKind::kDate},
                   {"q-when", "When", QuestionKind::kDateTime},
                   {"q-time", "Time", QuestionKind::kTime},
                   {"q-long", "Long", QuestionKind::kDuration},
                   {"q-file", "File", QuestionKind::kFileUpload},
                   {"q-stars", "Stars", QuestionKind::kRating}});
    fake_.AddGrid("brief", "Grid", {{"q-row", "Row"}}, {"Yes", "No"});
    fake_.ShareWith("brief", kEmail);
    FormResponse response;
    response.respondent_email = "client@example.com";
    response.answers = {
        {"q-code", {"X1"}}, {"q-many", {"A", "B"}}, {"q-file", {"file-1"}}, {"q-row", {"Yes"}}};
    response_id_ = fake_.AddResponse("brief", response);
    fake_.AddResponse("brief", FormResponse{});
  }

  GoogleOptions Options() const {
    GoogleOptions options;
    options.forms_base_url = fake_.base_url();
    options.key = key_;
    options.page_size = 1;
    return options;
  }

  json discovery_;
  std::map<std::string, json> methods_;
  core::FakeClock clock_;
  sandbox::FakeGoogle fake_;
  ServiceAccountKey key_;
  std::string response_id_;
  http::CurlHttpClient http_;
};

TEST_F(FormsDiscoveryTest, ClientRequestsMatchTheDocumentsPathsMethodsAndQueryParameters) {
  GoogleFormsClient client(http_, clock_, Options());
  ASSERT_TRUE(client.GetForm("brief"));
  ASSERT_TRUE(client.ListResponses("brief", At("2026-11-01T00:00:00Z")));
  ASSERT_TRUE(client.GetResponse("brief", response_id_));

  std::set<std::string> used;
  for (const auto& request : fake_.requests()) {
    if (request.path == "/token") continue;
    std::string matched;
    for (const auto& id : kClientMethods) {
      const json& method = methods_.at(id);
      if (std::regex_match(request.path, PathPattern(method.at("flatPath"))) &&
          request.method == method.at("httpMethod")) {
        matched = id;
      }
    }
    ASSERT_FALSE(matched.empty()) << request.method << " " << request.path;
    used.insert(matched);
    const json& parameters = methods_.at(matched).at("parameters");
    std::string query = request.query_string;
    for (std::size_t start = 0; start < query.size();) {
      const auto end = std::min(query.find('&', start), query.size());
      const std::string name = query.substr(start, query.find('=', start) - start);
      EXPECT_TRUE(parameters.contains(name) && parameters[name]["location"] == "query")
          << matched << " has no query parameter " << name;
      start = end + 1;
    }
  }
  EXPECT_EQ(used, kClientMethods);
  // The list call used all three of its query parameters.
  bool saw_page_token = false;
  for (const auto& request : fake_.requests()) {
    if (request.query_string.find("pageToken=") != std::string::npos &&
        request.query_string.find("filter=") != std::string::npos &&
        request.query_string.find("pageSize=") != std::string::npos) {
      saw_page_token = true;
    }
  }
  EXPECT_TRUE(saw_page_token);
}

TEST_F(FormsDiscoveryTest, ClientScopesCoverEachMethodItCalls) {
  const GoogleOptions options;
  for (const auto& id : kClientMethods) {
    const auto& scopes = methods_.at(id).at("scopes");
    const bool covered =
        std::any_of(options.scopes.begin(), options.scopes.end(), [&](const std::string& scope) {
          return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
        });
    EXPECT_TRUE(covered) << id;
  }
  for (const auto& scope : options.scopes) {
    EXPECT_TRUE(discovery_["auth"]["oauth2"]["scopes"].contains(scope)) << scope;
  }
}

TEST_F(FormsDiscoveryTest, FieldsTheClientReadsExistInTheSchemas) {
  for (const auto& [schema, field] : FieldsReadByClient()) {
    const json& schemas = discovery_.at("schemas");
    ASSERT_TRUE(schemas.contains(std::string(schema))) << schema;
    EXPECT_TRUE(schemas[std::string(schema)]["properties"].contains(std::string(field)))
        << schema << "." << field;
  }
}

TEST_F(FormsDiscoveryTest, FakeServesExactlyTheDocumentsPathsWithSchemaShapedAnswers) {
  GoogleFormsClient client(http_, clock_, Options());
  auto token = client.AccessToken();
  ASSERT_TRUE(token);
  const std::map<std::string, std::string> values = {{"formId", "brief"},
                                                     {"responseId", response_id_}};
  for (const auto& id : kClientMethods) {
    const json& method = methods_.at(id);
    http::HttpRequest request;
    request.method = method.at("httpMethod");
    request.url = fake_.base_url() + Expand(method.at("flatPath"), values);
    request.headers["Authorization"] = "Bearer " + *token;
    auto response = http_.Send(request);
    ASSERT_TRUE(response);
    ASSERT_EQ(response->status, 200) << id << ": " << response->body;
    std::vector<std::string> problems;
    CheckAgainstSchema(discovery_, json::parse(response->body), method.at("response"), id,
                       problems);
    EXPECT_TRUE(problems.empty()) << id << ": " << problems.front();
  }
}

TEST_F(FormsDiscoveryTest, FakeServesNoOtherMethodOfTheDocument) {
  GoogleFormsClient client(http_, clock_, Options());
  auto token = client.AccessToken();
  ASSERT_TRUE(token);
  fake_.ClearRecords();
  const std::map<std::string, std::string> values = {
      {"formId", "brief"}, {"responseId", response_id_}, {"watchId", "w1"}};
  std::size_t others = 0;
  for (const auto& [id, method] : methods_) {
    if (kClientMethods.count(id) > 0) continue;
    ++others;
    http::HttpRequest request;
    request.method = method.at("httpMethod");
    request.url = fake_.base_url() + Expand(method.at("flatPath"), values);
    request.headers["Authorization"] = "Bearer " + *token;
    if (request.method == "POST") {
      request.headers["Content-Type"] = "application/json";
      request.body = "{}";
    }
    auto response = http_.Send(request);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 500) << id;
  }
  EXPECT_GE(others, 5u);  // create, batchUpdate, setPublishSettings, watches.*
  EXPECT_EQ(fake_.TakeFailures().size(), others);
}

TEST_F(FormsDiscoveryTest, SchemaCheckFlagsUnknownFieldsAndWrongTypes) {
  std::vector<std::string> problems;
  const json response = {{"responseId", "r"},
                         {"bogus", 1},
                         {"answers", {{"q", {{"textAnswers", {{"answers", {{{"value", 5}}}}}}}}}}};
  CheckAgainstSchema(discovery_, response, json{{"$ref", "FormResponse"}}, "r", problems);
  EXPECT_EQ(problems,
            (std::vector<std::string>{"r.answers.q.textAnswers.answers[0].value is not a string",
                                      "r.bogus is not in the schema"}));
}

TEST_F(FormsDiscoveryTest, FakeErrorsUseGooglesEnvelope) {
  // Not in the discovery document itself, but every Google API answers errors this way.
  GoogleFormsClient client(http_, clock_, Options());
  auto token = client.AccessToken();
  ASSERT_TRUE(token);
  http::HttpRequest request;
  request.url = fake_.base_url() + "/v1/forms/unknown";
  request.headers["Authorization"] = "Bearer " + *token;
  auto response = http_.Send(request);
  ASSERT_TRUE(response);
  const json body = json::parse(response->body);
  EXPECT_EQ(body["error"]["code"], response->status);
  EXPECT_TRUE(body["error"]["message"].is_string());
  EXPECT_EQ(body["error"]["status"], "NOT_FOUND");
}

}  // namespace
}  // namespace planfix_flow::google
