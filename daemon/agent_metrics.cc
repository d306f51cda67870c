#include "daemon/agent_metrics.h"

#include "absl/time/clock.h"
#include "daemon/bpf/counters.h"

namespace raven {
namespace {

using metrics::CollectedFamily;
using metrics::Type;

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
  out.push_back(std::move(age));
  out.push_back(std::move(rx));
  out.push_back(std::move(tx));
  return out;
}

std::vector<CollectedFamily> CollectBpfCounters(const AgentStatus& status, int peer_stats_fd,
                                                int drops_fd) {
  std::vector<CollectedFamily> out;
  CollectedFamily packets{"raven_agent_peer_packets_total",
                          "Packets the BPF programs redirected toward a remote Gateway.",
                          Type::kCounter,
                          {}};
  CollectedFamily bytes{"raven_agent_peer_bytes_total",
                        "Bytes the BPF programs redirected toward a remote Gateway.",
                        Type::kCounter,
                        {}};
  if (auto counters = bpf::ReadPeerCounters(peer_stats_fd); counters.ok()) {
    std::map<uint32_t, std::string> names = status.Get().peer_names;
    for (const auto& [id, c] : *counters) {
      auto name = names.find(id);
      std::string gateway = name != names.end() ? name->second : "peer-" + std::to_string(id);
      packets.samples.push_back({{{"gateway", gateway}}, static_cast<double>(c.packets)});
      bytes.samples.push_back({{{"gateway", gateway}}, static_cast<double>(c.bytes)});
    }
  }
  out.push_back(std::move(packets));
  out.push_back(std::move(bytes));
  CollectedFamily drops{"raven_agent_drops_total",
                        "Packets the BPF programs dropped, by reason.",
                        Type::kCounter,
                        {}};
  if (auto counts = bpf::ReadDropCounters(drops_fd); counts.ok()) {
    for (int r = 0; r < bpf::kDropReasonCount; ++r) {
      drops.samples.push_back(
          {{{"reason", bpf::DropReasonName(r)}}, static_cast<double>((*counts)[r])});
    }
  }
  out.push_back(std::move(drops));
  return out;
}

std::vector<CollectedFamily> CollectHeartbeat(const Heartbeat& heartbeat) {
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

}  // namespace

AgentMetrics::AgentMetrics(metrics::Registry& registry, const AgentStatus& status,
                           const Heartbeat* heartbeat, int peer_stats_fd, int drops_fd)
    : reconcile_duration_(registry
                              .AddHistogram("raven_agent_reconcile_duration_seconds",
                                            "Time to compute and apply the desired dataplane.",
                                            metrics::DefaultLatencyBuckets())
                              .Get()),
      reconcile_errors_(registry
                            .AddCounter("raven_agent_reconcile_errors_total",
                                        "Reconciles that failed (retried on the next change or "
                                        "resync).")
                            .Get()) {
  registry.AddCollector([&status] { return CollectStatus(status); });
  registry.AddCollector([&status, peer_stats_fd, drops_fd] {
    return CollectBpfCounters(status, peer_stats_fd, drops_fd);
  });
  if (heartbeat != nullptr) {
    registry.AddCollector([heartbeat] { return CollectHeartbeat(*heartbeat); });
  }
}

void AgentMetrics::ObserveReconcile(absl::Duration duration, bool ok) {
  reconcile_duration_.Observe(absl::ToDoubleSeconds(duration));
  if (!ok) reconcile_errors_.Inc();
}

}  // namespace raven
