#include "controller/lease_tracker.h"

namespace raven::controller {

std::optional<HealthChange> LeaseTracker::Observe(const kube::Lease& lease, absl::Time wall,
                                                  absl::Time mono) {
  const std::string& node = lease.meta.name;
  absl::Duration duration = lease.lease_duration_seconds > 0
                                ? absl::Seconds(lease.lease_duration_seconds)
                                : options_.default_duration;
  bool released = lease.holder_identity.empty() || !lease.renew_time.has_value();
  absl::MutexLock lock(&mu_);
  auto [it, first] = entries_.try_emplace(node);
  Entry& e = it->second;
  bool was_fresh = !first && e.fresh;
  bool changed = first || e.resource_version != lease.meta.resource_version ||
                 e.renew_time != lease.renew_time || e.holder != lease.holder_identity;
  // A change delivered means the control plane is delivering again.
  if (changed && holding_) EndHold(mono);
  e.duration = duration;
  if (released) {
    e.expires_at = mono;
  } else if (first) {
    bool old = wall - *lease.renew_time > duration + options_.skew_allowance;
    e.expires_at = old ? mono : mono + duration;
  } else if (changed) {
    e.expires_at = mono + duration;
  }
  if (changed) {
    e.held = false;
    e.after_hold = false;
  }
  e.resource_version = lease.meta.resource_version;
  e.renew_time = lease.renew_time;
  e.holder = lease.holder_identity;
  e.fresh = e.held || mono < e.expires_at;
  if (e.fresh == was_fresh) return std::nullopt;
  return HealthChange{node, e.fresh, mono, first};
}

void LeaseTracker::EndHold(absl::Time mono) {
  holding_ = false;
  for (auto& [node, e] : entries_) {
    if (!e.held) continue;
    e.held = false;
    e.after_hold = true;
    e.expires_at = mono + e.duration;
  }
}

std::optional<HealthChange> LeaseTracker::Forget(const std::string& node, absl::Time mono) {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(node);
  if (it == entries_.end()) return std::nullopt;
  bool was_fresh = it->second.fresh;
  entries_.erase(it);
  if (!was_fresh) return std::nullopt;
  return HealthChange{node, false, mono};
}

std::vector<HealthChange> LeaseTracker::Expire(absl::Time mono, HoldNotice* notice) {
  std::vector<HealthChange> out;
  absl::MutexLock lock(&mu_);
  // A Lease restarted by the end of a hold and still silent expires plainly.
  for (auto& [node, e] : entries_) {
    if (e.fresh && !e.held && e.after_hold && mono >= e.expires_at) {
      e.fresh = false;
      e.after_hold = false;
      out.push_back({node, false, e.expires_at});
    }
  }
  size_t due = 0, stale = 0;
  for (const auto& [node, e] : entries_) {
    if (!e.fresh) {
      ++stale;
    } else if (!e.held && mono >= e.expires_at) {
      ++due;
      ++stale;
    } else if (!e.held && mono >= e.expires_at - e.duration * 3 / 8) {
      ++stale;  // stopping: missed a renewal, will be due within the renew interval
    }
  }
  if (due == 0) return out;
  const size_t total = entries_.size();
  if (!holding_ && total >= 3 && 2 * stale > total) {
    holding_ = true;
    if (notice != nullptr) *notice = {true, stale, total};
  }
  for (auto& [node, e] : entries_) {
    if (!e.fresh || e.held || mono < e.expires_at) continue;
    if (holding_) {
      e.held = true;  // keeps its health
    } else {
      e.fresh = false;
      out.push_back({node, false, e.expires_at});
    }
  }
  return out;
}

bool LeaseTracker::Holding() const {
  absl::MutexLock lock(&mu_);
  return holding_;
}

bool LeaseTracker::IsFresh(const std::string& node, absl::Time mono) const {
  absl::MutexLock lock(&mu_);
  auto it = entries_.find(node);
  return it != entries_.end() && (it->second.held || mono < it->second.expires_at);
}

std::optional<absl::Time> LeaseTracker::NextExpiry() const {
  std::optional<absl::Time> next;
  absl::MutexLock lock(&mu_);
  for (const auto& [node, e] : entries_) {
    if (e.fresh && !e.held && (!next || e.expires_at < *next)) next = e.expires_at;
  }
  return next;
}

size_t LeaseTracker::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

}  // namespace raven::controller
