#include "lab/apiserver/apiserver.h"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/poll.h"
#include "common/status_macros.h"
#include "lab/apiserver/api_status.h"
#include "lab/apiserver/faults.h"
#include "lab/apiserver/handlers.h"
#include "lab/apiserver/json_util.h"
#include "lab/apiserver/request.h"
#include "lab/apiserver/request_body.h"
#include "lab/apiserver/responses.h"
#include "lab/apiserver/size_limits.h"
#include "lab/apiserver/store.h"
#include "lab/apiserver/watch_hub.h"

namespace raven::apiserver {
namespace {

bool Unauthenticated(absl::string_view path) {
  return path == "/healthz" || path == "/livez" || path == "/readyz";
}

// The request without its body (read separately, see Route).
HttpRequest Convert(const httplib::Request& req) {
  HttpRequest r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.params.emplace(k, v);
  r.accept = req.get_header_value("Accept");
  r.content_type = req.get_header_value("Content-Type");
  return r;
}

void Apply(const HttpResponse& out, httplib::Response& res) {
  res.status = out.code;
  for (const auto& [k, v] : out.headers) res.set_header(k, v);
  res.set_content(out.body, out.content_type);
}

// A Status from an error response body (for in-process calls).
absl::Status FromResponse(const HttpResponse& response) {
  absl::StatusOr<rapidjson::Document> doc = ParseJson(response.body);
  if (!doc.ok()) return ApiError(response.code, ReasonForCode(response.code), response.body);
  std::string reason = StringAt(*doc, "reason");
  return ApiError(response.code, reason.empty() ? ReasonForCode(response.code) : reason,
                  StringAt(*doc, "message"));
}

}  // namespace

ApiServer::ApiServer(const ApiServerOptions& options)
    : options_(options),
      hub_(std::make_unique<WatchHub>(options.history_limit, options.watch_queue_limit)),
      store_(std::make_unique<Store>(*hub_)),
      faults_(std::make_unique<Faults>()) {}

absl::StatusOr<std::unique_ptr<ApiServer>> ApiServer::Start(const ApiServerOptions& options) {
  if (options.cert_file.empty() != options.key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate and a key file");
  }
  std::unique_ptr<ApiServer> server(new ApiServer(options));
  RETURN_IF_ERROR(server->Listen());
  return server;
}

absl::Status ApiServer::Listen() {
  bool tls = !options_.cert_file.empty();
  if (tls) {
    server_ =
        std::make_unique<httplib::SSLServer>(options_.cert_file.c_str(), options_.key_file.c_str());
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  if (!server_->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot load TLS certificate ", options_.cert_file, " and key ", options_.key_file));
  }
  // Small JSON lines (watch events) must not wait for Nagle's algorithm;
  // accepted connections inherit the option from the listening socket.
  int listen_socket = -1;
  server_->set_socket_options([&listen_socket](int sock) {
    listen_socket = sock;
    int on = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
  });
  int threads = std::max(options_.worker_threads, 4);
  server_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_->set_keep_alive_max_count(1000);  // clients reuse connections (5 by default)
  if (options_.port == 0) {
    port_ = server_->bind_to_any_port(options_.bind);
  } else {
    port_ = server_->bind_to_port(options_.bind, options_.port) ? options_.port : -1;
  }
  if (port_ <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.bind, ":", options_.port));
  }
  // Debian's compiled cpp-httplib listens with a backlog of 5; a burst of
  // clients (agents of a whole lab, the benchmark) then stalls about 1 s in
  // SYN retries. listen() again on the bound socket raises it.
  if (listen_socket >= 0) ::listen(listen_socket, SOMAXCONN);
  HandlerOptions handler_options;
  handler_options.server_address = absl::StrCat(options_.bind, ":", port_);
  handler_options.bookmark_interval = options_.bookmark_interval;
  handler_options.max_watch_timeout = options_.max_watch_timeout;
  handler_options.watch_sends_initial_state = options_.watch_sends_initial_state;
  handler_ = std::make_unique<RestHandler>(*store_, *hub_, handler_options);
  Route();
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs: wait for it, so
  // that a server destroyed right away still stops.
  if (!PollUntil([this] { return server_->is_running(); }, absl::Seconds(10),
                 absl::Milliseconds(1))) {
    return absl::InternalError("the HTTP server did not start");
  }
  RAVEN_LOG(kInfo, "raven-apiserver serving ", base_url());
  return absl::OkStatus();
}

void ApiServer::Route() {
  server_->Get(".*", [this](const httplib::Request& req, httplib::Response& res) {
    Serve(req, std::string(), res);
  });
  // Bodies are read by ReadRequestBody, not by httplib (see request_body.h).
  auto write = [this](const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader) {
    Serve(req, ReadRequestBody(req, reader, kMaxRequestBodyBytes), res);
  };
  server_->Post(".*", write);
  server_->Put(".*", write);
  server_->Patch(".*", write);
  server_->Delete(".*", write);
  if (options_.log_requests) {
    server_->set_logger([](const httplib::Request& req, const httplib::Response& res) {
      RAVEN_LOG(kDebug, req.method, " ", req.target, " -> ", res.status);
    });
  }
}

void ApiServer::Serve(const httplib::Request& req, absl::StatusOr<std::string> body,
                      httplib::Response& res) {
  // Auth, admin and faults run here, after the body has been read, not in
  // httplib's pre-routing hook: that hook answers before the body is read,
  // and the unread body would corrupt the next request on a keep-alive
  // connection.
  if (Intercept(req, res)) return;
  if (!body.ok()) {
    Apply(ErrorResponse(body.status()), res);
    return;
  }
  HttpRequest request = Convert(req);
  request.body = *std::move(body);
  if (!RestHandler::IsWatch(request)) {
    Apply(handler_->Serve(request), res);
    return;
  }
  absl::StatusOr<std::unique_ptr<WatchStream>> stream = handler_->StartWatch(request);
  if (!stream.ok()) {
    Apply(ErrorResponse(stream.status()), res);
    return;
  }
  std::shared_ptr<WatchStream> watch = *std::move(stream);
  res.status = 200;
  // Not "application/json": httplib would gzip the stream and hold events back.
  res.set_chunked_content_provider(
      "application/json;stream=watch", [watch](size_t, httplib::DataSink& sink) {
        bool clean = watch->Run(
            [&sink](absl::string_view line) { return sink.write(line.data(), line.size()); });
        if (!clean) return false;  // cut the connection, as a dropped watch
        sink.done();
        return true;
      });
}

bool ApiServer::Intercept(const httplib::Request& req, httplib::Response& res) {
  if (Unauthenticated(req.path)) return false;
  if (!options_.token.empty() &&
      req.get_header_value("Authorization") != absl::StrCat("Bearer ", options_.token)) {
    Apply(ErrorResponse(UnauthorizedError()), res);
    return true;
  }
  if (absl::StartsWith(req.path, "/debug/")) {
    int code = 200;
    std::string body = Admin(Convert(req), code);
    res.status = code;
    res.set_content(body, "application/json");
    return true;
  }
  absl::Duration latency = faults_->latency();
  if (latency > absl::ZeroDuration()) absl::SleepFor(latency);
  if (int code = faults_->TakeFailure(); code != 0) {
    Apply(ErrorResponse(
              ApiError(code, ReasonForCode(code), absl::StrCat("injected failure (", code, ")"))),
          res);
    if (code == 429) res.set_header("Retry-After", "1");
    return true;
  }
  return false;
}

std::string ApiServer::Admin(const HttpRequest& request, int& code) {
  const std::string& p = request.path;
  if (p == "/debug/state" && request.method == "GET") {
    return absl::StrCat("{\"resourceVersion\":\"", hub_->current_rv(),
                        "\",\"compactedResourceVersion\":\"", hub_->compacted_rv(),
                        "\",\"watches\":", hub_->watch_count(), "}");
  }
  if (request.method != "POST") {
    code = 405;
    return StatusJson(MethodNotAllowedError("admin endpoints take POST"));
  }
  int n = 0;
  if (p == "/debug/faults/drop-watches") {
    DropAllWatches();
  } else if (p == "/debug/faults/compact") {
    Compact();
  } else if (p == "/debug/faults/reset") {
    ResetFaults();
  } else if (p == "/debug/faults/fail-next" && absl::SimpleAtoi(request.Param("count"), &n)) {
    int fail_code = 500;
    if (request.HasParam("code") && !absl::SimpleAtoi(request.Param("code"), &fail_code)) {
      code = 400;
      return StatusJson(BadRequestError("code must be an integer"));
    }
    FailNext(n, fail_code);
  } else if (p == "/debug/faults/latency" && absl::SimpleAtoi(request.Param("ms"), &n)) {
    SetLatency(absl::Milliseconds(n));
  } else {
    code = 404;
    return StatusJson(NoSuchPathError());
  }
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":200})";
}

ApiServer::~ApiServer() {
  hub_->Shutdown();  // ends every watch stream, so that worker threads can finish
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string ApiServer::base_url() const {
  return absl::StrCat(options_.cert_file.empty() ? "http" : "https", "://", options_.bind, ":",
                      port_);
}

void ApiServer::DropAllWatches() { hub_->DropAll(); }
void ApiServer::FailNext(int count, int code) { faults_->FailNext(count, code); }
void ApiServer::Compact() { hub_->Compact(); }
void ApiServer::SetLatency(absl::Duration latency) { faults_->SetLatency(latency); }
void ApiServer::ResetFaults() { faults_->Reset(); }
int64_t ApiServer::resource_version() const { return store_->resource_version(); }
size_t ApiServer::watch_count() const { return hub_->watch_count(); }

absl::StatusOr<std::string> ApiServer::Call(absl::string_view method, absl::string_view path,
                                            absl::string_view body,
                                            absl::string_view content_type) {
  if (body.size() > kMaxRequestBodyBytes) return RequestEntityTooLargeError(kMaxRequestBodyBytes);
  HttpRequest request;
  request.method = std::string(method);
  SplitTarget(path, request.path, request.params);
  request.accept = "application/json";
  request.content_type = std::string(content_type);
  request.body = std::string(body);
  if (RestHandler::IsWatch(request)) {
    return absl::InvalidArgumentError("watches need an HTTP client");
  }
  HttpResponse response = handler_->Serve(request);
  if (response.code >= 400) return FromResponse(response);
  return response.body;
}

absl::StatusOr<std::string> ApiServer::GetJson(absl::string_view path) { return Call("GET", path); }

absl::StatusOr<std::string> ApiServer::CreateJson(absl::string_view collection_path,
                                                  absl::string_view json) {
  return Call("POST", collection_path, json);
}

absl::StatusOr<std::string> ApiServer::UpdateJson(absl::string_view path, absl::string_view json) {
  return Call("PUT", path, json);
}

absl::StatusOr<std::string> ApiServer::PatchJson(absl::string_view path,
                                                 absl::string_view merge_patch) {
  return Call("PATCH", path, merge_patch, "application/merge-patch+json");
}

absl::Status ApiServer::Delete(absl::string_view path) { return Call("DELETE", path).status(); }

}  // namespace raven::apiserver
