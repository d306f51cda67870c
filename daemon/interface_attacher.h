// Decides which program goes on which interface and keeps it there: pod
// ingress on every interface matching the pod globs (including ones that
// appear later), host egress on the uplink, relay ingress on the VXLAN device.
#ifndef RAVEN_DAEMON_INTERFACE_ATTACHER_H_
#define RAVEN_DAEMON_INTERFACE_ATTACHER_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/tc_attach.h"

namespace raven {

struct AttachPlan {
  std::vector<std::string> pod_globs;
  std::string uplink;
  std::string vxlan_device;
};

bool MatchesAnyGlob(const std::string& name, const std::vector<std::string>& globs);

class InterfaceAttacher {
 public:
  InterfaceAttacher(AttachPlan plan, const bpf::DataplanePrograms& programs, bpf::TcAttacher& tc)
      : plan_(std::move(plan)), programs_(programs), tc_(tc) {}

  // Attaches to every interface that should carry a program now. Failures on
  // one pod interface (it may be vanishing) are logged, not fatal.
  absl::Status AttachAll();
  // For a link that appeared or changed; ignores names that match no rule.
  void OnLinkAdded(const std::string& name);
  void OnLinkRemoved(const std::string& name) { attached_.erase(name); }
  // Pod interfaces that carry our program, for health reporting.
  size_t attached_pod_interfaces() const { return attached_.size(); }

 private:
  absl::Status AttachPod(const std::string& name);

  AttachPlan plan_;
  const bpf::DataplanePrograms& programs_;
  bpf::TcAttacher& tc_;
  std::set<std::string> attached_;  // pod interfaces we attached to
};

}  // namespace raven

#endif  // RAVEN_DAEMON_INTERFACE_ATTACHER_H_
