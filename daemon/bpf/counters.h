// Reads the per-CPU counters the TC programs keep, summed over CPUs.
#ifndef RAVEN_DAEMON_BPF_COUNTERS_H_
#define RAVEN_DAEMON_BPF_COUNTERS_H_

#include <array>
#include <cstdint>
#include <map>

#include "absl/status/statusor.h"

namespace raven::bpf {

struct PeerCounters {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

inline constexpr int kDropReasonCount = 5;  // RAVEN_DROP_REASON_MAX
const char* DropReasonName(int reason);

absl::StatusOr<std::map<uint32_t, PeerCounters>> ReadPeerCounters(int peer_stats_fd);
absl::StatusOr<std::array<uint64_t, kDropReasonCount>> ReadDropCounters(int drops_fd);

}  // namespace raven::bpf

#endif  // RAVEN_DAEMON_BPF_COUNTERS_H_
