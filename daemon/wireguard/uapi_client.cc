#include "daemon/wireguard/uapi_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/fd.h"
#include "common/status_macros.h"
#include "daemon/wireguard/uapi_protocol.h"

namespace raven::wg::uapi {
namespace {

constexpr size_t kMaxResponse = 16 << 20;  // a sanity bound, far above any real device

// Connects; on failure returns the status and sets *err to the errno.
absl::Status Connect(const Fd& sock, const std::string& path, int* err) {
  *err = 0;
  if (sock.get() < 0) return absl::ErrnoToStatus(errno, "socket(AF_UNIX)");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("UAPI socket path too long: ", path));
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc;
  do {
    rc = connect(sock.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    *err = errno;
    return absl::ErrnoToStatus(*err, absl::StrCat("connect to ", path));
  }
  return absl::OkStatus();
}

absl::Status SetTimeouts(int fd, absl::Duration timeout) {
  timeval tv = absl::ToTimeval(timeout);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
    return absl::ErrnoToStatus(errno, "setsockopt(SO_RCVTIMEO/SO_SNDTIMEO)");
  }
  return absl::OkStatus();
}

// Failures after connecting: a timeout, or Internal. Only connect errors keep
// their errno's code, so that NotFound/Unavailable mean "no server".
absl::Status ExchangeError(int err, absl::string_view what, const std::string& path) {
  if (err == EAGAIN || err == EWOULDBLOCK) {
    return absl::DeadlineExceededError(absl::StrCat(what, " ", path, ": timed out"));
  }
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(err)));
}

}  // namespace

absl::StatusOr<SocketState> ProbeSocket(const std::string& path) {
  Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int err = 0;
  absl::Status status = Connect(sock, path, &err);
  if (status.ok()) return SocketState::kListening;
  if (err == ENOENT) return SocketState::kMissing;
  if (err == ECONNREFUSED) return SocketState::kStale;
  return status;
}

absl::StatusOr<std::string> Transact(const std::string& path, absl::string_view request,
                                     absl::Duration timeout) {
  Fd sock(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  int err = 0;
  RETURN_IF_ERROR(Connect(sock, path, &err));
  RETURN_IF_ERROR(SetTimeouts(sock.get(), timeout));
  size_t sent = 0;
  while (sent < request.size()) {
    // MSG_NOSIGNAL: a server that went away must not SIGPIPE the agent.
    ssize_t n = send(sock.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ExchangeError(errno, "send to", path);
    sent += static_cast<size_t>(n);
  }
  std::string response;
  char buf[4096];
  while (!ResponseComplete(response)) {
    ssize_t n = recv(sock.get(), buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ExchangeError(errno, "receive from", path);
    if (n == 0) {
      return absl::InternalError(absl::StrCat("UAPI server ", path, " closed the connection after ",
                                              response.size(), " bytes"));
    }
    response.append(buf, static_cast<size_t>(n));
    if (response.size() > kMaxResponse) {
      return absl::ResourceExhaustedError(absl::StrCat("UAPI response from ", path, " too large"));
    }
  }
  return response;
}

}  // namespace raven::wg::uapi
