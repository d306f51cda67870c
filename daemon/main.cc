// raven-agent: flags to AgentConfig, then start, run, or clean up.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "common/flag_names.h"
#include "common/logging.h"
#include "daemon/agent_runtime.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/libbpf_logging.h"
#include "daemon/cleanup.h"
#include "daemon/wireguard/key_file.h"

ABSL_FLAG(std::string, node_name, "", "This node's name (default: $NODE_NAME)");
ABSL_FLAG(std::string, node_ip, "", "This node's IP (default: $NODE_IP)");
ABSL_FLAG(std::string, gateway_file, "",
          "JSON file of Gateway objects (CRD format), watched; instead of the Kubernetes API");
ABSL_FLAG(std::string, kubeconfig, "",
          "kubeconfig for the API server (default: in-cluster service account, $KUBECONFIG, "
          "~/.kube/config)");
ABSL_FLAG(std::string, namespace, "raven-system", "Namespace of the heartbeat Leases");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(1), "How often the Lease is renewed");
ABSL_FLAG(absl::Duration, heartbeat_lease_duration, absl::Seconds(2),
          "leaseDurationSeconds of the heartbeat Lease: silence for this long fails the node over");
ABSL_FLAG(absl::Duration, watch_stale_after, absl::Seconds(10),
          "A Gateway watch failing this long makes /healthz fail (the dataplane is kept)");
ABSL_FLAG(std::string, metrics_address, ":10273",
          "host:port of /metrics and /healthz; no host: the node IP (--node-ip); empty: off");
ABSL_FLAG(std::string, health_address, "",
          "host:port of /healthz alone, plain HTTP, for kubelet probes; no host: the node IP; "
          "empty: off");
ABSL_FLAG(std::string, metrics_tls_cert, "",
          "PEM certificate file: --metrics-address serves HTTPS only (needs --metrics-tls-key)");
ABSL_FLAG(std::string, metrics_tls_key, "", "PEM private key file of --metrics-tls-cert");
ABSL_FLAG(std::string, pod_interfaces, "",
          "Comma-separated globs of host-side pod interfaces, e.g. 'veth*,cali*'");
ABSL_FLAG(std::string, egress_devices, "flannel.1,flannel-v6.1,vxlan.calico,vxlan-v6.calico",
          "Comma-separated globs of Ethernet devices besides the uplink that routes may send "
          "remote pools' traffic to (the CNI's overlays, a second NIC); their egress is "
          "classified as the uplink's is. Empty: the uplink alone");
ABSL_FLAG(std::string, uplink, "", "Uplink interface (default: the one holding --node-ip)");
ABSL_FLAG(std::string, bpffs_dir, "/sys/fs/bpf/raven", "Where maps and programs are pinned");
ABSL_FLAG(std::string, state_dir, "/var/lib/raven", "Private key and agent state");
ABSL_FLAG(std::string, wireguard_device, "raven-wg0", "WireGuard interface name");
ABSL_FLAG(int, wireguard_port, 4500, "WireGuard UDP listen port");
ABSL_FLAG(std::string, wireguard_backend, "auto", "auto | kernel | userspace (wireguard-go)");
ABSL_FLAG(std::string, wireguard_go, "/usr/bin/wireguard-go", "wireguard-go binary");
ABSL_FLAG(std::string, vxlan_device, "raven-vx0", "VXLAN interface name");
ABSL_FLAG(int, vxlan_port, 4472, "VXLAN UDP port");
ABSL_FLAG(int, vxlan_vni, 200, "VXLAN network identifier");
ABSL_FLAG(int, tunnel_mark, raven::bpf::kDefaultTunnelMark,
          "fwmark of tunnel packets, never classified again; must leave kube-proxy's bits "
          "0xc000 clear");
ABSL_FLAG(bool, forward_node_ip, false, "Also route remote pools' node IPs");
ABSL_FLAG(int, nat_keepalive, 5, "Persistent keepalive (s) when this gateway is behind NAT");
ABSL_FLAG(int, nat_relay_port_base, 4600,
          "First UDP port of NAT relays: Gateway number i in name order is relayed to at this "
          "port + i; the same on every agent, open on gateways that can relay");
ABSL_FLAG(int, detour_relays, 2,
          "Each pair of gateways with a direct path keeps this many third Gateways' NAT relays "
          "ready, to detour through one when the direct path is down or clearly worse (0-8; "
          "0: no detours); the same on every agent");
ABSL_FLAG(int, resync_seconds, 30, "Full resync period");
ABSL_FLAG(int, echo_interval_ms, 50,
          "Liveness echoes to the active gateways this node depends on, every this many ms; "
          "0: none (a failover then waits for the controller's Lease)");
ABSL_FLAG(int, echo_silent_after_ms, 350,
          "An active gateway that answered and then is silent this long is passed over at once");
ABSL_FLAG(int, path_probe_interval_ms, 200,
          "A gateway measures the round-trip time and loss of its direct paths to the other "
          "Gateways with an echo every this many ms (20-10000; 0: not measured)");
ABSL_FLAG(std::string, log_level, "info", "debug | info | warning | error");
ABSL_FLAG(bool, show_public_key, false, "Print the WireGuard public key (creating it) and exit");
ABSL_FLAG(bool, cleanup, false, "Remove everything the agent created on this node and exit");

namespace {

std::string FlagOrEnv(const std::string& flag, const char* env) {
  if (!flag.empty()) return flag;
  const char* value = std::getenv(env);
  return value ? value : "";
}

bool ValidPort(int port) { return port > 0 && port < 65536; }

}  // namespace

int main(int argc, char** argv) {
  raven::ParseFlags(argc, argv,
                    "Raven node agent (eBPF + WireGuard dataplane between node pools), one per "
                    "node. Usage: raven-agent --node-name=NAME --node-ip=IP [--kubeconfig=FILE | "
                    "--gateway-file=FILE] [flags]");

  raven::LogLevel level;
  if (!raven::ParseLogLevel(absl::GetFlag(FLAGS_log_level), level)) {
    std::fprintf(stderr, "raven-agent: --log_level must be debug, info, warning or error\n");
    return 2;
  }
  raven::SetMinLogLevel(level);
  raven::bpf::ForwardLibbpfLogs();

  raven::AgentConfig config;
  config.node_name = FlagOrEnv(absl::GetFlag(FLAGS_node_name), "NODE_NAME");
  config.node_ip = FlagOrEnv(absl::GetFlag(FLAGS_node_ip), "NODE_IP");
  config.gateway_file = absl::GetFlag(FLAGS_gateway_file);
  config.kubeconfig = absl::GetFlag(FLAGS_kubeconfig);
  config.lease_namespace = absl::GetFlag(FLAGS_namespace);
  config.heartbeat_interval = absl::GetFlag(FLAGS_heartbeat_interval);
  config.heartbeat_lease_duration = absl::GetFlag(FLAGS_heartbeat_lease_duration);
  config.watch_stale_after = absl::GetFlag(FLAGS_watch_stale_after);
  config.http.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  config.http.health_address = absl::GetFlag(FLAGS_health_address);
  config.http.tls_cert = absl::GetFlag(FLAGS_metrics_tls_cert);
  config.http.tls_key = absl::GetFlag(FLAGS_metrics_tls_key);
  config.http.SetDefaultHost(config.node_ip);
  config.pod_interface_globs =
      absl::StrSplit(absl::GetFlag(FLAGS_pod_interfaces), ',', absl::SkipWhitespace());
  config.egress_device_globs =
      absl::StrSplit(absl::GetFlag(FLAGS_egress_devices), ',', absl::SkipWhitespace());
  config.uplink = absl::GetFlag(FLAGS_uplink);
  config.bpffs_dir = absl::GetFlag(FLAGS_bpffs_dir);
  config.state_dir = absl::GetFlag(FLAGS_state_dir);
  config.wireguard_device = absl::GetFlag(FLAGS_wireguard_device);
  config.wireguard_backend.mode = absl::GetFlag(FLAGS_wireguard_backend);
  config.wireguard_backend.wireguard_go = absl::GetFlag(FLAGS_wireguard_go);
  config.vxlan_device = absl::GetFlag(FLAGS_vxlan_device);
  config.vxlan_vni = static_cast<uint32_t>(absl::GetFlag(FLAGS_vxlan_vni));
  config.tunnel_mark = static_cast<uint32_t>(absl::GetFlag(FLAGS_tunnel_mark));
  config.dataplane.forward_node_ip = absl::GetFlag(FLAGS_forward_node_ip);
  config.dataplane.nat_keepalive_seconds = absl::GetFlag(FLAGS_nat_keepalive);
  config.resync_interval = absl::Seconds(absl::GetFlag(FLAGS_resync_seconds));
  config.liveness.interval = absl::Milliseconds(absl::GetFlag(FLAGS_echo_interval_ms));
  config.liveness.silent_after = absl::Milliseconds(absl::GetFlag(FLAGS_echo_silent_after_ms));
  config.liveness.measure_interval =
      absl::Milliseconds(absl::GetFlag(FLAGS_path_probe_interval_ms));
  const int wg_port = absl::GetFlag(FLAGS_wireguard_port);
  const int vx_port = absl::GetFlag(FLAGS_vxlan_port);
  const int relay_base = absl::GetFlag(FLAGS_nat_relay_port_base);
  if (!ValidPort(wg_port) || !ValidPort(vx_port) || !ValidPort(relay_base) || wg_port == vx_port ||
      (wg_port >= relay_base && wg_port < relay_base + 256) ||
      (vx_port >= relay_base && vx_port < relay_base + 256)) {
    std::fprintf(stderr,
                 "raven-agent: ports must be distinct and in 1..65535, and the WireGuard and "
                 "VXLAN ports outside --nat-relay-port-base .. +255\n");
    return 2;
  }
  if (config.liveness.interval < absl::ZeroDuration() ||
      (config.liveness.interval > absl::ZeroDuration() &&
       (config.liveness.silent_after < 2 * config.liveness.interval ||
        config.liveness.silent_after > 30 * config.liveness.interval))) {
    std::fprintf(stderr,
                 "raven-agent: --echo-interval-ms must be 0 (off) or positive, and "
                 "--echo-silent-after-ms at least twice it (one lost echo is no death) and at "
                 "most 30 times it (the echoes a node remembers per endpoint)\n");
    return 2;
  }
  if (const absl::Duration probe = config.liveness.measure_interval;
      probe != absl::ZeroDuration() &&
      (probe < absl::Milliseconds(20) || probe > absl::Seconds(10))) {
    std::fprintf(stderr, "raven-agent: --path-probe-interval-ms must be 0 (off) or 20-10000\n");
    return 2;
  }
  config.dataplane.detour_relays = absl::GetFlag(FLAGS_detour_relays);
  if (config.dataplane.detour_relays < 0 || config.dataplane.detour_relays > 8) {
    std::fprintf(stderr, "raven-agent: --detour-relays must be 0-8\n");
    return 2;
  }
  if (!raven::bpf::UsableTunnelMark(config.tunnel_mark)) {
    std::fprintf(stderr,
                 "raven-agent: --tunnel-mark must be nonzero and leave 0xc000 clear (kube-proxy "
                 "masquerades or drops packets with those bits)\n");
    return 2;
  }
  config.wireguard_port = static_cast<uint16_t>(wg_port);
  config.vxlan_port = static_cast<uint16_t>(vx_port);
  config.dataplane.relay_port_base = static_cast<uint16_t>(relay_base);

  if (absl::GetFlag(FLAGS_show_public_key)) {
    if (mkdir(config.state_dir.c_str(), 0700) != 0 && errno != EEXIST) {
      std::perror(("raven-agent: create " + config.state_dir).c_str());
      return 1;
    }
    auto keys = raven::wg::LoadOrCreateKeyFile(config.key_file());
    if (!keys.ok()) {
      RAVEN_LOG(kError, keys.status().message());
      return 1;
    }
    std::printf("%s\n", keys->public_key.ToBase64().c_str());
    return 0;
  }
  if (absl::GetFlag(FLAGS_cleanup)) return raven::CleanupNode(config).ok() ? 0 : 1;

  if (config.node_name.empty() || config.node_ip.empty()) {
    std::fprintf(stderr,
                 "raven-agent: --node_name and --node_ip (or $NODE_NAME, $NODE_IP) are required\n");
    return 2;
  }
  if (config.heartbeat_interval <= absl::ZeroDuration() ||
      config.heartbeat_lease_duration < 2 * config.heartbeat_interval) {
    std::fprintf(stderr,
                 "raven-agent: --heartbeat_lease_duration must be at least twice "
                 "--heartbeat_interval\n");
    return 2;
  }
  auto agent = raven::AgentRuntime::Start(config);
  if (!agent.ok()) {
    RAVEN_LOG(kError, "start: ", agent.status().message());
    return 1;
  }
  absl::Status st = (*agent)->Run();
  if (!st.ok()) {
    RAVEN_LOG(kError, st.message());
    return 1;
  }
  return 0;
}
