// Freshness of the agents' heartbeat Leases, judged on the controller's own
// monotonic clock as client-go's leader election judges expiry: a Lease is
// fresh while the controller has seen its renewTime or resourceVersion change
// within leaseDurationSeconds. Clocks are never compared across hosts, with
// one exception, the first sighting (controller start, or a Lease created
// while we watch):
//
//   - a Lease without holderIdentity or renewTime is stale (released);
//   - a renewTime older by our wall clock than leaseDuration + skew_allowance
//     is stale at once (an agent long dead when we start must not be elected
//     for a full lease duration);
//   - otherwise the first sighting starts the clock: fresh for one duration.
//
// A standby replica keeps tracking, so after a leader takeover the new leader
// already holds a full history; nothing is reset on takeover.
//
// Expiry is found by time, not events (a dead agent sends none): the owner
// calls Expire(now) when NextExpiry() comes due. Thread-safe.
//
// Partition guard (mass-expiry hold, cf. the node lifecycle controller's
// "full disruption" mode). When the API server hangs or the controller is cut
// off, no Lease changes arrive at all and every Lease would expire within one
// renew interval; electing on that would tear down every working tunnel. So:
//
//   - A Lease is "stopping" when it is fresh and has not changed for at least
//     5/8 of its duration (it missed a renewal: agents renew every half
//     duration; the 1/8 margin keeps agents renewing in lockstep with a dead
//     one from looking stopped at the instant it expires).
//   - When Expire finds due Leases and (Leases already stale + stopping
//     Leases, the due ones included) is more than half of all tracked Leases,
//     with at least 3 tracked, the tracker starts holding: the due Leases are
//     not reported, they are "held" and keep the health they had (IsFresh
//     stays true). Any Lease coming due while holding is held too. Held
//     Leases are not in NextExpiry() (no busy timer).
//   - The hold ends on the first Lease change observed (Observe of a new
//     Lease or a changed renewTime/resourceVersion/holder): renewals are being
//     delivered again, so silence means something again. This also ends a
//     hold caused by a real mass failure as soon as a live agent renews, so
//     a hold cannot last while the API works. The changed Lease is fresh as
//     usual; every other held Lease gets its clock restarted at the end of
//     the hold: it expires one full duration after the hold ended unless it
//     changes first, and that expiry is reported without a new mass check
//     (no second hold for the same silence). A change clears that mark.
//   - Deleting a Lease (Forget) or replaying an unchanged one does not end a
//     hold. A Lease already stale before the hold stays stale.
//
// Holding() tells whether a hold is on; Expire's HoldNotice says when one
// started and how many Leases of how many caused it.
#ifndef RAVEN_CONTROLLER_LEASE_TRACKER_H_
#define RAVEN_CONTROLLER_LEASE_TRACKER_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/resources/lease.h"

namespace raven::controller {

struct LeaseTrackerOptions {
  // For a Lease without leaseDurationSeconds.
  absl::Duration default_duration = absl::Seconds(2);
  // How far the agents' wall clocks may be behind ours on the first sighting.
  absl::Duration skew_allowance = absl::Seconds(5);
};

// A node whose heartbeat changed freshness, and when (monotonic): for an
// expiry, the moment it expired rather than when it was noticed.
struct HealthChange {
  std::string node;
  bool fresh = false;
  absl::Time at;
  bool first_sighting = false;  // a Lease seen for the first time, not a change of health
};

class LeaseTracker {
 public:
  explicit LeaseTracker(LeaseTrackerOptions options = {}) : options_(options) {}

  // A Lease as listed or watched, seen now (`wall`, `mono`). Returns the
  // change of freshness it caused, if any. The Lease is named after its node.
  std::optional<HealthChange> Observe(const kube::Lease& lease, absl::Time wall, absl::Time mono);
  // The Lease was deleted: stale now.
  std::optional<HealthChange> Forget(const std::string& node, absl::Time mono);
  // Marks every Lease that expired by `mono` stale and returns those changes.
  // Unless a mass expiry is held (see the top of the file); `notice`, if
  // given, says whether this call started a hold.
  struct HoldNotice {
    bool started = false;
    size_t stale = 0;  // stale + stopping Leases that caused it
    size_t total = 0;  // Leases tracked
  };
  std::vector<HealthChange> Expire(absl::Time mono, HoldNotice* notice = nullptr);
  // True while a mass expiry is being held.
  bool Holding() const;

  bool IsFresh(const std::string& node, absl::Time mono) const;
  // When the next fresh Lease expires (monotonic), if any is fresh.
  std::optional<absl::Time> NextExpiry() const;
  size_t size() const;

 private:
  struct Entry {
    std::string resource_version;
    std::optional<absl::Time> renew_time;
    std::string holder;
    absl::Duration duration;
    absl::Time expires_at;    // monotonic; fresh while mono < expires_at (or held)
    bool fresh = false;       // as last reported
    bool held = false;        // overdue, expiry held by the partition guard
    bool after_hold = false;  // clock restarted by the end of a hold, not renewed since
  };
  void EndHold(absl::Time mono) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LeaseTrackerOptions options_;
  mutable absl::Mutex mu_;
  std::map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  bool holding_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_LEASE_TRACKER_H_
