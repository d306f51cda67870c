#include "daemon/nat_relay/raw_udp_sender.h"

#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/nat_relay/socket_address.h"

namespace raven::nat_relay {
namespace {

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

}  // namespace

absl::Status RawUdpSender::Open(IpFamily family) {
  const bool v6 = family == IpFamily::kV6;
  Fd fd(socket(v6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_UDP));
  if (!fd.valid()) return Errno("raw UDP socket");
  sock_filter drop_all = BPF_STMT(BPF_RET | BPF_K, 0);
  sock_fprog filter{1, &drop_all};
  if (setsockopt(fd.get(), SOL_SOCKET, SO_ATTACH_FILTER, &filter, sizeof(filter)) != 0) {
    return Errno("SO_ATTACH_FILTER");
  }
  if (setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &mark_, sizeof(mark_)) != 0) {
    return Errno("SO_MARK");
  }
  if (v6) {
    int offset = offsetof(udphdr, check);  // the kernel fills in the UDP checksum
    if (setsockopt(fd.get(), IPPROTO_IPV6, IPV6_CHECKSUM, &offset, sizeof(offset)) != 0) {
      return Errno("IPV6_CHECKSUM");
    }
  }
  (v6 ? v6_ : v4_) = std::move(fd);
  return absl::OkStatus();
}

absl::Status RawUdpSender::Send(const UdpAddress& to, absl::Span<const uint8_t> payload) {
  const bool v6 = to.ip.family == IpFamily::kV6;
  Fd& fd = v6 ? v6_ : v4_;
  if (!fd.valid()) {
    if (absl::Status st = Open(to.ip.family); !st.ok()) return st;
  }
  std::vector<uint8_t> datagram(sizeof(udphdr) + payload.size());
  udphdr header{};
  header.source = htons(source_port_);
  header.dest = htons(to.port);
  header.len = htons(static_cast<uint16_t>(datagram.size()));
  header.check = 0;  // IPv4: none; IPv6: computed by the kernel (IPV6_CHECKSUM)
  memcpy(datagram.data(), &header, sizeof(header));
  memcpy(datagram.data() + sizeof(header), payload.data(), payload.size());
  sockaddr_storage ss;
  // Raw sockets take no port in the address (the protocol field would be set from it).
  UdpAddress host = to;
  host.port = 0;
  socklen_t len = ToSockaddr(host, v6, ss);
  if (sendto(fd.get(), datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&ss), len) <
      0) {
    return Errno(absl::StrCat("send to ", to.ToString()));
  }
  return absl::OkStatus();
}

}  // namespace raven::nat_relay
