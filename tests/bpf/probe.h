// The test-only probe programs (tunnel_key_probe.bpf.c), loaded with their
// own unpinned maps.
#ifndef RAVEN_TESTS_BPF_PROBE_H_
#define RAVEN_TESTS_BPF_PROBE_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "tunnel_key_probe.skel.h"

namespace raven::bpf::testing {

inline constexpr uint32_t kProbeVni = 200;

struct ProbeDestroyer {
  void operator()(tunnel_key_probe* skel) const { tunnel_key_probe__destroy(skel); }
};
using ProbeSkeleton = std::unique_ptr<tunnel_key_probe, ProbeDestroyer>;

// Loads the probes with vxlan_vni = kProbeVni and nothing pinned.
absl::StatusOr<ProbeSkeleton> LoadProbe();

}  // namespace raven::bpf::testing

#endif  // RAVEN_TESTS_BPF_PROBE_H_
