// Request/response exchanges with a UAPI unix socket.
#ifndef RAVEN_DAEMON_WIREGUARD_UAPI_CLIENT_H_
#define RAVEN_DAEMON_WIREGUARD_UAPI_CLIENT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace raven::wg::uapi {

enum class SocketState {
  kListening,  // a server accepts connections
  kStale,      // the file exists but nobody listens (ECONNREFUSED): a crashed server
  kMissing,    // no socket file
};

absl::StatusOr<SocketState> ProbeSocket(const std::string& path);

// Connects to `path`, sends `request` and returns the whole response (up to
// and including its terminating blank line). Each socket read or write waits
// at most `timeout` (then DeadlineExceeded). Connection failures keep their
// errno's code: ENOENT is NotFound, ECONNREFUSED Unavailable; later failures
// are Internal.
absl::StatusOr<std::string> Transact(const std::string& path, absl::string_view request,
                                     absl::Duration timeout = absl::Seconds(5));

}  // namespace raven::wg::uapi

#endif  // RAVEN_DAEMON_WIREGUARD_UAPI_CLIENT_H_
