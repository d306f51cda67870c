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

std::vector<GatewayNodeInfo> Members(const std::string& gateway,
                                     const std::map<std::string, NodeView>& nodes,
                                     std::vector<std::string>& skipped) {
  std::vector<GatewayNodeInfo> out;
  for (const auto& [name, node] : nodes) {  // std::map: sorted by name
    if (!IsMember(node, gateway)) continue;
    if (node.internal_ip.empty()) {
      skipped.push_back(name);
      continue;
    }
    std::vector<std::string> subnets = node.pod_cidrs;
    std::sort(subnets.begin(), subnets.end());
    out.push_back({name, node.internal_ip, std::move(subnets)});
  }
  return out;
}

int DefaultPort(const std::string& type) {
  return type == kEndpointTypeTunnel ? kDefaultTunnelPort : kDefaultProxyPort;
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
  if (ep.port == 0 && ep.type == kEndpointTypeTunnel) ep.port = AnnotatedPort(node);
  if (ep.port == 0) ep.port = DefaultPort(ep.type);
  auto key = node.annotations.find(kPublicKeyAnnotation);
  if (ep.type == kEndpointTypeTunnel && key != node.annotations.end()) {
    ep.config[std::string(kConfigPublicKey)] = key->second;
  }
  return ep;
}

void ElectType(const Gateway& gw, const std::string& type, int replicas,
               const std::map<std::string, NodeView>& nodes, ElectionResult& out) {
  std::vector<const GatewayEndpoint*> candidates;
  for (const auto& ep : gw.spec.endpoints) {
    if (ep.type != type) continue;
    auto node = nodes.find(ep.node_name);
    if (node != nodes.end() && node->second.healthy() && IsMember(node->second, gw.name)) {
      candidates.push_back(&ep);
    }
  }
  auto candidate_for = [&](const std::string& node_name) -> const GatewayEndpoint* {
    for (const auto* c : candidates) {
      if (c->node_name == node_name) return c;
    }
    return nullptr;
  };

  std::vector<const GatewayEndpoint*> chosen;
  std::set<std::string> previous;
  for (const auto& active : gw.status.active_endpoints) {
    if (active.type != type) continue;
    previous.insert(active.node_name);
    const GatewayEndpoint* still = candidate_for(active.node_name);
    if (still && static_cast<int>(chosen.size()) < replicas &&
        std::find(chosen.begin(), chosen.end(), still) == chosen.end()) {
      chosen.push_back(still);
    }
  }
  for (const auto* c : candidates) {
    if (static_cast<int>(chosen.size()) >= replicas) break;
    if (std::find(chosen.begin(), chosen.end(), c) == chosen.end()) chosen.push_back(c);
  }

  std::set<std::string> now;
  for (const auto* c : chosen) {
    now.insert(c->node_name);
    out.status.active_endpoints.push_back(Publish(*c, nodes.at(c->node_name)));
    if (!previous.count(c->node_name)) out.elected.push_back(absl::StrCat(type, "/", c->node_name));
  }
  for (const auto& name : previous) {
    if (!now.count(name)) out.lost.push_back(absl::StrCat(type, "/", name));
  }
  if (replicas > 0 && chosen.empty()) out.without_endpoint.push_back(type);
}

}  // namespace

ElectionResult Elect(const Gateway& gateway, const std::map<std::string, NodeView>& nodes) {
  ElectionResult out;
  out.status.nodes = Members(gateway.name, nodes, out.skipped_members);
  ElectType(gateway, std::string(kEndpointTypeTunnel), gateway.spec.tunnel_replicas, nodes, out);
  ElectType(gateway, std::string(kEndpointTypeProxy), gateway.spec.proxy_replicas, nodes, out);
  return out;
}

}  // namespace raven::controller
