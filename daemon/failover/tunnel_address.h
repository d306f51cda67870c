// Each node's address on its WireGuard device: an IPv6 link-local address
// made from its public key, in every peer's AllowedIPs on the other ends. It
// carries the gateways' echo requests through the sessions themselves
// (liveness.h), so they take whatever path the session takes (direct, hole
// punched, relayed) and WireGuard authenticates their source.
#ifndef RAVEN_DAEMON_FAILOVER_TUNNEL_ADDRESS_H_
#define RAVEN_DAEMON_FAILOVER_TUNNEL_ADDRESS_H_

#include "common/ip_prefix.h"
#include "common/wg_key.h"

namespace raven::failover {

// fe80::/64 with the key's first 8 bytes as the interface identifier.
IpAddress TunnelAddress(const wg::Key& key);
inline constexpr int kTunnelAddressPrefixLength = 64;

}  // namespace raven::failover

#endif  // RAVEN_DAEMON_FAILOVER_TUNNEL_ADDRESS_H_
