#include "common/metrics/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/poll.h"
#include "common/status_macros.h"

namespace raven::metrics {
namespace {

std::string JoinHostPort(absl::string_view host, absl::string_view port) {
  if (host.find(':') != absl::string_view::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

void ServeHealth(const HealthCheck& health, const httplib::Request& req, httplib::Response& res) {
  Health h = health ? health() : Health{};
  if (h.ok) {
    // Kubernetes components answer a bare "ok"; ?verbose adds the detail.
    bool verbose = req.has_param("verbose") && !h.message.empty();
    res.set_content(verbose ? absl::StrCat("ok\n", h.message, "\n") : "ok", "text/plain");
  } else {
    res.status = 503;
    res.set_content(h.message.empty() ? "unhealthy" : h.message, "text/plain");
  }
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(absl::string_view address) {
  HostPort out;
  absl::string_view port;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == absl::string_view::npos || close + 1 >= address.size() ||
        address[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\": expected [v6]:port"));
    }
    out.host = std::string(address.substr(1, close - 1));
    port = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\": expected host:port"));
    }
    out.host = std::string(address.substr(0, colon));
    port = address.substr(colon + 1);
    if (out.host.find(':') != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("address \"", address, "\": bracket IPv6 hosts ([::1]:port)"));
    }
  }
  if (out.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("address \"", address, "\": no host (0.0.0.0 for all interfaces)"));
  }
  if (!absl::SimpleAtoi(port, &out.port) || out.port < 0 || out.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\": bad port"));
  }
  return out;
}

void ServeOptions::SetDefaultHost(absl::string_view host) {
  for (std::string* address : {&metrics_address, &health_address}) {
    if (!address->empty() && address->front() == ':') {
      *address = JoinHostPort(host, absl::string_view(*address).substr(1));
    }
  }
}

HttpServer::HttpServer() = default;

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const ServeOptions& options,
                                                              const Registry* registry,
                                                              HealthCheck health) {
  if (!options.enabled()) return absl::InvalidArgumentError("metrics: no address to serve");
  if (options.tls_cert.empty() != options.tls_key.empty()) {
    return absl::InvalidArgumentError("metrics: TLS needs both a certificate and a key");
  }
  const bool tls = !options.tls_cert.empty();
  if (tls && options.metrics_address.empty()) {
    return absl::InvalidArgumentError("metrics: a TLS certificate but no metrics address");
  }
  std::unique_ptr<HttpServer> s(new HttpServer());
  if (!options.metrics_address.empty()) {
    if (tls) {
      s->metrics_.server =
          std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
      if (!s->metrics_.server->is_valid()) {
        return absl::InvalidArgumentError(absl::StrCat("metrics: cannot load TLS certificate ",
                                                       options.tls_cert, " and key ",
                                                       options.tls_key));
      }
    } else {
      s->metrics_.server = std::make_unique<httplib::Server>();
    }
    s->metrics_.server->Get("/metrics",
                            [registry](const httplib::Request&, httplib::Response& res) {
                              res.set_content(registry->Render(), kContentType);
                            });
    s->metrics_.server->Get("/healthz",
                            [health](const httplib::Request& req, httplib::Response& res) {
                              ServeHealth(health, req, res);
                            });
    RETURN_IF_ERROR(Listen(options.metrics_address, tls ? "https" : "http", s->metrics_));
  }
  if (!options.health_address.empty()) {
    s->health_.server = std::make_unique<httplib::Server>();
    s->health_.server->Get("/healthz",
                           [health](const httplib::Request& req, httplib::Response& res) {
                             ServeHealth(health, req, res);
                           });
    RETURN_IF_ERROR(Listen(options.health_address, "http", s->health_));
  }
  return s;
}

absl::Status HttpServer::Listen(absl::string_view address, absl::string_view scheme,
                                Listener& listener) {
  absl::StatusOr<HostPort> hp = ParseHostPort(address);
  if (!hp.ok()) return hp.status();
  httplib::Server* server = listener.server.get();
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a
  // second process bind the same port silently.
  server->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  int port = hp->port;
  if (port == 0) {
    port = server->bind_to_any_port(hp->host);
  } else if (!server->bind_to_port(hp->host, port)) {
    port = 0;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", address));
  }
  listener.port = port;
  listener.url = absl::StrCat(scheme, "://", JoinHostPort(hp->host, absl::StrCat(port)));
  listener.thread = std::thread([server] { server->listen_after_bind(); });
  // httplib's stop() is a no-op until the loop runs: wait for it, so that a
  // Stop() right after Start() cannot leave the thread serving forever.
  PollUntil([&] { return server->is_running(); }, absl::Seconds(5), absl::Milliseconds(1));
  return absl::OkStatus();
}

std::string HttpServer::Describe() const {
  std::vector<std::string> parts;
  if (metrics_.port > 0) parts.push_back(absl::StrCat("/metrics and /healthz on ", metrics_.url));
  if (health_.port > 0) parts.push_back(absl::StrCat("/healthz on ", health_.url));
  return absl::StrJoin(parts, ", ");
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  Stop(metrics_);
  Stop(health_);
}

void HttpServer::Stop(Listener& listener) {
  if (listener.server) listener.server->stop();
  if (listener.thread.joinable()) listener.thread.join();
}

}  // namespace raven::metrics
