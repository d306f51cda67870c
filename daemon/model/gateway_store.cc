#include "daemon/model/gateway_store.h"

#include "absl/strings/str_cat.h"

namespace raven {
namespace {

// What the dataplane needs of a Gateway beyond decoding: a status that
// decoded, and a remote pool's active tunnel endpoint must carry the key its
// peer is configured with.
absl::Status CheckUsable(const kube::Gateway& gw, const std::string& node_name) {
  if (!gw.invalid_status.empty()) return absl::InvalidArgumentError(gw.invalid_status);
  if (kube::FindGatewayNode(gw, node_name)) return absl::OkStatus();
  for (size_t i = 0; i < gw.status.active_endpoints.size(); ++i) {
    const kube::GatewayEndpoint& ep = gw.status.active_endpoints[i];
    if (ep.type == kube::EndpointType::kTunnel && !ep.public_key) {
      return absl::InvalidArgumentError(absl::StrCat("status.activeEndpoints[", i, "].config.",
                                                     kube::kConfigPublicKey,
                                                     ": missing WireGuard public key"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<GatewayStore::Rejection> GatewayStore::ReplaceAll(
    std::vector<kube::DecodedGateway> snapshot) {
  std::vector<Rejection> rejected;
  std::map<std::string, kube::Gateway> next;
  for (kube::DecodedGateway& item : snapshot) {
    absl::Status problem = item.gateway.status();
    if (problem.ok()) problem = CheckUsable(*item.gateway, node_name_);
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
