// Builds Gateway objects for tests, in the shape the controller publishes.
#ifndef RAVEN_TESTS_UNIT_DAEMON_GATEWAY_BUILDER_H_
#define RAVEN_TESTS_UNIT_DAEMON_GATEWAY_BUILDER_H_

#include <map>
#include <string>
#include <vector>

#include "common/gateway.h"

namespace raven::testing {

// Distinct valid base64 32-byte keys.
inline std::string TestKey(char c) { return std::string(42, c) + "A="; }

class GatewayBuilder {
 public:
  explicit GatewayBuilder(std::string name) { gw_.name = std::move(name); }

  GatewayBuilder& Node(const std::string& name, const std::string& ip,
                       std::vector<std::string> subnets) {
    gw_.status.nodes.push_back({name, ip, std::move(subnets)});
    return *this;
  }
  GatewayBuilder& Active(const std::string& node, const std::string& public_ip, char key,
                         bool under_nat = false) {
    GatewayEndpoint ep;
    ep.node_name = node;
    ep.type = "tunnel";
    ep.port = 4500;
    ep.public_ip = public_ip;
    ep.under_nat = under_nat;
    ep.config["publicKey"] = TestKey(key);
    gw_.status.active_endpoints.push_back(ep);
    return *this;
  }
  Gateway Build() const { return gw_; }

 private:
  Gateway gw_;
};

inline std::map<std::string, Gateway> ByName(const std::vector<Gateway>& gateways) {
  std::map<std::string, Gateway> out;
  for (const auto& gw : gateways) out[gw.name] = gw;
  return out;
}

}  // namespace raven::testing

#endif  // RAVEN_TESTS_UNIT_DAEMON_GATEWAY_BUILDER_H_
