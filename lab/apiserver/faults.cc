#include "lab/apiserver/faults.h"

namespace raven::apiserver {

void Faults::FailNext(int count, int code) {
  absl::MutexLock lock(&mu_);
  fail_count_ = count < 0 ? 0 : count;
  fail_code_ = code;
}

int Faults::TakeFailure() {
  absl::MutexLock lock(&mu_);
  if (fail_count_ == 0) return 0;
  --fail_count_;
  return fail_code_;
}

void Faults::SetLatency(absl::Duration latency) {
  absl::MutexLock lock(&mu_);
  latency_ = latency;
}

absl::Duration Faults::latency() const {
  absl::MutexLock lock(&mu_);
  return latency_;
}

void Faults::Reset() {
  absl::MutexLock lock(&mu_);
  fail_count_ = 0;
  fail_code_ = 500;
  latency_ = absl::ZeroDuration();
}

}  // namespace raven::apiserver
