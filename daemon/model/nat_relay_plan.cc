#include "daemon/model/nat_relay_plan.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace raven {
namespace {

using kube::ExposeType;
using kube::Gateway;
using kube::GatewayEndpoint;

uint64_t Fnv1a64(const std::string& text, uint64_t hash = 14695981039346656037ull) {
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

}  // namespace

std::string UdpAddress::ToString() const {
  if (ip.family == IpFamily::kV6) return absl::StrCat("[", ip.ToString(), "]:", port);
  return absl::StrCat(ip.ToString(), ":", port);
}

std::vector<RelayCandidate> RelayCandidates(const std::map<std::string, Gateway>& gateways) {
  std::vector<RelayCandidate> out;
  for (const auto& [name, gw] : gateways) {
    if (gw.spec.expose_type != ExposeType::kPublicIP &&
        gw.spec.expose_type != ExposeType::kLoadBalancer) {
      continue;
    }
    const GatewayEndpoint* active = ActiveTunnelEndpoint(gw);
    if (active == nullptr || active->under_nat || !active->public_key) continue;
    std::optional<IpAddress> address = active->public_ip;
    if (!address) {
      const kube::GatewayNode* node = FindGatewayNode(gw, active->node_name);
      if (node != nullptr) address = node->private_ip;
    }
    if (!address) continue;
    out.push_back({name, *address, *active->public_key});
  }
  return out;
}

std::vector<RelayCandidate> RankRelays(std::vector<RelayCandidate> candidates, const std::string& a,
                                       const std::string& b) {
  const std::string pair = a < b ? absl::StrCat(a, "\n", b, "\n") : absl::StrCat(b, "\n", a, "\n");
  const uint64_t seed = Fnv1a64(pair);
  auto rank = [&](const RelayCandidate& c) {
    return std::make_pair(~Fnv1a64(c.gateway, seed), c.gateway);  // highest hash first
  };
  std::sort(candidates.begin(), candidates.end(),
            [&](const RelayCandidate& x, const RelayCandidate& y) { return rank(x) < rank(y); });
  return candidates;
}

std::optional<RelayCandidate> ChooseRelay(const std::vector<RelayCandidate>& candidates,
                                          const std::string& a, const std::string& b) {
  std::vector<RelayCandidate> ranked = RankRelays(candidates, a, b);
  if (ranked.empty()) return std::nullopt;
  return ranked.front();
}

std::map<std::string, uint16_t> RelayPorts(const std::map<std::string, Gateway>& gateways,
                                           uint16_t relay_port_base) {
  std::map<std::string, uint16_t> ports;
  uint32_t port = relay_port_base;
  for (const auto& [name, gw] : gateways) {
    if (port > 65535) break;
    ports[name] = static_cast<uint16_t>(port++);
  }
  return ports;
}

}  // namespace raven
