#include "controller/gateway_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/gateway_validation.h"
#include "common/kube/resources/k8s_time.h"

namespace raven::controller {
namespace {

std::string NoEndpointMessage(const Gateway& gw, const std::string& type,
                              const std::map<std::string, NodeView>& nodes) {
  std::vector<std::string> why;
  for (const auto& ep : gw.spec.endpoints) {
    if (ep.type != type) continue;
    why.push_back(absl::StrCat(ep.node_name, " (", UnhealthyReason(gw, ep.node_name, nodes), ")"));
  }
  if (why.empty()) return absl::StrCat("no ", type, " endpoint in spec.endpoints");
  return absl::StrCat("no healthy ", type, " endpoint: ", absl::StrJoin(why, ", "));
}

}  // namespace

std::string UnhealthyReason(const Gateway& gateway, const std::string& node,
                            const std::map<std::string, NodeView>& nodes) {
  auto it = nodes.find(node);
  if (it == nodes.end()) return "unknown node";
  auto label = it->second.labels.find(kGatewayLabel);
  if (label == it->second.labels.end() || label->second != gateway.name) return "not a member";
  if (!it->second.ready) return "NotReady";
  if (!it->second.lease_fresh) return "heartbeat lease expired";
  return "";
}

std::map<std::string, std::map<std::string, NodeView>> NodesByGateway(
    const std::map<std::string, Gateway>& gateways, const std::map<std::string, NodeView>& nodes) {
  std::map<std::string, std::map<std::string, NodeView>> out;
  for (const auto& [name, node] : nodes) {
    auto label = node.labels.find(kGatewayLabel);
    if (label != node.labels.end() && gateways.count(label->second)) {
      out[label->second].emplace(name, node);
    }
  }
  for (const auto& [name, gateway] : gateways) {
    std::map<std::string, NodeView>& view = out[name];
    for (const GatewayEndpoint& ep : gateway.spec.endpoints) {
      if (view.count(ep.node_name)) continue;
      auto node = nodes.find(ep.node_name);
      if (node != nodes.end()) view.emplace(node->first, node->second);
    }
  }
  return out;
}

void SetCondition(std::vector<GatewayCondition>& conditions, GatewayCondition c) {
  for (auto& existing : conditions) {
    if (existing.type != c.type) continue;
    if (existing.status == c.status && !existing.last_transition_time.empty()) {
      c.last_transition_time = existing.last_transition_time;
    }
    existing = std::move(c);
    return;
  }
  conditions.push_back(std::move(c));
}

const GatewayCondition* FindCondition(const GatewayStatus& status, const std::string& type) {
  for (const auto& c : status.conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

GatewayOutcome ComputeOutcome(const Gateway& gateway, const std::map<std::string, NodeView>& nodes,
                              absl::Time now) {
  GatewayOutcome out;
  GatewayCondition ready{kConditionReady,          "False",           "", "",
                         kube::FormatRfc3339(now), gateway.generation};
  out.validation = ValidateGatewaySpec(gateway);
  if (!out.validation.ok()) {
    out.status = gateway.status;  // nothing else is touched
    ready.reason = kReasonInvalidSpec;
    ready.message = std::string(out.validation.message());
  } else {
    out.election = Elect(gateway, nodes);
    out.status = out.election.status;
    out.status.conditions = gateway.status.conditions;
    std::vector<std::string> missing;
    for (const auto& type : out.election.without_endpoint) {
      missing.push_back(NoEndpointMessage(gateway, type, nodes));
    }
    if (missing.empty()) {
      ready.status = "True";
      ready.reason = kReasonElected;
      std::vector<std::string> names;
      for (const auto& ep : out.status.active_endpoints) {
        names.push_back(absl::StrCat(ep.type, "/", ep.node_name));
      }
      ready.message = names.empty() ? "no endpoints requested (Replicas 0)"
                                    : absl::StrCat("active: ", absl::StrJoin(names, ", "));
    } else {
      ready.reason = kReasonNoHealthyEndpoint;
      ready.message = absl::StrJoin(missing, "; ");
    }
  }
  SetCondition(out.status.conditions, std::move(ready));
  out.changed = !(out.status == gateway.status);
  return out;
}

}  // namespace raven::controller
