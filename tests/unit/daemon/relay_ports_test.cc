// The NAT relay's sockets: a relay port another process holds is bound once
// it is free, without a new duty.
#include "daemon/nat_relay/relay_ports.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

namespace raven::nat_relay {
namespace {

// A dual-stack UDP socket on a port the kernel picks; the port.
uint16_t HoldSomePort(Fd& fd) {
  fd = Fd(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  int off = 0;
  EXPECT_EQ(setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)), 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  EXPECT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  return ntohs(addr.sin6_port);
}

TEST(RelayPortsTest, APortHeldByAnotherProcessIsBoundOnceFree) {
  Fd epoll(epoll_create1(EPOLL_CLOEXEC));
  Fd other;
  const uint16_t port = HoldSomePort(other);
  RelayPorts ports(wg::GenerateKeyPair().value(), /*mark=*/0, epoll.get());
  RelayDuty duty;
  duty.ports = {{"edge-a", port}};
  duty.pairs = {{"edge-a", "edge-b"}};
  ports.Configure(duty);
  ASSERT_EQ(ports.problems().size(), 1u);
  EXPECT_NE(ports.problems()[0].find("Address already in use"), std::string::npos)
      << ports.problems()[0];
  const absl::Time t = absl::Now();
  ports.RetryFailedBinds(t, absl::Seconds(5));
  EXPECT_EQ(ports.problems().size(), 1u);  // still held
  other.Reset();
  ports.RetryFailedBinds(t + absl::Seconds(1), absl::Seconds(5));
  EXPECT_EQ(ports.problems().size(), 1u);  // not retried yet
  ports.RetryFailedBinds(t + absl::Seconds(5), absl::Seconds(5));
  EXPECT_TRUE(ports.problems().empty());
  // Bound now: another socket cannot have it.
  Fd again(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_port = htons(port);
  EXPECT_NE(bind(again.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
}

}  // namespace
}  // namespace raven::nat_relay
