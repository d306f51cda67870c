// Builds Gateway objects for tests, in the shape the controller publishes.
#ifndef RAVEN_TESTS_UNIT_DAEMON_GATEWAY_BUILDER_H_
#define RAVEN_TESTS_UNIT_DAEMON_GATEWAY_BUILDER_H_

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/kube/resources/gateway.h"
#include "daemon/failover/tunnel_address.h"

namespace raven::testing {

// Distinct valid base64 32-byte keys, ordered as their letters.
inline std::string TestKey(char c) { return std::string(42, c) + "A="; }
inline wg::Key Key(char c) { return wg::Key::FromBase64(TestKey(c)).value(); }
// The tunnel address of Key(c) as an AllowedIPs entry (failover/tunnel_address.h).
inline IpPrefix TunnelHost(char c) { return IpPrefix::Host(failover::TunnelAddress(Key(c))); }

class GatewayBuilder {
 public:
  explicit GatewayBuilder(std::string name) { gw_.meta.name = std::move(name); }

  // `ips`: privateIP, then a dual-stack node's secondaryPrivateIPs, comma-separated.
  GatewayBuilder& Node(const std::string& name, const std::string& ips,
                       std::vector<std::string> subnets) {
    std::vector<std::string> addresses = absl::StrSplit(ips, ',');
    kube::GatewayNode node{name, IpAddress::Parse(addresses[0]).value(), {}};
    for (size_t i = 1; i < addresses.size(); ++i) {
      node.secondary_private_ips.push_back(IpAddress::Parse(addresses[i]).value());
    }
    for (const auto& s : subnets) node.subnets.push_back(IpPrefix::Parse(s).value());
    gw_.status.nodes.push_back(std::move(node));
    return *this;
  }
  // The active tunnel endpoint: `public_ip` may be "" (none).
  GatewayBuilder& Active(const std::string& node, const std::string& public_ip, char key,
                         bool under_nat = false) {
    kube::GatewayEndpoint ep;
    ep.node_name = node;
    ep.type = kube::EndpointType::kTunnel;
    ep.port = 4500;
    if (!public_ip.empty()) ep.public_ip = IpAddress::Parse(public_ip).value();
    ep.under_nat = under_nat;
    ep.public_key = Key(key);
    gw_.status.active_endpoints.push_back(ep);
    return *this;
  }
  GatewayBuilder& Created(absl::Time when) {
    gw_.meta.creation_timestamp = when;
    return *this;
  }
  kube::Gateway Build() const { return gw_; }

 private:
  kube::Gateway gw_;
};

inline std::map<std::string, kube::Gateway> ByName(const std::vector<kube::Gateway>& gateways) {
  std::map<std::string, kube::Gateway> out;
  for (const auto& gw : gateways) out[gw.meta.name] = gw;
  return out;
}

}  // namespace raven::testing

#endif  // RAVEN_TESTS_UNIT_DAEMON_GATEWAY_BUILDER_H_
