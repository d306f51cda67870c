#include "daemon/reconciler.h"

#include <algorithm>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace raven {

bool Reconciler::SamePeer(const wg::PeerConfig& want, const wg::PeerStatus& have,
                          absl::Time now) const {
  if (want.allowed_ips != have.config.allowed_ips ||
      want.persistent_keepalive_seconds != have.config.persistent_keepalive_seconds) {
    return false;
  }
  if (!want.endpoint.has_value() || want.endpoint == have.config.endpoint) return true;
  auto wanted = wanted_endpoints_.find(want.public_key);
  const bool gateways_unchanged =
      wanted == wanted_endpoints_.end() || wanted->second == want.endpoint;  // or just started
  return gateways_unchanged && wg::HasLiveSession(have, now);
}

std::optional<std::string> Reconciler::PathToRestore(const PeerPlan& plan,
                                                     const wg::PeerStatus& have, absl::Time now) {
  const bool on_detour = std::find(plan.detour_endpoints.begin(), plan.detour_endpoints.end(),
                                   have.config.endpoint) != plan.detour_endpoints.end();
  if (plan.relay.empty() && !on_detour) return std::nullopt;
  const std::optional<std::string>& path =
      plan.initiates ? plan.config.endpoint : plan.fallback_endpoint;
  if (!path || have.config.endpoint == path) return std::nullopt;
  if (!plan.initiates && !wg::HasLiveSession(have, now)) return std::nullopt;
  return path;
}

bool Reconciler::PathsDrifted(const DesiredDataplane& applied,
                              const std::vector<wg::PeerStatus>& peers, absl::Time now) {
  for (const wg::PeerStatus& have : peers) {
    auto plan = applied.peers.find(have.config.public_key);
    if (plan != applied.peers.end() && PathToRestore(plan->second, have, now)) return true;
  }
  return false;
}

absl::StatusOr<ReconcileStats> Reconciler::Apply(const DesiredDataplane& desired, absl::Time now) {
  ReconcileStats stats;
  ASSIGN_OR_RETURN(bpf::RouteMap have_routes, routes_.Dump());
  ASSIGN_OR_RETURN(std::vector<wg::PeerStatus> have_peer_list, wireguard_.GetPeers());
  std::map<wg::Key, wg::PeerStatus> have_peers;
  for (auto& p : have_peer_list) have_peers[p.config.public_key] = std::move(p);

  std::vector<wg::PeerConfig> upserts;
  for (const auto& [key, plan] : desired.peers) {
    auto have = have_peers.find(key);
    wg::PeerConfig want = plan.config;
    if (have != have_peers.end()) {
      if (std::optional<std::string> path = PathToRestore(plan, have->second, now)) {
        want.endpoint = path;
        upserts.push_back(want);
        continue;
      }
    }
    if (have != have_peers.end() && !want.endpoint && plan.fallback_endpoint &&
        have->second.config.endpoint != plan.fallback_endpoint &&
        wg::HasLiveSession(have->second, now)) {
      auto before = wanted_fallbacks_.find(key);
      // Only a moved fallback: a peer that just became waited-for keeps its roamed endpoint.
      if (before != wanted_fallbacks_.end() && before->second.has_value() &&
          before->second != plan.fallback_endpoint) {
        want.endpoint = plan.fallback_endpoint;
      }
    }
    if (have == have_peers.end() || !SamePeer(want, have->second, now)) {
      upserts.push_back(want);
    }
  }
  if (!upserts.empty()) {
    RETURN_IF_ERROR(wireguard_.UpsertPeers(upserts));
    stats.peers_written = static_cast<int>(upserts.size());
  }
  wanted_endpoints_.clear();
  wanted_fallbacks_.clear();
  for (const auto& [key, plan] : desired.peers) {
    wanted_endpoints_[key] = plan.config.endpoint;
    wanted_fallbacks_[key] = plan.fallback_endpoint;
  }

  ASSIGN_OR_RETURN(std::set<IpAddress> have_members, members_.Dump());
  for (const auto& [member, node] : desired.relay_members) {
    if (have_members.count(member)) continue;
    RETURN_IF_ERROR(members_.Add(member));
    ++stats.members_added;
  }

  for (const auto& [prefix, value] : desired.routes) {
    auto have = have_routes.find(prefix);
    if (have != have_routes.end() && have->second == value) continue;
    RETURN_IF_ERROR(routes_.Upsert(prefix, value));
    ++stats.routes_written;
  }
  for (const auto& [prefix, value] : have_routes) {
    if (desired.routes.count(prefix)) continue;
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
    if (!desired.peers.count(key)) removals.push_back(key);
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
