#include "daemon/unanswered_endpoints.h"

#include <algorithm>

namespace raven {
namespace {

// A WireGuard keepalive on the wire: a data message with no payload (16 bytes
// of header, 16 of tag). More than two of them between two observations is
// traffic (a handshake initiation alone is 148).
constexpr uint64_t kKeepaliveBytes = 32;

}  // namespace

bool UnansweredEndpoints::Observe(absl::Time now,
                                  const std::map<std::string, std::string>& published,
                                  const std::set<std::string>& trying,
                                  const std::map<std::string, PeerCounters>& counters) {
  const std::set<std::string> before = unanswered_;
  std::erase_if(attempts_, [&](const auto& entry) { return !published.contains(entry.first); });
  std::erase_if(unanswered_, [&](const std::string& g) { return !published.contains(g); });
  for (const auto& [gateway, endpoint] : published) {
    auto c = counters.find(gateway);
    const PeerCounters seen = c != counters.end() ? c->second : PeerCounters{};
    Attempt& a = attempts_[gateway];
    const bool now_trying = trying.contains(gateway);
    if (a.endpoint != endpoint || (now_trying && !a.trying)) {
      // A fresh attempt (another endpoint, or back from the relay).
      const bool same_endpoint = a.endpoint == endpoint;
      if (!same_endpoint && observed_) moved_.insert(gateway);
      a = Attempt{endpoint, now, false, false, seen.rx_bytes, seen.tx_bytes, std::nullopt};
      if (!same_endpoint) unanswered_.erase(gateway);
    }
    a.trying = now_trying;
    if (!a.trying) continue;  // through a relay: the mark, if any, stays
    // Since the last observation; a re-created peer starts its counters from zero.
    const uint64_t received = seen.rx_bytes >= a.rx ? seen.rx_bytes - a.rx : seen.rx_bytes;
    const uint64_t sent = seen.tx_bytes >= a.tx ? seen.tx_bytes - a.tx : seen.tx_bytes;
    a.rx = seen.rx_bytes;
    a.tx = seen.tx_bytes;
    if (received > 0 || (seen.last_handshake && *seen.last_handshake > a.since)) {
      a.answered = true;
      unanswered_.erase(gateway);
      continue;
    }
    if (sent > 2 * kKeepaliveBytes && !a.first_sent) a.first_sent = now;
    if (!a.answered && a.first_sent && now - *a.first_sent >= after_) unanswered_.insert(gateway);
  }
  observed_ = true;
  return unanswered_ != before;
}

}  // namespace raven
