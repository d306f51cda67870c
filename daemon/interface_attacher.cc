#include "daemon/interface_attacher.h"

#include <fnmatch.h>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace raven {

bool MatchesAnyGlob(const std::string& name, const std::vector<std::string>& globs) {
  for (const auto& glob : globs) {
    if (fnmatch(glob.c_str(), name.c_str(), 0) == 0) return true;
  }
  return false;
}

std::string InterfaceAttacher::RefusedWarning(const std::string& device) {
  return absl::StrCat("egress device ", device,
                      " has no Ethernet header: cross-pool traffic routed to it is not caught");
}

std::vector<std::string> InterfaceAttacher::Warnings() const {
  std::vector<std::string> out;
  for (const std::string& device : refused_) out.push_back(RefusedWarning(device));
  return out;
}

InterfaceAttacher::Role InterfaceAttacher::RoleOf(const std::string& name) const {
  if (name == plan_.uplink || name == plan_.vxlan_device) return Role::kNone;
  if (MatchesAnyGlob(name, plan_.pod_globs)) return Role::kPod;
  if (MatchesAnyGlob(name, plan_.egress_device_globs)) return Role::kEgressDevice;
  return Role::kNone;
}

void InterfaceAttacher::Attach(const std::string& name, bpf::TcDirection direction, int prog_fd,
                               std::set<std::string>& attached, const char* what) {
  if (absl::Status st = tc_.Attach(name, direction, prog_fd); !st.ok()) {
    RAVEN_LOG(kWarning, what, " ", name, ": ", st.message());
    return;
  }
  if (attached.insert(name).second) RAVEN_LOG(kInfo, "attached ", what, " program to ", name);
}

void InterfaceAttacher::AttachLink(const nl::LinkInfo& link) {
  switch (RoleOf(link.name)) {
    case Role::kNone:
      return;
    case Role::kPod:
      Attach(link.name, bpf::TcDirection::kIngress, programs_.pod_ingress_fd(), pods_,
             "pod ingress");
      return;
    case Role::kEgressDevice:
      // The programs parse from an Ethernet header; an L3 device (tunl0,
      // flannel-wg) hands them none, so they would see garbage.
      if (!link.ethernet) {
        if (refused_.insert(link.name).second) RAVEN_LOG(kWarning, RefusedWarning(link.name));
        return;
      }
      Attach(link.name, bpf::TcDirection::kEgress, programs_.host_egress_fd(), egress_devices_,
             "host egress");
      return;
  }
}

absl::Status InterfaceAttacher::AttachAll() {
  RETURN_IF_ERROR(tc_.Attach(plan_.uplink, bpf::TcDirection::kEgress, programs_.host_egress_fd()));
  RETURN_IF_ERROR(
      tc_.Attach(plan_.vxlan_device, bpf::TcDirection::kIngress, programs_.relay_ingress_fd()));
  ASSIGN_OR_RETURN(std::vector<nl::LinkInfo> links, nl::ListLinks());
  std::set<std::string> present;
  for (const auto& link : links) {
    present.insert(link.name);
    AttachLink(link);
  }
  auto gone = [&](const std::string& name) { return !present.count(name); };
  std::erase_if(pods_, gone);
  std::erase_if(egress_devices_, gone);
  std::erase_if(refused_, gone);
  return absl::OkStatus();
}

void InterfaceAttacher::OnLinkAdded(const std::string& name) {
  // Also for a name we attached to: the link may have been re-created (a CNI
  // restarting) or renamed, and attaching again is an atomic replace.
  if (RoleOf(name) == Role::kNone || refused_.count(name)) return;
  absl::StatusOr<nl::LinkInfo> link = nl::GetLink(name);
  if (!link.ok()) {
    RAVEN_LOG(kWarning, "interface ", name, ": ", link.status().message());
    return;
  }
  AttachLink(*link);
}

void InterfaceAttacher::OnLinkRemoved(const std::string& name) {
  pods_.erase(name);
  egress_devices_.erase(name);
  refused_.erase(name);
}

}  // namespace raven
