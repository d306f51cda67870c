// Published endpoints that never answer: a gateway that sends to the
// endpoint another Gateway publishes (its publicIP and port, or its node
// address) and, for `after` from its first packet there, receives nothing
// from the peer and completes no handshake, marks it unanswered. The agent
// publishes the mark in its paths annotation (kube::kReasonEndpointUnanswered);
// from the Gateway's status every node, the peer and the relay included,
// then takes the pair through a NAT relay (desired_dataplane.h), where hole
// punching may still find a direct path. The mark holds while the peer
// publishes the same endpoint (a pair on the relay no longer tries it) and
// goes when it publishes another one. A peer we do not send to is never
// marked: an idle pair proves nothing.
#ifndef RAVEN_DAEMON_UNANSWERED_ENDPOINTS_H_
#define RAVEN_DAEMON_UNANSWERED_ENDPOINTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

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

  // `published`: remote Gateway -> the endpoint it publishes (peers without
  // one are left out); `trying`: those sent to at that endpoint now (not
  // through a relay); `counters`: WireGuard's view of each peer. True when
  // the set of unanswered Gateways changed.
  bool Observe(absl::Time now, const std::map<std::string, std::string>& published,
               const std::set<std::string>& trying,
               const std::map<std::string, PeerCounters>& counters);
  const std::set<std::string>& unanswered() const { return unanswered_; }

 private:
  struct Attempt {
    std::string endpoint;
    absl::Time since;  // when this attempt started
    bool trying = false;
    bool answered = false;
    uint64_t rx = 0, tx = 0;               // the counters when it started
    std::optional<absl::Time> first_sent;  // the first packet of the attempt seen sent
  };
  const absl::Duration after_;
  std::map<std::string, Attempt> attempts_;
  std::set<std::string> unanswered_;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_UNANSWERED_ENDPOINTS_H_
