// The agent's view of the Gateways: the last good version of each. A new
// snapshot replaces the set, except that an object that fails decoding, or a
// remote Gateway whose active tunnel endpoint has no WireGuard key, keeps its
// last good version, so bad input never tears down a working tunnel.
#ifndef RAVEN_DAEMON_MODEL_GATEWAY_STORE_H_
#define RAVEN_DAEMON_MODEL_GATEWAY_STORE_H_

#include <map>
#include <string>
#include <vector>

#include "common/kube/resources/gateway.h"

namespace raven {

class GatewayStore {
 public:
  // node_name: this node. Its own Gateway is accepted without endpoint keys,
  // which only remote pools' peers need.
  explicit GatewayStore(std::string node_name) : node_name_(std::move(node_name)) {}

  struct Rejection {
    std::string name;  // may be empty when the object had no readable name
    std::string reason;
    bool kept_last_good = false;
  };

  // Returns what was rejected; everything else is now the current state.
  std::vector<Rejection> ReplaceAll(std::vector<kube::DecodedGateway> snapshot);

  const std::map<std::string, kube::Gateway>& gateways() const { return gateways_; }

 private:
  std::string node_name_;
  std::map<std::string, kube::Gateway> gateways_;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_MODEL_GATEWAY_STORE_H_
