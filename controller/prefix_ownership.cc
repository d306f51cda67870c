#include "controller/prefix_ownership.h"

#include <algorithm>
#include <set>
#include <tuple>

#include "common/prefix_claims.h"

namespace raven::controller {
namespace {

struct Claim {
  bool newcomer;       // not yet in the Gateway's status: yields to one that is
  absl::Time created;  // the Gateway's creationTimestamp
  std::string gateway;
  std::string node;
  IpPrefix prefix;

  auto Rank() const { return std::tie(newcomer, created, gateway, node, prefix); }
};

}  // namespace

std::map<std::string, std::vector<RefusedPrefix>> ResolvePrefixOwnership(
    const std::map<std::string, kube::Gateway>& gateways,
    const std::map<std::string, std::map<std::string, NodeView>>& members) {
  std::vector<Claim> claims;
  for (const auto& [name, gw] : gateways) {
    auto view = members.find(name);
    if (view == members.end()) continue;
    std::set<IpPrefix> published;
    for (const auto& node : gw.status.nodes)
      published.insert(node.subnets.begin(), node.subnets.end());
    const absl::Time created = gw.meta.creation_timestamp.value_or(absl::InfiniteFuture());
    for (const auto& [node_name, node] : view->second) {
      auto label = node.labels.find(kGatewayLabel);
      if (label == node.labels.end() || label->second != name) continue;
      for (const IpPrefix& prefix : node.pod_cidrs) {
        claims.push_back({!published.count(prefix), created, name, node_name, prefix});
      }
    }
  }
  std::sort(claims.begin(), claims.end(),
            [](const Claim& a, const Claim& b) { return a.Rank() < b.Rank(); });
  PrefixClaims owners;
  std::map<std::string, std::vector<RefusedPrefix>> refused;
  for (const Claim& c : claims) {
    if (std::optional<PrefixClaim> holder = owners.Claim({c.prefix, c.gateway})) {
      refused[c.gateway].push_back({c.node, c.prefix, holder->owner, holder->prefix});
    }
  }
  return refused;
}

}  // namespace raven::controller
