// The few rtnetlink link operations the WireGuard backends need, in the
// network namespace of the calling thread.
#ifndef RAVEN_DAEMON_WIREGUARD_LINK_OPS_H_
#define RAVEN_DAEMON_WIREGUARD_LINK_OPS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace raven::wg {

// The IFLA_INFO_KIND of link `name` ("wireguard", "tun", ...; "" for links
// without one), or nullopt when there is no such link.
absl::StatusOr<std::optional<std::string>> LinkKind(const std::string& name);

// RTM_NEWLINK with NLM_F_CREATE | NLM_F_EXCL. The status keeps the kernel's
// errno: EOPNOTSUPP (unknown kind) → Unimplemented, EEXIST → AlreadyExists.
absl::Status CreateLink(const std::string& name, const std::string& kind);

// RTM_DELLINK; a missing link is NotFound.
absl::Status DeleteLink(const std::string& name);

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_LINK_OPS_H_
