// Decides which program goes on which interface and keeps it there, also on
// interfaces that appear later:
//   pod ingress  on every interface matching the pod globs (host side of pod
//                interfaces: pod traffic before routing and before DNAT);
//   host egress  on the uplink and on every Ethernet interface matching the
//                egress device globs (the CNI's overlays flannel.1,
//                vxlan.calico..., a second NIC): traffic after routing, DNAT
//                and SNAT, whichever device the routes chose;
//   relay ingress on the VXLAN device.
#ifndef RAVEN_DAEMON_INTERFACE_ATTACHER_H_
#define RAVEN_DAEMON_INTERFACE_ATTACHER_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/tc_attach.h"
#include "daemon/netlink/link.h"

namespace raven {

struct AttachPlan {
  std::vector<std::string> pod_globs;
  std::vector<std::string> egress_device_globs;
  std::string uplink;
  std::string vxlan_device;
};

bool MatchesAnyGlob(const std::string& name, const std::vector<std::string>& globs);

class InterfaceAttacher {
 public:
  InterfaceAttacher(AttachPlan plan, const bpf::DataplanePrograms& programs, bpf::TcAttacher& tc)
      : plan_(std::move(plan)), programs_(programs), tc_(tc) {}

  // Attaches to every interface that should carry a program now. Failures on
  // one pod interface or egress device (it may be vanishing) are logged, not fatal.
  absl::Status AttachAll();
  // For a link that appeared, changed or was renamed; ignores names that
  // match no rule.
  void OnLinkAdded(const std::string& name);
  void OnLinkRemoved(const std::string& name);
  // Egress devices (not the uplink) that carry the host egress program now.
  const std::set<std::string>& egress_devices() const { return egress_devices_; }
  // One line per device matching the egress globs that has no Ethernet
  // header (refused), for /healthz?verbose.
  std::vector<std::string> Warnings() const;

 private:
  enum class Role { kNone, kPod, kEgressDevice };
  Role RoleOf(const std::string& name) const;
  static std::string RefusedWarning(const std::string& device);
  void AttachLink(const nl::LinkInfo& link);
  // Attaches prog_fd and records name in `attached`; failures are logged.
  void Attach(const std::string& name, bpf::TcDirection direction, int prog_fd,
              std::set<std::string>& attached, const char* what);

  AttachPlan plan_;
  const bpf::DataplanePrograms& programs_;
  bpf::TcAttacher& tc_;
  std::set<std::string> pods_;            // pod interfaces we attached to
  std::set<std::string> egress_devices_;  // egress devices we attached to
  std::set<std::string> refused_;         // matching devices without Ethernet headers
};

}  // namespace raven

#endif  // RAVEN_DAEMON_INTERFACE_ATTACHER_H_
