// What the agent's poll loop last observed, shared with the threads that
// report it: the HTTP endpoint (/healthz, /metrics) and the heartbeat (which
// stops renewing while the dataplane cannot carry traffic).
#ifndef RAVEN_DAEMON_AGENT_STATUS_H_
#define RAVEN_DAEMON_AGENT_STATUS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "daemon/failover/liveness.h"
#include "daemon/model/desired_dataplane.h"
#include "daemon/nat_relay/direct_prober.h"
#include "daemon/nat_relay/registrar.h"

namespace raven {

struct PeerObservation {
  std::string gateway;                       // the remote Gateway
  std::string node;                          // its endpoint's node
  std::optional<absl::Time> last_handshake;  // none: never
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

struct AgentSnapshot {
  NodeRole role = NodeRole::kNone;
  std::string local_gateway;
  std::string role_reason;
  size_t routes = 0;                              // BPF route entries
  std::map<uint32_t, std::string> peer_names;     // BPF peer id -> remote Gateway
  std::map<IpAddress, std::string> member_names;  // relay member address -> node
  std::vector<PeerObservation> peers;             // WireGuard peers (gateway role)
  std::vector<std::string> dataplane_problems;    // detached programs, missing devices
  std::vector<std::string> node_warnings;         // e.g. egress devices the programs refused
  std::string source_problem;                     // stale or unreadable Gateways
  std::string reconcile_error;                    // the last reconcile's error, if it failed
  // Remote prefixes not routed: they overlap the local pool's or another
  // Gateway's (a warning, not a failure of this node).
  std::vector<std::string> refused_prefixes;
  // Remote Gateways no path leads to -> why (their traffic is dropped and
  // counted): the topology's problem, not this node's (a warning).
  std::map<std::string, std::string> unreachable_gateways;
  // Remote Gateways reached through a NAT relay: peer -> the relay's Gateway
  // (gateway role; every other peer is direct).
  std::map<std::string, std::string> relayed_peers;
  // Remote Gateways of relayed pairs on a proven direct path: peer -> its
  // NAT-mapped address (hole punched; the relay stands by).
  std::map<std::string, std::string> punched_peers;
  // NAT relay ports this node should serve but could not bind (a warning:
  // pairs relayed here fail, this node's own traffic does not).
  std::vector<std::string> nat_relay_problems;
  // This gateway's NAT mapping as the relays' ports saw it (NAT discovery).
  std::vector<nat_relay::NatObservation> nat_observations;
  // The path to every remote Gateway, as the Node annotation kPathsAnnotation
  // says it (gateway role; "" otherwise).
  std::string paths_annotation;
  // Per relay: whether this gateway's NAT filters by port (Registrar::filtering).
  std::map<std::string, std::string> nat_filtering;
  // Gateways the source gave that were rejected (their last good version is
  // kept, if any): the Gateways are bad, not this node (a warning too).
  std::vector<std::string> rejected_gateways;
  // The active endpoints this node's liveness echoes go to, by node.
  std::map<std::string, failover::EndpointLiveness> echoes;
  // Times the path to each remote Gateway changed (another endpoint, to or
  // from a relay or a hole punched path) since the agent started.
  std::map<std::string, uint64_t> path_changes;
  // What the direct probes measure on each proven direct path, by remote
  // Gateway (nat_relay/direct_prober.h), whatever the path in use.
  std::map<std::string, nat_relay::DirectQuality> direct_quality;
};

class AgentStatus {
 public:
  AgentSnapshot Get() const {
    absl::MutexLock lock(&mu_);
    return snapshot_;
  }
  template <typename Fn>
  void Update(Fn&& fn) {
    absl::MutexLock lock(&mu_);
    fn(snapshot_);
  }
  // "" while the dataplane can carry traffic; otherwise the problems, joined.
  std::string DataplaneProblem() const;
  // ok, or every reason it is not (dataplane, Gateways, reconcile).
  std::vector<std::string> HealthProblems() const;
  // What is worth knowing although the node is healthy (refused prefixes,
  // unreachable, relayed and rejected Gateways, NAT relay ports not bound).
  std::vector<std::string> Warnings() const;
  // This gateway's NAT type in upstream Raven's words (nat_relay::NatType),
  // as the first relay that tells it saw it; "" when none does.
  std::string NatType() const;

 private:
  mutable absl::Mutex mu_;
  AgentSnapshot snapshot_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven

#endif  // RAVEN_DAEMON_AGENT_STATUS_H_
