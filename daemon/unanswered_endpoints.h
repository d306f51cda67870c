// Published endpoints that never answer: a gateway that sends to the
// endpoint another Gateway publishes (its publicIP and port, or its node
// address) and, for `after` from its first packet there, receives nothing
// from the peer and completes no handshake, marks it unanswered. The agent
// publishes the mark in its paths annotation (kube::kReasonEndpointUnanswered);
// from the Gateway's status every node, the peer and the relay included,
// then takes the pair through a NAT relay (desired_dataplane.h), where hole
// punching may still find a direct path. The mark holds while the peer
// publishes the same endpoint (a pair on the relay no longer tries it) and
// goes when it publishes another endpoint or key (a failover behind the same
// address). Only real sending counts: a keepalive is never answered (and an
// idle pair's keepalives go one way), so an observation whose sent bytes
// grew by no more than two keepalives' does not start the clock.
#ifndef RAVEN_DAEMON_UNANSWERED_ENDPOINTS_H_
#define RAVEN_DAEMON_UNANSWERED_ENDPOINTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "absl/time/time.h"

namespace raven {

// What WireGuard reports of a peer.
struct PeerCounters {
  std::optional<absl::Time> last_handshake;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

class UnansweredEndpoints {
 public:
  // 15 s: a WireGuard end that sends and hears nothing starts a new
  // handshake after 15 s (keepalive timeout + rekey timeout).
  explicit UnansweredEndpoints(absl::Duration after = absl::Seconds(15)) : after_(after) {}

  // `published`: remote Gateway -> the endpoint it publishes and its key
  // (peers without an endpoint are left out); `trying`: those sent to at that endpoint now (not
  // through a relay); `counters`: WireGuard's view of each peer. True when
  // the set of unanswered Gateways changed.
  bool Observe(absl::Time now, const std::map<std::string, std::string>& published,
               const std::set<std::string>& trying,
               const std::map<std::string, PeerCounters>& counters);
  const std::set<std::string>& unanswered() const { return unanswered_; }
  // Gateways that published another endpoint, or one where they had none,
  // since the last call (not at the first Observe, an agent's start): a live session of ours would
  // go on without a handshake that proves the new one, so the agent starts one.
  std::set<std::string> TakeMoved() { return std::exchange(moved_, {}); }

 private:
  struct Attempt {
    std::string endpoint;
    absl::Time since;  // when this attempt started
    bool trying = false;
    bool answered = false;
    uint64_t rx = 0, tx = 0;               // at the last observation
    std::optional<absl::Time> first_sent;  // the first packet of the attempt seen sent
  };
  const absl::Duration after_;
  std::map<std::string, Attempt> attempts_;
  std::set<std::string> unanswered_;
  std::set<std::string> moved_;
  bool observed_ = false;  // after the first Observe (an agent start moves nothing)
};

}  // namespace raven

#endif  // RAVEN_DAEMON_UNANSWERED_ENDPOINTS_H_
