// Decoding WireGuard generic netlink messages (see genl_messages.h).
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/time_types.h>
#include <netinet/in.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/netlink/attr.h"
#include "daemon/wireguard/genl_messages.h"

namespace raven::wg::genl {

using nl::ForEachAttribute;
using nl::ForEachNested;

namespace {

absl::Status Bad(absl::string_view what) {
  return absl::InternalError(absl::StrCat("malformed WireGuard netlink message: ", what));
}

absl::Status CheckType(const nlattr* attr, mnl_attr_data_type type, absl::string_view what) {
  if (mnl_attr_validate(attr, type) != 0) return Bad(what);
  return absl::OkStatus();
}

absl::StatusOr<Key> GetKey(const nlattr* attr) {
  if (mnl_attr_get_payload_len(attr) != kKeyLen) return Bad("key length");
  Key key;
  std::memcpy(key.bytes.data(), mnl_attr_get_payload(attr), kKeyLen);
  return key;
}

absl::StatusOr<Endpoint> GetEndpoint(const nlattr* attr) {
  const void* payload = mnl_attr_get_payload(attr);
  size_t len = mnl_attr_get_payload_len(attr);
  Endpoint endpoint;
  if (len == sizeof(sockaddr_in)) {
    sockaddr_in sin;
    std::memcpy(&sin, payload, sizeof(sin));
    if (sin.sin_family != AF_INET) return Bad("endpoint family");
    endpoint.address.family = IpFamily::kV4;
    std::memcpy(endpoint.address.bytes.data(), &sin.sin_addr, 4);
    endpoint.port = ntohs(sin.sin_port);
    return endpoint;
  }
  if (len == sizeof(sockaddr_in6)) {
    sockaddr_in6 sin6;
    std::memcpy(&sin6, payload, sizeof(sin6));
    if (sin6.sin6_family != AF_INET6) return Bad("endpoint family");
    endpoint.address.family = IpFamily::kV6;
    std::memcpy(endpoint.address.bytes.data(), &sin6.sin6_addr, 16);
    endpoint.port = ntohs(sin6.sin6_port);
    return endpoint;
  }
  return Bad("endpoint length");
}

absl::StatusOr<IpPrefix> GetAllowedIp(const nlattr* nest) {
  int family = -1;
  int cidr = -1;
  const nlattr* addr = nullptr;
  RETURN_IF_ERROR(ForEachNested(nest, [&](const nlattr* attr) {
    switch (mnl_attr_get_type(attr)) {
      case WGALLOWEDIP_A_FAMILY:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_U16, "allowed IP family"));
        family = mnl_attr_get_u16(attr);
        break;
      case WGALLOWEDIP_A_IPADDR:
        addr = attr;
        break;
      case WGALLOWEDIP_A_CIDR_MASK:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_U8, "allowed IP mask"));
        cidr = mnl_attr_get_u8(attr);
        break;
    }
    return absl::OkStatus();
  }));
  IpPrefix prefix;
  size_t len = 0;
  if (family == AF_INET) {
    prefix.address.family = IpFamily::kV4;
    len = 4;
  } else if (family == AF_INET6) {
    prefix.address.family = IpFamily::kV6;
    len = 16;
  } else {
    return Bad("allowed IP family");
  }
  if (addr == nullptr || mnl_attr_get_payload_len(addr) != len) return Bad("allowed IP address");
  if (cidr < 0 || cidr > prefix.address.bit_length()) return Bad("allowed IP mask");
  std::memcpy(prefix.address.bytes.data(), mnl_attr_get_payload(addr), len);
  prefix.length = cidr;
  return prefix;
}

absl::StatusOr<Peer> GetPeer(const nlattr* nest) {
  Peer peer;
  bool has_key = false;
  RETURN_IF_ERROR(ForEachNested(nest, [&](const nlattr* attr) -> absl::Status {
    switch (mnl_attr_get_type(attr)) {
      case WGPEER_A_PUBLIC_KEY: {
        ASSIGN_OR_RETURN(peer.public_key, GetKey(attr));
        has_key = true;
        break;
      }
      case WGPEER_A_FLAGS:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_U32, "peer flags"));
        peer.flags = mnl_attr_get_u32(attr);
        break;
      case WGPEER_A_ENDPOINT: {
        ASSIGN_OR_RETURN(peer.endpoint, GetEndpoint(attr));
        break;
      }
      case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_U16, "keepalive"));
        peer.persistent_keepalive = mnl_attr_get_u16(attr);
        break;
      case WGPEER_A_LAST_HANDSHAKE_TIME: {
        __kernel_timespec ts;
        if (mnl_attr_get_payload_len(attr) != sizeof(ts)) return Bad("handshake time");
        std::memcpy(&ts, mnl_attr_get_payload(attr), sizeof(ts));
        peer.last_handshake_unix_nanos = ts.tv_sec * 1000000000 + ts.tv_nsec;
        break;
      }
      case WGPEER_A_RX_BYTES:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_U64, "rx bytes"));
        peer.rx_bytes = mnl_attr_get_u64(attr);
        break;
      case WGPEER_A_TX_BYTES:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_U64, "tx bytes"));
        peer.tx_bytes = mnl_attr_get_u64(attr);
        break;
      case WGPEER_A_ALLOWEDIPS:
        return ForEachNested(attr, [&peer](const nlattr* ip) -> absl::Status {
          ASSIGN_OR_RETURN(IpPrefix prefix, GetAllowedIp(ip));
          peer.allowed_ips.push_back(prefix);
          return absl::OkStatus();
        });
    }
    return absl::OkStatus();
  }));
  if (!has_key) return Bad("peer without public key");
  return peer;
}

// Adds the peers in WGDEVICE_A_PEERS, continuing the last known peer when the
// first one repeats its key.
absl::Status AddPeers(const nlattr* peers, Device& device) {
  bool first = true;
  return ForEachNested(peers, [&](const nlattr* nest) -> absl::Status {
    ASSIGN_OR_RETURN(Peer peer, GetPeer(nest));
    if (first && !device.peers.empty() && device.peers.back().public_key == peer.public_key) {
      std::vector<IpPrefix>& ips = device.peers.back().allowed_ips;
      ips.insert(ips.end(), peer.allowed_ips.begin(), peer.allowed_ips.end());
    } else {
      device.peers.push_back(std::move(peer));
    }
    first = false;
    return absl::OkStatus();
  });
}

}  // namespace

absl::Status DecodeDeviceMessage(const nlmsghdr& nlh, Device& device) {
  if (mnl_nlmsg_get_payload_len(&nlh) < sizeof(genlmsghdr)) return Bad("short message");
  return ForEachAttribute(nlh, sizeof(genlmsghdr), [&device](const nlattr* attr) -> absl::Status {
    switch (mnl_attr_get_type(attr)) {
      case WGDEVICE_A_IFNAME:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_NUL_STRING, "ifname"));
        device.ifname = mnl_attr_get_str(attr);
        break;
      case WGDEVICE_A_PRIVATE_KEY: {
        ASSIGN_OR_RETURN(Key key, GetKey(attr));
        if (!key.IsZero()) device.private_key = key;
        break;
      }
      case WGDEVICE_A_LISTEN_PORT:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_U16, "listen port"));
        device.listen_port = mnl_attr_get_u16(attr);
        break;
      case WGDEVICE_A_FWMARK:
        RETURN_IF_ERROR(CheckType(attr, MNL_TYPE_U32, "fwmark"));
        device.fwmark = mnl_attr_get_u32(attr);
        break;
      case WGDEVICE_A_PEERS:
        return AddPeers(attr, device);
    }
    return absl::OkStatus();
  });
}

DeviceState ToDeviceState(const Device& device) {
  DeviceState state;
  state.private_key = device.private_key;
  state.listen_port = device.listen_port.value_or(0);
  state.fwmark = device.fwmark.value_or(0);
  for (const Peer& peer : device.peers) {
    PeerStatus& status = state.peers.emplace_back();
    status.config.public_key = peer.public_key;
    if (peer.endpoint) status.config.endpoint = peer.endpoint->ToString();
    status.config.allowed_ips = peer.allowed_ips;
    status.config.persistent_keepalive_seconds = peer.persistent_keepalive.value_or(0);
    status.last_handshake_unix_nanos = peer.last_handshake_unix_nanos;
    status.rx_bytes = peer.rx_bytes;
    status.tx_bytes = peer.tx_bytes;
  }
  Normalize(state.peers);
  return state;
}

}  // namespace raven::wg::genl
