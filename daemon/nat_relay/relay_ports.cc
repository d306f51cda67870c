#include "daemon/nat_relay/relay_ports.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "daemon/nat_relay/socket_address.h"

namespace raven::nat_relay {
namespace {

// Datagrams read from one socket per turn, so that one busy port cannot starve the rest.
constexpr int kBurst = 64;

absl::Status Errno(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", strerror(errno)));
}

// A UDP socket on `port` of every address: dual-stack when the node has
// IPv6, else IPv4 only. Returns whether it is an IPv6 socket.
absl::StatusOr<bool> Bind(Fd& fd, uint16_t port, uint32_t mark) {
  bool v6 = true;
  fd = Fd(socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) {
    v6 = false;
    fd = Fd(socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  }
  if (!fd.valid()) return Errno("UDP socket");
  int off = 0;
  if (v6 && setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) != 0) {
    return Errno("IPV6_V6ONLY");
  }
  // Raven's own programs pass packets with the tunnel mark.
  if (setsockopt(fd.get(), SOL_SOCKET, SO_MARK, &mark, sizeof(mark)) != 0) {
    return Errno("SO_MARK");
  }
  sockaddr_storage ss;
  socklen_t len = ToSockaddr(UdpAddress{IpAddress{}, port}, v6, ss);
  if (v6) {
    memset(&reinterpret_cast<sockaddr_in6&>(ss).sin6_addr, 0, 16);  // [::], not ::ffff:0.0.0.0
  }
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return Errno(absl::StrCat("bind UDP port ", port));
  }
  return v6;
}

}  // namespace

void RelayPorts::Configure(const RelayDuty& duty) {
  if (duty == table_.duty()) return;
  std::set<uint16_t> wanted;
  for (const auto& [gateway, port] : duty.ports) wanted.insert(port);
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    // Closing a socket removes it from the epoll set.
    it = wanted.contains(it->first) ? std::next(it) : sockets_.erase(it);
  }
  BindMissing(duty);
  if (duty.empty()) {
    filter_.fd.Reset();
  } else if (!filter_.fd.valid()) {
    // A port the kernel picks, never read: only the filtering probes' acks leave from it.
    absl::StatusOr<bool> v6 = Bind(filter_.fd, 0, mark_);
    int smallest = 1;
    if (v6.ok()) {
      filter_.v6 = *v6;
      setsockopt(filter_.fd.get(), SOL_SOCKET, SO_RCVBUF, &smallest, sizeof(smallest));
    } else {
      filter_.fd.Reset();
      RAVEN_LOG(kWarning, "NAT relay: no socket for filtering probes: ", v6.status().message());
    }
  }
  table_.set_filter_acks(filter_.fd.valid());
  table_.Configure(duty);
  if (!duty.empty()) {
    RAVEN_LOG(kInfo, "NAT relay: relaying ", duty.pairs.size(), " pair(s) on ", sockets_.size(),
              " port(s)");
  }
}

void RelayPorts::RetryFailedBinds(absl::Time now, absl::Duration retry_interval) {
  if (!binds_failed_ || now < next_bind_retry_) return;
  next_bind_retry_ = now + retry_interval;
  BindMissing(table_.duty());
}

void RelayPorts::BindMissing(const RelayDuty& duty) {
  std::set<uint16_t> wanted;
  for (const auto& [gateway, port] : duty.ports) wanted.insert(port);
  std::vector<std::string> problems;
  for (uint16_t port : wanted) {
    if (sockets_.contains(port)) continue;
    Socket s;
    absl::StatusOr<bool> v6 = Bind(s.fd, port, mark_);
    absl::Status st = v6.status();
    if (st.ok()) {
      s.v6 = *v6;
      epoll_event ev{};
      ev.events = EPOLLIN;
      ev.data.u64 = port;
      if (epoll_ctl(epoll_, EPOLL_CTL_ADD, s.fd.get(), &ev) != 0) st = Errno("epoll_ctl");
    }
    if (!st.ok()) {
      problems.push_back(absl::StrCat("NAT relay port ", port, ": ", st.message()));
      continue;
    }
    if (binds_failed_) RAVEN_LOG(kInfo, "NAT relay port ", port, " bound");
    sockets_[port] = std::move(s);
  }
  binds_failed_ = !problems.empty();
  absl::MutexLock lock(&mu_);
  for (const std::string& p : problems) {
    if (std::find(problems_.begin(), problems_.end(), p) == problems_.end()) {
      RAVEN_LOG(kError, p, " (retried every few seconds)");
    }
  }
  problems_ = std::move(problems);
}

void RelayPorts::Receive(uint16_t port) {
  auto socket = sockets_.find(port);
  if (socket == sockets_.end()) return;
  uint8_t buf[65536];
  RelayCounters delta;
  for (int i = 0; i < kBurst; ++i) {
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(socket->second.fd.get(), buf, sizeof(buf), 0,
                         reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 0) break;
    Forward forward;
    Outcome outcome =
        table_.Handle(port, FromSockaddr(from), absl::MakeConstSpan(buf, static_cast<size_t>(n)),
                      absl::Now(), forward);
    ++delta.datagrams[static_cast<int>(outcome)];
    if (outcome != Outcome::kForwarded && !forward.ack) continue;
    const Socket* via = SocketFor(forward.from_port);
    if (via == nullptr) {
      ++delta.send_errors;
      continue;
    }
    const uint8_t* data = forward.ack ? forward.ack->data() : buf;
    const size_t size = forward.ack ? forward.ack->size() : static_cast<size_t>(n);
    sockaddr_storage to;
    socklen_t to_len = ToSockaddr(forward.to, via->v6, to);
    if (sendto(via->fd.get(), data, size, 0, reinterpret_cast<sockaddr*>(&to), to_len) < 0) {
      ++delta.send_errors;
    } else if (!forward.ack) {
      delta.forwarded_bytes += size;
    }
  }
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < kOutcomeCount; ++i) counters_.datagrams[i] += delta.datagrams[i];
  counters_.forwarded_bytes += delta.forwarded_bytes;
  counters_.send_errors += delta.send_errors;
}

const RelayPorts::Socket* RelayPorts::SocketFor(uint16_t from_port) const {
  if (from_port == kFilterSocket) return filter_.fd.valid() ? &filter_ : nullptr;
  auto it = sockets_.find(from_port);
  return it != sockets_.end() ? &it->second : nullptr;
}

RelayCounters RelayPorts::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

std::vector<std::string> RelayPorts::problems() const {
  absl::MutexLock lock(&mu_);
  return problems_;
}

}  // namespace raven::nat_relay
