// The Gateway custom resource (raven.openyurt.io/v1beta1), field for field as
// OpenYurt's, decoded once into typed values: addresses, prefixes, the
// WireGuard key, enums. Decoding is strict and names the first bad field
// ("status.nodes[0].subnets[1]: invalid CIDR \"100.64.2.0/33\": ..."), as the
// CRD's schema does; cross-field rules (webhook-style) are the controller's
// (controller/gateway_validation.h).
#ifndef RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_H_
#define RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/ip_prefix.h"
#include "common/kube/resources/gateway_path.h"
#include "common/kube/resources/object_meta.h"
#include "common/kube/resources/resource_traits.h"
#include "common/wg_key.h"
#include "rapidjson/document.h"

namespace raven::kube {

inline constexpr char kGatewayApiVersion[] = "raven.openyurt.io/v1beta1";
inline constexpr char kGatewayKind[] = "Gateway";
inline constexpr int kDefaultTunnelPort = 4500;
inline constexpr int kDefaultProxyPort = 10262;
// The key in an endpoint's config map holding the node's WireGuard public key
// (as upstream's agent stores it).
inline constexpr char kConfigPublicKey[] = "publicKey";

enum class EndpointType { kTunnel, kProxy };
const char* EndpointTypeName(EndpointType type);  // "tunnel", "proxy"

enum class ExposeType { kNone, kPublicIP, kLoadBalancer };  // "", PublicIP, LoadBalancer

struct GatewayEndpoint {
  std::string node_name;
  EndpointType type = EndpointType::kTunnel;
  int port = 0;  // 0: the type's default
  bool under_nat = false;
  std::string nat_type;
  std::optional<IpAddress> public_ip;
  int public_port = 0;
  std::optional<wg::Key> public_key;          // config.publicKey
  std::map<std::string, std::string> config;  // the other config entries, as they were

  bool operator==(const GatewayEndpoint&) const = default;
};

// Raven's addition to a status.nodes entry (absent upstream): the node's
// InternalIPs of the families other than privateIP's, the first of each, so
// that a dual-stack node's other address is known too. One address per family
// and never privateIP's family, so at most one while there are two families.
inline constexpr char kSecondaryPrivateIPsField[] = "secondaryPrivateIPs";

struct GatewayNode {
  std::string node_name;
  std::optional<IpAddress> private_ip;  // privateIP: the node's first InternalIP
  std::vector<IpPrefix> subnets;
  // secondaryPrivateIPs (omitted when empty): see kSecondaryPrivateIPsField.
  std::vector<IpAddress> secondary_private_ips;

  bool operator==(const GatewayNode&) const = default;
};

struct GatewaySpec {
  std::map<std::string, std::string> node_selector;  // matchLabels only
  std::vector<GatewayEndpoint> endpoints;
  ExposeType expose_type = ExposeType::kNone;
  int tunnel_replicas = 0;
  int proxy_replicas = 0;
  std::string proxy_http_port;
  std::string proxy_https_port;

  bool operator==(const GatewaySpec&) const = default;
};

// metav1.Condition. The controller sets type Ready (see crd/ for reasons).
struct GatewayCondition {
  std::string type;
  std::string status;  // "True", "False" or "Unknown"
  std::string reason;
  std::string message;
  std::optional<absl::Time> last_transition_time;
  int64_t observed_generation = 0;

  bool operator==(const GatewayCondition&) const = default;
};

struct GatewayStatus {
  std::vector<GatewayNode> nodes;
  std::vector<GatewayEndpoint> active_endpoints;
  std::vector<GatewayCondition> conditions;
  // Raven's addition (omitted when empty): each active tunnel endpoint's
  // path to every other Gateway (gateway_path.h), by node, then gateway.
  std::vector<GatewayPath> paths;

  bool operator==(const GatewayStatus&) const = default;
};

struct Gateway {
  ObjectMeta meta;
  GatewaySpec spec;
  GatewayStatus status;
  // Why the status did not decode (it is then empty). A bad status does not
  // make the object undecodable: the controller must still see the Gateway to
  // rewrite its status, while agents refuse it and keep its last good version.
  std::string invalid_status;

  bool operator==(const Gateway&) const = default;
};

// The first active endpoint of type tunnel, or nullptr.
const GatewayEndpoint* ActiveTunnelEndpoint(const Gateway& gateway);
// The status.nodes entry of `node_name`, or nullptr.
const GatewayNode* FindGatewayNode(const Gateway& gateway, const std::string& node_name);
// All of a node's addresses: privateIP (when set), then secondaryPrivateIPs.
std::vector<IpAddress> NodeAddresses(const GatewayNode& node);

// Unknown fields are ignored (forward compatibility); a known field of the
// wrong type or with an invalid value is an error naming its path, except in
// the status, which is left empty with the error in invalid_status.
absl::StatusOr<Gateway> DecodeGateway(const rapidjson::Value& object);
absl::StatusOr<Gateway> DecodeGatewayJson(absl::string_view json);
// With apiVersion and kind; empty optional fields are omitted.
std::string EncodeGatewayJson(const Gateway& gateway);

// One item of a document: the name is kept even when decoding failed, so that
// a caller can fall back to the last good version of that Gateway.
struct DecodedGateway {
  std::string name;
  absl::StatusOr<Gateway> gateway;
};

// Accepts a GatewayList / v1 List ({"items": [...]}), a bare JSON array, or a
// single Gateway. Fails only when the document itself is unusable.
absl::StatusOr<std::vector<DecodedGateway>> DecodeGatewayDocument(absl::string_view json);

template <>
struct ResourceTraits<Gateway> {
  static constexpr const char* kGroupVersionPath = "/apis/raven.openyurt.io/v1beta1";
  static constexpr const char* kPlural = "gateways";
  static constexpr const char* kKind = "Gateway";
  static constexpr bool kNamespaced = false;
  static constexpr bool kFullyModeled = true;
  static absl::StatusOr<Gateway> Decode(const rapidjson::Value& v) { return DecodeGateway(v); }
  static std::string Encode(const Gateway& g) { return EncodeGatewayJson(g); }
  static std::string Name(const Gateway& g) { return g.meta.name; }
  static std::string Namespace(const Gateway&) { return ""; }
  static std::string ResourceVersion(const Gateway& g) { return g.meta.resource_version; }
  static void SetResourceVersion(Gateway& g, std::string rv) {
    g.meta.resource_version = std::move(rv);
  }
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_H_
