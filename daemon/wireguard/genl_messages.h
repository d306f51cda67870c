// WireGuard generic netlink messages (include/uapi/linux/wireguard.h): pure
// building and decoding, no sockets, so both are unit-tested.
#ifndef RAVEN_DAEMON_WIREGUARD_GENL_MESSAGES_H_
#define RAVEN_DAEMON_WIREGUARD_GENL_MESSAGES_H_

#include <linux/netlink.h>
#include <linux/wireguard.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "daemon/netlink/socket.h"
#include "daemon/wireguard/device_state.h"
#include "daemon/wireguard/endpoint.h"

namespace raven::wg::genl {

// wireguard-tools' limit: one page-sized message, which any kernel accepts.
inline constexpr size_t kMaxMessageSize = 4096;

// One WGDEVICE_A_PEERS entry, as sent or as received.
struct Peer {
  Key public_key;
  uint32_t flags = 0;  // WGPEER_F_*
  std::optional<Endpoint> endpoint;
  std::optional<uint16_t> persistent_keepalive;
  std::vector<IpPrefix> allowed_ips;
  int64_t last_handshake_unix_nanos = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
};

struct Device {
  std::string ifname;
  std::optional<Key> private_key;
  std::optional<uint16_t> listen_port;
  std::optional<uint32_t> fwmark;
  std::vector<Peer> peers;
};

// WG_CMD_GET_DEVICE dump request for `ifname`.
nl::Request BuildGetDevice(uint16_t family, const std::string& ifname);
// WG_CMD_SET_DEVICE with the device-level settings and no peers.
nl::Request BuildSetDevice(uint16_t family, const std::string& ifname,
                           const DeviceSettings& settings);

// WG_CMD_SET_DEVICE messages carrying `peers`, each at most `max_size`
// bytes. A peer that does not fit continues in the next message with its
// public key and the remaining allowed IPs only: no flags (so the REPLACE of
// the first part is not repeated), no endpoint, no keepalive.
absl::StatusOr<std::vector<nl::Request>> BuildSetPeers(uint16_t family, const std::string& ifname,
                                                       const std::vector<Peer>& peers,
                                                       size_t max_size = kMaxMessageSize);
// Upserts: WGPEER_F_REPLACE_ALLOWEDIPS, endpoint when given, keepalive.
absl::StatusOr<std::vector<nl::Request>> BuildUpsertPeers(uint16_t family,
                                                          const std::string& ifname,
                                                          const std::vector<PeerConfig>& peers,
                                                          size_t max_size = kMaxMessageSize);
// Removals: WGPEER_F_REMOVE_ME.
absl::StatusOr<std::vector<nl::Request>> BuildRemovePeers(uint16_t family,
                                                          const std::string& ifname,
                                                          const std::vector<Key>& public_keys,
                                                          size_t max_size = kMaxMessageSize);

// Decodes one WG_CMD_GET_DEVICE reply (or any WG_CMD_SET_DEVICE message)
// into `device`. As the kernel splits a large peer over several dump
// messages, a message whose first peer has the key of the last peer decoded
// so far continues that peer.
absl::Status DecodeDeviceMessage(const nlmsghdr& nlh, Device& device);

// The backend-independent view; peers Normalize()d.
DeviceState ToDeviceState(const Device& device);

}  // namespace raven::wg::genl

#endif  // RAVEN_DAEMON_WIREGUARD_GENL_MESSAGES_H_
