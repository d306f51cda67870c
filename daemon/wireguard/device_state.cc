#include "daemon/wireguard/device_state.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "daemon/wireguard/endpoint.h"

namespace raven::wg {

DeviceSettings SettingsToApply(const DeviceConfig& want, const DeviceState& have) {
  DeviceSettings settings;
  Key key = Clamped(want.private_key);
  if (!have.private_key || *have.private_key != key) settings.private_key = key;
  if (want.listen_port != 0 && want.listen_port != have.listen_port) {
    settings.listen_port = want.listen_port;
  }
  if (want.fwmark != have.fwmark) settings.fwmark = want.fwmark;
  return settings;
}

void Normalize(std::vector<PeerStatus>& peers) {
  for (PeerStatus& peer : peers) {
    std::sort(peer.config.allowed_ips.begin(), peer.config.allowed_ips.end());
  }
  std::sort(peers.begin(), peers.end(), [](const PeerStatus& a, const PeerStatus& b) {
    return a.config.public_key < b.config.public_key;
  });
}

absl::Status ValidatePeers(const std::vector<PeerConfig>& peers) {
  std::set<Key> seen;
  for (const PeerConfig& peer : peers) {
    std::string who = absl::StrCat("peer ", peer.public_key.ToBase64(), ": ");
    if (!seen.insert(peer.public_key).second) {
      return absl::InvalidArgumentError(absl::StrCat(who, "listed twice"));
    }
    if (peer.endpoint) {
      absl::StatusOr<Endpoint> endpoint = Endpoint::Parse(*peer.endpoint);
      if (!endpoint.ok()) {
        return absl::InvalidArgumentError(absl::StrCat(who, endpoint.status().message()));
      }
    }
    if (peer.persistent_keepalive_seconds < 0 || peer.persistent_keepalive_seconds > 65535) {
      return absl::InvalidArgumentError(absl::StrCat(
          who, "persistent keepalive ", peer.persistent_keepalive_seconds, " outside 0-65535"));
    }
  }
  return absl::OkStatus();
}

}  // namespace raven::wg
