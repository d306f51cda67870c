// raven-agent's long-running part: sets the node up, then keeps the dataplane
// equal to what the Gateways say, reacting to file changes, links that come
// and go, and a periodic resync as a safety net.
#ifndef RAVEN_DAEMON_AGENT_H_
#define RAVEN_DAEMON_AGENT_H_

#include <memory>

#include "absl/status/statusor.h"
#include "daemon/agent_config.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/route_table.h"
#include "daemon/bpf/tc_attach.h"
#include "daemon/interface_attacher.h"
#include "daemon/model/gateway_store.h"
#include "daemon/reconciler.h"
#include "daemon/tunnel_devices.h"
#include "daemon/wireguard/keys.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

class Agent {
 public:
  static absl::StatusOr<std::unique_ptr<Agent>> Start(const AgentConfig& config);

  // Runs until SIGTERM or SIGINT. Leaves the dataplane in place on exit: a
  // restarted agent takes over without a gap; --cleanup removes it.
  absl::Status Run();

 private:
  Agent(AgentConfig config, wg::KeyPair keys, UplinkInfo uplink,
        std::unique_ptr<bpf::DataplanePrograms> programs,
        std::unique_ptr<wg::WireGuardDevice> wireguard);

  // Devices and program attachments, recreated if something removed them.
  absl::Status EnsureNode();
  // Re-reads the Gateway file and reconciles; bad input keeps the last good state.
  void Sync();

  AgentConfig config_;
  wg::KeyPair keys_;
  UplinkInfo uplink_;
  std::unique_ptr<bpf::DataplanePrograms> programs_;
  std::unique_ptr<wg::WireGuardDevice> wireguard_;
  bpf::TcAttacher tc_;
  bpf::BpfRouteTable route_table_;
  InterfaceAttacher attacher_;
  Reconciler reconciler_;
  GatewayStore store_{config_.node_name};
  DataplaneDevices devices_;
  NodeRole last_role_ = NodeRole::kNone;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_AGENT_H_
