#include "common/kube/resources/gateway.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/kube/resources/json_doc.h"
#include "common/kube/resources/k8s_time.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

using json::FieldReader;
using json::Quoted;

absl::Status ReadPort(const FieldReader& in, const char* name, int& out) {
  RETURN_IF_ERROR(in.Int(name, out));
  if (out < 0 || out > 65535) return in.Invalid(name, absl::StrCat("port ", out, " out of range"));
  return absl::OkStatus();
}

// An IP address, or none when the field is absent or "" (upstream writes "").
absl::Status ReadIp(const FieldReader& in, const char* name, std::optional<IpAddress>& out) {
  std::string text;
  RETURN_IF_ERROR(in.String(name, text));
  if (text.empty()) return absl::OkStatus();
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(text);
  if (!ip.ok()) return in.Invalid(name, absl::StrCat("invalid IP ", Quoted(text)));
  out = *ip;
  return absl::OkStatus();
}

absl::StatusOr<GatewayEndpoint> DecodeEndpoint(const FieldReader& in) {
  GatewayEndpoint ep;
  RETURN_IF_ERROR(in.String("nodeName", ep.node_name));
  if (ep.node_name.empty()) return in.Invalid("nodeName", "missing");
  std::string type;
  RETURN_IF_ERROR(in.String("type", type));
  if (type == "tunnel") {
    ep.type = EndpointType::kTunnel;
  } else if (type == "proxy") {
    ep.type = EndpointType::kProxy;
  } else {
    return in.Invalid("type", absl::StrCat(Quoted(type), " is not proxy or tunnel"));
  }
  RETURN_IF_ERROR(ReadPort(in, "port", ep.port));
  RETURN_IF_ERROR(in.Bool("underNAT", ep.under_nat));
  RETURN_IF_ERROR(in.String("natType", ep.nat_type));
  RETURN_IF_ERROR(ReadIp(in, "publicIP", ep.public_ip));
  RETURN_IF_ERROR(ReadPort(in, "publicPort", ep.public_port));
  RETURN_IF_ERROR(in.StringMap("config", ep.config));
  auto key = ep.config.find(kConfigPublicKey);
  if (key != ep.config.end()) {
    if (!key->second.empty()) {
      absl::StatusOr<wg::Key> parsed = wg::Key::FromBase64(key->second);
      if (!parsed.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(in.PathOf("config"), ".", kConfigPublicKey,
                                                       ": not a WireGuard key (",
                                                       parsed.status().message(), ")"));
      }
      ep.public_key = *parsed;
    }
    ep.config.erase(key);
  }
  return ep;
}

absl::Status DecodeEndpoints(const FieldReader& in, const char* name,
                             std::vector<GatewayEndpoint>& out) {
  return in.Array(name, [&](const FieldReader& item) -> absl::Status {
    ASSIGN_OR_RETURN(GatewayEndpoint ep, DecodeEndpoint(item));
    out.push_back(std::move(ep));
    return absl::OkStatus();
  });
}

absl::Status ReadReplicas(const FieldReader& in, int& out) {
  RETURN_IF_ERROR(in.Int("Replicas", out));
  if (out < 0) return in.Invalid("Replicas", "negative");
  return absl::OkStatus();
}

absl::Status DecodeSpec(const FieldReader& in, GatewaySpec& spec) {
  RETURN_IF_ERROR(in.Object("nodeSelector", [&](const FieldReader& sel) {
    return sel.StringMap("matchLabels", spec.node_selector);
  }));
  RETURN_IF_ERROR(DecodeEndpoints(in, "endpoints", spec.endpoints));
  std::string expose;
  RETURN_IF_ERROR(in.String("exposeType", expose));
  if (expose.empty()) {
    spec.expose_type = ExposeType::kNone;
  } else if (expose == "PublicIP") {
    spec.expose_type = ExposeType::kPublicIP;
  } else if (expose == "LoadBalancer") {
    spec.expose_type = ExposeType::kLoadBalancer;
  } else {
    return in.Invalid("exposeType",
                      absl::StrCat(Quoted(expose), " is not PublicIP or LoadBalancer"));
  }
  RETURN_IF_ERROR(in.Object("tunnelConfig", [&](const FieldReader& tc) {
    return ReadReplicas(tc, spec.tunnel_replicas);
  }));
  return in.Object("proxyConfig", [&](const FieldReader& pc) {
    RETURN_IF_ERROR(ReadReplicas(pc, spec.proxy_replicas));
    RETURN_IF_ERROR(pc.String("proxyHTTPPort", spec.proxy_http_port));
    return pc.String("proxyHTTPSPort", spec.proxy_https_port);
  });
}

const char* FamilyName(IpFamily family) { return family == IpFamily::kV4 ? "IPv4" : "IPv6"; }

// secondaryPrivateIPs: addresses (not ""), each of a family that neither
// privateIP, which must be set, nor an earlier entry has.
absl::Status ReadSecondaryIps(const FieldReader& in, GatewayNode& node) {
  const char* name = kSecondaryPrivateIPsField;
  std::vector<std::string> texts;
  RETURN_IF_ERROR(in.StringList(name, texts));
  if (texts.empty()) return absl::OkStatus();
  if (!node.private_ip) return in.Invalid(name, "set without privateIP");
  std::set<IpFamily> families = {node.private_ip->family};
  for (size_t i = 0; i < texts.size(); ++i) {
    const std::string item = absl::StrCat(in.PathOf(name), "[", i, "]: ");
    absl::StatusOr<IpAddress> ip = IpAddress::Parse(texts[i]);
    if (!ip.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(item, "invalid IP ", Quoted(texts[i])));
    }
    if (!families.insert(ip->family).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(item, Quoted(texts[i]), " is a second ", FamilyName(ip->family),
                       " address (one per family other than privateIP's)"));
    }
    node.secondary_private_ips.push_back(*ip);
  }
  return absl::OkStatus();
}

absl::StatusOr<GatewayNode> DecodeNode(const FieldReader& in) {
  GatewayNode node;
  RETURN_IF_ERROR(in.String("nodeName", node.node_name));
  if (node.node_name.empty()) return in.Invalid("nodeName", "missing");
  RETURN_IF_ERROR(ReadIp(in, "privateIP", node.private_ip));
  RETURN_IF_ERROR(ReadSecondaryIps(in, node));
  std::vector<std::string> subnets;
  RETURN_IF_ERROR(in.StringList("subnets", subnets));
  for (size_t i = 0; i < subnets.size(); ++i) {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(subnets[i]);
    if (!prefix.ok()) {
      absl::string_view why = prefix.status().message();
      why.remove_prefix(std::min(why.size(), why.rfind("\": ") + 3));  // the text is quoted below
      return absl::InvalidArgumentError(absl::StrCat(
          in.PathOf("subnets"), "[", i, "]: invalid CIDR ", Quoted(subnets[i]), ": ", why));
    }
    node.subnets.push_back(*prefix);
  }
  return node;
}

absl::Status DecodeStatus(const FieldReader& in, GatewayStatus& status) {
  RETURN_IF_ERROR(in.Array("nodes", [&](const FieldReader& item) -> absl::Status {
    ASSIGN_OR_RETURN(GatewayNode node, DecodeNode(item));
    status.nodes.push_back(std::move(node));
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(in.Array("conditions", [&](const FieldReader& item) -> absl::Status {
    GatewayCondition c;
    RETURN_IF_ERROR(item.String("type", c.type));
    RETURN_IF_ERROR(item.String("status", c.status));
    RETURN_IF_ERROR(item.String("reason", c.reason));
    RETURN_IF_ERROR(item.String("message", c.message));
    RETURN_IF_ERROR(ReadTime(item, "lastTransitionTime", c.last_transition_time));
    RETURN_IF_ERROR(item.Int64("observedGeneration", c.observed_generation));
    status.conditions.push_back(std::move(c));
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(in.Array("paths", [&](const FieldReader& item) -> absl::Status {
    ASSIGN_OR_RETURN(GatewayPath path, DecodeGatewayPath(item));
    status.paths.push_back(std::move(path));
    return absl::OkStatus();
  }));
  return DecodeEndpoints(in, "activeEndpoints", status.active_endpoints);
}

void PutInt(rapidjson::Value& obj, const char* key, int v, JsonAlloc& a) {
  if (v) obj.AddMember(rapidjson::StringRef(key), v, a);
}

void PutIp(rapidjson::Value& obj, const char* key, const std::optional<IpAddress>& ip,
           JsonAlloc& a) {
  if (ip) PutString(obj, key, ip->ToString(), a);
}

rapidjson::Value EncodeEndpoint(const GatewayEndpoint& ep, JsonAlloc& a) {
  rapidjson::Value out(rapidjson::kObjectType);
  PutString(out, "nodeName", ep.node_name, a);
  out.AddMember("type", rapidjson::StringRef(EndpointTypeName(ep.type)), a);
  PutInt(out, "port", ep.port, a);
  out.AddMember("underNAT", ep.under_nat, a);
  PutString(out, "natType", ep.nat_type, a);
  PutIp(out, "publicIP", ep.public_ip, a);
  PutInt(out, "publicPort", ep.public_port, a);
  std::map<std::string, std::string> config = ep.config;
  if (ep.public_key) config[kConfigPublicKey] = ep.public_key->ToBase64();
  PutStringMap(out, "config", config, a);
  return out;
}

rapidjson::Value EncodeEndpoints(const std::vector<GatewayEndpoint>& eps, JsonAlloc& a) {
  rapidjson::Value out(rapidjson::kArrayType);
  for (const auto& ep : eps) out.PushBack(EncodeEndpoint(ep, a), a);
  return out;
}

const char* ExposeTypeName(ExposeType type) {
  switch (type) {
    case ExposeType::kPublicIP:
      return "PublicIP";
    case ExposeType::kLoadBalancer:
      return "LoadBalancer";
    case ExposeType::kNone:
      break;
  }
  return "";
}

rapidjson::Value EncodeSpec(const GatewaySpec& spec, JsonAlloc& a) {
  rapidjson::Value out(rapidjson::kObjectType);
  if (!spec.node_selector.empty()) {
    rapidjson::Value sel(rapidjson::kObjectType);
    PutStringMap(sel, "matchLabels", spec.node_selector, a);
    out.AddMember("nodeSelector", sel, a);
  }
  out.AddMember("endpoints", EncodeEndpoints(spec.endpoints, a), a);
  PutString(out, "exposeType", ExposeTypeName(spec.expose_type), a);
  rapidjson::Value tunnel(rapidjson::kObjectType);
  tunnel.AddMember("Replicas", spec.tunnel_replicas, a);
  out.AddMember("tunnelConfig", tunnel, a);
  rapidjson::Value proxy(rapidjson::kObjectType);
  proxy.AddMember("Replicas", spec.proxy_replicas, a);
  PutString(proxy, "proxyHTTPPort", spec.proxy_http_port, a);
  PutString(proxy, "proxyHTTPSPort", spec.proxy_https_port, a);
  out.AddMember("proxyConfig", proxy, a);
  return out;
}

rapidjson::Value EncodeStatus(const GatewayStatus& status, JsonAlloc& a) {
  rapidjson::Value out(rapidjson::kObjectType);
  rapidjson::Value nodes(rapidjson::kArrayType);
  for (const auto& node : status.nodes) {
    rapidjson::Value n(rapidjson::kObjectType);
    PutString(n, "nodeName", node.node_name, a);
    // privateIP is required by the CRD: upstream writes "" for a node without one.
    n.AddMember("privateIP",
                rapidjson::Value(node.private_ip ? node.private_ip->ToString().c_str() : "", a), a);
    // Raven's addition, omitted when empty: upstream's objects stay as they were.
    if (!node.secondary_private_ips.empty()) {
      rapidjson::Value ips(rapidjson::kArrayType);
      for (const auto& ip : node.secondary_private_ips)
        ips.PushBack(rapidjson::Value(ip.ToString().c_str(), a), a);
      n.AddMember(rapidjson::StringRef(kSecondaryPrivateIPsField), ips, a);
    }
    rapidjson::Value subnets(rapidjson::kArrayType);
    for (const auto& s : node.subnets)
      subnets.PushBack(rapidjson::Value(s.ToString().c_str(), a), a);
    n.AddMember("subnets", subnets, a);
    nodes.PushBack(n, a);
  }
  out.AddMember("nodes", nodes, a);
  out.AddMember("activeEndpoints", EncodeEndpoints(status.active_endpoints, a), a);
  if (!status.conditions.empty()) {
    rapidjson::Value conditions(rapidjson::kArrayType);
    for (const auto& c : status.conditions) {
      // Every metav1.Condition field is required: empty strings are written, not omitted.
      rapidjson::Value v(rapidjson::kObjectType);
      v.AddMember("type", rapidjson::Value(c.type.data(), c.type.size(), a), a);
      v.AddMember("status", rapidjson::Value(c.status.data(), c.status.size(), a), a);
      v.AddMember("reason", rapidjson::Value(c.reason.data(), c.reason.size(), a), a);
      v.AddMember("message", rapidjson::Value(c.message.data(), c.message.size(), a), a);
      std::string when = c.last_transition_time ? FormatRfc3339(*c.last_transition_time) : "";
      v.AddMember("lastTransitionTime", rapidjson::Value(when.c_str(), a), a);
      if (c.observed_generation) v.AddMember("observedGeneration", c.observed_generation, a);
      conditions.PushBack(v, a);
    }
    out.AddMember("conditions", conditions, a);
  }
  if (!status.paths.empty()) {
    rapidjson::Value paths(rapidjson::kArrayType);
    for (const auto& p : status.paths) paths.PushBack(EncodeGatewayPath(p, a), a);
    out.AddMember("paths", paths, a);
  }
  return out;
}

}  // namespace

const char* EndpointTypeName(EndpointType type) {
  return type == EndpointType::kProxy ? "proxy" : "tunnel";
}

const GatewayEndpoint* ActiveTunnelEndpoint(const Gateway& gateway) {
  for (const auto& ep : gateway.status.active_endpoints) {
    if (ep.type == EndpointType::kTunnel) return &ep;
  }
  return nullptr;
}

const GatewayNode* FindGatewayNode(const Gateway& gateway, const std::string& node_name) {
  for (const auto& node : gateway.status.nodes) {
    if (node.node_name == node_name) return &node;
  }
  return nullptr;
}

std::vector<IpAddress> NodeAddresses(const GatewayNode& node) {
  std::vector<IpAddress> out;
  if (node.private_ip) out.push_back(*node.private_ip);
  out.insert(out.end(), node.secondary_private_ips.begin(), node.secondary_private_ips.end());
  return out;
}

absl::StatusOr<Gateway> DecodeGateway(const rapidjson::Value& object) {
  if (!object.IsObject()) return absl::InvalidArgumentError("Gateway: expected an object");
  FieldReader in(object, "");
  RETURN_IF_ERROR(CheckTypeMeta(in, kGatewayApiVersion, kGatewayKind));
  Gateway gw;
  RETURN_IF_ERROR(DecodeObjectMeta(in, gw.meta));
  RETURN_IF_ERROR(in.Object("spec", [&](const FieldReader& s) { return DecodeSpec(s, gw.spec); }));
  absl::Status status =
      in.Object("status", [&](const FieldReader& s) { return DecodeStatus(s, gw.status); });
  if (!status.ok()) {
    gw.status = {};
    gw.invalid_status = std::string(status.message());
  }
  return gw;
}

absl::StatusOr<Gateway> DecodeGatewayJson(absl::string_view json) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(json));
  return DecodeGateway(doc);
}

absl::StatusOr<std::vector<DecodedGateway>> DecodeGatewayDocument(absl::string_view json) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(json));
  const rapidjson::Value* items = nullptr;
  if (doc.IsArray()) {
    items = &doc;
  } else if (doc.IsObject() && doc.HasMember("items")) {
    items = &doc["items"];
    if (!items->IsArray()) return absl::InvalidArgumentError("items: expected an array");
  }
  std::vector<DecodedGateway> out;
  if (items == nullptr) {
    out.push_back({PeekIdentity(doc).name, DecodeGateway(doc)});
    return out;
  }
  for (const auto& item : items->GetArray()) {
    out.push_back({PeekIdentity(item).name, DecodeGateway(item)});
  }
  return out;
}

std::string EncodeGatewayJson(const Gateway& gw) {
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonAlloc& a = doc.GetAllocator();
  doc.AddMember("apiVersion", rapidjson::StringRef(kGatewayApiVersion), a);
  doc.AddMember("kind", rapidjson::StringRef(kGatewayKind), a);
  EncodeObjectMeta(gw.meta, doc, a);
  doc.AddMember("spec", EncodeSpec(gw.spec, a), a);
  doc.AddMember("status", EncodeStatus(gw.status, a), a);
  return ToJson(doc);
}

}  // namespace raven::kube
