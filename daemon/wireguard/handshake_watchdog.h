// Restarts WireGuard handshakes that stall, instead of waiting out
// WireGuard's own 5 s retry (REKEY_TIMEOUT) or worse.
//
// Why handshakes stall after a failover: a handshake initiation that reaches
// the remote gateway before its agent has added us as a peer is dropped, and
// WireGuard tries again only 5 s later. And when both gateways of a pair
// initiate at once (each learned of the other from the same watch event),
// the handshakes cross: each consumes the other's initiation, which replaces
// the handshake it had started, so both can end up waiting for the other's
// first data packet (5 s), or, in wireguard-go, with a session whose keys
// only one end still holds (up to 2 minutes, until the next rekey). Pairs
// therefore have one initiator (desired_dataplane.h) and this watchdog:
//
//   initiator  a peer without a live session is re-created, which makes
//              WireGuard start a fresh handshake at once (a new peer with a
//              persistent keepalive sends one): after first_kick, then
//              backing off by doubling up to max_interval;
//   responder  waits for the remote's handshake for responder_wait; if none
//              comes (the remote cannot reach us after all), it is re-created
//              with the remote's address so that it initiates itself,
//              backing off likewise.
//
// Pure: the agent feeds it what WireGuard reports and re-creates the peers it
// names.
#ifndef RAVEN_DAEMON_WIREGUARD_HANDSHAKE_WATCHDOG_H_
#define RAVEN_DAEMON_WIREGUARD_HANDSHAKE_WATCHDOG_H_

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "absl/time/time.h"
#include "daemon/wireguard/keys.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven::wg {

struct WatchdogOptions {
  absl::Duration first_kick = absl::Milliseconds(500);
  absl::Duration responder_wait = absl::Seconds(2);
  absl::Duration max_interval = absl::Seconds(8);
};

class HandshakeWatchdog {
 public:
  explicit HandshakeWatchdog(WatchdogOptions options = {}) : options_(options) {}

  // The peers to re-create now. `peers` is everything the device has (peers
  // that are gone are forgotten); `initiators` the peers we initiate to.
  std::vector<Key> Due(absl::Time now, const std::vector<PeerStatus>& peers,
                       const std::set<Key>& initiators);

  // When Due has the next kick to give, if any peer is waiting for one.
  std::optional<absl::Time> NextKick() const;

 private:
  struct Waiting {
    absl::Time next_kick;
    absl::Duration interval;
  };

  WatchdogOptions options_;
  std::map<Key, Waiting> waiting_;
};

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_HANDSHAKE_WATCHDOG_H_
