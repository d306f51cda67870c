// Per-peer counters add up over several frames, keyed by the route's peer_id.
#include <linux/pkt_cls.h>

#include "daemon/bpf/counters.h"
#include "tests/bpf/dataplane_case.h"
#include "tests/bpf/prog_test_run.h"

namespace raven::bpf::testing {
namespace {

using PeerCountersTest = LoadedProgramsTest;

TEST_F(PeerCountersTest, AccumulatePacketsAndFrameBytesPerPeer) {
  BpfRouteTable routes(programs_->routes4_fd(), programs_->routes6_fd());
  for (const auto& [prefix, value] : StandardRoutes()) {
    absl::Status status = routes.Upsert(prefix, value);
    ASSERT_TRUE(status.ok()) << status;
  }
  const std::vector<std::pair<Bytes, uint32_t>> frames_and_peers = {
      {PacketBuilder::Ipv4("10.0.0.1", "10.20.1.9").Udp(1, 2).Build(), 1},
      {PacketBuilder::Ipv4("10.0.0.1", "10.20.200.1").Udp(1, 2).Payload(Bytes(100)).Build(), 1},
      {PacketBuilder::Ipv4("10.0.0.1", "10.20.5.9").Udp(1, 2).Payload(Bytes(500)).Build(), 2},
      {PacketBuilder::Ipv6("fd00:10::1", "fd00:20::1").Udp(1, 2).Payload(Bytes(33)).Build(), 3},
      {PacketBuilder::Ipv4("10.0.0.1", "10.30.0.1").Udp(1, 2).Build(), 0},  // miss: uncounted
  };
  std::map<uint32_t, Traffic> expected;
  for (const auto& [frame, peer] : frames_and_peers) {
    auto run = RunTcProgram(ProgramFd(Program::kPodIngress), frame);
    ASSERT_TRUE(run.ok()) << run.status();
    ASSERT_EQ(run->verdict, peer ? TC_ACT_REDIRECT : TC_ACT_OK);
    if (peer == 0) continue;
    expected[peer].packets += 1;
    expected[peer].bytes += frame.size();
  }

  auto counters = ReadPeerCounters(programs_->peer_stats_fd());
  ASSERT_TRUE(counters.ok()) << counters.status();
  ASSERT_EQ(counters->size(), expected.size());
  for (const auto& [peer, want] : expected) {
    ASSERT_EQ(counters->count(peer), 1u) << "peer " << peer;
    EXPECT_EQ(counters->at(peer).packets, want.packets) << "peer " << peer;
    EXPECT_EQ(counters->at(peer).bytes, want.bytes) << "peer " << peer;
  }
}

}  // namespace
}  // namespace raven::bpf::testing
