// The remote-prefix tries (raven_routes4_v1 / raven_routes6_v1) as a table of
// IpPrefix -> RouteValue. The interface lets the reconciler run against a fake.
#ifndef RAVEN_DAEMON_BPF_ROUTE_TABLE_H_
#define RAVEN_DAEMON_BPF_ROUTE_TABLE_H_

#include <cstdint>
#include <map>

#include "absl/status/statusor.h"
#include "common/ip_prefix.h"

namespace raven::bpf {

// enum raven_action (bpf/raven_abi.h), value for value: route_table.cc
// static_asserts it. RAVEN_ACTION_NONE has no counterpart: it is never stored.
enum class RouteAction : uint8_t { kWireGuard = 1, kVxlan = 2, kNoPath = 3 };

struct RouteValue {
  uint32_t peer_id = 0;
  uint32_t ifindex = 0;
  RouteAction action = RouteAction::kWireGuard;
  uint16_t mtu = 0;
  IpAddress tunnel_dst;  // kVxlan only: the pool gateway's node IP

  bool operator==(const RouteValue& other) const {
    return peer_id == other.peer_id && ifindex == other.ifindex && action == other.action &&
           mtu == other.mtu && (action != RouteAction::kVxlan || tunnel_dst == other.tunnel_dst);
  }
};

using RouteMap = std::map<IpPrefix, RouteValue>;

class RouteTable {
 public:
  virtual ~RouteTable() = default;
  virtual absl::StatusOr<RouteMap> Dump() const = 0;
  virtual absl::Status Upsert(const IpPrefix& prefix, const RouteValue& value) = 0;
  virtual absl::Status Delete(const IpPrefix& prefix) = 0;
};

// Backed by the pinned BPF maps; does not own the fds.
class BpfRouteTable : public RouteTable {
 public:
  BpfRouteTable(int routes4_fd, int routes6_fd) : fd4_(routes4_fd), fd6_(routes6_fd) {}
  absl::StatusOr<RouteMap> Dump() const override;
  absl::Status Upsert(const IpPrefix& prefix, const RouteValue& value) override;
  absl::Status Delete(const IpPrefix& prefix) override;

 private:
  int fd4_;
  int fd6_;
};

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_ROUTE_TABLE_H_
