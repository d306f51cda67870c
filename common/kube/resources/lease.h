// coordination.k8s.io/v1 Lease: leader election and agent heartbeats.
#ifndef RAVEN_COMMON_KUBE_RESOURCES_LEASE_H_
#define RAVEN_COMMON_KUBE_RESOURCES_LEASE_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/kube/resources/object_meta.h"
#include "common/kube/resources/resource_traits.h"
#include "rapidjson/document.h"

namespace raven::kube {

struct Lease {
  ObjectMeta meta;
  std::string holder_identity;
  int lease_duration_seconds = 0;
  std::optional<absl::Time> acquire_time;  // MicroTime
  std::optional<absl::Time> renew_time;    // MicroTime
  int lease_transitions = 0;

  bool operator==(const Lease&) const = default;
};

// Durations and transitions must not be negative.
absl::StatusOr<Lease> DecodeLease(const rapidjson::Value& object);
absl::StatusOr<Lease> DecodeLeaseJson(absl::string_view json);
std::string EncodeLeaseJson(const Lease& lease);

template <>
struct ResourceTraits<Lease> {
  static constexpr const char* kGroupVersionPath = "/apis/coordination.k8s.io/v1";
  static constexpr const char* kPlural = "leases";
  static constexpr const char* kKind = "Lease";
  static constexpr bool kNamespaced = true;
  static constexpr bool kFullyModeled = true;  // except alpha preferredHolder/strategy
  static absl::StatusOr<Lease> Decode(const rapidjson::Value& v) { return DecodeLease(v); }
  static std::string Encode(const Lease& l) { return EncodeLeaseJson(l); }
  static std::string Name(const Lease& l) { return l.meta.name; }
  static std::string Namespace(const Lease& l) { return l.meta.namespace_; }
  static std::string ResourceVersion(const Lease& l) { return l.meta.resource_version; }
  static void SetResourceVersion(Lease& l, std::string rv) {
    l.meta.resource_version = std::move(rv);
  }
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_LEASE_H_
