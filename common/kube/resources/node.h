// core/v1 Node: the fields the agent and the elector read. The codec models a
// subset, so Nodes are written with merge patches, never PUT back.
#ifndef RAVEN_COMMON_KUBE_RESOURCES_NODE_H_
#define RAVEN_COMMON_KUBE_RESOURCES_NODE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ip_prefix.h"
#include "common/kube/resources/object_meta.h"
#include "common/kube/resources/resource_traits.h"
#include "rapidjson/document.h"

namespace raven::kube {

// Bounds on one Node (Kubernetes allows one pod CIDR per family).
inline constexpr size_t kMaxNodePodCidrs = 16;
inline constexpr size_t kMaxNodeAddresses = 64;
inline constexpr size_t kMaxNodeConditions = 64;

struct NodeAddress {
  std::string type;  // InternalIP, ExternalIP, Hostname, …
  std::string address;
  std::optional<IpAddress> ip;  // InternalIP and ExternalIP: the address, parsed
  bool operator==(const NodeAddress&) const = default;
};

struct Node {
  ObjectMeta meta;
  std::optional<IpPrefix> pod_cidr;    // spec.podCIDR
  std::vector<IpPrefix> pod_cidrs;     // spec.podCIDRs
  std::vector<NodeAddress> addresses;  // status.addresses
  // The Ready condition: "True", "False", "Unknown", or "" when absent.
  std::string ready_status;
  std::optional<absl::Time> ready_heartbeat;  // its lastHeartbeatTime

  bool IsReady() const { return ready_status == "True"; }
  // The first address of that type.
  std::optional<IpAddress> InternalIP() const { return IpOf("InternalIP"); }
  std::optional<IpAddress> ExternalIP() const { return IpOf("ExternalIP"); }
  // The first InternalIP of each family, in the order of status.addresses:
  // the first is InternalIP(), the others a dual-stack node's further ones.
  std::vector<IpAddress> InternalIPsPerFamily() const;
  // spec.podCIDRs, else spec.podCIDR.
  std::vector<IpPrefix> PodCidrs() const;
  bool operator==(const Node&) const = default;

 private:
  std::optional<IpAddress> IpOf(absl::string_view type) const;
};

// Strict: CIDRs must be CIDRs, InternalIP/ExternalIP addresses IPs, list
// lengths within the bounds above.
absl::StatusOr<Node> DecodeNode(const rapidjson::Value& object);
absl::StatusOr<Node> DecodeNodeJson(absl::string_view json);
std::string EncodeNodeJson(const Node& node);

template <>
struct ResourceTraits<Node> {
  static constexpr const char* kGroupVersionPath = "/api/v1";
  static constexpr const char* kPlural = "nodes";
  static constexpr const char* kKind = "Node";
  static constexpr bool kNamespaced = false;
  static constexpr bool kFullyModeled = false;
  static absl::StatusOr<Node> Decode(const rapidjson::Value& v) { return DecodeNode(v); }
  static std::string Encode(const Node& n) { return EncodeNodeJson(n); }
  static std::string Name(const Node& n) { return n.meta.name; }
  static std::string Namespace(const Node& n) { return n.meta.namespace_; }
  static std::string ResourceVersion(const Node& n) { return n.meta.resource_version; }
  static void SetResourceVersion(Node& n, std::string rv) {
    n.meta.resource_version = std::move(rv);
  }
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_NODE_H_
