// FakePlanfix's files: `GET /task/{id}/files` and `GET /file/{id}/download` as the spec shapes
// them (FileResponse items; 400 with code 7000 for an unknown file; the download a 302 to a
// location), and the location itself, a signed link on the account's file storage. The
// storage behaves like the object stores such links point to: no Bearer token (a request
// that carries one as well as the link's signature is refused), a link only for the file it
// was made for, and it may fail (FailFileDownloads).
#include <fmt/format.h>

#include <functional>

#include "planfix_flow/sandbox/fake_planfix.h"

namespace planfix_flow::sandbox {

using nlohmann::json;

namespace {

FakeResponse FileFail(int status, int code, std::string error) {
  return FakeResponse{status,
                      json{{"result", "fail"}, {"code", code}, {"error", std::move(error)}}.dump()};
}

// Gives `file` the next id and keeps it; the caller holds the state's lock.
long long StoreFile(std::map<long long, FakeFile>& files, long long& next_id, FakeFile file) {
  file.id = next_id++;
  const long long id = file.id;
  files[id] = std::move(file);
  return id;
}

}  // namespace

void FakePlanfix::RouteFiles() {
  RoutePlanfix("GET", R"(/rest/task/(\d+)/files)", "task_readonly", &FakePlanfix::ListTaskFiles);
  RoutePlanfix("GET", R"(/rest/file/(\d+)/download)", "", &FakePlanfix::DownloadFile);
  Route("GET", R"(/storage/(\d+)/([0-9a-f]+))",
        [this](const FakeRequest& request) { return ServeStoredFile(request); });
}

long long FakePlanfix::AttachFile(long long task_id, std::string name, std::string bytes,
                                  FileLocation location) {
  FakeFile file;
  file.task_id = task_id;
  file.name = std::move(name);
  file.bytes = std::move(bytes);
  file.in_description = location == FileLocation::kDescription;
  std::lock_guard lock(state_mutex_);
  return StoreFile(files_, next_file_id_, std::move(file));
}

long long FakePlanfix::AttachOnlineDocument(long long task_id, std::string name, std::string link) {
  FakeFile file;
  file.task_id = task_id;
  file.name = std::move(name);
  file.link = std::move(link);
  std::lock_guard lock(state_mutex_);
  return StoreFile(files_, next_file_id_, std::move(file));
}

void FakePlanfix::FailFileDownloads(int count) {
  std::lock_guard lock(state_mutex_);
  failing_downloads_ = count;
}

int FakePlanfix::file_downloads() const {
  std::lock_guard lock(state_mutex_);
  return file_downloads_;
}

FakeResponse FakePlanfix::ListTaskFiles(const FakeRequest& request, const json&) {
  const long long task_id = std::stoll(request.captures.at(0));
  if (tasks_.count(task_id) == 0)
    return FileFail(404, 1000, fmt::format("Task not found by id {}", task_id));
  bool only_description = false;
  if (request.HasQuery("onlyFromDescription")) {
    const std::string flag = request.Query("onlyFromDescription");
    if (flag != "true" && flag != "false")
      return FileFail(400, 41, "onlyFromDescription must be true or false");
    only_description = flag == "true";
  }
  json files = json::array();
  for (const auto& [id, file] : files_) {
    if (file.task_id != task_id || (only_description && !file.in_description)) continue;
    json item{{"id", id}, {"name", file.name}, {"size", file.bytes.size()}};
    if (!file.link.empty()) item["link"] = file.link;
    files.push_back(std::move(item));
  }
  json body{{"result", "success"}, {"files", std::move(files)}};
  return FakeResponse{200, body.dump()};
}

FakeResponse FakePlanfix::DownloadFile(const FakeRequest& request, const json&) {
  const long long id = std::stoll(request.captures.at(0));
  const auto it = files_.find(id);
  // An online document has no bytes: Planfix cannot download it either.
  if (it == files_.end() || !it->second.link.empty()) {
    // A file a person deleted: no fault of the request's.
    return WorldStateAnswer(FileFail(400, 7000, fmt::format("File not found by id {}", id)));
  }
  // A fresh signed link per request, as an object store's pre-signed URL.
  const std::string signature =
      fmt::format("{:016x}", std::hash<std::string>{}(fmt::format("{}:{}", id, ++links_made_)));
  download_links_[signature] = id;
  FakeResponse response{302, ""};
  response.content_type = "text/plain";
  response.headers["Location"] = fmt::format("{}/storage/{}/{}", base_url(), id, signature);
  return response;
}

FakeResponse FakePlanfix::ServeStoredFile(const FakeRequest& request) {
  std::lock_guard lock(state_mutex_);
  FakeResponse response;
  response.content_type = "application/xml";
  if (!request.Header("Authorization").empty()) {
    response.status = 400;
    response.body =
        "<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed</Message>"
        "</Error>";
    return response;
  }
  const long long id = std::stoll(request.captures.at(0));
  const auto link = download_links_.find(request.captures.at(1));
  const auto file = files_.find(id);
  if (link == download_links_.end() || link->second != id || file == files_.end()) {
    response.status = 403;
    response.body = "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
    return Refusal(response);
  }
  if (failing_downloads_ > 0) {
    --failing_downloads_;
    response.status = 503;
    response.body =
        "<Error><Code>SlowDown</Code><Message>Please reduce your request rate."
        "</Message></Error>";
    return WorldStateAnswer(response);
  }
  ++file_downloads_;
  response.status = 200;
  response.content_type = "application/octet-stream";
  response.body = file->second.bytes;
  response.headers["Content-Disposition"] =
      fmt::format("attachment; filename=\"{}\"", file->second.name);
  return response;
}

}  // namespace planfix_flow::sandbox
