// A libmnl socket that sends one request at a time and collects the replies.
// Sockets belong to the network namespace of the thread that opened them, so
// open one per operation rather than caching it.
#ifndef RAVEN_DAEMON_WIREGUARD_NETLINK_SOCKET_H_
#define RAVEN_DAEMON_WIREGUARD_NETLINK_SOCKET_H_

#include <linux/netlink.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

struct mnl_socket;

namespace raven::wg {

// A netlink message under construction: a zeroed, suitably aligned buffer.
class NetlinkMessage {
 public:
  explicit NetlinkMessage(size_t capacity);
  nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buffer_.data()); }
  const nlmsghdr* header() const { return reinterpret_cast<const nlmsghdr*>(buffer_.data()); }
  size_t capacity() const { return buffer_.size() * sizeof(uint32_t); }
  size_t size() const { return header()->nlmsg_len; }

 private:
  std::vector<uint32_t> buffer_;  // uint32_t keeps nlmsghdr aligned
};

class NetlinkSocket {
 public:
  // bus: NETLINK_ROUTE or NETLINK_GENERIC.
  static absl::StatusOr<NetlinkSocket> Open(int bus);
  NetlinkSocket(NetlinkSocket&& other) noexcept;
  NetlinkSocket& operator=(NetlinkSocket&& other) noexcept;
  ~NetlinkSocket();

  using Handler = std::function<absl::Status(const nlmsghdr*)>;
  // Sends `request` (its sequence number is assigned here; the caller sets
  // NLM_F_ACK or NLM_F_DUMP) and passes each data reply to `handler` until
  // the kernel's ACK or NLMSG_DONE. An error ACK becomes
  // absl::ErrnoToStatus(errno, context): EOPNOTSUPP is Unimplemented, ENODEV
  // NotFound, EEXIST AlreadyExists.
  absl::Status Transact(NetlinkMessage& request, const Handler& handler, absl::string_view context);

 private:
  explicit NetlinkSocket(mnl_socket* nl);
  mnl_socket* nl_ = nullptr;
  uint32_t port_id_ = 0;
  uint32_t seq_ = 0;
  std::vector<uint8_t> receive_buffer_;
};

// Calls `visit` on each attribute after the `header_len` bytes of family
// header, or inside `nest`; stops at the first error. Truncated attributes
// are an error.
using AttributeVisitor = absl::FunctionRef<absl::Status(const nlattr*)>;
absl::Status ForEachAttribute(const nlmsghdr* nlh, size_t header_len, AttributeVisitor visit);
absl::Status ForEachNested(const nlattr* nest, AttributeVisitor visit);

// The id of generic netlink family `name`; NotFound when the kernel has none.
absl::StatusOr<uint16_t> ResolveGenlFamily(NetlinkSocket& socket, const char* name);

}  // namespace raven::wg

#endif  // RAVEN_DAEMON_WIREGUARD_NETLINK_SOCKET_H_
