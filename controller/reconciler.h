// One reconcile pass: the prefix ownership across all Gateways, then for
// every Gateway the wanted status (gateway_status.h), written only when it
// differs from the current one; on 409 re-read and re-elect on the fresh
// object (UpdateStatusWithRetry). After a write: Events and metrics. Not
// thread-safe: the controller's loop owns it.
//
// "Current" is the informer's copy, except right after our own write, before
// the informer has seen it: then the object the write returned, so a pass
// that runs before the watch event does not write the same status again.
// A status that did not decode (kube::Gateway::invalid_status) is rewritten;
// the election and prefix ownership then start from the last good status
// seen, so that forging one cannot move an active endpoint or a prefix.
#ifndef RAVEN_CONTROLLER_RECONCILER_H_
#define RAVEN_CONTROLLER_RECONCILER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/kube/clock.h"
#include "common/kube/resources/gateway.h"
#include "controller/controller_metrics.h"
#include "controller/election.h"
#include "controller/event_recorder.h"
#include "controller/gateway_status.h"
#include "controller/status_client.h"

namespace raven::controller {

// What a pass did to one Gateway.
struct GatewayResult {
  absl::Status error;
  bool wrote = false;
  bool without_active_endpoint = false;  // a wanted type has none (or the spec is invalid)
  size_t refused_prefixes = 0;
  // Nodes whose health change this write published (their entries of the
  // pass's health_changes are observed and done with).
  std::vector<std::string> reflected;
  // The status the Gateway has after this pass (written, or already so);
  // none when it was not decided (not the leader, or the write failed).
  std::optional<kube::GatewayStatus> published;
};

struct PassResult {
  std::map<std::string, GatewayResult> gateways;

  int writes() const;
  int errors() const;
};

class Reconciler {
 public:
  // `may_write` is asked before every write (leadership); all pointers must
  // outlive the reconciler. `events` and `metrics` may be null.
  Reconciler(StatusClient* client, EventRecorder* events, ControllerMetrics* metrics,
             kube::Clock* clock, std::function<bool()> may_write);

  // `nodes` (all of them) must carry lease_fresh. `health_changes` maps a
  // node to the monotonic time of its last health change not yet reflected
  // in a status write: a write that reflects one observes its latency.
  // `load_balancers`: exposed Gateways' load balancer addresses
  // (ComputeOutcome).
  PassResult ReconcileAll(const std::map<std::string, kube::Gateway>& gateways,
                          const std::map<std::string, NodeView>& nodes,
                          const std::map<std::string, absl::Time>& health_changes,
                          const std::map<std::string, IpAddress>& load_balancers = {});

  // Drops what it remembers of its own writes (on a leadership change).
  void ForgetWrites() { written_.clear(); }

 private:
  struct Written {
    kube::Gateway object;  // as the API returned it
    std::string based_on;  // the resourceVersion the write replaced
  };
  GatewayResult ReconcileOne(const kube::Gateway& cached,
                             const std::map<std::string, NodeView>& nodes,
                             const std::vector<RefusedPrefix>& refused,
                             const std::map<std::string, absl::Time>& health_changes,
                             const std::optional<IpAddress>& load_balancer);
  // Remembers every good status; when a status did not decode, a copy of the
  // Gateways in which that Gateway has its last good status back (keeping
  // invalid_status, so that it is rewritten).
  std::optional<std::map<std::string, kube::Gateway>> WithLastGoodStatus(
      const std::map<std::string, kube::Gateway>& gateways);
  void RestoreStatus(kube::Gateway& gateway) const;
  // Events and metrics of a write; returns the nodes whose health it reflected.
  std::vector<std::string> AfterWrite(const kube::Gateway& written, const GatewayOutcome& outcome,
                                      const std::map<std::string, NodeView>& nodes,
                                      const std::map<std::string, absl::Time>& health_changes);

  StatusClient* const client_;
  EventRecorder* const events_;
  ControllerMetrics* const metrics_;
  kube::Clock* const clock_;
  const std::function<bool()> may_write_;
  std::map<std::string, Written> written_;
  std::map<std::string, kube::GatewayStatus> last_good_status_;
};

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_RECONCILER_H_
