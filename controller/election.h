// Gateway election: which candidate nodes carry a Gateway's cross-pool
// traffic, and the status the controller publishes for it. Pure: the
// controller feeds it node health and writes what it returns.
#ifndef RAVEN_CONTROLLER_ELECTION_H_
#define RAVEN_CONTROLLER_ELECTION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_prefix.h"
#include "common/kube/resources/gateway.h"
#include "common/raven_annotations.h"

namespace raven::controller {

// The controller works on the Gateway resource throughout.
using kube::Gateway;
using kube::GatewayCondition;
using kube::GatewayEndpoint;
using kube::GatewaySpec;
using kube::GatewayStatus;

// What the election needs to know of a node (label and annotation names in
// common/raven_annotations.h).
struct NodeView {
  std::string name;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<IpAddress> internal_ip;  // first InternalIP
  // A dual-stack node's first InternalIP of each other family (status
  // secondaryPrivateIPs); empty on a single-stack node.
  std::vector<IpAddress> other_internal_ips;
  std::vector<IpPrefix> pod_cidrs;  // spec.podCIDRs (both families), else spec.podCIDR
  bool ready = false;               // NodeReady condition is True
  bool lease_fresh = false;         // its agent renewed its heartbeat Lease in time

  bool healthy() const { return ready && lease_fresh; }
  bool operator==(const NodeView&) const = default;
};

struct ElectionResult {
  kube::GatewayStatus status;
  // "tunnel/a1"-style entries, for Events and metrics.
  std::vector<std::string> elected;
  std::vector<std::string> lost;
  // Types with Replicas > 0 but no healthy candidate.
  std::vector<std::string> without_endpoint;
  // Members left out of status.nodes because they have no InternalIP (the
  // CRD requires privateIP, and the dataplane cannot reach them anyway).
  std::vector<std::string> skipped_members;
};

// Members: nodes labelled for this Gateway that have an InternalIP, sorted by
// name, with their addresses (privateIP: the first InternalIP; secondaryPrivateIPs:
// the first of each other family) and pod CIDRs (sorted). Per type (tunnel, proxy) with Replicas >
// 0: the current active endpoints that are still healthy candidates stay, in their order (the first
// is the primary; a returning node never takes the role back); free slots are filled from
// spec.endpoints in list order. A published endpoint is its spec entry with port = spec port, else
// (tunnel) the agent's wireguard-port annotation, else the type's default, and (tunnel)
// config.publicKey from the agent's public-key annotation (none when it is
// not a WireGuard key). status.conditions is left empty: the caller owns it.
ElectionResult Elect(const kube::Gateway& gateway, const std::map<std::string, NodeView>& nodes);

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_ELECTION_H_
