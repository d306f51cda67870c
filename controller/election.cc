#include "controller/election.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace raven::controller {
namespace {

bool IsMember(const NodeView& node, const std::string& gateway) {
  auto label = node.labels.find(kGatewayLabel);
  return label != node.labels.end() && label->second == gateway;
}

bool Drained(const NodeView& node) {
  auto drain = node.annotations.find(kDrainAnnotation);
  return drain != node.annotations.end() && drain->second == "true";
}

using kube::EndpointType;
using kube::GatewayEndpoint;

std::vector<kube::GatewayNode> Members(const std::string& gateway,
                                       const std::map<std::string, NodeView>& nodes,
                                       std::vector<std::string>& skipped) {
  std::vector<kube::GatewayNode> out;
  for (const auto& [name, node] : nodes) {  // std::map: sorted by name
    if (!IsMember(node, gateway)) continue;
    if (!node.internal_ip) {
      skipped.push_back(name);
      continue;
    }
    std::vector<IpPrefix> subnets = node.pod_cidrs;
    std::sort(subnets.begin(), subnets.end());
    out.push_back({name, node.internal_ip, std::move(subnets), node.other_internal_ips});
  }
  return out;
}

int DefaultPort(EndpointType type) {
  return type == EndpointType::kTunnel ? kube::kDefaultTunnelPort : kube::kDefaultProxyPort;
}

// The agent's WireGuard port annotation, or 0 when absent or not a port.
int AnnotatedPort(const NodeView& node) {
  auto it = node.annotations.find(kWireGuardPortAnnotation);
  int port = 0;
  if (it == node.annotations.end() || !absl::SimpleAtoi(it->second, &port)) return 0;
  return port > 0 && port < 65536 ? port : 0;
}

// The published form of a candidate: its spec entry, defaults filled, plus
// what the node's agent published.
GatewayEndpoint Publish(const GatewayEndpoint& candidate, const NodeView& node) {
  GatewayEndpoint ep = candidate;
  if (ep.port == 0 && ep.type == EndpointType::kTunnel) ep.port = AnnotatedPort(node);
  if (ep.port == 0) ep.port = DefaultPort(ep.type);
  auto key = node.annotations.find(kPublicKeyAnnotation);
  if (ep.type == EndpointType::kTunnel && key != node.annotations.end()) {
    if (absl::StatusOr<wg::Key> parsed = wg::Key::FromBase64(key->second); parsed.ok()) {
      ep.public_key = *parsed;
    }
  }
  // Only the agent's own words: a Node annotation is no place for free text
  // that ends up in every Gateway's status.
  auto nat_type = node.annotations.find(kNatTypeAnnotation);
  if (ep.type == EndpointType::kTunnel && ep.nat_type.empty() &&
      nat_type != node.annotations.end() &&
      (nat_type->second == "Symmetric NAT" || nat_type->second == "Port Restricted cone NAT" ||
       nat_type->second == "Restricted cone NAT")) {
    ep.nat_type = nat_type->second;
  }
  return ep;
}

void ElectType(const kube::Gateway& gw, EndpointType type, int replicas,
               const std::map<std::string, NodeView>& nodes, ElectionResult& out) {
  const char* type_name = kube::EndpointTypeName(type);
  std::vector<const GatewayEndpoint*> candidates;
  for (const auto& ep : gw.spec.endpoints) {
    if (ep.type != type) continue;
    auto node = nodes.find(ep.node_name);
    if (node != nodes.end() && node->second.healthy() && IsMember(node->second, gw.meta.name)) {
      candidates.push_back(&ep);
    }
  }
  auto candidate_for = [&](const std::string& node_name) -> const GatewayEndpoint* {
    for (const auto* c : candidates) {
      if (c->node_name == node_name) return c;
    }
    return nullptr;
  };

  // The incumbents in their order, then the other candidates in the spec's;
  // nodes drained for maintenance after all of them.
  std::vector<const GatewayEndpoint*> ranked;
  std::set<std::string> previous;
  for (const auto& active : gw.status.active_endpoints) {
    if (active.type != type) continue;
    previous.insert(active.node_name);
    const GatewayEndpoint* still = candidate_for(active.node_name);
    if (still != nullptr && std::find(ranked.begin(), ranked.end(), still) == ranked.end()) {
      ranked.push_back(still);
    }
  }
  for (const auto* c : candidates) {
    if (std::find(ranked.begin(), ranked.end(), c) == ranked.end()) ranked.push_back(c);
  }
  std::stable_partition(ranked.begin(), ranked.end(),
                        [&](const GatewayEndpoint* c) { return !Drained(nodes.at(c->node_name)); });
  std::vector<const GatewayEndpoint*> chosen(
      ranked.begin(), ranked.begin() + std::min<size_t>(ranked.size(), std::max(replicas, 0)));

  std::set<std::string> now;
  for (const auto* c : chosen) {
    now.insert(c->node_name);
    out.status.active_endpoints.push_back(Publish(*c, nodes.at(c->node_name)));
    if (!previous.count(c->node_name)) {
      out.elected.push_back(absl::StrCat(type_name, "/", c->node_name));
    }
  }
  for (const auto& name : previous) {
    if (!now.count(name)) out.lost.push_back(absl::StrCat(type_name, "/", name));
  }
  if (replicas > 0 && chosen.empty()) out.without_endpoint.push_back(type_name);
}

}  // namespace

ElectionResult Elect(const kube::Gateway& gateway, const std::map<std::string, NodeView>& nodes) {
  ElectionResult out;
  out.status.nodes = Members(gateway.meta.name, nodes, out.skipped_members);
  ElectType(gateway, EndpointType::kTunnel, gateway.spec.tunnel_replicas, nodes, out);
  ElectType(gateway, EndpointType::kProxy, gateway.spec.proxy_replicas, nodes, out);
  return out;
}

}  // namespace raven::controller
