// Leader election on a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection does it:
//
//  - A candidate takes the lease when it is absent, released (no holder), or
//    expired. Expiry is judged by the candidate's own monotonic clock: the
//    record must have stayed unchanged for leaseDurationSeconds since this
//    candidate last saw it change. Clocks are never compared across hosts.
//  - Every write carries the resourceVersion it read, so of two candidates
//    racing for the same record exactly one wins (the other gets 409).
//  - The leader renews every retry_period. It counts itself leader only
//    while its last successful renewal *started* less than renew_deadline
//    ago (IsLeader() checks this on every call, even if the renewing thread
//    is stuck). Since renew_deadline < lease_duration, and another candidate
//    must watch the renewed record unchanged for a full lease_duration
//    before it may take over, a leader that stops renewing has stepped down
//    before anyone else can lead: never two leaders (given clock rates that
//    differ by less than lease_duration / renew_deadline).
//  - On Stop() the leader steps down (on_stopped_leading), then releases the
//    lease (when release_on_stop) so a standby takes over within a retry
//    period instead of a lease duration.
//  - Each request is bounded by renew_deadline / 2, so a hung API server
//    cannot hold on_stopped_leading back for long; IsLeader() is exact anyway.
#ifndef RAVEN_COMMON_KUBE_LEADER_ELECTION_H_
#define RAVEN_COMMON_KUBE_LEADER_ELECTION_H_

#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/clock.h"
#include "common/kube/resource_client.h"
#include "common/kube/resources/lease.h"
#include "common/kube/rest_client.h"

namespace raven::kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per candidate, e.g. the pod name
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  bool release_on_stop = true;
  Clock* clock = nullptr;  // a RealClock when null
};

// Called on the elector's thread; they must return promptly.
struct LeaderCallbacks {
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  // The holder changed (to anyone, this candidate included; "" = released).
  std::function<void(const std::string& identity)> on_new_leader;
};

class LeaderElector {
 public:
  // Checks lease_duration > renew_deadline > retry_period > 0 and a non-empty
  // identity, namespace and name.
  static absl::StatusOr<std::unique_ptr<LeaderElector>> Create(RestClient* rest,
                                                               LeaderElectionConfig config,
                                                               LeaderCallbacks callbacks);
  ~LeaderElector();  // Stop()

  // Runs the campaign on a thread of its own: acquire, renew, and when
  // leadership is lost, step down and campaign again.
  void Start();
  // Stops campaigning; a leader steps down (on_stopped_leading) and, with
  // release_on_stop, releases the lease. Idempotent.
  void Stop();

  // True while this candidate holds the lease with a renewal younger than
  // renew_deadline (by the local monotonic clock).
  bool IsLeader() const;
  // The holder last observed ("" = none or unknown).
  std::string CurrentLeader() const;

  // One acquire-or-renew attempt (what the thread does every retry period);
  // exposed for tests. Returns whether this candidate holds the lease now.
  bool TryAcquireOrRenew();

 private:
  LeaderElector(RestClient* rest, LeaderElectionConfig config, LeaderCallbacks callbacks);
  void Run();
  void Release();
  // Leaves leadership; runs on_stopped_leading when `announce`.
  void StepDown(bool announce) ABSL_LOCKS_EXCLUDED(mu_);
  void ObserveHolder(const std::string& holder);
  bool SleepUnlessStopped(absl::Duration d);
  // d * (1 + uniform[0, max_factor)), as client-go's wait.Jitter.
  absl::Duration Jittered(absl::Duration d, double max_factor);

  const LeaderElectionConfig config_;
  const LeaderCallbacks callbacks_;
  RealClock real_clock_;
  Clock* const clock_;
  ResourceClient<Lease> leases_;

  mutable absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
  bool leader_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time last_renew_start_ ABSL_GUARDED_BY(mu_);  // monotonic
  // The lease as last read or written, and when (monotonic) it was seen to change.
  std::optional<Lease> observed_ ABSL_GUARDED_BY(mu_);
  absl::Time observed_at_ ABSL_GUARDED_BY(mu_);
  std::string reported_holder_ ABSL_GUARDED_BY(mu_);
  bool reported_any_ ABSL_GUARDED_BY(mu_) = false;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_LEADER_ELECTION_H_
