// Exponential backoff with jitter: each delay is drawn uniformly from
// [d*(1-jitter), d*(1+jitter)], d doubling from `initial` up to `max`.
#ifndef RAVEN_COMMON_KUBE_BACKOFF_H_
#define RAVEN_COMMON_KUBE_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace raven::kube {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(100);
  absl::Duration max = absl::Seconds(30);
  double factor = 2.0;
  double jitter = 0.5;  // 0..1
};

// Not thread-safe: one per retry loop.
class Backoff {
 public:
  // seed 0 draws a random seed.
  explicit Backoff(BackoffOptions options, uint64_t seed = 0);
  absl::Duration Next();
  void Reset() { current_ = options_.initial; }

 private:
  BackoffOptions options_;
  absl::Duration current_;
  std::mt19937_64 rng_;
};

}  // namespace raven::kube

#endif  // RAVEN_COMMON_KUBE_BACKOFF_H_
