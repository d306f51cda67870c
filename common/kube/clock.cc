#include "common/kube/clock.h"

#include <chrono>

#include "absl/time/clock.h"

namespace raven::kube {

absl::Time RealClock::Now() { return absl::Now(); }

absl::Time RealClock::MonotonicNow() {
  return absl::UnixEpoch() + absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

bool RealClock::AwaitWithTimeout(absl::Mutex& mu, const absl::Condition& cond,
                                 absl::Duration timeout) {
  return mu.AwaitWithTimeout(cond, timeout);
}

}  // namespace raven::kube
