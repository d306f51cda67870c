#include "daemon/failover/tunnel_address.h"

#include <algorithm>

namespace raven::failover {

IpAddress TunnelAddress(const wg::Key& key) {
  IpAddress address;
  address.family = IpFamily::kV6;
  address.bytes[0] = 0xfe;
  address.bytes[1] = 0x80;
  std::copy_n(key.bytes.begin(), 8, address.bytes.begin() + 8);
  return address;
}

}  // namespace raven::failover
