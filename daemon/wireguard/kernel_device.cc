#include "daemon/wireguard/kernel_device.h"

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/netlink/genl_family.h"
#include "daemon/netlink/link.h"
#include "daemon/wireguard/genl_messages.h"

namespace raven::wg {

absl::StatusOr<KernelDevice::Genl> KernelDevice::OpenGenl() {
  ASSIGN_OR_RETURN(nl::Socket socket, nl::Socket::Open(nl::Bus::kGeneric));
  absl::StatusOr<uint16_t> family = nl::ResolveGenlFamily(socket, WG_GENL_NAME);
  if (absl::IsNotFound(family.status())) {
    return absl::UnimplementedError("the kernel has no WireGuard (generic netlink family missing)");
  }
  if (!family.ok()) return family.status();
  return Genl{std::move(socket), *family};
}

absl::StatusOr<DeviceState> KernelDevice::ReadState() {
  ASSIGN_OR_RETURN(Genl genl, OpenGenl());
  nl::Request request = genl::BuildGetDevice(genl.family, name_);
  genl::Device device;
  absl::Status status = genl.socket.Dump(
      request, absl::StrCat("get WireGuard device ", name_), [&device] { device = genl::Device(); },
      [&device](const nlmsghdr& nlh) { return genl::DecodeDeviceMessage(nlh, device); });
  if (absl::IsNotFound(status)) {  // ENODEV
    return absl::NotFoundError(absl::StrCat("no WireGuard device ", name_));
  }
  RETURN_IF_ERROR(status);
  return genl::ToDeviceState(device);
}

absl::Status KernelDevice::Send(absl::string_view what, MessageBuilder build) {
  ASSIGN_OR_RETURN(Genl genl, OpenGenl());
  ASSIGN_OR_RETURN(std::vector<nl::Request> messages, build(genl.family));
  for (size_t i = 0; i < messages.size(); ++i) {
    RETURN_IF_ERROR(genl.socket.Transact(
        messages[i],
        absl::StrCat(what, " on ", name_, " (message ", i + 1, "/", messages.size(), ")")));
  }
  return absl::OkStatus();
}

absl::Status KernelDevice::Ensure(const DeviceConfig& config) {
  if (config.name != name_) {
    return absl::InvalidArgumentError(
        absl::StrCat("device ", name_, " asked to ensure config for ", config.name));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> kind, nl::LinkKind(name_));
  if (!kind) {
    absl::Status created = nl::CreateLink(name_, "wireguard");
    if (created.ok()) RAVEN_LOG(kInfo, "created kernel WireGuard device ", name_);
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
    ASSIGN_OR_RETURN(kind, nl::LinkKind(name_));
  }
  if (kind != "wireguard") {
    return absl::FailedPreconditionError(absl::StrCat("link ", name_, " exists but is of kind \"",
                                                      kind.value_or(""), "\", not wireguard"));
  }
  ASSIGN_OR_RETURN(DeviceState have, ReadState());
  DeviceSettings settings = SettingsToApply(config, have);
  if (settings.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Genl genl, OpenGenl());
  nl::Request request = genl::BuildSetDevice(genl.family, name_, settings);
  return genl.socket.Transact(request, absl::StrCat("configure WireGuard device ", name_));
}

bool KernelDevice::Exists() {
  absl::StatusOr<std::optional<std::string>> kind = nl::LinkKind(name_);
  return kind.ok() && *kind == "wireguard";
}

absl::StatusOr<std::vector<PeerStatus>> KernelDevice::GetPeers() {
  ASSIGN_OR_RETURN(DeviceState state, ReadState());
  return std::move(state.peers);
}

absl::Status KernelDevice::UpsertPeers(const std::vector<PeerConfig>& peers) {
  if (peers.empty()) return absl::OkStatus();
  return Send("upsert WireGuard peers",
              [&](uint16_t family) { return genl::BuildUpsertPeers(family, name_, peers); });
}

absl::Status KernelDevice::RemovePeers(const std::vector<Key>& public_keys) {
  if (public_keys.empty()) return absl::OkStatus();
  return Send("remove WireGuard peers",
              [&](uint16_t family) { return genl::BuildRemovePeers(family, name_, public_keys); });
}

absl::Status KernelDevice::Destroy() {
  ASSIGN_OR_RETURN(std::optional<std::string> kind, nl::LinkKind(name_));
  if (!kind) return absl::OkStatus();
  if (*kind != "wireguard") {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to delete ", name_, ": kind \"", *kind, "\", not wireguard"));
  }
  absl::Status status = nl::DeleteLink(name_);
  if (absl::IsNotFound(status)) return absl::OkStatus();
  return status;
}

}  // namespace raven::wg
