// An rtnetlink socket (RAII over libmnl) and the request/reply exchange on it.
#ifndef RAVEN_DAEMON_NETLINK_SOCKET_H_
#define RAVEN_DAEMON_NETLINK_SOCKET_H_

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace raven::nl {

// One request being built, in a buffer large enough for any request this
// library sends. Add attributes with libmnl (mnl_attr_put_*) on nlh().
class Request {
 public:
  // NLM_F_REQUEST is always set; `flags` adds to it (NLM_F_DUMP, NLM_F_CREATE...).
  Request(uint16_t type, uint16_t flags);
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  nlmsghdr* nlh() { return nlh_; }
  // Appends the zeroed family header (ifinfomsg, ifaddrmsg...) and returns it.
  template <typename T>
  T* PutHeader() {
    return static_cast<T*>(mnl_nlmsg_put_extra_header(nlh_, sizeof(T)));
  }

 private:
  static constexpr size_t kSize = 4096;
  alignas(nlmsghdr) char buffer_[kSize];
  nlmsghdr* nlh_;
};

// A NETLINK_ROUTE socket, bound in the network namespace of the thread that
// opened it (a socket keeps its namespace for life). Not thread-safe.
class Socket {
 public:
  using ReplyHandler = absl::FunctionRef<absl::Status(const nlmsghdr&)>;

  // `groups` is an RTMGRP_* bitmask to subscribe to (0 for none); `flags`
  // are socket(2) type flags such as SOCK_NONBLOCK.
  static absl::StatusOr<Socket> Open(uint32_t groups = 0, int flags = SOCK_CLOEXEC);

  Socket(Socket&& other) noexcept;
  Socket& operator=(Socket&& other) noexcept;
  ~Socket();

  int fd() const;
  mnl_socket* get() const { return socket_; }

  // Sends `request` and hands every reply message other than the final ACK or
  // NLMSG_DONE to `on_reply`, until that final message. A kernel error
  // becomes a status whose code follows errno, whose message starts with
  // `what` and carries the kernel's extended-ack text and strerror. A dump the
  // kernel reports as interrupted (the table changed meanwhile) returns
  // Aborted; callers retry. An error from `on_reply` stops the exchange.
  absl::Status Transact(Request& request, absl::string_view what, ReplyHandler on_reply);
  absl::Status Transact(Request& request, absl::string_view what);

 private:
  explicit Socket(mnl_socket* socket);

  mnl_socket* socket_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t seq_ = 0;
  std::unique_ptr<char[]> receive_buffer_;
};

// Size of the buffer a dump reply is received into (libmnl's MNL_SOCKET_DUMP_SIZE
// doubled, so that no kernel dump message is truncated).
inline constexpr size_t kReceiveBufferSize = 64 * 1024;

// Runs `dump` up to a few times while it returns Aborted (interrupted dump).
absl::Status RetryInterruptedDump(absl::FunctionRef<absl::Status()> dump);

}  // namespace raven::nl

#endif  // RAVEN_DAEMON_NETLINK_SOCKET_H_
