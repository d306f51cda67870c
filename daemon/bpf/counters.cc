#include "daemon/bpf/counters.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/bpf/abi_check.h"

static_assert(raven::bpf::kDropReasonCount == RAVEN_DROP_REASON_MAX);

namespace raven::bpf {

const char* DropReasonName(int reason) {
  switch (reason) {
    case RAVEN_DROP_BAD_ROUTE:
      return "bad_route";
    case RAVEN_DROP_TUNNEL_KEY:
      return "tunnel_key";
    case RAVEN_DROP_TTL_EXCEEDED:
      return "ttl_exceeded";
    case RAVEN_DROP_MSS_REWRITE:
      return "mss_rewrite";
    case RAVEN_DROP_RELAY_NOT_GATEWAY:
      return "relay_not_gateway";
  }
  return "unknown";
}

absl::StatusOr<std::map<uint32_t, PeerCounters>> ReadPeerCounters(int fd) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return absl::InternalError("cannot count possible CPUs");
  std::vector<raven_peer_stats> per_cpu(cpus);
  std::map<uint32_t, PeerCounters> out;
  uint32_t key = 0, next = 0;
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, per_cpu.data()) == 0) {
      PeerCounters& sum = out[next];
      for (const auto& c : per_cpu) {
        sum.packets += c.packets;
        sum.bytes += c.bytes;
      }
    }
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) {
    return absl::InternalError(absl::StrCat("iterate peer stats: ", strerror(errno)));
  }
  return out;
}

absl::StatusOr<std::array<uint64_t, kDropReasonCount>> ReadDropCounters(int fd) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return absl::InternalError("cannot count possible CPUs");
  std::vector<uint64_t> per_cpu(cpus);
  std::array<uint64_t, kDropReasonCount> out{};
  for (uint32_t reason = 0; reason < kDropReasonCount; ++reason) {
    if (bpf_map_lookup_elem(fd, &reason, per_cpu.data()) != 0) {
      return absl::InternalError(absl::StrCat("read drop counter: ", strerror(errno)));
    }
    for (uint64_t c : per_cpu) out[reason] += c;
  }
  return out;
}

}  // namespace raven::bpf
