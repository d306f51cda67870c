#include "daemon/wireguard/netlink_socket.h"

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "absl/strings/str_cat.h"

namespace raven::wg {
namespace {

// Large enough for any dump message the kernel builds for a 32 KiB reader.
constexpr size_t kReceiveBufferSize = 32768;

struct CallbackState {
  const NetlinkSocket::Handler* handler;
  absl::Status status;
};

int DataCallback(const nlmsghdr* nlh, void* data) {
  auto* state = static_cast<CallbackState*>(data);
  if (*state->handler == nullptr) return MNL_CB_OK;
  state->status = (*state->handler)(nlh);
  return state->status.ok() ? MNL_CB_OK : MNL_CB_ERROR;
}

// NLMSG_ERROR: an ACK (error 0) ends the exchange, anything else fails it.
int ErrorCallback(const nlmsghdr* nlh, void*) {
  if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(nlmsgerr))) {
    errno = EBADMSG;
    return MNL_CB_ERROR;
  }
  const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
  if (err->error == 0) return MNL_CB_STOP;
  errno = err->error < 0 ? -err->error : err->error;
  return MNL_CB_ERROR;
}

// NLMSG_DONE ends a dump; it carries the dump's error, which libmnl's
// default handler ignores.
int DoneCallback(const nlmsghdr* nlh, void*) {
  if (nlh->nlmsg_len >= mnl_nlmsg_size(sizeof(int))) {
    int error;
    std::memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
    if (error < 0) {
      errno = -error;
      return MNL_CB_ERROR;
    }
  }
  return MNL_CB_STOP;
}

int NoopCallback(const nlmsghdr*, void*) { return MNL_CB_OK; }

struct VisitState {
  AttributeVisitor* visit;
  absl::Status status;
};

int VisitCallback(const nlattr* attr, void* data) {
  auto* state = static_cast<VisitState*>(data);
  state->status = (*state->visit)(attr);
  return state->status.ok() ? MNL_CB_OK : MNL_CB_ERROR;
}

absl::Status VisitResult(int rc, const VisitState& state) {
  if (!state.status.ok()) return state.status;
  if (rc < 0) return absl::InternalError("malformed netlink attributes");
  return absl::OkStatus();
}

}  // namespace

absl::Status ForEachAttribute(const nlmsghdr* nlh, size_t header_len, AttributeVisitor visit) {
  VisitState state{&visit, absl::OkStatus()};
  return VisitResult(mnl_attr_parse(nlh, static_cast<unsigned>(header_len), VisitCallback, &state),
                     state);
}

absl::Status ForEachNested(const nlattr* nest, AttributeVisitor visit) {
  VisitState state{&visit, absl::OkStatus()};
  return VisitResult(mnl_attr_parse_nested(nest, VisitCallback, &state), state);
}

NetlinkMessage::NetlinkMessage(size_t capacity)
    : buffer_((capacity + sizeof(uint32_t) - 1) / sizeof(uint32_t), 0) {}

NetlinkSocket::NetlinkSocket(mnl_socket* nl)
    : nl_(nl),
      port_id_(mnl_socket_get_portid(nl)),
      seq_(static_cast<uint32_t>(time(nullptr))),
      receive_buffer_(kReceiveBufferSize) {}

NetlinkSocket::NetlinkSocket(NetlinkSocket&& other) noexcept { *this = std::move(other); }

NetlinkSocket& NetlinkSocket::operator=(NetlinkSocket&& other) noexcept {
  if (this != &other) {
    if (nl_ != nullptr) mnl_socket_close(nl_);
    nl_ = std::exchange(other.nl_, nullptr);
    port_id_ = other.port_id_;
    seq_ = other.seq_;
    receive_buffer_ = std::move(other.receive_buffer_);
  }
  return *this;
}

NetlinkSocket::~NetlinkSocket() {
  if (nl_ != nullptr) mnl_socket_close(nl_);
}

absl::StatusOr<NetlinkSocket> NetlinkSocket::Open(int bus) {
  mnl_socket* nl = mnl_socket_open2(bus, SOCK_CLOEXEC);
  if (nl == nullptr) return absl::ErrnoToStatus(errno, "open netlink socket");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    int err = errno;
    mnl_socket_close(nl);
    return absl::ErrnoToStatus(err, "bind netlink socket");
  }
  return NetlinkSocket(nl);
}

absl::Status NetlinkSocket::Transact(NetlinkMessage& request, const Handler& handler,
                                     absl::string_view context) {
  nlmsghdr* nlh = request.header();
  uint32_t seq = ++seq_;
  nlh->nlmsg_seq = seq;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat(context, ": netlink send"));
  }
  CallbackState state{&handler, absl::OkStatus()};
  // Indexed by control message type, NLMSG_NOOP (1) to NLMSG_DONE (3).
  mnl_cb_t control[NLMSG_DONE + 1] = {nullptr, NoopCallback, ErrorCallback, DoneCallback};
  while (true) {
    ssize_t n = mnl_socket_recvfrom(nl_, receive_buffer_.data(), receive_buffer_.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, absl::StrCat(context, ": netlink receive"));
    errno = 0;
    int rc = mnl_cb_run2(receive_buffer_.data(), static_cast<size_t>(n), seq, port_id_,
                         DataCallback, &state, control, NLMSG_DONE + 1);
    if (rc == MNL_CB_STOP) return absl::OkStatus();
    if (rc == MNL_CB_ERROR) {
      if (!state.status.ok()) return state.status;
      return absl::ErrnoToStatus(errno, std::string(context));
    }
  }
}

absl::StatusOr<uint16_t> ResolveGenlFamily(NetlinkSocket& socket, const char* name) {
  NetlinkMessage msg(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(msg.header());
  nlh->nlmsg_type = GENL_ID_CTRL;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  auto* genl = static_cast<genlmsghdr*>(mnl_nlmsg_put_extra_header(nlh, sizeof(genlmsghdr)));
  genl->cmd = CTRL_CMD_GETFAMILY;
  genl->version = 1;
  mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
  int family = -1;
  absl::Status status = socket.Transact(
      msg,
      [&family](const nlmsghdr* reply) {
        return ForEachAttribute(reply, sizeof(genlmsghdr), [&family](const nlattr* attr) {
          if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
              mnl_attr_validate(attr, MNL_TYPE_U16) == 0) {
            family = mnl_attr_get_u16(attr);
          }
          return absl::OkStatus();
        });
      },
      absl::StrCat("resolve generic netlink family ", name));
  if (!status.ok()) return status;
  if (family < 0) return absl::NotFoundError(absl::StrCat("no generic netlink family ", name));
  return static_cast<uint16_t>(family);
}

}  // namespace raven::wg
