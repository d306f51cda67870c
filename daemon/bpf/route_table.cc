#include "daemon/bpf/route_table.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <string.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "daemon/bpf/abi_check.h"

namespace raven::bpf {

// RouteAction is enum raven_action as the agent writes it into raven_route.action.
static_assert(static_cast<uint8_t>(RouteAction::kWireGuard) == RAVEN_ACTION_WIREGUARD);
static_assert(static_cast<uint8_t>(RouteAction::kVxlan) == RAVEN_ACTION_VXLAN);
static_assert(static_cast<uint8_t>(RouteAction::kNoPath) == RAVEN_ACTION_NO_PATH);
static_assert(RAVEN_ACTION_NONE == 0, "a zeroed raven_route must stay invalid");

namespace {

// One LPM key for both families: the v4 key is the first 8 bytes of this.
union LpmKey {
  raven_lpm4_key v4;
  raven_lpm6_key v6;
};

LpmKey EncodeKey(const IpPrefix& prefix) {
  LpmKey key{};
  key.v6.prefixlen = prefix.length;
  std::memcpy(key.v6.addr, prefix.address.bytes.data(), prefix.family() == IpFamily::kV4 ? 4 : 16);
  return key;
}

raven_route EncodeValue(const RouteValue& value) {
  raven_route out{};
  out.peer_id = value.peer_id;
  out.ifindex = value.ifindex;
  out.action = static_cast<uint8_t>(value.action);
  out.mtu = value.mtu;
  if (value.action == RouteAction::kVxlan) {
    bool v4 = value.tunnel_dst.family == IpFamily::kV4;
    out.tunnel_family = v4 ? RAVEN_TUNNEL_IPV4 : RAVEN_TUNNEL_IPV6;
    std::memcpy(out.tunnel_dst, value.tunnel_dst.bytes.data(), v4 ? 4 : 16);
  }
  return out;
}

RouteValue DecodeValue(const raven_route& in) {
  RouteValue out;
  out.peer_id = in.peer_id;
  out.ifindex = in.ifindex;
  out.action = static_cast<RouteAction>(in.action);
  out.mtu = in.mtu;
  if (in.tunnel_family == RAVEN_TUNNEL_IPV4 || in.tunnel_family == RAVEN_TUNNEL_IPV6) {
    bool v4 = in.tunnel_family == RAVEN_TUNNEL_IPV4;
    out.tunnel_dst.family = v4 ? IpFamily::kV4 : IpFamily::kV6;
    std::memcpy(out.tunnel_dst.bytes.data(), in.tunnel_dst, v4 ? 4 : 16);
  }
  return out;
}

absl::Status DumpFamily(int fd, IpFamily family, RouteMap& out) {
  LpmKey key{}, next{};
  const void* prev = nullptr;
  const size_t addr_len = family == IpFamily::kV4 ? 4 : 16;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    raven_route value{};
    if (bpf_map_lookup_elem(fd, &next, &value) == 0) {
      IpPrefix prefix;
      prefix.address.family = family;
      prefix.length = static_cast<int>(next.v6.prefixlen);
      std::memcpy(prefix.address.bytes.data(), next.v6.addr, addr_len);
      out[prefix] = DecodeValue(value);
    }
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) {
    return absl::InternalError(absl::StrCat("iterate route map: ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RouteMap> BpfRouteTable::Dump() const {
  RouteMap out;
  RETURN_IF_ERROR(DumpFamily(fd4_, IpFamily::kV4, out));
  RETURN_IF_ERROR(DumpFamily(fd6_, IpFamily::kV6, out));
  return out;
}

absl::Status BpfRouteTable::Upsert(const IpPrefix& prefix, const RouteValue& value) {
  LpmKey key = EncodeKey(prefix);
  raven_route encoded = EncodeValue(value);
  int fd = prefix.family() == IpFamily::kV4 ? fd4_ : fd6_;
  if (bpf_map_update_elem(fd, &key, &encoded, BPF_ANY) != 0) {
    return absl::InternalError(
        absl::StrCat("update route map for ", prefix.ToString(), ": ", strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status BpfRouteTable::Delete(const IpPrefix& prefix) {
  LpmKey key = EncodeKey(prefix);
  int fd = prefix.family() == IpFamily::kV4 ? fd4_ : fd6_;
  if (bpf_map_delete_elem(fd, &key) != 0 && errno != ENOENT) {
    return absl::InternalError(
        absl::StrCat("delete ", prefix.ToString(), " from route map: ", strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace raven::bpf
