// Sends UDP datagrams with a chosen source port through raw sockets: the
// registrations leave from the WireGuard port although WireGuard owns that
// socket, so that NATs map them exactly like the WireGuard packets (same
// 5-tuple). The sockets carry the tunnel mark, so Raven's own programs pass
// them like WireGuard's packets, and receive nothing (a drop-all filter).
#ifndef RAVEN_DAEMON_NAT_RELAY_RAW_UDP_SENDER_H_
#define RAVEN_DAEMON_NAT_RELAY_RAW_UDP_SENDER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/types/span.h"
#include "common/fd.h"
#include "daemon/model/nat_relay_plan.h"

namespace raven::nat_relay {

class RawUdpSender {
 public:
  RawUdpSender(uint16_t source_port, uint32_t mark) : source_port_(source_port), mark_(mark) {}

  absl::Status Send(const UdpAddress& to, absl::Span<const uint8_t> payload);

 private:
  absl::Status Open(IpFamily family);

  const uint16_t source_port_;
  const uint32_t mark_;
  Fd v4_;
  Fd v6_;
};

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_RAW_UDP_SENDER_H_
