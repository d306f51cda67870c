// ICMP and ICMPv6 echo requests through raw sockets, and the replies to them
// (only replies with this socket's identifier). Needs CAP_NET_RAW.
#ifndef RAVEN_DAEMON_FAILOVER_ECHO_SOCKET_H_
#define RAVEN_DAEMON_FAILOVER_ECHO_SOCKET_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "common/fd.h"
#include "daemon/failover/liveness.h"

namespace raven::failover {

class EchoSocket {
 public:
  static absl::StatusOr<EchoSocket> Open();

  absl::Status Send(const EchoTarget& target, uint16_t sequence);
  // Every reply waiting on `fd`, as (from, arrival interface, sequence); the
  // interface is 0 for IPv4.
  void Receive(int fd, const std::function<void(const IpAddress&, uint32_t, uint16_t)>& reply);
  int v4_fd() const { return v4_.get(); }
  int v6_fd() const { return v6_.get(); }

 private:
  EchoSocket(Fd v4, Fd v6, uint16_t identifier)
      : v4_(std::move(v4)), v6_(std::move(v6)), identifier_(identifier) {}

  Fd v4_;
  Fd v6_;
  uint16_t identifier_;
};

}  // namespace raven::failover

#endif  // RAVEN_DAEMON_FAILOVER_ECHO_SOCKET_H_
