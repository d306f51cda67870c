#include "daemon/agent.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/kube/resources/gateway_path.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace raven {
namespace {

std::string Describe(const RefusedPrefix& r) {
  return absl::StrCat(r.prefix.ToString(), " of Gateway ", r.gateway, " overlaps ",
                      r.held.ToString(), " of Gateway ", r.holder);
}

// The path to every remote Gateway, in the Node annotation's words ("" when
// not a gateway), with the published endpoints found `unanswered` and the
// paths' measured `quality`.
std::string PathsAnnotation(const DesiredDataplane& desired,
                            const std::set<std::string>& unanswered,
                            const std::map<std::string, failover::PathQuality>& quality) {
  if (desired.role != NodeRole::kGateway) return "";
  std::vector<kube::GatewayPath> paths;
  for (const auto& [key, peer] : desired.peers) {
    if (peer.standby) continue;
    kube::GatewayPath p{"", peer.gateway, kube::PathKind::kDirect, "", ""};
    if (unanswered.contains(peer.gateway)) p.reason = kube::kReasonEndpointUnanswered;
    if (auto q = quality.find(peer.gateway); q != quality.end()) {
      p.rtt_micros = q->second.rtt_micros;
      p.loss_permille = q->second.loss_permille;
    }
    if (peer.direct) {
      p.path = kube::PathKind::kHolePunched;
    } else if (!peer.relay.empty()) {
      p.path = kube::PathKind::kRelay;
      p.via = peer.relay;
      if (peer.detour) p.reason = kube::kReasonDetour;
    }
    paths.push_back(std::move(p));
  }
  for (const auto& [gateway, why] : desired.unreachable) {
    paths.push_back({"", gateway, kube::PathKind::kNone, "", ""});
  }
  return kube::FormatPathsAnnotation(std::move(paths));
}

}  // namespace

Agent::Agent(AgentSettings settings, AgentParts parts, AgentStatus& status)
    : settings_(std::move(settings)),
      parts_(parts),
      status_(status),
      store_(settings_.node_name),
      reconciler_(*parts_.routes, *parts_.members, *parts_.wireguard),
      watchdog_(settings_.handshakes) {}

absl::Status Agent::Start() {
  RETURN_IF_ERROR(EnsureNode());
  CheckDataplane();
  Sync();
  return absl::OkStatus();
}

absl::Status Agent::EnsureNode() {
  absl::StatusOr<DataplaneDevices> devices = parts_.node->Ensure();
  if (!devices.ok()) return devices.status();
  devices_ = *devices;
  return absl::OkStatus();
}

std::string Agent::GatewayOf(const wg::Key& key) const {
  auto it = applied_.peers.find(key);
  return it != applied_.peers.end() ? it->second.gateway : key.ToBase64();
}

std::vector<wg::PeerStatus> Agent::ReadPeers(std::vector<std::string>& problems) {
  absl::StatusOr<std::vector<wg::PeerStatus>> peers = parts_.wireguard->GetPeers();
  if (!peers.ok()) {
    problems.push_back(absl::StrCat("WireGuard device: ", peers.status().message()));
    return {};
  }
  return *std::move(peers);
}

std::string Agent::SourceProblem(bool dataplane_ok) const {
  std::string staleness = parts_.source->Staleness();
  if (!staleness.empty()) return staleness;
  if (!last_read_error_.empty()) return last_read_error_;
  // A hung API server leaves the watch open but silent; the heartbeat's
  // failing renewals are what show it (a heartbeat withheld for a broken
  // dataplane says nothing about the API).
  if (parts_.heartbeat == nullptr || !dataplane_ok) return "";
  HeartbeatState beat = parts_.heartbeat->state();
  absl::Time now = parts_.clock->Now();
  if (!beat.last_renewal || now - *beat.last_renewal <= settings_.watch_stale_after) return "";
  return absl::StrCat("API server unreachable: no heartbeat renewal for ",
                      absl::FormatDuration(absl::Trunc(now - *beat.last_renewal, absl::Seconds(1))),
                      " (", beat.last_error, "); the dataplane keeps the last Gateways seen");
}

void Agent::CheckDataplane() {
  std::vector<std::string> problems = parts_.node->Problems();
  std::vector<std::string> node_warnings = parts_.node->Warnings();
  std::vector<wg::PeerStatus> peers = ReadPeers(problems);
  if (!peers.empty()) Watch(peers);
  std::vector<PeerObservation> observed;
  for (const wg::PeerStatus& p : peers) {
    // Standby sessions: their liveness echoes tell of them (raven_agent_echo_*).
    auto plan = applied_.peers.find(p.config.public_key);
    if (plan != applied_.peers.end() && plan->second.standby) continue;
    PeerObservation o;
    o.gateway = GatewayOf(p.config.public_key);
    if (plan != applied_.peers.end()) o.node = plan->second.node;
    if (p.last_handshake_unix_nanos > 0) {
      o.last_handshake = absl::FromUnixNanos(p.last_handshake_unix_nanos);
    }
    o.rx_bytes = p.rx_bytes;
    o.tx_bytes = p.tx_bytes;
    observed.push_back(std::move(o));
  }
  std::string joined = absl::StrJoin(problems, "; ");
  if (joined != status_.DataplaneProblem()) {
    if (problems.empty()) {
      RAVEN_LOG(kInfo, "dataplane healthy again");
    } else {
      RAVEN_LOG(kError, "dataplane unhealthy (repairing): ", joined);
    }
  }
  std::string source_problem = SourceProblem(problems.empty());
  status_.Update([&](AgentSnapshot& s) {
    s.dataplane_problems = problems;
    s.node_warnings = std::move(node_warnings);
    s.peers = std::move(observed);
    s.source_problem = source_problem;
  });
  if (applied_known_) ObserveEndpoints(peers);
  if (problems.empty() && applied_known_ &&
      Reconciler::PathsDrifted(applied_, peers, parts_.clock->Now())) {
    Apply();  // a relayed pair's WireGuard roamed off the path chosen for it
  }
  if (!problems.empty()) {
    if (absl::Status st = EnsureNode(); !st.ok()) {
      RAVEN_LOG(kError, "repair failed (will retry): ", st.message());
    } else if (applied_known_) {
      // Re-created devices have new ifindexes, and a new WireGuard device no
      // peers: apply the Gateways to them now, not at the next resync (the
      // heartbeat resumes at the next check).
      Apply();
    }
  }
}

void Agent::Sync() {
  absl::StatusOr<std::vector<kube::DecodedGateway>> snapshot = parts_.source->Read();
  if (!snapshot.ok()) {
    std::string error(snapshot.status().message());
    if (error != last_read_error_) {
      RAVEN_LOG(kError, "Gateways unavailable, keeping the last good dataplane: ", error);
    }
    last_read_error_ = error;
    status_.Update([&](AgentSnapshot& s) { s.source_problem = error; });
    return;
  }
  last_read_error_.clear();
  std::vector<std::string> rejected;
  for (const auto& r : store_.ReplaceAll(*std::move(snapshot))) {
    rejected.push_back(
        absl::StrCat("Gateway ", r.name.empty() ? "<unnamed>" : r.name, " rejected: ", r.reason,
                     r.kept_last_good ? "; keeping its last good version" : "; ignored"));
    RAVEN_LOG(kError, rejected.back());
  }
  rejected_ = std::move(rejected);
  Apply();
}

void Agent::SetDirectPaths(std::map<std::string, UdpAddress> paths) {
  if (paths == direct_paths_) return;
  direct_paths_ = std::move(paths);
  Apply();
}

void Agent::SetSilentEndpoints(std::set<std::string> silent) {
  if (silent == silent_endpoints_) return;
  for (const std::string& node : silent) {
    if (!silent_endpoints_.contains(node)) {
      RAVEN_LOG(kWarning, "active endpoint ", node,
                " stopped answering echoes: its Gateway's traffic moves to the next active "
                "endpoint");
    }
  }
  for (const std::string& node : silent_endpoints_) {
    if (!silent.contains(node)) RAVEN_LOG(kInfo, "active endpoint ", node, " answers again");
  }
  silent_endpoints_ = std::move(silent);
  Apply();
}

void Agent::ObservePathQuality(const std::map<std::string, failover::EndpointLiveness>& echoes,
                               const std::map<std::string, nat_relay::DirectQuality>& direct) {
  std::map<std::string, std::string> node_of;
  for (const auto& [key, peer] : applied_.peers) {
    if (!peer.standby) node_of[peer.gateway] = peer.node;
  }
  if (quality_.Update(node_of, echoes)) {
    std::string annotation =
        PathsAnnotation(applied_, unanswered_.unanswered(), quality_.Published());
    status_.Update([&](AgentSnapshot& s) { s.paths_annotation = std::move(annotation); });
  }
  ChoosePaths(node_of, echoes, direct);
}

void Agent::ChoosePaths(const std::map<std::string, std::string>& node_of,
                        const std::map<std::string, failover::EndpointLiveness>& echoes,
                        const std::map<std::string, nat_relay::DirectQuality>& direct) {
  std::map<std::string, failover::PairCosts> pairs;
  for (const auto& [gateway, relays] : applied_.detour_relays) {
    failover::PairCosts& costs = pairs[gateway];
    if (auto d = direct.find(gateway); d != direct.end()) {
      // The loss it has at least: one unlucky probe is no reason to move.
      costs.direct = failover::LinkCost(d->second.smoothed_rtt, d->second.loss_low);
    }
    for (const std::string& relay : relays) {
      costs.detours[relay] = DetourCost(relay, gateway, node_of, echoes);
    }
  }
  if (!path_choice_.Update(pairs, parts_.clock->MonotonicNow())) return;
  const std::map<std::string, std::string> detours = path_choice_.Detours();
  for (const auto& [gateway, why] : path_choice_.reasons()) {
    auto via = detours.find(gateway);
    if (via == detours.end()) {
      RAVEN_LOG(kInfo, "Gateway ", gateway, ": back to the direct path (", why, ")");
    } else {
      RAVEN_LOG(kWarning, "Gateway ", gateway, ": detour through the relay of Gateway ",
                via->second, " (", why, ")");
    }
  }
  Apply();
}

std::optional<absl::Duration> Agent::DetourCost(
    const std::string& relay, const std::string& peer,
    const std::map<std::string, std::string>& node_of,
    const std::map<std::string, failover::EndpointLiveness>& echoes) const {
  auto node = node_of.find(relay);
  if (node == node_of.end()) return std::nullopt;
  auto echo = echoes.find(node->second);
  if (echo == echoes.end() || echo->second.silent) return std::nullopt;
  std::optional<absl::Duration> to_relay = failover::PathCost(echo->second);
  auto gw = store_.gateways().find(relay);
  if (!to_relay || gw == store_.gateways().end()) return std::nullopt;
  const kube::GatewayEndpoint* active = ActiveTunnelEndpoint(gw->second);
  for (const kube::GatewayPath& p : gw->second.status.paths) {
    if (active == nullptr || p.node_name != active->node_name || p.gateway != peer) continue;
    const bool direct = p.path == kube::PathKind::kDirect || p.path == kube::PathKind::kHolePunched;
    if (!direct || !p.rtt_micros || !p.loss_permille) return std::nullopt;
    return *to_relay +
           failover::LinkCost(absl::Microseconds(*p.rtt_micros), *p.loss_permille / 1000.0);
  }
  return std::nullopt;
}

void Agent::Apply() {
  DataplaneInput input{
      settings_.node_name, settings_.public_key,  devices_, settings_.dataplane, {}, direct_paths_,
      silent_endpoints_,   path_choice_.Detours()};
  if (applied_known_) {
    input.routed = applied_.route_gateways;
  } else if (absl::StatusOr<bpf::RouteMap> kernel = parts_.routes->Dump(); kernel.ok()) {
    // After a restart: whom the previous agent routed each prefix to.
    std::vector<std::string> names;
    for (const auto& [name, gw] : store_.gateways()) names.push_back(name);
    std::map<uint32_t, std::string> by_id;
    for (const auto& [name, id] : AssignPeerIds(names)) by_id[id] = name;
    for (const auto& [prefix, value] : *kernel) {
      if (auto it = by_id.find(value.peer_id); it != by_id.end()) input.routed[prefix] = it->second;
    }
  }
  const absl::Time start = parts_.clock->MonotonicNow();
  DesiredDataplane desired = ComputeDesiredDataplane(store_.gateways(), input);
  if (desired.role != applied_.role || !applied_known_) {
    RAVEN_LOG(kInfo, "role ", applied_known_ ? NodeRoleName(applied_.role) : "",
              applied_known_ ? " -> " : "", NodeRoleName(desired.role),
              desired.local_gateway.empty() ? "" : " in Gateway ", desired.local_gateway,
              desired.reason.empty() ? "" : ": ", desired.reason);
  }
  if (desired.refused != applied_.refused) {
    for (const RefusedPrefix& r : desired.refused) {
      RAVEN_LOG(kWarning, "not routed: ", Describe(r), " (the first claim keeps it)");
    }
  }
  if (desired.unreachable != applied_.unreachable) {
    for (const auto& [gateway, why] : desired.unreachable) {
      RAVEN_LOG(kWarning, "no path to Gateway ", gateway, ": ", why,
                "; its prefixes are dropped (counted as no_path)");
    }
  }
  // Registrations first: a peer's first packets to its relay wait for them.
  if (parts_.configure_nat_relay && nat_relay_configured_ != desired.nat_relay) {
    parts_.configure_nat_relay(desired.nat_relay);
    nat_relay_configured_ = desired.nat_relay;
  }
  absl::StatusOr<ReconcileStats> stats = reconciler_.Apply(desired, parts_.clock->Now());
  std::map<std::string, std::string> relayed;
  std::map<std::string, std::string> punched;  // relayed pairs on a direct path: the address
  std::map<std::string, std::string> paths;    // remote Gateway -> its node and path
  for (const auto& [key, peer] : desired.peers) {
    if (peer.standby) continue;
    paths[peer.gateway] = absl::StrCat(peer.node, " ", peer.relay, peer.direct ? " direct" : "");
    if (peer.relay.empty()) continue;
    if (peer.direct) {
      punched[peer.gateway] = direct_paths_.at(peer.gateway).ToString();
    } else {
      relayed[peer.gateway] = peer.relay;
    }
  }
  if (stats.ok()) {
    for (const auto& [gateway, path] : paths) {
      auto before = paths_.find(gateway);
      if (before != paths_.end() && before->second != path) ++path_changes_[gateway];
    }
    paths_ = std::move(paths);
  }
  if (parts_.metrics) {
    parts_.metrics->ObserveReconcile(parts_.clock->MonotonicNow() - start, stats.ok());
  }
  if (!stats.ok()) {
    RAVEN_LOG(kError, "reconcile failed (will retry): ", stats.status().message());
  } else if (stats->changed()) {
    RAVEN_LOG(kInfo, "dataplane updated: ", FormatStats(*stats));
  }
  if (stats.ok()) {
    for (const auto& [key, peer] : desired.peers) {
      auto before = applied_.peers.find(key);
      if (peer.standby) {
        promoted_standbys_.erase(key);
      } else if (before != applied_.peers.end() && before->second.standby) {
        promoted_standbys_.insert(key);
      }
    }
    std::erase_if(promoted_standbys_, [&](const wg::Key& k) { return !desired.peers.contains(k); });
    applied_ = desired;
    applied_known_ = true;
  }
  if (stats.ok() && (stats->peers_written || stats->peers_removed)) {
    // New peers start their wait for a handshake now, not at the next check.
    std::vector<std::string> ignored;
    Watch(ReadPeers(ignored));
  }
  std::vector<std::string> refused;
  for (const RefusedPrefix& r : desired.refused) refused.push_back(Describe(r));
  std::string source_problem = SourceProblem(status_.DataplaneProblem().empty());
  status_.Update([&](AgentSnapshot& s) {
    s.role = desired.role;
    s.local_gateway = desired.local_gateway;
    s.role_reason = desired.reason;
    s.routes = desired.routes.size();
    s.peer_names = desired.peer_names;
    s.member_names = desired.relay_members;
    s.refused_prefixes = std::move(refused);
    s.unreachable_gateways = desired.unreachable;
    s.paths_annotation = PathsAnnotation(desired, unanswered_.unanswered(), quality_.Published());
    s.relayed_peers = std::move(relayed);
    s.punched_peers = std::move(punched);
    s.path_changes = path_changes_;
    s.rejected_gateways = rejected_;
    s.source_problem = source_problem;
    s.reconcile_error = stats.ok() ? "" : std::string(stats.status().message());
  });
}

void Agent::ObserveEndpoints(const std::vector<wg::PeerStatus>& peers) {
  std::map<std::string, std::string> published;
  std::set<std::string> trying;
  for (const auto& [key, plan] : applied_.peers) {
    if (!plan.published || plan.standby) continue;
    // A new key at the same address is another gateway (a failover behind it).
    published[plan.gateway] = absl::StrCat(*plan.published, " ", key.ToBase64());
    if (plan.relay.empty()) trying.insert(plan.gateway);
  }
  std::map<std::string, PeerCounters> counters;
  for (const wg::PeerStatus& p : peers) {
    // One Gateway's standby sessions would overwrite its active peer's counters.
    auto plan = applied_.peers.find(p.config.public_key);
    if (plan != applied_.peers.end() && plan->second.standby) continue;
    PeerCounters& c = counters[GatewayOf(p.config.public_key)];
    if (p.last_handshake_unix_nanos > 0) {
      c.last_handshake = absl::FromUnixNanos(p.last_handshake_unix_nanos);
    }
    c.rx_bytes = p.rx_bytes;
    c.tx_bytes = p.tx_bytes;
  }
  const std::set<std::string> before = unanswered_.unanswered();
  const bool changed = unanswered_.Observe(parts_.clock->Now(), published, trying, counters);
  RestartHandshakes(unanswered_.TakeMoved(), peers);
  promoted_standbys_.clear();
  if (!changed) return;
  for (const std::string& gateway : unanswered_.unanswered()) {
    if (before.contains(gateway)) continue;
    RAVEN_LOG(kWarning, "Gateway ", gateway, ": its published endpoint (and key) ",
              published[gateway],
              " answered nothing we sent for 15 s; saying so in the paths annotation (the pair "
              "goes through a NAT relay when one is up)");
  }
  std::string annotation =
      PathsAnnotation(applied_, unanswered_.unanswered(), quality_.Published());
  status_.Update([&](AgentSnapshot& s) { s.paths_annotation = std::move(annotation); });
}

void Agent::RestartHandshakes(const std::set<std::string>& gateways,
                              const std::vector<wg::PeerStatus>& peers) {
  std::vector<wg::Key> keys;
  std::vector<wg::PeerConfig> configs;
  for (const wg::PeerStatus& p : peers) {
    auto plan = applied_.peers.find(p.config.public_key);
    // Only the session that carries the Gateway's traffic proves its
    // published endpoint. A session that stands by, or one that stood by and
    // now carries the traffic, was proven by its own handshake at its node's
    // endpoint: re-creating it would only break it.
    if (plan == applied_.peers.end() || plan->second.standby || !plan->second.initiates ||
        !gateways.contains(plan->second.gateway) || !wg::HasLiveSession(p, parts_.clock->Now()) ||
        promoted_standbys_.contains(p.config.public_key)) {
      continue;
    }
    RAVEN_LOG(kInfo, "WireGuard peer ", plan->second.gateway,
              ": its Gateway publishes another endpoint; re-creating it so that a handshake "
              "proves the new one");
    keys.push_back(p.config.public_key);
    configs.push_back(plan->second.config);
  }
  RecreatePeers(keys, configs);
}

void Agent::RecreatePeers(const std::vector<wg::Key>& keys,
                          const std::vector<wg::PeerConfig>& configs) {
  if (keys.empty()) return;
  absl::Status st = parts_.wireguard->RemovePeers(keys);
  if (st.ok()) st = parts_.wireguard->UpsertPeers(configs);
  if (!st.ok()) {
    RAVEN_LOG(kError,
              "re-creating WireGuard peers failed (the next resync restores them): ", st.message());
  }
}

std::optional<absl::Time> Agent::WatchHandshakes() {
  std::vector<std::string> problems;
  std::vector<wg::PeerStatus> peers = ReadPeers(problems);
  if (!problems.empty()) return std::nullopt;
  return Watch(peers);
}

std::optional<absl::Time> Agent::Watch(const std::vector<wg::PeerStatus>& peers) {
  std::set<wg::Key> initiators;
  for (const auto& [key, plan] : applied_.peers) {
    if (plan.initiates) initiators.insert(key);
  }
  std::vector<wg::Key> due = watchdog_.Due(parts_.clock->Now(), peers, initiators);
  if (due.empty()) return watchdog_.NextKick();
  std::vector<wg::PeerConfig> configs;
  for (const wg::PeerStatus& p : peers) {
    if (std::find(due.begin(), due.end(), p.config.public_key) == due.end()) continue;
    wg::PeerConfig config = p.config;
    auto plan = applied_.peers.find(config.public_key);
    const bool waited = plan != applied_.peers.end() && !plan->second.initiates;
    if (!config.endpoint && plan != applied_.peers.end()) {
      config.endpoint = plan->second.fallback_endpoint;
    }
    RAVEN_LOG(kInfo, "WireGuard peer ", GatewayOf(config.public_key),
              waited ? ": its handshake did not come; re-creating it to start one ourselves"
                     : ": no session yet; re-creating it to start a fresh handshake");
    configs.push_back(std::move(config));
  }
  RecreatePeers(due, configs);
  if (parts_.metrics) parts_.metrics->CountHandshakeRestarts(static_cast<int>(due.size()));
  return watchdog_.NextKick();
}

}  // namespace raven
