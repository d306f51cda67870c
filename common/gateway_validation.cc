#include "common/gateway_validation.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/ip_prefix.h"

namespace raven {
namespace {

absl::Status FieldError(const std::string& path, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", message));
}

absl::Status CheckPort(const std::string& path, int port) {
  if (port < 0 || port > 65535)
    return FieldError(path, absl::StrCat("port ", port, " out of range"));
  return absl::OkStatus();
}

absl::Status CheckTunnelEndpoint(const GatewayEndpoint& ep, const std::string& path,
                                 bool require_key) {
  if (ep.node_name.empty()) return FieldError(path + ".nodeName", "empty");
  if (!ep.public_ip.empty()) {
    if (auto ip = IpAddress::Parse(ep.public_ip); !ip.ok()) {
      return FieldError(path + ".publicIP", ip.status().message());
    }
  }
  if (absl::Status st = CheckPort(path + ".port", ep.port); !st.ok()) return st;
  if (absl::Status st = CheckPort(path + ".publicPort", ep.public_port); !st.ok()) return st;
  auto key = ep.config.find(std::string(kConfigPublicKey));
  if (!require_key && (key == ep.config.end() || key->second.empty())) return absl::OkStatus();
  if (key == ep.config.end() || key->second.empty()) {
    return FieldError(path + ".config.publicKey", "missing WireGuard public key");
  }
  std::string raw;
  if (!absl::Base64Unescape(key->second, &raw) || raw.size() != 32) {
    return FieldError(path + ".config.publicKey", "not a base64 32-byte WireGuard key");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateGatewaySpec(const Gateway& gateway) {
  const GatewaySpec& spec = gateway.spec;
  if (!spec.expose_type.empty() && spec.expose_type != "PublicIP" &&
      spec.expose_type != "LoadBalancer") {
    return FieldError("spec.exposeType",
                      absl::StrCat("\"", spec.expose_type, "\" is not PublicIP or LoadBalancer"));
  }
  if (spec.tunnel_replicas < 0) return FieldError("spec.tunnelConfig.Replicas", "negative");
  if (spec.proxy_replicas < 0) return FieldError("spec.proxyConfig.Replicas", "negative");
  int proxies = 0;
  for (size_t i = 0; i < spec.endpoints.size(); ++i) {
    const GatewayEndpoint& ep = spec.endpoints[i];
    std::string path = absl::StrCat("spec.endpoints[", i, "]");
    if (ep.node_name.empty()) return FieldError(path + ".nodeName", "empty");
    if (ep.type != kEndpointTypeTunnel && ep.type != kEndpointTypeProxy) {
      return FieldError(path + ".type", absl::StrCat("\"", ep.type, "\" is not proxy or tunnel"));
    }
    if (ep.type == kEndpointTypeProxy) ++proxies;
    if (!ep.public_ip.empty()) {
      if (auto ip = IpAddress::Parse(ep.public_ip); !ip.ok()) {
        return FieldError(path + ".publicIP", ip.status().message());
      }
    }
    if (absl::Status st = CheckPort(path + ".port", ep.port); !st.ok()) return st;
    if (absl::Status st = CheckPort(path + ".publicPort", ep.public_port); !st.ok()) return st;
    if (ep.under_nat != spec.endpoints[0].under_nat) {
      return FieldError(path + ".underNAT", "endpoints of one Gateway must agree on underNAT");
    }
    if (ep.under_nat && !spec.expose_type.empty()) {
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

const GatewayEndpoint* ActiveTunnelEndpoint(const Gateway& gateway) {
  for (const auto& ep : gateway.status.active_endpoints) {
    if (ep.type == kEndpointTypeTunnel) return &ep;
  }
  return nullptr;
}

absl::Status ValidateGatewayForDataplane(const Gateway& gateway, bool require_endpoint_keys) {
  for (size_t i = 0; i < gateway.status.nodes.size(); ++i) {
    const GatewayNodeInfo& node = gateway.status.nodes[i];
    std::string path = absl::StrCat("status.nodes[", i, "]");
    if (node.node_name.empty()) return FieldError(path + ".nodeName", "empty");
    if (!node.private_ip.empty()) {
      if (auto ip = IpAddress::Parse(node.private_ip); !ip.ok()) {
        return FieldError(path + ".privateIP", ip.status().message());
      }
    }
    for (size_t j = 0; j < node.subnets.size(); ++j) {
      if (auto prefix = IpPrefix::Parse(node.subnets[j]); !prefix.ok()) {
        return FieldError(absl::StrCat(path, ".subnets[", j, "]"), prefix.status().message());
      }
    }
  }
  for (size_t i = 0; i < gateway.status.active_endpoints.size(); ++i) {
    const GatewayEndpoint& ep = gateway.status.active_endpoints[i];
    if (ep.type != kEndpointTypeTunnel) continue;
    absl::Status st = CheckTunnelEndpoint(ep, absl::StrCat("status.activeEndpoints[", i, "]"),
                                          require_endpoint_keys);
    if (!st.ok()) return st;
  }
  return absl::OkStatus();
}

}  // namespace raven
