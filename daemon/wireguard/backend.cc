// OpenDevice: the one place the WireGuard backend is chosen.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/wireguard/kernel_device.h"
#include "daemon/wireguard/link_ops.h"
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
  ASSIGN_OR_RETURN(std::optional<std::string> kind, LinkKind(name));
  if (kind == "wireguard") {
    RAVEN_LOG(kInfo, "WireGuard device ", name,
              ": existing kernel device; using the kernel backend");
    return std::make_unique<KernelDevice>(name);
  }
  if (kind) {
    return absl::FailedPreconditionError(absl::StrCat("link ", name, " exists with kind \"", *kind,
                                                      "\" and no wireguard-go serves it"));
  }
  absl::Status probe = CreateLink(name, "wireguard");
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

}  // namespace

absl::StatusOr<std::unique_ptr<WireGuardDevice>> OpenDevice(const std::string& name,
                                                            const BackendOptions& options) {
  RETURN_IF_ERROR(CheckDeviceName(name));
  if (options.mode == "kernel") return std::make_unique<KernelDevice>(name);
  if (options.mode == "userspace") return std::make_unique<UserspaceDevice>(name, options);
  if (options.mode == "auto") return ChooseAutomatically(name, options);
  return absl::InvalidArgumentError(absl::StrCat("WireGuard backend mode \"", options.mode,
                                                 "\": want auto, kernel or userspace"));
}

}  // namespace raven::wg
