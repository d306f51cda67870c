// Exposure through a load balancer (exposeType LoadBalancer; upstream's
// gatewaypublicservice controller, fixed). For each such Gateway, one
// Service of type LoadBalancer without a selector, raven-tunnel-<gateway>
// in the controller's namespace, and its Endpoints, which name the Gateway's
// primary active tunnel endpoint (its status.nodes privateIP). Ports, UDP:
// "wireguard" (the endpoint's port) and "relay-<i>", the NAT relay port of
// each Gateway (relay_port_base + i in name order, as the agents number
// them), since the gateway behind it may relay. A failover changes the
// Endpoints only: the load balancer's address stays, the controller
// publishes it as the primary endpoint's publicIP (gateway_status.h), and
// the peers keep their endpoint. Upstream creates one Service per active
// endpoint under a random name and its users report them left pointing at
// a dead gateway (openyurt#2760).
#ifndef RAVEN_CONTROLLER_TUNNEL_SERVICE_H_
#define RAVEN_CONTROLLER_TUNNEL_SERVICE_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "common/ip_prefix.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/service.h"

namespace raven::controller {

// The objects raven-controller manages carry this label; the full Gateway
// name (which may not fit a label) is in the annotation kGatewayLabel.
inline constexpr char kManagedByLabel[] = "app.kubernetes.io/managed-by";
inline constexpr char kManagedBy[] = "raven-controller";

// "raven-tunnel-<gateway>", or, when that is not a DNS-1035 label of at most
// 63 characters, "raven-tunnel-" and 16 hex digits of a hash of the name.
std::string TunnelServiceName(const std::string& gateway);

struct TunnelExposure {
  kube::Service service;
  kube::Endpoints endpoints;  // no subset while the Gateway has no active tunnel endpoint

  bool operator==(const TunnelExposure&) const = default;
};

// The wanted Service and Endpoints of every Gateway with exposeType
// LoadBalancer, by Service name, from the Gateways' spec and status.
std::map<std::string, TunnelExposure> DesiredExposures(
    const std::map<std::string, kube::Gateway>& gateways, const std::string& ns,
    int relay_port_base);

// Each exposed Gateway's load balancer address (the first ingress IP of its
// Service, when the load balancer has given one), by Gateway.
std::map<std::string, IpAddress> LoadBalancerAddresses(
    const std::map<std::string, kube::Gateway>& gateways,
    const std::map<std::string, kube::Service>& services);

// Makes the managed Services and Endpoints in `ns` what `desired` says:
// creates what is missing, patches what differs, deletes managed objects no
// Gateway wants (its exposeType changed, or it is gone). `services` and
// `endpoints`: the informers' copies (keyed "ns/name"). Returns the first
// error; the rest is still tried.
class TunnelServiceWriter {
 public:
  TunnelServiceWriter(kube::RestClient* rest, std::string ns);
  absl::Status Sync(const std::map<std::string, TunnelExposure>& desired,
                    const std::map<std::string, kube::Service>& services,
                    const std::map<std::string, kube::Endpoints>& endpoints);

 private:
  kube::ResourceClient<kube::Service> services_;
  kube::ResourceClient<kube::Endpoints> endpoints_;
};

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_TUNNEL_SERVICE_H_
