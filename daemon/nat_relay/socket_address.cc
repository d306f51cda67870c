#include "daemon/nat_relay/socket_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

namespace raven::nat_relay {
namespace {

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

UdpAddress FromSockaddr(const sockaddr_storage& ss) {
  UdpAddress out;
  if (ss.ss_family == AF_INET) {
    const auto& sin = reinterpret_cast<const sockaddr_in&>(ss);
    memcpy(out.ip.bytes.data(), &sin.sin_addr, 4);
    out.port = ntohs(sin.sin_port);
    return out;
  }
  const auto& sin6 = reinterpret_cast<const sockaddr_in6&>(ss);
  out.port = ntohs(sin6.sin6_port);
  if (memcmp(&sin6.sin6_addr, kV4MappedPrefix, sizeof(kV4MappedPrefix)) == 0) {
    memcpy(out.ip.bytes.data(), reinterpret_cast<const uint8_t*>(&sin6.sin6_addr) + 12, 4);
    return out;
  }
  out.ip.family = IpFamily::kV6;
  memcpy(out.ip.bytes.data(), &sin6.sin6_addr, 16);
  return out;
}

socklen_t ToSockaddr(const UdpAddress& address, bool v6_socket, sockaddr_storage& ss) {
  memset(&ss, 0, sizeof(ss));
  if (!v6_socket) {
    auto& sin = reinterpret_cast<sockaddr_in&>(ss);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(address.port);
    memcpy(&sin.sin_addr, address.ip.bytes.data(), 4);
    return sizeof(sin);
  }
  auto& sin6 = reinterpret_cast<sockaddr_in6&>(ss);
  sin6.sin6_family = AF_INET6;
  sin6.sin6_port = htons(address.port);
  auto* bytes = reinterpret_cast<uint8_t*>(&sin6.sin6_addr);
  if (address.ip.family == IpFamily::kV4) {
    memcpy(bytes, kV4MappedPrefix, sizeof(kV4MappedPrefix));
    memcpy(bytes + 12, address.ip.bytes.data(), 4);
  } else {
    memcpy(bytes, address.ip.bytes.data(), 16);
  }
  return sizeof(sin6);
}

}  // namespace raven::nat_relay
