#include "daemon/cluster/heartbeat.h"

#include <cmath>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/kube/api_error.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/cluster/node_annotations.h"

namespace raven {

Heartbeat::Heartbeat(kube::RestClient* rest, HeartbeatOptions options)
    : options_(std::move(options)), leases_(rest, options_.lease_namespace), nodes_(rest) {
  // A renewal that takes longer than a tick is as good as a missed one.
  leases_.set_request_timeout(options_.interval);
  nodes_.set_request_timeout(absl::Seconds(5));
}

Heartbeat::~Heartbeat() { Stop(); }

void Heartbeat::Start() {
  thread_ = std::thread([this] {
    for (;;) {
      absl::Time next = absl::Now() + options_.interval;
      Tick();
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithDeadline(absl::Condition(&stopping_), next)) return;
    }
  });
}

void Heartbeat::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

HeartbeatState Heartbeat::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

void Heartbeat::Tick() {
  bool changed;
  {
    absl::MutexLock lock(&mu_);
    changed = std::exchange(annotations_changed_, false);
  }
  auto publish = [&] {
    absl::Status published = PublishAnnotations();
    Record(published, "publish Node annotations", /*renewal=*/false);
    if (published.ok()) {
      next_publish_ = absl::Now() + options_.republish_interval;
    } else if (changed) {
      absl::MutexLock lock(&mu_);
      annotations_changed_ = true;  // at the next tick again
    }
  };
  // The periodic publish first: by the time the elector sees a fresh Lease,
  // the key it must publish for this node is there. One for an annotation
  // learnt later (the NAT type) after the renewal: a slow Node write must
  // not hold the Lease back.
  const bool due = !next_publish_ || absl::Now() >= *next_publish_;
  if (due) publish();
  Renew();
  if (!due && changed) publish();
}

void Heartbeat::Renew() {
  std::string problem = options_.dataplane_problem ? options_.dataplane_problem() : "";
  if (problem.empty()) {
    absl::Status renewed = RenewLease();
    // Unavailable without an HTTP code: no answer at all (reset, timeout).
    if (absl::IsUnavailable(renewed) && kube::HttpCodeOf(renewed) == 0) {
      const absl::Time now = absl::Now();
      if (options_.on_connection_lost &&
          (!connection_lost_at_ ||
           now - *connection_lost_at_ >= options_.connection_lost_interval)) {
        connection_lost_at_ = now;
        options_.on_connection_lost();
      }
      renewed = RenewLease();
    }
    Record(renewed, "renew heartbeat Lease", /*renewal=*/true);
  } else {
    Record(absl::FailedPreconditionError(problem), "heartbeat withheld", /*renewal=*/false);
  }
}

absl::Status Heartbeat::RenewLease() {
  const std::string& name = options_.node_name;
  absl::Time now = absl::Now();
  if (!lease_) {
    absl::StatusOr<kube::Lease> existing = leases_.Get(name);
    if (existing.ok()) {
      lease_ = *std::move(existing);
    } else if (absl::IsNotFound(existing.status())) {
      kube::Lease fresh;
      fresh.meta.name = name;
      fresh.meta.namespace_ = options_.lease_namespace;
      fresh.holder_identity = name;
      fresh.lease_duration_seconds =
          static_cast<int>(std::ceil(absl::ToDoubleSeconds(options_.lease_duration)));
      fresh.acquire_time = now;
      fresh.renew_time = now;
      ASSIGN_OR_RETURN(lease_, leases_.Create(fresh));
      return absl::OkStatus();
    } else {
      return existing.status();
    }
  }
  kube::Lease next = *lease_;
  next.holder_identity = name;
  next.lease_duration_seconds =
      static_cast<int>(std::ceil(absl::ToDoubleSeconds(options_.lease_duration)));
  if (!next.acquire_time) next.acquire_time = now;
  next.renew_time = now;
  absl::StatusOr<kube::Lease> written = leases_.Update(next);
  if (!written.ok()) {
    lease_.reset();  // re-read next tick (409: someone else wrote it; 404: deleted)
    return written.status();
  }
  lease_ = *std::move(written);
  return absl::OkStatus();
}

void Heartbeat::SetAnnotation(const std::string& key, const std::string& value) {
  absl::MutexLock lock(&mu_);
  std::string& current = learnt_annotations_[key];
  if (current == value) return;
  current = value;
  annotations_changed_ = true;
}

absl::Status Heartbeat::PublishAnnotations() {
  std::map<std::string, std::string> annotations = options_.node_annotations;
  {
    absl::MutexLock lock(&mu_);
    annotations.insert(learnt_annotations_.begin(), learnt_annotations_.end());
  }
  if (annotations.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool patched, PublishNodeAnnotations(nodes_, options_.node_name, annotations));
  if (patched) RAVEN_LOG(kInfo, "published annotations on Node ", options_.node_name);
  absl::MutexLock lock(&mu_);
  state_.annotations_published = true;
  return absl::OkStatus();
}

void Heartbeat::Record(const absl::Status& status, absl::string_view what, bool renewal) {
  absl::MutexLock lock(&mu_);
  if (status.ok()) {
    if (!renewal) return;
    state_.last_renewal = absl::Now();
    ++state_.renewals;
    if (!state_.last_error.empty()) {
      RAVEN_LOG(kInfo, "heartbeat Lease renewed again");
      state_.last_error.clear();
    }
    return;
  }
  ++state_.failures;
  std::string error = absl::StrCat(what, ": ", status.message());
  if (error != state_.last_error) RAVEN_LOG(kWarning, error, " (retrying every tick)");
  state_.last_error = std::move(error);
}

}  // namespace raven
