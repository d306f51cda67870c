// Link notifications (RTMGRP_LINK) for the agent's poll() loop: pod
// interfaces that appear after startup, devices that go away.
#ifndef RAVEN_DAEMON_NETLINK_LINK_MONITOR_H_
#define RAVEN_DAEMON_NETLINK_LINK_MONITOR_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "daemon/netlink/socket.h"

namespace raven::nl {

struct LinkEvent {
  enum class Type {
    kNew,     // RTM_NEWLINK: a link appeared or changed (flags, MTU, name...)
    kDelete,  // RTM_DELLINK: a link went away
    // The kernel dropped notifications (socket overrun): the events are
    // incomplete, list all links (ListLinks) and reconcile from scratch.
    kResync,
  };
  Type type = Type::kNew;
  int ifindex = 0;   // 0 for kResync
  std::string name;  // "" for kResync
};

class LinkMonitor {
 public:
  // Subscribes in the calling thread's network namespace. `receive_buffer`
  // is the socket's SO_RCVBUF in bytes, 0 for the system default; a larger
  // one makes overruns (and so resyncs) rarer.
  static absl::StatusOr<LinkMonitor> Open(int receive_buffer = 1 << 20);

  // Readable (POLLIN) when Drain() has something to return. Non-blocking.
  int fd() const { return socket_.fd(); }

  // Every notification queued so far, oldest first, without blocking. If
  // notifications were lost, the result ends with one kResync event.
  absl::StatusOr<std::vector<LinkEvent>> Drain();

 private:
  explicit LinkMonitor(Socket socket);

  Socket socket_;
  std::unique_ptr<char[]> buffer_;
};

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_LINK_MONITOR_H_
