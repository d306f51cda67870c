// The WireGuard device the agent owns: one interface, two backends (kernel
// generic netlink, userspace wireguard-go over its UAPI socket), chosen in one
// place (OpenDevice), as wireguard-tools' ipc.c does.
#ifndef RAVEN_DAEMON_WIREGUARD_WIREGUARD_DEVICE_H_
#define RAVEN_DAEMON_WIREGUARD_WIREGUARD_DEVICE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ip_prefix.h"
#include "daemon/wireguard/keys.h"

namespace raven::wg {

// What we want a peer to be.
struct PeerConfig {
  Key public_key;
  // "1.2.3.4:4500" or "[fd00::1]:4500" (see Endpoint). GetPeers reports the
  // canonical form; nullopt leaves (or reports) no endpoint.
  std::optional<std::string> endpoint;
  // Exactly the prefixes routed to this peer. GetPeers reports them sorted.
  std::vector<IpPrefix> allowed_ips;
  int persistent_keepalive_seconds = 0;  // 0 = off; at most 65535
  bool operator==(const PeerConfig&) const = default;
};

struct PeerStatus {
  PeerConfig config;
  int64_t last_handshake_unix_nanos = 0;  // 0 = never
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

// WireGuard rejects a session's keys this long after its handshake
// (REJECT_AFTER_TIME): an older handshake means no session.
inline constexpr absl::Duration kRejectAfterTime = absl::Seconds(180);

// Whether the peer has a session that can carry data at `now`.
inline bool HasLiveSession(const PeerStatus& peer, absl::Time now) {
  return peer.last_handshake_unix_nanos > 0 &&
         now - absl::FromUnixNanos(peer.last_handshake_unix_nanos) < kRejectAfterTime;
}

struct DeviceConfig {
  std::string name;
  Key private_key;
  uint16_t listen_port = 0;  // 0 = leave the port the device has (random if new)
  uint32_t fwmark = 0;       // 0 = none
};

class WireGuardDevice {
 public:
  virtual ~WireGuardDevice() = default;

  virtual std::string backend() const = 0;  // "kernel" or "userspace"

  // Creates the device when missing (kernel: RTM_NEWLINK kind "wireguard";
  // userspace: starts wireguard-go in its own session so it outlives the agent
  // and waits for its UAPI socket), then sets the private key, listen port and
  // fwmark where they differ. Never touches peers, MTU or link state.
  virtual absl::Status Ensure(const DeviceConfig& config) = 0;
  virtual bool Exists() = 0;
  // Peers sorted by public key, each with sorted allowed IPs. NotFound when
  // the device does not exist.
  virtual absl::StatusOr<std::vector<PeerStatus>> GetPeers() = 0;
  // Incremental: creates or updates each listed peer (endpoint when given,
  // keepalive) and replaces that peer's allowed IPs only. Other peers are left
  // alone; live sessions survive.
  virtual absl::Status UpsertPeers(const std::vector<PeerConfig>& peers) = 0;
  // Removing an absent peer is not an error.
  virtual absl::Status RemovePeers(const std::vector<Key>& public_keys) = 0;
  // Deletes the device (userspace: wireguard-go exits and its socket goes).
  // Destroying an absent device is not an error.
  virtual absl::Status Destroy() = 0;
};

struct BackendOptions {
  std::string mode = "auto";  // auto | kernel | userspace
  std::string wireguard_go = "/usr/bin/wireguard-go";
  // Where wireguard-go puts <name>.sock. wireguard-go has this path compiled
  // in, so only change it for a UAPI server that is not wireguard-go.
  std::string uapi_dir = "/var/run/wireguard";
};

// "auto": a running wireguard-go for `name` → userspace; an existing kernel
// WireGuard link → kernel; else try to create a kernel WireGuard link: success
// → kernel, "not supported" (EOPNOTSUPP, ENODEV, ...) → userspace, logged.
// Must be called in the network namespace the device lives in.
absl::StatusOr<std::unique_ptr<WireGuardDevice>> OpenDevice(const std::string& name,
                                                            const BackendOptions& options);

// Deletes device `name` without creating anything on the way (as OpenDevice's
// "auto" probe would): "auto" deletes a kernel WireGuard link of that name,
// and otherwise stops a wireguard-go serving it (deleting its TUN link,
// clearing a stale socket); "kernel" and "userspace" do only their part.
// An absent device is not an error. Must be called in the device's namespace.
absl::Status DestroyDevice(const std::string& name, const BackendOptions& options);

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_WIREGUARD_DEVICE_H_
