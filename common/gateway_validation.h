// Semantic checks of a Gateway beyond JSON types: what the dataplane needs to
// be true before it acts on an object (addresses, CIDRs, ports, keys).
#ifndef RAVEN_COMMON_GATEWAY_VALIDATION_H_
#define RAVEN_COMMON_GATEWAY_VALIDATION_H_

#include "absl/status/status.h"
#include "common/gateway.h"

namespace raven {

// Checks status.nodes (private IPs, subnets as CIDRs) and the active tunnel
// endpoints (public IP, ports, a 32-byte base64 WireGuard public key). The
// message names the offending field: "status.nodes[0].subnets[1]: invalid CIDR …".
absl::Status ValidateGatewayForDataplane(const Gateway& gateway);

// The first active endpoint of type tunnel, or nullptr.
const GatewayEndpoint* ActiveTunnelEndpoint(const Gateway& gateway);

}  // namespace raven

#endif  // RAVEN_COMMON_GATEWAY_VALIDATION_H_
