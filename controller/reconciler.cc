#include "controller/reconciler.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/kube/api_error.h"
#include "common/logging.h"

namespace raven::controller {
namespace {

// "tunnel/a1" → {"tunnel", "a1"}.
std::pair<std::string, std::string> SplitEntry(const std::string& entry) {
  size_t slash = entry.find('/');
  return {entry.substr(0, slash), entry.substr(slash + 1)};
}

}  // namespace

Reconciler::Reconciler(StatusClient* client, EventRecorder* events, ControllerMetrics* metrics,
                       kube::Clock* clock, std::function<bool()> may_write)
    : client_(client),
      events_(events),
      metrics_(metrics),
      clock_(clock),
      may_write_(std::move(may_write)) {}

PassStats Reconciler::ReconcileAll(const std::map<std::string, Gateway>& gateways,
                                   const std::map<std::string, NodeView>& nodes,
                                   std::map<std::string, absl::Time>& health_changes) {
  PassStats stats;
  for (auto it = written_.begin(); it != written_.end();) {
    it = gateways.count(it->first) ? std::next(it) : written_.erase(it);
  }
  std::map<std::string, std::map<std::string, NodeView>> by_gateway =
      NodesByGateway(gateways, nodes);
  for (const auto& [name, gateway] : gateways) {
    ++stats.gateways;
    const std::map<std::string, NodeView>& view = by_gateway[name];
    bool wrote = false, without = false;
    absl::Status st = ReconcileOne(gateway, view, health_changes, wrote, without);
    if (wrote) ++stats.writes;
    if (without) ++stats.without_active_endpoint;
    if (!st.ok()) {
      ++stats.errors;
      if (metrics_) metrics_->reconcile_errors.Inc();
      RAVEN_LOG(kWarning, "gateway/", name, ": ", st.message());
    }
  }
  if (metrics_) {
    metrics_->gateways_without_active_endpoint.Set(stats.without_active_endpoint);
    metrics_->reconcile_passes.Inc();
  }
  return stats;
}

absl::Status Reconciler::ReconcileOne(const Gateway& cached,
                                      const std::map<std::string, NodeView>& nodes,
                                      std::map<std::string, absl::Time>& health_changes,
                                      bool& wrote, bool& without_endpoint) {
  const Gateway* current = &cached;
  auto w = written_.find(cached.name);
  if (w != written_.end()) {
    if (w->second.based_on == cached.resource_version) {
      current = &w->second.object;  // the informer has not seen our write yet
    } else {
      written_.erase(w);  // caught up, or someone else wrote since
      w = written_.end();
    }
  }
  const absl::Time now = clock_->Now();
  GatewayOutcome outcome = ComputeOutcome(*current, nodes, now);
  auto lacks_endpoint = [](const GatewayOutcome& o) {
    return !o.validation.ok() ? o.status.active_endpoints.empty()
                              : !o.election.without_endpoint.empty();
  };
  without_endpoint = lacks_endpoint(outcome);
  for (const std::string& skipped : outcome.election.skipped_members) {
    RAVEN_LOG(kDebug, "gateway/", cached.name, ": member ", skipped,
              " has no InternalIP; left out of status.nodes");
  }
  if (!outcome.changed) return absl::OkStatus();
  if (!may_write_()) return absl::OkStatus();  // a standby or a leader that lost its lease

  Gateway desired = *current;
  desired.status = outcome.status;
  std::string based_on = current->resource_version;
  absl::StatusOr<Gateway> result = client_->UpdateStatus(desired);
  if (kube::IsConflict(result.status())) {
    // Someone (an old leader, a user) wrote since our copy: elect again on
    // the fresh object, inside the retry loop.
    bool mutated = false;
    result = client_->UpdateStatusWithRetry(cached.name, [&](Gateway& fresh) -> absl::Status {
      if (!may_write_()) return absl::FailedPreconditionError("no longer the leader");
      based_on = fresh.resource_version;
      outcome = ComputeOutcome(fresh, nodes, clock_->Now());
      fresh.status = outcome.status;
      mutated = outcome.changed;
      return absl::OkStatus();
    });
    if (result.ok() && !mutated) {
      without_endpoint = lacks_endpoint(outcome);
      return absl::OkStatus();  // the fresh object already had it
    }
  }
  if (absl::IsNotFound(result.status())) return absl::OkStatus();            // deleted meanwhile
  if (absl::IsFailedPrecondition(result.status())) return absl::OkStatus();  // stepped down
  if (!result.ok()) return result.status();
  without_endpoint = lacks_endpoint(outcome);
  wrote = true;
  written_[cached.name] = Written{*result, based_on};
  AfterWrite(*result, outcome, nodes, health_changes);
  return absl::OkStatus();
}

void Reconciler::AfterWrite(const Gateway& written, const GatewayOutcome& outcome,
                            const std::map<std::string, NodeView>& nodes,
                            std::map<std::string, absl::Time>& health_changes) {
  if (metrics_) metrics_->status_writes.Inc();
  if (!outcome.validation.ok()) {
    if (events_) {
      events_->Record(written, kube::kEventTypeWarning, kEventInvalidGateway,
                      absl::StrCat("spec rejected, not acted on: ", outcome.validation.message()));
    }
    return;
  }
  // Metrics first (cheap, and exact as soon as the write returned), then
  // the Events (API calls).
  const ElectionResult& e = outcome.election;
  std::set<std::string> involved, lost_types, elected_types;
  for (const std::string& entry : e.elected) {
    auto [type, node] = SplitEntry(entry);
    involved.insert(node);
    elected_types.insert(type);
  }
  for (const std::string& entry : e.lost) {
    auto [type, node] = SplitEntry(entry);
    involved.insert(node);
    lost_types.insert(type);
  }
  if (metrics_) {
    metrics_->elections.Inc(static_cast<double>(e.elected.size()));
    for (const std::string& type : lost_types) {
      if (elected_types.count(type)) metrics_->failovers.Inc();
    }
    // Latency from the earliest health change this write reflects.
    std::optional<absl::Time> earliest;
    for (const std::string& node : involved) {
      auto it = health_changes.find(node);
      if (it == health_changes.end()) continue;
      if (!earliest || it->second < *earliest) earliest = it->second;
    }
    if (earliest) {
      metrics_->health_change_to_status_write.Observe(
          absl::ToDoubleSeconds(clock_->MonotonicNow() - *earliest));
    }
  }
  for (const std::string& node : involved) health_changes.erase(node);
  if (!events_) return;
  for (const std::string& entry : e.elected) {
    auto [type, node] = SplitEntry(entry);
    events_->Record(written, kube::kEventTypeNormal, kEventElected,
                    absl::StrCat("node ", node, " elected as an active ", type, " endpoint"));
  }
  for (const std::string& entry : e.lost) {
    auto [type, node] = SplitEntry(entry);
    std::string why = UnhealthyReason(written, node, nodes);
    events_->Record(written, kube::kEventTypeNormal, kEventLost,
                    absl::StrCat("node ", node, " is no longer an active ", type, " endpoint (",
                                 why.empty() ? "no longer a candidate" : why, ")"));
  }
  if (!e.without_endpoint.empty()) {
    const GatewayCondition* ready = FindCondition(written.status, kConditionReady);
    events_->Record(written, kube::kEventTypeWarning, kEventNoActiveEndpoint,
                    ready ? ready->message : "no healthy endpoint");
  }
}

}  // namespace raven::controller
