#include "common/kube/resources/service.h"

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

using json::FieldReader;

absl::StatusOr<IpAddress> ReadAddress(const FieldReader& in, const char* name) {
  std::string text;
  RETURN_IF_ERROR(in.String(name, text));
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(text);
  if (!ip.ok()) return in.Invalid(name, absl::StrCat("invalid IP ", json::Quoted(text)));
  return *ip;
}

// Labels and annotations only: what a merge patch of ours sets in metadata.
rapidjson::Value PatchMetadata(const ObjectMeta& meta, JsonAlloc& a) {
  rapidjson::Value out(rapidjson::kObjectType);
  PutStringMap(out, "labels", meta.labels, a);
  PutStringMap(out, "annotations", meta.annotations, a);
  return out;
}

rapidjson::Value EncodeServiceSpec(const Service& s, JsonAlloc& a) {
  rapidjson::Value spec(rapidjson::kObjectType);
  PutString(spec, "type", s.type, a);
  PutString(spec, "externalTrafficPolicy", s.external_traffic_policy, a);
  rapidjson::Value ports(rapidjson::kArrayType);
  for (const ServicePort& p : s.ports) {
    rapidjson::Value v(rapidjson::kObjectType);
    PutString(v, "name", p.name, a);
    PutString(v, "protocol", p.protocol, a);
    v.AddMember("port", p.port, a);
    if (p.target_port) v.AddMember("targetPort", p.target_port, a);
    ports.PushBack(v, a);
  }
  spec.AddMember("ports", ports, a);
  return spec;
}

rapidjson::Value EncodeSubsets(const std::vector<EndpointSubset>& subsets, JsonAlloc& a) {
  rapidjson::Value out(rapidjson::kArrayType);
  for (const EndpointSubset& s : subsets) {
    rapidjson::Value subset(rapidjson::kObjectType);
    rapidjson::Value addresses(rapidjson::kArrayType);
    for (const EndpointAddress& addr : s.addresses) {
      rapidjson::Value v(rapidjson::kObjectType);
      PutString(v, "ip", addr.ip.ToString(), a);
      PutString(v, "nodeName", addr.node_name, a);
      addresses.PushBack(v, a);
    }
    subset.AddMember("addresses", addresses, a);
    rapidjson::Value ports(rapidjson::kArrayType);
    for (const EndpointPort& p : s.ports) {
      rapidjson::Value v(rapidjson::kObjectType);
      PutString(v, "name", p.name, a);
      PutString(v, "protocol", p.protocol, a);
      v.AddMember("port", p.port, a);
      ports.PushBack(v, a);
    }
    subset.AddMember("ports", ports, a);
    out.PushBack(subset, a);
  }
  return out;
}

rapidjson::Document Header(const char* kind) {
  rapidjson::Document doc(rapidjson::kObjectType);
  doc.AddMember("apiVersion", "v1", doc.GetAllocator());
  doc.AddMember("kind", rapidjson::StringRef(kind), doc.GetAllocator());
  return doc;
}

}  // namespace

absl::StatusOr<Service> DecodeService(const rapidjson::Value& object) {
  if (!object.IsObject()) return absl::InvalidArgumentError("Service: expected an object");
  FieldReader in(object, "");
  RETURN_IF_ERROR(CheckTypeMeta(in, "v1", "Service"));
  Service s;
  RETURN_IF_ERROR(DecodeObjectMeta(in, s.meta));
  RETURN_IF_ERROR(in.Object("spec", [&](const FieldReader& spec) -> absl::Status {
    RETURN_IF_ERROR(spec.String("type", s.type));
    RETURN_IF_ERROR(spec.String("externalTrafficPolicy", s.external_traffic_policy));
    return spec.Array("ports", [&](const FieldReader& item) -> absl::Status {
      ServicePort p;
      RETURN_IF_ERROR(item.String("name", p.name));
      RETURN_IF_ERROR(item.String("protocol", p.protocol));
      RETURN_IF_ERROR(item.Int("port", p.port));
      std::string named;
      // targetPort is an int or the name of a container port (left as 0).
      if (!item.Int("targetPort", p.target_port).ok())
        RETURN_IF_ERROR(item.String("targetPort", named));
      s.ports.push_back(std::move(p));
      return absl::OkStatus();
    });
  }));
  RETURN_IF_ERROR(in.Object("status", [&](const FieldReader& status) {
    return status.Object("loadBalancer", [&](const FieldReader& lb) {
      return lb.Array("ingress", [&](const FieldReader& item) -> absl::Status {
        std::string ip;
        RETURN_IF_ERROR(item.String("ip", ip));
        if (ip.empty()) return absl::OkStatus();  // a hostname-only ingress
        ASSIGN_OR_RETURN(IpAddress address, ReadAddress(item, "ip"));
        s.ingress.push_back(address);
        return absl::OkStatus();
      });
    });
  }));
  return s;
}

std::string EncodeServiceJson(const Service& service) {
  rapidjson::Document doc = Header("Service");
  JsonAlloc& a = doc.GetAllocator();
  EncodeObjectMeta(service.meta, doc, a);
  doc.AddMember("spec", EncodeServiceSpec(service, a), a);
  return ToJson(doc);
}

std::string ServiceSpecPatch(const Service& service) {
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonAlloc& a = doc.GetAllocator();
  doc.AddMember("metadata", PatchMetadata(service.meta, a), a);
  doc.AddMember("spec", EncodeServiceSpec(service, a), a);
  return ToJson(doc);
}

absl::StatusOr<Endpoints> DecodeEndpoints(const rapidjson::Value& object) {
  if (!object.IsObject()) return absl::InvalidArgumentError("Endpoints: expected an object");
  FieldReader in(object, "");
  RETURN_IF_ERROR(CheckTypeMeta(in, "v1", "Endpoints"));
  Endpoints e;
  RETURN_IF_ERROR(DecodeObjectMeta(in, e.meta));
  RETURN_IF_ERROR(in.Array("subsets", [&](const FieldReader& item) -> absl::Status {
    EndpointSubset subset;
    RETURN_IF_ERROR(item.Array("addresses", [&](const FieldReader& addr) -> absl::Status {
      EndpointAddress out;
      ASSIGN_OR_RETURN(out.ip, ReadAddress(addr, "ip"));
      RETURN_IF_ERROR(addr.String("nodeName", out.node_name));
      subset.addresses.push_back(std::move(out));
      return absl::OkStatus();
    }));
    RETURN_IF_ERROR(item.Array("ports", [&](const FieldReader& port) -> absl::Status {
      EndpointPort out;
      RETURN_IF_ERROR(port.String("name", out.name));
      RETURN_IF_ERROR(port.String("protocol", out.protocol));
      RETURN_IF_ERROR(port.Int("port", out.port));
      subset.ports.push_back(std::move(out));
      return absl::OkStatus();
    }));
    e.subsets.push_back(std::move(subset));
    return absl::OkStatus();
  }));
  return e;
}

std::string EncodeEndpointsJson(const Endpoints& endpoints) {
  rapidjson::Document doc = Header("Endpoints");
  JsonAlloc& a = doc.GetAllocator();
  EncodeObjectMeta(endpoints.meta, doc, a);
  doc.AddMember("subsets", EncodeSubsets(endpoints.subsets, a), a);
  return ToJson(doc);
}

std::string EndpointsPatch(const Endpoints& endpoints) {
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonAlloc& a = doc.GetAllocator();
  doc.AddMember("metadata", PatchMetadata(endpoints.meta, a), a);
  doc.AddMember("subsets", EncodeSubsets(endpoints.subsets, a), a);
  return ToJson(doc);
}

}  // namespace raven::kube
