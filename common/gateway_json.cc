#include <utility>

#include "absl/strings/str_cat.h"
#include "common/gateway.h"
#include "common/json_fields.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace raven {
namespace {

using json::FieldReader;

absl::StatusOr<GatewayEndpoint> DecodeEndpoint(const FieldReader& in) {
  GatewayEndpoint ep;
  RETURN_IF_ERROR(in.String("nodeName", ep.node_name));
  RETURN_IF_ERROR(in.String("type", ep.type));
  RETURN_IF_ERROR(in.Int("port", ep.port));
  RETURN_IF_ERROR(in.Bool("underNAT", ep.under_nat));
  RETURN_IF_ERROR(in.String("natType", ep.nat_type));
  RETURN_IF_ERROR(in.String("publicIP", ep.public_ip));
  RETURN_IF_ERROR(in.Int("publicPort", ep.public_port));
  RETURN_IF_ERROR(in.StringMap("config", ep.config));
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

absl::Status DecodeSpec(const FieldReader& in, GatewaySpec& spec) {
  RETURN_IF_ERROR(in.Object("nodeSelector", [&](const FieldReader& sel) {
    return sel.StringMap("matchLabels", spec.node_selector);
  }));
  RETURN_IF_ERROR(DecodeEndpoints(in, "endpoints", spec.endpoints));
  RETURN_IF_ERROR(in.String("exposeType", spec.expose_type));
  RETURN_IF_ERROR(in.Object("tunnelConfig", [&](const FieldReader& tc) {
    return tc.Int("Replicas", spec.tunnel_replicas);
  }));
  return in.Object("proxyConfig", [&](const FieldReader& pc) {
    RETURN_IF_ERROR(pc.Int("Replicas", spec.proxy_replicas));
    RETURN_IF_ERROR(pc.String("proxyHTTPPort", spec.proxy_http_port));
    return pc.String("proxyHTTPSPort", spec.proxy_https_port);
  });
}

absl::Status DecodeStatus(const FieldReader& in, GatewayStatus& status) {
  RETURN_IF_ERROR(in.Array("nodes", [&](const FieldReader& item) -> absl::Status {
    GatewayNodeInfo node;
    RETURN_IF_ERROR(item.String("nodeName", node.node_name));
    RETURN_IF_ERROR(item.String("privateIP", node.private_ip));
    RETURN_IF_ERROR(item.StringList("subnets", node.subnets));
    status.nodes.push_back(std::move(node));
    return absl::OkStatus();
  }));
  RETURN_IF_ERROR(in.Array("conditions", [&](const FieldReader& item) -> absl::Status {
    GatewayCondition c;
    RETURN_IF_ERROR(item.String("type", c.type));
    RETURN_IF_ERROR(item.String("status", c.status));
    RETURN_IF_ERROR(item.String("reason", c.reason));
    RETURN_IF_ERROR(item.String("message", c.message));
    RETURN_IF_ERROR(item.String("lastTransitionTime", c.last_transition_time));
    RETURN_IF_ERROR(item.Int64("observedGeneration", c.observed_generation));
    status.conditions.push_back(std::move(c));
    return absl::OkStatus();
  }));
  return DecodeEndpoints(in, "activeEndpoints", status.active_endpoints);
}

absl::Status DecodeMetadata(const FieldReader& in, Gateway& gw) {
  RETURN_IF_ERROR(in.String("name", gw.name));
  RETURN_IF_ERROR(in.String("uid", gw.uid));
  RETURN_IF_ERROR(in.String("resourceVersion", gw.resource_version));
  RETURN_IF_ERROR(in.Int64("generation", gw.generation));
  RETURN_IF_ERROR(in.String("creationTimestamp", gw.creation_timestamp));
  RETURN_IF_ERROR(in.StringMap("labels", gw.labels));
  return in.StringMap("annotations", gw.annotations);
}

std::string NameOf(const rapidjson::Value& object) {
  if (!object.IsObject()) return "";
  auto meta = object.FindMember("metadata");
  if (meta == object.MemberEnd() || !meta->value.IsObject()) return "";
  auto name = meta->value.FindMember("name");
  if (name == meta->value.MemberEnd() || !name->value.IsString()) return "";
  return name->value.GetString();
}

absl::StatusOr<rapidjson::Document> ParseDocument(absl::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed JSON at offset ", doc.GetErrorOffset(), ": ",
                     rapidjson::GetParseError_En(doc.GetParseError())));
  }
  return doc;
}

}  // namespace

absl::StatusOr<Gateway> DecodeGateway(const rapidjson::Value& object) {
  if (!object.IsObject()) return absl::InvalidArgumentError("Gateway: expected an object");
  FieldReader in(object, "");
  std::string api_version, kind;
  RETURN_IF_ERROR(in.String("apiVersion", api_version));
  RETURN_IF_ERROR(in.String("kind", kind));
  if (!api_version.empty() && api_version != kGatewayApiVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("apiVersion: expected ", kGatewayApiVersion, ", got ", api_version));
  }
  if (!kind.empty() && kind != kGatewayKind) {
    return absl::InvalidArgumentError(absl::StrCat("kind: expected Gateway, got ", kind));
  }
  Gateway gw;
  RETURN_IF_ERROR(
      in.Object("metadata", [&](const FieldReader& m) { return DecodeMetadata(m, gw); }));
  if (gw.name.empty()) return absl::InvalidArgumentError("metadata.name: missing");
  RETURN_IF_ERROR(in.Object("spec", [&](const FieldReader& s) { return DecodeSpec(s, gw.spec); }));
  RETURN_IF_ERROR(
      in.Object("status", [&](const FieldReader& s) { return DecodeStatus(s, gw.status); }));
  return gw;
}

absl::StatusOr<Gateway> DecodeGatewayJson(absl::string_view json) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseDocument(json));
  return DecodeGateway(doc);
}

absl::StatusOr<std::vector<DecodedGateway>> DecodeGatewayDocument(absl::string_view json) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseDocument(json));
  const rapidjson::Value* items = nullptr;
  if (doc.IsArray()) {
    items = &doc;
  } else if (doc.IsObject() && doc.HasMember("items")) {
    items = &doc["items"];
    if (!items->IsArray()) return absl::InvalidArgumentError("items: expected an array");
  }
  std::vector<DecodedGateway> out;
  if (items == nullptr) {
    out.push_back({NameOf(doc), DecodeGateway(doc)});
    return out;
  }
  for (const auto& item : items->GetArray()) out.push_back({NameOf(item), DecodeGateway(item)});
  return out;
}

namespace {

using Alloc = rapidjson::Document::AllocatorType;

rapidjson::Value Str(const std::string& s, Alloc& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

void PutString(rapidjson::Value& obj, const char* key, const std::string& v, Alloc& a) {
  if (!v.empty()) obj.AddMember(rapidjson::StringRef(key), Str(v, a), a);
}

void PutMap(rapidjson::Value& obj, const char* key, const std::map<std::string, std::string>& m,
            Alloc& a) {
  if (m.empty()) return;
  rapidjson::Value out(rapidjson::kObjectType);
  for (const auto& [k, v] : m) out.AddMember(Str(k, a), Str(v, a), a);
  obj.AddMember(rapidjson::StringRef(key), out, a);
}

rapidjson::Value EncodeEndpoint(const GatewayEndpoint& ep, Alloc& a) {
  rapidjson::Value out(rapidjson::kObjectType);
  PutString(out, "nodeName", ep.node_name, a);
  PutString(out, "type", ep.type, a);
  if (ep.port) out.AddMember("port", ep.port, a);
  out.AddMember("underNAT", ep.under_nat, a);
  PutString(out, "natType", ep.nat_type, a);
  PutString(out, "publicIP", ep.public_ip, a);
  if (ep.public_port) out.AddMember("publicPort", ep.public_port, a);
  PutMap(out, "config", ep.config, a);
  return out;
}

rapidjson::Value EncodeEndpoints(const std::vector<GatewayEndpoint>& eps, Alloc& a) {
  rapidjson::Value out(rapidjson::kArrayType);
  for (const auto& ep : eps) out.PushBack(EncodeEndpoint(ep, a), a);
  return out;
}

}  // namespace

void EncodeGateway(const Gateway& gw, rapidjson::Value& out, Alloc& a) {
  out.SetObject();
  out.AddMember("apiVersion",
                rapidjson::StringRef(kGatewayApiVersion.data(), kGatewayApiVersion.size()), a);
  out.AddMember("kind", rapidjson::StringRef(kGatewayKind.data(), kGatewayKind.size()), a);

  rapidjson::Value meta(rapidjson::kObjectType);
  PutString(meta, "name", gw.name, a);
  PutString(meta, "uid", gw.uid, a);
  PutString(meta, "resourceVersion", gw.resource_version, a);
  if (gw.generation) meta.AddMember("generation", gw.generation, a);
  PutString(meta, "creationTimestamp", gw.creation_timestamp, a);
  PutMap(meta, "labels", gw.labels, a);
  PutMap(meta, "annotations", gw.annotations, a);
  out.AddMember("metadata", meta, a);

  rapidjson::Value spec(rapidjson::kObjectType);
  if (!gw.spec.node_selector.empty()) {
    rapidjson::Value sel(rapidjson::kObjectType);
    PutMap(sel, "matchLabels", gw.spec.node_selector, a);
    spec.AddMember("nodeSelector", sel, a);
  }
  spec.AddMember("endpoints", EncodeEndpoints(gw.spec.endpoints, a), a);
  PutString(spec, "exposeType", gw.spec.expose_type, a);
  rapidjson::Value tunnel(rapidjson::kObjectType);
  tunnel.AddMember("Replicas", gw.spec.tunnel_replicas, a);
  spec.AddMember("tunnelConfig", tunnel, a);
  rapidjson::Value proxy(rapidjson::kObjectType);
  proxy.AddMember("Replicas", gw.spec.proxy_replicas, a);
  PutString(proxy, "proxyHTTPPort", gw.spec.proxy_http_port, a);
  PutString(proxy, "proxyHTTPSPort", gw.spec.proxy_https_port, a);
  spec.AddMember("proxyConfig", proxy, a);
  out.AddMember("spec", spec, a);

  rapidjson::Value status(rapidjson::kObjectType);
  rapidjson::Value nodes(rapidjson::kArrayType);
  for (const auto& node : gw.status.nodes) {
    rapidjson::Value n(rapidjson::kObjectType);
    PutString(n, "nodeName", node.node_name, a);
    PutString(n, "privateIP", node.private_ip, a);
    rapidjson::Value subnets(rapidjson::kArrayType);
    for (const auto& s : node.subnets) subnets.PushBack(Str(s, a), a);
    n.AddMember("subnets", subnets, a);
    nodes.PushBack(n, a);
  }
  status.AddMember("nodes", nodes, a);
  status.AddMember("activeEndpoints", EncodeEndpoints(gw.status.active_endpoints, a), a);
  if (!gw.status.conditions.empty()) {
    rapidjson::Value conditions(rapidjson::kArrayType);
    for (const auto& c : gw.status.conditions) {
      // Every metav1.Condition field is required: empty strings are written, not omitted.
      rapidjson::Value v(rapidjson::kObjectType);
      v.AddMember("type", Str(c.type, a), a);
      v.AddMember("status", Str(c.status, a), a);
      v.AddMember("reason", Str(c.reason, a), a);
      v.AddMember("message", Str(c.message, a), a);
      v.AddMember("lastTransitionTime", Str(c.last_transition_time, a), a);
      if (c.observed_generation) v.AddMember("observedGeneration", c.observed_generation, a);
      conditions.PushBack(v, a);
    }
    status.AddMember("conditions", conditions, a);
  }
  out.AddMember("status", status, a);
}

std::string EncodeGatewayJson(const Gateway& gateway) {
  rapidjson::Document doc;
  EncodeGateway(gateway, doc, doc.GetAllocator());
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  doc.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace raven
