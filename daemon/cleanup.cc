#include "daemon/cleanup.h"

#include <unistd.h>

#include "common/logging.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/tc_attach.h"
#include "daemon/netlink/link.h"
#include "daemon/wireguard/wireguard_device.h"

namespace raven {
namespace {

void Note(absl::Status st, absl::string_view what, absl::Status& first) {
  if (st.ok() || absl::IsNotFound(st)) return;
  RAVEN_LOG(kError, "cleanup: ", what, ": ", st.message());
  if (first.ok()) first = std::move(st);
}

}  // namespace

absl::Status CleanupNode(const AgentConfig& config) {
  absl::Status first;
  bpf::TcAttacher tc(config.tc_state_file());
  auto links = nl::ListLinks();
  Note(links.status(), "list links", first);
  if (links.ok()) {
    for (const auto& link : *links) Note(tc.DetachAll(link.name), link.name, first);
  }
  Note(wg::DestroyDevice(config.wireguard_device, config.wireguard_backend),
       "delete WireGuard device", first);
  Note(nl::DeleteLink(config.vxlan_device), "delete VXLAN device", first);
  Note(bpf::UnpinAll(config.bpffs_dir), "unpin maps and programs", first);
  unlink(config.tc_state_file().c_str());
  if (first.ok()) RAVEN_LOG(kInfo, "cleanup complete");
  return first;
}

}  // namespace raven
