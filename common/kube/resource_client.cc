#include "common/kube/resource_client.h"

namespace raven::kube {

absl::Status RetryOnConflict(const RetryOptions& options,
                             const std::function<absl::Status()>& attempt) {
  Backoff backoff(options.backoff);
  absl::Status last;
  for (int i = 1; i <= options.max_attempts; ++i) {
    last = attempt();
    if (!IsConflict(last)) return last;
    if (i < options.max_attempts) absl::SleepFor(backoff.Next());
  }
  return absl::AbortedError(absl::StrCat("gave up after ", options.max_attempts,
                                         " conflicting updates; last: ", last.message()));
}

}  // namespace raven::kube
