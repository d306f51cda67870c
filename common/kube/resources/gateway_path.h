// How an active tunnel endpoint reaches each other Gateway: Raven's addition
// to the Gateway status (status.paths, absent upstream). The endpoint's agent
// publishes its paths in the Node annotation kPathsAnnotation, the controller
// checks them and copies them into the status (controller/election.h).
//
// Annotation: entries "<gateway>=<path>[/<via>][:<reason>][@<rtt>+<loss>]"
// joined by ",", sorted by gateway, e.g. "gw-cloud=Direct@1250+0,gw-edge-b=
// Relay/gw-cloud", "gw-edge-a=Relay/gw-cloud:EndpointUnanswered". Only names,
// the path and reason words and the path's measured quality (round-trip time
// in microseconds, loss in thousandths; daemon/failover/liveness.h): a Node
// annotation is no place for free text that ends up in every Gateway's status.
#ifndef RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_PATH_H_
#define RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_PATH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/json_fields.h"
#include "rapidjson/document.h"

namespace raven::kube {

enum class PathKind {
  kDirect,       // straight to the peer's published endpoint, or the peer calls us
  kHolePunched,  // to the peer's NAT mapping, proven by direct probes
  kRelay,        // through the NAT relay of Gateway `via`
  kNone,         // no path: both behind NAT without a public address, no relay
};
const char* PathKindName(PathKind kind);  // "Direct", "HolePunched", "Relay", "None"
std::optional<PathKind> ParsePathKind(absl::string_view name);

// Why a pair that could be direct is not: the endpoint the other Gateway
// publishes never answered this gateway's handshakes (a wrong publicIP, a
// port forward that is gone). Every node then takes the pair through a NAT
// relay when one is up (desired_dataplane.h); the path stays Direct otherwise.
inline constexpr char kReasonEndpointUnanswered[] = "EndpointUnanswered";
// Why a pair with a direct path goes through a third Gateway's relay: the
// gateway found the direct path down, or clearly worse than the detour, and
// moved the pair itself (daemon/failover/path_choice.h).
inline constexpr char kReasonDetour[] = "Detour";

struct GatewayPath {
  std::string node_name;  // the active endpoint whose path this is (status only)
  std::string gateway;    // the remote Gateway
  PathKind path = PathKind::kDirect;
  std::string via;     // kRelay: the relay's Gateway; empty otherwise
  std::string reason;  // "", kReasonEndpointUnanswered or kReasonDetour
  // The path's quality as its gateway measures it, when it does.
  std::optional<int> rtt_micros;     // 0 .. kMaxRttMicros
  std::optional<int> loss_permille;  // 0 .. 1000

  bool operator==(const GatewayPath&) const = default;
  // The same path (endpoint, kind, relay, reason), whatever its quality.
  bool SamePath(const GatewayPath& o) const {
    return node_name == o.node_name && gateway == o.gateway && path == o.path && via == o.via &&
           reason == o.reason;
  }
};

inline constexpr int kMaxRttMicros = 60'000'000;

// Entries in one annotation, at most (a cluster of more Gateways publishes
// the first ones by name).
inline constexpr size_t kMaxPathEntries = 1024;

// A Kubernetes object name (DNS-1123 subdomain: lowercase letters, digits,
// '-' and '.', starting and ending with a letter or digit, at most 253).
bool IsObjectName(absl::string_view name);

// "gw-a=Direct,gw-b=Relay/gw-c"; node_name is not written. Sorted by gateway.
std::string FormatPathsAnnotation(std::vector<GatewayPath> paths);
// The entries of an annotation (node_name empty), or what is wrong with it:
// a bad name, an unknown path word, a relay without via (or via without a
// relay), a gateway twice, more than kMaxPathEntries.
absl::StatusOr<std::vector<GatewayPath>> ParsePathsAnnotation(absl::string_view text);

// status.paths[] entries: {nodeName, gateway, path, via, reason}, checked as the
// annotation's entries are (the field names the first bad one).
absl::StatusOr<GatewayPath> DecodeGatewayPath(const json::FieldReader& in);
rapidjson::Value EncodeGatewayPath(const GatewayPath& path, rapidjson::Document::AllocatorType& a);

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_PATH_H_
