// Test doubles for the kube client: a scripted Transport and a Clock whose
// sleeps return at once (recorded, and advancing fake time).
#ifndef RAVEN_TESTS_UNIT_KUBE_FAKES_H_
#define RAVEN_TESTS_UNIT_KUBE_FAKES_H_

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "common/kube/clock.h"
#include "common/kube/transport.h"

namespace raven::kube::testing {

// Answers GETs (lists) from a function, and watch streams from a queue of
// scripts; with no script queued, a watch hangs until cancelled.
class FakeTransport : public Transport {
 public:
  struct WatchScript {
    std::vector<std::string> lines;
    absl::StatusOr<Response> result = Response{200, ""};
  };

  void SetList(std::function<absl::StatusOr<Response>(const Request&)> fn) {
    absl::MutexLock lock(&mu_);
    list_ = std::move(fn);
  }
  void QueueWatch(WatchScript script) {
    absl::MutexLock lock(&mu_);
    watches_.push_back(std::move(script));
  }
  std::vector<std::string> targets() const {
    absl::MutexLock lock(&mu_);
    return targets_;
  }
  // Waits until `n` requests (lists and watches) were made.
  bool WaitForRequests(size_t n, absl::Duration timeout) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return targets_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
  }

  absl::StatusOr<Response> Send(const Request& request, Cancellation* cancel) override {
    std::function<absl::StatusOr<Response>(const Request&)> list;
    {
      absl::MutexLock lock(&mu_);
      targets_.push_back(request.method + " " + request.target);
      list = list_;
    }
    if (cancel != nullptr && cancel->cancelled()) return absl::CancelledError("cancelled");
    if (!list) return absl::UnavailableError("no list handler");
    return list(request);
  }

  absl::StatusOr<Response> Stream(const Request& request, const StreamOptions&,
                                  const LineHandler& on_line, Cancellation* cancel) override {
    WatchScript script;
    {
      absl::MutexLock lock(&mu_);
      targets_.push_back("WATCH " + request.target);
      if (watches_.empty()) {
        // Hang until cancelled, like a quiet watch.
        auto done = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
          return !watches_.empty() || (cancel != nullptr && cancel->cancelled());
        };
        while (!done()) mu_.AwaitWithTimeout(absl::Condition(&done), absl::Milliseconds(5));
        if (watches_.empty()) return absl::CancelledError("cancelled");
      }
      script = std::move(watches_.front());
      watches_.pop_front();
    }
    for (const std::string& line : script.lines) {
      if (!on_line(line)) return Response{200, ""};
    }
    return script.result;
  }

 private:
  mutable absl::Mutex mu_;
  std::function<absl::StatusOr<Response>(const Request&)> list_ ABSL_GUARDED_BY(mu_);
  std::deque<WatchScript> watches_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);
};

// Sleeps return at once and advance fake time; after `max_sleeps` sleeps
// further ones block until their condition holds (so a retry loop parks
// instead of spinning).
class FakeClock : public Clock {
 public:
  explicit FakeClock(size_t max_sleeps = 1000) : max_sleeps_(max_sleeps) {}
  absl::Time Now() override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  absl::Time MonotonicNow() override { return Now(); }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  bool AwaitWithTimeout(absl::Mutex& mu, const absl::Condition& cond,
                        absl::Duration timeout) override {
    if (cond.Eval()) return true;
    bool park;
    {
      absl::MutexLock lock(&mu_);
      sleeps_.push_back(timeout);
      park = sleeps_.size() > max_sleeps_;
      if (!park) now_ += timeout;
    }
    if (park) mu.Await(cond);
    return cond.Eval();
  }
  std::vector<absl::Duration> sleeps() const {
    absl::MutexLock lock(&mu_);
    return sleeps_;
  }

 private:
  const size_t max_sleeps_;
  mutable absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::FromUnixSeconds(1700000000);
  std::vector<absl::Duration> sleeps_ ABSL_GUARDED_BY(mu_);
};

}  // namespace raven::kube::testing

#endif  // RAVEN_TESTS_UNIT_KUBE_FAKES_H_
