// Which Gateway owns each pod CIDR its member Nodes claim. Two Gateways whose
// members claim overlapping CIDRs (the same, or one nested in another) cannot
// both have them routed: the holder keeps them and the other's are refused,
// left out of its status.nodes (a PrefixConflict, in its Ready condition and
// an Event). Precedence: the Gateway that already publishes the prefix (an
// established pool keeps its traffic when a newcomer claims it), then the
// older Gateway, then the name.
#ifndef RAVEN_CONTROLLER_PREFIX_OWNERSHIP_H_
#define RAVEN_CONTROLLER_PREFIX_OWNERSHIP_H_

#include <map>
#include <string>
#include <vector>

#include "common/ip_prefix.h"
#include "common/kube/resources/gateway.h"
#include "controller/election.h"

namespace raven::controller {

struct RefusedPrefix {
  std::string node;  // the member whose pod CIDR it is
  IpPrefix prefix;
  std::string holder;  // the Gateway that has it
  IpPrefix held;       // the holder's overlapping prefix

  bool operator==(const RefusedPrefix&) const = default;
};

// Gateway name -> its refused prefixes (Gateways without any are absent).
// `members` holds each Gateway's view of nodes (NodesByGateway); only nodes
// labelled for that Gateway claim.
std::map<std::string, std::vector<RefusedPrefix>> ResolvePrefixOwnership(
    const std::map<std::string, kube::Gateway>& gateways,
    const std::map<std::string, std::map<std::string, NodeView>>& members);

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_PREFIX_OWNERSHIP_H_
