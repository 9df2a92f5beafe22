// FakePlanfix's read-only catalogues: the task processes, the task templates and the data tags
// of the account, shaped as the spec's GET /process/task, GET /task/templates and
// POST /datatag/list answer them (what the config doctor and `planfix ids` read).
#include <fmt/format.h>

#include <algorithm>

#include "planfix_flow/sandbox/fake_planfix.h"

namespace planfix_flow::sandbox {

using nlohmann::json;

namespace {

FakeResponse CatalogueFail(int status, int code, std::string error) {
  return FakeResponse{status,
                      json{{"result", "fail"}, {"code", code}, {"error", std::move(error)}}.dump()};
}

FakeResponse CatalogueSuccess(json body) {
  json envelope = {{"result", "success"}};
  envelope.update(body);
  return FakeResponse{200, envelope.dump()};
}

bool AllDigits(const std::string& text) {
  return !text.empty() && text.size() <= 18 &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The names a `fields` list asks for; the system fields it may name are `allowed`.
bool ReadFields(const std::string& fields, const std::vector<std::string>& allowed,
                std::vector<std::string>& names, std::string& error) {
  std::size_t start = 0;
  while (start <= fields.size()) {
    std::size_t comma = fields.find(',', start);
    if (comma == std::string::npos) comma = fields.size();
    std::string name = fields.substr(start, comma - start);
    name.erase(0, name.find_first_not_of(' '));
    name.erase(name.find_last_not_of(' ') + 1);
    start = comma + 1;
    if (name.empty()) continue;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end() && !AllDigits(name)) {
      error = fmt::format("Unknown field '{}' in fields", name);
      return false;
    }
    names.push_back(name);
  }
  return true;
}

bool Wants(const std::vector<std::string>& names, const char* name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// offset and pageSize of a GET list: integers in the spec's ranges (0.., 1..100).
bool QueryPaging(const FakeRequest& request, long long& offset, long long& page_size,
                 std::string& error) {
  offset = 0;
  page_size = 100;
  if (request.HasQuery("offset")) {
    const std::string text = request.Query("offset");
    if (!AllDigits(text)) {
      error = "offset must be a non-negative integer";
      return false;
    }
    offset = std::stoll(text);
  }
  if (request.HasQuery("pageSize")) {
    const std::string text = request.Query("pageSize");
    if (!AllDigits(text) || std::stoll(text) < 1 || std::stoll(text) > 100) {
      error = "pageSize must be an integer from 1 to 100";
      return false;
    }
    page_size = std::stoll(text);
  }
  return true;
}

}  // namespace

void FakePlanfix::RouteCatalogues() {
  RoutePlanfix("GET", "/rest/process/task", "", &FakePlanfix::ListProcesses);
  RoutePlanfix("GET", "/rest/task/templates", "task_readonly", &FakePlanfix::ListTaskTemplates);
  RoutePlanfix("POST", "/rest/datatag/list", "datatag_readonly", &FakePlanfix::ListDataTags);
}

void FakePlanfix::NameProcess(long long process_id, std::string name) {
  std::lock_guard lock(state_mutex_);
  process_names_[process_id] = std::move(name);
  processes_.try_emplace(process_id);
}

void FakePlanfix::DefineTaskTemplate(long long template_id, std::string name) {
  std::lock_guard lock(state_mutex_);
  task_templates_[template_id] = std::move(name);
}

FakeResponse FakePlanfix::ListProcesses(const FakeRequest& request, const json&) {
  std::vector<std::string> names;
  std::string error;
  if (!ReadFields(request.Query("fields"), {"id", "name"}, names, error)) {
    return CatalogueFail(400, 41, error);
  }
  json processes = json::array();
  for (const auto& [id, statuses] : processes_) {
    json process = {{"id", id}};
    if (names.empty() || Wants(names, "name")) {
      const auto name = process_names_.find(id);
      process["name"] = name == process_names_.end() ? fmt::format("Process {}", id) : name->second;
    }
    processes.push_back(std::move(process));
  }
  return CatalogueSuccess({{"processes", processes}});
}

FakeResponse FakePlanfix::ListTaskTemplates(const FakeRequest& request, const json&) {
  long long offset = 0;
  long long page_size = 0;
  std::string error;
  if (!QueryPaging(request, offset, page_size, error)) return CatalogueFail(400, 41, error);
  std::vector<std::string> names;
  if (!ReadFields(request.Query("fields"), {"id", "name", "description", "status", "processId"},
                  names, error)) {
    return CatalogueFail(400, 41, error);
  }
  json templates = json::array();
  long long index = 0;
  for (const auto& [id, name] : task_templates_) {
    if (index++ < offset) continue;
    if (static_cast<long long>(templates.size()) >= page_size) break;
    json item = {{"id", id}};
    if (names.empty() || Wants(names, "name")) item["name"] = name;
    templates.push_back(std::move(item));
  }
  return CatalogueSuccess({{"templates", templates}});
}

FakeResponse FakePlanfix::ListDataTags(const FakeRequest&, const json& body) {
  long long offset = 0;
  long long page_size = 100;
  if (body.contains("offset")) {
    if (!body["offset"].is_number_integer() || body["offset"].get<long long>() < 0) {
      return CatalogueFail(400, 41, "offset must be a non-negative integer");
    }
    offset = body["offset"].get<long long>();
  }
  if (body.contains("pageSize")) {
    if (!body["pageSize"].is_number_integer() || body["pageSize"].get<long long>() < 1 ||
        body["pageSize"].get<long long>() > 100) {
      return CatalogueFail(400, 41, "pageSize must be an integer from 1 to 100");
    }
    page_size = body["pageSize"].get<long long>();
  }
  if (body.contains("fields") && !body["fields"].is_string()) {
    return CatalogueFail(400, 41, "fields must be a comma-delimited string");
  }
  std::vector<std::string> names;
  std::string error;
  if (!ReadFields(body.value("fields", std::string()), {"id", "name", "group", "fields"}, names,
                  error)) {
    return CatalogueFail(400, 41, error);
  }
  json tags = json::array();
  long long index = 0;
  for (const auto& [id, tag] : data_tags_) {
    if (index++ < offset) continue;
    if (static_cast<long long>(tags.size()) >= page_size) break;
    json item = {{"id", id}};
    if (names.empty() || Wants(names, "name")) item["name"] = tag.name;
    if (Wants(names, "fields")) {
      item["fields"] = json::array();
      for (const auto& [field_id, field] : tag.fields) {
        item["fields"].push_back(
            {{"id", field_id}, {"name", field.name}, {"type", field.type}, {"objectType", 4}});
      }
    }
    tags.push_back(std::move(item));
  }
  return CatalogueSuccess({{"dataTags", tags}});
}

}  // namespace planfix_flow::sandbox
