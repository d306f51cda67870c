#include "daemon/wireguard/handshake_watchdog.h"

#include <algorithm>

namespace raven::wg {

std::vector<Key> HandshakeWatchdog::Due(absl::Time now, const std::vector<PeerStatus>& peers,
                                        const std::set<Key>& initiators) {
  std::vector<Key> due;
  std::map<Key, Waiting> next;
  for (const PeerStatus& peer : peers) {
    const Key& key = peer.config.public_key;
    if (HasLiveSession(peer, now)) continue;
    auto it = waiting_.find(key);
    Waiting w;
    if (it != waiting_.end()) {
      w = it->second;
    } else {
      absl::Duration first = initiators.count(key) ? options_.first_kick : options_.responder_wait;
      w = Waiting{now + first, first};
    }
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
