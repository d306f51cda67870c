// The in-kernel WireGuard backend: an rtnetlink link of kind "wireguard",
// configured through the "wireguard" generic netlink family.
#ifndef RAVEN_DAEMON_WIREGUARD_KERNEL_DEVICE_H_
#define RAVEN_DAEMON_WIREGUARD_KERNEL_DEVICE_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "daemon/netlink/socket.h"
#include "daemon/wireguard/device_state.h"
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
    nl::Socket socket;
    uint16_t family;
  };
  absl::StatusOr<Genl> OpenGenl();
  absl::StatusOr<DeviceState> ReadState();
  // Builds messages for the wireguard family and sends them in order; a
  // failure leaves the earlier ones applied.
  using MessageBuilder =
      absl::FunctionRef<absl::StatusOr<std::vector<nl::Request>>(uint16_t family)>;
  absl::Status Send(absl::string_view what, MessageBuilder build);

  std::string name_;
};

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_KERNEL_DEVICE_H_
