// raven's Kubernetes API server for tests and the lab: the REST semantics
// the agent, the controller and kubectl rely on (discovery, CRUD, merge
// patch, status subresource, list/watch with resourceVersion, bookmarks and
// 410 Expired, selectors, Tables for `kubectl get`), for core/v1 nodes,
// namespaces and events, coordination.k8s.io/v1 leases,
// apiextensions.k8s.io/v1 CRDs and the custom resources they define.
// State lives in memory only. Fault injection lets tests break it on purpose.
//
//   ApiServerOptions options;            // 127.0.0.1, ephemeral port, HTTP
//   options.token = "secret";
//   ASSIGN_OR_RETURN(auto server, ApiServer::Start(options));
//   httplib::Client client(server->base_url());
//   ...
//   server->DropAllWatches();            // every open watch is cut off
#ifndef RAVEN_LAB_APISERVER_APISERVER_H_
#define RAVEN_LAB_APISERVER_APISERVER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace raven::apiserver {

class Faults;
class RestHandler;
class Store;
class WatchHub;
struct HttpRequest;

struct ApiServerOptions {
  std::string bind = "127.0.0.1";
  int port = 0;  // 0: an ephemeral port, see ApiServer::port()
  // PEM files; both empty: plain HTTP.
  std::string cert_file;
  std::string key_file;
  // Bearer token every request must carry (except /healthz, /livez,
  // /readyz); empty: no authentication.
  std::string token;
  absl::Duration bookmark_interval = absl::Seconds(1);
  // Changes kept for watches from an older resourceVersion; older ones get 410.
  size_t history_limit = 10000;
  // Events queued for one watch before it is closed as too slow.
  size_t watch_queue_limit = 10000;
  // Upper bound (and default) for a watch's timeoutSeconds.
  absl::Duration max_watch_timeout = absl::Minutes(30);
  // A watch from resourceVersion "" or "0" starts "from now"; with this set
  // it first gets ADDED events for the current objects, as kube-apiserver.
  bool watch_sends_initial_state = false;
  // Threads serving connections; every open watch holds one.
  int worker_threads = 64;
  bool log_requests = false;  // one kDebug log line per request
};

class ApiServer {
 public:
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(const ApiServerOptions& options);
  ~ApiServer();  // ends every watch and stops serving

  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port>" or "https://...".
  std::string base_url() const;

  // ---- fault injection (also POST /debug/faults/..., see README.md)
  void DropAllWatches();                     // cut every open watch stream now
  void FailNext(int count, int code = 500);  // the next `count` requests fail with `code`
  void Compact();                            // forget history: older watches get 410 Expired
  void SetLatency(absl::Duration latency);   // delay every request
  void ResetFaults();                        // no pending failures, no latency

  // ---- direct access: in-process requests, without authentication, faults
  // or latency, but with the size limits of size_limits.h. `path` may carry a
  // query ("/api/v1/nodes?labelSelector=a=b"). A Kubernetes failure becomes
  // an absl::Status (NotFound, AlreadyExists, Aborted for 409 Conflict,
  // InvalidArgument for 400/422, OutOfRange for 410, ResourceExhausted for
  // 413, Internal for 500) whose message is the Status object's message.
  absl::StatusOr<std::string> Call(absl::string_view method, absl::string_view path,
                                   absl::string_view body = "",
                                   absl::string_view content_type = "application/json");
  absl::StatusOr<std::string> GetJson(absl::string_view path);
  absl::StatusOr<std::string> CreateJson(absl::string_view collection_path, absl::string_view json);
  absl::StatusOr<std::string> UpdateJson(absl::string_view path, absl::string_view json);
  absl::StatusOr<std::string> PatchJson(absl::string_view path, absl::string_view merge_patch);
  absl::Status Delete(absl::string_view path);

  int64_t resource_version() const;  // the current global resourceVersion
  size_t watch_count() const;        // open watch streams

 private:
  explicit ApiServer(const ApiServerOptions& options);
  absl::Status Listen();
  void Route();
  // Answers a request whose body has been read (or failed to be).
  void Serve(const httplib::Request& req, absl::StatusOr<std::string> body, httplib::Response& res);
  // Authentication, admin endpoints and injected faults; true when it answered.
  bool Intercept(const httplib::Request& req, httplib::Response& res);
  // Answers /debug/faults/* (after authentication).
  std::string Admin(const HttpRequest& request, int& code);

  const ApiServerOptions options_;
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Faults> faults_;
  std::unique_ptr<RestHandler> handler_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_APISERVER_H_
