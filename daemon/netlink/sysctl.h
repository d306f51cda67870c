// Kernel parameters under /proc/sys. Network ones (net/...) belong to the
// network namespace of the calling thread.
#ifndef RAVEN_DAEMON_NETLINK_SYSCTL_H_
#define RAVEN_DAEMON_NETLINK_SYSCTL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace raven::nl {

// `path` is relative to /proc/sys, with '/' separators, e.g.
// "net/ipv4/conf/raven-wg0/rp_filter"; absolute paths and ".." are refused.
absl::Status WriteSysctl(const std::string& path, const std::string& value);
// The value without its trailing newline.
absl::StatusOr<std::string> ReadSysctl(const std::string& path);

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_SYSCTL_H_
