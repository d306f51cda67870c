// The node's two tunnel devices: WireGuard (to remote pools) and a VXLAN
// device in collect-metadata mode (to the pool's gateway). Creates them when
// missing and sets MTUs that account for their overhead.
#ifndef RAVEN_DAEMON_TUNNEL_DEVICES_H_
#define RAVEN_DAEMON_TUNNEL_DEVICES_H_

#include "absl/status/statusor.h"
#include "daemon/agent_config.h"
#include "daemon/model/desired_dataplane.h"
#include "daemon/wireguard/keys.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

// Outer IPv6 + UDP + WireGuard header and tag: the worst case, as wg-quick assumes.
inline constexpr int kWireGuardOverhead = 80;
// Outer IP + UDP + VXLAN + inner Ethernet.
inline constexpr int kVxlanOverheadV4 = 50;
inline constexpr int kVxlanOverheadV6 = 70;

struct UplinkInfo {
  std::string name;
  int mtu = 0;
  bool ipv6 = false;  // the node IP is IPv6, so VXLAN runs over IPv6
};

absl::StatusOr<UplinkInfo> FindUplink(const AgentConfig& config);

// Ensures both devices exist, are up, have their MTUs and a reverse-path
// filter that accepts traffic from remote pools. Returns their ifindexes and
// the path MTU for the MSS clamp.
absl::StatusOr<DataplaneDevices> EnsureTunnelDevices(const AgentConfig& config,
                                                     const UplinkInfo& uplink,
                                                     const wg::Key& private_key,
                                                     wg::WireGuardDevice& wireguard);

}  // namespace raven

#endif  // RAVEN_DAEMON_TUNNEL_DEVICES_H_
