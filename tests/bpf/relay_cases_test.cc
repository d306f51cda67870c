// What a gateway's relay program (raven_relay_ingress) does with frames that
// arrive through VXLAN: forwarded into WireGuard only from a pool member and
// only to a remote prefix; everything else dropped and counted. The probe
// gives each frame the tunnel metadata a VXLAN device attaches on receive.
#include <bpf/libbpf.h>
#include <linux/pkt_cls.h>

#include <optional>
#include <string>
#include <vector>

#include "daemon/bpf/counters.h"
#include "daemon/bpf/relay_members.h"
#include "tests/bpf/dataplane_case.h"
#include "tests/bpf/probe.h"
#include "tests/bpf/prog_test_run.h"
#include "tests/bpf/tunnel_key_probe.h"

namespace raven::bpf::testing {
namespace {

constexpr char kMember4[] = "192.168.50.7";
constexpr char kMember6[] = "fd00:50::7";
constexpr char kStranger4[] = "198.18.0.66";  // on the LAN or the internet: no member

struct Outer {
  std::string source;
  uint32_t vni = kProbeVni;
};

struct RelayCase {
  std::string name;
  std::vector<std::string> members;  // the pool's other nodes, as the agent writes them
  std::optional<Outer> outer;        // none: a frame without tunnel metadata
  Bytes in;
  int verdict = TC_ACT_SHOT;
  std::optional<Bytes> out;                   // when redirected
  std::optional<std::string> counted_member;  // the member whose counters move
  std::optional<raven_drop_reason> drop;      // the one drop counter that must read 1
};

std::ostream& operator<<(std::ostream& os, const RelayCase& c) { return os << c.name; }

Bytes Tcp4(const char* dst, uint8_t ttl = 64) {
  return PacketBuilder::Ipv4("10.0.0.1", dst).Ttl(ttl).Tcp(40000, 80, kTcpAck).Build();
}

Bytes Udp4(const char* dst, uint16_t sport, uint16_t dport, uint8_t ttl = 64) {
  return PacketBuilder::Ipv4("10.0.0.1", dst).Ttl(ttl).Udp(sport, dport).Payload({5}).Build();
}

Bytes Tcp6(const char* dst, uint8_t hop_limit = 64) {
  return PacketBuilder::Ipv6("fd00:10::1", dst).Ttl(hop_limit).Tcp(40000, 80, kTcpAck).Build();
}

std::vector<RelayCase> RelayCases() {
  const std::vector<std::string> both = {kMember4, kMember6};
  return {
      {.name = "member_v4_to_wireguard_route_is_forwarded",
       .members = both,
       .outer = Outer{kMember4},
       .in = Tcp4("10.20.1.9"),
       .verdict = TC_ACT_REDIRECT,
       .out = Tcp4("10.20.1.9", 63),
       .counted_member = kMember4},
      {.name = "member_over_v6_underlay_is_forwarded",
       .members = both,
       .outer = Outer{kMember6},
       .in = Tcp6("fd00:20:0:1::9"),
       .verdict = TC_ACT_REDIRECT,
       .out = Tcp6("fd00:20:0:1::9", 63),
       .counted_member = kMember6},
      {.name = "member_udp_on_tunnel_ports_is_forwarded_not_passed",
       .members = both,
       .outer = Outer{kMember4},
       .in = Udp4("10.20.1.9", 4500, 4472),
       .verdict = TC_ACT_REDIRECT,
       .out = Udp4("10.20.1.9", 4500, 4472, 63),
       .counted_member = kMember4},
      {.name = "stranger_is_dropped",
       .members = both,
       .outer = Outer{kStranger4},
       .in = Tcp4("10.20.1.9"),
       .drop = RAVEN_DROP_RELAY_FOREIGN},
      {.name = "stranger_to_local_pod_is_dropped_not_passed",
       .members = both,
       .outer = Outer{kStranger4},
       .in = Tcp4("10.99.0.2"),
       .drop = RAVEN_DROP_RELAY_FOREIGN},
      {.name = "anyone_dropped_when_the_node_is_no_gateway",
       .outer = Outer{kMember4},
       .in = Tcp4("10.20.1.9"),
       .drop = RAVEN_DROP_RELAY_FOREIGN},
      {.name = "member_address_of_the_other_family_is_no_member",
       .members = {kMember4},
       .outer = Outer{"::ffff:192.168.50.7"},
       .in = Tcp4("10.20.1.9"),
       .drop = RAVEN_DROP_RELAY_FOREIGN},
      {.name = "member_ttl_1_dropped_and_not_counted",
       .members = both,
       .outer = Outer{kMember4},
       .in = Udp4("10.20.1.9", 40000, 53, 1),
       .drop = RAVEN_DROP_TTL_EXCEEDED},
      {.name = "member_on_another_vni_is_dropped",
       .members = both,
       .outer = Outer{kMember4, kProbeVni + 1},
       .in = Tcp4("10.20.1.9"),
       .drop = RAVEN_DROP_RELAY_FOREIGN},
      {.name = "frame_without_tunnel_metadata_is_dropped",
       .members = both,
       .in = Tcp4("10.20.1.9"),
       .drop = RAVEN_DROP_RELAY_FOREIGN},
      {.name = "member_to_local_pod_is_dropped_not_passed",
       .members = both,
       .outer = Outer{kMember4},
       .in = Tcp4("10.99.0.2"),
       .drop = RAVEN_DROP_RELAY_NO_ROUTE},
      {.name = "member_non_ip_frame_is_dropped",
       .members = both,
       .outer = Outer{kMember4},
       .in = ArpRequest(),
       .drop = RAVEN_DROP_RELAY_NO_ROUTE},
      {.name = "member_to_vxlan_route_is_dropped_not_gateway",
       .members = both,
       .outer = Outer{kMember4},
       .in = Tcp4("10.20.5.9"),
       .drop = RAVEN_DROP_RELAY_NOT_GATEWAY},
      {.name = "member_to_a_pool_without_path_is_dropped_no_path",
       .members = both,
       .outer = Outer{kMember4},
       .in = Tcp4("10.40.0.9"),
       .drop = RAVEN_DROP_NO_PATH},
      {.name = "member_v6_to_vxlan_route_is_dropped_not_gateway",
       .members = both,
       .outer = Outer{kMember6},
       .in = Tcp6("fd00:20:0:5::9"),
       .drop = RAVEN_DROP_RELAY_NOT_GATEWAY},
  };
}

using RelayCaseTest = ProbeTest<RelayCase>;

TEST_P(RelayCaseTest, MatchesExpectation) {
  const RelayCase& c = GetParam();
  BpfRouteTable routes(bpf_map__fd(probe_->maps.raven_routes4_v1),
                       bpf_map__fd(probe_->maps.raven_routes6_v1));
  for (const auto& [prefix, value] : StandardRoutes()) {
    absl::Status status = routes.Upsert(prefix, value);
    ASSERT_TRUE(status.ok()) << status;
  }
  const int members_fd = bpf_map__fd(probe_->maps.raven_relay_members_v1);
  BpfRelayMembers members(members_fd);
  for (const std::string& member : c.members) {
    absl::Status status = members.Add(IpAddress::Parse(member).value());
    ASSERT_TRUE(status.ok()) << status;
  }
  relay_probe_outer outer{};
  if (c.outer) {
    IpAddress source = IpAddress::Parse(c.outer->source).value();
    outer.family = source.family == IpFamily::kV4 ? 4 : 6;
    outer.vni = c.outer->vni;
    memcpy(outer.addr, source.bytes.data(), sizeof(outer.addr));
  }
  const uint32_t zero = 0;
  ASSERT_EQ(bpf_map__update_elem(probe_->maps.probe_outer, &zero, sizeof(zero), &outer,
                                 sizeof(outer), BPF_ANY),
            0);

  auto run = RunTcProgram(bpf_program__fd(probe_->progs.probe_relay), c.in);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->verdict, c.verdict);
  EXPECT_EQ(run->frame, c.out.value_or(c.in));

  auto relayed = ReadRelayCounters(members_fd);
  ASSERT_TRUE(relayed.ok()) << relayed.status();
  for (const auto& [member, traffic] : *relayed) {
    const bool counted = c.counted_member && member.ToString() == *c.counted_member;
    EXPECT_EQ(traffic.packets, counted ? 1u : 0u) << member.ToString();
    EXPECT_EQ(traffic.bytes, counted ? c.in.size() : 0u) << member.ToString();
  }
  auto peers = ReadPeerCounters(bpf_map__fd(probe_->maps.raven_peer_stats_v1));
  ASSERT_TRUE(peers.ok()) << peers.status();
  EXPECT_TRUE(peers->empty()) << "the member counts what it sends; the gateway must not again";

  auto drops = ReadDropCounters(bpf_map__fd(probe_->maps.raven_drops_v2));
  ASSERT_TRUE(drops.ok()) << drops.status();
  for (int reason = 0; reason < kDropReasonCount; ++reason) {
    EXPECT_EQ((*drops)[reason], c.drop && *c.drop == reason ? 1u : 0u)
        << "drop counter " << DropReasonName(reason);
  }
}

INSTANTIATE_TEST_SUITE_P(Relay, RelayCaseTest, ::testing::ValuesIn(RelayCases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace raven::bpf::testing
