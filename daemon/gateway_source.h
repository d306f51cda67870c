// Where the agent reads the Gateways from: the Kubernetes API (an informer,
// daemon/cluster/api_gateway_source.h) or a JSON file in the CRD format
// (daemon/gateway_file.h; tests and clusters without an API server). Either
// wakes the agent's poll loop through fd().
#ifndef RAVEN_DAEMON_GATEWAY_SOURCE_H_
#define RAVEN_DAEMON_GATEWAY_SOURCE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/kube/resources/gateway.h"

namespace raven {

class GatewaySource {
 public:
  virtual ~GatewaySource() = default;
  // Readable when the Gateways may have changed.
  virtual int fd() const = 0;
  // Consumes the wake-up; true when a Read() is due.
  virtual bool Drain() = 0;
  // Every Gateway, including ones that failed to decode (by name). An error
  // means "nothing usable now": the caller keeps its last good dataplane.
  virtual absl::StatusOr<std::vector<kube::DecodedGateway>> Read() = 0;
  // "" while the Gateways are current; otherwise why they may be out of date
  // (for /healthz and the log).
  virtual std::string Staleness() const = 0;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_GATEWAY_SOURCE_H_
