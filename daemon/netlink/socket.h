// A netlink socket (RAII over libmnl) on the rtnetlink or the generic netlink
// bus, and the request/reply exchange on it.
#ifndef RAVEN_DAEMON_NETLINK_SOCKET_H_
#define RAVEN_DAEMON_NETLINK_SOCKET_H_

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::nl {

// One request being built, in a zeroed buffer of `capacity` bytes. Add
// attributes with libmnl on nlh(): mnl_attr_put_* where they surely fit,
// mnl_attr_put_*_check(nlh(), capacity, ...) where they may not.
class Request {
 public:
  // A page: room for every rtnetlink request here and for WireGuard's
  // device-level ones (peer updates, split to a size, ask for that size).
  static constexpr size_t kDefaultCapacity = 4096;

  // NLM_F_REQUEST is always set; `flags` adds to it (NLM_F_DUMP, NLM_F_CREATE...).
  Request(uint16_t type, uint16_t flags, size_t capacity = kDefaultCapacity);
  Request(Request&&) = default;
  Request& operator=(Request&&) = default;

  nlmsghdr* nlh() { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }
  const nlmsghdr* nlh() const { return reinterpret_cast<const nlmsghdr*>(buffer_.data()); }
  // Bytes used so far (nlmsg_len).
  size_t size() const { return nlh()->nlmsg_len; }
  // Appends the zeroed family header (ifinfomsg, genlmsghdr...) and returns it.
  template <typename T>
  T* PutHeader() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh(), sizeof(T)));
  }

 private:
  std::vector<uint32_t> buffer_;  // uint32_t keeps nlmsghdr aligned
};

enum class Bus {
  kRoute = NETLINK_ROUTE,      // rtnetlink: links, addresses, notifications
  kGeneric = NETLINK_GENERIC,  // generic netlink: families such as "wireguard"
};

// A netlink socket, bound in the network namespace of the thread that opened
// it (a socket keeps its namespace for life), so open one per operation
// rather than caching it. Not thread-safe.
class Socket {
 public:
  using ReplyHandler = absl::FunctionRef<absl::Status(const nlmsghdr&)>;

  // `groups` is a multicast bitmask (RTMGRP_*) to subscribe to, 0 for none;
  // `flags` are socket(2) type flags such as SOCK_NONBLOCK.
  static absl::StatusOr<Socket> Open(Bus bus = Bus::kRoute, uint32_t groups = 0,
                                     int flags = SOCK_CLOEXEC);

  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  ~Socket();

  int fd() const;
  mnl_socket* get() const { return socket_; }

  // Sends `request` and hands every reply message other than the final ACK or
  // NLMSG_DONE to `on_reply`, until that final message. A kernel error
  // becomes a status whose code follows errno (ENODEV: NotFound, EEXIST:
  // AlreadyExists, EOPNOTSUPP: Unimplemented...), whose message starts with
  // `what` and carries the kernel's extended-ack text and strerror. A dump the
  // kernel reports as interrupted (the table changed meanwhile) returns
  // Aborted (Dump retries it). An error from `on_reply` stops the exchange.
  absl::Status Transact(Request& request, absl::string_view what, ReplyHandler on_reply);
  absl::Status Transact(Request& request, absl::string_view what);
  // Transact for a dump (NLM_F_DUMP), run again while the kernel reports it
  // interrupted, a few times at most (then Aborted). `restart` runs before
  // each run, to drop what `on_reply` collected from an earlier one.
  absl::Status Dump(Request& request, absl::string_view what, absl::FunctionRef<void()> restart,
                    ReplyHandler on_reply);

 private:
  explicit Socket(mnl_socket* socket);

  mnl_socket* socket_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  std::unique_ptr<char[]> receive_buffer_;
};

// Size of the buffer replies are received into (libmnl's MNL_SOCKET_DUMP_SIZE
// doubled, so that no kernel dump message is truncated).
inline constexpr size_t kReceiveBufferSize = 64 * 1024;

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_SOCKET_H_
