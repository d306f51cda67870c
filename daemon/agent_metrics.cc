#include "daemon/agent_metrics.h"

#include <functional>
#include <set>

#include "absl/time/clock.h"
#include "daemon/bpf/counters.h"

namespace raven {
namespace {

using metrics::CollectedFamily;
using metrics::Type;

// The liveness echoes to each active endpoint this node depends on.
void AddEchoFamilies(const std::map<std::string, failover::EndpointLiveness>& echoes,
                     std::vector<CollectedFamily>& out) {
  CollectedFamily rtt{"raven_agent_echo_rtt_seconds",
                      "Smoothed round-trip time of the liveness echoes to an active gateway "
                      "endpoint (-1: none answered yet).",
                      Type::kGauge,
                      {}};
  CollectedFamily loss{"raven_agent_echo_loss_ratio",
                       "Smoothed share of the liveness echoes to an active gateway endpoint "
                       "left unanswered (each echo weighs 0.05).",
                       Type::kGauge,
                       {}};
  CollectedFamily silent{"raven_agent_echo_silent",
                         "1 while an active gateway endpoint is passed over because it stopped "
                         "answering this node's echoes.",
                         Type::kGauge,
                         {}};
  CollectedFamily sent{"raven_agent_echo_requests_total",
                       "Liveness echo requests sent to an active gateway endpoint.",
                       Type::kCounter,
                       {}};
  CollectedFamily answered{"raven_agent_echo_replies_total",
                           "Liveness echo replies from an active gateway endpoint.",
                           Type::kCounter,
                           {}};
  CollectedFamily silences{"raven_agent_echo_silences_total",
                           "Times an active gateway endpoint went silent: each moved this "
                           "node's traffic for its Gateway to the next active endpoint.",
                           Type::kCounter,
                           {}};
  for (const auto& [node, e] : echoes) {
    std::vector<std::pair<std::string, std::string>> labels = {{"node", node}};
    rtt.samples.push_back({labels, e.smoothed_rtt ? absl::ToDoubleSeconds(*e.smoothed_rtt) : -1.0});
    loss.samples.push_back({labels, e.smoothed_loss});
    silent.samples.push_back({labels, e.silent ? 1.0 : 0.0});
    sent.samples.push_back({labels, static_cast<double>(e.sent)});
    answered.samples.push_back({labels, static_cast<double>(e.answered)});
    silences.samples.push_back({labels, static_cast<double>(e.silences)});
  }
  for (CollectedFamily* f : {&rtt, &loss, &silent, &sent, &answered, &silences}) {
    out.push_back(std::move(*f));
  }
}

// Per remote Gateway, the quality of the path in use, from the echoes to
// its active endpoint (a path not measured has no sample).
void AddPathQualityFamilies(const AgentSnapshot& s, std::vector<CollectedFamily>& out) {
  CollectedFamily rtt{"raven_agent_path_rtt_seconds",
                      "Smoothed round-trip time of the path to a remote Gateway's active "
                      "endpoint (echoes through its WireGuard session).",
                      Type::kGauge,
                      {}};
  CollectedFamily loss{"raven_agent_path_loss_ratio",
                       "Smoothed share of the echoes on the path to a remote Gateway left "
                       "unanswered.",
                       Type::kGauge,
                       {}};
  CollectedFamily cost{"raven_agent_path_cost_seconds",
                       "Cost of the path to a remote Gateway: (round-trip time + loss ratio x "
                       "200 ms) / (1 - loss ratio), a loss costing a retry.",
                       Type::kGauge,
                       {}};
  CollectedFamily changes{
      "raven_agent_path_changes_total",
      "Times the path to a remote Gateway changed on this node (another "
      "active endpoint, to or from a NAT relay, a detour or a hole punched path).",
      Type::kCounter,
      {}};
  for (const PeerObservation& p : s.peers) {
    auto echo = s.echoes.find(p.node);
    if (echo == s.echoes.end()) continue;
    std::optional<absl::Duration> c = failover::PathCost(echo->second);
    if (!c) continue;
    std::vector<std::pair<std::string, std::string>> labels = {{"gateway", p.gateway},
                                                               {"node", p.node}};
    rtt.samples.push_back({labels, absl::ToDoubleSeconds(*echo->second.smoothed_rtt)});
    loss.samples.push_back({labels, echo->second.smoothed_loss});
    cost.samples.push_back({labels, absl::ToDoubleSeconds(*c)});
  }
  for (const auto& [gateway, n] : s.path_changes) {
    changes.samples.push_back({{{"gateway", gateway}}, static_cast<double>(n)});
  }
  CollectedFamily direct_rtt{"raven_agent_direct_path_rtt_seconds",
                             "Smoothed round-trip time of the proven direct path to a remote "
                             "Gateway (direct probes, whatever the path in use).",
                             Type::kGauge,
                             {}};
  CollectedFamily direct_loss{"raven_agent_direct_path_loss_ratio",
                              "Share of the last 30 direct probes to a remote Gateway left "
                              "unanswered.",
                              Type::kGauge,
                              {}};
  for (const auto& [gateway, q] : s.direct_quality) {
    direct_rtt.samples.push_back({{{"gateway", gateway}}, absl::ToDoubleSeconds(q.smoothed_rtt)});
    direct_loss.samples.push_back({{{"gateway", gateway}}, q.loss});
  }
  for (CollectedFamily* f : {&rtt, &loss, &cost, &changes, &direct_rtt, &direct_loss}) {
    out.push_back(std::move(*f));
  }
}

std::vector<CollectedFamily> CollectStatus(const AgentStatus& status) {
  AgentSnapshot s = status.Get();
  std::vector<CollectedFamily> out;
  CollectedFamily role{"raven_agent_role", "1 for the node's current role.", Type::kGauge, {}};
  for (NodeRole r : {NodeRole::kNone, NodeRole::kGateway, NodeRole::kMember}) {
    role.samples.push_back({{{"role", NodeRoleName(r)}}, r == s.role ? 1.0 : 0.0});
  }
  out.push_back(std::move(role));
  out.push_back({"raven_agent_route_entries",
                 "Remote prefixes in the BPF route maps.",
                 Type::kGauge,
                 {{{}, static_cast<double>(s.routes)}}});
  out.push_back({"raven_agent_refused_prefixes",
                 "Remote prefixes not routed because they overlap the local pool's or another "
                 "Gateway's (see /healthz?verbose and the log).",
                 Type::kGauge,
                 {{{}, static_cast<double>(s.refused_prefixes.size())}}});
  out.push_back({"raven_agent_unreachable_gateways",
                 "Remote Gateways no path leads to (both ends behind NAT without a public "
                 "address, and no NAT relay); their traffic is dropped and counted as no_path.",
                 Type::kGauge,
                 {{{}, static_cast<double>(s.unreachable_gateways.size())}}});
  out.push_back({"raven_agent_healthy",
                 "1 when /healthz answers ok.",
                 Type::kGauge,
                 {{{}, status.HealthProblems().empty() ? 1.0 : 0.0}}});
  CollectedFamily age{
      "raven_agent_wireguard_peer_handshake_age_seconds",
      "Seconds since the last WireGuard handshake with a remote gateway (-1: never).",
      Type::kGauge,
      {}};
  CollectedFamily rx{"raven_agent_wireguard_peer_rx_bytes",
                     "Bytes received from a remote gateway's WireGuard peer.",
                     Type::kGauge,
                     {}};
  CollectedFamily tx{"raven_agent_wireguard_peer_tx_bytes",
                     "Bytes sent to a remote gateway's WireGuard peer.",
                     Type::kGauge,
                     {}};
  absl::Time now = absl::Now();
  for (const PeerObservation& p : s.peers) {
    std::vector<std::pair<std::string, std::string>> labels = {{"gateway", p.gateway}};
    age.samples.push_back(
        {labels, p.last_handshake ? absl::ToDoubleSeconds(now - *p.last_handshake) : -1.0});
    rx.samples.push_back({labels, static_cast<double>(p.rx_bytes)});
    tx.samples.push_back({labels, static_cast<double>(p.tx_bytes)});
  }
  CollectedFamily path{"raven_agent_peer_path",
                       "1 for the path to each remote Gateway's WireGuard peer: direct (also "
                       "when hole punched through NATs), or relay (through the NAT relay of "
                       "Gateway `via`).",
                       Type::kGauge,
                       {}};
  for (const PeerObservation& p : s.peers) {
    auto relay = s.relayed_peers.find(p.gateway);
    const bool relayed = relay != s.relayed_peers.end();
    path.samples.push_back({{{"gateway", p.gateway},
                             {"path", relayed ? "relay" : "direct"},
                             {"via", relayed ? relay->second : ""}},
                            1.0});
  }
  out.push_back(std::move(path));
  AddPathQualityFamilies(s, out);
  AddEchoFamilies(s.echoes, out);
  out.push_back(std::move(age));
  out.push_back(std::move(rx));
  out.push_back(std::move(tx));
  return out;
}

// A packets and a bytes family, one sample pair per labelled key.
template <typename Key>
void AddTraffic(std::vector<CollectedFamily>& out, const std::string& prefix,
                const std::string& what, const std::string& label,
                const absl::StatusOr<std::map<Key, bpf::Traffic>>& counters,
                const std::function<std::string(const Key&)>& name) {
  CollectedFamily packets{prefix + "_packets_total", "Packets " + what, Type::kCounter, {}};
  CollectedFamily bytes{prefix + "_bytes_total", "Bytes " + what, Type::kCounter, {}};
  if (counters.ok()) {
    for (const auto& [key, c] : *counters) {
      std::vector<std::pair<std::string, std::string>> labels = {{label, name(key)}};
      packets.samples.push_back({labels, static_cast<double>(c.packets)});
      bytes.samples.push_back({labels, static_cast<double>(c.bytes)});
    }
  }
  out.push_back(std::move(packets));
  out.push_back(std::move(bytes));
}

std::vector<CollectedFamily> CollectBpfCounters(const AgentStatus& status, BpfCounterFds fds) {
  std::vector<CollectedFamily> out;
  AgentSnapshot s = status.Get();
  AddTraffic<uint32_t>(
      out, "raven_agent_peer",
      "this node sent toward a remote Gateway (its own pods and host; a gateway does not count "
      "what it relays for members, who count it themselves).",
      "gateway", bpf::ReadPeerCounters(fds.peer_stats), [&](const uint32_t& id) {
        auto it = s.peer_names.find(id);
        return it != s.peer_names.end() ? it->second : "peer-" + std::to_string(id);
      });
  AddTraffic<IpAddress>(out, "raven_agent_relayed",
                        "this gateway relayed into WireGuard for a member node of its pool.",
                        "node", bpf::ReadRelayCounters(fds.relay_members),
                        [&](const IpAddress& ip) {
                          auto it = s.member_names.find(ip);
                          return it != s.member_names.end() ? it->second : ip.ToString();
                        });
  CollectedFamily drops{"raven_agent_drops_total",
                        "Packets the BPF programs dropped, by reason.",
                        Type::kCounter,
                        {}};
  if (auto counts = bpf::ReadDropCounters(fds.drops); counts.ok()) {
    for (int r = 0; r < bpf::kDropReasonCount; ++r) {
      drops.samples.push_back(
          {{{"reason", bpf::DropReasonName(r)}}, static_cast<double>((*counts)[r])});
    }
  }
  out.push_back(std::move(drops));
  return out;
}

std::vector<CollectedFamily> CollectHeartbeat(const HeartbeatView& heartbeat) {
  HeartbeatState s = heartbeat.state();
  return {{"raven_agent_heartbeat_renewals_total",
           "Heartbeat Lease renewals.",
           Type::kCounter,
           {{{}, static_cast<double>(s.renewals)}}},
          {"raven_agent_heartbeat_failures_total",
           "Heartbeat ticks that failed or were withheld (API errors, unhealthy dataplane).",
           Type::kCounter,
           {{{}, static_cast<double>(s.failures)}}}};
}

std::vector<CollectedFamily> CollectNatDiscovery(const AgentStatus& status) {
  AgentSnapshot s = status.Get();
  CollectedFamily mapped{"raven_agent_nat_mapped_address",
                         "1 for this gateway's NAT mapping as a relay port saw it (NAT "
                         "discovery, from the relays' acks).",
                         Type::kGauge,
                         {}};
  CollectedFamily behaviour{"raven_agent_nat_mapping",
                            "1 for the NAT's mapping behaviour towards a relay's ports: "
                            "endpoint-independent or endpoint-dependent.",
                            Type::kGauge,
                            {}};
  std::set<std::string> relays;
  for (const nat_relay::NatObservation& o : s.nat_observations) {
    mapped.samples.push_back({{{"relay", o.relay},
                               {"relay_port", std::to_string(o.relay_port)},
                               {"address", o.mapped.ToString()}},
                              1.0});
    relays.insert(o.relay);
  }
  for (const std::string& relay : relays) {
    std::string b = nat_relay::MappingBehaviour(s.nat_observations, relay);
    if (!b.empty()) behaviour.samples.push_back({{{"relay", relay}, {"behaviour", b}}, 1.0});
  }
  CollectedFamily filtering{"raven_agent_nat_filtering",
                            "1 for whether the NAT filters by port what comes from a relay: "
                            "port-dependent or port-independent.",
                            Type::kGauge,
                            {}};
  for (const auto& [relay, f] : s.nat_filtering) {
    filtering.samples.push_back({{{"relay", relay}, {"behaviour", f}}, 1.0});
  }
  return {std::move(mapped), std::move(behaviour), std::move(filtering)};
}

std::vector<CollectedFamily> CollectNatRelay(const nat_relay::NatRelayCounters& counters) {
  const nat_relay::RelayCounters& c = counters.relay;
  const nat_relay::RegistrarCounters& r = counters.registrar;
  CollectedFamily datagrams{"raven_agent_nat_relay_datagrams_total",
                            "Datagrams that reached this node's NAT relay ports, by outcome "
                            "(forwarded, registered, or why they were dropped).",
                            Type::kCounter,
                            {}};
  for (int i = 0; i < nat_relay::kOutcomeCount; ++i) {
    datagrams.samples.push_back(
        {{{"outcome", nat_relay::OutcomeName(static_cast<nat_relay::Outcome>(i))}},
         static_cast<double>(c.datagrams[i])});
  }
  auto counter = [](const char* name, const char* help, uint64_t value) {
    return CollectedFamily{name, help, Type::kCounter, {{{}, static_cast<double>(value)}}};
  };
  return {std::move(datagrams),
          counter("raven_agent_nat_relay_forwarded_bytes_total",
                  "WireGuard bytes this node's NAT relay forwarded between two gateways.",
                  c.forwarded_bytes),
          counter("raven_agent_nat_relay_send_errors_total",
                  "Datagrams (forwards, acks) the NAT relay failed to send.", c.send_errors),
          counter("raven_agent_nat_relay_registrations_sent_total",
                  "Registrations this gateway sent to the NAT relays of its relayed peers.",
                  r.registrations_sent),
          counter("raven_agent_nat_relay_registration_errors_total",
                  "Registrations that could not be sent.", r.registration_errors),
          counter("raven_agent_nat_relay_acks_total",
                  "Relay acks of this gateway's registrations and probes that verified.", r.acks),
          counter("raven_agent_nat_relay_acks_rejected_total",
                  "Relay acks that did not verify or answered nothing sent (replays).",
                  r.acks_rejected),
          counter("raven_agent_nat_mapping_changes_total",
                  "Times a relay port saw this gateway's NAT mapping change.", r.mapping_changes),
          counter("raven_agent_direct_probes_sent_total",
                  "Direct probes this gateway sent to its relayed peers' NAT-mapped addresses.",
                  r.direct.probes_sent),
          counter("raven_agent_direct_probes_answered_total",
                  "Relayed peers' direct probes this gateway acked.", r.direct.probes_answered),
          counter("raven_agent_direct_acks_total",
                  "Acks of this gateway's direct probes that verified.", r.direct.acks),
          counter("raven_agent_direct_rejected_total",
                  "Direct probes and acks that did not verify, were stale or answered nothing "
                  "sent.",
                  r.direct.rejected)};
}

}  // namespace

void AgentMetrics::AddNatRelay(const nat_relay::NatRelayService* relay) {
  registry_.AddCollector([relay] { return CollectNatRelay(relay->counters()); });
}

AgentMetrics::AgentMetrics(metrics::Registry& registry, const AgentStatus& status,
                           const HeartbeatView* heartbeat, BpfCounterFds fds)
    : registry_(registry),
      reconcile_duration_(registry
                              .AddHistogram("raven_agent_reconcile_duration_seconds",
                                            "Time to compute and apply the desired dataplane.",
                                            metrics::DefaultLatencyBuckets())
                              .Get()),
      reconcile_errors_(registry
                            .AddCounter("raven_agent_reconcile_errors_total",
                                        "Reconciles that failed (retried on the next change or "
                                        "resync).")
                            .Get()),
      handshake_restarts_(registry
                              .AddCounter("raven_agent_wireguard_handshake_restarts_total",
                                          "WireGuard peers re-created because their handshake "
                                          "stalled (no session a second or more after they were "
                                          "added).")
                              .Get()) {
  registry.AddCollector([&status] { return CollectStatus(status); });
  registry.AddCollector([&status] { return CollectNatDiscovery(status); });
  registry.AddCollector([&status, fds] { return CollectBpfCounters(status, fds); });
  if (heartbeat != nullptr) {
    registry.AddCollector([heartbeat] { return CollectHeartbeat(*heartbeat); });
  }
}

void AgentMetrics::ObserveReconcile(absl::Duration duration, bool ok) {
  reconcile_duration_.Observe(absl::ToDoubleSeconds(duration));
  if (!ok) reconcile_errors_.Inc();
}

}  // namespace raven
