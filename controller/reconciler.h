// One reconcile pass: for every Gateway, compute the wanted status
// (gateway_status.h) and write it only when it differs from the current one;
// on 409 re-read and re-elect on the fresh object (UpdateStatusWithRetry).
// After a write: Events and metrics. Not thread-safe: the controller's loop
// owns it.
//
// "Current" is the informer's copy, except right after our own write, before
// the informer has seen it: then the object the write returned, so a pass
// that runs before the watch event does not write the same status again.
#ifndef RAVEN_CONTROLLER_RECONCILER_H_
#define RAVEN_CONTROLLER_RECONCILER_H_

#include <functional>
#include <map>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/gateway.h"
#include "common/kube/clock.h"
#include "controller/controller_metrics.h"
#include "controller/election.h"
#include "controller/event_recorder.h"
#include "controller/gateway_status.h"
#include "controller/status_client.h"

namespace raven::controller {

struct PassStats {
  int gateways = 0;
  int writes = 0;
  int errors = 0;
  int without_active_endpoint = 0;
};

class Reconciler {
 public:
  // `may_write` is asked before every write (leadership); all pointers must
  // outlive the reconciler. `events` and `metrics` may be null.
  Reconciler(StatusClient* client, EventRecorder* events, ControllerMetrics* metrics,
             kube::Clock* clock, std::function<bool()> may_write);

  // `nodes` (all of them) must carry lease_fresh. `health_changes` maps a node to the
  // monotonic time of its last health change not yet reflected in a status
  // write; entries a write reflects are observed in the latency histogram and
  // erased.
  PassStats ReconcileAll(const std::map<std::string, Gateway>& gateways,
                         const std::map<std::string, NodeView>& nodes,
                         std::map<std::string, absl::Time>& health_changes);

  // Drops what it remembers of its own writes (on a leadership change).
  void ForgetWrites() { written_.clear(); }

 private:
  struct Written {
    Gateway object;        // as the API returned it
    std::string based_on;  // the resourceVersion the write replaced
  };
  // Returns whether the Gateway ends up without an active endpoint of a wanted type.
  absl::Status ReconcileOne(const Gateway& cached, const std::map<std::string, NodeView>& nodes,
                            std::map<std::string, absl::Time>& health_changes, bool& wrote,
                            bool& without_endpoint);
  void AfterWrite(const Gateway& written, const GatewayOutcome& outcome,
                  const std::map<std::string, NodeView>& nodes,
                  std::map<std::string, absl::Time>& health_changes);

  StatusClient* const client_;
  EventRecorder* const events_;
  ControllerMetrics* const metrics_;
  kube::Clock* const clock_;
  const std::function<bool()> may_write_;
  std::map<std::string, Written> written_;
};

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_RECONCILER_H_
