// raven-controller: flags to ControllerConfig, then run until SIGTERM/SIGINT.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/flag_names.h"
#include "common/kube/config.h"
#include "common/kube/rest_client.h"
#include "common/logging.h"
#include "common/metrics/http_server.h"
#include "common/metrics/registry.h"
#include "common/raven_annotations.h"
#include "controller/controller.h"

ABSL_FLAG(std::string, kubeconfig, "",
          "kubeconfig file; empty: $KUBECONFIG, in-cluster, then ~/.kube/config");
ABSL_FLAG(std::string, namespace, raven::kDefaultRavenNamespace,
          "Namespace of the agents' heartbeat Leases and of the leader-election Lease");
ABSL_FLAG(bool, leader_elect, true, "Run leader election (only the leader writes)");
ABSL_FLAG(absl::Duration, leader_elect_lease_duration, absl::Seconds(15),
          "How long a standby waits after the leader's last renewal before taking over");
ABSL_FLAG(absl::Duration, leader_elect_renew_deadline, absl::Seconds(10),
          "How long the leader keeps leading without a successful renewal");
ABSL_FLAG(absl::Duration, leader_elect_retry_period, absl::Seconds(2),
          "Between acquire/renew attempts");
ABSL_FLAG(std::string, leader_elect_lease_name, "raven-controller", "Leader-election Lease name");
ABSL_FLAG(std::string, identity, "", "This replica's identity (default: hostname_pid)");
ABSL_FLAG(absl::Duration, resync_period, absl::Seconds(30),
          "Full reconcile pass at least this often");
ABSL_FLAG(std::string, metrics_address, ":10272",
          "host:port serving /metrics and /healthz; no host: $POD_IP, else 127.0.0.1; empty "
          "disables");
ABSL_FLAG(std::string, health_address, "",
          "host:port serving /healthz alone, plain HTTP, for kubelet probes; no host: $POD_IP, "
          "else 127.0.0.1; empty disables");
ABSL_FLAG(std::string, metrics_tls_cert, "",
          "PEM certificate file: --metrics-address serves HTTPS only (needs --metrics-tls-key)");
ABSL_FLAG(std::string, metrics_tls_key, "", "PEM private key file of --metrics-tls-cert");
ABSL_FLAG(std::string, event_namespace, "default", "Namespace of Events about Gateways");
ABSL_FLAG(absl::Duration, heartbeat_skew_allowance, absl::Seconds(5),
          "At start, a heartbeat Lease renewed longer ago than its duration plus this is stale");
ABSL_FLAG(int, nat_relay_port_base, 4600,
          "The agents' --nat-relay-port-base: a LoadBalancer Gateway's Service exposes this "
          "port + i for Gateway number i in name order");
ABSL_FLAG(std::string, log_level, "info", "debug | info | warning | error");

namespace {

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "unknown";
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  raven::ParseFlags(argc, argv,
                    "Raven gateway controller (elects each Gateway's active endpoints; replicas "
                    "elect a leader). Usage: raven-controller [--kubeconfig=FILE] [flags]");

  raven::LogLevel level;
  if (!raven::ParseLogLevel(absl::GetFlag(FLAGS_log_level), level)) {
    std::fprintf(stderr, "raven-controller: --log_level must be debug, info, warning or error\n");
    return 2;
  }
  raven::SetMinLogLevel(level);

  // Signals are taken by sigwait below; every thread started later inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  raven::controller::ControllerConfig config;
  config.ns = absl::GetFlag(FLAGS_namespace);
  config.event_namespace = absl::GetFlag(FLAGS_event_namespace);
  config.leader_elect = absl::GetFlag(FLAGS_leader_elect);
  config.election.lease_name = absl::GetFlag(FLAGS_leader_elect_lease_name);
  config.election.identity = absl::GetFlag(FLAGS_identity);
  if (config.election.identity.empty()) {
    config.election.identity = absl::StrCat(Hostname(), "_", getpid());
  }
  config.election.lease_duration = absl::GetFlag(FLAGS_leader_elect_lease_duration);
  config.election.renew_deadline = absl::GetFlag(FLAGS_leader_elect_renew_deadline);
  config.election.retry_period = absl::GetFlag(FLAGS_leader_elect_retry_period);
  config.resync_period = absl::GetFlag(FLAGS_resync_period);
  config.relay_port_base = absl::GetFlag(FLAGS_nat_relay_port_base);
  if (config.relay_port_base < 1 || config.relay_port_base > 65535 - 255) {
    std::fprintf(stderr, "raven-controller: --nat-relay-port-base must be in 1..65280\n");
    return 2;
  }
  config.heartbeat.skew_allowance = absl::GetFlag(FLAGS_heartbeat_skew_allowance);
  config.host = Hostname();

  absl::StatusOr<raven::kube::ClientConfig> kube_config =
      raven::kube::LoadDefault(absl::GetFlag(FLAGS_kubeconfig));
  if (!kube_config.ok()) {
    RAVEN_LOG(kError, "kubeconfig: ", kube_config.status().message());
    return 1;
  }
  RAVEN_LOG(kInfo, "API server ", kube_config->server, " (", kube_config->source, ")");
  absl::StatusOr<std::unique_ptr<raven::kube::RestClient>> rest =
      raven::kube::RestClient::Create(*kube_config);
  if (!rest.ok()) {
    RAVEN_LOG(kError, "API client: ", rest.status().message());
    return 1;
  }

  raven::metrics::Registry registry;
  absl::StatusOr<std::unique_ptr<raven::controller::Controller>> controller =
      raven::controller::Controller::Create(rest->get(), config, &registry);
  if (!controller.ok()) {
    RAVEN_LOG(kError, controller.status().message());
    return 2;
  }
  std::unique_ptr<raven::metrics::HttpServer> metrics_server;
  raven::metrics::ServeOptions serve{.metrics_address = absl::GetFlag(FLAGS_metrics_address),
                                     .health_address = absl::GetFlag(FLAGS_health_address),
                                     .tls_cert = absl::GetFlag(FLAGS_metrics_tls_cert),
                                     .tls_key = absl::GetFlag(FLAGS_metrics_tls_key)};
  const char* pod_ip = std::getenv("POD_IP");
  serve.SetDefaultHost(pod_ip != nullptr && *pod_ip != '\0' ? pod_ip : "127.0.0.1");
  if (serve.enabled()) {
    raven::controller::Controller* c = controller->get();
    absl::StatusOr<std::unique_ptr<raven::metrics::HttpServer>> server =
        raven::metrics::HttpServer::Start(serve, &registry, [c] { return c->Health(); });
    if (!server.ok()) {
      RAVEN_LOG(kError, server.status().message());
      return 1;
    }
    metrics_server = *std::move(server);
    RAVEN_LOG(kInfo, "serving ", metrics_server->Describe());
  }
  RAVEN_LOG(kInfo, "starting as ", config.election.identity, " (namespace ", config.ns,
            config.leader_elect ? ", leader election on)" : ", leader election off)");
  (*controller)->Start();

  int sig = 0;
  sigwait(&signals, &sig);
  RAVEN_LOG(kInfo, "signal ", sig, ": stopping");
  (*controller)->Stop();
  if (metrics_server) metrics_server->Stop();
  return 0;
}
