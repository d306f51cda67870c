// Table-driven tests of the Raven TC programs: each case loads fresh
// programs, writes its routes through BpfRouteTable, runs one frame through
// one entry point with BPF_PROG_TEST_RUN and checks the verdict, the output
// frame, skb->mark and the per-peer and drop counters.
#ifndef RAVEN_TESTS_BPF_DATAPLANE_CASE_H_
#define RAVEN_TESTS_BPF_DATAPLANE_CASE_H_

#include <linux/pkt_cls.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "daemon/bpf/dataplane_programs.h"
#include "daemon/bpf/route_table.h"
#include "gtest/gtest.h"
#include "tests/bpf/packet_builder.h"

extern "C" {
#include "raven_abi.h"
}

namespace raven::bpf::testing {

enum class Program { kPodIngress, kHostEgress, kRelayIngress };

inline constexpr uint32_t kWireGuardIfindex = 11;
inline constexpr uint32_t kVxlanIfindex = 12;
inline constexpr uint16_t kTunnelMtu = 1420;
inline constexpr uint32_t kTunnelMark = kDefaultTunnelMark;  // ProgramOptions' default

RouteValue WireGuardRoute(uint32_t peer_id);
RouteValue VxlanRoute(uint32_t peer_id, absl::string_view gateway);
RouteValue NoPathRoute(uint32_t peer_id);

// Prefix literals to route values; an invalid literal aborts the test.
RouteMap Routes(std::vector<std::pair<std::string, RouteValue>> routes);

// The routes most cases run against: longest prefix decides between a
// WireGuard peer and a VXLAN-relayed one, in both families.
//   10.20.0.0/16     -> peer 1, WireGuard
//   10.20.5.0/24     -> peer 2, VXLAN via 192.168.50.2
//   fd00:20::/48     -> peer 3, WireGuard
//   fd00:20:0:5::/64 -> peer 4, VXLAN via fd00:50::2
RouteMap StandardRoutes();

struct DataplaneCase {
  std::string name;  // the gtest parameter name
  Program program = Program::kPodIngress;
  RouteMap routes;
  Bytes in;
  uint32_t mark_in = 0;
  int verdict = TC_ACT_OK;
  std::optional<Bytes> out;               // nullopt: the frame leaves untouched
  std::optional<uint32_t> mark_out;       // nullopt: skb->mark unchanged
  std::optional<uint32_t> counted_peer;   // the one peer counting this frame
  std::optional<raven_drop_reason> drop;  // the one drop counter that must read 1
};

std::ostream& operator<<(std::ostream& os, const DataplaneCase& c);
std::string CaseName(const ::testing::TestParamInfo<DataplaneCase>& info);

// Loads fresh programs, with empty maps and zero counters, for every test.
class LoadedProgramsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  int ProgramFd(Program program) const;

  std::unique_ptr<DataplanePrograms> programs_;
};

class DataplaneCaseTest : public LoadedProgramsTest,
                          public ::testing::WithParamInterface<DataplaneCase> {};

}  // namespace raven::bpf::testing

#endif  // RAVEN_TESTS_BPF_DATAPLANE_CASE_H_
