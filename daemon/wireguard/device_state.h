// What a device reports, and the backend-independent decisions made on it.
#ifndef RAVEN_DAEMON_WIREGUARD_DEVICE_STATE_H_
#define RAVEN_DAEMON_WIREGUARD_DEVICE_STATE_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven::wg {

// A device as read back from either backend.
struct DeviceState {
  std::optional<Key> private_key;  // nullopt when none is set
  uint16_t listen_port = 0;
  uint32_t fwmark = 0;
  std::vector<PeerStatus> peers;
};

// Device-level settings to write; unset fields are left alone.
struct DeviceSettings {
  std::optional<Key> private_key;
  std::optional<uint16_t> listen_port;
  std::optional<uint32_t> fwmark;  // 0 removes the mark
  bool empty() const { return !private_key && !listen_port && !fwmark; }
};

// The settings that make `have` match `want` (see DeviceConfig). Devices
// store private keys clamped, so the comparison and the write use the
// clamped key.
DeviceSettings SettingsToApply(const DeviceConfig& want, const DeviceState& have);

// Sorts peers by public key and each peer's allowed IPs, so that states read
// from either backend compare equal to sorted desired configs.
void Normalize(std::vector<PeerStatus>& peers);

// Rejects what a device would: bad endpoints, keepalive outside 0-65535,
// the same key twice.
absl::Status ValidatePeers(const std::vector<PeerConfig>& peers);

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_DEVICE_STATE_H_
