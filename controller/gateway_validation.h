// The cross-field rules of OpenYurt's validating webhook for a Gateway's spec
// (the single values are checked when the Gateway is decoded), except that
// tunnel Replicas > 1 is allowed (standby gateways): an exposed Gateway is not
// underNAT; endpoints agree on underNAT; proxy Replicas do not exceed the
// proxy endpoints. The controller never acts on a Gateway that fails this.
#ifndef RAVEN_CONTROLLER_GATEWAY_VALIDATION_H_
#define RAVEN_CONTROLLER_GATEWAY_VALIDATION_H_

#include "absl/status/status.h"
#include "common/kube/resources/gateway.h"

namespace raven::controller {

// The message names the offending field: "spec.endpoints[1].underNAT: …".
absl::Status ValidateGatewaySpec(const kube::Gateway& gateway);

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_GATEWAY_VALIDATION_H_
