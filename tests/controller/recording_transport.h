// A Transport decorator for the controller's integration tests: records every
// Gateway status write that went on the wire (start, end, HTTP code) and
// every leader-election Lease write; can cut this client off from the
// leader-election Lease (as if its renewals stalled) or slow its requests
// for that Lease down, while its other requests still go through, and can
// run a hook before each status write.
#ifndef RAVEN_TESTS_CONTROLLER_RECORDING_TRANSPORT_H_
#define RAVEN_TESTS_CONTROLLER_RECORDING_TRANSPORT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "common/kube/transport.h"
#include "tests/controller/stepped_clock.h"

namespace raven::controller::testing {

struct WireWrite {
  std::string target;
  absl::Time start, end;
  int code = 0;  // 0: the request failed before an answer
};

class RecordingTransport final : public kube::Transport {
 public:
  RecordingTransport(std::unique_ptr<kube::Transport> inner, std::string election_lease)
      : inner_(std::move(inner)), election_lease_(std::move(election_lease)) {}

  void set_election_blocked(bool blocked) { election_blocked_ = blocked; }
  // Each request for the election Lease takes this long as `clock` (the
  // elector's and controller's) sees it: a slow connection setup (as a TLS
  // handshake on a loaded node), which no request timeout bounds. The clock
  // is stepped, nothing sleeps; the API server's own latency fault cannot
  // stand in, since the elector's request timeout (renew_deadline / 2) cuts
  // such requests off.
  void set_election_latency(absl::Duration latency, SteppedClock* clock) {
    absl::MutexLock lock(&mu_);
    election_latency_ = latency;
    election_clock_ = clock;
  }
  // Runs before each status write is sent (e.g. to race it with another writer).
  void set_before_status_write(std::function<void(const kube::Request&)> hook) {
    absl::MutexLock lock(&mu_);
    before_status_write_ = std::move(hook);
  }

  absl::StatusOr<kube::Response> Send(const kube::Request& r, kube::Cancellation* c) override {
    bool election = absl::StrContains(r.target, "/leases/" + election_lease_) ||
                    (absl::EndsWith(r.target, "/leases") && r.method == "POST");
    if (election && election_blocked_) {
      absl::SleepFor(absl::Milliseconds(20));
      return absl::UnavailableError("election lease blocked by the test");
    }
    if (election) {
      absl::MutexLock lock(&mu_);
      if (election_clock_ != nullptr) election_clock_->Step(election_latency_);
    }
    bool status_write = r.method == "PUT" && absl::StrContains(r.target, "/gateways/") &&
                        absl::EndsWith(r.target, "/status");
    if (status_write) {
      std::function<void(const kube::Request&)> hook;
      {
        absl::MutexLock lock(&mu_);
        hook = before_status_write_;
      }
      if (hook) hook(r);
    }
    absl::Time start = absl::Now();
    absl::StatusOr<kube::Response> res = inner_->Send(r, c);
    if (status_write || (election && r.method != "GET")) {
      WireWrite w{r.target, start, absl::Now(), res.ok() ? res->code : 0};
      absl::MutexLock lock(&mu_);
      (status_write ? status_writes_ : election_writes_).push_back(w);
    }
    return res;
  }
  absl::StatusOr<kube::Response> Stream(const kube::Request& r, const kube::StreamOptions& o,
                                        const kube::LineHandler& h,
                                        kube::Cancellation* c) override {
    return inner_->Stream(r, o, h, c);
  }

  std::vector<WireWrite> status_writes() const {
    absl::MutexLock lock(&mu_);
    return status_writes_;
  }
  std::vector<WireWrite> election_writes() const {
    absl::MutexLock lock(&mu_);
    return election_writes_;
  }

 private:
  std::unique_ptr<kube::Transport> inner_;
  const std::string election_lease_;
  std::atomic<bool> election_blocked_{false};
  mutable absl::Mutex mu_;
  std::vector<WireWrite> status_writes_ ABSL_GUARDED_BY(mu_);
  std::vector<WireWrite> election_writes_ ABSL_GUARDED_BY(mu_);
  std::function<void(const kube::Request&)> before_status_write_ ABSL_GUARDED_BY(mu_);
  absl::Duration election_latency_ ABSL_GUARDED_BY(mu_);
  SteppedClock* election_clock_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace raven::controller::testing

#endif  // RAVEN_TESTS_CONTROLLER_RECORDING_TRANSPORT_H_
