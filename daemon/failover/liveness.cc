#include "daemon/failover/liveness.h"

#include <sys/random.h>

#include <algorithm>

namespace raven::failover {

void Liveness::SetTargets(const std::map<std::string, EchoTarget>& targets, absl::Time now) {
  std::erase_if(states_, [&](const auto& entry) {
    auto it = targets.find(entry.first);
    return it == targets.end() || it->second != entry.second.view.target;
  });
  by_address_.clear();
  for (const auto& [node, target] : targets) {
    const bool failover = target.failover && options_.interval > absl::ZeroDuration();
    if (!failover && options_.measure_interval <= absl::ZeroDuration()) continue;
    by_address_[{target.address, target.ifindex}] = node;
    auto [it, added] = states_.try_emplace(node);
    if (!added) continue;
    it->second.failover = failover;
    it->second.view.target = target;
    it->second.next_send = now;
    // Not guessable by someone spoofing replies (a failed read leaves 0).
    if (getrandom(&it->second.next_sequence, sizeof(uint16_t), 0) != sizeof(uint16_t)) {
      it->second.next_sequence = 0;
    }
  }
}

std::vector<EchoRequest> Liveness::Due(absl::Time now) {
  std::vector<EchoRequest> out;
  for (auto& [node, state] : states_) {
    if (now < state.next_send) continue;
    const uint16_t sequence = state.next_sequence++;
    state.outstanding[sequence] = now;
    if (state.outstanding.size() > kOutstanding) {
      auto oldest =
          std::min_element(state.outstanding.begin(), state.outstanding.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      state.outstanding.erase(oldest);
    }
    ++state.view.sent;
    // Late (a stalled loop): the next one an interval from now, not at once.
    const absl::Duration interval = Interval(state);
    state.next_send = std::max(state.next_send + interval, now + interval / 2);
    out.push_back({node, state.view.target, sequence});
  }
  return out;
}

void Liveness::Answered(const IpAddress& address, uint32_t ifindex, uint16_t sequence,
                        absl::Time now) {
  // A target sent out of a device is found with that device's index, one
  // sent by the routes with 0.
  auto node = by_address_.find({address, ifindex});
  if (node == by_address_.end()) node = by_address_.find({address, 0});
  if (node == by_address_.end()) return;
  auto it = states_.find(node->second);
  if (it == states_.end()) return;
  State& state = it->second;
  auto sent = state.outstanding.find(sequence);
  if (sent == state.outstanding.end()) return;
  const absl::Duration rtt = now - sent->second;
  state.outstanding.erase(sent);
  ++state.view.answered;
  state.view.smoothed_loss *= 1 - options_.loss_weight;
  state.view.smoothed_rtt =
      state.view.smoothed_rtt
          ? *state.view.smoothed_rtt * (1 - options_.rtt_weight) + rtt * options_.rtt_weight
          : rtt;
  if (!state.last_answer || now - *state.last_answer > options_.silent_after) {
    state.answering_since = now;
  }
  state.last_answer = now;
}

bool Liveness::Update(absl::Time now) {
  bool changed = false;
  for (auto& [node, state] : states_) {
    for (auto it = state.outstanding.begin(); it != state.outstanding.end();) {
      if (now - it->second < LostAfter(state)) {
        ++it;
        continue;
      }
      // Before the first answer the path is not lossy but not up yet (no
      // WireGuard session): nothing to count.
      if (state.last_answer) {
        state.view.smoothed_loss =
            state.view.smoothed_loss * (1 - options_.loss_weight) + options_.loss_weight;
      }
      it = state.outstanding.erase(it);
    }
    if (!state.failover || !state.last_answer) continue;
    const bool quiet = now - *state.last_answer >= options_.silent_after;
    if (!state.view.silent && quiet) {
      state.view.silent = true;
      ++state.view.silences;
      changed = true;
    } else if (state.view.silent && !quiet &&
               now - *state.answering_since >= options_.revive_after) {
      state.view.silent = false;
      changed = true;
    }
  }
  return changed;
}

std::set<std::string> Liveness::Silent() const {
  std::set<std::string> out;
  for (const auto& [node, state] : states_) {
    if (state.view.silent) out.insert(node);
  }
  return out;
}

std::map<std::string, EndpointLiveness> Liveness::Endpoints() const {
  std::map<std::string, EndpointLiveness> out;
  for (const auto& [node, state] : states_) out[node] = state.view;
  return out;
}

absl::Time Liveness::NextWakeup() const {
  absl::Time at = absl::InfiniteFuture();
  for (const auto& [node, state] : states_) {
    at = std::min(at, state.next_send);
    // A revival is noticed at the next send, at most an interval late.
    if (state.failover && state.last_answer && !state.view.silent) {
      at = std::min(at, *state.last_answer + options_.silent_after);
    }
  }
  return at;
}

absl::Duration LinkCost(absl::Duration rtt, double loss) {
  loss = std::clamp(loss, 0.0, 0.99);
  return (rtt + loss * kLossPenalty) / (1 - loss);
}

std::optional<absl::Duration> PathCost(const EndpointLiveness& endpoint) {
  if (!endpoint.smoothed_rtt) return std::nullopt;
  return LinkCost(*endpoint.smoothed_rtt, endpoint.smoothed_loss);
}

absl::Duration Liveness::Interval(const State& state) const {
  return state.failover ? options_.interval : options_.measure_interval;
}

absl::Duration Liveness::LostAfter(const State& state) const {
  return state.failover ? options_.silent_after : options_.lost_after;
}

}  // namespace raven::failover
