// Polling until a condition holds: the one helper for "wait until X, at most
// this long". Use it where nothing can be waited on directly (a process that
// is not our child, a socket file, another component's state); prefer a
// condition variable or absl::Mutex::Await where there is one.
#ifndef RAVEN_COMMON_POLL_H_
#define RAVEN_COMMON_POLL_H_

#include <algorithm>
#include <utility>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace raven {

inline constexpr absl::Duration kDefaultPollStep = absl::Milliseconds(5);

// Calls `pred` until it returns true or `timeout` (measured on the real
// clock) has passed, sleeping `step` between calls. `pred` is always called at
// least once and last at the deadline, so a zero timeout is a single check. Returns whether `pred`
// returned true.
template <typename Pred>
bool PollUntil(Pred&& pred, absl::Duration timeout, absl::Duration step = kDefaultPollStep) {
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (pred()) return true;
    absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(step, deadline - now));
  }
}

}  // namespace raven

#endif  // RAVEN_COMMON_POLL_H_
