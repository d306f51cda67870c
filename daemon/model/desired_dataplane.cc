#include "daemon/model/desired_dataplane.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/gateway_validation.h"

namespace raven {
namespace {

const GatewayNodeInfo* FindNode(const Gateway& gw, const std::string& node_name) {
  for (const auto& node : gw.status.nodes) {
    if (node.node_name == node_name) return &node;
  }
  return nullptr;
}

std::vector<IpPrefix> PrefixesOf(const Gateway& gw, bool forward_node_ip) {
  std::set<IpPrefix> out;
  for (const auto& node : gw.status.nodes) {
    for (const auto& subnet : node.subnets) {
      if (auto prefix = IpPrefix::Parse(subnet); prefix.ok()) out.insert(*prefix);
    }
    if (forward_node_ip && !node.private_ip.empty()) {
      if (auto ip = IpAddress::Parse(node.private_ip); ip.ok()) out.insert(IpPrefix::Host(*ip));
    }
  }
  return {out.begin(), out.end()};
}

std::string JoinHostPort(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

// Where a remote gateway can be reached: its public address when it has one,
// its node address when it is not behind NAT, otherwise nowhere (it calls us).
std::optional<std::string> PeerEndpoint(const Gateway& gw, const GatewayEndpoint& active,
                                        const DataplaneOptions& options) {
  int port = active.public_port ? active.public_port
                                : (active.port ? active.port : options.default_tunnel_port);
  if (!active.public_ip.empty()) return JoinHostPort(active.public_ip, port);
  if (active.under_nat) return std::nullopt;
  const GatewayNodeInfo* node = FindNode(gw, active.node_name);
  if (node == nullptr || node->private_ip.empty()) return std::nullopt;
  return JoinHostPort(node->private_ip, port);
}

bool Overlaps(const IpPrefix& a, const IpPrefix& b) {
  return a.Contains(b.address) || b.Contains(a.address);
}

}  // namespace

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
                                         const std::string& node_name,
                                         const DataplaneOptions& options) {
  DesiredDataplane out;
  const Gateway* local = nullptr;
  for (const auto& [name, gw] : gateways) {
    if (FindNode(gw, node_name)) {
      local = &gw;
      break;
    }
  }
  if (local == nullptr) {
    out.reason = absl::StrCat("node ", node_name, " is in no Gateway's status.nodes");
    return out;
  }
  out.local_gateway = local->name;
  const GatewayEndpoint* local_active = ActiveTunnelEndpoint(*local);
  if (local_active == nullptr) {
    out.reason = absl::StrCat("Gateway ", local->name, " has no active tunnel endpoint");
    return out;
  }
  if (local_active->node_name == node_name) {
    out.role = NodeRole::kGateway;
    for (const GatewayNodeInfo& node : local->status.nodes) {
      if (node.node_name == node_name) continue;
      if (auto ip = IpAddress::Parse(node.private_ip); ip.ok()) {
        out.relay_members[*ip] = node.node_name;
      }
    }
  } else {
    const GatewayNodeInfo* gw_node = FindNode(*local, local_active->node_name);
    auto ip = gw_node ? IpAddress::Parse(gw_node->private_ip) : absl::NotFoundError("no node");
    if (!ip.ok()) {
      out.reason = absl::StrCat("Gateway ", local->name, ": active endpoint ",
                                local_active->node_name, " has no privateIP in status.nodes");
      return out;
    }
    out.role = NodeRole::kMember;
    out.relay_to = *ip;
  }

  const std::vector<IpPrefix> local_prefixes = PrefixesOf(*local, /*forward_node_ip=*/false);
  const bool reachable_from_remote = PeerEndpoint(*local, *local_active, options).has_value();
  std::vector<std::string> names;
  for (const auto& [name, gw] : gateways) names.push_back(name);
  const std::map<std::string, uint32_t> peer_ids = AssignPeerIds(names);

  for (const auto& [name, gw] : gateways) {
    if (&gw == local) continue;
    const GatewayEndpoint* active = ActiveTunnelEndpoint(gw);
    if (active == nullptr) continue;  // nowhere to send it: leave it to the node's routing
    std::vector<IpPrefix> allowed;
    for (const IpPrefix& prefix : PrefixesOf(gw, options.forward_node_ip)) {
      bool local_overlap = std::any_of(local_prefixes.begin(), local_prefixes.end(),
                                       [&](const IpPrefix& l) { return Overlaps(l, prefix); });
      if (local_overlap) {
        out.warnings.push_back(absl::StrCat("Gateway ", name, ": ", prefix.ToString(),
                                            " overlaps the local pool; not routed"));
        continue;
      }
      auto [it, inserted] = out.routes.try_emplace(prefix, DesiredRoute{name, peer_ids.at(name)});
      if (!inserted) {
        out.warnings.push_back(absl::StrCat("Gateway ", name, ": ", prefix.ToString(),
                                            " already belongs to Gateway ", it->second.gateway));
        continue;
      }
      allowed.push_back(prefix);
    }
    if (out.role != NodeRole::kGateway) continue;
    auto key = active->config.find(std::string(kConfigPublicKey));
    if (key == active->config.end()) {
      out.warnings.push_back(absl::StrCat("Gateway ", name, ": no public key; no peer"));
      continue;
    }
    DesiredPeer peer;
    peer.public_key = key->second;
    std::optional<std::string> endpoint = PeerEndpoint(gw, *active, options);
    peer.initiates =
        endpoint.has_value() && (!reachable_from_remote || options.public_key < peer.public_key);
    (peer.initiates ? peer.endpoint : peer.fallback_endpoint) = std::move(endpoint);
    peer.allowed_ips = std::move(allowed);
    peer.persistent_keepalive_seconds =
        local_active->under_nat ? options.nat_keepalive_seconds : options.keepalive_seconds;
    out.peers[name] = std::move(peer);
  }
  return out;
}

}  // namespace raven
