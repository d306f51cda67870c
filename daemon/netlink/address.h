// Interface addresses of the calling thread's network namespace.
#ifndef RAVEN_DAEMON_NETLINK_ADDRESS_H_
#define RAVEN_DAEMON_NETLINK_ADDRESS_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/ip_prefix.h"
#include "daemon/netlink/link.h"

namespace raven::nl {

struct InterfaceAddress {
  int ifindex = 0;
  IpAddress address;  // the local address (IFA_LOCAL, else IFA_ADDRESS)
  int prefix_length = 0;
};

// All addresses of all interfaces, or of one family only.
absl::StatusOr<std::vector<InterfaceAddress>> ListAddresses(
    std::optional<IpFamily> family = std::nullopt);

// The link that holds `address` as a local address: how the agent finds its
// uplink (name and MTU) from the node IP. NotFound if no link holds it.
absl::StatusOr<LinkInfo> LinkWithAddress(const IpAddress& address);

// Adds `address`/`prefix_length` to the interface unless it has it (IPv6
// without duplicate address detection, so that it is usable at once).
absl::Status EnsureAddress(int ifindex, const IpAddress& address, int prefix_length);

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_ADDRESS_H_
