#include "controller/gateway_status.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "controller/gateway_validation.h"

namespace raven::controller {
namespace {

using kube::EndpointType;

std::string NoEndpointMessage(const kube::Gateway& gw, const std::string& type,
                              const std::map<std::string, NodeView>& nodes) {
  std::vector<std::string> why;
  for (const auto& ep : gw.spec.endpoints) {
    if (kube::EndpointTypeName(ep.type) != type) continue;
    why.push_back(absl::StrCat(ep.node_name, " (", UnhealthyReason(gw, ep.node_name, nodes), ")"));
  }
  if (why.empty()) return absl::StrCat("no ", type, " endpoint in spec.endpoints");
  return absl::StrCat("no healthy ", type, " endpoint: ", BoundedList(why, kMaxMessageBytes / 2));
}

// The primary tunnel endpoint is reached at the load balancer, which
// forwards its port there (the standbys are not behind it).
void PublishLoadBalancer(const IpAddress& address, std::vector<kube::GatewayEndpoint>& active) {
  for (kube::GatewayEndpoint& ep : active) {
    if (ep.type != EndpointType::kTunnel) continue;
    if (!ep.public_ip) {
      ep.public_ip = address;
      ep.public_port = ep.port;
    }
    return;
  }
}

}  // namespace

std::string PrefixConflictMessage(const std::vector<RefusedPrefix>& refused) {
  std::vector<std::string> items;
  for (const RefusedPrefix& r : refused) {
    items.push_back(absl::StrCat(r.prefix.ToString(), " of ", r.node, " (Gateway ", r.holder,
                                 " has ", r.held.ToString(), ")"));
  }
  return absl::StrCat(
      refused.size(), " pod CIDR", refused.size() == 1 ? "" : "s",
      " claimed by another Gateway first, left out of status.nodes and not routed: ",
      BoundedList(items, kMaxMessageBytes - 120));
}

namespace {

// Members without the prefixes another Gateway holds.
void DropRefused(std::vector<kube::GatewayNode>& nodes, const std::vector<RefusedPrefix>& refused) {
  std::set<std::pair<std::string, IpPrefix>> out;
  for (const RefusedPrefix& r : refused) out.emplace(r.node, r.prefix);
  for (kube::GatewayNode& node : nodes) {
    std::erase_if(node.subnets, [&](const IpPrefix& p) {
      return out.count({node.node_name, p}) > 0;
    });
  }
}

}  // namespace

std::string BoundedList(const std::vector<std::string>& items, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    std::string next = absl::StrCat(i ? ", " : "", items[i]);
    if (out.size() + next.size() > max_bytes) {
      return absl::StrCat(out, " and ", items.size() - i, " more");
    }
    out += next;
  }
  return out;
}

std::string UnhealthyReason(const kube::Gateway& gateway, const std::string& node,
                            const std::map<std::string, NodeView>& nodes) {
  auto it = nodes.find(node);
  if (it == nodes.end()) return "unknown node";
  auto label = it->second.labels.find(kGatewayLabel);
  if (label == it->second.labels.end() || label->second != gateway.meta.name) return "not a member";
  if (!it->second.ready) return "NotReady";
  if (!it->second.lease_fresh) return "heartbeat lease expired";
  return "";
}

std::map<std::string, std::map<std::string, NodeView>> NodesByGateway(
    const std::map<std::string, kube::Gateway>& gateways,
    const std::map<std::string, NodeView>& nodes) {
  std::map<std::string, std::map<std::string, NodeView>> out;
  for (const auto& [name, node] : nodes) {
    auto label = node.labels.find(kGatewayLabel);
    if (label != node.labels.end() && gateways.count(label->second)) {
      out[label->second].emplace(name, node);
    }
  }
  for (const auto& [name, gateway] : gateways) {
    std::map<std::string, NodeView>& view = out[name];
    for (const kube::GatewayEndpoint& ep : gateway.spec.endpoints) {
      if (view.count(ep.node_name)) continue;
      auto node = nodes.find(ep.node_name);
      if (node != nodes.end()) view.emplace(node->first, node->second);
    }
  }
  return out;
}

void SetCondition(std::vector<kube::GatewayCondition>& conditions, kube::GatewayCondition c) {
  for (auto& existing : conditions) {
    if (existing.type != c.type) continue;
    if (existing.status == c.status && existing.last_transition_time) {
      c.last_transition_time = existing.last_transition_time;
    }
    existing = std::move(c);
    return;
  }
  conditions.push_back(std::move(c));
}

const kube::GatewayCondition* FindCondition(const kube::GatewayStatus& status,
                                            const std::string& type) {
  for (const auto& c : status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

GatewayOutcome ComputeOutcome(const kube::Gateway& gateway,
                              const std::map<std::string, NodeView>& nodes,
                              const std::vector<RefusedPrefix>& refused, absl::Time now,
                              const std::optional<IpAddress>& load_balancer) {
  GatewayOutcome out;
  kube::GatewayCondition ready{
      kConditionReady,        "False", "", "", absl::FromUnixSeconds(absl::ToUnixSeconds(now)),
      gateway.meta.generation};
  out.validation = ValidateGatewaySpec(gateway);
  if (!out.validation.ok()) {
    out.status = gateway.status;  // nothing else is touched
    ready.reason = kReasonInvalidSpec;
    ready.message = std::string(out.validation.message()).substr(0, kMaxMessageBytes);
  } else {
    out.election = Elect(gateway, nodes);
    out.status = out.election.status;
    if (load_balancer && gateway.spec.expose_type == kube::ExposeType::kLoadBalancer) {
      PublishLoadBalancer(*load_balancer, out.status.active_endpoints);
    }
    out.refused = refused;
    DropRefused(out.status.nodes, refused);
    out.status.conditions = gateway.status.conditions;
    out.status.paths =
        PublishedPaths(gateway.meta.name, out.status.active_endpoints, nodes, out.path_problems);
    out.path_changes = PathChanges(gateway.status.paths, out.status.paths);
    std::vector<std::string> missing;
    for (const auto& type : out.election.without_endpoint) {
      missing.push_back(NoEndpointMessage(gateway, type, nodes));
    }
    if (!missing.empty()) {
      ready.reason = kReasonNoHealthyEndpoint;
      ready.message = BoundedList(missing, kMaxMessageBytes);
    } else if (!refused.empty()) {
      ready.reason = kReasonPrefixConflict;
      ready.message = PrefixConflictMessage(refused);
    } else {
      ready.status = "True";
      ready.reason = kReasonElected;
      std::vector<std::string> names;
      for (const auto& ep : out.status.active_endpoints) {
        names.push_back(absl::StrCat(kube::EndpointTypeName(ep.type), "/", ep.node_name));
      }
      ready.message = names.empty()
                          ? "no endpoints requested (Replicas 0)"
                          : absl::StrCat("active: ", BoundedList(names, kMaxMessageBytes - 8));
    }
  }
  SetCondition(out.status.conditions, std::move(ready));
  out.changed = !(out.status == gateway.status) || !gateway.invalid_status.empty();
  return out;
}

}  // namespace raven::controller
