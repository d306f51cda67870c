// OpenDevice and DestroyDevice: the one place the WireGuard backend is chosen.
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/netlink/link.h"
#include "daemon/wireguard/kernel_device.h"
#include "daemon/wireguard/uapi_client.h"
#include "daemon/wireguard/uapi_device.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven::wg {
namespace {

// Interface names become socket file names for wireguard-go.
absl::Status CheckDeviceName(const std::string& name) {
  if (name.empty() || name.size() > 15 || name == "." || name == ".." ||
      name.find_first_of("/ \t\n:") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad WireGuard device name \"", name, "\": want 1-15 characters, no '/'"));
  }
  return absl::OkStatus();
}

// How the kernel says "no WireGuard here": EOPNOTSUPP for an unknown link
// kind (Unimplemented, as are EPROTONOSUPPORT and EAFNOSUPPORT), ENODEV or
// ENOENT (NotFound) on some configurations. EPERM and the like are real
// errors: wireguard-go would fail the same way.
bool MeansNoKernelSupport(const absl::Status& status) {
  return absl::IsUnimplemented(status) || absl::IsNotFound(status);
}

absl::StatusOr<std::unique_ptr<WireGuardDevice>> ChooseAutomatically(
    const std::string& name, const BackendOptions& options) {
  auto userspace = std::make_unique<UserspaceDevice>(name, options);
  ASSIGN_OR_RETURN(uapi::SocketState socket, uapi::ProbeSocket(userspace->socket_path()));
  if (socket == uapi::SocketState::kListening) {
    RAVEN_LOG(kInfo, "WireGuard device ", name, ": wireguard-go already serves ",
              userspace->socket_path(), "; using the userspace backend");
    return userspace;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> kind, nl::LinkKind(name));
  if (kind == "wireguard") {
    RAVEN_LOG(kInfo, "WireGuard device ", name,
              ": existing kernel device; using the kernel backend");
    return std::make_unique<KernelDevice>(name);
  }
  if (kind) {
    return absl::FailedPreconditionError(absl::StrCat("link ", name, " exists with kind \"", *kind,
                                                      "\" and no wireguard-go serves it"));
  }
  absl::Status probe = nl::CreateLink(name, "wireguard");
  if (probe.ok()) {
    RAVEN_LOG(kInfo, "WireGuard device ", name,
              ": created kernel device; using the kernel backend");
    return std::make_unique<KernelDevice>(name);
  }
  if (!MeansNoKernelSupport(probe)) return probe;
  RAVEN_LOG(kInfo, "WireGuard device ", name, ": kernel WireGuard unavailable (", probe.message(),
            "); using the userspace backend (", options.wireguard_go, ")");
  return userspace;
}

absl::Status BadMode(const std::string& mode) {
  return absl::InvalidArgumentError(
      absl::StrCat("WireGuard backend mode \"", mode, "\": want auto, kernel or userspace"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<WireGuardDevice>> OpenDevice(const std::string& name,
                                                            const BackendOptions& options) {
  RETURN_IF_ERROR(CheckDeviceName(name));
  if (options.mode == "kernel") return std::make_unique<KernelDevice>(name);
  if (options.mode == "userspace") return std::make_unique<UserspaceDevice>(name, options);
  if (options.mode == "auto") return ChooseAutomatically(name, options);
  return BadMode(options.mode);
}

absl::Status DestroyDevice(const std::string& name, const BackendOptions& options) {
  RETURN_IF_ERROR(CheckDeviceName(name));
  if (options.mode == "kernel") return KernelDevice(name).Destroy();
  if (options.mode == "userspace") return UserspaceDevice(name, options).Destroy();
  if (options.mode != "auto") return BadMode(options.mode);
  ASSIGN_OR_RETURN(std::optional<std::string> kind, nl::LinkKind(name));
  if (kind == "wireguard") return KernelDevice(name).Destroy();
  // Also what stops a wireguard-go whose link is gone; with nothing there, a no-op.
  return UserspaceDevice(name, options).Destroy();
}

}  // namespace raven::wg
