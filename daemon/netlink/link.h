// Network interfaces (links) of the calling thread's network namespace.
#ifndef RAVEN_DAEMON_NETLINK_LINK_H_
#define RAVEN_DAEMON_NETLINK_LINK_H_

#include <linux/netlink.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::nl {

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  int mtu = 0;
  bool up = false;        // administratively up (IFF_UP)
  std::string kind;       // IFLA_INFO_KIND ("veth", "vxlan"...), "" for none (lo, physical NICs)
  std::string mac;        // link-layer address as "aa:bb:cc:dd:ee:ff", "" if the link has none
  bool ethernet = false;  // ARPHRD_ETHER: frames carry an Ethernet header (not tun, ipip, wg)
};

// Each call opens its own rtnetlink socket, so it acts on the network
// namespace of the calling thread. A missing link is NotFound; a name that no
// link could have (empty, too long) is InvalidArgument.
absl::StatusOr<int> IfIndex(const std::string& name);
absl::StatusOr<LinkInfo> GetLink(const std::string& name);
absl::StatusOr<LinkInfo> GetLinkByIndex(int ifindex);
absl::StatusOr<std::vector<LinkInfo>> ListLinks();
// The IFLA_INFO_KIND of link `name` ("wireguard", "tun"...; "" for links
// without one), or nullopt when there is no such link.
absl::StatusOr<std::optional<std::string>> LinkKind(const std::string& name);

// A new link of `kind` with the kernel's defaults for it (RTM_NEWLINK,
// NLM_F_CREATE | NLM_F_EXCL). A kind the kernel does not know is
// Unimplemented (EOPNOTSUPP); an existing link of that name AlreadyExists.
absl::Status CreateLink(const std::string& name, const std::string& kind);
absl::Status SetMtu(const std::string& name, int mtu);
absl::Status SetLinkUp(const std::string& name);
absl::Status DeleteLink(const std::string& name);

// Decodes an RTM_NEWLINK/RTM_DELLINK message (a reply or a notification).
absl::StatusOr<LinkInfo> ParseLinkMessage(const nlmsghdr& nlh);

// InvalidArgument unless `name` could name a link (1 to IFNAMSIZ-1 bytes, no '/').
absl::Status ValidateLinkName(absl::string_view name);

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_LINK_H_
