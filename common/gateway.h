// The Gateway custom resource (raven.openyurt.io/v1beta1), field for field as
// OpenYurt's, plus its JSON encoding. Decoding is strict about types and
// reports the path of the first bad field; semantic checks live in
// gateway_validation.h.
#ifndef RAVEN_COMMON_GATEWAY_H_
#define RAVEN_COMMON_GATEWAY_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rapidjson/document.h"

namespace raven {

inline constexpr absl::string_view kGatewayApiVersion = "raven.openyurt.io/v1beta1";
inline constexpr absl::string_view kGatewayKind = "Gateway";
inline constexpr absl::string_view kEndpointTypeTunnel = "tunnel";
inline constexpr absl::string_view kEndpointTypeProxy = "proxy";
inline constexpr int kDefaultTunnelPort = 4500;
inline constexpr int kDefaultProxyPort = 10262;
// Key in an endpoint's config map holding the node's WireGuard public key (as upstream).
inline constexpr absl::string_view kConfigPublicKey = "publicKey";

struct GatewayEndpoint {
  std::string node_name;
  std::string type;  // "tunnel" or "proxy"
  int port = 0;
  bool under_nat = false;
  std::string nat_type;
  std::string public_ip;
  int public_port = 0;
  std::map<std::string, std::string> config;

  bool operator==(const GatewayEndpoint&) const = default;
};

struct GatewayNodeInfo {
  std::string node_name;
  std::string private_ip;
  std::vector<std::string> subnets;

  bool operator==(const GatewayNodeInfo&) const = default;
};

struct GatewaySpec {
  std::map<std::string, std::string> node_selector;  // matchLabels only
  std::vector<GatewayEndpoint> endpoints;
  std::string expose_type;  // "PublicIP", "LoadBalancer" or ""
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
  std::string last_transition_time;  // RFC 3339
  int64_t observed_generation = 0;

  bool operator==(const GatewayCondition&) const = default;
};

struct GatewayStatus {
  std::vector<GatewayNodeInfo> nodes;
  std::vector<GatewayEndpoint> active_endpoints;
  std::vector<GatewayCondition> conditions;

  bool operator==(const GatewayStatus&) const = default;
};

struct Gateway {
  std::string name;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::string creation_timestamp;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  GatewaySpec spec;
  GatewayStatus status;

  bool operator==(const Gateway&) const = default;
};

// Decodes one Gateway object. Unknown fields are ignored (forward
// compatibility); a known field of the wrong type is an error.
absl::StatusOr<Gateway> DecodeGateway(const rapidjson::Value& object);
absl::StatusOr<Gateway> DecodeGatewayJson(absl::string_view json);

// Encodes with apiVersion and kind; empty optional fields are omitted.
void EncodeGateway(const Gateway& gateway, rapidjson::Value& out,
                   rapidjson::Document::AllocatorType& allocator);
std::string EncodeGatewayJson(const Gateway& gateway);

// One item of a list: the name is kept even when decoding failed, so that a
// caller can fall back to the last good version of that Gateway.
struct DecodedGateway {
  std::string name;
  absl::StatusOr<Gateway> gateway;
};

// Accepts a GatewayList / v1 List ({"items": [...]}), a bare JSON array, or a
// single Gateway. Fails only when the document itself is unusable.
absl::StatusOr<std::vector<DecodedGateway>> DecodeGatewayDocument(absl::string_view json);

}  // namespace raven

#endif  // RAVEN_COMMON_GATEWAY_H_
