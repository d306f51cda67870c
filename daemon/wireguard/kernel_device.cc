#include "daemon/wireguard/kernel_device.h"

#include <linux/netlink.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/wireguard/genl_messages.h"
#include "daemon/wireguard/link_ops.h"

namespace raven::wg {

absl::StatusOr<KernelDevice::Genl> KernelDevice::OpenGenl() {
  ASSIGN_OR_RETURN(NetlinkSocket socket, NetlinkSocket::Open(NETLINK_GENERIC));
  absl::StatusOr<uint16_t> family = ResolveGenlFamily(socket, WG_GENL_NAME);
  if (absl::IsNotFound(family.status())) {
    return absl::UnimplementedError("the kernel has no WireGuard (generic netlink family missing)");
  }
  if (!family.ok()) return family.status();
  return Genl{std::move(socket), *family};
}

absl::StatusOr<DeviceState> KernelDevice::ReadState() {
  ASSIGN_OR_RETURN(Genl genl, OpenGenl());
  // A dump that raced with a change is flagged NLM_F_DUMP_INTR; read again.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    NetlinkMessage request = genl::BuildGetDevice(genl.family, name_);
    genl::Device device;
    bool interrupted = false;
    absl::Status status = genl.socket.Transact(
        request,
        [&](const nlmsghdr* nlh) {
          interrupted = interrupted || (nlh->nlmsg_flags & NLM_F_DUMP_INTR) != 0;
          return genl::DecodeDeviceMessage(nlh, device);
        },
        absl::StrCat("get WireGuard device ", name_));
    if (absl::IsNotFound(status)) {  // ENODEV
      return absl::NotFoundError(absl::StrCat("no WireGuard device ", name_));
    }
    RETURN_IF_ERROR(status);
    if (!interrupted) return genl::ToDeviceState(device);
    if (attempt == kAttempts) {
      return absl::AbortedError(
          absl::StrCat("WireGuard device ", name_, " kept changing while being read"));
    }
  }
}

absl::Status KernelDevice::Send(Genl& genl, std::vector<NetlinkMessage>& messages,
                                absl::string_view what) {
  for (size_t i = 0; i < messages.size(); ++i) {
    RETURN_IF_ERROR(genl.socket.Transact(
        messages[i], nullptr,
        absl::StrCat(what, " on ", name_, " (message ", i + 1, "/", messages.size(), ")")));
  }
  return absl::OkStatus();
}

absl::Status KernelDevice::Ensure(const DeviceConfig& config) {
  if (config.name != name_) {
    return absl::InvalidArgumentError(
        absl::StrCat("device ", name_, " asked to ensure config for ", config.name));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> kind, LinkKind(name_));
  if (!kind) {
    absl::Status created = CreateLink(name_, "wireguard");
    if (created.ok()) RAVEN_LOG(kInfo, "created kernel WireGuard device ", name_);
    if (!created.ok() && !absl::IsAlreadyExists(created)) return created;
    ASSIGN_OR_RETURN(kind, LinkKind(name_));
  }
  if (kind != "wireguard") {
    return absl::FailedPreconditionError(absl::StrCat("link ", name_, " exists but is of kind \"",
                                                      kind.value_or(""), "\", not wireguard"));
  }
  ASSIGN_OR_RETURN(DeviceState have, ReadState());
  DeviceSettings settings = SettingsToApply(config, have);
  if (settings.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Genl genl, OpenGenl());
  NetlinkMessage request = genl::BuildSetDevice(genl.family, name_, settings);
  return genl.socket.Transact(request, nullptr, absl::StrCat("configure WireGuard device ", name_));
}

bool KernelDevice::Exists() {
  absl::StatusOr<std::optional<std::string>> kind = LinkKind(name_);
  return kind.ok() && *kind == "wireguard";
}

absl::StatusOr<std::vector<PeerStatus>> KernelDevice::GetPeers() {
  ASSIGN_OR_RETURN(DeviceState state, ReadState());
  return std::move(state.peers);
}

absl::Status KernelDevice::UpsertPeers(const std::vector<PeerConfig>& peers) {
  if (peers.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Genl genl, OpenGenl());
  ASSIGN_OR_RETURN(std::vector<NetlinkMessage> messages,
                   genl::BuildUpsertPeers(genl.family, name_, peers));
  return Send(genl, messages, "upsert WireGuard peers");
}

absl::Status KernelDevice::RemovePeers(const std::vector<Key>& public_keys) {
  if (public_keys.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(Genl genl, OpenGenl());
  ASSIGN_OR_RETURN(std::vector<NetlinkMessage> messages,
                   genl::BuildRemovePeers(genl.family, name_, public_keys));
  return Send(genl, messages, "remove WireGuard peers");
}

absl::Status KernelDevice::Destroy() {
  ASSIGN_OR_RETURN(std::optional<std::string> kind, LinkKind(name_));
  if (!kind) return absl::OkStatus();
  if (*kind != "wireguard") {
    return absl::FailedPreconditionError(
        absl::StrCat("refusing to delete ", name_, ": kind \"", *kind, "\", not wireguard"));
  }
  absl::Status status = DeleteLink(name_);
  if (absl::IsNotFound(status)) return absl::OkStatus();
  return status;
}

}  // namespace raven::wg
