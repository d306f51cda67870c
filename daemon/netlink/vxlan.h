// The agent's VXLAN device in external (collect-metadata) mode: BPF sets the
// tunnel key per packet, so the device carries no VNI, remote or FDB of its own.
#ifndef RAVEN_DAEMON_NETLINK_VXLAN_H_
#define RAVEN_DAEMON_NETLINK_VXLAN_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"

namespace raven::nl {

struct VxlanConfig {
  std::string name;
  uint16_t port = 4472;  // UDP destination (and listening) port
  int mtu = 0;           // 0 leaves the kernel's default
  // Accept zero UDP checksums over IPv6 (IFLA_VXLAN_UDP_ZERO_CSUM6_RX).
  bool ipv6_underlay = false;
};

// Makes `config.name` an up VXLAN device with collect_metadata on, learning
// off and the given port, in the calling thread's network namespace.
// Idempotent: a matching device keeps its ifindex (only MTU and up are
// fixed); a link of that name that differs in anything the kernel cannot
// change in place (kind, port, metadata mode, learning, IPv6 checksum) is
// deleted and recreated, and the reason logged.
absl::Status EnsureVxlanExternal(const VxlanConfig& config);

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_VXLAN_H_
