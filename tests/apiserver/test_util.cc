#include "tests/apiserver/test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rapidjson/pointer.h"

namespace raven::apiserver::testing {
namespace {

Reply ToReply(const httplib::Result& result) {
  Reply reply;
  if (!result) return reply;
  reply.code = result->status;
  reply.body = result->body;
  reply.headers = result->headers;
  reply.json.Parse(reply.body.c_str());
  if (reply.json.HasParseError()) reply.json.SetNull();
  return reply;
}

}  // namespace

std::string Reply::Str(const char* pointer) const {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(json);
  return v != nullptr && v->IsString() ? v->GetString() : "";
}

int64_t Reply::Int(const char* pointer) const {
  const rapidjson::Value* v = rapidjson::Pointer(pointer).Get(json);
  return v != nullptr && v->IsInt64() ? v->GetInt64() : -1;
}

bool Reply::Has(const char* pointer) const {
  return rapidjson::Pointer(pointer).Get(json) != nullptr;
}

Client::Client(const ApiServer& server, std::string token)
    : client_("127.0.0.1", server.port()), token_(std::move(token)) {
  client_.set_read_timeout(10, 0);
  client_.set_keep_alive(true);  // as real clients do: requests share a connection
}

httplib::Headers Client::Headers(const std::string& accept) const {
  httplib::Headers headers = {{"Accept", accept}};
  if (!token_.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", token_));
  return headers;
}

Reply Client::Get(const std::string& path, const std::string& accept) {
  return ToReply(client_.Get(path.c_str(), Headers(accept)));
}

Reply Client::Post(const std::string& path, const std::string& body) {
  return ToReply(client_.Post(path.c_str(), Headers("application/json"), body, "application/json"));
}

Reply Client::Put(const std::string& path, const std::string& body) {
  return ToReply(client_.Put(path.c_str(), Headers("application/json"), body, "application/json"));
}

Reply Client::Patch(const std::string& path, const std::string& body,
                    const std::string& content_type) {
  return ToReply(
      client_.Patch(path.c_str(), Headers("application/json"), body, content_type.c_str()));
}

Reply Client::Delete(const std::string& path, const std::string& body) {
  return ToReply(
      client_.Delete(path.c_str(), Headers("application/json"), body, "application/json"));
}

WatchReader::WatchReader(const ApiServer& server, const std::string& path,
                         const std::string& accept, std::string token)
    : client_("127.0.0.1", server.port()) {
  client_.set_read_timeout(30, 0);
  httplib::Headers headers = {{"Accept", accept}};
  if (!token.empty()) headers.emplace("Authorization", absl::StrCat("Bearer ", token));
  thread_ = std::thread([this, path, headers] {
    httplib::Result result = client_.Get(
        path.c_str(), headers,
        [this](const httplib::Response& response) {
          absl::MutexLock lock(&mu_);
          status_ = response.status;
          return true;
        },
        [this](const char* data, size_t length) {
          absl::MutexLock lock(&mu_);
          partial_.append(data, length);
          size_t newline;
          while ((newline = partial_.find('\n')) != std::string::npos) {
            lines_.push_back(partial_.substr(0, newline));
            partial_.erase(0, newline + 1);
          }
          return true;
        });
    absl::MutexLock lock(&mu_);
    if (!partial_.empty()) lines_.push_back(partial_);  // a non-watch (error) body
    error_ = result.error();
    ended_ = true;
  });
}

WatchReader::~WatchReader() {
  client_.stop();
  thread_.join();
}

rapidjson::Document WatchReader::Next(absl::Duration timeout) {
  rapidjson::Document doc;
  std::string line;
  {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !lines_.empty() || ended_; };
    mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
    if (lines_.empty()) return doc;
    line = std::move(lines_.front());
    lines_.pop_front();
  }
  doc.Parse(line.c_str());
  if (doc.HasParseError()) doc.SetNull();
  return doc;
}

rapidjson::Document WatchReader::NextNonBookmark(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    rapidjson::Document doc = Next(deadline - absl::Now());
    if (!doc.IsObject()) return doc;
    const rapidjson::Value* type = rapidjson::Pointer("/type").Get(doc);
    if (type == nullptr || std::string(type->GetString()) != "BOOKMARK") return doc;
  }
}

bool WatchReader::WaitEnded(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ended = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return ended_; };
  return mu_.AwaitWithTimeout(absl::Condition(&ended), timeout);
}

httplib::Error WatchReader::error() {
  absl::MutexLock lock(&mu_);
  return error_;
}

int WatchReader::status() {
  absl::MutexLock lock(&mu_);
  return status_;
}

std::unique_ptr<ApiServer> StartServer(ApiServerOptions options) {
  if (options.token.empty()) options.token = kToken;
  absl::StatusOr<std::unique_ptr<ApiServer>> server = ApiServer::Start(options);
  if (!server.ok()) {
    ADD_FAILURE_AT(__FILE__, __LINE__) << server.status();
    return nullptr;
  }
  return *std::move(server);
}

std::string GatewayCrdJson() {
  const char* path = std::getenv("RAVEN_CRD_JSON");
  if (path == nullptr) return "";
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string GatewayJson(const std::string& name, const std::string& extra_spec) {
  return absl::StrCat(R"({"apiVersion":"raven.openyurt.io/v1beta1","kind":"Gateway",)",
                      R"("metadata":{"name":")", name, R"(","labels":{"pool":")", name, R"("}},)",
                      R"("spec":{"exposeType":"PublicIP","tunnelConfig":{"Replicas":1},)",
                      R"("endpoints":[{"nodeName":")", name, R"(-1","type":"tunnel","port":4500}])",
                      extra_spec, "}}");
}

}  // namespace raven::apiserver::testing
