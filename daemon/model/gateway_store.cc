#include "daemon/model/gateway_store.h"

#include "absl/strings/str_cat.h"
#include "common/gateway_validation.h"

namespace raven {
namespace {

bool HasNode(const Gateway& gw, const std::string& node_name) {
  for (const auto& node : gw.status.nodes) {
    if (node.node_name == node_name) return true;
  }
  return false;
}

}  // namespace

std::vector<GatewayStore::Rejection> GatewayStore::ReplaceAll(
    std::vector<DecodedGateway> snapshot) {
  std::vector<Rejection> rejected;
  std::map<std::string, Gateway> next;
  for (DecodedGateway& item : snapshot) {
    absl::Status problem = item.gateway.status();
    if (problem.ok()) {
      problem = ValidateGatewayForDataplane(*item.gateway, !HasNode(*item.gateway, node_name_));
    }
    if (problem.ok() && next.count(item.name)) {
      problem = absl::InvalidArgumentError("duplicate Gateway name");
    }
    if (problem.ok()) {
      next[item.name] = std::move(*item.gateway);
      continue;
    }
    Rejection r{item.name, std::string(problem.message())};
    auto last = gateways_.find(item.name);
    if (!item.name.empty() && last != gateways_.end() && !next.count(item.name)) {
      next[item.name] = last->second;
      r.kept_last_good = true;
    }
    rejected.push_back(std::move(r));
  }
  gateways_ = std::move(next);
  return rejected;
}

}  // namespace raven
