// The loaded TC programs and their maps: one RAII owner of the libbpf
// skeleton. Maps are pinned by name under a bpffs directory and reused when
// already pinned, so a restarted agent keeps the routes the old one wrote.
#ifndef RAVEN_DAEMON_BPF_DATAPLANE_PROGRAMS_H_
#define RAVEN_DAEMON_BPF_DATAPLANE_PROGRAMS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "daemon/bpf/abi_check.h"

struct raven_tc;  // the generated skeleton

namespace raven::bpf {

inline constexpr uint32_t kDefaultTunnelMark = RAVEN_DEFAULT_TUNNEL_MARK;

// Whether a --tunnel-mark leaves the bits others test clear (raven_abi.h).
inline bool UsableTunnelMark(uint32_t mark) {
  return mark != 0 && (mark & RAVEN_KUBE_PROXY_MARK_BITS) == 0;
}

struct ProgramOptions {
  std::string pin_dir;  // empty: nothing pinned (tests)
  uint16_t wireguard_port = 4500;
  uint16_t vxlan_port = 4472;
  uint32_t vxlan_vni = 200;
  uint32_t tunnel_mark = kDefaultTunnelMark;
};

class DataplanePrograms {
 public:
  static absl::StatusOr<std::unique_ptr<DataplanePrograms>> Load(const ProgramOptions& options);
  ~DataplanePrograms();
  DataplanePrograms(const DataplanePrograms&) = delete;
  DataplanePrograms& operator=(const DataplanePrograms&) = delete;

  int pod_ingress_fd() const;
  int host_egress_fd() const;
  int relay_ingress_fd() const;
  int routes4_fd() const;
  int routes6_fd() const;
  int peer_stats_fd() const;
  int drops_fd() const;
  int relay_members_fd() const;

 private:
  explicit DataplanePrograms(raven_tc* skel) : skel_(skel) {}
  absl::Status PinPrograms(const std::string& dir);

  raven_tc* skel_;
};

// Names under the pin directory; the map names come from bpf/raven_abi.h.
inline constexpr const char* kPodIngressProgPin = "prog_pod_ingress";
inline constexpr const char* kHostEgressProgPin = "prog_host_egress";
inline constexpr const char* kRelayIngressProgPin = "prog_relay_ingress";

// Maps of earlier layouts (an older agent's), unpinned once ours are loaded:
// the programs still attached keep them alive until their filters are swapped.
inline constexpr const char* kRetiredPins[] = {"raven_drops_v1"};

// Removes every pin the agent creates in dir (and retired ones), then dir
// itself if empty.
absl::Status UnpinAll(const std::string& dir);

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_DATAPLANE_PROGRAMS_H_
