#include "daemon/tunnel_devices.h"

#include "absl/strings/str_cat.h"
#include "common/ip_prefix.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/failover/tunnel_address.h"
#include "daemon/netlink/address.h"
#include "daemon/netlink/link.h"
#include "daemon/netlink/sysctl.h"
#include "daemon/netlink/vxlan.h"

namespace raven {
namespace {

// Return traffic from remote pools arrives on these devices while the node
// has no route back through them (the BPF maps do that job), so strict
// reverse-path filtering would drop it. The effective value is
// max(all, device): a strict "all" cannot be relaxed per device.
absl::Status RelaxReversePathFilter(const std::string& device) {
  RETURN_IF_ERROR(nl::WriteSysctl(absl::StrCat("net/ipv4/conf/", device, "/rp_filter"), "0"));
  auto all = nl::ReadSysctl("net/ipv4/conf/all/rp_filter");
  if (all.ok() && !all->empty() && (*all)[0] == '1') {
    RAVEN_LOG(kWarning,
              "net.ipv4.conf.all.rp_filter=1 (strict) drops traffic from remote pools on ", device,
              "; set it to 0 or 2");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<UplinkInfo> FindUplink(const AgentConfig& config) {
  ASSIGN_OR_RETURN(IpAddress node_ip, IpAddress::Parse(config.node_ip));
  UplinkInfo out;
  out.ipv6 = node_ip.family == IpFamily::kV6;
  if (!config.uplink.empty()) {
    ASSIGN_OR_RETURN(nl::LinkInfo link, nl::GetLink(config.uplink));
    out.name = link.name;
    out.mtu = link.mtu;
    return out;
  }
  auto link = nl::LinkWithAddress(node_ip);
  if (!link.ok()) {
    return absl::NotFoundError(absl::StrCat("no interface holds node IP ", config.node_ip,
                                            " (set --uplink): ", link.status().message()));
  }
  out.name = link->name;
  out.mtu = link->mtu;
  return out;
}

absl::StatusOr<DataplaneDevices> EnsureTunnelDevices(const AgentConfig& config,
                                                     const UplinkInfo& uplink,
                                                     const wg::Key& private_key,
                                                     wg::WireGuardDevice& wireguard) {
  const int wg_mtu = uplink.mtu - kWireGuardOverhead;
  const int vxlan_mtu = uplink.mtu - (uplink.ipv6 ? kVxlanOverheadV6 : kVxlanOverheadV4);
  if (wg_mtu < 1280) {
    return absl::FailedPreconditionError(absl::StrCat("uplink ", uplink.name, " MTU ", uplink.mtu,
                                                      " leaves ", wg_mtu,
                                                      " for WireGuard; IPv6 needs at least 1280"));
  }

  RETURN_IF_ERROR(wireguard.Ensure(wg::DeviceConfig{config.wireguard_device, private_key,
                                                    config.wireguard_port, config.tunnel_mark}));
  RETURN_IF_ERROR(nl::SetMtu(config.wireguard_device, wg_mtu));
  RETURN_IF_ERROR(nl::SetLinkUp(config.wireguard_device));
  RETURN_IF_ERROR(RelaxReversePathFilter(config.wireguard_device));

  RETURN_IF_ERROR(nl::EnsureVxlanExternal(
      nl::VxlanConfig{config.vxlan_device, config.vxlan_port, vxlan_mtu, uplink.ipv6}));
  RETURN_IF_ERROR(RelaxReversePathFilter(config.vxlan_device));

  DataplaneDevices devices;
  ASSIGN_OR_RETURN(int wg_index, nl::IfIndex(config.wireguard_device));
  // The address the pool's liveness echoes go to through the sessions.
  ASSIGN_OR_RETURN(wg::Key public_key, wg::PublicKeyOf(private_key));
  if (absl::Status added = nl::EnsureAddress(wg_index, failover::TunnelAddress(public_key),
                                             failover::kTunnelAddressPrefixLength);
      !added.ok()) {
    RAVEN_LOG(kWarning, "no tunnel address on ", config.wireguard_device, " (", added.message(),
              "): remote pools' gateway failover waits for the controller");
  }
  ASSIGN_OR_RETURN(int vx_index, nl::IfIndex(config.vxlan_device));
  devices.wireguard_ifindex = static_cast<uint32_t>(wg_index);
  devices.vxlan_ifindex = static_cast<uint32_t>(vx_index);
  // Relayed packets go through both devices: the smaller budget wins.
  devices.path_mtu = static_cast<uint16_t>(std::min(wg_mtu, vxlan_mtu));
  return devices;
}

}  // namespace raven
