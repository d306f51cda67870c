#include "common/metrics/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace raven::metrics {

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
  if (out.host.empty()) out.host = "0.0.0.0";
  if (!absl::SimpleAtoi(port, &out.port) || out.port < 0 || out.port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("address \"", address, "\": bad port"));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(absl::string_view address,
                                                              const Registry* registry,
                                                              HealthCheck health) {
  absl::StatusOr<HostPort> hp = ParseHostPort(address);
  if (!hp.ok()) return hp.status();
  std::unique_ptr<HttpServer> s(new HttpServer());
  s->server_ = std::make_unique<httplib::Server>();
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let a
  // second process bind the same port silently.
  s->server_->set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s->server_->Get("/metrics", [registry](const httplib::Request&, httplib::Response& res) {
    res.set_content(registry->Render(), kContentType);
  });
  s->server_->Get("/healthz", [health](const httplib::Request&, httplib::Response& res) {
    Health h = health ? health() : Health{};
    if (h.ok) {
      res.set_content("ok", "text/plain");
    } else {
      res.status = 503;
      res.set_content(h.message.empty() ? "unhealthy" : h.message, "text/plain");
    }
  });
  int port = hp->port;
  if (port == 0) {
    port = s->server_->bind_to_any_port(hp->host);
    if (port < 0) port = 0;
  } else if (!s->server_->bind_to_port(hp->host, port)) {
    port = 0;
  }
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("metrics: cannot listen on ", address));
  }
  s->port_ = port;
  httplib::Server* server = s->server_.get();
  s->thread_ = std::thread([server] { server->listen_after_bind(); });
  // httplib's stop() is a no-op until the loop runs: wait for it, so that a
  // Stop() right after Start() cannot leave the thread serving forever.
  for (int i = 0; i < 5000 && !server->is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  return s;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace raven::metrics
