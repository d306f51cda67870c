// Attaches the TC programs to clsact hooks, atomically replacing the filter a
// previous agent left (same handle and priority), so traffic never sees a gap.
// Only clsact qdiscs this agent created are ever destroyed; which those are
// (name and ifindex) is kept in a state file so that a restarted agent still
// knows.
#ifndef RAVEN_DAEMON_BPF_TC_ATTACH_H_
#define RAVEN_DAEMON_BPF_TC_ATTACH_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"

namespace raven::bpf {

enum class TcDirection { kIngress, kEgress };

inline constexpr uint32_t kTcHandle = 0x5256;  // "RV"
inline constexpr uint32_t kTcPriority = 1;

class TcAttacher {
 public:
  // state_file: where the names of interfaces whose clsact we created are kept.
  explicit TcAttacher(std::string state_file);

  absl::Status Attach(const std::string& ifname, TcDirection direction, int prog_fd);
  // Removes our filter; NotFound when it was not there.
  absl::Status Detach(const std::string& ifname, TcDirection direction);
  // Removes our filters in both directions and the clsact qdisc if we made it.
  absl::Status DetachAll(const std::string& ifname);
  // The id of the program attached with our handle, or NotFound.
  absl::StatusOr<uint32_t> AttachedProgramId(const std::string& ifname, TcDirection direction);

 private:
  absl::Status LoadState();
  absl::Status SaveState() const;

  std::string state_file_;
  // Interfaces whose clsact we created, with the ifindex they had then: a
  // link re-created under the same name may carry another component's clsact.
  std::map<std::string, int> created_hooks_;
};

absl::StatusOr<uint32_t> ProgramId(int prog_fd);

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_TC_ATTACH_H_
