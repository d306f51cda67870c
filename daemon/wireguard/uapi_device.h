// The userspace WireGuard backend: a wireguard-go process per device,
// configured through its UAPI socket <uapi_dir>/<name>.sock.
#ifndef RAVEN_DAEMON_WIREGUARD_UAPI_DEVICE_H_
#define RAVEN_DAEMON_WIREGUARD_UAPI_DEVICE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "daemon/wireguard/device_state.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven::wg {

class UserspaceDevice : public WireGuardDevice {
 public:
  UserspaceDevice(std::string name, BackendOptions options);

  std::string backend() const override { return "userspace"; }
  // Starts wireguard-go when no server listens on the socket (a stale socket
  // left by a killed wireguard-go is removed first), waiting at most
  // 5 s for the socket to accept connections.
  absl::Status Ensure(const DeviceConfig& config) override;
  bool Exists() override;
  absl::StatusOr<std::vector<PeerStatus>> GetPeers() override;
  absl::Status UpsertPeers(const std::vector<PeerConfig>& peers) override;
  absl::Status RemovePeers(const std::vector<Key>& public_keys) override;
  // Deletes the TUN link, on which wireguard-go removes its socket and
  // exits; waits (bounded) for both.
  absl::Status Destroy() override;

  const std::string& socket_path() const { return socket_path_; }

 private:
  absl::Status Start();
  absl::StatusOr<DeviceState> ReadState();
  absl::Status Set(const std::string& request, absl::string_view what);

  std::string name_;
  BackendOptions options_;
  std::string socket_path_;
  absl::Duration timeout_ = absl::Seconds(5);
};

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_UAPI_DEVICE_H_
