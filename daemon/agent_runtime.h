// raven-agent as a process: builds the real parts the Agent drives (BPF
// programs and maps, the WireGuard device, the node's devices and program
// attachments, the Gateway source, the heartbeat, /metrics and /healthz)
// and runs the poll loop that calls the Agent on events and timers: Gateway
// changes, link changes, the 1 s dataplane self-check, the handshake
// watchdog's kicks and a periodic resync as a safety net.
#ifndef RAVEN_DAEMON_AGENT_RUNTIME_H_
#define RAVEN_DAEMON_AGENT_RUNTIME_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/kube/clock.h"
#include "common/kube/rest_client.h"
#include "common/metrics/http_server.h"
#include "common/metrics/registry.h"
#include "daemon/agent.h"
#include "daemon/agent_config.h"
#include "daemon/agent_metrics.h"
#include "daemon/agent_status.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/relay_members.h"
#include "daemon/bpf/route_table.h"
#include "daemon/cluster/heartbeat.h"
#include "daemon/failover/echo_socket.h"
#include "daemon/failover/liveness.h"
#include "daemon/gateway_source.h"
#include "daemon/kernel_node.h"
#include "daemon/nat_relay/nat_relay_service.h"
#include "daemon/wireguard/keys.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

class AgentRuntime {
 public:
  static absl::StatusOr<std::unique_ptr<AgentRuntime>> Start(const AgentConfig& config);
  ~AgentRuntime();

  // Runs until SIGTERM or SIGINT. Leaves the dataplane in place on exit: a
  // restarted agent takes over without a gap; --cleanup removes it.
  absl::Status Run();

 private:
  explicit AgentRuntime(AgentConfig config) : config_(std::move(config)) {}
  // The Gateway source and heartbeat the config asks for.
  absl::Status ConnectCluster();
  // Reads the echo replies waiting, sends the echoes due and hands the
  // silent endpoints to the agent; the time it wants to run again.
  absl::Time RunLiveness();

  const AgentConfig config_;
  kube::RealClock clock_;
  wg::KeyPair keys_;
  std::unique_ptr<bpf::DataplanePrograms> programs_;
  std::unique_ptr<wg::WireGuardDevice> wireguard_;
  std::unique_ptr<bpf::BpfRouteTable> routes_;
  std::unique_ptr<bpf::BpfRelayMembers> members_;
  std::unique_ptr<KernelNode> node_;
  std::unique_ptr<nat_relay::NatRelayService> nat_relay_;
  std::unique_ptr<failover::Liveness> liveness_;  // null when echoes are off
  std::unique_ptr<failover::EchoSocket> echoes_;  // with liveness_
  AgentStatus status_;
  std::unique_ptr<kube::RestClient> rest_;  // null with a Gateway file
  std::unique_ptr<GatewaySource> source_;
  std::unique_ptr<Agent> agent_;
  std::unique_ptr<Heartbeat> heartbeat_;  // after agent_: it asks it whether to renew
  metrics::Registry registry_;
  std::unique_ptr<AgentMetrics> metrics_;
  std::unique_ptr<metrics::HttpServer> http_;  // last: stops first
};

}  // namespace raven

#endif  // RAVEN_DAEMON_AGENT_RUNTIME_H_
