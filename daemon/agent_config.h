// Everything raven-agent is told at start; main.cc fills it from flags.
#ifndef RAVEN_DAEMON_AGENT_CONFIG_H_
#define RAVEN_DAEMON_AGENT_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/metrics/http_server.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/failover/liveness.h"
#include "daemon/model/desired_dataplane.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

struct AgentConfig {
  std::string node_name;
  std::string node_ip;
  // Gateways come from this JSON file when set, else from the Kubernetes API
  // (kubeconfig; empty: in-cluster service account, $KUBECONFIG, ~/.kube/config).
  std::string gateway_file;
  std::string kubeconfig;
  std::string lease_namespace = "raven-system";
  absl::Duration heartbeat_interval = absl::Seconds(1);
  absl::Duration heartbeat_lease_duration = absl::Seconds(2);
  absl::Duration watch_stale_after = absl::Seconds(10);
  metrics::ServeOptions http;  // /metrics and /healthz; no address: off
  std::vector<std::string> pod_interface_globs;
  // Devices besides the uplink that routes may send remote pools' traffic to
  // (the CNI's overlays): host egress goes on them too.
  std::vector<std::string> egress_device_globs;
  std::string uplink;  // empty: the interface holding node_ip
  std::string bpffs_dir = "/sys/fs/bpf/raven";
  std::string state_dir = "/var/lib/raven";

  std::string wireguard_device = "raven-wg0";
  uint16_t wireguard_port = 4500;
  wg::BackendOptions wireguard_backend;

  std::string vxlan_device = "raven-vx0";
  uint16_t vxlan_port = 4472;
  uint32_t vxlan_vni = 200;
  uint32_t tunnel_mark = bpf::kDefaultTunnelMark;

  DataplaneOptions dataplane;
  absl::Duration resync_interval = absl::Seconds(30);
  absl::Duration health_interval = absl::Seconds(1);  // dataplane self-check
  // Gateway liveness echoes (failover/liveness.h); a zero interval turns
  // them off (failover waits for the controller's Lease).
  failover::LivenessOptions liveness;

  std::string key_file() const { return state_dir + "/wireguard.key"; }
  std::string tc_state_file() const { return state_dir + "/tc-hooks"; }
};

}  // namespace raven

#endif  // RAVEN_DAEMON_AGENT_CONFIG_H_
