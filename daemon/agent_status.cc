#include "daemon/agent_status.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace raven {

std::string AgentStatus::DataplaneProblem() const {
  absl::MutexLock lock(&mu_);
  return absl::StrJoin(snapshot_.dataplane_problems, "; ");
}

std::vector<std::string> AgentStatus::HealthProblems() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out = snapshot_.dataplane_problems;
  if (!snapshot_.source_problem.empty()) out.push_back(snapshot_.source_problem);
  if (!snapshot_.reconcile_error.empty()) {
    out.push_back("reconcile failing: " + snapshot_.reconcile_error);
  }
  return out;
}

std::vector<std::string> AgentStatus::Warnings() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const std::string& r : snapshot_.refused_prefixes) out.push_back("not routed: " + r);
  out.insert(out.end(), snapshot_.node_warnings.begin(), snapshot_.node_warnings.end());
  for (const auto& [gateway, why] : snapshot_.unreachable_gateways) {
    out.push_back(absl::StrCat("no path to Gateway ", gateway, ": ", why));
  }
  for (const auto& [peer, relay] : snapshot_.relayed_peers) {
    out.push_back("Gateway " + peer + " is reached through the NAT relay of Gateway " + relay +
                  " (both active gateways are behind NAT without a public address)");
  }
  for (const auto& [peer, address] : snapshot_.punched_peers) {
    out.push_back("Gateway " + peer + " is reached directly at " + address +
                  " through both NATs (hole punched; its NAT relay stands by)");
  }
  out.insert(out.end(), snapshot_.nat_relay_problems.begin(), snapshot_.nat_relay_problems.end());
  std::map<std::string, std::vector<std::string>> seen;  // relay -> "port P: address"
  for (const nat_relay::NatObservation& o : snapshot_.nat_observations) {
    seen[o.relay].push_back(absl::StrCat("port ", o.relay_port, " saw ", o.mapped.ToString()));
  }
  for (const auto& [relay, lines] : seen) {
    std::string behaviour = nat_relay::MappingBehaviour(snapshot_.nat_observations, relay);
    auto filtering = snapshot_.nat_filtering.find(relay);
    std::string type = nat_relay::NatType(
        behaviour, filtering != snapshot_.nat_filtering.end() ? filtering->second : "");
    out.push_back(absl::StrCat(
        "NAT mapping as relay ", relay, "'s ", absl::StrJoin(lines, ", "),
        behaviour.empty() ? "" : ": " + behaviour,
        filtering == snapshot_.nat_filtering.end() ? "" : "; filtering " + filtering->second,
        type.empty() ? "" : " (" + type + ")"));
  }
  out.insert(out.end(), snapshot_.rejected_gateways.begin(), snapshot_.rejected_gateways.end());
  return out;
}

std::string AgentStatus::NatType() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [relay, filtering] : snapshot_.nat_filtering) {
    std::string type = nat_relay::NatType(
        nat_relay::MappingBehaviour(snapshot_.nat_observations, relay), filtering);
    if (!type.empty()) return type;
  }
  return "";
}

}  // namespace raven
