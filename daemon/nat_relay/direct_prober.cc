#include "daemon/nat_relay/direct_prober.h"

#include <algorithm>

namespace raven::nat_relay {

DirectProber::DirectProber(wg::KeyPair keys, DirectProberOptions options)
    : keys_(std::move(keys)), options_(options) {}

void DirectProber::SetPeers(const std::vector<DirectPeer>& peers) {
  std::map<wg::Key, PeerState> next;
  for (const DirectPeer& p : peers) {
    auto old = peers_.find(p.key);
    if (old != peers_.end() && old->second.peer == p) {
      next.emplace(p.key, std::move(old->second));
      continue;
    }
    absl::StatusOr<RegistrationKey> ours =
        DeriveRegistrationKey(keys_.private_key, p.key, keys_.public_key, p.key);
    absl::StatusOr<RegistrationKey> theirs =
        DeriveRegistrationKey(keys_.private_key, p.key, p.key, keys_.public_key);
    if (!ours.ok() || !theirs.ok()) continue;  // a low-order key: no direct path
    PeerState state;
    state.peer = p;
    state.ours = *ours;
    state.theirs = *theirs;
    next.emplace(p.key, std::move(state));
  }
  peers_ = std::move(next);
}

void DirectProber::Count(Candidate& c, const AckWindow::Outcome& probe) {
  // No loss counted for probes sent before the path answered (again).
  if (c.acked_at && probe.counter > c.measured_after) c.loss.Add(!probe.acked);
}

void DirectProber::Add(PeerState& state, const UdpAddress& address, absl::Time now) {
  auto it = state.candidates.find(address);
  if (it == state.candidates.end()) {
    if (state.candidates.size() >= kMaxCandidates) {
      // Full: the candidate seen longest ago makes room, unless it is the path.
      auto oldest = state.candidates.end();
      for (auto c = state.candidates.begin(); c != state.candidates.end(); ++c) {
        if (c->first == state.chosen) continue;
        if (oldest == state.candidates.end() || c->second.seen < oldest->second.seen) oldest = c;
      }
      if (oldest == state.candidates.end()) return;
      state.candidates.erase(oldest);
    }
    it = state.candidates.emplace(address, Candidate{}).first;
    it->second.next_probe = now;  // probe a new candidate at once
    it->second.added = now;
  }
  it->second.seen = now;
}

void DirectProber::AddCandidate(const std::string& gateway, const UdpAddress& address,
                                absl::Time now) {
  for (auto& [key, state] : peers_) {
    if (state.peer.gateway == gateway) Add(state, address, now);
  }
}

std::vector<Datagram> DirectProber::Due(absl::Time now) {
  std::vector<Datagram> out;
  for (auto& [key, state] : peers_) {
    for (auto& [address, c] : state.candidates) {
      // With slack: the caller's tick has the probe interval too.
      if (c.next_probe > now + options_.probe_interval / 4) continue;
      last_counter_ = std::max<uint64_t>(absl::ToUnixNanos(now), last_counter_ + 1);
      Registration probe{RegistrationType::kDirectProbe, 0, last_counter_, keys_.public_key};
      out.push_back({address, EncodeRegistration(probe, state.ours)});
      // A probe unanswered for lost_after (or three round trips) is lost.
      const absl::Duration lost_after =
          std::max(options_.lost_after, 3 * c.smoothed_rtt.value_or(absl::ZeroDuration()));
      for (const AckWindow::Outcome& o : c.acks.Settle(now - lost_after)) Count(c, o);
      if (std::optional<AckWindow::Outcome> gone = c.acks.Sent(last_counter_, now)) Count(c, *gone);
      // A candidate that never answered is probed slower after a while (an
      // endpoint-dependent NAT's address as the relay saw it never does).
      const bool patient = !c.acked_at && now - c.added > options_.patience;
      c.next_probe = now + (patient ? options_.slow_probe_interval : options_.probe_interval);
      ++counters_.probes_sent;
    }
  }
  return out;
}

std::optional<Datagram> DirectProber::Receive(const UdpAddress& from,
                                              absl::Span<const uint8_t> payload, absl::Time now) {
  if (std::optional<Registration> probe = ParseRegistration(payload);
      probe && probe->type == RegistrationType::kDirectProbe) {
    auto peer = peers_.find(probe->sender);
    if (peer == peers_.end() || probe->relay_port != 0 ||
        !VerifyRegistration(payload, peer->second.theirs) ||
        !CounterNearClock(probe->counter, now, options_.clock_window) ||
        probe->counter <= last_probe_[probe->sender]) {
      ++counters_.rejected;
      return std::nullopt;
    }
    last_probe_[probe->sender] = probe->counter;
    Add(peer->second, from, now);  // where the peer's NAT maps it towards us
    ++counters_.probes_answered;
    RegistrationAck ack{RegistrationType::kDirectAck, 0, probe->counter, from, std::nullopt};
    return Datagram{from, EncodeAck(ack, peer->second.theirs)};
  }
  std::optional<RegistrationAck> ack = ParseAck(payload);
  if (ack && ack->type == RegistrationType::kDirectAck && ack->relay_port == 0) {
    for (auto& [key, state] : peers_) {
      auto c = state.candidates.find(from);
      if (c == state.candidates.end() || !VerifyRegistration(payload, state.ours)) continue;
      std::optional<absl::Duration> rtt = c->second.acks.Take(ack->counter, now);
      if (!rtt) break;
      std::optional<absl::Duration>& smoothed = c->second.smoothed_rtt;
      if (!Live(c->second, now)) {
        // Dead, or never proven, until now: its quality starts afresh (the
        // outage is the dead time, not a loss the path keeps paying for).
        smoothed.reset();
        c->second.loss.Clear();
        c->second.measured_after = last_counter_;
      }
      smoothed = smoothed ? *smoothed + options_.rtt_weight * (*rtt - *smoothed) : *rtt;
      c->second.acked_at = now;
      c->second.seen = now;
      ++counters_.acks;
      return std::nullopt;
    }
  }
  ++counters_.rejected;
  return std::nullopt;
}

std::map<std::string, UdpAddress> DirectProber::Paths(absl::Time now) {
  std::map<std::string, UdpAddress> out;
  for (auto& [key, state] : peers_) {
    std::erase_if(state.candidates, [&](const auto& e) {
      return now - e.second.seen > options_.candidate_lifetime && !Live(e.second, now);
    });
    auto chosen = state.chosen ? state.candidates.find(*state.chosen) : state.candidates.end();
    if (chosen == state.candidates.end() || !Live(chosen->second, now)) {
      state.chosen.reset();
      std::optional<absl::Time> best;
      for (const auto& [address, c] : state.candidates) {
        if (Live(c, now) && (!best || *c.acked_at > *best)) {
          best = c.acked_at;
          state.chosen = address;
        }
      }
    }
    if (state.chosen) out[state.peer.gateway] = *state.chosen;
  }
  return out;
}

std::map<std::string, DirectQuality> DirectProber::Quality() const {
  std::map<std::string, DirectQuality> out;
  for (const auto& [key, state] : peers_) {
    if (!state.chosen) continue;
    auto c = state.candidates.find(*state.chosen);
    if (c == state.candidates.end() || !c->second.smoothed_rtt) continue;
    const failover::LossWindow& loss = c->second.loss;
    out[state.peer.gateway] = {c->first, *c->second.smoothed_rtt, loss.ratio(), loss.lower_bound()};
  }
  return out;
}

}  // namespace raven::nat_relay
