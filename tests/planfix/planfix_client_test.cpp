#include "planfix_flow/planfix/planfix_client.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>

#include "planfix_flow/http/curl_http_client.h"
#include "planfix_flow/planfix/custom_field_value.h"
#include "planfix_flow/sandbox/fake_planfix.h"

namespace planfix_flow::planfix {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "full-token-1f2e3d";
constexpr const char* kReadOnlyToken = "read-only-token-9a8b";
constexpr const char* kInactiveToken = "inactive-token-7c6d";

// Fields seeded into the fake, as an agency's account would have them.
constexpr long long kTaskBudget = 101;   // number
constexpr long long kTaskChannel = 102;  // list
constexpr long long kContactCompany = 201;
constexpr long long kContactStart = 202;   // date
constexpr long long kContactAccess = 203;  // checkbox
constexpr long long kTimeTag = 7;
constexpr long long kTagHours = 71;
constexpr long long kTagNote = 72;

sandbox::FakePlanfixOptions FakeOptions() {
  sandbox::FakePlanfixOptions options;
  options.tokens = {{kToken, {}, true},
                    {kReadOnlyToken, {"task_readonly", "contact_readonly"}, true},
                    {kInactiveToken, {}, false}};
  // Shorter than the clients' interval below, so only a client that does not pace trips it.
  options.min_interval = 2ms;
  return options;
}

class PlanfixClientTest : public ::testing::Test {
 protected:
  PlanfixClientTest() : fake_(FakeOptions()) {}

  void SetUp() override {
    fake_.DefineProcess(3, {{1, "New", true}, {2, "In progress", true}, {6, "Done", false}});
    fake_.DefineTaskField({kTaskBudget, "Budget", 1, {}});
    fake_.DefineTaskField({kTaskChannel, "Channel", 8, {"Website", "Ads"}});
    fake_.DefineContactField({kContactCompany, "Company", 0, {}});
    fake_.DefineContactField({kContactStart, "Start date", 3, {}});
    fake_.DefineContactField({kContactAccess, "Access granted", 7, {}});
    fake_.DefineDataTag(kTimeTag, "Actual time",
                        {{kTagHours, "Hours", 1, {}}, {kTagNote, "Note", 0, {}}});
    sandbox::FakeContact client;
    client.id = 5;
    client.name = "Olena";
    client.lastname = "Koval";
    client.email = "olena@example.com";
    client.phones = {{"+380501234567", 1}};
    client.telegram_id = "123456789";
    client.custom_fields[kContactCompany] = "Koval Studio";
    fake_.AddContact(client);
    sandbox::FakeTask task;
    task.id = 12;
    task.name = "Communication";
    task.process_id = 3;
    task.status_id = 1;
    task.project_id = 40;
    task.counterparty = "contact:5";
    task.assigner = "user:1";
    task.assignees = {"user:5"};
    task.custom_fields[kTaskBudget] = 1500;
    task.custom_fields[kTaskChannel] = "Ads";
    fake_.AddTask(task);
    fake_.Start();
  }

  PlanfixClient Client(std::string token = kToken, std::chrono::milliseconds interval = 20ms) {
    PlanfixOptions options;
    options.base_url = fake_.rest_url() + "/";
    options.token = std::move(token);
    options.min_interval = interval;
    options.timeout = 5000ms;
    return PlanfixClient(http_, clock_, options);
  }

  std::size_t RequestsTo(const std::string& path) const {
    const auto requests = fake_.requests();
    return static_cast<std::size_t>(std::count_if(requests.begin(), requests.end(),
                                                  [&](const auto& r) { return r.path == path; }));
  }

  static void ExpectNoSecret(const core::Error& error) {
    for (const char* token : {kToken, kReadOnlyToken, kInactiveToken}) {
      EXPECT_EQ(error.message.find(token), std::string::npos) << error.message;
    }
  }

  sandbox::FakePlanfix fake_;
  http::CurlHttpClient http_;
  core::SystemClock clock_;
};

const CustomFieldValue* FindField(const std::vector<CustomFieldValue>& fields, long long id) {
  for (const auto& field : fields) {
    if (field.field_id == id) return &field;
  }
  return nullptr;
}

TEST_F(PlanfixClientTest, PingsWithTheBearerToken) {
  auto client = Client();
  auto status = client.Ping();
  ASSERT_TRUE(status) << status.error().ToString();
  const auto requests = fake_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].path, "/rest/ping");
  EXPECT_EQ(requests[0].headers.at("Authorization"), std::string("Bearer ") + kToken);
}

TEST_F(PlanfixClientTest, GetsATaskWithOnlyTheRequestedCustomFields) {
  auto client = Client();
  auto task = client.GetTask(12, {kTaskBudget});
  ASSERT_TRUE(task) << task.error().ToString();
  EXPECT_EQ(task->id, 12);
  EXPECT_EQ(task->name, "Communication");
  ASSERT_TRUE(task->status);
  EXPECT_EQ(task->status->id, 1);
  EXPECT_EQ(task->status->name, "New");
  EXPECT_EQ(task->process_id, 3);
  EXPECT_EQ(task->project_id, 40);
  EXPECT_EQ(task->counterparty_id, "contact:5");
  EXPECT_EQ(task->assigner_id, "user:1");
  EXPECT_EQ(task->assignee_ids, std::vector<std::string>{"user:5"});
  ASSERT_EQ(task->custom_fields.size(), 1u);
  EXPECT_EQ(task->custom_fields[0].field_id, kTaskBudget);
  EXPECT_EQ(task->custom_fields[0].value, json(1500));
  EXPECT_EQ(task->custom_fields[0].field_type, FieldType::kNumber);
  EXPECT_EQ(task->custom_fields[0].field_name, "Budget");
  EXPECT_NE(fake_.requests().at(0).query_string.find("101"), std::string::npos);
}

TEST_F(PlanfixClientTest, MapsAnUnknownTaskToNotFound) {
  auto client = Client();
  auto task = client.GetTask(999);
  ASSERT_FALSE(task);
  EXPECT_EQ(task.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(task.error().remote_code, 1000);
}

TEST_F(PlanfixClientTest, UpdatesTaskStatusAndCustomFieldsSilently) {
  auto client = Client();
  TaskUpdate update;
  update.status_id = 2;
  update.custom_fields.push_back({kTaskBudget, json(2500)});
  update.silent = true;
  auto result = client.UpdateTask(12, update);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_FALSE(result->queued);
  const auto task = fake_.task(12);
  EXPECT_EQ(task->status_id, 2);
  EXPECT_EQ(task->custom_fields.at(kTaskBudget), json(2500));
  ASSERT_EQ(fake_.writes().size(), 1u);
  EXPECT_TRUE(fake_.writes()[0].silent);
}

TEST_F(PlanfixClientTest, TreatsA202AsQueuedAndAccepted) {
  fake_.MarkTaskBusy(12, 1);
  auto client = Client();
  TaskUpdate update;
  update.status_id = 6;
  auto result = client.UpdateTask(12, update);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_TRUE(result->queued);
}

TEST_F(PlanfixClientTest, ReturnsTheFailuresOfA200WithTheRestOfTheChangeMade) {
  auto client = Client();
  TaskUpdate update;
  update.custom_fields.push_back({kTaskBudget, json(900)});
  update.custom_fields.push_back({555, json("x")});               // unknown field
  update.custom_fields.push_back({kTaskChannel, json("Radio")});  // not an option
  auto result = client.UpdateTask(12, update);
  ASSERT_TRUE(result) << result.error().ToString();
  EXPECT_FALSE(result->queued);
  ASSERT_EQ(result->failures.size(), 2u);
  EXPECT_EQ(result->failures[0].field, "customFieldData.555");
  EXPECT_NE(result->failures[0].error.find("not found"), std::string::npos);
  EXPECT_EQ(result->failures[1].field, "customFieldData.102");
  EXPECT_NE(DescribeFailures(result->failures).find("customFieldData.102: "), std::string::npos);
  EXPECT_EQ(fake_.task(12)->custom_fields.at(kTaskBudget), json(900));  // the rest applied

  // A clean update has none.
  update.custom_fields.resize(1);
  result = client.UpdateTask(12, update);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->failures.empty());
}

TEST_F(PlanfixClientTest, ReadsTheSpecsObjectShapedFailuresToo) {
  // The spec's own example of `failures` is an object, not an array.
  fake_.FailNext(1, 200, R"({"failures":{"field":"counterparty","error":"Field change failed"}})");
  auto client = Client();
  TaskUpdate update;
  update.name = "Renamed";
  auto result = client.UpdateTask(12, update);
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_EQ(result->failures[0].field, "counterparty");
  EXPECT_EQ(result->failures[0].error, "Field change failed");
}

TEST_F(PlanfixClientTest, MapsAnUnknownStatusToInvalidInput) {
  auto client = Client();
  TaskUpdate update;
  update.status_id = 77;
  fake_.ExpectRefusals(1);  // a status id the process does not have: a config mistake
  auto result = client.UpdateTask(12, update);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_EQ(result.error().remote_code, 41);
  EXPECT_FALSE(core::IsRetryable(result.error().code));
}

TEST_F(PlanfixClientTest, CreatesATaskAndReturnsItsNumber) {
  auto client = Client();
  TaskCreate create;
  create.name = "Brief for Koval Studio";
  create.process_id = 3;
  create.counterparty_id = "5";
  create.assignee_ids = {"user:5"};
  create.custom_fields.push_back({kTaskChannel, json("Website")});
  auto number = client.CreateTask(create);
  ASSERT_TRUE(number) << number.error().ToString();
  const auto task = fake_.task(*number);
  ASSERT_TRUE(task);
  EXPECT_EQ(task->name, "Brief for Koval Studio");
  EXPECT_EQ(task->counterparty, "contact:5");
  EXPECT_EQ(task->custom_fields.at(kTaskChannel), json("Website"));
  EXPECT_EQ(RequestsTo("/rest/task/"), 1u);
}

TEST_F(PlanfixClientTest, RefusesToCreateANamelessTaskWithoutCallingPlanfix) {
  auto client = Client();
  auto number = client.CreateTask(TaskCreate{});
  ASSERT_FALSE(number);
  EXPECT_EQ(number.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_EQ(fake_.request_count(), 0u);
}

TEST_F(PlanfixClientTest, ListsTheStatusesOfAProcess) {
  auto client = Client();
  auto statuses = client.GetProcessStatuses(3);
  ASSERT_TRUE(statuses) << statuses.error().ToString();
  ASSERT_EQ(statuses->size(), 3u);
  EXPECT_EQ((*statuses)[2].id, 6);
  EXPECT_EQ((*statuses)[2].name, "Done");
  EXPECT_FALSE((*statuses)[2].is_active);
}

TEST_F(PlanfixClientTest, AddsACommentWithRecipientsAndReturnsItsId) {
  auto client = Client();
  Comment comment;
  comment.description = "Brief sent to the client";
  comment.recipient_ids = {"user:5"};
  comment.recipient_roles = {"assignee"};
  comment.silent = true;
  auto id = client.AddComment(12, comment);
  ASSERT_TRUE(id) << id.error().ToString();
  const auto comments = fake_.comments(12);
  ASSERT_EQ(comments.size(), 1u);
  EXPECT_EQ(comments[0].id, *id);
  EXPECT_EQ(comments[0].description, "Brief sent to the client");
  EXPECT_TRUE(comments[0].silent);
  EXPECT_EQ(comments[0].recipients["roles"], json::array({"assignee"}));
  EXPECT_EQ(RequestsTo("/rest/task/12/comments/"), 1u);
}

TEST_F(PlanfixClientTest, GetsAContactByPlainOrPrefixedId) {
  auto client = Client();
  auto contact = client.GetContact("contact:5", {kContactCompany});
  ASSERT_TRUE(contact) << contact.error().ToString();
  EXPECT_EQ(contact->id, 5);
  EXPECT_EQ(contact->name, "Olena");
  EXPECT_EQ(contact->lastname, "Koval");
  EXPECT_EQ(contact->email, "olena@example.com");
  ASSERT_EQ(contact->phones.size(), 1u);
  EXPECT_EQ(contact->phones[0].number, "+380501234567");
  EXPECT_EQ(contact->telegram_id, "123456789");
  ASSERT_NE(FindField(contact->custom_fields, kContactCompany), nullptr);
  EXPECT_EQ(FindField(contact->custom_fields, kContactCompany)->value, json("Koval Studio"));
  EXPECT_TRUE(client.GetContact("5"));
  auto missing = client.GetContact("404");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().remote_code, 2000);
  auto bad = client.GetContact("user:5");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::ErrorCode::kInvalidInput);
}

TEST_F(PlanfixClientTest, WritesFormAnswersIntoContactFieldsThroughTheCatalogue) {
  auto client = Client();
  auto catalogue = client.GetContactCustomFields();
  ASSERT_TRUE(catalogue) << catalogue.error().ToString();
  ASSERT_EQ(catalogue->size(), 3u);
  const auto field = [&](long long id) {
    return *std::find_if(catalogue->begin(), catalogue->end(),
                         [&](const CustomFieldDefinition& f) { return f.id == id; });
  };
  EXPECT_EQ(field(kContactStart).type, FieldType::kDate);
  ContactUpdate update;
  update.email = "olena@koval.studio";
  update.phones = std::vector<Phone>{{"+380671112233", 1}};
  update.telegram = "https://t.me/olena_koval";
  update.custom_fields.push_back(*MakeCustomFieldValue(field(kContactStart), "2026-12-01"));
  update.custom_fields.push_back(*MakeCustomFieldValue(field(kContactAccess), "так"));
  auto result = client.UpdateContact("5", update);
  ASSERT_TRUE(result) << result.error().ToString();
  const auto contact = fake_.contact(5);
  EXPECT_EQ(contact->email, "olena@koval.studio");
  EXPECT_EQ(contact->telegram, "https://t.me/olena_koval");
  EXPECT_EQ(contact->phones.at(0).first, "+380671112233");
  EXPECT_EQ(contact->custom_fields.at(kContactStart)["date"], "01-12-2026");
  EXPECT_EQ(contact->custom_fields.at(kContactAccess), json(true));

  auto read_back = client.GetContact("5", {kContactStart});
  ASSERT_TRUE(read_back);
  EXPECT_EQ(FindField(read_back->custom_fields, kContactStart)->value["date"], "01-12-2026");
}

TEST_F(PlanfixClientTest, ReportsAContactFieldThePlanfixSideRejected) {
  auto client = Client();
  ContactUpdate update;
  update.custom_fields.push_back({kContactStart, json("2026-12-01")});  // not {"date":..}
  update.custom_fields.push_back({kContactAccess, json(false)});
  auto result = client.UpdateContact("5", update);
  ASSERT_TRUE(result) << result.error().ToString();
  ASSERT_EQ(result->failures.size(), 1u);
  EXPECT_EQ(result->failures[0].field, "customFieldData.202");
  EXPECT_EQ(fake_.contact(5)->custom_fields.at(kContactAccess), json(false));
}

TEST_F(PlanfixClientTest, FindsContactsByEmailAndTelegramId) {
  auto client = Client();
  ContactQuery by_email;
  by_email.filters.push_back({4026, "equal", json("OLENA@example.com"), std::nullopt});
  auto found = client.FindContacts(by_email);
  ASSERT_TRUE(found) << found.error().ToString();
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].id, 5);

  ContactQuery by_telegram;
  by_telegram.filters.push_back({4234, "equal", json(123456789), std::nullopt});
  found = client.FindContacts(by_telegram);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size(), 1u);

  ContactQuery by_field;
  by_field.filters.push_back({4101, "equal", json("Koval Studio"), kContactCompany});
  by_field.custom_field_ids = {kContactCompany};
  found = client.FindContacts(by_field);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->size(), 1u);
  EXPECT_NE(FindField((*found)[0].custom_fields, kContactCompany), nullptr);

  ContactQuery nobody;
  nobody.filters.push_back({4026, "equal", json("nobody@example.com"), std::nullopt});
  found = client.FindContacts(nobody);
  ASSERT_TRUE(found);
  EXPECT_TRUE(found->empty());
}

TEST_F(PlanfixClientTest, PagesThroughContactsUntilAShortPage) {
  for (int i = 0; i < 24; ++i) {
    sandbox::FakeContact contact;
    contact.name = "Client " + std::to_string(i);
    fake_.AddContact(contact);
  }
  auto client = Client(kToken, 10ms);
  ContactQuery all;
  all.page_size = 10;  // 25 contacts: pages of 10, 10, 5
  auto found = client.FindContacts(all);
  ASSERT_TRUE(found) << found.error().ToString();
  EXPECT_EQ(found->size(), 25u);
  EXPECT_EQ(RequestsTo("/rest/contact/list"), 3u);

  fake_.ClearRecords();
  all.page_size = 5;  // 25 contacts: five full pages, then an empty one
  found = client.FindContacts(all);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->size(), 25u);
  EXPECT_EQ(RequestsTo("/rest/contact/list"), 6u);
  const auto last = json::parse(fake_.requests().back().body);
  EXPECT_EQ(last["offset"], 25);
  EXPECT_EQ(last["pageSize"], 5);
}

TEST_F(PlanfixClientTest, ReadsTheTaskFieldCatalogue) {
  auto client = Client();
  auto fields = client.GetTaskCustomFields();
  ASSERT_TRUE(fields) << fields.error().ToString();
  ASSERT_EQ(fields->size(), 2u);
  EXPECT_EQ((*fields)[1].id, kTaskChannel);
  EXPECT_EQ((*fields)[1].type, FieldType::kList);
  EXPECT_EQ((*fields)[1].enum_values, (std::vector<std::string>{"Website", "Ads"}));
}

TEST_F(PlanfixClientTest, AddsDataTagEntriesAndListsThemPageByPage) {
  auto client = Client(kToken, 10ms);
  std::vector<std::vector<CustomFieldValue>> items;
  for (int i = 1; i <= 5; ++i) {
    items.push_back({{kTagHours, json(i)}, {kTagNote, json("call " + std::to_string(i))}});
  }
  auto added = client.AddDataTagEntries(12, kTimeTag, items);
  ASSERT_TRUE(added) << added.error().ToString();
  EXPECT_EQ(added->keys.size(), 5u);
  EXPECT_TRUE(added->comment_id);
  EXPECT_EQ(fake_.data_tag_entries(kTimeTag).size(), 5u);

  DataTagQuery query;
  query.task_id = 12;
  query.custom_field_ids = {kTagHours};
  query.page_size = 2;
  auto entries = client.ListDataTagEntries(kTimeTag, query);
  ASSERT_TRUE(entries) << entries.error().ToString();
  ASSERT_EQ(entries->size(), 5u);
  EXPECT_EQ(RequestsTo("/rest/datatag/7/entry/list"), 3u);
  EXPECT_EQ((*entries)[4].task_id, 12);
  EXPECT_EQ((*entries)[4].comment_id, added->comment_id);
  ASSERT_EQ((*entries)[4].custom_fields.size(), 1u);
  EXPECT_EQ((*entries)[4].custom_fields[0].value, json(5));

  fake_.ExpectRefusals(2);  // an unknown field, then an unknown data tag: config mistakes
  auto unknown_field = client.AddDataTagEntries(12, kTimeTag, {{{999, json(1)}}});
  ASSERT_FALSE(unknown_field);
  EXPECT_EQ(unknown_field.error().code, core::ErrorCode::kInvalidInput);
  EXPECT_EQ(unknown_field.error().remote_code, 6001);
  auto unknown_tag = client.AddDataTagEntries(12, 404, items);
  ASSERT_FALSE(unknown_tag);
  EXPECT_EQ(unknown_tag.error().code, core::ErrorCode::kNotFound);
  EXPECT_EQ(unknown_tag.error().remote_code, 6000);
}

TEST_F(PlanfixClientTest, MapsABadTokenToUnauthorizedWithoutLeakingIt) {
  auto client = Client("wrong-token-0000");
  fake_.ExpectRefusals(1);
  auto task = client.GetTask(12);
  ASSERT_FALSE(task);
  EXPECT_EQ(task.error().code, core::ErrorCode::kUnauthorized);
  EXPECT_EQ(task.error().remote_code, 1);
  EXPECT_EQ(task.error().message.find("wrong-token-0000"), std::string::npos);

  auto inactive = Client(kInactiveToken).Ping();
  ASSERT_FALSE(inactive);
  EXPECT_EQ(inactive.error().code, core::ErrorCode::kUnauthorized);
  EXPECT_EQ(inactive.error().remote_code, 2);
  ExpectNoSecret(inactive.error());
}

TEST_F(PlanfixClientTest, NamesTheMissingScopeWhenAReadOnlyTokenWrites) {
  auto client = Client(kReadOnlyToken);
  EXPECT_TRUE(client.GetTask(12));
  TaskUpdate update;
  update.status_id = 2;
  fake_.ExpectRefusals(2);  // a token without the write scopes tries two writes
  auto result = client.UpdateTask(12, update);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kUnauthorized);
  EXPECT_EQ(result.error().remote_code, 5);
  EXPECT_NE(result.error().message.find("task_update"), std::string::npos)
      << result.error().message;
  ExpectNoSecret(result.error());
  auto comment = client.AddComment(12, Comment{"hi", {}, {}, false, false});
  ASSERT_FALSE(comment);
  EXPECT_NE(comment.error().message.find("comment_add"), std::string::npos);
}

TEST_F(PlanfixClientTest, MapsNoAccessToPermanent) {
  fake_.FailNext(1, 403,
                 R"({"result":"fail","code":6,"error":"Access denied for task by id - 12"})");
  auto task = Client().GetTask(12);
  ASSERT_FALSE(task);
  EXPECT_EQ(task.error().code, core::ErrorCode::kPermanent);
  EXPECT_EQ(task.error().remote_code, 6);
}

TEST_F(PlanfixClientTest, ShowsTheDailyQuotaLeftAndCountsAnswersThatItIsSpent) {
  fake_.SetDailyQuota(2);
  core::Metrics metrics;
  PlanfixOptions options;
  options.base_url = fake_.rest_url() + "/";
  options.token = kToken;
  options.min_interval = 20ms;
  options.metrics = &metrics;
  PlanfixClient client(http_, clock_, options);
  const auto remaining = [&] {
    return metrics.GetGauge("planfix_flow_planfix_requests_remaining", "").value();
  };
  const auto spent = [&] {
    return metrics.GetCounter("planfix_flow_planfix_quota_exhausted_total", "").value();
  };
  ASSERT_TRUE(client.Ping());
  EXPECT_EQ(remaining(), 1);
  ASSERT_TRUE(client.GetTask(12));
  EXPECT_EQ(remaining(), 0);
  EXPECT_EQ(spent(), 0);
  EXPECT_FALSE(client.GetTask(12));
  EXPECT_EQ(spent(), 1);
  EXPECT_NE(metrics.Render().find("planfix_flow_planfix_requests_remaining 0\n"), std::string::npos)
      << metrics.Render();
}

TEST_F(PlanfixClientTest, MapsCode22ToQuotaExhaustedUntilMidnight) {
  fake_.SetDailyQuota(1);
  auto client = Client();
  EXPECT_TRUE(client.Ping());
  auto spent = client.GetTask(12);
  ASSERT_FALSE(spent);
  EXPECT_EQ(spent.error().code, core::ErrorCode::kQuotaExhausted);
  EXPECT_EQ(spent.error().remote_code, 22);
  EXPECT_FALSE(core::IsRetryable(spent.error().code));
  ASSERT_TRUE(spent.error().retry_after);
  EXPECT_GT(spent.error().retry_after->count(), 0);
  EXPECT_LE(spent.error().retry_after->count(), 24 * 3600);
}

TEST_F(PlanfixClientTest, MapsObjectBusyToARetryableConflict) {
  fake_.FailNext(1, 400, R"({"result":"fail","code":3,"error":"Object is being modified"})");
  TaskUpdate update;
  update.status_id = 2;
  auto result = Client().UpdateTask(12, update);
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, core::ErrorCode::kConflict);
  EXPECT_TRUE(core::IsRetryable(result.error().code));
}

TEST_F(PlanfixClientTest, MapsServerErrorsTimeoutsAndDropsToRetryableErrors) {
  auto client = Client();
  fake_.FailNext(1, 502, "<html>Bad gateway</html>");
  auto bad_gateway = client.GetTask(12);
  ASSERT_FALSE(bad_gateway);
  EXPECT_EQ(bad_gateway.error().code, core::ErrorCode::kUnavailable);
  EXPECT_EQ(bad_gateway.error().remote_code, 502);

  fake_.FailNext(1, 500, R"({"result":"fail","code":0,"error":"Rest API error"})");
  auto internal = client.GetTask(12);
  ASSERT_FALSE(internal);
  EXPECT_EQ(internal.error().code, core::ErrorCode::kUnavailable);

  fake_.DropNext(1);
  auto dropped = client.GetTask(12);
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().code, core::ErrorCode::kUnavailable);
  EXPECT_TRUE(core::IsRetryable(dropped.error().code));

  PlanfixOptions options;
  options.base_url = fake_.rest_url();
  options.token = kToken;
  options.min_interval = 20ms;
  options.timeout = 200ms;
  PlanfixClient impatient(http_, clock_, options);
  fake_.DelayNext(1, 1500ms);
  auto slow = impatient.GetTask(12);
  ASSERT_FALSE(slow);
  EXPECT_EQ(slow.error().code, core::ErrorCode::kTimeout);
  EXPECT_TRUE(core::IsRetryable(slow.error().code));
}

TEST_F(PlanfixClientTest, MapsA429ToRateLimitedWithARetryHint) {
  fake_.SetMinInterval(10s);
  auto client = Client(kToken, 0ms);  // no pacing: the second call comes too soon
  EXPECT_TRUE(client.Ping());
  auto refused = client.Ping();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::kRateLimited);
  ASSERT_TRUE(refused.error().retry_after);
  EXPECT_TRUE(core::IsRetryable(refused.error().code));
  EXPECT_EQ(fake_.rate_limited_count(), 1);
}

TEST_F(PlanfixClientTest, HintsOneSecondOnA429WithoutRetryAfter) {
  auto client = Client(kToken, 0ms);
  fake_.FailNext(1, 429, R"({"result":"fail","code":0,"error":"Too many requests"})");
  auto plain = client.Ping();  // FailNext answers carry no Retry-After
  ASSERT_FALSE(plain);
  EXPECT_EQ(plain.error().retry_after, std::chrono::seconds(1));
}

// Client and fake on one FakeClock: the client's pacing waits move the clock, and the fake
// judges the interval on it, so the figures are exact and independent of machine speed.
class PlanfixPacingTest : public ::testing::Test {
 protected:
  PlanfixPacingTest() : fake_(Options(clock_)) {}
  void SetUp() override { fake_.Start(); }
  static sandbox::FakePlanfixOptions Options(core::Clock& clock) {
    sandbox::FakePlanfixOptions options;
    options.tokens = {{kToken, {}, true}};
    options.min_interval = 30ms;
    options.clock = &clock;
    return options;
  }
  PlanfixOptions ClientOptions(std::chrono::milliseconds interval) const {
    PlanfixOptions options;
    options.base_url = fake_.rest_url();
    options.token = kToken;
    options.min_interval = interval;
    return options;
  }

  core::FakeClock clock_{core::FromUnixSeconds(1'800'000'000)};
  sandbox::FakePlanfix fake_;
  http::CurlHttpClient http_;
};

TEST_F(PlanfixPacingTest, KeepsToTheConfiguredRateAgainstAFakeThatEnforcesIt) {
  PlanfixClient client(http_, clock_, ClientOptions(50ms));
  const auto start = clock_.Now();
  for (int i = 0; i < 6; ++i) {
    auto status = client.Ping();
    ASSERT_TRUE(status) << "call " << i << ": " << status.error().ToString();
  }
  EXPECT_EQ(clock_.Now() - start, 250ms);  // five waits of exactly the interval
  EXPECT_EQ(fake_.rate_limited_count(), 0);
}

TEST_F(PlanfixPacingTest, AClientThatDoesNotPaceIsRefusedWithRetryAfter) {
  fake_.SetMinInterval(10s);
  // Paces far faster than the fake allows. (A client with interval 0 does not use the pacer
  // at all, so it would not wait out the pause either.)
  PlanfixClient client(http_, clock_, ClientOptions(1ms));
  ASSERT_TRUE(client.Ping());
  clock_.Advance(2500ms);
  auto refused = client.Ping();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::kRateLimited);
  // 7.5 s left, rounded up to whole seconds by the fake's Retry-After.
  EXPECT_EQ(refused.error().retry_after, std::chrono::seconds(8));
  // The client pauses the account that long: the next call waits on the clock, then passes.
  const auto before = clock_.Now();
  ASSERT_TRUE(client.Ping());
  EXPECT_EQ(clock_.Now() - before, 8s);
  EXPECT_EQ(fake_.rate_limited_count(), 1);
}

// A request that spends `delay` on the way to the fake (a slow network or a descheduled
// thread): the clock moves before the fake sees it.
class DelayedTransit final : public http::HttpClient {
 public:
  DelayedTransit(http::HttpClient& inner, core::FakeClock& clock) : inner_(inner), clock_(clock) {}
  core::Result<http::HttpResponse> Send(const http::HttpRequest& request) override {
    clock_.Advance(delays_.empty() ? core::Duration::zero() : delays_.front());
    if (!delays_.empty()) delays_.erase(delays_.begin());
    return inner_.Send(request);
  }
  std::vector<core::Duration> delays_;

 private:
  http::HttpClient& inner_;
  core::FakeClock& clock_;
};

TEST_F(PlanfixPacingTest, ARequestDelayedOnTheWayStillArrivesAFullIntervalAfterTheLast) {
  fake_.SetMinInterval(50ms);
  DelayedTransit transit(http_, clock_);
  PlanfixClient client(transit, clock_, ClientOptions(50ms));
  // The first request arrives 40 ms late. Paced by send times alone, the second would go at
  // 50 ms and arrive 10 ms after the first: refused. Paced after the answer, it goes at 90 ms.
  transit.delays_ = {40ms, 0ms, 30ms, 0ms};
  const auto start = clock_.Now();
  for (int i = 0; i < 4; ++i) {
    auto status = client.Ping();
    ASSERT_TRUE(status) << "call " << i << ": " << status.error().ToString();
  }
  EXPECT_EQ(fake_.rate_limited_count(), 0);
  EXPECT_EQ(clock_.Now() - start, 40ms + 50ms + 50ms + 30ms + 50ms);
}

TEST_F(PlanfixPacingTest, SharesOnePacerBetweenClientsOfOneAccount) {
  core::Pacer pacer(clock_);
  PlanfixOptions options = ClientOptions(50ms);
  options.pacer = &pacer;
  PlanfixClient first(http_, clock_, options);
  PlanfixClient second(http_, clock_, options);
  const auto start = clock_.Now();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(first.Ping());
    ASSERT_TRUE(second.Ping());
  }
  EXPECT_EQ(clock_.Now() - start, 250ms);  // six calls, 50 ms apart, across both clients
  EXPECT_EQ(fake_.rate_limited_count(), 0);
}

TEST_F(PlanfixClientTest, ListsATasksFilesAndDownloadsOneWithoutTheTokenAtTheStorage) {
  static constexpr char kPdf[] = "%PDF-1.7\n\0\x01\xff\r\nbinary";
  const std::string pdf(kPdf, sizeof(kPdf) - 1);
  const long long report = fake_.AttachFile(12, "Звіт грудень.pdf", pdf);
  const long long note =
      fake_.AttachFile(12, "note.txt", "hello", sandbox::FakePlanfix::FileLocation::kComment);
  fake_.AttachOnlineDocument(12, "Plan", "https://docs.google.com/document/d/1");
  auto client = Client();
  auto files = client.ListTaskFiles(12);
  ASSERT_TRUE(files) << files.error().ToString();
  ASSERT_EQ(files->size(), 3u);
  EXPECT_EQ((*files)[0].id, report);
  EXPECT_EQ((*files)[0].name, "Звіт грудень.pdf");
  EXPECT_EQ((*files)[0].size, static_cast<long long>(pdf.size()));
  EXPECT_TRUE((*files)[0].link.empty());
  EXPECT_EQ((*files)[1].id, note);
  EXPECT_EQ((*files)[2].link, "https://docs.google.com/document/d/1");
  EXPECT_EQ(RequestsTo("/rest/task/12/files"), 1u);

  auto bytes = client.DownloadFile(report, 1024);
  ASSERT_TRUE(bytes) << bytes.error().ToString();
  EXPECT_EQ(*bytes, pdf);
  // Planfix is asked with the token; the signed location it redirects to never sees it.
  for (const auto& request : fake_.requests()) {
    if (request.path == fmt::format("/rest/file/{}/download", report)) {
      EXPECT_EQ(request.headers.at("Authorization"), std::string("Bearer ") + kToken);
    } else if (request.path.rfind("/storage/", 0) == 0) {
      EXPECT_EQ(request.headers.count("Authorization"), 0u);
    }
  }
  EXPECT_EQ(fake_.file_downloads(), 1);
}

TEST_F(PlanfixClientTest, RefusesAFileOverTheCapAndNamesAnUnknownFileOrTaskNotFound) {
  const long long big = fake_.AttachFile(12, "big.pdf", std::string(2048, 'x'));
  auto client = Client();
  auto refused = client.DownloadFile(big, 1024);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, core::ErrorCode::kPermanent);
  EXPECT_NE(refused.error().message.find("larger than 1024 bytes"), std::string::npos)
      << refused.error().message;
  auto unknown = client.DownloadFile(424242, 1024);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, core::ErrorCode::kNotFound) << unknown.error().ToString();
  EXPECT_EQ(unknown.error().remote_code, 7000);
  auto no_task = client.ListTaskFiles(999);
  ASSERT_FALSE(no_task);
  EXPECT_EQ(no_task.error().code, core::ErrorCode::kNotFound);
}

TEST_F(PlanfixClientTest, AStorageFailureDuringADownloadIsWorthRetrying) {
  const long long file = fake_.AttachFile(12, "report.pdf", "%PDF-1.7");
  fake_.FailFileDownloads(1);
  auto client = Client();
  auto failed = client.DownloadFile(file, 1024);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, core::ErrorCode::kUnavailable) << failed.error().ToString();
  auto again = client.DownloadFile(file, 1024);
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(*again, "%PDF-1.7");
}

TEST(MapPlanfixError, TakesRetryAfterSecondsOnARateLimit) {
  const auto now = std::chrono::system_clock::now();
  const auto map = [&](const http::Headers& headers) {
    return MapPlanfixError(429, R"({"result":"fail","code":0,"error":"Too many requests"})", "ping",
                           "", now, headers);
  };
  EXPECT_EQ(map({}).retry_after, std::chrono::seconds(1));
  EXPECT_EQ(map({{"Retry-After", "30"}}).retry_after, std::chrono::seconds(30));
  EXPECT_EQ(map({{"retry-after", "7"}}).retry_after, std::chrono::seconds(7));  // any case
  EXPECT_EQ(map({{"Retry-After", "0"}}).retry_after, std::chrono::seconds(1));
  EXPECT_EQ(map({{"Retry-After", "Fri, 27 Nov 2026 18:00:00 GMT"}}).retry_after,
            std::chrono::seconds(1));  // HTTP-dates are not read
  EXPECT_EQ(map({{"Retry-After", "-5"}}).retry_after, std::chrono::seconds(1));
  // A rate-limit text in a 400 takes the header too.
  EXPECT_EQ(
      MapPlanfixError(400, R"({"result":"fail","code":0,"error":"Request rate limit exceeded"})",
                      "ping", "", now, {{"Retry-After", "3"}})
          .retry_after,
      std::chrono::seconds(3));
}

TEST(MapPlanfixError, MapsEachDocumentedErrorClass) {
  const auto now = std::chrono::system_clock::now();
  const auto map = [&](int status, const std::string& body) {
    return MapPlanfixError(status, body, "get task 1", "task_readonly", now);
  };
  EXPECT_EQ(map(401, "").code, core::ErrorCode::kUnauthorized);
  EXPECT_EQ(map(405, "").code, core::ErrorCode::kUnauthorized);
  EXPECT_NE(map(405, "").message.find("task_readonly"), std::string::npos);
  // The fake and Planfix answer a wrong HTTP method with code 405: a client bug, not a scope.
  EXPECT_EQ(map(405, R"({"result":"fail","code":405,"error":"Method not allowed"})").code,
            core::ErrorCode::kPermanent);
  EXPECT_EQ(map(400, R"({"result":"fail","code":30,"error":"bad json"})").code,
            core::ErrorCode::kInvalidInput);
  EXPECT_EQ(map(400, R"({"result":"fail","code":40,"error":"missing"})").code,
            core::ErrorCode::kInvalidInput);
  EXPECT_EQ(map(400, R"({"result":"fail","code":5000,"error":"Comment not found by id 1"})").code,
            core::ErrorCode::kNotFound);
  EXPECT_EQ(map(400, R"({"result":"fail","code":5001,"error":"x"})").code,
            core::ErrorCode::kPermanent);
  EXPECT_EQ(map(400, R"({"result":"fail","code":6002,"error":"Update error"})").code,
            core::ErrorCode::kInvalidInput);
  EXPECT_EQ(map(400, R"({"result":"fail","code":6010,"error":"x"})").code,
            core::ErrorCode::kPermanent);
  EXPECT_EQ(map(400, R"({"result":"fail","code":0,"error":"Request rate limit exceeded"})").code,
            core::ErrorCode::kRateLimited);
  // "Billing limit" mentions a limit but is not a rate limit.
  EXPECT_EQ(
      map(400, R"({"result":"fail","code":24,"error":"Billing limit - user not created"})").code,
      core::ErrorCode::kPermanent);
  EXPECT_EQ(map(200, R"({"result":"fail","code":1000,"error":"Task not found by id 1"})").code,
            core::ErrorCode::kNotFound);
  EXPECT_EQ(map(404, "<html>nginx</html>").code, core::ErrorCode::kPermanent);
  EXPECT_EQ(map(503, "").code, core::ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace planfix_flow::planfix
