// FakePlanfix's employees: `POST /user/list` as the spec shapes it (paging of at most 100,
// `fields` naming system fields or custom field ids, `prefixedId` for "user:5" ids), with the
// employee custom fields the account defines. Filters are not modelled: a request with any is
// refused and recorded as a failure.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "planfix_flow/sandbox/fake_planfix.h"

namespace planfix_flow::sandbox {

using nlohmann::json;

namespace {

FakeResponse UsersFail(int status, int code, std::string error) {
  return FakeResponse{status,
                      json{{"result", "fail"}, {"code", code}, {"error", std::move(error)}}.dump()};
}

bool Digits(const std::string& text) {
  return !text.empty() && text.size() <= 18 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The system fields of an employee the spec lists for `fields` (those the fake answers are
// id, name, lastname, isDeleted, status; the rest are accepted and left out).
constexpr std::array<std::string_view, 23> kUserSystemFields = {"id",
                                                                "name",
                                                                "midname",
                                                                "lastname",
                                                                "gender",
                                                                "isDeleted",
                                                                "birthDate",
                                                                "groups",
                                                                "role",
                                                                "login",
                                                                "email",
                                                                "secondaryEmails",
                                                                "telegramId",
                                                                "telegram",
                                                                "status",
                                                                "phones",
                                                                "customFieldData",
                                                                "languageCode",
                                                                "position",
                                                                "workspace",
                                                                "personalManagers",
                                                                "avatarUrl",
                                                                "timezone"};

}  // namespace

void FakePlanfix::RouteUsers() {
  RoutePlanfix("POST", "/rest/user/list", "user_readonly", &FakePlanfix::ListUsers);
}

void FakePlanfix::DefineUserField(FakeCustomField field) {
  std::lock_guard lock(state_mutex_);
  user_fields_[field.id] = std::move(field);
}

void FakePlanfix::AddUser(FakeUser user) {
  std::lock_guard lock(state_mutex_);
  users_[user.id] = std::move(user);
}

FakeResponse FakePlanfix::ListUsers(const FakeRequest&, const json& body) {
  if (!body.is_object()) return UsersFail(400, 30, "The request body is not a JSON object");
  long long offset = 0;
  long long page_size = 100;
  if (body.contains("offset")) {
    if (!body["offset"].is_number_integer() || body["offset"].get<long long>() < 0) {
      return UsersFail(400, 41, "offset must be a non-negative integer");
    }
    offset = body["offset"].get<long long>();
  }
  if (body.contains("pageSize")) {
    if (!body["pageSize"].is_number_integer() || body["pageSize"].get<long long>() < 1 ||
        body["pageSize"].get<long long>() > 100) {
      return UsersFail(400, 41, "pageSize must be an integer from 1 to 100");
    }
    page_size = body["pageSize"].get<long long>();
  }
  if (body.contains("fields") && !body["fields"].is_string()) {
    return UsersFail(400, 41, "fields must be a comma-delimited string");
  }
  if (body.contains("prefixedId") && !body["prefixedId"].is_boolean()) {
    return UsersFail(400, 41, "prefixedId must be a boolean");
  }
  if (body.contains("onlyActive") && !body["onlyActive"].is_boolean()) {
    return UsersFail(400, 41, "onlyActive must be a boolean");
  }
  if (body.contains("filters")) {
    RecordFailure("planfix: employee filters are not modelled");
    return UsersFail(500, 0, "Rest API error");
  }
  std::vector<std::string> names;
  const std::string fields = body.value("fields", std::string("id,name"));
  for (std::size_t start = 0; start <= fields.size();) {
    std::size_t comma = fields.find(',', start);
    if (comma == std::string::npos) comma = fields.size();
    std::string name = fields.substr(start, comma - start);
    start = comma + 1;
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    if (name.empty()) continue;
    if (std::find(kUserSystemFields.begin(), kUserSystemFields.end(), name) ==
            kUserSystemFields.end() &&
        !Digits(name)) {
      return UsersFail(400, 41, fmt::format("Unknown field '{}' in fields", name));
    }
    names.push_back(name);
  }
  const bool prefixed = body.value("prefixedId", false);
  const bool only_active = body.value("onlyActive", false);
  json users = json::array();
  long long index = 0;
  for (const auto& [id, user] : users_) {
    if (only_active && (!user.active || user.deleted)) continue;
    if (index++ < offset) continue;
    if (static_cast<long long>(users.size()) >= page_size) break;
    json item = {{"id", prefixed ? json(fmt::format("user:{}", id)) : json(id)}};
    for (const auto& name : names) {
      if (name == "name") {
        item["name"] = user.name;
      } else if (name == "lastname") {
        item["lastname"] = user.lastname;
      } else if (name == "isDeleted") {
        item["isDeleted"] = user.deleted;
      } else if (name == "status") {
        item["status"] = user.active ? "Active" : "Inactive";
      } else if (Digits(name)) {
        const long long field_id = std::stoll(name);
        const auto field = user_fields_.find(field_id);
        const auto value = user.custom_fields.find(field_id);
        if (field == user_fields_.end() || value == user.custom_fields.end()) continue;
        if (!item.contains("customFieldData")) item["customFieldData"] = json::array();
        item["customFieldData"].push_back({{"field",
                                            {{"id", field->second.id},
                                             {"name", field->second.name},
                                             {"type", field->second.type},
                                             {"objectType", 6}}},
                                           {"value", value->second}});
      }
    }
    users.push_back(std::move(item));
  }
  return FakeResponse{200, json{{"result", "success"}, {"users", users}}.dump()};
}

}  // namespace planfix_flow::sandbox
