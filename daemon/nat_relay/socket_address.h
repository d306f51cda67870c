// UdpAddress <-> sockaddr. IPv4-mapped IPv6 addresses (what a dual-stack
// socket reports for IPv4 peers) become IPv4 addresses.
#ifndef RAVEN_DAEMON_NAT_RELAY_SOCKET_ADDRESS_H_
#define RAVEN_DAEMON_NAT_RELAY_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include "daemon/model/nat_relay_plan.h"

namespace raven::nat_relay {

UdpAddress FromSockaddr(const sockaddr_storage& ss);
// As an AF_INET6 address when `v6_socket` (IPv4 as mapped), else AF_INET.
socklen_t ToSockaddr(const UdpAddress& address, bool v6_socket, sockaddr_storage& ss);

}  // namespace raven::nat_relay

#endif  // RAVEN_DAEMON_NAT_RELAY_SOCKET_ADDRESS_H_
