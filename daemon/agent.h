// raven-agent's long-running part: sets the node up, then keeps the dataplane
// equal to what the Gateways say, reacting to Gateway changes (API watch or
// file), links that come and go, a 1 s dataplane self-check and a periodic
// resync as a safety net. With the API it also keeps the node's heartbeat
// Lease and Node annotations (daemon/cluster/heartbeat.h), and it serves
// /healthz and /metrics.
#ifndef RAVEN_DAEMON_AGENT_H_
#define RAVEN_DAEMON_AGENT_H_

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/kube/rest_client.h"
#include "common/metrics/http_server.h"
#include "common/metrics/registry.h"
#include "daemon/agent_config.h"
#include "daemon/agent_metrics.h"
#include "daemon/agent_status.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/relay_members.h"
#include "daemon/bpf/route_table.h"
#include "daemon/bpf/tc_attach.h"
#include "daemon/cluster/heartbeat.h"
#include "daemon/gateway_source.h"
#include "daemon/interface_attacher.h"
#include "daemon/model/gateway_store.h"
#include "daemon/reconciler.h"
#include "daemon/tunnel_devices.h"
#include "daemon/wireguard/handshake_watchdog.h"
#include "daemon/wireguard/keys.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

class Agent {
 public:
  static absl::StatusOr<std::unique_ptr<Agent>> Start(const AgentConfig& config);
  ~Agent();

  // Runs until SIGTERM or SIGINT. Leaves the dataplane in place on exit: a
  // restarted agent takes over without a gap; --cleanup removes it.
  absl::Status Run();

 private:
  Agent(AgentConfig config, wg::KeyPair keys, UplinkInfo uplink,
        std::unique_ptr<bpf::DataplanePrograms> programs,
        std::unique_ptr<wg::WireGuardDevice> wireguard);

  // The Gateway source, heartbeat and HTTP endpoint the config asks for.
  absl::Status ConnectCluster();
  // Devices and program attachments, recreated if something removed them.
  absl::Status EnsureNode();
  // Checks programs and devices, reads WireGuard peer state; repairs what is
  // missing. Updates status_.
  void CheckDataplane();
  // Reads the Gateways and reconciles; bad input keeps the last good state.
  void Sync();
  // Re-creates the WireGuard peers whose handshake stalls (handshake_watchdog.h)
  // and arms kick_timer_fd_ for the next kick.
  void WatchHandshakes(const std::vector<wg::PeerStatus>& peers);

  AgentConfig config_;
  wg::KeyPair keys_;
  UplinkInfo uplink_;
  std::unique_ptr<bpf::DataplanePrograms> programs_;
  std::unique_ptr<wg::WireGuardDevice> wireguard_;
  bpf::TcAttacher tc_;
  bpf::BpfRouteTable route_table_;
  bpf::BpfRelayMembers relay_members_;
  InterfaceAttacher attacher_;
  Reconciler reconciler_;
  GatewayStore store_{config_.node_name};
  DataplaneDevices devices_;
  NodeRole last_role_ = NodeRole::kNone;
  std::map<std::string, std::string> peer_gateways_;  // WireGuard public key -> remote Gateway
  std::map<wg::Key, DesiredPeer> peer_plans_;         // the peers of the last Sync
  wg::HandshakeWatchdog watchdog_;
  int kick_timer_fd_ = -1;  // owned by Run()
  std::string last_read_error_;

  AgentStatus status_;
  std::unique_ptr<kube::RestClient> rest_;  // null with a Gateway file
  std::unique_ptr<GatewaySource> source_;
  std::unique_ptr<Heartbeat> heartbeat_;
  metrics::Registry registry_;
  std::unique_ptr<AgentMetrics> metrics_;
  std::unique_ptr<metrics::HttpServer> http_;  // last: stops first
};

}  // namespace raven

#endif  // RAVEN_DAEMON_AGENT_H_
