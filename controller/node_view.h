// A Node as the election sees it (controller/election.h NodeView), without
// its heartbeat, which the LeaseTracker supplies.
#ifndef RAVEN_CONTROLLER_NODE_VIEW_H_
#define RAVEN_CONTROLLER_NODE_VIEW_H_

#include "common/kube/resources/node.h"
#include "controller/election.h"

namespace raven::controller {

// Labels, annotations, first InternalIP (and the first InternalIP of each
// other family), spec.podCIDRs (else spec.podCIDR), Ready. lease_fresh is
// left false.
NodeView ToNodeView(const kube::Node& node);

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_NODE_VIEW_H_
