// The test-only probe programs (tunnel_key_probe.bpf.c), loaded with their
// own unpinned maps.
#ifndef RAVEN_TESTS_BPF_PROBE_H_
#define RAVEN_TESTS_BPF_PROBE_H_

#include <gtest/gtest.h>
#include <unistd.h>

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

// A parameterised test over the probes, loaded afresh for each case.
template <typename Case>
class ProbeTest : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "BPF_PROG_TEST_RUN needs root (CAP_BPF + CAP_NET_ADMIN)";
    auto probe = LoadProbe();
    ASSERT_TRUE(probe.ok()) << probe.status();
    probe_ = std::move(*probe);
  }

  ProbeSkeleton probe_;
};

}  // namespace raven::bpf::testing

#endif  // RAVEN_TESTS_BPF_PROBE_H_
