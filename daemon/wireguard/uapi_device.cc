#include "daemon/wireguard/uapi_device.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/poll.h"
#include "common/status_macros.h"
#include "daemon/netlink/link.h"
#include "daemon/wireguard/uapi_client.h"
#include "daemon/wireguard/uapi_protocol.h"
#include "daemon/wireguard/wireguard_go.h"

namespace raven::wg {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(10);

absl::Status RemoveStaleSocket(const std::string& path) {
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return absl::ErrnoToStatus(errno, absl::StrCat("remove stale UAPI socket ", path));
  }
  return absl::OkStatus();
}

}  // namespace

UserspaceDevice::UserspaceDevice(std::string name, BackendOptions options)
    : name_(std::move(name)),
      options_(std::move(options)),
      socket_path_(absl::StrCat(options_.uapi_dir, "/", name_, ".sock")) {}

absl::Status UserspaceDevice::Start() {
  absl::Time start = absl::Now();
  RETURN_IF_ERROR(LaunchWireGuardGo(options_.wireguard_go, name_, timeout_));
  // The launcher creates the listening socket before it exits, so this poll
  // normally succeeds at once; it also covers a launcher we could not reap.
  absl::Status probe;
  bool listening = PollUntil(
      [&] {
        absl::StatusOr<uapi::SocketState> state = uapi::ProbeSocket(socket_path_);
        probe = state.status();
        return !state.ok() || *state == uapi::SocketState::kListening;
      },
      std::max(start + timeout_ - absl::Now(), absl::ZeroDuration()), kPollInterval);
  RETURN_IF_ERROR(probe);
  if (!listening) {
    return absl::DeadlineExceededError(
        absl::StrCat(options_.wireguard_go, " started but ", socket_path_,
                     " did not accept connections within ", absl::FormatDuration(timeout_)));
  }
  RAVEN_LOG(kInfo, "started ", options_.wireguard_go, " for ", name_, "; UAPI socket ready after ",
            absl::FormatDuration(absl::Now() - start));
  return absl::OkStatus();
}

absl::Status UserspaceDevice::Ensure(const DeviceConfig& config) {
  if (config.name != name_) {
    return absl::InvalidArgumentError(
        absl::StrCat("device ", name_, " asked to ensure config for ", config.name));
  }
  ASSIGN_OR_RETURN(uapi::SocketState state, uapi::ProbeSocket(socket_path_));
  if (state == uapi::SocketState::kStale) {
    RAVEN_LOG(kWarning, socket_path_, " refuses connections (wireguard-go died?); restarting it");
    RETURN_IF_ERROR(RemoveStaleSocket(socket_path_));
  }
  if (state != uapi::SocketState::kListening) RETURN_IF_ERROR(Start());
  ASSIGN_OR_RETURN(DeviceState have, ReadState());
  DeviceSettings settings = SettingsToApply(config, have);
  if (settings.empty()) return absl::OkStatus();
  return Set(uapi::EncodeSetDevice(settings), "configure device");
}

bool UserspaceDevice::Exists() {
  absl::StatusOr<uapi::SocketState> state = uapi::ProbeSocket(socket_path_);
  return state.ok() && *state == uapi::SocketState::kListening;
}

absl::StatusOr<DeviceState> UserspaceDevice::ReadState() {
  absl::StatusOr<std::string> response = uapi::Transact(socket_path_, uapi::kGetRequest, timeout_);
  if (absl::IsNotFound(response.status()) || absl::IsUnavailable(response.status())) {
    return absl::NotFoundError(
        absl::StrCat("no wireguard-go device ", name_, ": ", response.status().message()));
  }
  RETURN_IF_ERROR(response.status());
  return uapi::ParseGetResponse(*response);
}

absl::Status UserspaceDevice::Set(const std::string& request, absl::string_view what) {
  absl::StatusOr<std::string> response = uapi::Transact(socket_path_, request, timeout_);
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat(what, " on ", name_, ": ", response.status().message()));
  }
  absl::Status status = uapi::ParseSetResponse(*response);
  if (!status.ok()) {
    return absl::Status(status.code(), absl::StrCat(what, " on ", name_, ": ", status.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<PeerStatus>> UserspaceDevice::GetPeers() {
  ASSIGN_OR_RETURN(DeviceState state, ReadState());
  return std::move(state.peers);
}

absl::Status UserspaceDevice::UpsertPeers(const std::vector<PeerConfig>& peers) {
  if (peers.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(std::string request, uapi::EncodeUpsertPeers(peers));
  return Set(request, "upsert peers");
}

absl::Status UserspaceDevice::RemovePeers(const std::vector<Key>& public_keys) {
  if (public_keys.empty()) return absl::OkStatus();
  return Set(uapi::EncodeRemovePeers(public_keys), "remove peers");
}

absl::Status UserspaceDevice::Destroy() {
  std::vector<pid_t> pids = FindWireGuardGo(options_.wireguard_go, name_);
  ASSIGN_OR_RETURN(std::optional<std::string> kind, nl::LinkKind(name_));
  bool deleted = false;
  if (kind == "tun") {
    absl::Status status = nl::DeleteLink(name_);
    deleted = status.ok() || absl::IsNotFound(status);
    if (!deleted) RAVEN_LOG(kWarning, "delete TUN link ", name_, ": ", status.message());
  }
  // Without the link, removing the socket is the other documented way to
  // make wireguard-go exit; it also clears a stale socket.
  if (!deleted) RETURN_IF_ERROR(RemoveStaleSocket(socket_path_));
  absl::Status probe;
  bool exited = PollUntil(
      [&] {
        absl::StatusOr<uapi::SocketState> state = uapi::ProbeSocket(socket_path_);
        if (state.ok() && *state == uapi::SocketState::kStale) {
          probe = RemoveStaleSocket(socket_path_);
        } else {
          probe = state.status();
        }
        if (!probe.ok()) return true;
        return *state != uapi::SocketState::kListening && WaitForExit(pids, absl::ZeroDuration());
      },
      timeout_, kPollInterval);
  RETURN_IF_ERROR(probe);
  if (exited) return absl::OkStatus();
  RAVEN_LOG(kWarning, "wireguard-go for ", name_, " did not exit within ",
            absl::FormatDuration(timeout_), "; sending SIGKILL");
  for (pid_t pid : pids) kill(pid, SIGKILL);
  RETURN_IF_ERROR(RemoveStaleSocket(socket_path_));
  if (!WaitForExit(pids, timeout_)) {
    return absl::DeadlineExceededError(absl::StrCat("wireguard-go for ", name_, " did not exit"));
  }
  return absl::OkStatus();
}

}  // namespace raven::wg
