// Gateway election: which candidate nodes carry a Gateway's cross-pool
// traffic, and the status the controller publishes for it. Pure: the
// controller feeds it node health and writes what it returns.
#ifndef RAVEN_CONTROLLER_ELECTION_H_
#define RAVEN_CONTROLLER_ELECTION_H_

#include <map>
#include <string>
#include <vector>

#include "common/gateway.h"

namespace raven::controller {

// A node belongs to Gateway G when it carries this label with value G.
inline constexpr char kGatewayLabel[] = "raven.openyurt.io/gateway";
// Published by each node's agent; copied into the active endpoint's
// config.publicKey so remote gateways can peer with it.
inline constexpr char kPublicKeyAnnotation[] = "raven.openyurt.io/public-key";

// What the election needs to know of a node.
struct NodeView {
  std::string name;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string internal_ip;             // first InternalIP
  std::vector<std::string> pod_cidrs;  // spec.podCIDRs (both families), else spec.podCIDR
  bool ready = false;                  // NodeReady condition is True
  bool lease_fresh = false;            // its agent renewed its heartbeat Lease in time

  bool healthy() const { return ready && lease_fresh; }
};

struct ElectionResult {
  GatewayStatus status;
  // "tunnel/a1"-style entries, for Events and metrics.
  std::vector<std::string> elected;
  std::vector<std::string> lost;
  // Types with Replicas > 0 but no healthy candidate.
  std::vector<std::string> without_endpoint;
};

// Members: nodes labelled for this Gateway, sorted by name, with their
// addresses and pod CIDRs. Per type (tunnel, proxy) with Replicas > 0: the
// current active endpoints that are still healthy candidates stay, in their
// order (the first is the primary; a returning node never takes the role
// back); free slots are filled from spec.endpoints in list order.
ElectionResult Elect(const Gateway& gateway, const std::map<std::string, NodeView>& nodes);

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_ELECTION_H_
