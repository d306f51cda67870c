// Which pairs of Gateways go through which relays, decided from the Gateways
// alone (pure; every node computes the same answers): a pair that has no
// direct path goes through its NAT relay (nat_relay_plan.h), a pair that has
// one keeps third Gateways ready to detour through (failover/path_choice.h),
// and a relay serves the pairs of both kinds that are its.
#ifndef RAVEN_DAEMON_MODEL_PAIR_RELAYS_H_
#define RAVEN_DAEMON_MODEL_PAIR_RELAYS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/kube/resources/gateway.h"
#include "daemon/model/nat_relay_plan.h"

namespace raven {

// Whether a gateway can only call out: behind NAT, without a public address.
bool CallsOut(const kube::GatewayEndpoint& active);

// Whether `gw`'s status says its active gateway found the endpoint `peer`
// publishes unanswered (kube::kReasonEndpointUnanswered).
// Only the primary active endpoint's entries count (a standby's may be stale).
bool ReportsUnanswered(const kube::Gateway& gw, const std::string& peer);

// Whether the pair goes through a NAT relay (when one is up): both active
// gateways only call out, or one of them reports the other's published
// endpoint unanswered. Every node decides alike from the Gateways.
bool PairRelayed(const kube::Gateway& a, const kube::GatewayEndpoint& a_active,
                 const kube::Gateway& b, const kube::GatewayEndpoint& b_active);

// The relay of a pair: never one of its own two Gateways.
std::optional<RelayCandidate> RelayOf(const std::vector<RelayCandidate>& relays,
                                      const std::string& a, const std::string& b);

// The third Gateways through which a pair with a direct path (neither end
// only calls out, neither reports the other unanswered) can detour, best
// first, at most max_relays: both ends register with each at all
// times, so that either can move the pair onto one at once
// (failover/path_choice.h).
std::vector<RelayCandidate> DetourRelaysOf(const std::vector<RelayCandidate>& relays,
                                           const kube::Gateway& a,
                                           const kube::GatewayEndpoint& a_active,
                                           const kube::Gateway& b,
                                           const kube::GatewayEndpoint& b_active,
                                           const std::map<std::string, uint16_t>& ports,
                                           int max_relays);

// The pairs this node's Gateway relays (it is a relay candidate): every pair
// of Gateways that goes through a relay (PairRelayed) and whose relay it is,
// and every pair that can detour through it.
RelayDuty DutyOf(const std::map<std::string, kube::Gateway>& gateways, const kube::Gateway& local,
                 const std::vector<RelayCandidate>& relays,
                 const std::map<std::string, uint16_t>& ports, int max_detour_relays);

}  // namespace raven

#endif  // RAVEN_DAEMON_MODEL_PAIR_RELAYS_H_
