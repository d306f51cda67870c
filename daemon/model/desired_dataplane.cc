#include "daemon/model/desired_dataplane.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "common/prefix_claims.h"
#include "daemon/failover/tunnel_address.h"
#include "daemon/model/pair_relays.h"

namespace raven {
namespace {

using kube::Gateway;
using kube::GatewayEndpoint;
using kube::GatewayNode;

// The Gateway's pod CIDRs, and its nodes' addresses when they are forwarded:
// privateIP and, on a dual-stack node, its secondaryPrivateIPs, as host
// prefixes (unicast host addresses only).
std::set<IpPrefix> PrefixesOf(const Gateway& gw, bool node_ips) {
  std::set<IpPrefix> out;
  for (const GatewayNode& node : gw.status.nodes) {
    out.insert(node.subnets.begin(), node.subnets.end());
    if (!node_ips) continue;
    for (const IpAddress& ip : kube::NodeAddresses(node)) {
      // A link-local, multicast or loopback "node address" would pull the
      // node's own neighbour discovery or local traffic into the tunnel.
      if (IsUnicastHost(ip)) out.insert(IpPrefix::Host(ip));
    }
  }
  return out;
}

// Where a gateway can be reached: its public address when it has one, its
// node address when it is not behind NAT, otherwise nowhere (it calls us).
std::optional<UdpAddress> PeerAddress(const Gateway& gw, const GatewayEndpoint& active,
                                      const DataplaneOptions& options) {
  const auto port = static_cast<uint16_t>(
      active.public_port ? active.public_port
                         : (active.port ? active.port : options.default_tunnel_port));
  if (active.public_ip) return UdpAddress{*active.public_ip, port};
  if (CallsOut(active)) return std::nullopt;
  const GatewayNode* node = FindGatewayNode(gw, active.node_name);
  if (node == nullptr || !node->private_ip) return std::nullopt;
  return UdpAddress{*node->private_ip, port};
}

std::optional<std::string> PeerEndpoint(const Gateway& gw, const GatewayEndpoint& active,
                                        const DataplaneOptions& options) {
  std::optional<UdpAddress> address = PeerAddress(gw, active, options);
  if (!address) return std::nullopt;
  return address->ToString();
}

// A remote Gateway's claim on a prefix, in the order claims are granted: the
// Gateway the prefix is routed to now first, then the older Gateway, then
// the name.
struct Claim {
  bool newcomer;
  absl::Time created;
  std::string gateway;
  IpPrefix prefix;

  auto Rank() const { return std::tie(newcomer, created, gateway, prefix); }
};

std::vector<Claim> RemoteClaims(const std::map<std::string, Gateway>& gateways,
                                const Gateway& local, const DataplaneInput& input) {
  std::vector<Claim> claims;
  for (const auto& [name, gw] : gateways) {
    if (&gw == &local) continue;
    const absl::Time created = gw.meta.creation_timestamp.value_or(absl::InfiniteFuture());
    for (const IpPrefix& prefix : PrefixesOf(gw, input.options.forward_node_ip)) {
      auto routed = input.routed.find(prefix);
      bool incumbent = routed != input.routed.end() && routed->second == name;
      claims.push_back({!incumbent, created, name, prefix});
    }
  }
  std::sort(claims.begin(), claims.end(),
            [](const Claim& a, const Claim& b) { return a.Rank() < b.Rank(); });
  return claims;
}

// The WireGuard session with a remote endpoint (its key set), sent to at
// `address` (none: it calls us): the end that alone can reach the other
// starts the handshake, else the smaller key; it accepts `allowed` and the
// endpoint's tunnel address; keepalives as this end's NAT needs.
PeerPlan Session(const std::string& gateway, const GatewayEndpoint& remote,
                 std::optional<std::string> address, bool only_we_can,
                 std::vector<IpPrefix> allowed, const GatewayEndpoint& own,
                 const DataplaneInput& input) {
  PeerPlan peer;
  peer.gateway = gateway;
  peer.node = remote.node_name;
  peer.initiates = address.has_value() && (only_we_can || input.public_key < *remote.public_key);
  (peer.initiates ? peer.config.endpoint : peer.fallback_endpoint) = std::move(address);
  peer.config.public_key = *remote.public_key;
  peer.config.allowed_ips = std::move(allowed);
  peer.config.allowed_ips.push_back(IpPrefix::Host(failover::TunnelAddress(*remote.public_key)));
  peer.config.persistent_keepalive_seconds =
      own.under_nat ? input.options.nat_keepalive_seconds : input.options.keepalive_seconds;
  return peer;
}

// A session kept up with a remote active endpoint that carries no traffic:
// its tunnel address only. A pair that would need a NAT relay gets none
// (relays serve active endpoints).
std::optional<PeerPlan> StandbySession(const std::string& gateway, const Gateway& remote,
                                       const GatewayEndpoint& endpoint, const Gateway& local,
                                       const GatewayEndpoint& own, const DataplaneInput& input) {
  if (!endpoint.public_key || *endpoint.public_key == input.public_key) return std::nullopt;
  if (CallsOut(own) && CallsOut(endpoint)) return std::nullopt;
  std::optional<std::string> address = PeerEndpoint(remote, endpoint, input.options);
  const bool reachable_from_remote = PeerEndpoint(local, own, input.options).has_value();
  PeerPlan peer = Session(gateway, endpoint, address, !reachable_from_remote, {}, own, input);
  peer.standby = true;
  peer.published = std::move(address);
  return peer;
}

// The standby sessions: on the gateway, with every remote Gateway's other
// active endpoints; on a standby (one of the local Gateway's other active
// endpoints), with every remote Gateway's active endpoint. The standby's
// sessions accept the remote prefixes too (they are its only peer for each
// remote Gateway): when a remote gateway moves the pool's traffic to it
// before it has turned gateway itself (a planned change reaches the nodes
// at slightly different moments), it delivers instead of dropping.
void AddStandbySessions(const std::map<std::string, Gateway>& gateways, const Gateway& local,
                        const GatewayEndpoint& local_active,
                        const std::map<std::string, std::vector<IpPrefix>>& granted,
                        const DataplaneInput& input, DesiredDataplane& out) {
  const GatewayEndpoint* own = &local_active;
  if (out.role == NodeRole::kMember) {
    own = nullptr;
    for (const GatewayEndpoint& ep : local.status.active_endpoints) {
      if (ep.type == kube::EndpointType::kTunnel && ep.node_name == input.node_name) own = &ep;
    }
  }
  if (own == nullptr || out.role == NodeRole::kNone) return;
  for (const auto& [name, gw] : gateways) {
    if (&gw == &local || out.unreachable.contains(name)) continue;
    const GatewayEndpoint* active = EffectiveActiveEndpoint(gw, input.silent_endpoints);
    for (const GatewayEndpoint& ep : gw.status.active_endpoints) {
      if (ep.type != kube::EndpointType::kTunnel) continue;
      // The gateway's active peers are there already; a standby keeps one
      // session per remote Gateway, with its active endpoint.
      if (out.role == NodeRole::kGateway ? &ep == active : &ep != active) continue;
      std::optional<PeerPlan> peer = StandbySession(name, gw, ep, local, *own, input);
      if (peer && out.role == NodeRole::kMember && granted.contains(name)) {
        std::vector<IpPrefix> allowed = granted.at(name);
        allowed.push_back(peer->config.allowed_ips.front());
        peer->config.allowed_ips = std::move(allowed);
      }
      if (peer && !out.peers.contains(peer->config.public_key)) {
        out.peers[peer->config.public_key] = std::move(*peer);
      }
    }
  }
}

size_t TunnelEndpointCount(const Gateway& gw) {
  return std::count_if(
      gw.status.active_endpoints.begin(), gw.status.active_endpoints.end(),
      [](const GatewayEndpoint& ep) { return ep.type == kube::EndpointType::kTunnel; });
}

// Echoes that fail over go only where a silence can move traffic: to
// Gateways with a standby, and not through a NAT relay (a relayed pair stays
// with the controller's choice). A member watches all of its Gateway's active
// endpoints, an active endpoint those before it (the ones it stands by for).
// The gateway measures every other path it uses too (path quality): those
// echoes never fail over.
void AddEchoTargets(const std::map<std::string, Gateway>& gateways, const Gateway& local,
                    const DataplaneInput& input, DesiredDataplane& out) {
  if (TunnelEndpointCount(local) > 1) {
    for (const GatewayEndpoint& ep : local.status.active_endpoints) {
      if (ep.type != kube::EndpointType::kTunnel) continue;
      if (ep.node_name == input.node_name) break;
      const GatewayNode* node = FindGatewayNode(local, ep.node_name);
      if (node != nullptr && node->private_ip) out.echo_targets[ep.node_name] = {*node->private_ip};
    }
  }
  if (out.role != NodeRole::kGateway) return;
  const IpAddress own = failover::TunnelAddress(input.public_key);
  for (const auto& [key, peer] : out.peers) {
    const bool failover = peer.relay.empty() && TunnelEndpointCount(gateways.at(peer.gateway)) > 1;
    out.echo_targets[peer.node] = {failover::TunnelAddress(key), input.devices.wireguard_ifindex,
                                   own, failover};
  }
}

}  // namespace

const GatewayEndpoint* EffectiveActiveEndpoint(const Gateway& gw,
                                               const std::set<std::string>& silent) {
  const GatewayEndpoint* first = nullptr;
  for (const GatewayEndpoint& ep : gw.status.active_endpoints) {
    if (ep.type != kube::EndpointType::kTunnel) continue;
    if (!silent.contains(ep.node_name)) return &ep;
    if (first == nullptr) first = &ep;
  }
  return first;
}

const char* NodeRoleName(NodeRole role) {
  switch (role) {
    case NodeRole::kNone:
      return "none";
    case NodeRole::kGateway:
      return "gateway";
    case NodeRole::kMember:
      return "member";
  }
  return "unknown";
}

std::map<std::string, uint32_t> AssignPeerIds(const std::vector<std::string>& sorted_names) {
  std::map<std::string, uint32_t> ids;
  std::set<uint32_t> used;
  for (const auto& name : sorted_names) {
    uint32_t hash = 2166136261u;
    for (unsigned char c : name) hash = (hash ^ c) * 16777619u;
    while (!used.insert(hash).second) ++hash;
    ids[name] = hash;
  }
  return ids;
}

DesiredDataplane ComputeDesiredDataplane(const std::map<std::string, Gateway>& gateways,
                                         const DataplaneInput& input) {
  DesiredDataplane out;
  const Gateway* local = nullptr;
  for (const auto& [name, gw] : gateways) {
    if (FindGatewayNode(gw, input.node_name)) {
      local = &gw;
      break;
    }
  }
  if (local == nullptr) {
    out.reason = absl::StrCat("node ", input.node_name, " is in no Gateway's status.nodes");
    return out;
  }
  out.local_gateway = local->meta.name;
  const GatewayEndpoint* local_active = EffectiveActiveEndpoint(*local, input.silent_endpoints);
  if (local_active == nullptr) {
    out.reason = absl::StrCat("Gateway ", local->meta.name, " has no active tunnel endpoint");
    return out;
  }
  std::optional<IpAddress> relay_to;
  if (local_active->node_name != input.node_name) {
    const GatewayNode* gw_node = FindGatewayNode(*local, local_active->node_name);
    if (gw_node == nullptr || !gw_node->private_ip) {
      out.reason = absl::StrCat("Gateway ", local->meta.name, ": active endpoint ",
                                local_active->node_name, " has no privateIP in status.nodes");
      return out;
    }
    relay_to = gw_node->private_ip;
  }
  const uint32_t ifindex = relay_to ? input.devices.vxlan_ifindex : input.devices.wireguard_ifindex;
  if (ifindex == 0) {
    out.reason = absl::StrCat(relay_to ? "the VXLAN" : "the WireGuard", " device is missing");
    return out;
  }
  out.role = relay_to ? NodeRole::kMember : NodeRole::kGateway;
  if (out.role == NodeRole::kGateway) {
    for (const GatewayNode& node : local->status.nodes) {
      if (node.node_name == input.node_name) continue;
      // Every address: a member sends from its address of the family of
      // ours (privateIP), which is its secondary one when its families are
      // listed the other way round.
      for (const IpAddress& ip : kube::NodeAddresses(node)) out.relay_members[ip] = node.node_name;
    }
  }

  // The local pool's prefixes and node addresses are granted first: they
  // stay with the cluster's CNI whatever a remote Gateway claims.
  PrefixClaims claims;
  for (const IpPrefix& prefix : PrefixesOf(*local, /*node_ips=*/true)) {
    claims.Claim({prefix, local->meta.name});
  }
  std::map<std::string, std::vector<IpPrefix>> granted;
  for (const Claim& c : RemoteClaims(gateways, *local, input)) {
    if (std::optional<PrefixClaim> holder = claims.Claim({c.prefix, c.gateway})) {
      out.refused.push_back({c.gateway, c.prefix, holder->owner, holder->prefix});
    } else {
      granted[c.gateway].push_back(c.prefix);
    }
  }

  std::vector<std::string> names;
  for (const auto& [name, gw] : gateways) names.push_back(name);
  const std::map<std::string, uint32_t> peer_ids = AssignPeerIds(names);
  const std::vector<RelayCandidate> relays = RelayCandidates(gateways);
  const std::map<std::string, uint16_t> relay_ports =
      RelayPorts(gateways, input.options.relay_port_base);
  if (out.role == NodeRole::kGateway) {
    out.nat_relay.duty = DutyOf(gateways, *local, relays, relay_ports, input.options.detour_relays);
  }
  const bool reachable_from_remote = PeerEndpoint(*local, *local_active, input.options).has_value();
  for (auto& [name, prefixes] : granted) {
    const Gateway& gw = gateways.at(name);
    const GatewayEndpoint* active = EffectiveActiveEndpoint(gw, input.silent_endpoints);
    if (active == nullptr) continue;  // nowhere to send it: left to the node's routing
    // A pair through a NAT relay stays with the controller's choice: relays
    // serve the active endpoints the status names, and keep no standby sessions.
    if (active != ActiveTunnelEndpoint(gw) && CallsOut(*local_active) && CallsOut(*active)) {
      active = ActiveTunnelEndpoint(gw);
    }
    std::sort(prefixes.begin(), prefixes.end());
    std::optional<std::string> endpoint = PeerEndpoint(gw, *active, input.options);
    std::optional<RelayCandidate> relay;
    // Without a relay, a pair whose published endpoint went unanswered keeps
    // trying it: only a pair that both only call out has no path then.
    const bool direct = !CallsOut(*local_active) || !CallsOut(*active);
    if (PairRelayed(*local, *local_active, gw, *active))
      relay = RelayOf(relays, local->meta.name, name);
    if (relay && !relay_ports.contains(name)) relay.reset();  // past port 65535
    const bool no_path = !direct && !relay;
    bpf::RouteValue value;
    value.peer_id = peer_ids.at(name);
    if (no_path) {
      value.action = bpf::RouteAction::kNoPath;
      out.unreachable[name] = absl::StrCat(
          "both active gateways (", local_active->node_name, ", ", active->node_name,
          ") are behind NAT without a public address, and no NAT relay is up (a Gateway with "
          "exposeType PublicIP or LoadBalancer whose active endpoint is not underNAT)");
    } else {
      value.ifindex = ifindex;
      value.mtu = input.devices.path_mtu;
      value.action = relay_to ? bpf::RouteAction::kVxlan : bpf::RouteAction::kWireGuard;
      if (relay_to) value.tunnel_dst = *relay_to;
    }
    for (const IpPrefix& prefix : prefixes) {
      out.routes[prefix] = value;
      out.route_gateways[prefix] = name;
    }
    out.peer_names[value.peer_id] = name;
    if (out.role != NodeRole::kGateway || no_path) continue;
    // GatewayStore keeps remote Gateways whose active endpoint has no key out.
    if (!active->public_key) continue;
    const std::optional<std::string> published = endpoint;
    std::string via;
    bool punched = false;
    if (relay) {
      UdpAddress at{relay->address, relay_ports.at(name)};
      out.nat_relay.registrations.push_back(
          {relay->gateway, name, at, relay->key, *active->public_key});
      auto own_port = relay_ports.find(local->meta.name);
      RelayRegistrationTarget probe{
          relay->gateway, local->meta.name, {relay->address, 0}, relay->key};
      if (own_port != relay_ports.end() &&
          std::none_of(
              out.nat_relay.probes.begin(), out.nat_relay.probes.end(),
              [&](const RelayRegistrationTarget& t) { return t.relay == relay->gateway; })) {
        probe.address.port = own_port->second;
        out.nat_relay.probes.push_back(probe);
      }
      via = relay->gateway;
      auto proven = input.direct_paths.find(name);
      punched = proven != input.direct_paths.end();
      endpoint = punched ? proven->second.ToString() : at.ToString();
    }
    bool detour = false;
    std::vector<std::string> detour_endpoints;
    for (const RelayCandidate& d : DetourRelaysOf(relays, *local, *local_active, gw, *active,
                                                  relay_ports, input.options.detour_relays)) {
      UdpAddress at{d.address, relay_ports.at(name)};
      out.nat_relay.registrations.push_back({d.gateway, name, at, d.key, *active->public_key});
      out.detour_relays[name].push_back(d.gateway);
      detour_endpoints.push_back(at.ToString());
      // Probed directly, whatever the path, to measure the direct path.
      if (std::optional<UdpAddress> direct = PeerAddress(gw, *active, input.options)) {
        out.nat_relay.direct_candidates[name] = *direct;
      }
      auto chosen = input.detours.find(name);
      if (chosen != input.detours.end() && chosen->second == d.gateway) {
        via = d.gateway;
        endpoint = at.ToString();
        detour = true;
      }
    }
    // Through a relay both ends reach each other.
    PeerPlan peer = Session(name, *active, std::move(endpoint), !reachable_from_remote && !relay,
                            prefixes, *local_active, input);
    peer.published = published;
    peer.relay = std::move(via);
    peer.direct = punched;
    peer.detour = detour;
    peer.detour_endpoints = std::move(detour_endpoints);
    out.peers[*active->public_key] = std::move(peer);
  }
  AddStandbySessions(gateways, *local, *local_active, granted, input, out);
  AddEchoTargets(gateways, *local, input, out);
  return out;
}

}  // namespace raven
