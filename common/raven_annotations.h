// Names on Kubernetes objects that raven's components agree on: the agent
// writes the Node annotations and heartbeat Leases, the controller reads them.
#ifndef RAVEN_COMMON_RAVEN_ANNOTATIONS_H_
#define RAVEN_COMMON_RAVEN_ANNOTATIONS_H_

namespace raven {

// A node belongs to Gateway G when it carries this label with value G.
inline constexpr char kGatewayLabel[] = "raven.openyurt.io/gateway";
// The node agent's WireGuard public key (base64 of 32 bytes), copied by the
// controller into the active endpoint's config.publicKey.
inline constexpr char kPublicKeyAnnotation[] = "raven.openyurt.io/public-key";
// The node agent's WireGuard listen port (decimal), used for an active tunnel
// endpoint whose spec gives no port.
inline constexpr char kWireGuardPortAnnotation[] = "raven.openyurt.io/wireguard-port";
// The NAT type the node agent discovered through the NAT relays, in upstream
// Raven's words ("Symmetric NAT", "Port Restricted cone NAT", "Restricted
// cone NAT"), copied by the controller into the active endpoint's natType
// when the spec gives none.
inline constexpr char kNatTypeAnnotation[] = "raven.openyurt.io/nat-type";
// The node agent's path to every other Gateway while it is an active gateway
// (format in common/kube/resources/gateway_path.h), copied by the controller
// into the Gateway's status.paths.
inline constexpr char kPathsAnnotation[] = "raven.openyurt.io/paths";
// An operator's word that a node is drained for maintenance ("true"): the
// controller elects it only after every healthy candidate that is not, so
// its Gateway's traffic moves to a standby whose sessions are already up.
inline constexpr char kDrainAnnotation[] = "raven.openyurt.io/drain";

// Agents' heartbeat Leases (coordination.k8s.io/v1): one per node, named after
// the node, holderIdentity = the node name, in this namespace by default.
inline constexpr char kDefaultRavenNamespace[] = "raven-system";
inline constexpr int kDefaultHeartbeatLeaseSeconds = 2;

}  // namespace raven

#endif  // RAVEN_COMMON_RAVEN_ANNOTATIONS_H_
