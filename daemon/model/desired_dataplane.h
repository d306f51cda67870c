// What this node's dataplane should be, computed from all Gateways: its role,
// the remote prefixes and where each goes, and the WireGuard peers. Pure: no
// I/O, so every rule is unit-tested.
#ifndef RAVEN_DAEMON_MODEL_DESIRED_DATAPLANE_H_
#define RAVEN_DAEMON_MODEL_DESIRED_DATAPLANE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/gateway.h"
#include "common/ip_prefix.h"

namespace raven {

enum class NodeRole {
  kNone,     // in no Gateway, or its Gateway has no usable active endpoint: no routes
  kGateway,  // the active tunnel endpoint of its pool: WireGuard to remote gateways
  kMember,   // another node of the pool: relays through VXLAN to the pool's gateway
};
const char* NodeRoleName(NodeRole role);

struct DataplaneOptions {
  std::string public_key;        // this node's WireGuard public key (base64)
  bool forward_node_ip = false;  // remote node IPs become prefixes too
  // Persistent keepalive of every peer: short behind NAT, to keep the mapping
  // open; otherwise WireGuard's usual 25 s, so that sessions stay up and a new
  // or re-created peer starts its handshake at once (handshake_watchdog.h).
  int nat_keepalive_seconds = 5;
  int keepalive_seconds = 25;
  int default_tunnel_port = kDefaultTunnelPort;
};

struct DesiredRoute {
  std::string gateway;  // the remote Gateway this prefix belongs to
  uint32_t peer_id = 0;
  bool operator==(const DesiredRoute&) const = default;
};

// One end of each pair of gateways starts the WireGuard handshake: the one
// that can reach the other when only one can, else the one with the lower
// public key. The other end adds its peer without an endpoint, so it cannot
// start one too: handshakes started from both ends at once cross, and
// wireguard-go can come out of a crossing with a session whose keys only one
// end still holds (data dropped until the next rekey, up to 2 minutes).
struct DesiredPeer {
  std::string public_key;               // base64
  std::optional<std::string> endpoint;  // "ip:port" / "[ip]:port"; none: it calls us
  // Where the peer can be reached when we are not the initiator: used only
  // if its handshake never comes (handshake_watchdog.h).
  std::optional<std::string> fallback_endpoint;
  bool initiates = false;             // we start the handshake
  std::vector<IpPrefix> allowed_ips;  // sorted
  int persistent_keepalive_seconds = 0;
  bool operator==(const DesiredPeer&) const = default;
};

struct DesiredDataplane {
  NodeRole role = NodeRole::kNone;
  std::string local_gateway;
  std::string reason;                 // why the role is kNone, for logs and /healthz
  std::optional<IpAddress> relay_to;  // kMember: the pool gateway's node IP
  std::map<IpPrefix, DesiredRoute> routes;
  std::map<std::string, DesiredPeer> peers;  // by remote Gateway name; kGateway only
  // kGateway: the pool's other nodes by underlay address (status privateIP),
  // the only VXLAN sources the relay program accepts; value: node name.
  std::map<IpAddress, std::string> relay_members;
  std::vector<std::string> warnings;  // conflicts that were resolved by skipping
};

// gateways must already be validated (GatewayStore guarantees it).
DesiredDataplane ComputeDesiredDataplane(const std::map<std::string, Gateway>& gateways,
                                         const std::string& node_name,
                                         const DataplaneOptions& options);

// Stable per-Gateway ids for the per-peer counters: FNV-1a of the name,
// probed past collisions in name order. Same names, same ids, across restarts.
std::map<std::string, uint32_t> AssignPeerIds(const std::vector<std::string>& sorted_names);

}  // namespace raven

#endif  // RAVEN_DAEMON_MODEL_DESIRED_DATAPLANE_H_
