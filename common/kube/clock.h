// Time as the informer and the leader elector see it, injectable for tests.
#ifndef RAVEN_COMMON_KUBE_CLOCK_H_
#define RAVEN_COMMON_KUBE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace raven::kube {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time, for timestamps written to the API.
  virtual absl::Time Now() = 0;
  // A clock that never steps, for deadlines and elapsed time (its epoch is
  // arbitrary).
  virtual absl::Time MonotonicNow() = 0;
  // With `mu` held: waits until `cond` holds or `timeout` passes (releasing
  // `mu` meanwhile); returns whether `cond` holds.
  virtual bool AwaitWithTimeout(absl::Mutex& mu, const absl::Condition& cond,
                                absl::Duration timeout) = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() override;
  absl::Time MonotonicNow() override;
  bool AwaitWithTimeout(absl::Mutex& mu, const absl::Condition& cond,
                        absl::Duration timeout) override;
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_CLOCK_H_
