#include "controller/gateway_validation.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace raven::controller {
namespace {

absl::Status FieldError(const std::string& path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

}  // namespace

absl::Status ValidateGatewaySpec(const kube::Gateway& gateway) {
  const kube::GatewaySpec& spec = gateway.spec;
  int proxies = 0;
  for (size_t i = 0; i < spec.endpoints.size(); ++i) {
    const kube::GatewayEndpoint& ep = spec.endpoints[i];
    std::string path = absl::StrCat("spec.endpoints[", i, "]");
    if (ep.type == kube::EndpointType::kProxy) ++proxies;
    if (ep.under_nat != spec.endpoints[0].under_nat) {
      return FieldError(path + ".underNAT", "endpoints of one Gateway must agree on underNAT");
    }
    if (ep.under_nat && spec.expose_type != kube::ExposeType::kNone) {
      return FieldError(path + ".underNAT", "an exposed Gateway cannot be underNAT");
    }
  }
  if (spec.proxy_replicas > proxies) {
    return FieldError(
        "spec.proxyConfig.Replicas",
        absl::StrCat(spec.proxy_replicas, " exceeds the ", proxies, " proxy endpoints"));
  }
  return absl::OkStatus();
}

}  // namespace raven::controller
