#include "daemon/netlink/vxlan.h"

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/netlink/attr.h"
#include "daemon/netlink/link.h"
#include "daemon/netlink/socket.h"

namespace raven::nl {
namespace {

// What an existing link of the wanted name looks like.
struct ExistingLink {
  LinkInfo link;
  // Read from IFLA_INFO_DATA; meaningful only when link.kind == "vxlan".
  bool collect_metadata = false;
  uint16_t port = 0;
  bool learning = true;
  bool udp_zero_csum6_rx = false;
};

// The link named `name`, or nullopt if there is none.
absl::StatusOr<std::optional<ExistingLink>> Inspect(const std::string& name) {
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_GETLINK, 0);
  request.PutHeader<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(request.nlh(), IFLA_IFNAME, name.c_str());
  mnl_attr_put_u32(request.nlh(), IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

  std::optional<ExistingLink> existing;
  absl::Status status = socket.Transact(
      request, absl::StrCat("get link ", name), [&](const nlmsghdr& nlh) -> absl::Status {
        if (nlh.nlmsg_type != RTM_NEWLINK) return absl::OkStatus();
        ExistingLink found;
        ASSIGN_OR_RETURN(found.link, ParseLinkMessage(nlh));
        Attrs info = Attrs::OfNest(Attrs::OfMessage(nlh, sizeof(ifinfomsg)).Get(IFLA_LINKINFO));
        Attrs data = Attrs::OfNest(info.Get(IFLA_INFO_DATA));
        found.collect_metadata = data.U8(IFLA_VXLAN_COLLECT_METADATA).value_or(0) != 0;
        found.port = ntohs(data.U16(IFLA_VXLAN_PORT).value_or(0));
        found.learning = data.U8(IFLA_VXLAN_LEARNING).value_or(1) != 0;
        found.udp_zero_csum6_rx = data.U8(IFLA_VXLAN_UDP_ZERO_CSUM6_RX).value_or(0) != 0;
        existing = std::move(found);
        return absl::OkStatus();
      });
  if (absl::IsNotFound(status)) return std::nullopt;
  RETURN_IF_ERROR(status);
  return existing;
}

const char* OnOff(bool on) { return on ? "on" : "off"; }

// Why `existing` cannot serve as the device `config` asks for; "" if it can.
std::string Mismatch(const ExistingLink& existing, const VxlanConfig& config) {
  if (existing.link.kind != "vxlan") {
    return absl::StrCat("kind is \"", existing.link.kind, "\", not vxlan");
  }
  std::vector<std::string> reasons;
  if (!existing.collect_metadata) reasons.push_back("not in external (collect_metadata) mode");
  if (existing.port != config.port) {
    reasons.push_back(absl::StrCat("port ", existing.port, ", want ", config.port));
  }
  if (existing.learning) reasons.push_back("learning on");
  if (existing.udp_zero_csum6_rx != config.ipv6_underlay) {
    reasons.push_back(absl::StrCat("udp_zero_csum6_rx ", OnOff(existing.udp_zero_csum6_rx),
                                   ", want ", OnOff(config.ipv6_underlay)));
  }
  return absl::StrJoin(reasons, "; ");
}

absl::Status Create(const VxlanConfig& config) {
  ASSIGN_OR_RETURN(Socket socket, Socket::Open());
  Request request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
  nlmsghdr* nlh = request.nlh();
  request.PutHeader<ifinfomsg>()->ifi_family = AF_UNSPEC;
  mnl_attr_put_strz(nlh, IFLA_IFNAME, config.name.c_str());
  if (config.mtu > 0) mnl_attr_put_u32(nlh, IFLA_MTU, static_cast<uint32_t>(config.mtu));
  nlattr* linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vxlan");
  nlattr* data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  mnl_attr_put_u8(nlh, IFLA_VXLAN_COLLECT_METADATA, 1);
  mnl_attr_put_u16(nlh, IFLA_VXLAN_PORT, htons(config.port));
  mnl_attr_put_u8(nlh, IFLA_VXLAN_LEARNING, 0);
  if (config.ipv6_underlay) mnl_attr_put_u8(nlh, IFLA_VXLAN_UDP_ZERO_CSUM6_RX, 1);
  mnl_attr_nest_end(nlh, data);
  mnl_attr_nest_end(nlh, linkinfo);
  return socket.Transact(request, absl::StrCat("create vxlan ", config.name));
}

}  // namespace

absl::Status EnsureVxlanExternal(const VxlanConfig& config) {
  RETURN_IF_ERROR(ValidateLinkName(config.name));
  if (config.port == 0) return absl::InvalidArgumentError("vxlan port must not be 0");
  if (config.mtu < 0) return absl::InvalidArgumentError(absl::StrCat("invalid MTU ", config.mtu));

  ASSIGN_OR_RETURN(std::optional<ExistingLink> existing, Inspect(config.name));
  if (existing.has_value()) {
    std::string mismatch = Mismatch(*existing, config);
    if (!mismatch.empty()) {
      RAVEN_LOG(kWarning, "recreating ", config.name, ": ", mismatch);
      RETURN_IF_ERROR(DeleteLink(config.name));
      existing.reset();
    }
  }
  if (!existing.has_value()) {
    RETURN_IF_ERROR(Create(config));
    RAVEN_LOG(kInfo, "created vxlan ", config.name, " (external, port ", config.port, ")");
  } else if (config.mtu > 0 && existing->link.mtu != config.mtu) {
    RETURN_IF_ERROR(SetMtu(config.name, config.mtu));
  }
  if (!existing.has_value() || !existing->link.up) RETURN_IF_ERROR(SetLinkUp(config.name));
  return absl::OkStatus();
}

}  // namespace raven::nl
