#include "tests/bpf/dataplane_case.h"

#include <unistd.h>

#include "daemon/bpf/counters.h"
#include "tests/bpf/packet_checks.h"
#include "tests/bpf/prog_test_run.h"

namespace raven::bpf::testing {

RouteValue WireGuardRoute(uint32_t peer_id) {
  RouteValue value;
  value.peer_id = peer_id;
  value.ifindex = kWireGuardIfindex;
  value.action = RouteAction::kWireGuard;
  value.mtu = kTunnelMtu;
  return value;
}

RouteValue VxlanRoute(uint32_t peer_id, absl::string_view gateway) {
  RouteValue value;
  value.peer_id = peer_id;
  value.ifindex = kVxlanIfindex;
  value.action = RouteAction::kVxlan;
  value.mtu = kTunnelMtu;
  value.tunnel_dst = IpAddress::Parse(gateway).value();
  return value;
}

RouteValue NoPathRoute(uint32_t peer_id) {
  RouteValue value;
  value.peer_id = peer_id;
  value.action = RouteAction::kNoPath;
  return value;
}

RouteMap Routes(std::vector<std::pair<std::string, RouteValue>> routes) {
  RouteMap out;
  for (auto& [prefix, value] : routes) out[IpPrefix::Parse(prefix).value()] = value;
  return out;
}

RouteMap StandardRoutes() {
  return Routes({
      {"10.20.0.0/16", WireGuardRoute(1)},
      {"10.20.5.0/24", VxlanRoute(2, "192.168.50.2")},
      {"fd00:20::/48", WireGuardRoute(3)},
      {"fd00:20:0:5::/64", VxlanRoute(4, "fd00:50::2")},
      {"10.40.0.0/16", NoPathRoute(5)},
      {"fd00:40::/48", NoPathRoute(5)},
  });
}

std::ostream& operator<<(std::ostream& os, const DataplaneCase& c) { return os << c.name; }

std::string CaseName(const ::testing::TestParamInfo<DataplaneCase>& info) {
  return info.param.name;
}

void LoadedProgramsTest::SetUp() {
  if (geteuid() != 0) GTEST_SKIP() << "BPF_PROG_TEST_RUN needs root (CAP_BPF + CAP_NET_ADMIN)";
  auto programs = DataplanePrograms::Load(ProgramOptions{});  // no pin_dir: nothing pinned
  ASSERT_TRUE(programs.ok()) << programs.status();
  programs_ = std::move(*programs);
}

int LoadedProgramsTest::ProgramFd(Program program) const {
  switch (program) {
    case Program::kPodIngress:
      return programs_->pod_ingress_fd();
    case Program::kHostEgress:
      return programs_->host_egress_fd();
    case Program::kRelayIngress:
      return programs_->relay_ingress_fd();
  }
  return -1;
}

TEST_P(DataplaneCaseTest, MatchesExpectation) {
  const DataplaneCase& c = GetParam();
  BpfRouteTable routes(programs_->routes4_fd(), programs_->routes6_fd());
  for (const auto& [prefix, value] : c.routes) {
    absl::Status status = routes.Upsert(prefix, value);
    ASSERT_TRUE(status.ok()) << status;
  }

  auto run = RunTcProgram(ProgramFd(c.program), c.in, c.mark_in);
  if (!run.ok() && IpHeaderTruncated(c.in)) {
    // Newer kernels' BPF_PROG_TEST_RUN (6.18 among them) refuses an IPv4/IPv6
    // frame shorter than its IP header, so there the program can never see
    // one and the refusal is the outcome. Kernels that deliver such a frame
    // run it through the checks below like any other.
    EXPECT_TRUE(absl::IsInvalidArgument(run.status())) << run.status();
    return;
  }
  ASSERT_TRUE(run.ok()) << run.status();

  EXPECT_EQ(run->verdict, c.verdict);
  EXPECT_EQ(run->mark, c.mark_out.value_or(c.mark_in));
  if (c.out && IsCompleteIpPacket(*c.out) && IsCompleteIpPacket(run->frame)) {
    // A rewritten frame: field checks first, as they say what differs when
    // the bytes do, then the checksums recomputed over the output.
    EXPECT_EQ(TtlOf(run->frame), TtlOf(*c.out));
    EXPECT_EQ(TcpMssOf(run->frame), TcpMssOf(*c.out));
    EXPECT_TRUE(IpHeaderChecksumValid(run->frame));
    EXPECT_TRUE(L4ChecksumValid(run->frame));
  }
  EXPECT_EQ(run->frame, c.out.value_or(c.in));

  auto peers = ReadPeerCounters(programs_->peer_stats_fd());
  ASSERT_TRUE(peers.ok()) << peers.status();
  if (c.counted_peer) {
    ASSERT_EQ(peers->size(), 1u);
    ASSERT_EQ(peers->count(*c.counted_peer), 1u) << "counted under another peer";
    EXPECT_EQ(peers->at(*c.counted_peer).packets, 1u);
    EXPECT_EQ(peers->at(*c.counted_peer).bytes, c.in.size());
  } else {
    EXPECT_TRUE(peers->empty()) << peers->size() << " peers counted a frame that was not sent";
  }

  auto drops = ReadDropCounters(programs_->drops_fd());
  ASSERT_TRUE(drops.ok()) << drops.status();
  for (int reason = 0; reason < kDropReasonCount; ++reason) {
    EXPECT_EQ((*drops)[reason], c.drop && *c.drop == reason ? 1u : 0u)
        << "drop counter " << DropReasonName(reason);
  }
}

}  // namespace raven::bpf::testing
