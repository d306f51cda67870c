#include "daemon/failover/loss_window.h"

#include <algorithm>
#include <cmath>

namespace raven::failover {

void LossWindow::Add(bool lost) {
  if (count_ == kSize) {
    lost_count_ -= lost_[next_] ? 1 : 0;
  } else {
    ++count_;
  }
  lost_[next_] = lost;
  lost_count_ += lost ? 1 : 0;
  next_ = (next_ + 1) % kSize;
}

double LossWindow::lower_bound() const {
  if (count_ == 0) return 0;
  constexpr double z = 2.326;  // one-sided 99%
  const double n = count_;
  const double p = ratio();
  const double center = p + z * z / (2 * n);
  const double margin = z * std::sqrt(p * (1 - p) / n + z * z / (4 * n * n));
  return std::max(0.0, (center - margin) / (1 + z * z / n));
}

}  // namespace raven::failover
