// Injected faults: the next N requests fail with a chosen code, and a delay
// before every request. (Dropping watches and compacting history act on the
// WatchHub directly.)
#ifndef RAVEN_LAB_APISERVER_FAULTS_H_
#define RAVEN_LAB_APISERVER_FAULTS_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace raven::apiserver {

class Faults {
 public:
  void FailNext(int count, int code);
  // The code the current request must fail with (consuming one pending
  // failure), or 0 when it proceeds.
  int TakeFailure();
  void SetLatency(absl::Duration latency);
  absl::Duration latency() const;
  void Reset();

 private:
  mutable absl::Mutex mu_;
  int fail_count_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_code_ ABSL_GUARDED_BY(mu_) = 500;
  absl::Duration latency_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
};

}  // namespace raven::apiserver

#endif  // RAVEN_LAB_APISERVER_FAULTS_H_
