// The HTTP endpoint of a component's metrics and health, on cpp-httplib:
//
//   GET /metrics   the registry rendered (Content-Type text/plain; version=0.0.4)
//   GET /healthz   the health callback: 200 "ok", or 503 with its message
//   anything else  404
//
//   ASSIGN_OR_RETURN(std::unique_ptr<metrics::HttpServer> server,
//                    metrics::HttpServer::Start("0.0.0.0:10272", &registry,
//                                               [&] { return metrics::Health{ready(), why()}; }));
//   server->port();   // the bound port (useful with ":0")
//   server->Stop();   // also on destruction
//
// Addresses: "host:port", "[v6]:port", ":port" (all IPv4 interfaces); port 0
// binds an ephemeral port.
#ifndef RAVEN_COMMON_METRICS_HTTP_SERVER_H_
#define RAVEN_COMMON_METRICS_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/metrics/registry.h"

namespace httplib {
class Server;
}

namespace raven::metrics {

struct Health {
  bool ok = true;
  std::string message;  // why not ok
};
using HealthCheck = std::function<Health()>;

struct HostPort {
  std::string host;
  int port = 0;
};
// InvalidArgument unless "host:port", "[v6]:port" or ":port" with port 0..65535.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

class HttpServer {
 public:
  // Binds before returning (so a port in use is an error here) and serves on
  // a thread of its own. `registry` must outlive the server; a null
  // `health` always answers ok.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(absl::string_view address,
                                                           const Registry* registry,
                                                           HealthCheck health = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return port_; }
  // Stops accepting and joins the serving thread. Idempotent.
  void Stop();

 private:
  HttpServer() = default;

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace raven::metrics

#endif  // RAVEN_COMMON_METRICS_HTTP_SERVER_H_
