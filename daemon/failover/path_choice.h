// Which path each pair with a direct path takes: direct, or a detour through
// the NAT relay of a third Gateway (desired_dataplane.h: detour_relays).
// Every gateway decides for its own pairs from what it measures and what the
// other gateways publish (shared link state), so a broken path is left
// without the controller or the API server:
//   - the direct path's cost is what this gateway's direct probes measure
//     (nat_relay/direct_prober.h);
//   - a detour's is the cost to the relay's gateway (this gateway's echoes)
//     plus the relay's own direct cost to the peer (its status.paths entry,
//     Direct or HolePunched only: a relay forwards straight to the peer).
// A relay forwards to the peer's registered address and never detours what
// it forwards, so a path has at most one relay and no view of the link state,
// however stale or different from the other end's, can make a loop. The two
// ends may choose differently for a while; WireGuard answers along the path
// the last packet came, and either path delivers.
//
// Hysteresis: a dead direct path (proven before, now unanswered) is left at
// once; otherwise the pair moves to a detour only when it is cheaper than the
// direct path by `better_share` and by `better_by`, and back to the direct
// path when the detour is no longer cheaper by half of both (a band between
// the two thresholds, where nothing moves), for `hold` and `hold_back` on end
// (longer: a path that just came back has little loss history yet). A detour
// whose relay's leg fails is left at once.
#ifndef RAVEN_DAEMON_FAILOVER_PATH_CHOICE_H_
#define RAVEN_DAEMON_FAILOVER_PATH_CHOICE_H_

#include <map>
#include <optional>
#include <string>

#include "absl/time/time.h"

namespace raven::failover {

// Costs are liveness.h's LinkCost.
struct PairCosts {
  std::optional<absl::Duration> direct;  // none: not proven (now)
  // Each detour relay and its cost, none when a leg is unknown or down.
  std::map<std::string, std::optional<absl::Duration>> detours;
};

struct PathChoiceOptions {
  double better_share = 0.1;
  absl::Duration better_by = absl::Milliseconds(5);
  absl::Duration hold = absl::Seconds(1);
  absl::Duration hold_back = absl::Seconds(3);  // back to the direct path
};

class PathChoice {
 public:
  explicit PathChoice(PathChoiceOptions options = {}) : options_(options) {}

  // The costs of every pair that can detour, by remote Gateway, at `now`
  // (monotonic); pairs left out are forgotten. True when a choice changed.
  bool Update(const std::map<std::string, PairCosts>& pairs, absl::Time now);
  // The pairs that detour, and through which relay.
  std::map<std::string, std::string> Detours() const;
  // Why the last Update moved each pair it moved, for the log.
  const std::map<std::string, std::string>& reasons() const { return reasons_; }

 private:
  struct State {
    std::string relay;  // "" direct
    bool direct_proven = false;
    std::optional<std::string> wanted;  // the path that has been better since `since`
    absl::Time since;
  };
  // Moves to `to` once it has been wanted for `hold`.
  bool Want(State& state, const std::string& to, absl::Time now, absl::Duration hold);

  const PathChoiceOptions options_;
  std::map<std::string, State> states_;
  std::map<std::string, std::string> reasons_;
};

}  // namespace raven::failover

#endif  // RAVEN_DAEMON_FAILOVER_PATH_CHOICE_H_
