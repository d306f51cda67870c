// raven-agent's decisions, over parts it is given (real ones from
// agent_runtime.h, fakes in tests):
//   Sync()            read the Gateways, keep the last good version of each,
//                     compute the desired dataplane (one pure function) and
//                     apply it by diff; a Gateway source that fails changes
//                     nothing
//   CheckDataplane()  the dataplane self-check: devices and program
//                     attachments (repaired when missing), WireGuard peer
//                     state, and whether the Gateways are current; while the
//                     dataplane is broken the heartbeat is withheld so that
//                     the pool fails over
//   WatchHandshakes() re-creates WireGuard peers whose handshake stalls
// and the status that /healthz, /metrics and the heartbeat report.
#ifndef RAVEN_DAEMON_AGENT_H_
#define RAVEN_DAEMON_AGENT_H_

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/kube/clock.h"
#include "common/wg_key.h"
#include "daemon/agent_metrics.h"
#include "daemon/agent_status.h"
#include "daemon/bpf/relay_members.h"
#include "daemon/bpf/route_table.h"
#include "daemon/cluster/heartbeat.h"
#include "daemon/dataplane_node.h"
#include "daemon/failover/path_choice.h"
#include "daemon/failover/published_quality.h"
#include "daemon/gateway_source.h"
#include "daemon/model/desired_dataplane.h"
#include "daemon/model/gateway_store.h"
#include "daemon/nat_relay/direct_prober.h"
#include "daemon/reconciler.h"
#include "daemon/unanswered_endpoints.h"
#include "daemon/wireguard/handshake_watchdog.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

struct AgentSettings {
  std::string node_name;
  wg::Key public_key;
  DataplaneOptions dataplane;
  // The Gateway watch (or, with a hung API server, the heartbeat) failing this
  // long makes /healthz fail; the dataplane is kept.
  absl::Duration watch_stale_after = absl::Seconds(10);
  wg::WatchdogOptions handshakes;
};

// What the agent drives. All must outlive it; heartbeat and metrics may be
// null (Gateways from a file; no metrics).
struct AgentParts {
  GatewaySource* source = nullptr;
  DataplaneNode* node = nullptr;
  bpf::RouteTable* routes = nullptr;
  bpf::RelayMembers* members = nullptr;
  wg::WireGuardDevice* wireguard = nullptr;
  const HeartbeatView* heartbeat = nullptr;
  AgentMetrics* metrics = nullptr;
  kube::Clock* clock = nullptr;
  // Given every NAT relay plan that differs from the last (may be empty).
  std::function<void(const NatRelayPlan&)> configure_nat_relay;
};

class Agent {
 public:
  Agent(AgentSettings settings, AgentParts parts, AgentStatus& status);

  // Sets the node up (devices, attachments), checks it, and applies the
  // Gateways as far as they are known. Fails only when the node cannot be
  // set up at all.
  absl::Status Start();
  void Sync();
  void CheckDataplane();
  // Re-creates stalled peers; the time of the next call it wants, if any.
  std::optional<absl::Time> WatchHandshakes();
  // The proven direct paths of relayed peers (NAT relay service); applied at once.
  void SetDirectPaths(std::map<std::string, UdpAddress> paths);
  // The active endpoints this node's echoes found silent (failover/liveness.h);
  // traffic moves past them at once.
  void SetSilentEndpoints(std::set<std::string> silent);
  // What the echoes measure, by node: published in the paths annotation
  // when it clearly changed (failover/published_quality.h). With what the
  // direct probes measure, by remote Gateway, it also decides which pairs
  // detour through a third Gateway (failover/path_choice.h).
  void ObservePathQuality(const std::map<std::string, failover::EndpointLiveness>& echoes,
                          const std::map<std::string, nat_relay::DirectQuality>& direct = {});
  // Whom the liveness echoes go to, as last applied.
  const std::map<std::string, failover::EchoTarget>& echo_targets() const {
    return applied_.echo_targets;
  }

  // "" while the heartbeat may be renewed (the dataplane can carry traffic).
  std::string HeartbeatProblem() const { return status_.DataplaneProblem(); }

 private:
  absl::Status EnsureNode();
  // Computes the desired dataplane from the Gateways kept and applies it.
  void Apply();
  std::vector<wg::PeerStatus> ReadPeers(std::vector<std::string>& problems);
  // Marks published endpoints that never answer (unanswered_endpoints.h).
  void ObserveEndpoints(const std::vector<wg::PeerStatus>& peers);
  // Removes and adds again `keys` with `configs`: WireGuard starts a fresh
  // handshake.
  void RecreatePeers(const std::vector<wg::Key>& keys, const std::vector<wg::PeerConfig>& configs);
  // Re-creates the live peers we initiate to among `gateways` (a new handshake).
  void RestartHandshakes(const std::set<std::string>& gateways,
                         const std::vector<wg::PeerStatus>& peers);
  std::optional<absl::Time> Watch(const std::vector<wg::PeerStatus>& peers);
  std::string SourceProblem(bool dataplane_ok) const;
  // Moves pairs onto detours and back (failover/path_choice.h).
  void ChoosePaths(const std::map<std::string, std::string>& node_of,
                   const std::map<std::string, failover::EndpointLiveness>& echoes,
                   const std::map<std::string, nat_relay::DirectQuality>& direct);
  // The cost of reaching `peer` through `relay`'s relay: this gateway's
  // echoes to the relay plus the relay's direct path to the peer as its
  // status publishes it; none when either is unknown or not direct.
  std::optional<absl::Duration> DetourCost(
      const std::string& relay, const std::string& peer,
      const std::map<std::string, std::string>& node_of,
      const std::map<std::string, failover::EndpointLiveness>& echoes) const;
  // The remote Gateway of a WireGuard peer, for logs and metrics.
  std::string GatewayOf(const wg::Key& key) const;

  const AgentSettings settings_;
  const AgentParts parts_;
  AgentStatus& status_;
  GatewayStore store_;
  Reconciler reconciler_;
  wg::HandshakeWatchdog watchdog_;
  UnansweredEndpoints unanswered_;
  DataplaneDevices devices_;
  DesiredDataplane applied_;    // the last desired dataplane applied
  bool applied_known_ = false;  // applied_ holds something (else: what the kernel has)
  std::optional<NatRelayPlan> nat_relay_configured_;
  std::map<std::string, UdpAddress> direct_paths_;
  // The path to each remote Gateway last applied (its node, relay, whether
  // hole punched), and how often it changed.
  std::map<std::string, std::string> paths_;
  std::map<std::string, uint64_t> path_changes_;
  failover::PublishedQuality quality_;
  failover::PathChoice path_choice_;
  std::set<std::string> silent_endpoints_;
  // Peers that were standby sessions and carry traffic now, until the next
  // look at the published endpoints (RestartHandshakes leaves them alone).
  std::set<wg::Key> promoted_standbys_;
  std::string last_read_error_;
  std::vector<std::string> rejected_;  // the Gateways the last Read gave that were rejected
};

}  // namespace raven

#endif  // RAVEN_DAEMON_AGENT_H_
