// A peer's UDP endpoint: "1.2.3.4:51820" or "[fd00::1]:51820".
#ifndef RAVEN_DAEMON_WIREGUARD_ENDPOINT_H_
#define RAVEN_DAEMON_WIREGUARD_ENDPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/ip_prefix.h"

namespace raven::wg {

struct Endpoint {
  IpAddress address;
  uint16_t port = 0;

  // Literal addresses only (no host names, no IPv6 zones); IPv6 needs
  // brackets; the port must be 1-65535.
  static absl::StatusOr<Endpoint> Parse(absl::string_view text);
  // The canonical form, which is also what GetPeers reports.
  std::string ToString() const;

  friend bool operator==(const Endpoint& a, const Endpoint& b) {
    return a.address == b.address && a.port == b.port;
  }
};

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_ENDPOINT_H_
