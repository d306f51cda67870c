#include "controller/reconciler.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/kube/api_error.h"
#include "common/logging.h"
#include "controller/prefix_ownership.h"

namespace raven::controller {
namespace {

// "tunnel/a1" → {"tunnel", "a1"}.
std::pair<std::string, std::string> SplitEntry(const std::string& entry) {
  size_t slash = entry.find('/');
  return {entry.substr(0, slash), entry.substr(slash + 1)};
}

bool LacksEndpoint(const GatewayOutcome& o) {
  return !o.validation.ok() ? o.status.active_endpoints.empty()
                            : !o.election.without_endpoint.empty();
}

}  // namespace

int PassResult::writes() const {
  int n = 0;
  for (const auto& [name, r] : gateways) n += r.wrote;
  return n;
}

int PassResult::errors() const {
  int n = 0;
  for (const auto& [name, r] : gateways) n += !r.error.ok();
  return n;
}

Reconciler::Reconciler(StatusClient* client, EventRecorder* events, ControllerMetrics* metrics,
                       kube::Clock* clock, std::function<bool()> may_write)
    : client_(client),
      events_(events),
      metrics_(metrics),
      clock_(clock),
      may_write_(std::move(may_write)) {}

PassResult Reconciler::ReconcileAll(const std::map<std::string, kube::Gateway>& gateways,
                                    const std::map<std::string, NodeView>& nodes,
                                    const std::map<std::string, absl::Time>& health_changes,
                                    const std::map<std::string, IpAddress>& load_balancers) {
  PassResult pass;
  for (auto it = written_.begin(); it != written_.end();) {
    it = gateways.count(it->first) ? std::next(it) : written_.erase(it);
  }
  const std::optional<std::map<std::string, kube::Gateway>> restored = WithLastGoodStatus(gateways);
  const auto& basis = restored ? *restored : gateways;
  std::map<std::string, std::map<std::string, NodeView>> by_gateway = NodesByGateway(basis, nodes);
  std::map<std::string, std::vector<RefusedPrefix>> refused =
      ResolvePrefixOwnership(basis, by_gateway);
  int without = 0;
  size_t refused_total = 0;
  for (const auto& [name, gateway] : basis) {
    auto lb = load_balancers.find(name);
    GatewayResult r =
        ReconcileOne(gateway, by_gateway[name], refused[name], health_changes,
                     lb == load_balancers.end() ? std::nullopt : std::optional(lb->second));
    without += r.without_active_endpoint;
    refused_total += r.refused_prefixes;
    if (!r.error.ok()) {
      if (metrics_) metrics_->reconcile_errors.Inc();
      RAVEN_LOG(kWarning, "gateway/", name, ": ", r.error.message());
    }
    pass.gateways[name] = std::move(r);
  }
  if (metrics_) {
    metrics_->gateways_without_active_endpoint.Set(without);
    metrics_->refused_prefixes.Set(static_cast<double>(refused_total));
    metrics_->reconcile_passes.Inc();
  }
  return pass;
}

std::optional<std::map<std::string, kube::Gateway>> Reconciler::WithLastGoodStatus(
    const std::map<std::string, kube::Gateway>& gateways) {
  for (auto it = last_good_status_.begin(); it != last_good_status_.end();) {
    it = gateways.count(it->first) ? std::next(it) : last_good_status_.erase(it);
  }
  bool any_invalid = false;
  for (const auto& [name, gateway] : gateways) {
    if (!gateway.invalid_status.empty()) {
      any_invalid = true;
      continue;
    }
    kube::GatewayStatus& last = last_good_status_[name];
    if (!(last == gateway.status)) last = gateway.status;
  }
  if (!any_invalid) return std::nullopt;
  std::map<std::string, kube::Gateway> restored = gateways;
  for (auto& [name, gateway] : restored) RestoreStatus(gateway);
  return restored;
}

void Reconciler::RestoreStatus(kube::Gateway& gateway) const {
  if (gateway.invalid_status.empty()) return;
  auto it = last_good_status_.find(gateway.meta.name);
  if (it != last_good_status_.end()) gateway.status = it->second;
}

GatewayResult Reconciler::ReconcileOne(const kube::Gateway& cached,
                                       const std::map<std::string, NodeView>& nodes,
                                       const std::vector<RefusedPrefix>& refused,
                                       const std::map<std::string, absl::Time>& health_changes,
                                       const std::optional<IpAddress>& load_balancer) {
  GatewayResult result;
  const std::string& name = cached.meta.name;
  const kube::Gateway* current = &cached;
  auto w = written_.find(name);
  if (w != written_.end()) {
    if (w->second.based_on == cached.meta.resource_version) {
      current = &w->second.object;  // the informer has not seen our write yet
    } else {
      written_.erase(w);  // caught up, or someone else wrote since
    }
  }
  GatewayOutcome outcome = ComputeOutcome(*current, nodes, refused, clock_->Now(), load_balancer);
  result.without_active_endpoint = LacksEndpoint(outcome);
  result.refused_prefixes = outcome.refused.size();
  for (const std::string& problem : outcome.path_problems) {
    RAVEN_LOG(kDebug, "gateway/", name, ": paths not published: ", problem);
  }
  for (const std::string& skipped : outcome.election.skipped_members) {
    RAVEN_LOG(kDebug, "gateway/", name, ": member ", skipped,
              " has no InternalIP; left out of status.nodes");
  }
  if (!outcome.changed) {
    result.published = outcome.status;
    return result;
  }
  if (!may_write_()) return result;  // a standby or a leader that lost its lease

  kube::Gateway desired = *current;
  desired.status = outcome.status;
  std::string based_on = current->meta.resource_version;
  absl::StatusOr<kube::Gateway> written = client_->UpdateStatus(desired);
  if (kube::IsConflict(written.status())) {
    // Someone (an old leader, a user) wrote since our copy: elect again on
    // the fresh object, inside the retry loop.
    bool mutated = false;
    written = client_->UpdateStatusWithRetry(name, [&](kube::Gateway& fresh) -> absl::Status {
      if (!may_write_()) return absl::FailedPreconditionError("no longer the leader");
      based_on = fresh.meta.resource_version;
      RestoreStatus(fresh);
      outcome = ComputeOutcome(fresh, nodes, refused, clock_->Now(), load_balancer);
      fresh.status = outcome.status;
      mutated = outcome.changed;
      return absl::OkStatus();
    });
    result.without_active_endpoint = LacksEndpoint(outcome);
    if (written.ok() && !mutated) {  // the fresh object already had it
      result.published = written->status;
      return result;
    }
  }
  if (absl::IsNotFound(written.status())) return result;            // deleted meanwhile
  if (absl::IsFailedPrecondition(written.status())) return result;  // stepped down
  if (!written.ok()) {
    result.error = written.status();
    return result;
  }
  result.wrote = true;
  result.published = written->status;
  if (!current->invalid_status.empty()) {
    const std::string why = current->invalid_status.substr(0, kMaxMessageBytes);
    RAVEN_LOG(kWarning, "gateway/", name, ": status did not decode (", why, "); rewritten");
    if (events_) {
      events_->Record(*written, kube::kEventTypeWarning, kEventInvalidStatus,
                      absl::StrCat("status did not decode, rewritten: ", why));
    }
  }
  written_[name] = Written{*written, based_on};
  result.reflected = AfterWrite(*written, outcome, nodes, health_changes);
  return result;
}

std::vector<std::string> Reconciler::AfterWrite(
    const kube::Gateway& written, const GatewayOutcome& outcome,
    const std::map<std::string, NodeView>& nodes,
    const std::map<std::string, absl::Time>& health_changes) {
  if (metrics_) metrics_->status_writes.Inc();
  if (!outcome.validation.ok()) {
    if (events_) {
      events_->Record(written, kube::kEventTypeWarning, kEventInvalidGateway,
                      absl::StrCat("spec rejected, not acted on: ", outcome.validation.message()));
    }
    return {};
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
  std::vector<std::string> reflected;
  std::optional<absl::Time> earliest;
  for (const std::string& node : involved) {
    auto it = health_changes.find(node);
    if (it == health_changes.end()) continue;
    reflected.push_back(node);
    if (!earliest || it->second < *earliest) earliest = it->second;
  }
  if (metrics_) {
    metrics_->elections.Inc(static_cast<double>(e.elected.size()));
    for (const std::string& type : lost_types) {
      if (elected_types.count(type)) metrics_->failovers.Inc();
    }
    // Latency from the earliest health change this write reflects.
    if (earliest) {
      metrics_->health_change_to_status_write.Observe(
          absl::ToDoubleSeconds(clock_->MonotonicNow() - *earliest));
    }
  }
  if (!events_) return reflected;
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
  const kube::GatewayCondition* ready = FindCondition(written.status, kConditionReady);
  if (!e.without_endpoint.empty()) {
    events_->Record(written, kube::kEventTypeWarning, kEventNoActiveEndpoint,
                    ready ? ready->message : "no healthy endpoint");
  }
  if (!outcome.refused.empty()) {
    events_->Record(written, kube::kEventTypeWarning, kEventPrefixConflict,
                    PrefixConflictMessage(outcome.refused));
  }
  for (const PathChange& change : outcome.path_changes) {
    const bool none = change.now.path == kube::PathKind::kNone;
    events_->Record(written, none ? kube::kEventTypeWarning : kube::kEventTypeNormal,
                    none ? kEventNoPath : kEventPathChanged, PathChangeMessage(change));
  }
  return reflected;
}

}  // namespace raven::controller
