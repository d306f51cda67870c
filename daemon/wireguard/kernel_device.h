// The in-kernel WireGuard backend: an rtnetlink link of kind "wireguard",
// configured through the "wireguard" generic netlink family.
#ifndef RAVEN_DAEMON_WIREGUARD_KERNEL_DEVICE_H_
#define RAVEN_DAEMON_WIREGUARD_KERNEL_DEVICE_H_

#include <string>
#include <vector>

#include "daemon/wireguard/device_state.h"
#include "daemon/wireguard/netlink_socket.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven::wg {

class KernelDevice : public WireGuardDevice {
 public:
  explicit KernelDevice(std::string name) : name_(std::move(name)) {}

  std::string backend() const override { return "kernel"; }
  absl::Status Ensure(const DeviceConfig& config) override;
  bool Exists() override;
  absl::StatusOr<std::vector<PeerStatus>> GetPeers() override;
  absl::Status UpsertPeers(const std::vector<PeerConfig>& peers) override;
  absl::Status RemovePeers(const std::vector<Key>& public_keys) override;
  absl::Status Destroy() override;

 private:
  // A generic netlink socket and the wireguard family id.
  struct Genl {
    NetlinkSocket socket;
    uint16_t family;
  };
  absl::StatusOr<Genl> OpenGenl();
  absl::StatusOr<DeviceState> ReadState();
  // Sends messages in order; a failure leaves the earlier ones applied.
  absl::Status Send(Genl& genl, std::vector<NetlinkMessage>& messages, absl::string_view what);

  std::string name_;
};

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_KERNEL_DEVICE_H_
