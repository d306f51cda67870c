#include "daemon/unanswered_endpoints.h"

#include <algorithm>

namespace raven {

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
      a = Attempt{endpoint, now, false, false, seen.rx_bytes, seen.tx_bytes, std::nullopt};
      if (!same_endpoint) unanswered_.erase(gateway);
    }
    a.trying = now_trying;
    if (!a.trying) continue;  // through a relay: the mark, if any, stays
    // A re-created peer starts its counters from zero.
    if (seen.rx_bytes < a.rx || seen.tx_bytes < a.tx) {
      a.rx = seen.rx_bytes;
      a.tx = seen.tx_bytes;
    }
    if (seen.rx_bytes > a.rx || (seen.last_handshake && *seen.last_handshake > a.since)) {
      a.answered = true;
      unanswered_.erase(gateway);
      continue;
    }
    if (seen.tx_bytes > a.tx && !a.first_sent) a.first_sent = now;
    if (!a.answered && a.first_sent && now - *a.first_sent >= after_) unanswered_.insert(gateway);
  }
  return unanswered_ != before;
}

}  // namespace raven
