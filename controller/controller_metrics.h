// raven-controller's Prometheus metrics (all prefixed raven_controller_):
//
//   elections_total                           counter   endpoints elected (a node becoming active)
//   failovers_total                           counter   a Gateway type whose active endpoint
//                                                       was lost and replaced in the same
//                                                       status write
//   health_change_to_status_write_seconds     histogram from a candidate's health change (Lease
//                                                       expiry instant, NotReady seen, Lease
//                                                       renewed again) to the status write it
//                                                       caused
//   reconcile_errors_total                    counter   failed status writes / passes
//   gateways_without_active_endpoint          gauge     Gateways with Replicas > 0 of a type and
//                                                       no active endpoint of it (or rejected)
//   refused_prefixes                          gauge     members' pod CIDRs left out of a Gateway's
//                                                       status: another Gateway holds them
//   is_leader                                 gauge     1 while this replica leads
//   status_writes_total                       counter   successful Gateway status writes
//   reconcile_passes_total                    counter   reconcile passes run as leader
//   reconcile_pass_seconds                    histogram duration of one pass (all Gateways)
#ifndef RAVEN_CONTROLLER_CONTROLLER_METRICS_H_
#define RAVEN_CONTROLLER_CONTROLLER_METRICS_H_

#include "common/metrics/registry.h"

namespace raven::controller {

struct ControllerMetrics {
  explicit ControllerMetrics(metrics::Registry& registry);

  metrics::Counter& elections;
  metrics::Counter& failovers;
  metrics::Histogram& health_change_to_status_write;
  metrics::Counter& reconcile_errors;
  metrics::Gauge& gateways_without_active_endpoint;
  metrics::Gauge& refused_prefixes;
  metrics::Gauge& is_leader;
  metrics::Counter& status_writes;
  metrics::Counter& reconcile_passes;
  metrics::Histogram& reconcile_pass_seconds;
};

}  // namespace raven::controller

#endif  // RAVEN_CONTROLLER_CONTROLLER_METRICS_H_
