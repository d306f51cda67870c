// Who owns a prefix when several Gateways claim overlapping ones (the same
// prefix, or one nested in another): claims are taken in the caller's order of
// precedence, and a claim that overlaps a prefix already granted to another
// owner is refused. Overlaps within one owner are fine (they go to the same
// place). The controller and the agents use it with the same precedence
// (incumbent first, then the older Gateway, then the name), so that an
// established pool keeps its traffic when a newcomer claims its prefixes.
#ifndef RAVEN_COMMON_PREFIX_CLAIMS_H_
#define RAVEN_COMMON_PREFIX_CLAIMS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/ip_prefix.h"

namespace raven {

struct PrefixClaim {
  IpPrefix prefix;
  std::string owner;

  bool operator==(const PrefixClaim&) const = default;
};

struct RefusedClaim {
  PrefixClaim claim;
  PrefixClaim holder;  // the granted claim it overlaps
};

class PrefixClaims {
 public:
  // Grants `claim` unless it overlaps a prefix granted to another owner.
  // Returns that prefix's claim when refused.
  std::optional<PrefixClaim> Claim(const PrefixClaim& claim);

  const std::map<IpPrefix, std::string>& granted() const { return granted_; }

 private:
  std::map<IpPrefix, std::string> granted_;  // by address, then length
};

}  // namespace raven

#endif  // RAVEN_COMMON_PREFIX_CLAIMS_H_
