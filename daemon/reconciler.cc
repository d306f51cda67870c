#include "daemon/reconciler.h"

#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace raven {
namespace {

absl::StatusOr<std::map<wg::Key, wg::PeerConfig>> DesiredPeers(const DesiredDataplane& desired) {
  std::map<wg::Key, wg::PeerConfig> out;
  for (const auto& [gateway, peer] : desired.peers) {
    auto key = wg::Key::FromBase64(peer.public_key);
    if (!key.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Gateway ", gateway, ": public key: ", key.status().message()));
    }
    out[*key] =
        wg::PeerConfig{*key, peer.endpoint, peer.allowed_ips, peer.persistent_keepalive_seconds};
  }
  return out;
}

}  // namespace

bool Reconciler::SamePeer(const wg::PeerConfig& want, const wg::PeerStatus& have,
                          absl::Time now) const {
  if (want.allowed_ips != have.config.allowed_ips ||
      want.persistent_keepalive_seconds != have.config.persistent_keepalive_seconds) {
    return false;
  }
  // A peer we gave no endpoint keeps whatever endpoint it roamed to.
  if (!want.endpoint.has_value() || want.endpoint == have.config.endpoint) return true;
  auto wanted = wanted_endpoints_.find(want.public_key);
  const bool gateways_unchanged =
      wanted == wanted_endpoints_.end() || wanted->second == want.endpoint;  // or just started
  return gateways_unchanged && wg::HasLiveSession(have, now);
}

absl::StatusOr<bpf::RouteMap> Reconciler::DesiredRoutes(const DesiredDataplane& desired,
                                                        const DataplaneDevices& devices) const {
  bpf::RouteMap out;
  if (desired.role == NodeRole::kNone) return out;
  const bool member = desired.role == NodeRole::kMember;
  const uint32_t ifindex = member ? devices.vxlan_ifindex : devices.wireguard_ifindex;
  if (ifindex == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat(member ? "VXLAN" : "WireGuard", " device has no ifindex"));
  }
  for (const auto& [prefix, route] : desired.routes) {
    bpf::RouteValue value;
    value.peer_id = route.peer_id;
    value.ifindex = ifindex;
    value.mtu = devices.path_mtu;
    value.action = member ? bpf::RouteAction::kVxlan : bpf::RouteAction::kWireGuard;
    if (member) value.tunnel_dst = *desired.relay_to;
    out[prefix] = value;
  }
  return out;
}

absl::StatusOr<ReconcileStats> Reconciler::Apply(const DesiredDataplane& desired,
                                                 const DataplaneDevices& devices, absl::Time now) {
  ReconcileStats stats;
  ASSIGN_OR_RETURN(bpf::RouteMap want_routes, DesiredRoutes(desired, devices));
  ASSIGN_OR_RETURN(auto want_peers, DesiredPeers(desired));
  ASSIGN_OR_RETURN(bpf::RouteMap have_routes, routes_.Dump());
  ASSIGN_OR_RETURN(std::vector<wg::PeerStatus> have_peer_list, wireguard_.GetPeers());
  std::map<wg::Key, wg::PeerStatus> have_peers;
  for (auto& p : have_peer_list) have_peers[p.config.public_key] = std::move(p);

  std::vector<wg::PeerConfig> upserts;
  for (const auto& [key, want] : want_peers) {
    auto have = have_peers.find(key);
    if (have == have_peers.end() || !SamePeer(want, have->second, now)) upserts.push_back(want);
  }
  if (!upserts.empty()) {
    RETURN_IF_ERROR(wireguard_.UpsertPeers(upserts));
    stats.peers_written = static_cast<int>(upserts.size());
  }
  wanted_endpoints_.clear();
  for (const auto& [key, want] : want_peers) wanted_endpoints_[key] = want.endpoint;

  ASSIGN_OR_RETURN(std::set<IpAddress> have_members, members_.Dump());
  for (const auto& [member, node] : desired.relay_members) {
    if (have_members.count(member)) continue;
    RETURN_IF_ERROR(members_.Add(member));
    ++stats.members_added;
  }

  for (const auto& [prefix, value] : want_routes) {
    auto have = have_routes.find(prefix);
    if (have != have_routes.end() && have->second == value) continue;
    RETURN_IF_ERROR(routes_.Upsert(prefix, value));
    ++stats.routes_written;
  }
  for (const auto& [prefix, value] : have_routes) {
    if (want_routes.count(prefix)) continue;
    RETURN_IF_ERROR(routes_.Delete(prefix));
    ++stats.routes_deleted;
  }

  for (const IpAddress& member : have_members) {
    if (desired.relay_members.count(member)) continue;
    RETURN_IF_ERROR(members_.Remove(member));
    ++stats.members_removed;
  }

  std::vector<wg::Key> removals;
  for (const auto& [key, have] : have_peers) {
    if (!want_peers.count(key)) removals.push_back(key);
  }
  if (!removals.empty()) {
    RETURN_IF_ERROR(wireguard_.RemovePeers(removals));
    stats.peers_removed = static_cast<int>(removals.size());
  }
  return stats;
}

std::string FormatStats(const ReconcileStats& stats) {
  return absl::StrCat("routes written ", stats.routes_written, ", deleted ", stats.routes_deleted,
                      "; peers written ", stats.peers_written, ", removed ", stats.peers_removed,
                      "; relay members added ", stats.members_added, ", removed ",
                      stats.members_removed);
}

}  // namespace raven
