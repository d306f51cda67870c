// Brings the kernel in line with a DesiredDataplane by diff: only routes,
// relay members and peers that differ are written. Order keeps traffic
// flowing: new peers and members first, then route updates (one atomic map
// write per prefix), then stale routes, members and peers.
#ifndef RAVEN_DAEMON_RECONCILER_H_
#define RAVEN_DAEMON_RECONCILER_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "daemon/bpf/relay_members.h"
#include "daemon/bpf/route_table.h"
#include "daemon/model/desired_dataplane.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

struct ReconcileStats {
  int routes_written = 0;
  int routes_deleted = 0;
  int peers_written = 0;
  int peers_removed = 0;
  int members_added = 0;
  int members_removed = 0;
  bool changed() const {
    return routes_written || routes_deleted || peers_written || peers_removed || members_added ||
           members_removed;
  }
};

class Reconciler {
 public:
  Reconciler(bpf::RouteTable& routes, bpf::RelayMembers& members, wg::WireGuardDevice& wireguard)
      : routes_(routes), members_(members), wireguard_(wireguard) {}

  // `now` judges whether a peer's WireGuard session is live.
  absl::StatusOr<ReconcileStats> Apply(const DesiredDataplane& desired, absl::Time now);

  // A relayed pair's path is ours to choose (the relay's address, or the
  // proven direct path), and so is a detour's (and the direct path of a
  // pair that WireGuard roamed onto a detour's relay), and WireGuard does
  // not keep it: it roams to wherever
  // the peer's last packet came from, and packets still in flight on the old
  // path during a switch take both ends back there. So the path is written
  // whenever the device's endpoint differs: always at the initiator, at the
  // other end while the session lives (without one, an endpoint would start a
  // handshake that crosses the initiator's). The endpoint to write, if any.
  static std::optional<std::string> PathToRestore(const PeerPlan& plan, const wg::PeerStatus& have,
                                                  absl::Time now);
  // Whether a peer of `applied` has drifted off its path (the health check's question).
  static bool PathsDrifted(const DesiredDataplane& applied,
                           const std::vector<wg::PeerStatus>& peers, absl::Time now);

 private:
  // Whether the device's peer is what we want. An endpoint that differs is
  // left as it is while the peer has a live session and the Gateways still
  // say what they said when we last wrote it: WireGuard roams a live peer to
  // where its packets come from (a NAT's mapping), and writing the configured
  // address back would break that session's path. A peer we give no endpoint
  // keeps whatever endpoint it has, unless the Gateways moved its fallback
  // while its session lives (its NAT relay changed): the session would stay
  // on the old path until the peer sends, so the new fallback is written.
  // Without a live session it is not: an endpoint would start a handshake
  // that crosses the initiator's.
  bool SamePeer(const wg::PeerConfig& want, const wg::PeerStatus& have, absl::Time now) const;

  bpf::RouteTable& routes_;
  bpf::RelayMembers& members_;
  wg::WireGuardDevice& wireguard_;
  // The endpoint the Gateways gave each peer at the last Apply.
  std::map<wg::Key, std::optional<std::string>> wanted_endpoints_;
  std::map<wg::Key, std::optional<std::string>> wanted_fallbacks_;
};

std::string FormatStats(const ReconcileStats& stats);

}  // namespace raven

#endif  // RAVEN_DAEMON_RECONCILER_H_
