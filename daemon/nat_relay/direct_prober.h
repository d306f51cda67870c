// Direct paths between the two gateways of a relayed pair (hole punching),
// without sockets: what to send, what the answers prove.
//
// Candidates for where the peer can be reached directly: the address its
// NAT mapped it to as the relay saw it (from the relay's acks), and the
// source of every authenticated direct probe the peer sends here (its NAT's
// mapping towards this gateway, which differs when that NAT's mapping is
// endpoint-dependent). Each candidate is probed every probe_interval from
// the WireGuard port, so the probes also open this side's NAT for the peer's
// packets (both ends probe at once) and keep it open. A candidate whose
// probe came back acked is a proven direct path until dead_after passes
// without another ack. A pair gets one when at least one NAT maps
// endpoint-independently and the other's filtering lets the probes in: both
// endpoint-independent mappings, or one with endpoint-independent filtering.
//
// Probes and acks are MACed with a key from the X25519 of the two gateways'
// WireGuard keys (registration.h); a probe's counter must be newer than the
// last and near the clock, an ack must answer one of the last probes sent to
// that candidate.
//
// The acks also measure the path: a proven candidate's smoothed round-trip
// time and loss (a probe unacked after lost_after, or three round trips, is
// lost; a path that comes back from dead starts afresh),
// so that a pair with a direct path can weigh it against a detour through a
// third Gateway (failover/path_choice.h).
#ifndef RAVEN_DAEMON_NAT_RELAY_DIRECT_PROBER_H_
#define RAVEN_DAEMON_NAT_RELAY_DIRECT_PROBER_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "daemon/failover/loss_window.h"
#include "daemon/model/nat_relay_plan.h"
#include "daemon/nat_relay/ack_window.h"
#include "daemon/nat_relay/registration.h"
#include "daemon/wireguard/keys.h"

namespace raven::nat_relay {

struct DirectPeer {
  std::string gateway;
  wg::Key key;  // its active endpoint's WireGuard key
  bool operator==(const DirectPeer&) const = default;
};

struct DirectProberOptions {
  absl::Duration probe_interval = absl::Milliseconds(100);
  // A proven path without an ack for this long is down (traffic goes back to
  // the relay): under a second, over three probe intervals.
  absl::Duration dead_after = absl::Milliseconds(750);
  // A candidate neither seen again nor proven for this long is forgotten.
  absl::Duration candidate_lifetime = absl::Seconds(10);
  absl::Duration clock_window = absl::Seconds(60);
  // A candidate never acked for this long is probed every slow_probe_interval.
  absl::Duration patience = absl::Seconds(10);
  absl::Duration slow_probe_interval = absl::Seconds(1);
  double rtt_weight = 0.2;                              // of a new round trip in the smoothed one
  absl::Duration lost_after = absl::Milliseconds(300);  // or three smoothed round trips
};

// A peer's proven direct path and what its probes measure.
struct DirectQuality {
  UdpAddress address;
  absl::Duration smoothed_rtt;
  double loss = 0;      // over the last probes (failover/loss_window.h)
  double loss_low = 0;  // what it loses at least, with 99% confidence

  bool operator==(const DirectQuality&) const = default;
};

struct DirectCounters {
  uint64_t probes_sent = 0;
  uint64_t probes_answered = 0;  // the peer's probes this gateway acked
  uint64_t acks = 0;             // acks of this gateway's probes that verified
  uint64_t rejected = 0;         // probes and acks that did not verify, were stale or unasked
};

struct Datagram {
  UdpAddress to;
  std::array<uint8_t, kRegistrationSize> payload;
};

class DirectProber {
 public:
  explicit DirectProber(wg::KeyPair keys, DirectProberOptions options = {});

  // The peers to find direct paths to; the state of others is dropped.
  void SetPeers(const std::vector<DirectPeer>& peers);
  // A relay saw the peer's NAT map it to `address`.
  void AddCandidate(const std::string& gateway, const UdpAddress& address, absl::Time now);
  // The probes due now.
  std::vector<Datagram> Due(absl::Time now);
  // A direct probe or ack from `from`; for a valid probe, the ack to send.
  std::optional<Datagram> Receive(const UdpAddress& from, absl::Span<const uint8_t> payload,
                                  absl::Time now);
  // The proven direct path of each peer that has one (the one in use stays
  // while it is proven); forgets stale candidates.
  std::map<std::string, UdpAddress> Paths(absl::Time now);
  // The quality of each path Paths() last chose.
  std::map<std::string, DirectQuality> Quality() const;

  const DirectCounters& counters() const { return counters_; }

 private:
  struct Candidate {
    absl::Time seen;
    absl::Time added;
    absl::Time next_probe;
    AckWindow acks;
    std::optional<absl::Time> acked_at;
    std::optional<absl::Duration> smoothed_rtt;
    failover::LossWindow loss;
    uint64_t measured_after = 0;  // probes up to this counter count no loss
  };
  struct PeerState {
    DirectPeer peer;
    RegistrationKey ours;    // MACs our probes and the peer's acks of them
    RegistrationKey theirs;  // MACs the peer's probes and our acks of them
    std::map<UdpAddress, Candidate> candidates;
    std::optional<UdpAddress> chosen;
  };
  static constexpr size_t kMaxCandidates = 8;

  void Add(PeerState& state, const UdpAddress& address, absl::Time now);
  void Count(Candidate& candidate, const AckWindow::Outcome& probe);
  bool Live(const Candidate& c, absl::Time now) const {
    return c.acked_at && now - *c.acked_at <= options_.dead_after;
  }

  const wg::KeyPair keys_;
  const DirectProberOptions options_;
  std::map<wg::Key, PeerState> peers_;
  // The last probe counter taken from each peer key, kept when the peer goes
  // (its old probes must not be replayable when it comes back).
  std::map<wg::Key, uint64_t> last_probe_;
  uint64_t last_counter_ = 0;
  DirectCounters counters_;
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_DIRECT_PROBER_H_
