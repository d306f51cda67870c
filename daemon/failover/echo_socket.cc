#include "daemon/failover/echo_socket.h"

#include <linux/filter.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace raven::failover {
namespace {

// struct in6_pktinfo (RFC 3542), which glibc declares for _GNU_SOURCE only.
struct Pktinfo6 {
  in6_addr address;
  unsigned int ifindex;
};

constexpr uint8_t kEchoRequest4 = 8;
constexpr int kMaxRepliesPerRead = 256;
constexpr uint8_t kEchoReply4 = 0;

absl::Status SocketError(absl::string_view what) { return absl::ErrnoToStatus(errno, what); }

uint16_t Checksum(const uint8_t* data, size_t size) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < size; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (size % 2) sum += data[size - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// Type, code, checksum, identifier, sequence: the same layout in both families.
std::array<uint8_t, 8> EchoHeader(uint8_t type, uint16_t identifier, uint16_t sequence) {
  std::array<uint8_t, 8> h{type, 0, 0, 0};
  h[4] = identifier >> 8;
  h[5] = identifier & 0xff;
  h[6] = sequence >> 8;
  h[7] = sequence & 0xff;
  return h;
}

// Only echo replies with our identifier reach the socket: a flood of others
// (a gateway has a public address) is dropped in the kernel. A raw IPv4
// socket's filter sees the IP header first; an ICMPv6 one's, the ICMPv6 header.
absl::Status AttachReplyFilter(int fd, bool v6, uint16_t identifier) {
  // IPv4: X = the IP header's length, and loads relative to it.
  const uint16_t mode = v6 ? BPF_ABS : BPF_IND;
  std::vector<sock_filter> code;
  if (!v6) code.push_back(BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0));
  code.insert(code.end(), {
                              BPF_STMT(BPF_LD | BPF_B | mode, 0),
                              BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
                                       v6 ? uint32_t{ICMP6_ECHO_REPLY} : kEchoReply4, 0, 3),
                              BPF_STMT(BPF_LD | BPF_H | mode, 4),
                              BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, identifier, 0, 1),
                              BPF_STMT(BPF_RET | BPF_K, 0xffff),
                              BPF_STMT(BPF_RET | BPF_K, 0),
                          });
  sock_fprog program{static_cast<unsigned short>(code.size()), code.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof(program)) != 0) {
    return SocketError("SO_ATTACH_FILTER");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EchoSocket> EchoSocket::Open() {
  uint16_t identifier = 0;
  if (getrandom(&identifier, sizeof(identifier), 0) != sizeof(identifier)) {
    return SocketError("getrandom");
  }
  Fd v4(socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP));
  if (!v4.valid()) return SocketError("raw ICMP socket");
  RETURN_IF_ERROR(AttachReplyFilter(v4.get(), /*v6=*/false, identifier));
  // Without IPv6 (disabled on the node) the LAN echoes over IPv4 still run.
  Fd v6(socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMPV6));
  if (v6.valid()) {
    RETURN_IF_ERROR(AttachReplyFilter(v6.get(), /*v6=*/true, identifier));
    const int on = 1;
    if (setsockopt(v6.get(), IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) != 0) {
      return SocketError("IPV6_RECVPKTINFO");
    }
  }
  return EchoSocket(std::move(v4), std::move(v6), identifier);
}

absl::Status EchoSocket::Send(const EchoTarget& target, uint16_t sequence) {
  const bool v6 = target.address.family == IpFamily::kV6;
  std::array<uint8_t, 8> packet =
      EchoHeader(v6 ? ICMP6_ECHO_REQUEST : kEchoRequest4, identifier_, sequence);
  sockaddr_storage to{};
  socklen_t to_size;
  msghdr msg{};
  alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(Pktinfo6))> control{};
  if (v6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&to);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, target.address.bytes.data(), 16);
    sin6->sin6_scope_id = target.ifindex;
    to_size = sizeof(*sin6);
    if (target.source) {
      // The kernel computes ICMPv6 checksums itself; the source must be
      // chosen here, as a device's other link-local address would not pass
      // the peer's AllowedIPs.
      msg.msg_control = control.data();
      msg.msg_controllen = control.size();
      cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
      cmsg->cmsg_level = IPPROTO_IPV6;
      cmsg->cmsg_type = IPV6_PKTINFO;
      cmsg->cmsg_len = CMSG_LEN(sizeof(Pktinfo6));
      Pktinfo6 info{};
      std::memcpy(&info.address, target.source->bytes.data(), 16);
      info.ifindex = target.ifindex;
      std::memcpy(CMSG_DATA(cmsg), &info, sizeof(info));
    }
  } else {
    auto* sin = reinterpret_cast<sockaddr_in*>(&to);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, target.address.bytes.data(), 4);
    to_size = sizeof(*sin);
    const uint16_t sum = Checksum(packet.data(), packet.size());
    packet[2] = sum >> 8;
    packet[3] = sum & 0xff;
  }
  iovec iov{packet.data(), packet.size()};
  msg.msg_name = &to;
  msg.msg_namelen = to_size;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  const int fd = v6 ? v6_.get() : v4_.get();
  if (fd < 0) return absl::FailedPreconditionError("no ICMPv6 socket (IPv6 is off)");
  if (sendmsg(fd, &msg, MSG_DONTWAIT) < 0) {
    return SocketError(absl::StrCat("echo request to ", target.address.ToString()));
  }
  return absl::OkStatus();
}

void EchoSocket::Receive(int fd,
                         const std::function<void(const IpAddress&, uint32_t, uint16_t)>& reply) {
  const bool v6 = fd == v6_.get();
  std::array<uint8_t, 256> buffer;
  // Bounded: the rest waits for the next wakeup, and the loop's other work runs.
  for (int i = 0; i < kMaxRepliesPerRead; ++i) {
    sockaddr_storage from{};
    alignas(cmsghdr) std::array<char, CMSG_SPACE(sizeof(Pktinfo6))> control{};
    iovec iov{buffer.data(), buffer.size()};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof(from);
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.data();
    msg.msg_controllen = control.size();
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT);
    if (n < 0) return;
    size_t offset = 0;
    uint32_t ifindex = 0;
    IpAddress address;
    if (v6) {
      address.family = IpFamily::kV6;
      std::memcpy(address.bytes.data(), &reinterpret_cast<sockaddr_in6*>(&from)->sin6_addr, 16);
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
          Pktinfo6 info;
          std::memcpy(&info, CMSG_DATA(c), sizeof(info));
          ifindex = info.ifindex;
        }
      }
    } else {
      // A raw IPv4 socket reads the IP header too.
      if (n < 20) continue;
      offset = (buffer[0] & 0x0f) * 4;
      address.family = IpFamily::kV4;
      std::memcpy(address.bytes.data(), &reinterpret_cast<sockaddr_in*>(&from)->sin_addr, 4);
    }
    if (static_cast<size_t>(n) < offset + 8) continue;
    const uint8_t* icmp = buffer.data() + offset;
    if (icmp[0] != (v6 ? ICMP6_ECHO_REPLY : kEchoReply4)) continue;
    if (((icmp[4] << 8) | icmp[5]) != identifier_) continue;
    reply(address, ifindex, static_cast<uint16_t>((icmp[6] << 8) | icmp[7]));
  }
}

}  // namespace raven::failover
