// What this node's dataplane should be, computed completely from all
// Gateways in one pure function: its role, every BPF route as it is to be
// written (action, device, MTU, tunnel address), the WireGuard peers as they
// are to be configured, the relay members, and the names the metrics label
// them with. The reconciler only diffs this against the kernel and applies.
#ifndef RAVEN_DAEMON_MODEL_DESIRED_DATAPLANE_H_
#define RAVEN_DAEMON_MODEL_DESIRED_DATAPLANE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/ip_prefix.h"
#include "common/kube/resources/gateway.h"
#include "common/wg_key.h"
#include "daemon/bpf/route_table.h"
#include "daemon/failover/liveness.h"
#include "daemon/model/nat_relay_plan.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

enum class NodeRole {
  kNone,     // in no Gateway, or its Gateway has no usable active endpoint: no routes
  kGateway,  // the active tunnel endpoint of its pool: WireGuard to remote gateways
  kMember,   // another node of the pool: relays through VXLAN to the pool's gateway
};
const char* NodeRoleName(NodeRole role);

// The tunnel devices of this node.
struct DataplaneDevices {
  uint32_t wireguard_ifindex = 0;
  uint32_t vxlan_ifindex = 0;
  uint16_t path_mtu = 0;  // what fits through WireGuard (and VXLAN) on this node
};

struct DataplaneOptions {
  bool forward_node_ip = false;  // remote node IPs become prefixes too
  // Persistent keepalive of every peer: short behind NAT, to keep the mapping
  // open; otherwise WireGuard's usual 25 s, so that sessions stay up and a new
  // or re-created peer starts its handshake at once (handshake_watchdog.h).
  int nat_keepalive_seconds = 5;
  int keepalive_seconds = 25;
  int default_tunnel_port = kube::kDefaultTunnelPort;
  uint16_t relay_port_base = 4600;  // nat_relay_plan.h: the same on every agent
  // Third Gateways each pair with a direct path keeps registered with, to
  // detour through (failover/path_choice.h); 0: no detours.
  int detour_relays = 2;
};

struct DataplaneInput {
  std::string node_name;
  wg::Key public_key;  // this node's
  DataplaneDevices devices;
  DataplaneOptions options;
  // The prefixes routed now and the remote Gateway each goes to: a Gateway
  // keeps its prefixes when another claims overlapping ones later.
  std::map<IpPrefix, std::string> routed;
  // Relayed Gateways with a proven direct path (direct_prober.h) and where.
  std::map<std::string, UdpAddress> direct_paths;
  // Active endpoints (by node) that this node's echoes found silent
  // (failover/liveness.h): each Gateway's traffic goes to its first active
  // endpoint that is not, without waiting for the controller.
  std::set<std::string> silent_endpoints;
  // Remote Gateways whose traffic detours through a third Gateway's relay
  // (failover/path_choice.h), and that relay: one of detour_relays.
  std::map<std::string, std::string> detours;
};

// One end of each pair of gateways starts the WireGuard handshake: the one
// that can reach the other when only one can, else the one with the lower
// public key. The other end adds its peer without an endpoint, so it cannot
// start one too: handshakes started from both ends at once cross, and
// wireguard-go can come out of a crossing with a session whose keys only one
// end still holds (data dropped until the next rekey, up to 2 minutes).
struct PeerPlan {
  std::string gateway;    // the remote Gateway
  wg::PeerConfig config;  // as it is to be configured; no endpoint when it calls us
  bool initiates = false;
  // Where the peer can be reached when we are not the initiator: used only
  // if its handshake never comes (handshake_watchdog.h).
  std::optional<std::string> fallback_endpoint;
  // The NAT relay's Gateway when the pair has no direct path (both ends
  // behind NAT without a public address): the endpoints are the relay's,
  // or, with `direct`, the peer's NAT-mapped address that probes proved
  // (hole punching). A move between the two only changes the endpoint:
  // the initiator's is written, the other end's while the session lives,
  // and both are put back when WireGuard roams off it (reconciler.h).
  std::string relay;
  bool direct = false;
  // A pair with a direct path: the addresses of the third Gateways' relays
  // it can detour through (detour_relays); `detour`: it takes one now,
  // `relay` (DataplaneInput::detours). On its direct path, WireGuard roamed
  // onto one of these is put back (reconciler.h).
  std::vector<std::string> detour_endpoints;
  bool detour = false;
  // The endpoint the peer's Gateway publishes (its public address, or its
  // node address), whatever the path: the one a handshake that never comes
  // back marks unanswered (unanswered_endpoints.h).
  std::optional<std::string> published;
  // The remote endpoint's node, and whether it is a standby: another of the
  // Gateway's active endpoints, whose session is kept up (AllowedIPs only
  // its tunnel address, failover/tunnel_address.h) so that a failover to it
  // needs no handshake.
  std::string node;
  bool standby = false;

  bool operator==(const PeerPlan&) const = default;
};

// A prefix a remote Gateway claims that is not routed: it overlaps one of the
// local pool's, or one another Gateway holds (see common/prefix_claims.h).
struct RefusedPrefix {
  std::string gateway;
  IpPrefix prefix;
  std::string holder;  // the local pool's Gateway, or the Gateway that has it
  IpPrefix held;

  bool operator==(const RefusedPrefix&) const = default;
};

struct DesiredDataplane {
  NodeRole role = NodeRole::kNone;
  std::string local_gateway;
  std::string reason;  // why the role is kNone, for logs and /healthz
  bpf::RouteMap routes;
  std::map<IpPrefix, std::string> route_gateways;  // the remote Gateway of each route
  // kGateway: the remote Gateways' active and standby endpoints; a standby
  // member (one of its own Gateway's other active endpoints): every remote
  // Gateway's active endpoint, as standby sessions.
  std::map<wg::Key, PeerPlan> peers;
  // kGateway: the pool's other nodes by underlay address (status privateIP),
  // the only VXLAN sources the relay program accepts; value: node name.
  std::map<IpAddress, std::string> relay_members;
  std::map<uint32_t, std::string> peer_names;  // BPF peer id -> remote Gateway
  std::vector<RefusedPrefix> refused;
  // Remote Gateways no path leads to, and why: their prefixes are routed to a
  // counted drop (RouteAction::kNoPath), not into a peer that can never answer.
  std::map<std::string, std::string> unreachable;
  // kGateway: where to register with NAT relays, and what this node relays.
  NatRelayPlan nat_relay;
  // kGateway: each remote Gateway with a direct path, and the third Gateways
  // whose relays it can detour through, best first.
  std::map<std::string, std::vector<std::string>> detour_relays;
  // Whom this node's liveness echoes go to, by node: its own Gateway's other
  // active endpoints over the LAN, and, on the gateway, every remote peer's
  // tunnel address through its session.
  std::map<std::string, failover::EchoTarget> echo_targets;
};

// The first of the Gateway's active tunnel endpoints not in `silent`, else
// its first; nullptr without any.
const kube::GatewayEndpoint* EffectiveActiveEndpoint(const kube::Gateway& gw,
                                                     const std::set<std::string>& silent);

DesiredDataplane ComputeDesiredDataplane(const std::map<std::string, kube::Gateway>& gateways,
                                         const DataplaneInput& input);

// Stable per-Gateway ids for the per-peer counters: FNV-1a of the name,
// probed past collisions in name order. Same names, same ids, across restarts.
std::map<std::string, uint32_t> AssignPeerIds(const std::vector<std::string>& sorted_names);

}  // namespace raven

#endif  // RAVEN_DAEMON_MODEL_DESIRED_DATAPLANE_H_
