// The real DataplaneNode: the WireGuard and VXLAN devices (tunnel_devices.h)
// and the TC attachments (interface_attacher.h), watched through a link
// monitor so that pod interfaces and CNI devices that appear later get their
// program.
#ifndef RAVEN_DAEMON_KERNEL_NODE_H_
#define RAVEN_DAEMON_KERNEL_NODE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/agent_config.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/tc_attach.h"
#include "daemon/dataplane_node.h"
#include "daemon/interface_attacher.h"
#include "daemon/netlink/link_monitor.h"
#include "daemon/tunnel_devices.h"
#include "daemon/wireguard/keys.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {

class KernelNode final : public DataplaneNode {
 public:
  // Everything referenced must outlive the node.
  static absl::StatusOr<std::unique_ptr<KernelNode>> Open(const AgentConfig& config,
                                                          UplinkInfo uplink,
                                                          const wg::Key& private_key,
                                                          const bpf::DataplanePrograms& programs,
                                                          wg::WireGuardDevice& wireguard);

  absl::StatusOr<DataplaneDevices> Ensure() override;
  std::vector<std::string> Problems() override;
  std::vector<std::string> Warnings() override;
  int fd() const override { return links_.fd(); }
  absl::Status HandleEvents() override;

 private:
  KernelNode(const AgentConfig& config, UplinkInfo uplink, const wg::Key& private_key,
             const bpf::DataplanePrograms& programs, wg::WireGuardDevice& wireguard,
             nl::LinkMonitor links);

  const AgentConfig& config_;
  const UplinkInfo uplink_;
  const wg::Key private_key_;
  const bpf::DataplanePrograms& programs_;
  wg::WireGuardDevice& wireguard_;
  bpf::TcAttacher tc_;
  InterfaceAttacher attacher_;
  nl::LinkMonitor links_;
};

}  // namespace raven

#endif  // RAVEN_DAEMON_KERNEL_NODE_H_
