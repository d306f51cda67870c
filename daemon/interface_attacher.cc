#include "daemon/interface_attacher.h"

#include <fnmatch.h>

#include "common/logging.h"
#include "common/status_macros.h"
#include "daemon/netlink/link.h"

namespace raven {

bool MatchesAnyGlob(const std::string& name, const std::vector<std::string>& globs) {
  for (const auto& glob : globs) {
    if (fnmatch(glob.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

absl::Status InterfaceAttacher::AttachPod(const std::string& name) {
  RETURN_IF_ERROR(tc_.Attach(name, bpf::TcDirection::kIngress, programs_.pod_ingress_fd()));
  if (!attached_.count(name)) RAVEN_LOG(kInfo, "attached pod ingress program to ", name);
  attached_.insert(name);
  return absl::OkStatus();
}

absl::Status InterfaceAttacher::AttachAll() {
  RETURN_IF_ERROR(tc_.Attach(plan_.uplink, bpf::TcDirection::kEgress, programs_.host_egress_fd()));
  RETURN_IF_ERROR(
      tc_.Attach(plan_.vxlan_device, bpf::TcDirection::kIngress, programs_.relay_ingress_fd()));
  ASSIGN_OR_RETURN(std::vector<nl::LinkInfo> links, nl::ListLinks());
  std::set<std::string> present;
  for (const auto& link : links) {
    if (!MatchesAnyGlob(link.name, plan_.pod_globs)) continue;
    present.insert(link.name);
    if (absl::Status st = AttachPod(link.name); !st.ok()) {
      RAVEN_LOG(kWarning, "pod interface ", link.name, ": ", st.message());
    }
  }
  std::erase_if(attached_, [&](const std::string& name) { return !present.count(name); });
  return absl::OkStatus();
}

void InterfaceAttacher::OnLinkAdded(const std::string& name) {
  if (!MatchesAnyGlob(name, plan_.pod_globs) || attached_.count(name)) return;
  if (absl::Status st = AttachPod(name); !st.ok()) {
    RAVEN_LOG(kWarning, "pod interface ", name, ": ", st.message());
  }
}

}  // namespace raven
