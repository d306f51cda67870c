// The status the controller wants for one Gateway: validation, election and
// the Ready condition together, pure so the 409 retry can run it again on the
// fresh object.
//
// Condition Ready (metav1.Condition shape; documented in the CRD):
//   True  / Elected            every type with Replicas > 0 has an active endpoint
//   False / NoHealthyEndpoint  some type has no healthy candidate
//   False / InvalidSpec        ValidateGatewaySpec failed: the message names the
//                              field, and nodes/activeEndpoints stay as they were
// lastTransitionTime changes only when the condition's status does.
#ifndef RAVEN_CONTROLLER_GATEWAY_STATUS_H_
#define RAVEN_CONTROLLER_GATEWAY_STATUS_H_

#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/gateway.h"
#include "controller/election.h"

namespace raven::controller {

inline constexpr char kConditionReady[] = "Ready";
inline constexpr char kReasonElected[] = "Elected";
inline constexpr char kReasonNoHealthyEndpoint[] = "NoHealthyEndpoint";
inline constexpr char kReasonInvalidSpec[] = "InvalidSpec";

struct GatewayOutcome {
  GatewayStatus status;     // what to publish
  absl::Status validation;  // not OK: the Gateway was rejected, no election applied
  ElectionResult election;  // empty when rejected
  bool changed = false;     // status differs from the Gateway's current status
};

// `now` (wall clock) stamps a condition transition.
GatewayOutcome ComputeOutcome(const Gateway& gateway, const std::map<std::string, NodeView>& nodes,
                              absl::Time now);

// For each Gateway, the nodes its election reads: its members and the nodes
// of its spec.endpoints. Grouping once keeps a pass over all Gateways
// O(nodes + gateways) instead of their product.
std::map<std::string, std::map<std::string, NodeView>> NodesByGateway(
    const std::map<std::string, Gateway>& gateways, const std::map<std::string, NodeView>& nodes);

// Sets `c` in `conditions` (by type), keeping lastTransitionTime when the
// status did not change.
void SetCondition(std::vector<GatewayCondition>& conditions, GatewayCondition c);
const GatewayCondition* FindCondition(const GatewayStatus& status, const std::string& type);

// Why a candidate is not healthy, for messages: "NotReady", "heartbeat
// lease expired", "not a member", "unknown node"; "" when healthy.
std::string UnhealthyReason(const Gateway& gateway, const std::string& node,
                            const std::map<std::string, NodeView>& nodes);

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_GATEWAY_STATUS_H_
