// Building WireGuard generic netlink requests (see genl_messages.h).
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <netinet/in.h>

#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/wireguard/genl_messages.h"

namespace raven::wg::genl {
namespace {

// Smallest useful message: headers, ifname, one peer with one IPv6 prefix.
constexpr size_t kMinMessageSize = 256;
constexpr size_t kMaxAllowedMessageSize = 65536;

// A WireGuard request for device `ifname`, in a buffer of `capacity` bytes.
nl::Request StartRequest(uint16_t family, uint8_t cmd, uint16_t flags, const std::string& ifname,
                         size_t capacity = nl::Request::kDefaultCapacity) {
  nl::Request request(family, flags, capacity);
  auto* genl = request.PutHeader<genlmsghdr>();
  genl->cmd = cmd;
  genl->version = WG_GENL_VERSION;
  mnl_attr_put_strz(request.nlh(), WGDEVICE_A_IFNAME, ifname.c_str());
  return request;
}

bool PutEndpoint(nlmsghdr* nlh, size_t max, const Endpoint& endpoint) {
  if (endpoint.address.family == IpFamily::kV4) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(endpoint.port);
    std::memcpy(&sin.sin_addr, endpoint.address.bytes.data(), 4);
    return mnl_attr_put_check(nlh, max, WGPEER_A_ENDPOINT, sizeof(sin), &sin);
  }
  sockaddr_in6 sin6{};
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(endpoint.port);
  std::memcpy(&sin6.sin6_addr, endpoint.address.bytes.data(), 16);
  return mnl_attr_put_check(nlh, max, WGPEER_A_ENDPOINT, sizeof(sin6), &sin6);
}

bool PutAllowedIp(nlmsghdr* nlh, size_t max, const IpPrefix& prefix) {
  nlattr* nest = mnl_attr_nest_start_check(nlh, max, 0);
  if (nest == nullptr) return false;
  bool v4 = prefix.family() == IpFamily::kV4;
  if (mnl_attr_put_u16_check(nlh, max, WGALLOWEDIP_A_FAMILY, v4 ? AF_INET : AF_INET6) &&
      mnl_attr_put_check(nlh, max, WGALLOWEDIP_A_IPADDR, v4 ? 4 : 16,
                         prefix.address.bytes.data()) &&
      mnl_attr_put_u8_check(nlh, max, WGALLOWEDIP_A_CIDR_MASK,
                            static_cast<uint8_t>(prefix.length))) {
    mnl_attr_nest_end(nlh, nest);
    return true;
  }
  mnl_attr_nest_cancel(nlh, nest);
  return false;
}

// Splits peers over messages.
class PeerMessageWriter {
 public:
  PeerMessageWriter(uint16_t family, const std::string& ifname, size_t max_size)
      : family_(family), ifname_(ifname), max_(max_size) {}

  absl::Status Add(const Peer& peer) {
    size_t next_ip = 0;
    bool first = true;
    while (true) {
      if (!message_.has_value()) Start();
      if (!PutChunk(peer, first, next_ip)) {
        if (peers_in_message_ == 0) {
          return absl::InternalError(
              absl::StrCat("netlink message size ", max_, " too small for one peer"));
        }
        Flush();
        continue;
      }
      first = false;
      if (next_ip == peer.allowed_ips.size()) return absl::OkStatus();
      Flush();
    }
  }

  std::vector<nl::Request> Finish() {
    if (message_.has_value()) Flush();
    return std::move(done_);
  }

 private:
  void Start() {
    message_ = StartRequest(family_, WG_CMD_SET_DEVICE, NLM_F_ACK, ifname_, max_);
    nlh_ = message_->nlh();
    peers_nest_ = mnl_attr_nest_start(nlh_, WGDEVICE_A_PEERS);
    peers_in_message_ = 0;
  }

  void Flush() {
    mnl_attr_nest_end(nlh_, peers_nest_);
    done_.push_back(std::move(*message_));
    message_.reset();
  }

  // Appends what fits of `peer` from allowed IP `next_ip` on. Returns false,
  // leaving the message as it was, when nothing useful fits.
  bool PutChunk(const Peer& peer, bool first, size_t& next_ip) {
    nlattr* nest = mnl_attr_nest_start_check(nlh_, max_, 0);
    if (nest == nullptr) return false;
    bool ok =
        mnl_attr_put_check(nlh_, max_, WGPEER_A_PUBLIC_KEY, kKeyLen, peer.public_key.bytes.data());
    if (ok && first && peer.flags != 0) {
      ok = mnl_attr_put_u32_check(nlh_, max_, WGPEER_A_FLAGS, peer.flags);
    }
    if (ok && first && peer.endpoint) ok = PutEndpoint(nlh_, max_, *peer.endpoint);
    if (ok && first && peer.persistent_keepalive) {
      ok = mnl_attr_put_u16_check(nlh_, max_, WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
                                  *peer.persistent_keepalive);
    }
    size_t added = 0;
    if (ok && next_ip < peer.allowed_ips.size()) {
      nlattr* ips = mnl_attr_nest_start_check(nlh_, max_, WGPEER_A_ALLOWEDIPS);
      while (ips != nullptr && next_ip + added < peer.allowed_ips.size() &&
             PutAllowedIp(nlh_, max_, peer.allowed_ips[next_ip + added])) {
        ++added;
      }
      if (ips != nullptr && added > 0) mnl_attr_nest_end(nlh_, ips);
      if (ips != nullptr && added == 0) mnl_attr_nest_cancel(nlh_, ips);
      // No progress, or a peer that would start split although a fresh
      // message might hold more of it: try the next message instead.
      if (added == 0 && (!first || peers_in_message_ > 0)) ok = false;
    }
    if (!ok) {
      mnl_attr_nest_cancel(nlh_, nest);
      return false;
    }
    mnl_attr_nest_end(nlh_, nest);
    next_ip += added;
    ++peers_in_message_;
    return true;
  }

  uint16_t family_;
  const std::string& ifname_;
  size_t max_;
  std::optional<nl::Request> message_;
  nlmsghdr* nlh_ = nullptr;
  nlattr* peers_nest_ = nullptr;
  int peers_in_message_ = 0;
  std::vector<nl::Request> done_;
};

}  // namespace

nl::Request BuildGetDevice(uint16_t family, const std::string& ifname) {
  return StartRequest(family, WG_CMD_GET_DEVICE, NLM_F_ACK | NLM_F_DUMP, ifname);
}

nl::Request BuildSetDevice(uint16_t family, const std::string& ifname,
                           const DeviceSettings& settings) {
  nl::Request request = StartRequest(family, WG_CMD_SET_DEVICE, NLM_F_ACK, ifname);
  nlmsghdr* nlh = request.nlh();
  if (settings.private_key) {
    mnl_attr_put(nlh, WGDEVICE_A_PRIVATE_KEY, kKeyLen, settings.private_key->bytes.data());
  }
  if (settings.listen_port) mnl_attr_put_u16(nlh, WGDEVICE_A_LISTEN_PORT, *settings.listen_port);
  if (settings.fwmark) mnl_attr_put_u32(nlh, WGDEVICE_A_FWMARK, *settings.fwmark);
  return request;
}

absl::StatusOr<std::vector<nl::Request>> BuildSetPeers(uint16_t family, const std::string& ifname,
                                                       const std::vector<Peer>& peers,
                                                       size_t max_size) {
  if (max_size < kMinMessageSize || max_size > kMaxAllowedMessageSize) {
    return absl::InvalidArgumentError(absl::StrCat("bad netlink message size ", max_size));
  }
  PeerMessageWriter writer(family, ifname, max_size);
  for (const Peer& peer : peers) RETURN_IF_ERROR(writer.Add(peer));
  return writer.Finish();
}

absl::StatusOr<std::vector<nl::Request>> BuildUpsertPeers(uint16_t family,
                                                          const std::string& ifname,
                                                          const std::vector<PeerConfig>& peers,
                                                          size_t max_size) {
  RETURN_IF_ERROR(ValidatePeers(peers));
  std::vector<Peer> entries;
  entries.reserve(peers.size());
  for (const PeerConfig& config : peers) {
    Peer& peer = entries.emplace_back();
    peer.public_key = config.public_key;
    peer.flags = WGPEER_F_REPLACE_ALLOWEDIPS;
    if (config.endpoint) {
      ASSIGN_OR_RETURN(peer.endpoint, Endpoint::Parse(*config.endpoint));
    }
    peer.persistent_keepalive = static_cast<uint16_t>(config.persistent_keepalive_seconds);
    peer.allowed_ips = config.allowed_ips;
  }
  return BuildSetPeers(family, ifname, entries, max_size);
}

absl::StatusOr<std::vector<nl::Request>> BuildRemovePeers(uint16_t family,
                                                          const std::string& ifname,
                                                          const std::vector<Key>& public_keys,
                                                          size_t max_size) {
  std::vector<Peer> entries;
  entries.reserve(public_keys.size());
  for (const Key& key : public_keys)
    entries.push_back(Peer{.public_key = key, .flags = WGPEER_F_REMOVE_ME});
  return BuildSetPeers(family, ifname, entries, max_size);
}

}  // namespace raven::wg::genl
