// Semantic checks of a Gateway beyond JSON types: what the dataplane needs to
// be true before it acts on an object (addresses, CIDRs, ports, keys).
#ifndef RAVEN_COMMON_GATEWAY_VALIDATION_H_
#define RAVEN_COMMON_GATEWAY_VALIDATION_H_

#include "absl/status/status.h"
#include "common/gateway.h"

namespace raven {

// Checks status.nodes (private IPs, subnets as CIDRs) and the active tunnel
// endpoints (public IP, ports and, when require_endpoint_keys, a 32-byte base64
// WireGuard public key: a node needs the keys of remote pools only). The
// message names the offending field: "status.nodes[0].subnets[1]: invalid CIDR …".
absl::Status ValidateGatewayForDataplane(const Gateway& gateway, bool require_endpoint_keys = true);

// The rules of OpenYurt's validating webhook for a Gateway's spec, except that
// tunnel Replicas > 1 is allowed (standby gateways): exposeType is "",
// PublicIP or LoadBalancer; an exposed Gateway is not underNAT; endpoints
// agree on underNAT; each has a nodeName, a type of proxy or tunnel, a valid
// publicIP when set, ports in range; proxy Replicas do not exceed the proxy
// endpoints. The controller never acts on a Gateway that fails this.
absl::Status ValidateGatewaySpec(const Gateway& gateway);

// The first active endpoint of type tunnel, or nullptr.
const GatewayEndpoint* ActiveTunnelEndpoint(const Gateway& gateway);

}  // namespace raven

#endif  // RAVEN_COMMON_GATEWAY_VALIDATION_H_
