#include "daemon/failover/path_choice.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace raven::failover {
namespace {

std::string Ms(absl::Duration d) {
  return absl::StrCat(absl::ToDoubleMilliseconds(absl::Trunc(d, absl::Microseconds(100))), " ms");
}

}  // namespace

bool PathChoice::Want(State& state, const std::string& to, absl::Time now, absl::Duration hold) {
  if (state.wanted != to) {
    state.wanted = to;
    state.since = now;
  }
  return now - state.since >= hold;
}

bool PathChoice::Update(const std::map<std::string, PairCosts>& pairs, absl::Time now) {
  reasons_.clear();
  std::erase_if(states_, [&](const auto& e) { return !pairs.contains(e.first); });
  // `a` is cheaper than `b` by `margin` of the margins.
  auto clearly_cheaper = [&](absl::Duration a, absl::Duration b, double margin = 1) {
    return a * (1 + margin * options_.better_share) < b && a + margin * options_.better_by < b;
  };
  for (const auto& [name, costs] : pairs) {
    const std::string& gateway = name;
    State& s = states_[gateway];
    if (costs.direct) s.direct_proven = true;
    std::optional<std::pair<std::string, absl::Duration>> best;
    for (const auto& [relay, cost] : costs.detours) {
      if (cost && (!best || *cost < best->second)) best.emplace(relay, *cost);
    }
    auto move = [&](const std::string& to, std::string why) {
      s.relay = to;
      s.wanted.reset();
      reasons_[gateway] = std::move(why);
    };
    if (s.relay.empty()) {
      if (!costs.direct) {
        // Only a path that answered before can be dead; before its first
        // answer the pair stays where the Gateways put it.
        if (s.direct_proven && best) {
          move(best->first, "the direct path stopped answering its probes");
        } else {
          s.wanted.reset();
        }
      } else if (best && clearly_cheaper(best->second, *costs.direct)) {
        if (Want(s, best->first, now, options_.hold)) {
          move(best->first, absl::StrCat("the direct path costs ", Ms(*costs.direct),
                                         ", the detour ", Ms(best->second)));
        }
      } else {
        s.wanted.reset();
      }
      continue;
    }
    auto current = costs.detours.find(s.relay);
    if (current == costs.detours.end() || !current->second) {
      if (costs.direct) {
        move("", "the detour's relay leg is down or unknown");
      } else if (best) {
        move(best->first, "the detour's relay leg is down or unknown");
      }
      continue;
    }
    if (costs.direct && !clearly_cheaper(*current->second, *costs.direct, 0.5)) {
      if (Want(s, "", now, options_.hold_back)) {
        move("", absl::StrCat("the direct path costs ", Ms(*costs.direct), " again, the detour ",
                              Ms(*current->second)));
      }
    } else if (best && best->first != s.relay && clearly_cheaper(best->second, *current->second)) {
      if (Want(s, best->first, now, options_.hold)) {
        move(best->first, absl::StrCat("the detour costs ", Ms(*current->second), ", another ",
                                       Ms(best->second)));
      }
    } else {
      s.wanted.reset();
    }
  }
  return !reasons_.empty();
}

std::map<std::string, std::string> PathChoice::Detours() const {
  std::map<std::string, std::string> out;
  for (const auto& [gateway, s] : states_) {
    if (!s.relay.empty()) out[gateway] = s.relay;
  }
  return out;
}

}  // namespace raven::failover
