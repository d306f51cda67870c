#include "daemon/netlink/socket.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "daemon/netlink/attr.h"

namespace raven::nl {
namespace {

// Offset, within an NLMSG_ERROR's payload, of the extended-ack attributes.
size_t ErrorAttrsOffset(const nlmsghdr& error_message) {
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(&error_message));
  // With NETLINK_CAP_ACK, and on success, only the request's header is echoed.
  if (error_message.nlmsg_flags & NLM_F_CAPPED) return sizeof(nlmsgerr);
  return sizeof(int) + MNL_ALIGN(err->msg.nlmsg_len);
}

// A status for kernel error `error`, with the text the kernel attached
// (NETLINK_EXT_ACK) as attributes at `attrs_offset` of the payload, if any.
absl::Status KernelError(const nlmsghdr& msg, size_t attrs_offset, int error,
                         absl::string_view what) {
  std::string detail;
  if ((msg.nlmsg_flags & NLM_F_ACK_TLVS) && msg.nlmsg_len >= mnl_nlmsg_size(attrs_offset)) {
    detail = Attrs::OfMessage(msg, attrs_offset).String(NLMSGERR_ATTR_MSG).value_or("");
  }
  return absl::ErrnoToStatus(
      error, detail.empty() ? std::string(what) : absl::StrCat(what, " (", detail, ")"));
}

}  // namespace

Request::Request(uint16_t type, uint16_t flags, size_t capacity)
    : buffer_((capacity + sizeof(uint32_t) - 1) / sizeof(uint32_t), 0) {
  nlmsghdr* header = mnl_nlmsg_put_header(nlh());
  header->nlmsg_type = type;
  header->nlmsg_flags = NLM_F_REQUEST | flags;
}

absl::StatusOr<Socket> Socket::Open(Bus bus, uint32_t groups, int flags) {
  const char* name = bus == Bus::kRoute ? "rtnetlink" : "generic netlink";
  mnl_socket* raw = mnl_socket_open2(static_cast<int>(bus), flags);
  if (raw == nullptr) return absl::ErrnoToStatus(errno, absl::StrCat("open ", name, " socket"));
  Socket socket(raw);
  if (mnl_socket_bind(raw, groups, MNL_SOCKET_AUTOPID) < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind ", name, " socket to groups ", groups));
  }
  socket.portid_ = mnl_socket_get_portid(raw);
  // Best effort: both only improve error reports (kernel text, shorter acks)
  // and exist on every kernel this agent supports.
  int one = 1;
  mnl_socket_setsockopt(raw, NETLINK_EXT_ACK, &one, sizeof(one));
  mnl_socket_setsockopt(raw, NETLINK_CAP_ACK, &one, sizeof(one));
  return socket;
}

Socket::Socket(mnl_socket* socket)
    : socket_(socket), receive_buffer_(new char[kReceiveBufferSize]) {}

Socket::Socket(Socket&& other) noexcept
    : socket_(std::exchange(other.socket_, nullptr)),
      portid_(other.portid_),
      seq_(other.seq_),
      receive_buffer_(std::move(other.receive_buffer_)) {}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (socket_ != nullptr) mnl_socket_close(socket_);
    socket_ = std::exchange(other.socket_, nullptr);
    portid_ = other.portid_;
    seq_ = other.seq_;
    receive_buffer_ = std::move(other.receive_buffer_);
  }
  return *this;
}

Socket::~Socket() {
  if (socket_ != nullptr) mnl_socket_close(socket_);
}

int Socket::fd() const { return mnl_socket_get_fd(socket_); }

absl::Status Socket::Transact(Request& request, absl::string_view what) {
  return Transact(request, what, [](const nlmsghdr&) { return absl::OkStatus(); });
}

absl::Status Socket::Transact(Request& request, absl::string_view what, ReplyHandler on_reply) {
  nlmsghdr* nlh = request.nlh();
  const bool dump = (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  // A dump ends with NLMSG_DONE; anything else ends with the ACK we ask for.
  if (!dump) nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = ++seq_;
  nlh->nlmsg_pid = 0;
  if (mnl_socket_sendto(socket_, nlh, nlh->nlmsg_len) < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(what, ": send"));
  }

  bool interrupted = false;
  for (;;) {
    ssize_t received = mnl_socket_recvfrom(socket_, receive_buffer_.get(), kReceiveBufferSize);
    if (received < 0) {
      // ESRCH: a datagram not sent by the kernel, which libmnl drops.
      if (errno == EINTR || errno == ESRCH) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat(what, ": receive"));
    }
    int remaining = static_cast<int>(received);
    for (const auto* msg = reinterpret_cast<const nlmsghdr*>(receive_buffer_.get());
         mnl_nlmsg_ok(msg, remaining); msg = mnl_nlmsg_next(msg, &remaining)) {
      // Replies to an earlier request on this socket, or multicast, are not ours.
      if (msg->nlmsg_seq != nlh->nlmsg_seq || msg->nlmsg_pid != portid_) continue;
      if (msg->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
      switch (msg->nlmsg_type) {
        case NLMSG_NOOP:
          break;
        case NLMSG_ERROR: {
          if (msg->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) {
            return absl::InternalError(absl::StrCat(what, ": truncated netlink error message"));
          }
          const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(msg));
          if (err->error == 0) return absl::OkStatus();
          return KernelError(*msg, ErrorAttrsOffset(*msg), -err->error, what);
        }
        case NLMSG_DONE: {
          // A dump may end with an error code in NLMSG_DONE's payload.
          if (mnl_nlmsg_get_payload_len(msg) >= sizeof(int)) {
            int error = *static_cast<const int*>(mnl_nlmsg_get_payload(msg));
            if (error < 0) return KernelError(*msg, sizeof(int), -error, what);
          }
          if (interrupted) {
            return absl::AbortedError(
                absl::StrCat(what, ": dump interrupted by a concurrent change"));
          }
          return absl::OkStatus();
        }
        case NLMSG_OVERRUN:
          return absl::InternalError(absl::StrCat(what, ": netlink overrun"));
        default: {
          absl::Status status = on_reply(*msg);
          if (!status.ok()) return status;
        }
      }
    }
  }
}

absl::Status Socket::Dump(Request& request, absl::string_view what,
                          absl::FunctionRef<void()> restart, ReplyHandler on_reply) {
  constexpr int kAttempts = 5;
  absl::Status status;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    restart();
    status = Transact(request, what, on_reply);
    if (!absl::IsAborted(status)) return status;
  }
  return status;
}

}  // namespace raven::nl
