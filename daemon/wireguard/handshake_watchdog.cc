#include "daemon/wireguard/handshake_watchdog.h"

#include <algorithm>

namespace raven::wg {

absl::Duration HandshakeWatchdog::Offset(const Key& peer) const {
  return local_ < peer ? absl::ZeroDuration() : options_.first_kick / 2;
}

std::vector<Key> HandshakeWatchdog::Due(absl::Time now, const std::vector<PeerStatus>& peers) {
  std::vector<Key> due;
  std::map<Key, Waiting> next;
  for (const PeerStatus& peer : peers) {
    const Key& key = peer.config.public_key;
    if (HasLiveSession(peer, now)) continue;
    auto it = waiting_.find(key);
    Waiting w = it != waiting_.end()
                    ? it->second
                    : Waiting{now, now + options_.first_kick + Offset(key), options_.first_kick};
    if (now >= w.next_kick) {
      due.push_back(key);
      w.interval = std::min(w.interval * 2, options_.max_interval);
      w.next_kick = now + w.interval;
    }
    next.emplace(key, w);
  }
  waiting_ = std::move(next);
  return due;
}

std::optional<absl::Time> HandshakeWatchdog::NextKick() const {
  std::optional<absl::Time> out;
  for (const auto& [key, w] : waiting_) {
    if (!out || w.next_kick < *out) out = w.next_kick;
  }
  return out;
}

}  // namespace raven::wg
