// Whether the pool's gateways are alive, seen from the data path: every node
// sends ICMP echo requests to the active endpoints it depends on (its own
// pool's over the LAN, the other pools' through their WireGuard sessions)
// every `interval`, and the kernels there answer, so an agent restart does
// not look like a death. An endpoint that answered and then stays silent for
// `silent_after` is silent: traffic moves to the Gateway's next active
// endpoint (desired_dataplane.h) on this node, without waiting for the
// controller. It counts as alive again only after answering without a gap
// for `revive_after`, so a flapping endpoint does not take traffic back and
// forth. An endpoint that never answered is never silent: it was never
// proven, and the controller's Lease still covers it.
//
// The same echoes measure each path's quality (smoothed round-trip time and
// loss). A gateway also echoes, less often, the remote active endpoints that
// no failover depends on (a Gateway without a standby): those are measured
// only, never silent.
#ifndef RAVEN_DAEMON_FAILOVER_LIVENESS_H_
#define RAVEN_DAEMON_FAILOVER_LIVENESS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/ip_prefix.h"

namespace raven::failover {

// Where to send an endpoint's echo requests.
struct EchoTarget {
  IpAddress address;
  uint32_t ifindex = 0;             // nonzero: out of this device (a link-local address)
  std::optional<IpAddress> source;  // the source to send from, if it must be one
  bool failover = true;             // false: measured only, never silent

  bool operator==(const EchoTarget&) const = default;
};

struct LivenessOptions {
  // Zero: no failover from echoes; every target is measured only.
  absl::Duration interval = absl::Milliseconds(50);
  absl::Duration silent_after = absl::Milliseconds(350);
  absl::Duration revive_after = absl::Seconds(2);
  // Targets measured only: echoed this often, an echo counted lost when
  // unanswered this long (paths through a slow relay or a satellite link
  // answer in more than silent_after).
  absl::Duration measure_interval = absl::Milliseconds(200);
  absl::Duration lost_after = absl::Seconds(1);
  double rtt_weight = 0.2;    // of a new sample in the smoothed round-trip time
  double loss_weight = 0.05;  // of each echo's outcome in the smoothed loss ratio
};

struct EchoRequest {
  std::string node;  // the endpoint's node
  EchoTarget target;
  uint16_t sequence = 0;
};

struct EndpointLiveness {
  EchoTarget target;
  bool silent = false;
  std::optional<absl::Duration> smoothed_rtt;
  // Of the echoes since the first answer: 1 for one unanswered after
  // silent_after (lost_after), 0 for an answer.
  double smoothed_loss = 0;
  uint64_t sent = 0;
  uint64_t answered = 0;
  uint64_t silences = 0;  // times it went silent
};

// The cost of a path with this round-trip time and loss ratio: the expected
// time for a round trip to get through when each loss costs a retry after
// kLossPenalty (TCP's minimum retransmission timeout), so that a few percent
// of loss outweighs milliseconds of delay.
inline constexpr absl::Duration kLossPenalty = absl::Milliseconds(200);
absl::Duration LinkCost(absl::Duration rtt, double loss);
// An endpoint's LinkCost from its echoes; none until it answered.
std::optional<absl::Duration> PathCost(const EndpointLiveness& endpoint);

class Liveness {
 public:
  explicit Liveness(LivenessOptions options = {}) : options_(options) {}

  // The endpoints to watch, by node name; others are forgotten. A node whose
  // target changes starts over.
  void SetTargets(const std::map<std::string, EchoTarget>& targets, absl::Time now);
  // The echo requests due at `now`.
  std::vector<EchoRequest> Due(absl::Time now);
  // An echo reply from `address`, received on interface `ifindex`, with
  // `sequence`. Ignored unless it answers one of the last requests sent to
  // that endpoint, and, for a target sent out of a device, arrived there (a
  // tunnel address is only proven by WireGuard's source check).
  void Answered(const IpAddress& address, uint32_t ifindex, uint16_t sequence, absl::Time now);
  // Counts echoes unanswered for silent_after as lost, and moves endpoints
  // to silent or alive; true when the silent set changed.
  bool Update(absl::Time now);
  std::set<std::string> Silent() const;
  std::map<std::string, EndpointLiveness> Endpoints() const;
  // When Due or Update next has something to do.
  absl::Time NextWakeup() const;

 private:
  static constexpr int kOutstanding = 32;  // requests remembered per endpoint
  struct State {
    bool failover = false;  // the target's, when failover from echoes is on
    EndpointLiveness view;
    absl::Time next_send = absl::InfinitePast();
    std::optional<absl::Time> last_answer;
    std::optional<absl::Time> answering_since;  // answers without a gap since
    uint16_t next_sequence = 0;
    std::map<uint16_t, absl::Time> outstanding;  // sequence -> sent at
  };

  absl::Duration Interval(const State& state) const;
  absl::Duration LostAfter(const State& state) const;

  const LivenessOptions options_;
  std::map<std::string, State> states_;
  // (address, ifindex) -> node, for the replies.
  std::map<std::pair<IpAddress, uint32_t>, std::string> by_address_;
};

}  // namespace raven::failover

#endif  // RAVEN_DAEMON_FAILOVER_LIVENESS_H_
