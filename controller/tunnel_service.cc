#include "controller/tunnel_service.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/logging.h"
#include "common/raven_annotations.h"

namespace raven::controller {
namespace {

constexpr char kPrefix[] = "raven-tunnel-";
constexpr char kWireGuardPort[] = "wireguard";

bool IsDns1035Label(const std::string& name) {
  if (name.empty() || name.size() > 63 || !absl::ascii_islower(name.front())) return false;
  if (!absl::ascii_islower(name.back()) && !absl::ascii_isdigit(name.back())) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-') return false;
  }
  return true;
}

uint64_t Fnv1a64(const std::string& text) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  return h;
}

kube::ObjectMeta Meta(const std::string& name, const std::string& ns, const std::string& gateway) {
  kube::ObjectMeta meta;
  meta.name = name;
  meta.namespace_ = ns;
  meta.labels = {{kManagedByLabel, kManagedBy}};
  meta.annotations = {{kGatewayLabel, gateway}};
  return meta;
}

// Ours as far as we set it: the objects may carry what others added.
bool Owned(const kube::ObjectMeta& have, const kube::ObjectMeta& want) {
  for (const auto* pair : {&want.labels, &want.annotations}) {
    const auto& have_map = pair == &want.labels ? have.labels : have.annotations;
    for (const auto& [key, value] : *pair) {
      auto it = have_map.find(key);
      if (it == have_map.end() || it->second != value) return false;
    }
  }
  return true;
}

bool SameService(const kube::Service& have, const kube::Service& want) {
  return Owned(have.meta, want.meta) && have.type == want.type &&
         have.external_traffic_policy == want.external_traffic_policy && have.ports == want.ports;
}

bool SameEndpoints(const kube::Endpoints& have, const kube::Endpoints& want) {
  return Owned(have.meta, want.meta) && have.subsets == want.subsets;
}

template <typename T>
std::map<std::string, const T*> ByName(const std::map<std::string, T>& objects) {
  std::map<std::string, const T*> out;
  for (const auto& [key, object] : objects) {
    auto managed = object.meta.labels.find(kManagedByLabel);
    if (managed != object.meta.labels.end() && managed->second == kManagedBy) {
      out[object.meta.name] = &object;
    }
  }
  return out;
}

// Creates, patches and deletes objects of one kind so that the managed ones
// are those of `desired`; `note` gets each outcome.
template <typename T, typename Want, typename Same, typename Patch, typename Note>
void Converge(kube::ResourceClient<T>& client, const std::map<std::string, const T*>& have,
              const std::map<std::string, TunnelExposure>& desired, const std::string& kind,
              Want want_of, Same same, Patch patch, Note& note) {
  for (const auto& [name, exposure] : desired) {
    const T& want = want_of(exposure);
    auto it = have.find(name);
    if (it == have.end()) {
      absl::Status st = client.Create(want).status();
      if (absl::IsAlreadyExists(st)) st = client.MergePatch(name, patch(want)).status();
      note(st, absl::StrCat("created ", kind, " ", name));
    } else if (!same(*it->second, want)) {
      note(client.MergePatch(name, patch(want)).status(),
           absl::StrCat("updated ", kind, " ", name));
    }
  }
  for (const auto& [name, object] : have) {
    if (desired.count(name)) continue;
    absl::Status st = client.Delete(name);
    note(absl::IsNotFound(st) ? absl::OkStatus() : st, absl::StrCat("deleted ", kind, " ", name));
  }
}

}  // namespace

std::string TunnelServiceName(const std::string& gateway) {
  std::string name = absl::StrCat(kPrefix, gateway);
  if (IsDns1035Label(name)) return name;
  return absl::StrCat(kPrefix, absl::StrFormat("%016x", Fnv1a64(gateway)));
}

std::map<std::string, TunnelExposure> DesiredExposures(
    const std::map<std::string, kube::Gateway>& gateways, const std::string& ns,
    int relay_port_base) {
  std::map<std::string, TunnelExposure> out;
  for (const auto& [name, gw] : gateways) {
    if (gw.spec.expose_type != kube::ExposeType::kLoadBalancer) continue;
    const kube::GatewayEndpoint* active = kube::ActiveTunnelEndpoint(gw);
    const int port = active != nullptr && active->port ? active->port : kube::kDefaultTunnelPort;
    TunnelExposure e;
    const std::string service_name = TunnelServiceName(name);
    e.service.meta = Meta(service_name, ns, name);
    e.service.type = "LoadBalancer";
    // The client's address reaches the gateway: the relay and NAT discovery read it.
    e.service.external_traffic_policy = "Local";
    e.service.ports.push_back({kWireGuardPort, "UDP", port, port});
    kube::EndpointSubset subset;
    subset.ports.push_back({kWireGuardPort, "UDP", port});
    for (size_t i = 0; i < gateways.size(); ++i) {
      const int relay_port = relay_port_base + static_cast<int>(i);
      if (relay_port > 65535) break;  // the agents relay no Gateway past it either
      if (relay_port == port) continue;
      std::string port_name = absl::StrCat("relay-", i);
      e.service.ports.push_back({port_name, "UDP", relay_port, relay_port});
      subset.ports.push_back({port_name, "UDP", relay_port});
    }
    e.endpoints.meta = Meta(service_name, ns, name);
    const kube::GatewayNode* node =
        active != nullptr ? kube::FindGatewayNode(gw, active->node_name) : nullptr;
    if (node != nullptr && node->private_ip) {
      subset.addresses.push_back({*node->private_ip, node->node_name});
      e.endpoints.subsets.push_back(std::move(subset));
    }
    out.emplace(service_name, std::move(e));
  }
  return out;
}

std::map<std::string, IpAddress> LoadBalancerAddresses(
    const std::map<std::string, kube::Gateway>& gateways,
    const std::map<std::string, kube::Service>& services) {
  std::map<std::string, const kube::Service*> by_name = ByName(services);
  std::map<std::string, IpAddress> out;
  for (const auto& [name, gw] : gateways) {
    if (gw.spec.expose_type != kube::ExposeType::kLoadBalancer) continue;
    auto it = by_name.find(TunnelServiceName(name));
    if (it == by_name.end() || it->second->ingress.empty()) continue;
    auto gateway = it->second->meta.annotations.find(kGatewayLabel);
    if (gateway == it->second->meta.annotations.end() || gateway->second != name) continue;
    out.emplace(name, it->second->ingress.front());
  }
  return out;
}

TunnelServiceWriter::TunnelServiceWriter(kube::RestClient* rest, std::string ns)
    : services_(rest, ns), endpoints_(rest, std::move(ns)) {}

absl::Status TunnelServiceWriter::Sync(const std::map<std::string, TunnelExposure>& desired,
                                       const std::map<std::string, kube::Service>& services,
                                       const std::map<std::string, kube::Endpoints>& endpoints) {
  absl::Status first;
  auto note = [&](const absl::Status& st, const std::string& what) {
    if (st.ok()) {
      RAVEN_LOG(kInfo, what);
    } else {
      RAVEN_LOG(kWarning, what, " failed: ", st.message());
      if (first.ok()) first = st;
    }
  };
  // Endpoints first: a new Service has its backend when the load balancer looks.
  Converge<kube::Endpoints>(
      endpoints_, ByName(endpoints), desired, "Endpoints",
      [](const TunnelExposure& e) -> const kube::Endpoints& { return e.endpoints; }, SameEndpoints,
      kube::EndpointsPatch, note);
  Converge<kube::Service>(
      services_, ByName(services), desired, "LoadBalancer Service",
      [](const TunnelExposure& e) -> const kube::Service& { return e.service; }, SameService,
      kube::ServiceSpecPatch, note);
  return first;
}

}  // namespace raven::controller
