// The HTTP endpoints of a component's metrics and health, on cpp-httplib:
//
//   metrics address   GET /metrics  the registry rendered (text/plain; version=0.0.4)
//                     GET /healthz  the health callback: 200 "ok" (with ?verbose, "ok" and
//                                   its message), or 503 with its message
//                     plain HTTP, or HTTPS only when given a certificate and key
//   health address    GET /healthz  alone, plain HTTP (for kubelet probes: a port
//                     that exposes nothing else)
//   anything else     404
//
//   ServeOptions options{.metrics_address = "10.0.0.5:10272", .health_address = "10.0.0.5:10274"};
//   ASSIGN_OR_RETURN(std::unique_ptr<metrics::HttpServer> server,
//                    metrics::HttpServer::Start(options, &registry,
//                                               [&] { return metrics::Health{ready(), why()}; }));
//   server->port();   // the bound port (useful with ":0")
//   server->Stop();   // also on destruction
//
// Addresses: "host:port" or "[v6]:port"; port 0 binds an ephemeral port.
// There is no implicit "all interfaces": say 0.0.0.0 to mean it.
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
  std::string message;  // why not ok; when ok, what is worth knowing (role, warnings)
};
using HealthCheck = std::function<Health()>;

struct HostPort {
  std::string host;
  int port = 0;
};
// InvalidArgument unless "host:port" or "[v6]:port" with port 0..65535.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address);

// Where to serve; an empty address is not served.
struct ServeOptions {
  std::string metrics_address;  // /metrics and /healthz
  std::string health_address;   // /healthz alone, always plain HTTP
  // PEM files, both or neither (read at start): the metrics address speaks
  // HTTPS and nothing else.
  std::string tls_cert;
  std::string tls_key;

  bool enabled() const { return !metrics_address.empty() || !health_address.empty(); }
  // Completes addresses given without a host (":port") with `host`: flags
  // default to ":port" for "this component's own address", which is known
  // only at run time. IPv6 hosts get brackets.
  void SetDefaultHost(absl::string_view host);
};

class HttpServer {
 public:
  // Binds every address before returning (so a port in use or an unreadable
  // certificate is an error here) and serves each on a thread of its own.
  // `registry` must outlive the server; a null `health` always answers ok.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const ServeOptions& options,
                                                           const Registry* registry,
                                                           HealthCheck health = nullptr);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Bound ports; 0 for an address not served.
  int port() const { return metrics_.port; }
  int health_port() const { return health_.port; }
  // What is served where, for the log: "/metrics and /healthz on
  // https://10.0.0.5:10272, /healthz on http://10.0.0.5:10274".
  std::string Describe() const;
  // Stops accepting and joins the serving threads. Idempotent.
  void Stop();

 private:
  struct Listener {
    std::unique_ptr<httplib::Server> server;
    std::thread thread;
    std::string url;  // scheme://host:port, once bound
    int port = 0;
  };

  HttpServer();
  static absl::Status Listen(absl::string_view address, absl::string_view scheme,
                             Listener& listener);
  static void Stop(Listener& listener);

  Listener metrics_;
  Listener health_;
};

}  // namespace raven::metrics

#endif  // RAVEN_COMMON_METRICS_HTTP_SERVER_H_
