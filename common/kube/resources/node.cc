#include "common/kube/resources/node.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/ip_prefix.h"
#include "common/kube/resources/json_doc.h"
#include "common/kube/resources/k8s_time.h"
#include "common/status_macros.h"

namespace raven::kube {
namespace {

using json::FieldReader;

absl::Status TooMany(const char* path, size_t max) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": more than ", max, " items"));
}

absl::StatusOr<IpPrefix> ParseCidr(const std::string& cidr, const std::string& path) {
  absl::StatusOr<IpPrefix> p = IpPrefix::Parse(cidr);
  if (!p.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": invalid CIDR \"", cidr.substr(0, 64),
                                                   "\": ", p.status().message().substr(0, 128)));
  }
  return p;
}

absl::Status DecodeSpec(const FieldReader& spec, Node& node) {
  std::string pod_cidr;
  RETURN_IF_ERROR(spec.String("podCIDR", pod_cidr));
  if (!pod_cidr.empty()) {
    ASSIGN_OR_RETURN(node.pod_cidr, ParseCidr(pod_cidr, "spec.podCIDR"));
  }
  std::vector<std::string> pod_cidrs;
  RETURN_IF_ERROR(spec.StringList("podCIDRs", pod_cidrs));
  if (pod_cidrs.size() > kMaxNodePodCidrs) return TooMany("spec.podCIDRs", kMaxNodePodCidrs);
  for (size_t i = 0; i < pod_cidrs.size(); ++i) {
    ASSIGN_OR_RETURN(IpPrefix p, ParseCidr(pod_cidrs[i], absl::StrCat("spec.podCIDRs[", i, "]")));
    node.pod_cidrs.push_back(p);
  }
  return absl::OkStatus();
}

absl::Status DecodeStatus(const FieldReader& status, Node& node) {
  size_t index = 0;
  RETURN_IF_ERROR(status.Array("addresses", [&](const FieldReader& a) -> absl::Status {
    if (++index > kMaxNodeAddresses) return TooMany("status.addresses", kMaxNodeAddresses);
    NodeAddress addr;
    RETURN_IF_ERROR(a.String("type", addr.type));
    RETURN_IF_ERROR(a.String("address", addr.address));
    if (addr.type == "InternalIP" || addr.type == "ExternalIP") {
      absl::StatusOr<IpAddress> ip = IpAddress::Parse(addr.address);
      if (!ip.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "status.addresses[", index - 1, "]: invalid IP \"", addr.address.substr(0, 64), "\""));
      }
      addr.ip = *ip;
    }
    node.addresses.push_back(std::move(addr));
    return absl::OkStatus();
  }));
  size_t conditions = 0;
  return status.Array("conditions", [&](const FieldReader& c) -> absl::Status {
    if (++conditions > kMaxNodeConditions) return TooMany("status.conditions", kMaxNodeConditions);
    std::string type;
    RETURN_IF_ERROR(c.String("type", type));
    if (type != "Ready") return absl::OkStatus();
    RETURN_IF_ERROR(c.String("status", node.ready_status));
    return ReadTime(c, "lastHeartbeatTime", node.ready_heartbeat);
  });
}

}  // namespace

std::optional<IpAddress> Node::IpOf(absl::string_view type) const {
  for (const NodeAddress& a : addresses) {
    if (a.type != type) continue;
    return a.ip;
  }
  return std::nullopt;
}

std::vector<IpAddress> Node::InternalIPsPerFamily() const {
  std::vector<IpAddress> out;
  for (const NodeAddress& a : addresses) {
    if (a.type != "InternalIP" || !a.ip) continue;
    bool seen = std::any_of(out.begin(), out.end(),
                            [&](const IpAddress& ip) { return ip.family == a.ip->family; });
    if (!seen) out.push_back(*a.ip);
  }
  return out;
}

std::vector<IpPrefix> Node::PodCidrs() const {
  if (!pod_cidrs.empty()) return pod_cidrs;
  if (pod_cidr) return {*pod_cidr};
  return {};
}

absl::StatusOr<Node> DecodeNode(const rapidjson::Value& object) {
  if (!object.IsObject()) return absl::InvalidArgumentError("Node: expected an object");
  FieldReader in(object, "");
  RETURN_IF_ERROR(CheckTypeMeta(in, "v1", "Node"));
  Node node;
  RETURN_IF_ERROR(DecodeObjectMeta(in, node.meta));
  RETURN_IF_ERROR(in.Object("spec", [&](const FieldReader& s) { return DecodeSpec(s, node); }));
  RETURN_IF_ERROR(in.Object("status", [&](const FieldReader& s) { return DecodeStatus(s, node); }));
  return node;
}

absl::StatusOr<Node> DecodeNodeJson(absl::string_view json) {
  ASSIGN_OR_RETURN(rapidjson::Document doc, ParseJson(json));
  return DecodeNode(doc);
}

std::string EncodeNodeJson(const Node& node) {
  rapidjson::Document doc(rapidjson::kObjectType);
  JsonAlloc& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "v1", a);
  doc.AddMember("kind", "Node", a);
  EncodeObjectMeta(node.meta, doc, a);
  rapidjson::Value spec(rapidjson::kObjectType);
  if (node.pod_cidr) PutString(spec, "podCIDR", node.pod_cidr->ToString(), a);
  if (!node.pod_cidrs.empty()) {
    rapidjson::Value list(rapidjson::kArrayType);
    for (const IpPrefix& c : node.pod_cidrs) {
      list.PushBack(rapidjson::Value(c.ToString().c_str(), a), a);
    }
    spec.AddMember("podCIDRs", list, a);
  }
  doc.AddMember("spec", spec, a);
  rapidjson::Value status(rapidjson::kObjectType);
  if (!node.addresses.empty()) {
    rapidjson::Value list(rapidjson::kArrayType);
    for (const NodeAddress& addr : node.addresses) {
      rapidjson::Value item(rapidjson::kObjectType);
      PutString(item, "type", addr.type, a);
      PutString(item, "address", addr.address, a);
      list.PushBack(item, a);
    }
    status.AddMember("addresses", list, a);
  }
  if (!node.ready_status.empty() || node.ready_heartbeat) {
    rapidjson::Value conditions(rapidjson::kArrayType);
    rapidjson::Value ready(rapidjson::kObjectType);
    ready.AddMember("type", "Ready", a);
    PutString(ready, "status", node.ready_status, a);
    PutTime(ready, "lastHeartbeatTime", node.ready_heartbeat, /*micro=*/false, a);
    conditions.PushBack(ready, a);
    status.AddMember("conditions", conditions, a);
  }
  doc.AddMember("status", status, a);
  return ToJson(doc);
}

}  // namespace raven::kube
