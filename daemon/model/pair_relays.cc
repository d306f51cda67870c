#include "daemon/model/pair_relays.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace raven {

using kube::Gateway;
using kube::GatewayEndpoint;

bool CallsOut(const GatewayEndpoint& active) { return active.under_nat && !active.public_ip; }

bool ReportsUnanswered(const Gateway& gw, const std::string& peer) {
  const GatewayEndpoint* active = ActiveTunnelEndpoint(gw);
  return active != nullptr && std::any_of(gw.status.paths.begin(), gw.status.paths.end(),
                                          [&](const kube::GatewayPath& p) {
                                            return p.node_name == active->node_name &&
                                                   p.gateway == peer &&
                                                   p.reason == kube::kReasonEndpointUnanswered;
                                          });
}

bool PairRelayed(const Gateway& a, const GatewayEndpoint& a_active, const Gateway& b,
                 const GatewayEndpoint& b_active) {
  return (CallsOut(a_active) && CallsOut(b_active)) || ReportsUnanswered(a, b.meta.name) ||
         ReportsUnanswered(b, a.meta.name);
}

std::optional<RelayCandidate> RelayOf(const std::vector<RelayCandidate>& relays,
                                      const std::string& a, const std::string& b) {
  std::vector<RelayCandidate> others;
  std::copy_if(relays.begin(), relays.end(), std::back_inserter(others),
               [&](const RelayCandidate& c) { return c.gateway != a && c.gateway != b; });
  return ChooseRelay(others, a, b);
}

std::vector<RelayCandidate> DetourRelaysOf(const std::vector<RelayCandidate>& relays,
                                           const Gateway& a, const GatewayEndpoint& a_active,
                                           const Gateway& b, const GatewayEndpoint& b_active,
                                           const std::map<std::string, uint16_t>& ports,
                                           int max_relays) {
  if (CallsOut(a_active) || CallsOut(b_active) || PairRelayed(a, a_active, b, b_active) ||
      !ports.contains(a.meta.name) || !ports.contains(b.meta.name)) {
    return {};
  }
  std::vector<RelayCandidate> others;
  std::copy_if(relays.begin(), relays.end(), std::back_inserter(others),
               [&](const RelayCandidate& c) {
                 return c.gateway != a.meta.name && c.gateway != b.meta.name;
               });
  std::vector<RelayCandidate> ranked = RankRelays(std::move(others), a.meta.name, b.meta.name);
  ranked.resize(std::min(ranked.size(), static_cast<size_t>(std::max(max_relays, 0))));
  return ranked;
}

RelayDuty DutyOf(const std::map<std::string, Gateway>& gateways, const Gateway& local,
                 const std::vector<RelayCandidate>& relays,
                 const std::map<std::string, uint16_t>& ports, int max_detour_relays) {
  RelayDuty duty;
  if (std::none_of(relays.begin(), relays.end(),
                   [&](const RelayCandidate& c) { return c.gateway == local.meta.name; })) {
    return duty;
  }
  std::vector<std::pair<const Gateway*, const GatewayEndpoint*>> ends;
  for (const auto& [name, gw] : gateways) {
    const GatewayEndpoint* active = ActiveTunnelEndpoint(gw);
    if (active != nullptr && active->public_key) ends.emplace_back(&gw, active);
  }
  for (size_t i = 0; i < ends.size(); ++i) {
    for (size_t j = i + 1; j < ends.size(); ++j) {
      const auto& [a_gw, a_active] = ends[i];
      const auto& [b_gw, b_active] = ends[j];
      const std::string& a = a_gw->meta.name;
      const std::string& b = b_gw->meta.name;
      std::vector<RelayCandidate> serving;
      if (PairRelayed(*a_gw, *a_active, *b_gw, *b_active)) {
        if (std::optional<RelayCandidate> relay = RelayOf(relays, a, b)) serving.push_back(*relay);
      } else {
        serving =
            DetourRelaysOf(relays, *a_gw, *a_active, *b_gw, *b_active, ports, max_detour_relays);
      }
      if (std::none_of(serving.begin(), serving.end(),
                       [&](const RelayCandidate& c) { return c.gateway == local.meta.name; }) ||
          !ports.contains(a) || !ports.contains(b)) {
        continue;
      }
      duty.pairs.emplace(a, b);
      duty.ports[a] = ports.at(a);
      duty.ports[b] = ports.at(b);
      duty.gateways[*a_active->public_key] = a;
      duty.gateways[*b_active->public_key] = b;
    }
  }
  return duty;
}

}  // namespace raven
