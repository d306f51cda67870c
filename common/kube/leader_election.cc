#include "common/kube/leader_election.h"

#include "absl/strings/str_cat.h"
#include "common/kube/api_error.h"
#include "common/logging.h"

namespace raven::kube {
namespace {

// What client-go compares to decide that the record changed.
bool SameRecord(const Lease& a, const Lease& b) {
  return a.holder_identity == b.holder_identity &&
         a.lease_duration_seconds == b.lease_duration_seconds && a.acquire_time == b.acquire_time &&
         a.renew_time == b.renew_time && a.lease_transitions == b.lease_transitions;
}

int DurationSeconds(absl::Duration d) {
  return static_cast<int>(
      std::max<int64_t>(1, absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)))));
}

}  // namespace

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::Create(RestClient* rest,
                                                                     LeaderElectionConfig config,
                                                                     LeaderCallbacks callbacks) {
  if (config.identity.empty() || config.lease_name.empty() || config.lease_namespace.empty()) {
    return absl::InvalidArgumentError(
        "leader election needs an identity, a lease name and a lease namespace");
  }
  if (!(config.retry_period > absl::ZeroDuration() && config.renew_deadline > config.retry_period &&
        config.lease_duration > config.renew_deadline)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "leader election needs lease_duration > renew_deadline > retry_period > 0; got ",
        absl::FormatDuration(config.lease_duration), ", ",
        absl::FormatDuration(config.renew_deadline), ", ",
        absl::FormatDuration(config.retry_period)));
  }
  return std::unique_ptr<LeaderElector>(
      new LeaderElector(rest, std::move(config), std::move(callbacks)));
}

LeaderElector::LeaderElector(RestClient* rest, LeaderElectionConfig config,
                             LeaderCallbacks callbacks)
    : config_(std::move(config)),
      callbacks_(std::move(callbacks)),
      clock_(config_.clock != nullptr ? config_.clock : &real_clock_),
      leases_(rest, config_.lease_namespace),
      rng_(std::random_device{}()) {
  leases_.set_request_timeout(config_.renew_deadline / 2);
}

LeaderElector::~LeaderElector() { Stop(); }

void LeaderElector::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Run(); });
}

void LeaderElector::Stop() {
  std::thread thread;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leader_ && clock_->MonotonicNow() - last_renew_start_ < config_.renew_deadline;
}

std::string LeaderElector::CurrentLeader() const {
  absl::MutexLock lock(&mu_);
  return reported_holder_;
}

absl::Duration LeaderElector::Jittered(absl::Duration d, double max_factor) {
  absl::MutexLock lock(&mu_);
  std::uniform_real_distribution<double> dist(0.0, max_factor);
  return d * (1.0 + dist(rng_));
}

bool LeaderElector::SleepUnlessStopped(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  clock_->AwaitWithTimeout(mu_, absl::Condition(&stopping_), d);
  return !stopping_;
}

void LeaderElector::ObserveHolder(const std::string& holder) {
  {
    absl::MutexLock lock(&mu_);
    if (reported_any_ && holder == reported_holder_) return;
    reported_any_ = true;
    reported_holder_ = holder;
  }
  RAVEN_LOG(kInfo, "lease ", config_.lease_namespace, "/", config_.lease_name, ": ",
            config_.identity, " sees leader \"", holder, "\"");
  if (callbacks_.on_new_leader) callbacks_.on_new_leader(holder);
}

bool LeaderElector::TryAcquireOrRenew() {
  const absl::Time start = clock_->MonotonicNow();
  const absl::Time wall = clock_->Now();
  const int duration_seconds = DurationSeconds(config_.lease_duration);
  absl::StatusOr<Lease> current = leases_.Get(config_.lease_name);
  if (!current.ok() && !absl::IsNotFound(current.status())) {
    RAVEN_LOG(kWarning, "leader election: reading the lease: ", current.status().ToString());
    return false;
  }
  absl::StatusOr<Lease> written;
  if (!current.ok()) {
    Lease lease;
    lease.meta.name = config_.lease_name;
    lease.meta.namespace_ = config_.lease_namespace;
    lease.holder_identity = config_.identity;
    lease.lease_duration_seconds = duration_seconds;
    lease.acquire_time = wall;
    lease.renew_time = wall;
    written = leases_.Create(lease);
  } else {
    {
      absl::MutexLock lock(&mu_);
      if (!observed_ || !SameRecord(*observed_, *current)) observed_at_ = start;
      observed_ = *current;
    }
    ObserveHolder(current->holder_identity);
    const bool ours = current->holder_identity == config_.identity;
    if (!current->holder_identity.empty() && !ours) {
      absl::Duration held_for = absl::Seconds(
          current->lease_duration_seconds > 0 ? current->lease_duration_seconds : duration_seconds);
      absl::MutexLock lock(&mu_);
      if (start < observed_at_ + held_for) return false;  // held, and not expired for us
    }
    Lease desired = *current;
    desired.holder_identity = config_.identity;
    desired.lease_duration_seconds = duration_seconds;
    desired.renew_time = wall;
    if (!ours) {
      desired.acquire_time = wall;
      ++desired.lease_transitions;
    }
    written = leases_.Update(desired);  // carries current's resourceVersion
  }
  if (!written.ok()) {
    // 409 / AlreadyExists: another candidate wrote first.
    if (IsConflict(written.status()) || absl::IsAlreadyExists(written.status())) {
      RAVEN_LOG(kDebug, "leader election: lost the race: ", written.status().ToString());
    } else {
      RAVEN_LOG(kWarning, "leader election: writing the lease: ", written.status().ToString());
    }
    return false;
  }
  {
    absl::MutexLock lock(&mu_);
    observed_ = *written;
    observed_at_ = start;
    leader_ = true;
    last_renew_start_ = start;
  }
  ObserveHolder(config_.identity);
  return true;
}

void LeaderElector::StepDown(bool announce) {
  bool was;
  {
    absl::MutexLock lock(&mu_);
    was = leader_;
    leader_ = false;
  }
  if (was && announce) {
    RAVEN_LOG(kInfo, "lease ", config_.lease_namespace, "/", config_.lease_name, ": ",
              config_.identity, " stopped leading");
    if (callbacks_.on_stopped_leading) callbacks_.on_stopped_leading();
  }
}

void LeaderElector::Release() {
  std::optional<Lease> observed;
  {
    absl::MutexLock lock(&mu_);
    observed = observed_;
  }
  if (!observed || observed->holder_identity != config_.identity) return;
  const absl::Time wall = clock_->Now();
  Lease released = *observed;
  released.holder_identity.clear();
  released.lease_duration_seconds = 1;
  released.acquire_time = wall;
  released.renew_time = wall;
  absl::StatusOr<Lease> written = leases_.Update(released);
  if (!written.ok()) {
    RAVEN_LOG(kWarning, "leader election: releasing the lease: ", written.status().ToString());
  }
}

void LeaderElector::Run() {
  bool announced = false;  // on_started_leading ran for the current term
  while (true) {
    // Campaign.
    while (!TryAcquireOrRenew()) {
      if (!SleepUnlessStopped(Jittered(config_.retry_period, 1.2))) return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) break;
    }
    RAVEN_LOG(kInfo, "lease ", config_.lease_namespace, "/", config_.lease_name, ": ",
              config_.identity, " started leading");
    announced = true;
    if (callbacks_.on_started_leading) callbacks_.on_started_leading();
    // Renew until stopped or the renew deadline passes.
    bool stopped = false;
    while (true) {
      if (!SleepUnlessStopped(config_.retry_period)) {
        stopped = true;
        break;
      }
      TryAcquireOrRenew();
      if (!IsLeader()) break;
    }
    if (stopped) break;
    RAVEN_LOG(kWarning, "lease ", config_.lease_namespace, "/", config_.lease_name, ": ",
              config_.identity, " could not renew within ",
              absl::FormatDuration(config_.renew_deadline));
    StepDown(announced);
    announced = false;
  }
  // Stopping while leading: step down first, so that whatever the callback
  // stops is stopped before anyone else can lead.
  const bool lead = IsLeader();
  StepDown(announced);
  if (lead && config_.release_on_stop) Release();
}

}  // namespace raven::kube
