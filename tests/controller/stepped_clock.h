// Real time whose monotonic clock a test steps forward: a request the test
// makes "slow" advances it instead of sleeping, so the code under test sees
// the latency at once. Wall time (what goes into the API) stays real.
#ifndef RAVEN_TESTS_CONTROLLER_STEPPED_CLOCK_H_
#define RAVEN_TESTS_CONTROLLER_STEPPED_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/kube/clock.h"

namespace raven::controller::testing {

class SteppedClock final : public kube::Clock {
 public:
  absl::Time Now() override { return real_.Now(); }
  absl::Time MonotonicNow() override {
    absl::MutexLock lock(&mu_);
    return real_.MonotonicNow() + steps_;
  }
  bool AwaitWithTimeout(absl::Mutex& mu, const absl::Condition& cond,
                        absl::Duration timeout) override {
    return real_.AwaitWithTimeout(mu, cond, timeout);
  }
  void Step(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    steps_ += d;
  }

 private:
  kube::RealClock real_;
  absl::Mutex mu_;
  absl::Duration steps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::controller::testing

#endif  // RAVEN_TESTS_CONTROLLER_STEPPED_CLOCK_H_
