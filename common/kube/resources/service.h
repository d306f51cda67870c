// core/v1 Service and Endpoints, the fields raven-controller uses to expose
// a Gateway through a load balancer (controller/tunnel_service.h): a
// Service of type LoadBalancer without a selector, its ports, the load
// balancer's ingress addresses in its status, and the Endpoints object that
// names the backend. Not fully modelled: change them by merge patch.
#ifndef RAVEN_COMMON_KUBE_RESOURCES_SERVICE_H_
#define RAVEN_COMMON_KUBE_RESOURCES_SERVICE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ip_prefix.h"
#include "common/kube/resources/object_meta.h"
#include "common/kube/resources/resource_traits.h"
#include "rapidjson/document.h"

namespace raven::kube {

struct ServicePort {
  std::string name;
  std::string protocol;  // "UDP", "TCP"
  int port = 0;
  int target_port = 0;  // 0: named (not modelled) or absent

  bool operator==(const ServicePort&) const = default;
};

struct Service {
  ObjectMeta meta;
  std::string type;                     // spec.type
  std::string external_traffic_policy;  // spec.externalTrafficPolicy
  std::vector<ServicePort> ports;
  // status.loadBalancer.ingress[].ip (entries with only a hostname are left out)
  std::vector<IpAddress> ingress;

  bool operator==(const Service&) const = default;
};

struct EndpointAddress {
  IpAddress ip;
  std::string node_name;

  bool operator==(const EndpointAddress&) const = default;
};

struct EndpointPort {
  std::string name;
  std::string protocol;
  int port = 0;

  bool operator==(const EndpointPort&) const = default;
};

struct EndpointSubset {
  std::vector<EndpointAddress> addresses;
  std::vector<EndpointPort> ports;

  bool operator==(const EndpointSubset&) const = default;
};

struct Endpoints {
  ObjectMeta meta;
  std::vector<EndpointSubset> subsets;

  bool operator==(const Endpoints&) const = default;
};

absl::StatusOr<Service> DecodeService(const rapidjson::Value& object);
// The object without its status (which the load balancer writes).
std::string EncodeServiceJson(const Service& service);
// A merge patch that sets the labels, annotations, type, externalTrafficPolicy
// and ports.
std::string ServiceSpecPatch(const Service& service);
absl::StatusOr<Endpoints> DecodeEndpoints(const rapidjson::Value& object);
std::string EncodeEndpointsJson(const Endpoints& endpoints);
// A merge patch that sets the labels and annotations and replaces the subsets.
std::string EndpointsPatch(const Endpoints& endpoints);

template <>
struct ResourceTraits<Service> {
  static constexpr const char* kGroupVersionPath = "/api/v1";
  static constexpr const char* kPlural = "services";
  static constexpr const char* kKind = "Service";
  static constexpr bool kNamespaced = true;
  static constexpr bool kFullyModeled = false;
  static absl::StatusOr<Service> Decode(const rapidjson::Value& v) { return DecodeService(v); }
  static std::string Encode(const Service& s) { return EncodeServiceJson(s); }
  static std::string Name(const Service& s) { return s.meta.name; }
  static std::string Namespace(const Service& s) { return s.meta.namespace_; }
  static std::string ResourceVersion(const Service& s) { return s.meta.resource_version; }
  static void SetResourceVersion(Service& s, std::string rv) {
    s.meta.resource_version = std::move(rv);
  }
};

template <>
struct ResourceTraits<Endpoints> {
  static constexpr const char* kGroupVersionPath = "/api/v1";
  static constexpr const char* kPlural = "endpoints";
  static constexpr const char* kKind = "Endpoints";
  static constexpr bool kNamespaced = true;
  static constexpr bool kFullyModeled = false;
  static absl::StatusOr<Endpoints> Decode(const rapidjson::Value& v) { return DecodeEndpoints(v); }
  static std::string Encode(const Endpoints& e) { return EncodeEndpointsJson(e); }
  static std::string Name(const Endpoints& e) { return e.meta.name; }
  static std::string Namespace(const Endpoints& e) { return e.meta.namespace_; }
  static std::string ResourceVersion(const Endpoints& e) { return e.meta.resource_version; }
  static void SetResourceVersion(Endpoints& e, std::string rv) {
    e.meta.resource_version = std::move(rv);
  }
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_SERVICE_H_
