// Runs a TC program once over a frame with BPF_PROG_TEST_RUN.
#ifndef RAVEN_TESTS_BPF_PROG_TEST_RUN_H_
#define RAVEN_TESTS_BPF_PROG_TEST_RUN_H_

#include <linux/bpf.h>

#include <cstdint>

#include "absl/status/statusor.h"
#include "tests/bpf/packet_builder.h"

namespace raven::bpf::testing {

struct TcRunResult {
  int verdict = 0;    // TC_ACT_*
  Bytes frame;        // the packet as the program left it
  uint32_t mark = 0;  // skb->mark as the program left it
};

// Runs prog_fd over frame with skb->mark = mark. InvalidArgument when the
// kernel refuses the frame (shorter than an Ethernet header; on newer kernels
// also an IPv4/IPv6 frame shorter than its IP header), Internal otherwise.
absl::StatusOr<TcRunResult> RunTcProgram(int prog_fd, const Bytes& frame, uint32_t mark = 0);

}  // namespace raven::bpf::testing

#endif  // RAVEN_TESTS_BPF_PROG_TEST_RUN_H_
