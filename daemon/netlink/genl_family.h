// Generic netlink families: their ids are assigned at run time, so a client
// asks the controller ("nlctrl") for the id of a family by name.
#ifndef RAVEN_DAEMON_NETLINK_GENL_FAMILY_H_
#define RAVEN_DAEMON_NETLINK_GENL_FAMILY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/netlink/socket.h"

namespace raven::nl {

// The id of family `name`, asked on `socket` (Bus::kGeneric); NotFound when
// the kernel has no such family.
absl::StatusOr<uint16_t> ResolveGenlFamily(Socket& socket, const std::string& name);

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_GENL_FAMILY_H_
