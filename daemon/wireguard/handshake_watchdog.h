// Restarts WireGuard handshakes that stall, instead of waiting out
// WireGuard's own 5 s retry (REKEY_TIMEOUT).
//
// Why handshakes stall after a failover: both gateways of a pair learn of the
// new peer from the same watch event and both initiate at once (one for the
// traffic it queued, the other for its persistent keepalive). Each consumes
// the other's initiation and answers it, which replaces the handshake it had
// started, so the answer to its own initiation no longer matches and is
// dropped: both end up as responders, each waiting for the other's first data
// packet, and neither sends until its retransmit timer fires 5 s later; a
// crossing again costs another 5 s. An initiation that arrives before the
// remote agent has added the peer is lost the same way.
//
// The watchdog sees a peer without a live session (no handshake, or none for
// longer than a session lives) and re-creates it, which makes WireGuard start
// a fresh handshake at once (a new peer with a persistent keepalive sends
// one). The two ends of a pair kick at different times (the lower public key
// first, the other half a kick interval later), so their kicks do not cross
// in turn; kicks back off while the peer stays silent.
//
// Pure: the agent feeds it what WireGuard reports and re-creates the peers it
// names.
#ifndef RAVEN_DAEMON_WIREGUARD_HANDSHAKE_WATCHDOG_H_
#define RAVEN_DAEMON_WIREGUARD_HANDSHAKE_WATCHDOG_H_

#include <map>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "daemon/wireguard/keys.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven::wg {

struct WatchdogOptions {
  // First kick after a peer was seen without a session (the lower key of a
  // pair); the higher key waits half of it longer.
  absl::Duration first_kick = absl::Milliseconds(500);
  // Kicks back off by doubling up to this.
  absl::Duration max_interval = absl::Seconds(8);
};

class HandshakeWatchdog {
 public:
  HandshakeWatchdog(Key local_public_key, WatchdogOptions options = {})
      : local_(local_public_key), options_(options) {}

  // The peers to re-create now. `peers` is everything the device has; peers
  // that are gone are forgotten.
  std::vector<Key> Due(absl::Time now, const std::vector<PeerStatus>& peers);

  // When Due has the next kick to give, if any peer is waiting for one.
  std::optional<absl::Time> NextKick() const;

 private:
  struct Waiting {
    absl::Time since;  // first seen without a session
    absl::Time next_kick;
    absl::Duration interval;
  };
  absl::Duration Offset(const Key& peer) const;

  Key local_;
  WatchdogOptions options_;
  std::map<Key, Waiting> waiting_;
};

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_HANDSHAKE_WATCHDOG_H_
