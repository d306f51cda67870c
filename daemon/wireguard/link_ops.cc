#include "daemon/wireguard/link_ops.h"

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/wireguard/netlink_socket.h"

namespace raven::wg {
namespace {

absl::Status CheckName(const std::string& name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return absl::InvalidArgumentError(
        absl::StrCat("interface name \"", name, "\" must be 1-", IFNAMSIZ - 1, " characters"));
  }
  return absl::OkStatus();
}

// A link request addressed by name.
nlmsghdr* PutLinkHeader(NetlinkMessage& msg, uint16_t type, uint16_t flags,
                        const std::string& name) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(msg.header());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = NLM_F_REQUEST | flags;
  auto* ifi = static_cast<ifinfomsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  return nlh;
}

}  // namespace

absl::StatusOr<std::optional<std::string>> LinkKind(const std::string& name) {
  RETURN_IF_ERROR(CheckName(name));
  ASSIGN_OR_RETURN(NetlinkSocket socket, NetlinkSocket::Open(NETLINK_ROUTE));
  NetlinkMessage msg(MNL_SOCKET_BUFFER_SIZE);
  PutLinkHeader(msg, RTM_GETLINK, NLM_F_ACK, name);
  std::string kind;
  auto on_link = [&kind](const nlmsghdr* nlh) {
    return ForEachAttribute(nlh, sizeof(ifinfomsg), [&kind](const nlattr* attr) {
      if (mnl_attr_get_type(attr) != IFLA_LINKINFO) return absl::OkStatus();
      return ForEachNested(attr, [&kind](const nlattr* info) {
        if (mnl_attr_get_type(info) == IFLA_INFO_KIND &&
            mnl_attr_validate(info, MNL_TYPE_NUL_STRING) == 0) {
          kind = mnl_attr_get_str(info);
        }
        return absl::OkStatus();
      });
    });
  };
  absl::Status status = socket.Transact(msg, on_link, absl::StrCat("get link ", name));
  if (absl::IsNotFound(status)) return std::nullopt;  // ENODEV
  RETURN_IF_ERROR(status);
  return kind;
}

absl::Status CreateLink(const std::string& name, const std::string& kind) {
  RETURN_IF_ERROR(CheckName(name));
  ASSIGN_OR_RETURN(NetlinkSocket socket, NetlinkSocket::Open(NETLINK_ROUTE));
  NetlinkMessage msg(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = PutLinkHeader(msg, RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, name);
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind.c_str());
  mnl_attr_nest_end(nlh, linkinfo);
  return socket.Transact(msg, nullptr, absl::StrCat("create ", kind, " link ", name));
}

absl::Status DeleteLink(const std::string& name) {
  RETURN_IF_ERROR(CheckName(name));
  ASSIGN_OR_RETURN(NetlinkSocket socket, NetlinkSocket::Open(NETLINK_ROUTE));
  NetlinkMessage msg(MNL_SOCKET_BUFFER_SIZE);
  PutLinkHeader(msg, RTM_DELLINK, NLM_F_ACK, name);
  return socket.Transact(msg, nullptr, absl::StrCat("delete link ", name));
}

}  // namespace raven::wg
