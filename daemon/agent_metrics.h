// raven-agent's Prometheus metrics. Values the loop produces (reconciles) are
// observed here; the rest is read at scrape time: the agent status snapshot,
// the heartbeat's state and the BPF per-peer and drop counters.
//
//   raven_agent_role{role}                          1 for the current role
//   raven_agent_route_entries                       BPF route entries
//   raven_agent_refused_prefixes                    remote prefixes not routed (overlaps)
//   raven_agent_unreachable_gateways                remote Gateways with no path (both under
//                                                   NAT, no NAT relay)
//   raven_agent_peer_packets_total{gateway}         sent toward a remote pool by this node
//   raven_agent_peer_bytes_total{gateway}           (its pods and host; summed over nodes: all)
//   raven_agent_relayed_packets_total{node}         relayed by this gateway for a member
//   raven_agent_relayed_bytes_total{node}           (already counted by the member as sent)
//   raven_agent_drops_total{reason}                 BPF drops by reason
//   raven_agent_wireguard_peer_handshake_age_seconds{gateway}  (-1: never)
//   raven_agent_wireguard_peer_rx_bytes{gateway}, ..._tx_bytes{gateway}
//   raven_agent_peer_path{gateway,path,via}         1: direct, or relay via a Gateway
//   raven_agent_path_rtt_seconds{gateway,node}      the path in use to a remote Gateway, from
//   raven_agent_path_loss_ratio{gateway,node}       the echoes to its active endpoint: smoothed
//   raven_agent_path_cost_seconds{gateway,node}     round trip, loss, and rtt / (1 - loss)
//   raven_agent_path_changes_total{gateway}         another endpoint, relay or punched path
//   raven_agent_echo_rtt_seconds{node}, ..._loss_ratio{node}, ..._silent{node},
//   raven_agent_echo_requests_total{node}, ..._replies_total{node}, ..._silences_total{node}
//                                                   liveness echoes to each active endpoint
//   raven_agent_nat_relay_datagrams_total{outcome}  at this node's NAT relay ports
//   raven_agent_nat_relay_forwarded_bytes_total, ..._send_errors_total
//   raven_agent_nat_relay_registrations_sent_total, ..._registration_errors_total
//   raven_agent_nat_relay_acks_total, ..._acks_rejected_total,
//   raven_agent_nat_mapping_changes_total
//   raven_agent_nat_mapped_address{relay,relay_port,address}  NAT discovery: 1 per relay port
//   raven_agent_nat_mapping{relay,behaviour}        endpoint-independent or -dependent
//   raven_agent_nat_filtering{relay,behaviour}      port-dependent or port-independent
//   raven_agent_direct_probes_sent_total, ..._probes_answered_total, raven_agent_direct_acks_total,
//   raven_agent_direct_rejected_total               hole punching (direct_prober.h)
//   raven_agent_reconcile_duration_seconds          histogram
//   raven_agent_reconcile_errors_total
//   raven_agent_wireguard_handshake_restarts_total  peers re-created by the handshake watchdog
//   raven_agent_healthy                             1 when /healthz is ok
//   raven_agent_heartbeat_renewals_total, raven_agent_heartbeat_failures_total
#ifndef RAVEN_DAEMON_AGENT_METRICS_H_
#define RAVEN_DAEMON_AGENT_METRICS_H_

#include "absl/time/time.h"
#include "common/metrics/registry.h"
#include "daemon/agent_status.h"
#include "daemon/cluster/heartbeat.h"
#include "daemon/nat_relay/nat_relay_service.h"

namespace raven {

// The BPF maps the metrics read at scrape time.
struct BpfCounterFds {
  int peer_stats = -1;
  int relay_members = -1;
  int drops = -1;
};

class AgentMetrics {
 public:
  // heartbeat may be null (file mode). Everything referenced must outlive
  // the registry's scrapes.
  AgentMetrics(metrics::Registry& registry, const AgentStatus& status,
               const HeartbeatView* heartbeat, BpfCounterFds fds);

  void ObserveReconcile(absl::Duration duration, bool ok);
  void CountHandshakeRestarts(int peers) { handshake_restarts_.Inc(peers); }
  // Its counters, read at scrape time; it must outlive the registry's scrapes.
  void AddNatRelay(const nat_relay::NatRelayService* relay);

 private:
  metrics::Registry& registry_;
  metrics::Histogram& reconcile_duration_;
  metrics::Counter& reconcile_errors_;
  metrics::Counter& handshake_restarts_;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_AGENT_METRICS_H_
