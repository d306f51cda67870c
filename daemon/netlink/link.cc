#include "daemon/netlink/link.h"

#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "daemon/netlink/attr.h"
#include "daemon/netlink/socket.h"

namespace raven::nl {
namespace {

std::string FormatMac(absl::Span<const uint8_t> bytes) {
  return absl::StrJoin(
      bytes, ":", [](std::string* out, uint8_t byte) { absl::StrAppendFormat(out, "%02x", byte); });
}

// Sends an RTM_GETLINK for one link, by name or (if `name` is empty) by index.
absl::StatusOr<LinkInfo> QueryLink(const std::string& name, int ifindex) {
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_GETLINK, 0);
  auto* ifi = request.PutHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  if (!name.empty()) mnl_attr_put_strz(request.nlh(), IFLA_IFNAME, name.c_str());
  mnl_attr_put_u32(request.nlh(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

  std::string what =
      name.empty() ? absl::StrCat("get link #", ifindex) : absl::StrCat("get link ", name);
  absl::StatusOr<LinkInfo> link = absl::NotFoundError(absl::StrCat(what, ": no reply"));
  RETURN_IF_ERROR(socket.Transact(request, what, [&](const nlmsghdr& nlh) {
    if (nlh.nlmsg_type == RTM_NEWLINK) link = ParseLinkMessage(nlh);
    return absl::OkStatus();
  }));
  return link;
}

}  // namespace

absl::Status ValidateLinkName(absl::string_view name) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('/') != absl::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid link name \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<LinkInfo> ParseLinkMessage(const nlmsghdr& nlh) {
  if (nlh.nlmsg_len < mnl_nlmsg_size(sizeof(ifinfomsg))) {
    return absl::InternalError("truncated link message");
  }
  const auto* ifi = static_cast<const ifinfomsg*>(mnl_nlmsg_get_payload(&nlh));
  Attrs attrs = Attrs::OfMessage(nlh, sizeof(ifinfomsg));
  LinkInfo link;
  link.ifindex = ifi->ifi_index;
  link.up = (ifi->ifi_flags & IFF_UP) != 0;
  link.ethernet = ifi->ifi_type == ARPHRD_ETHER;
  link.name = attrs.String(IFLA_IFNAME).value_or("");
  if (link.name.empty()) {
    return absl::InternalError(absl::StrCat("link #", link.ifindex, ": message without a name"));
  }
  link.mtu = static_cast<int>(attrs.U32(IFLA_MTU).value_or(0));
  link.mac = FormatMac(attrs.Bytes(IFLA_ADDRESS));
  link.kind = Attrs::OfNest(attrs.Get(IFLA_LINKINFO)).String(IFLA_INFO_KIND).value_or("");
  return link;
}

absl::StatusOr<LinkInfo> GetLink(const std::string& name) {
  RETURN_IF_ERROR(ValidateLinkName(name));
  return QueryLink(name, 0);
}

absl::StatusOr<LinkInfo> GetLinkByIndex(int ifindex) {
  if (ifindex <= 0) return absl::InvalidArgumentError(absl::StrCat("invalid ifindex ", ifindex));
  return QueryLink("", ifindex);
}

absl::StatusOr<int> IfIndex(const std::string& name) {
  ASSIGN_OR_RETURN(LinkInfo link, GetLink(name));
  return link.ifindex;
}

absl::StatusOr<std::vector<LinkInfo>> ListLinks() {
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_GETLINK, NLM_F_DUMP);
  request.PutHeader<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_u32(request.nlh(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  std::vector<LinkInfo> links;
  RETURN_IF_ERROR(socket.Dump(
      request, "list links", [&links] { links.clear(); },
      [&links](const nlmsghdr& nlh) -> absl::Status {
        if (nlh.nlmsg_type != RTM_NEWLINK) return absl::OkStatus();
        ASSIGN_OR_RETURN(LinkInfo link, ParseLinkMessage(nlh));
        links.push_back(std::move(link));
        return absl::OkStatus();
      }));
  return links;
}

absl::StatusOr<std::optional<std::string>> LinkKind(const std::string& name) {
  absl::StatusOr<LinkInfo> link = GetLink(name);
  if (absl::IsNotFound(link.status())) return std::nullopt;
  RETURN_IF_ERROR(link.status());
  return std::move(link->kind);
}

absl::Status CreateLink(const std::string& name, const std::string& kind) {
  RETURN_IF_ERROR(ValidateLinkName(name));
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  request.PutHeader<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(request.nlh(), IFLA_IFNAME, name.c_str());
  nlattr* linkinfo = mnl_attr_nest_start(request.nlh(), IFLA_LINKINFO);
  mnl_attr_put_strz(request.nlh(), IFLA_INFO_KIND, kind.c_str());
  mnl_attr_nest_end(request.nlh(), linkinfo);
  return socket.Transact(request, absl::StrCat("create ", kind, " link ", name));
}

absl::Status SetMtu(const std::string& name, int mtu) {
  RETURN_IF_ERROR(ValidateLinkName(name));
  if (mtu <= 0) return absl::InvalidArgumentError(absl::StrCat("invalid MTU ", mtu));
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_SETLINK, 0);
  request.PutHeader<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(request.nlh(), IFLA_IFNAME, name.c_str());
  mnl_attr_put_u32(request.nlh(), IFLA_MTU, static_cast<uint32_t>(mtu));
  return socket.Transact(request, absl::StrCat("set MTU of ", name, " to ", mtu));
}

absl::Status SetLinkUp(const std::string& name) {
  RETURN_IF_ERROR(ValidateLinkName(name));
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_SETLINK, 0);
  auto* ifi = request.PutHeader<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_change = IFF_UP;
  ifi->ifi_flags = IFF_UP;
  mnl_attr_put_strz(request.nlh(), IFLA_IFNAME, name.c_str());
  return socket.Transact(request, absl::StrCat("set ", name, " up"));
}

absl::Status DeleteLink(const std::string& name) {
  RETURN_IF_ERROR(ValidateLinkName(name));
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_DELLINK, 0);
  request.PutHeader<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(request.nlh(), IFLA_IFNAME, name.c_str());
  return socket.Transact(request, absl::StrCat("delete link ", name));
}

}  // namespace raven::nl
