#include "common/prefix_claims.h"

namespace raven {

std::optional<PrefixClaim> PrefixClaims::Claim(const PrefixClaim& claim) {
  const IpPrefix& p = claim.prefix;
  // A granted prefix containing p: p truncated to each shorter length.
  for (int length = 0; length <= p.length; ++length) {
    auto it = granted_.find(p.Truncated(length));
    if (it != granted_.end() && it->second != claim.owner)
      return PrefixClaim{it->first, it->second};
  }
  // A granted prefix inside p: its address is in p's range, which starts at
  // p.address; map order puts them right after it.
  for (auto it = granted_.lower_bound(IpPrefix{p.address, p.length + 1});
       it != granted_.end() && p.Contains(it->first.address); ++it) {
    if (it->second != claim.owner) return PrefixClaim{it->first, it->second};
  }
  granted_.emplace(p, claim.owner);
  return std::nullopt;
}

}  // namespace raven
