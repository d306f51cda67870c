// Reads the per-CPU counters the TC programs keep, summed over CPUs.
#ifndef RAVEN_DAEMON_BPF_COUNTERS_H_
#define RAVEN_DAEMON_BPF_COUNTERS_H_

#include <array>
#include <cstdint>
#include <map>

#include "absl/status/statusor.h"
#include "common/ip_prefix.h"

namespace raven::bpf {

struct Traffic {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

inline constexpr int kDropReasonCount = 8;  // RAVEN_DROP_REASON_MAX
const char* DropReasonName(int reason);

// Traffic this node sent toward each remote peer (by peer id).
absl::StatusOr<std::map<uint32_t, Traffic>> ReadPeerCounters(int peer_stats_fd);
// Traffic a gateway relayed for each pool member (by the member's address).
absl::StatusOr<std::map<IpAddress, Traffic>> ReadRelayCounters(int relay_members_fd);
absl::StatusOr<std::array<uint64_t, kDropReasonCount>> ReadDropCounters(int drops_fd);

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_COUNTERS_H_
