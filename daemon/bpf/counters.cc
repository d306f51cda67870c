#include "daemon/bpf/counters.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <string.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "daemon/bpf/abi_check.h"
#include "daemon/bpf/node_key.h"

static_assert(raven::bpf::kDropReasonCount == RAVEN_DROP_REASON_MAX);
static_assert(RAVEN_DROP_REASON_MAX <= RAVEN_DROP_SLOTS);

namespace raven::bpf {
namespace {

// Sums a per-CPU hash of raven_traffic values, keyed as the map is.
template <typename RawKey, typename Key, typename Decode>
absl::StatusOr<std::map<Key, Traffic>> ReadTraffic(int fd, absl::string_view what, Decode decode) {
  const int cpus = libbpf_num_possible_cpus();
  if (cpus <= 0) return absl::InternalError("cannot count possible CPUs");
  std::vector<raven_traffic> per_cpu(cpus);
  std::map<Key, Traffic> out;
  RawKey key{}, next{};
  const void* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    if (bpf_map_lookup_elem(fd, &next, per_cpu.data()) == 0) {
      Traffic& sum = out[decode(next)];
      for (const auto& c : per_cpu) {
        sum.packets += c.packets;
        sum.bytes += c.bytes;
      }
    }
    key = next;
    prev = &key;
  }
  if (errno != ENOENT) {
    return absl::InternalError(absl::StrCat("iterate ", what, ": ", strerror(errno)));
  }
  return out;
}

}  // namespace

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
    case RAVEN_DROP_RELAY_FOREIGN:
      return "relay_foreign";
    case RAVEN_DROP_RELAY_NO_ROUTE:
      return "relay_no_route";
    case RAVEN_DROP_NO_PATH:
      return "no_path";
  }
  return "unknown";
}

absl::StatusOr<std::map<uint32_t, Traffic>> ReadPeerCounters(int fd) {
  return ReadTraffic<uint32_t, uint32_t>(fd, "peer stats", [](uint32_t id) { return id; });
}

absl::StatusOr<std::map<IpAddress, Traffic>> ReadRelayCounters(int fd) {
  return ReadTraffic<raven_node_key, IpAddress>(fd, "relay members", DecodeNodeKey);
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
