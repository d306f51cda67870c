#include "controller/controller.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/kube/backoff.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "controller/node_view.h"

namespace raven::controller {
namespace {

constexpr char kComponent[] = "raven-controller";
// /healthz fails when one pass has been running this long (a stuck API call
// is bounded far below this by request timeouts).
constexpr absl::Duration kStuckPass = absl::Minutes(2);

kube::InformerOptions Named(kube::InformerOptions options, const std::string& name) {
  options.name = name;
  return options;
}

kube::InformerOptions Managed(kube::InformerOptions options, const std::string& name) {
  options.name = name;
  options.list.label_selector = absl::StrCat(kManagedByLabel, "=", kManagedBy);
  return options;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Controller>> Controller::Create(kube::RestClient* rest,
                                                               ControllerConfig config,
                                                               metrics::Registry* registry) {
  if (config.ns.empty()) return absl::InvalidArgumentError("namespace must not be empty");
  if (config.resync_period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("resync period must be positive");
  }
  if (config.election.lease_namespace.empty()) config.election.lease_namespace = config.ns;
  std::unique_ptr<Controller> c(new Controller(rest, std::move(config), registry));
  if (c->config_.leader_elect) {
    Controller* self = c.get();
    kube::LeaderCallbacks callbacks;
    callbacks.on_started_leading = [self] {
      RAVEN_LOG(kInfo, "started leading as ", self->config_.election.identity);
      self->metrics_.is_leader.Set(1);
      {
        absl::MutexLock lock(&self->mu_);
        self->takeover_ = true;
      }
      self->Wake();
    };
    callbacks.on_stopped_leading = [self] {
      RAVEN_LOG(kInfo, "stopped leading");
      self->metrics_.is_leader.Set(0);
    };
    callbacks.on_new_leader = [](const std::string& identity) {
      RAVEN_LOG(kInfo, "leader is now \"", identity, "\"");
    };
    ASSIGN_OR_RETURN(c->elector_,
                     kube::LeaderElector::Create(rest, c->config_.election, std::move(callbacks)));
  } else {
    c->metrics_.is_leader.Set(1);
  }
  return c;
}

Controller::Controller(kube::RestClient* rest, ControllerConfig config, metrics::Registry* registry)
    : config_(std::move(config)),
      clock_(config_.clock ? config_.clock : &real_clock_),
      metrics_(*registry),
      heartbeat_hold_(registry
                          ->AddGauge("raven_controller_heartbeat_hold",
                                     "1 while a mass expiry of heartbeat Leases is held (the API "
                                     "server or the controller assumed cut off), else 0.")
                          .Get()),
      tracker_(config_.heartbeat),
      status_client_(rest),
      events_(rest, config_.event_namespace, kComponent, config_.host, clock_,
              config_.event_dedup_window),
      reconciler_(&status_client_, &events_, &metrics_, clock_, [this] { return IsLeader(); }),
      tunnel_services_(rest, config_.ns) {
  nodes_ = std::make_unique<kube::Informer<kube::Node>>(
      rest, "", Named(config_.informer, "nodes"),
      kube::InformerHandlers<kube::Node>{
          .on_add = [this](const kube::Node& n) { OnNode(n); },
          .on_update = [this](const kube::Node&, const kube::Node& n) { OnNode(n); },
          .on_delete =
              [this](const kube::Node& n) {
                {
                  absl::MutexLock lock(&mu_);
                  views_.erase(n.meta.name);
                }
                Wake();
              },
      });
  gateways_ = std::make_unique<kube::Informer<kube::Gateway>>(
      rest, "", Named(config_.informer, "gateways"),
      kube::InformerHandlers<kube::Gateway>{.on_changed = [this] { Wake(); }});
  services_ = std::make_unique<kube::Informer<kube::Service>>(
      rest, config_.ns, Managed(config_.informer, "services"),
      kube::InformerHandlers<kube::Service>{.on_changed = [this] { Wake(); }});
  endpoints_ = std::make_unique<kube::Informer<kube::Endpoints>>(
      rest, config_.ns, Managed(config_.informer, "endpoints"),
      kube::InformerHandlers<kube::Endpoints>{.on_changed = [this] { Wake(); }});
  leases_ = std::make_unique<kube::Informer<kube::Lease>>(
      rest, config_.ns, Named(config_.informer, "leases"),
      kube::InformerHandlers<kube::Lease>{
          .on_add = [this](const kube::Lease& l) { OnLease(l); },
          .on_update = [this](const kube::Lease&, const kube::Lease& l) { OnLease(l); },
          .on_delete =
              [this](const kube::Lease& l) {
                if (auto change = tracker_.Forget(l.meta.name, clock_->MonotonicNow())) {
                  NoteHealthChange(change->node, change->at);
                  Wake();
                }
              },
      });
}

Controller::~Controller() { Stop(); }

void Controller::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
  }
  // The campaign runs while the informers list: a fresh leader is ready to
  // write as soon as its view is complete (the loop waits for both).
  if (elector_) elector_->Start();
  leases_->Start();
  nodes_->Start();
  gateways_->Start();
  services_->Start();
  endpoints_->Start();
  thread_ = std::thread([this] { Run(); });
}

void Controller::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (elector_) elector_->Stop();
  endpoints_->Stop();
  services_->Stop();
  gateways_->Stop();
  nodes_->Stop();
  leases_->Stop();
}

bool Controller::WaitForSync(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  auto left = [&] { return std::max(deadline - absl::Now(), absl::ZeroDuration()); };
  return leases_->WaitForSync(timeout) && nodes_->WaitForSync(left()) &&
         gateways_->WaitForSync(left());
}

// The load balancer informers are left out: a controller without their RBAC
// (an upgrade that missed the Role) still elects; only exposure waits.
bool Controller::Synced() const {
  return leases_->HasSynced() && nodes_->HasSynced() && gateways_->HasSynced();
}

bool Controller::IsLeader() const { return elector_ ? elector_->IsLeader() : true; }

metrics::Health Controller::Health() const {
  std::string role = "leader";
  if (!IsLeader()) {
    std::string leader = elector_->CurrentLeader();
    role = absl::StrCat("standby (leader: ", leader.empty() ? "none seen" : leader, ")");
  }
  if (!Synced()) {
    return {false, absl::StrCat(role, ": informers not synced")};
  }
  kube::RealClock real;
  kube::Clock* informer_clock = config_.informer.clock ? config_.informer.clock : &real;
  const absl::Time now = informer_clock->MonotonicNow();
  for (const auto& [name, stats] :
       {std::pair{"heartbeat Leases", leases_->Stats()}, std::pair{"Nodes", nodes_->Stats()},
        std::pair{"Gateways", gateways_->Stats()}}) {
    if (stats.failing_since && now - *stats.failing_since > config_.api_stale_after) {
      return {false,
              absl::StrCat(
                  role, ": the API server is unreachable: list/watch of ", name, " failing for ",
                  absl::FormatDuration(absl::Trunc(now - *stats.failing_since, absl::Seconds(1))))};
    }
  }
  absl::MutexLock lock(&mu_);
  const absl::Time mono = clock_->MonotonicNow();
  if (pass_started_ && mono - *pass_started_ > kStuckPass) {
    return {false, absl::StrCat(role, ": reconcile pass running for ",
                                absl::FormatDuration(mono - *pass_started_))};
  }
  return {true, role};
}

std::optional<PassReport> Controller::first_pass() const {
  absl::MutexLock lock(&mu_);
  return first_pass_;
}

std::optional<PassReport> Controller::last_pass() const {
  absl::MutexLock lock(&mu_);
  return last_pass_;
}

uint64_t Controller::passes() const {
  absl::MutexLock lock(&mu_);
  return passes_;
}

void Controller::Wake() {
  absl::MutexLock lock(&mu_);
  dirty_ = true;
}

void Controller::NoteHealthChange(const std::string& node, absl::Time at) {
  absl::MutexLock lock(&mu_);
  health_changes_[node] = at;
}

void Controller::OnLease(const kube::Lease& lease) {
  if (lease.meta.name == config_.election.lease_name) return;  // our own election Lease
  bool was_holding = tracker_.Holding();
  std::optional<HealthChange> change =
      tracker_.Observe(lease, clock_->Now(), clock_->MonotonicNow());
  if (was_holding && !tracker_.Holding()) {
    heartbeat_hold_.Set(0);
    RAVEN_LOG(kInfo, "heartbeat Lease ", lease.meta.name,
              " changed: renewals resumed, hold ended; silent Leases expire one lease duration "
              "from now");
    Wake();  // re-arm the expiry timer for the restarted clocks
  }
  if (change) {
    RAVEN_LOG(kDebug, "heartbeat of ", change->node, change->fresh ? " fresh" : " stale");
    if (!change->first_sighting) NoteHealthChange(change->node, change->at);
    Wake();
  }
}

void Controller::OnNode(const kube::Node& node) {
  NodeView view = ToNodeView(node);
  absl::MutexLock lock(&mu_);
  auto it = views_.find(view.name);
  if (it != views_.end() && it->second == view) return;  // nothing the election reads
  if (it != views_.end() && it->second.ready != view.ready) {
    health_changes_[view.name] = clock_->MonotonicNow();
  }
  views_[view.name] = std::move(view);
  dirty_ = true;
}

void Controller::Run() {
  kube::Backoff retry({config_.retry_initial, config_.retry_max, 2.0, 0.2});
  absl::Time next_resync = clock_->MonotonicNow() + config_.resync_period;
  absl::Time retry_at = absl::InfiniteFuture();  // when a failed pass is retried
  bool synced = false;
  bool need_pass = true;
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      absl::Time deadline = next_resync;
      if (std::optional<absl::Time> expiry = tracker_.NextExpiry()) {
        deadline = std::min(deadline, *expiry);
      }
      deadline = std::min(deadline, retry_at);
      // An informer whose first list was empty calls no handler: poll for sync.
      if (!synced) deadline = std::min(deadline, clock_->MonotonicNow() + absl::Milliseconds(50));
      absl::Duration wait = deadline - clock_->MonotonicNow();
      if (!Woken() && wait > absl::ZeroDuration()) {
        clock_->AwaitWithTimeout(mu_, absl::Condition(this, &Controller::Woken), wait);
      }
      if (stopping_) return;
      need_pass = need_pass || dirty_;
      dirty_ = false;
    }
    absl::Time now = clock_->MonotonicNow();
    LeaseTracker::HoldNotice hold;
    std::vector<HealthChange> expired = tracker_.Expire(now, &hold);
    if (hold.started) {
      heartbeat_hold_.Set(1);
      RAVEN_LOG(kWarning, hold.stale, " of ", hold.total,
                " heartbeat Leases stopped at once: assuming the API server or the controller is "
                "cut off; holding elections");
    }
    for (const HealthChange& change : expired) {
      RAVEN_LOG(kInfo, "heartbeat Lease of ", change.node, " expired");
      NoteHealthChange(change.node, change.at);
      need_pass = true;
    }
    if (now >= next_resync) {
      next_resync = now + config_.resync_period;
      need_pass = true;
    }
    if (now >= retry_at) {
      retry_at = absl::InfiniteFuture();
      need_pass = true;
    }
    synced = synced || Synced();
    // Electing on a partial view would flap; a timer that found every Lease
    // renewed meanwhile has nothing to do.
    if (!synced || !need_pass) continue;
    need_pass = false;
    if (!IsLeader()) {
      absl::MutexLock lock(&mu_);
      health_changes_.clear();  // nothing of ours reflects them; the next leader measures anew
      // Keep the pass and look again soon: a new term wakes the loop, but a
      // leader whose acquisition or renewal came back late counts as no
      // leader until its next renewal, which wakes nothing.
      need_pass = true;
      retry_at = clock_->MonotonicNow() + retry.Next();
      continue;
    }
    if (Pass(now)) {
      retry_at = clock_->MonotonicNow() + retry.Next();
    } else {
      retry.Reset();
    }
  }
}

bool Controller::Pass(absl::Time mono) {
  std::map<std::string, NodeView> nodes;
  std::map<std::string, absl::Time> changes;
  bool takeover;
  {
    absl::MutexLock lock(&mu_);
    nodes = views_;
    changes = health_changes_;
    takeover = takeover_;
    takeover_ = false;
    pass_started_ = mono;
  }
  if (takeover) reconciler_.ForgetWrites();
  for (auto& [name, view] : nodes) view.lease_fresh = tracker_.IsFresh(name, mono);
  std::map<std::string, kube::Gateway> gateways = gateways_->Snapshot();
  const std::map<std::string, kube::Service> services = services_->Snapshot();
  PassResult result =
      reconciler_.ReconcileAll(gateways, nodes, changes, LoadBalancerAddresses(gateways, services));
  std::set<std::string> reflected;
  for (const auto& [name, r] : result.gateways) {
    reflected.insert(r.reflected.begin(), r.reflected.end());
    if (r.published) gateways[name].status = *r.published;
  }
  // The load balancers follow the statuses just published (a failover).
  absl::Status exposed;
  if (!services_->HasSynced() || !endpoints_->HasSynced()) {
    const bool wanted = std::any_of(gateways.begin(), gateways.end(), [](const auto& g) {
      return g.second.spec.expose_type == kube::ExposeType::kLoadBalancer;
    });
    if (wanted) {
      exposed = absl::UnavailableError(
          "load balancer Services and Endpoints not listed yet (RBAC: Role "
          "raven-controller-services)");
      RAVEN_LOG(kWarning, exposed.message());
    }
  } else if (IsLeader()) {
    exposed = tunnel_services_.Sync(DesiredExposures(gateways, config_.ns, config_.relay_port_base),
                                    services, endpoints_->Snapshot());
  }
  if (!exposed.ok()) metrics_.reconcile_errors.Inc();
  const bool failed = result.errors() > 0 || !exposed.ok();
  PassReport report{std::move(result), clock_->MonotonicNow() - mono};
  metrics_.reconcile_pass_seconds.Observe(absl::ToDoubleSeconds(report.duration));
  absl::MutexLock lock(&mu_);
  pass_started_.reset();
  ++passes_;
  if (!first_pass_ || takeover) first_pass_ = report;
  last_pass_ = std::move(report);
  for (const auto& [node, at] : changes) {
    auto it = health_changes_.find(node);
    if (it == health_changes_.end() || it->second != at) continue;  // newer change since
    // Reported by a write, or (a clean pass) reflected in no write at all.
    if (reflected.count(node) || !failed) health_changes_.erase(it);
  }
  return failed;
}

}  // namespace raven::controller
