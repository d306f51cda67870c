// raven-controller's core: informers on Nodes, Gateways, the agents'
// heartbeat Leases and the load balancer Services it manages; a LeaseTracker judging heartbeats on
// the local monotonic clock; Lease leader election; and one loop that, as leader, runs a reconcile
// pass (reconciler.h) whenever something relevant changed, a heartbeat expired (a timer, since a
// dead agent sends no events), a failed pass is due for a retry, or the resync period passed. A
// standby keeps its informers and tracker warm and writes nothing, so a takeover is one pass.
//
//   ASSIGN_OR_RETURN(auto controller, Controller::Create(rest.get(), config, &registry));
//   controller->Start();
//   ...
//   controller->Stop();   // steps down and (release_on_stop) releases the lease
#ifndef RAVEN_CONTROLLER_CONTROLLER_H_
#define RAVEN_CONTROLLER_CONTROLLER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/kube/clock.h"
#include "common/kube/informer.h"
#include "common/kube/leader_election.h"
#include "common/kube/resources/gateway.h"
#include "common/kube/resources/lease.h"
#include "common/kube/resources/node.h"
#include "common/kube/resources/service.h"
#include "common/kube/rest_client.h"
#include "common/metrics/http_server.h"
#include "common/metrics/registry.h"
#include "common/raven_annotations.h"
#include "controller/controller_metrics.h"
#include "controller/event_recorder.h"
#include "controller/lease_tracker.h"
#include "controller/reconciler.h"
#include "controller/status_client.h"
#include "controller/tunnel_service.h"

namespace raven::controller {

struct ControllerConfig {
  // Where the agents' heartbeat Leases (and the leader-election Lease) live.
  std::string ns = kDefaultRavenNamespace;
  // The agents' --nat-relay-port-base: the relay ports a load balancer
  // exposes (tunnel_service.h).
  int relay_port_base = 4600;
  // Where Events about the cluster-scoped Gateways go.
  std::string event_namespace = "default";
  absl::Duration event_dedup_window = absl::Minutes(10);
  bool leader_elect = true;
  // lease_namespace defaults to `ns`; identity and lease_name must be set.
  kube::LeaderElectionConfig election;
  absl::Duration resync_period = absl::Seconds(30);
  LeaseTrackerOptions heartbeat;
  // A failed pass is retried after a backoff from retry_initial to retry_max.
  absl::Duration retry_initial = absl::Milliseconds(100);
  absl::Duration retry_max = absl::Seconds(5);
  std::string host;  // Events' source.host
  kube::InformerOptions informer;
  // /healthz fails when a list or watch of the API has been failing this
  // long: a leader cannot write and a standby could not take over.
  absl::Duration api_stale_after = absl::Seconds(10);
  kube::Clock* clock = nullptr;  // a RealClock when null
};

// One reconcile pass as the leader: what it did and how long it took.
struct PassReport {
  PassResult result;
  absl::Duration duration;
};

class Controller {
 public:
  // `rest` and `registry` must outlive the controller.
  static absl::StatusOr<std::unique_ptr<Controller>> Create(kube::RestClient* rest,
                                                            ControllerConfig config,
                                                            metrics::Registry* registry);
  ~Controller();  // Stop()

  void Start();
  // Stops the loop, the elector (a leader steps down, releasing its lease
  // when election.release_on_stop) and the informers. Idempotent.
  void Stop();

  bool WaitForSync(absl::Duration timeout);
  bool IsLeader() const;
  // For /healthz: ok with the role ("leader", "standby (leader: x)") when the
  // informers are synced and current and the loop is not stuck in a pass.
  metrics::Health Health() const;
  uint64_t passes() const;
  // The first pass as leader (the full election + status writes of a start or
  // a takeover), and the latest one.
  std::optional<PassReport> first_pass() const;
  std::optional<PassReport> last_pass() const;
  const ControllerMetrics& metrics() const { return metrics_; }

 private:
  Controller(kube::RestClient* rest, ControllerConfig config, metrics::Registry* registry);

  void Run();
  bool Synced() const;  // every informer has listed once
  // One pass as the leader; returns whether it failed (and is to be retried).
  bool Pass(absl::Time mono);
  void Wake();
  bool Woken() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return dirty_ || stopping_; }
  void NoteHealthChange(const std::string& node, absl::Time at);
  void OnLease(const kube::Lease& lease);
  void OnNode(const kube::Node& node);

  ControllerConfig config_;
  kube::RealClock real_clock_;
  kube::Clock* const clock_;
  ControllerMetrics metrics_;
  metrics::Gauge& heartbeat_hold_;  // raven_controller_heartbeat_hold
  LeaseTracker tracker_;
  KubeStatusClient status_client_;
  KubeEventRecorder events_;
  Reconciler reconciler_;  // loop thread only
  TunnelServiceWriter tunnel_services_;
  std::unique_ptr<kube::LeaderElector> elector_;
  std::unique_ptr<kube::Informer<kube::Node>> nodes_;
  std::unique_ptr<kube::Informer<kube::Gateway>> gateways_;
  std::unique_ptr<kube::Informer<kube::Lease>> leases_;
  // The load balancer Services and Endpoints this controller manages.
  std::unique_ptr<kube::Informer<kube::Service>> services_;
  std::unique_ptr<kube::Informer<kube::Endpoints>> endpoints_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool dirty_ ABSL_GUARDED_BY(mu_) = true;
  bool takeover_ ABSL_GUARDED_BY(mu_) = false;
  std::map<std::string, NodeView> views_ ABSL_GUARDED_BY(mu_);  // lease_fresh unset
  std::map<std::string, absl::Time> health_changes_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Time> pass_started_ ABSL_GUARDED_BY(mu_);  // monotonic, while in a pass
  uint64_t passes_ ABSL_GUARDED_BY(mu_) = 0;
  std::optional<PassReport> first_pass_ ABSL_GUARDED_BY(mu_);
  std::optional<PassReport> last_pass_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_CONTROLLER_H_
