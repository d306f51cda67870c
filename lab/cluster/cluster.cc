#include "lab/cluster/cluster.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/kube/resources/k8s_time.h"
#include "common/kube/resources/object_meta.h"
#include "common/poll.h"
#include "common/raven_annotations.h"
#include "common/status_macros.h"
#include "rapidjson/document.h"

namespace raven::lab {
namespace {

using Alloc = rapidjson::Document::AllocatorType;

rapidjson::Value Str(const std::string& s, Alloc& a) {
  return rapidjson::Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

std::string NodeJson(const NodeSpec& n) {
  rapidjson::Document doc(rapidjson::kObjectType);
  Alloc& a = doc.GetAllocator();
  doc.AddMember("apiVersion", "v1", a);
  doc.AddMember("kind", "Node", a);
  rapidjson::Value meta(rapidjson::kObjectType);
  meta.AddMember("name", Str(n.name, a), a);
  rapidjson::Value labels(rapidjson::kObjectType);
  if (!n.gateway.empty()) labels.AddMember(Str(kGatewayLabel, a), Str(n.gateway, a), a);
  meta.AddMember("labels", labels, a);
  rapidjson::Value annotations(rapidjson::kObjectType);
  if (!n.public_key.empty()) {
    annotations.AddMember(Str(kPublicKeyAnnotation, a), Str(n.public_key, a), a);
  }
  if (n.wireguard_port) {
    annotations.AddMember(Str(kWireGuardPortAnnotation, a),
                          Str(std::to_string(n.wireguard_port), a), a);
  }
  meta.AddMember("annotations", annotations, a);
  doc.AddMember("metadata", meta, a);
  rapidjson::Value spec(rapidjson::kObjectType);
  rapidjson::Value cidrs(rapidjson::kArrayType);
  for (const auto& c : n.pod_cidrs) cidrs.PushBack(Str(c, a), a);
  if (!n.pod_cidrs.empty()) spec.AddMember("podCIDR", Str(n.pod_cidrs[0], a), a);
  spec.AddMember("podCIDRs", cidrs, a);
  doc.AddMember("spec", spec, a);
  rapidjson::Value status(rapidjson::kObjectType);
  rapidjson::Value addresses(rapidjson::kArrayType);
  for (absl::string_view ip : absl::StrSplit(n.internal_ip, ',', absl::SkipEmpty())) {
    rapidjson::Value addr(rapidjson::kObjectType);
    addr.AddMember("type", "InternalIP", a);
    addr.AddMember("address", Str(std::string(ip), a), a);
    addresses.PushBack(addr, a);
  }
  status.AddMember("addresses", addresses, a);
  rapidjson::Value conditions(rapidjson::kArrayType);
  rapidjson::Value ready(rapidjson::kObjectType);
  ready.AddMember("type", "Ready", a);
  ready.AddMember("status", rapidjson::StringRef(n.ready ? "True" : "False"), a);
  conditions.PushBack(ready, a);
  status.AddMember("conditions", conditions, a);
  doc.AddMember("status", status, a);
  return kube::ToJson(doc);
}

}  // namespace

std::string TestKey(int n) {
  std::string raw(32, '\0');
  for (int i = 0; i < 32; ++i) raw[i] = static_cast<char>((n * 31 + i * 7) & 0xff);
  return absl::Base64Escape(raw);
}

NodeSpec MemberNode(int g, int i) {
  NodeSpec n;
  n.name = absl::StrCat("g", g, "-n", i);
  n.gateway = absl::StrCat("gw-", g);
  n.internal_ip = absl::StrCat("100.", 64 + g / 250, ".", g % 250, ".", i);
  n.pod_cidrs = {absl::StrCat("100.", 96 + g / 250, ".", (g % 250), ".", i * 8, "/29"),
                 absl::StrCat("fd00:", g, ":", i, "::/64")};
  n.public_key = TestKey(g * 100 + i);
  return n;
}

Gateway TestGateway(int g, int candidates, int replicas) {
  Gateway gw;
  gw.meta.name = absl::StrCat("gw-", g);
  gw.spec.tunnel_replicas = replicas;
  gw.spec.expose_type = kube::ExposeType::kPublicIP;
  for (int i = 1; i <= candidates; ++i) {
    GatewayEndpoint ep;
    ep.node_name = absl::StrCat("g", g, "-n", i);
    ep.type = kube::EndpointType::kTunnel;
    ep.public_ip = IpAddress::Parse(absl::StrCat("198.18.", g % 250, ".", i)).value();
    gw.spec.endpoints.push_back(ep);
  }
  return gw;
}

Cluster::Cluster(apiserver::ApiServer* server, absl::Duration renew_every, int lease_seconds)
    : server_(server), renew_every_(renew_every), lease_seconds_(lease_seconds) {
  thread_ = std::thread([this] { Loop(); });
}

Cluster::~Cluster() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

absl::Status Cluster::AddNode(const NodeSpec& node) {
  return server_->CreateJson("/api/v1/nodes", NodeJson(node)).status();
}

absl::Status Cluster::SetNodeReady(const std::string& name, bool ready) {
  return server_
      ->PatchJson(absl::StrCat("/api/v1/nodes/", name, "/status"),
                  absl::StrCat(R"({"status":{"conditions":[{"type":"Ready","status":")",
                               ready ? "True" : "False", R"("}]}})"))
      .status();
}

absl::Status Cluster::SetNodeLabel(const std::string& name, const std::string& gateway) {
  return server_
      ->PatchJson(
          absl::StrCat("/api/v1/nodes/", name),
          absl::StrCat(R"({"metadata":{"labels":{")", kGatewayLabel, R"(":")", gateway, R"("}}})"))
      .status();
}

absl::Status Cluster::AddGateway(const Gateway& gateway) {
  return server_->CreateJson(kGatewaysPath, kube::EncodeGatewayJson(gateway)).status();
}

absl::StatusOr<Gateway> Cluster::GetGateway(const std::string& name) {
  ASSIGN_OR_RETURN(std::string json, server_->GetJson(absl::StrCat(kGatewaysPath, "/", name)));
  return kube::DecodeGatewayJson(json);
}

absl::Status Cluster::UpdateGatewaySpec(const std::string& name, const GatewaySpec& spec) {
  for (int attempt = 0; attempt < 20; ++attempt) {
    ASSIGN_OR_RETURN(Gateway gw, GetGateway(name));
    gw.spec = spec;
    absl::Status st =
        server_->UpdateJson(absl::StrCat(kGatewaysPath, "/", name), kube::EncodeGatewayJson(gw))
            .status();
    if (!absl::IsAborted(st)) return st;
  }
  return absl::AbortedError("conflicts");
}

absl::Status Cluster::StartHeartbeat(const std::string& node) {
  std::string json =
      absl::StrCat(R"({"apiVersion":"coordination.k8s.io/v1","kind":"Lease","metadata":{"name":")",
                   node, R"(","namespace":")", kNamespace, R"("},"spec":{"holderIdentity":")", node,
                   R"(","leaseDurationSeconds":)", lease_seconds_, R"(,"renewTime":")",
                   kube::FormatMicroTime(absl::Now()), R"("}})");
  absl::Status st =
      server_
          ->CreateJson(
              absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", kNamespace, "/leases"), json)
          .status();
  if (absl::IsAlreadyExists(st)) st = Renew(node);
  if (!st.ok()) return st;
  absl::MutexLock lock(&mu_);
  renewing_.insert(node);
  last_renewal_[node] = absl::Now();
  return absl::OkStatus();
}

absl::Time Cluster::StopHeartbeat(const std::string& node) {
  absl::MutexLock lock(&mu_);
  renewing_.erase(node);
  return last_renewal_[node];
}

absl::Status Cluster::ResumeHeartbeat(const std::string& node) { return StartHeartbeat(node); }

absl::Time Cluster::LastRenewal(const std::string& node) {
  absl::MutexLock lock(&mu_);
  return last_renewal_[node];
}

absl::Status Cluster::Renew(const std::string& node) {
  return server_
      ->PatchJson(
          absl::StrCat("/apis/coordination.k8s.io/v1/namespaces/", kNamespace, "/leases/", node),
          absl::StrCat(R"({"spec":{"renewTime":")", kube::FormatMicroTime(absl::Now()), R"("}})"))
      .status();
}

void Cluster::RenewAll() {
  std::set<std::string> nodes;
  {
    absl::MutexLock lock(&mu_);
    nodes = renewing_;
  }
  for (const std::string& node : nodes) {
    // Renewal and its bookkeeping under one lock, so that StopHeartbeat's
    // "last renewal" is exact.
    absl::MutexLock lock(&mu_);
    if (!renewing_.count(node)) continue;
    if (Renew(node).ok()) last_renewal_[node] = absl::Now();
  }
}

void Cluster::Loop() {
  absl::Time next = absl::Now() + renew_every_;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_; };
      mu_.AwaitWithDeadline(absl::Condition(&stopping), next);
      if (stop_) return;
    }
    next += renew_every_;
    RenewAll();
  }
}

absl::StatusOr<absl::Time> WaitForGateway(Cluster& cluster, const std::string& name,
                                          const std::function<bool(const Gateway&)>& pred,
                                          absl::Duration timeout, absl::Duration poll) {
  std::string last = "(not found)";
  absl::Time matched;
  bool ok = PollUntil(
      [&] {
        absl::StatusOr<Gateway> gw = cluster.GetGateway(name);
        matched = absl::Now();
        if (!gw.ok()) return false;
        if (pred(*gw)) return true;
        last = kube::EncodeGatewayJson(*gw);
        return false;
      },
      timeout, poll);
  if (ok) return matched;
  return absl::DeadlineExceededError(
      absl::StrCat("gateway ", name, " never matched; last: ", last));
}

std::vector<std::string> ActiveNodes(const Gateway& gateway) {
  std::vector<std::string> out;
  for (const auto& ep : gateway.status.active_endpoints) out.push_back(ep.node_name);
  return out;
}

}  // namespace raven::lab
