// The status the controller wants for one Gateway: validation, election,
// prefix ownership and the Ready condition together, pure so the 409 retry
// can run it again on the fresh object.
//
// Condition Ready (metav1.Condition shape; documented in the CRD):
//   True  / Elected            every type with Replicas > 0 has an active endpoint
//   False / NoHealthyEndpoint  some type has no healthy candidate
//   False / PrefixConflict     members claim pod CIDRs another Gateway holds;
//                              they are left out of status.nodes
//   False / InvalidSpec        ValidateGatewaySpec failed: the message names the
//                              field, and nodes/activeEndpoints stay as they were
// lastTransitionTime changes only when the condition's status does. Messages
// are bounded (kMaxMessageBytes): a Gateway with thousands of endpoints or
// conflicts says how many more there are instead of listing them all.
#ifndef RAVEN_CONTROLLER_GATEWAY_STATUS_H_
#define RAVEN_CONTROLLER_GATEWAY_STATUS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/kube/resources/gateway.h"
#include "controller/election.h"
#include "controller/path_report.h"
#include "controller/prefix_ownership.h"

namespace raven::controller {

inline constexpr char kConditionReady[] = "Ready";
inline constexpr char kReasonElected[] = "Elected";
inline constexpr char kReasonNoHealthyEndpoint[] = "NoHealthyEndpoint";
inline constexpr char kReasonPrefixConflict[] = "PrefixConflict";
inline constexpr char kReasonInvalidSpec[] = "InvalidSpec";
// Condition and Event messages are cut to this (Events are truncated to 1 KiB
// by kube-apiserver's clients too).
inline constexpr size_t kMaxMessageBytes = 1024;

struct GatewayOutcome {
  kube::GatewayStatus status;          // what to publish
  absl::Status validation;             // not OK: the Gateway was rejected, no election applied
  ElectionResult election;             // empty when rejected
  std::vector<RefusedPrefix> refused;  // members' prefixes left out (another Gateway holds them)
  // status.paths against the current status (path_report.h), and the active
  // endpoints' path annotations that did not parse.
  std::vector<PathChange> path_changes;
  std::vector<std::string> path_problems;
  bool changed = false;  // status differs from the Gateway's current status
};

// `refused`: this Gateway's prefixes another holds (ResolvePrefixOwnership).
// `now` (wall clock) stamps a condition transition. `load_balancer`: with
// exposeType LoadBalancer, the address of its load balancer
// (tunnel_service.h), published as the primary tunnel endpoint's publicIP
// (and its port as publicPort) when the spec gives none.
GatewayOutcome ComputeOutcome(const kube::Gateway& gateway,
                              const std::map<std::string, NodeView>& nodes,
                              const std::vector<RefusedPrefix>& refused, absl::Time now,
                              const std::optional<IpAddress>& load_balancer = std::nullopt);

// For each Gateway, the nodes its election reads: its members and the nodes
// of its spec.endpoints. Grouping once keeps a pass over all Gateways
// O(nodes + gateways) instead of their product.
std::map<std::string, std::map<std::string, NodeView>> NodesByGateway(
    const std::map<std::string, kube::Gateway>& gateways,
    const std::map<std::string, NodeView>& nodes);

// Sets `c` in `conditions` (by type), keeping lastTransitionTime when the
// status did not change.
void SetCondition(std::vector<kube::GatewayCondition>& conditions, kube::GatewayCondition c);
const kube::GatewayCondition* FindCondition(const kube::GatewayStatus& status,
                                            const std::string& type);

// Why a candidate is not healthy, for messages: "NotReady", "heartbeat
// lease expired", "not a member", "unknown node"; "" when healthy.
std::string UnhealthyReason(const kube::Gateway& gateway, const std::string& node,
                            const std::map<std::string, NodeView>& nodes);

// "2 pod CIDRs claimed by another Gateway first, …: 10.0.1.0/24 of n1
// (Gateway gw-b has 10.0.0.0/16), …", bounded.
std::string PrefixConflictMessage(const std::vector<RefusedPrefix>& refused);

// "a, b, c and 12 more": items joined until `max_bytes`, then counted.
std::string BoundedList(const std::vector<std::string>& items, size_t max_bytes);

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_GATEWAY_STATUS_H_
