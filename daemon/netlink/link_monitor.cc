#include "daemon/netlink/link_monitor.h"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/netlink/link.h"

namespace raven::nl {

absl::StatusOr<LinkMonitor> LinkMonitor::Open(int receive_buffer) {
  ASSIGN_OR_RETURN(Socket socket,
                   Socket::Open(Bus::kRoute, RTMGRP_LINK, SOCK_NONBLOCK | SOCK_CLOEXEC));
  if (receive_buffer > 0 &&
      setsockopt(socket.fd(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(receive_buffer)) < 0) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("set link monitor receive buffer to ", receive_buffer));
  }
  return LinkMonitor(std::move(socket));
}

LinkMonitor::LinkMonitor(Socket socket)
    : socket_(std::move(socket)), buffer_(std::make_unique<char[]>(kReceiveBufferSize)) {}

absl::StatusOr<std::vector<LinkEvent>> LinkMonitor::Drain() {
  std::vector<LinkEvent> events;
  bool lost = false;
  for (;;) {
    ssize_t received = mnl_socket_recvfrom(socket_.get(), buffer_.get(), kReceiveBufferSize);
    if (received < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      // ESRCH: a datagram not from the kernel, which libmnl drops.
      if (errno == EINTR || errno == ESRCH) continue;
      // ENOBUFS: the queue overflowed and the kernel dropped notifications;
      // ENOSPC: one did not fit our buffer and was truncated.
      if (errno == ENOBUFS || errno == ENOSPC) {
        lost = true;
        continue;
      }
      return absl::ErrnoToStatus(errno, "receive link notifications");
    }
    int remaining = static_cast<int>(received);
    for (const auto* msg = reinterpret_cast<const nlmsghdr*>(buffer_.get());
         mnl_nlmsg_ok(msg, remaining); msg = mnl_nlmsg_next(msg, &remaining)) {
      if (msg->nlmsg_type != RTM_NEWLINK && msg->nlmsg_type != RTM_DELLINK) continue;
      absl::StatusOr<LinkInfo> link = ParseLinkMessage(*msg);
      if (!link.ok()) {
        // Not expected from the kernel; a full resync covers whatever it was.
        RAVEN_LOG(kWarning, "undecodable link notification: ", link.status().ToString());
        lost = true;
        continue;
      }
      events.push_back(
          {msg->nlmsg_type == RTM_NEWLINK ? LinkEvent::Type::kNew : LinkEvent::Type::kDelete,
           link->ifindex, std::move(link->name)});
    }
  }
  if (lost) events.push_back({LinkEvent::Type::kResync, 0, ""});
  return events;
}

}  // namespace raven::nl
