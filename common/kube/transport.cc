#include "common/kube/transport.h"

#include <utility>

namespace raven::kube {

void Cancellation::Cancel() {
  absl::MutexLock lock(&mu_);
  cancelled_.store(true, std::memory_order_release);
  if (abort_) abort_();
}

bool Cancellation::SetAbort(std::function<void()> abort) {
  absl::MutexLock lock(&mu_);
  if (cancelled()) return false;
  abort_ = std::move(abort);
  return true;
}

void Cancellation::ClearAbort() {
  absl::MutexLock lock(&mu_);
  abort_ = nullptr;
}

}  // namespace raven::kube
