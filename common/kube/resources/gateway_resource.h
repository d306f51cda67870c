// ResourceTraits for the Gateway custom resource (common/gateway.h).
#ifndef RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_RESOURCE_H_
#define RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_RESOURCE_H_

#include <string>

#include "common/gateway.h"
#include "common/kube/resources/resource_traits.h"

namespace raven::kube {

template <>
struct ResourceTraits<Gateway> {
  static constexpr const char* kGroupVersionPath = "/apis/raven.openyurt.io/v1beta1";
  static constexpr const char* kPlural = "gateways";
  static constexpr const char* kKind = "Gateway";
  static constexpr bool kNamespaced = false;
  static constexpr bool kFullyModeled = true;
  static absl::StatusOr<Gateway> Decode(const rapidjson::Value& v) { return DecodeGateway(v); }
  static std::string Encode(const Gateway& g) { return EncodeGatewayJson(g); }
  static std::string Name(const Gateway& g) { return g.name; }
  static std::string Namespace(const Gateway&) { return ""; }
  static std::string ResourceVersion(const Gateway& g) { return g.resource_version; }
  static void SetResourceVersion(Gateway& g, std::string rv) { g.resource_version = std::move(rv); }
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_RESOURCES_GATEWAY_RESOURCE_H_
