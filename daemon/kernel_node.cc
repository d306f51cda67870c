#include "daemon/kernel_node.h"

#include <net/if.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace raven {

absl::StatusOr<std::unique_ptr<KernelNode>> KernelNode::Open(const AgentConfig& config,
                                                             UplinkInfo uplink,
                                                             const wg::Key& private_key,
                                                             const bpf::DataplanePrograms& programs,
                                                             wg::WireGuardDevice& wireguard) {
  ASSIGN_OR_RETURN(nl::LinkMonitor links, nl::LinkMonitor::Open());
  return std::unique_ptr<KernelNode>(new KernelNode(config, std::move(uplink), private_key,
                                                    programs, wireguard, std::move(links)));
}

KernelNode::KernelNode(const AgentConfig& config, UplinkInfo uplink, const wg::Key& private_key,
                       const bpf::DataplanePrograms& programs, wg::WireGuardDevice& wireguard,
                       nl::LinkMonitor links)
    : config_(config),
      uplink_(std::move(uplink)),
      private_key_(private_key),
      programs_(programs),
      wireguard_(wireguard),
      tc_(config.tc_state_file()),
      attacher_(AttachPlan{config.pod_interface_globs, config.egress_device_globs, uplink_.name,
                           config.vxlan_device},
                programs_, tc_),
      links_(std::move(links)) {}

absl::StatusOr<DataplaneDevices> KernelNode::Ensure() {
  ASSIGN_OR_RETURN(DataplaneDevices devices,
                   EnsureTunnelDevices(config_, uplink_, private_key_, wireguard_));
  RETURN_IF_ERROR(attacher_.AttachAll());
  return devices;
}

std::vector<std::string> KernelNode::Problems() {
  std::vector<std::string> problems;
  auto attached = [&](const std::string& ifname, bpf::TcDirection direction, int prog_fd,
                      const char* what) {
    absl::StatusOr<uint32_t> id = tc_.AttachedProgramId(ifname, direction);
    absl::StatusOr<uint32_t> want = bpf::ProgramId(prog_fd);
    if (!id.ok() || !want.ok() || *id != *want) {
      problems.push_back(absl::StrCat(what, " program not attached to ", ifname));
    }
  };
  attached(uplink_.name, bpf::TcDirection::kEgress, programs_.host_egress_fd(), "host egress");
  for (const std::string& device : attacher_.egress_devices()) {
    // Gone or renamed, and its link event not handled yet: nothing to check.
    if (if_nametoindex(device.c_str()) == 0) continue;
    attached(device, bpf::TcDirection::kEgress, programs_.host_egress_fd(), "host egress");
  }
  if (if_nametoindex(config_.vxlan_device.c_str()) == 0) {
    problems.push_back(absl::StrCat("VXLAN device ", config_.vxlan_device, " missing"));
  } else {
    attached(config_.vxlan_device, bpf::TcDirection::kIngress, programs_.relay_ingress_fd(),
             "relay ingress");
  }
  return problems;
}

std::vector<std::string> KernelNode::Warnings() { return attacher_.Warnings(); }

absl::Status KernelNode::HandleEvents() {
  ASSIGN_OR_RETURN(std::vector<nl::LinkEvent> events, links_.Drain());
  for (const auto& event : events) {
    switch (event.type) {
      case nl::LinkEvent::Type::kNew:
        attacher_.OnLinkAdded(event.name);
        break;
      case nl::LinkEvent::Type::kDelete:
        attacher_.OnLinkRemoved(event.name);
        break;
      case nl::LinkEvent::Type::kResync:
        if (absl::Status st = attacher_.AttachAll(); !st.ok()) {
          RAVEN_LOG(kError, "re-attach after link event overrun: ", st.message());
        }
        break;
    }
  }
  return absl::OkStatus();
}

}  // namespace raven
