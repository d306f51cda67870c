#include "controller/controller_metrics.h"

namespace raven::controller {

ControllerMetrics::ControllerMetrics(metrics::Registry& r)
    : elections(r.AddCounter("raven_controller_elections_total",
                             "Gateway endpoints elected active (one per node becoming active).")
                    .Get()),
      failovers(r.AddCounter("raven_controller_failovers_total",
                             "Active endpoints lost and replaced by another candidate in the "
                             "same status write.")
                    .Get()),
      health_change_to_status_write(
          r.AddHistogram("raven_controller_health_change_to_status_write_seconds",
                         "Time from a gateway candidate's health change (heartbeat Lease expiry, "
                         "NotReady, recovery) to the Gateway status write it caused.",
                         {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60})
              .Get()),
      reconcile_errors(r.AddCounter("raven_controller_reconcile_errors_total",
                                    "Gateway reconciliations that failed (status write errors).")
                           .Get()),
      gateways_without_active_endpoint(
          r.AddGauge("raven_controller_gateways_without_active_endpoint",
                     "Gateways wanting endpoints of a type (Replicas > 0) that have none active, "
                     "or whose spec is invalid.")
              .Get()),
      refused_prefixes(
          r.AddGauge("raven_controller_refused_prefixes",
                     "Pod CIDRs of Gateway members left out of the Gateway's status because "
                     "another Gateway holds them or an overlapping prefix (PrefixConflict).")
              .Get()),
      is_leader(
          r.AddGauge("raven_controller_is_leader", "1 while this replica is the leader, else 0.")
              .Get()),
      status_writes(
          r.AddCounter("raven_controller_status_writes_total", "Successful Gateway status writes.")
              .Get()),
      reconcile_passes(r.AddCounter("raven_controller_reconcile_passes_total",
                                    "Reconcile passes over all Gateways run as the leader.")
                           .Get()),
      reconcile_pass_seconds(
          r.AddHistogram(
               "raven_controller_reconcile_pass_seconds",
               "Duration of one reconcile pass over all Gateways (status writes included).",
               {0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30})
              .Get()) {}

}  // namespace raven::controller
