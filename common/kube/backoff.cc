#include "common/kube/backoff.h"

#include <algorithm>

namespace raven::kube {

Backoff::Backoff(BackoffOptions options, uint64_t seed)
    : options_(options), current_(options.initial), rng_(seed ? seed : std::random_device{}()) {}

absl::Duration Backoff::Next() {
  absl::Duration base = current_;
  current_ = std::min(options_.max, current_ * options_.factor);
  double j = std::clamp(options_.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> dist(1.0 - j, 1.0 + j);
  return std::min(options_.max, base * dist(rng_));
}

}  // namespace raven::kube
