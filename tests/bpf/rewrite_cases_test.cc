// What the TC programs rewrite on the way into a tunnel: the TTL or hop limit
// (forwarding entry points only) and the MSS option of TCP SYNs.
#include "tests/bpf/dataplane_case.h"

namespace raven::bpf::testing {
namespace {

constexpr char kPod4[] = "10.0.0.1";
constexpr char kWireGuardDst4[] = "10.20.1.9";  // 10.20.0.0/16 -> peer 1, WireGuard
constexpr char kVxlanDst4[] = "10.20.5.9";      // 10.20.5.0/24 -> peer 2, VXLAN
constexpr char kPod6[] = "fd00:10::1";
constexpr char kWireGuardDst6[] = "fd00:20:0:1::9";  // fd00:20::/48 -> peer 3, WireGuard
constexpr uint16_t kMss4 = kTunnelMtu - 40;          // 1380: MTU minus IPv4 and TCP headers
constexpr uint16_t kMss6 = kTunnelMtu - 60;          // 1360: MTU minus IPv6 and TCP headers

Bytes Udp4(uint8_t ttl) {
  return PacketBuilder::Ipv4(kPod4, kWireGuardDst4).Ttl(ttl).Udp(40000, 53).Payload({1}).Build();
}

Bytes Udp6(uint8_t hop_limit) {
  return PacketBuilder::Ipv6(kPod6, kWireGuardDst6).Ttl(hop_limit).Udp(40000, 53).Build();
}

Bytes Tcp4(const char* dst, uint8_t ttl, uint8_t flags, Bytes options) {
  return PacketBuilder::Ipv4(kPod4, dst).Ttl(ttl).Tcp(40000, 80, flags, std::move(options)).Build();
}

Bytes Syn4(uint8_t ttl, Bytes options) {
  return Tcp4(kWireGuardDst4, ttl, kTcpSyn, std::move(options));
}

Bytes Syn6(uint8_t hop_limit, Bytes options) {
  return PacketBuilder::Ipv6(kPod6, kWireGuardDst6)
      .Ttl(hop_limit)
      .Tcp(40000, 80, kTcpSyn, std::move(options))
      .Build();
}

// Linux's SYN option layout, with the MSS first.
Bytes LinuxSynOptions(uint16_t mss) {
  return Concat({MssOption(mss),
                 SackPermittedOption(),
                 TimestampOption(1000, 0),
                 NopOption(),
                 {3, 3, 7}});  // window scale 7
}

DataplaneCase Redirect(std::string name, Bytes in, Bytes out, uint32_t peer = 1) {
  return {.name = std::move(name),
          .routes = StandardRoutes(),
          .in = std::move(in),
          .verdict = TC_ACT_REDIRECT,
          .out = std::move(out),
          .counted_peer = peer};
}

DataplaneCase TtlExceeded(std::string name, Program program, Bytes in) {
  return {.name = std::move(name),
          .program = program,
          .routes = StandardRoutes(),
          .in = std::move(in),
          .verdict = TC_ACT_SHOT,
          .drop = RAVEN_DROP_TTL_EXCEEDED};
}

std::vector<DataplaneCase> TtlCases() {
  return {
      Redirect("v4_ttl_64_becomes_63", Udp4(64), Udp4(63)),
      Redirect("v4_ttl_255_becomes_254", Udp4(255), Udp4(254)),
      Redirect("v4_ttl_2_becomes_1", Udp4(2), Udp4(1)),
      Redirect("v6_hop_limit_64_becomes_63", Udp6(64), Udp6(63), 3),
      Redirect("v6_hop_limit_2_becomes_1", Udp6(2), Udp6(1), 3),
      TtlExceeded("v4_ttl_1_dropped", Program::kPodIngress, Udp4(1)),
      TtlExceeded("v4_ttl_0_dropped", Program::kPodIngress, Udp4(0)),
      TtlExceeded("v6_hop_limit_1_dropped", Program::kPodIngress, Udp6(1)),
      {.name = "host_egress_keeps_ttl_1",
       .program = Program::kHostEgress,
       .routes = StandardRoutes(),
       .in = Udp4(1),
       .verdict = TC_ACT_REDIRECT,
       .counted_peer = 1},
      {.name = "host_egress_keeps_hop_limit_64",
       .program = Program::kHostEgress,
       .routes = StandardRoutes(),
       .in = Udp6(64),
       .verdict = TC_ACT_REDIRECT,
       .counted_peer = 3},
  };
}

std::vector<DataplaneCase> MssCases() {
  const Bytes two_nops = Concat({NopOption(), NopOption()});
  return {
      Redirect("v4_syn_mss_1460_clamped_to_1380", Syn4(64, MssOption(1460)),
               Syn4(63, MssOption(kMss4))),
      Redirect("v4_linux_syn_mss_clamped", Syn4(64, LinuxSynOptions(1460)),
               Syn4(63, LinuxSynOptions(kMss4))),
      Redirect("v6_syn_mss_1460_clamped_to_1360", Syn6(64, MssOption(1460)),
               Syn6(63, MssOption(kMss6)), 3),
      Redirect("v6_linux_syn_mss_clamped", Syn6(64, LinuxSynOptions(1460)),
               Syn6(63, LinuxSynOptions(kMss6)), 3),
      Redirect("v4_syn_ack_mss_clamped",
               Tcp4(kWireGuardDst4, 64, kTcpSyn | kTcpAck, MssOption(1460)),
               Tcp4(kWireGuardDst4, 63, kTcpSyn | kTcpAck, MssOption(kMss4))),
      Redirect("v4_mss_after_timestamps_clamped",
               Syn4(64, Concat({two_nops, TimestampOption(7, 0), MssOption(1460)})),
               Syn4(63, Concat({two_nops, TimestampOption(7, 0), MssOption(kMss4)}))),
      Redirect("v4_mss_after_sack_permitted_clamped",
               Syn4(64, Concat({SackPermittedOption(), MssOption(1460)})),
               Syn4(63, Concat({SackPermittedOption(), MssOption(kMss4)}))),
      // One NOP puts the MSS value at an odd offset within the TCP header.
      Redirect("v4_mss_after_one_nop_clamped", Syn4(64, Concat({NopOption(), MssOption(1460)})),
               Syn4(63, Concat({NopOption(), MssOption(kMss4)}))),
      Redirect("v4_mss_after_nop_and_sack_permitted_clamped",
               Syn4(64, Concat({NopOption(), SackPermittedOption(), MssOption(1460)})),
               Syn4(63, Concat({NopOption(), SackPermittedOption(), MssOption(kMss4)}))),
      Redirect("v6_mss_after_one_nop_clamped", Syn6(64, Concat({NopOption(), MssOption(1460)})),
               Syn6(63, Concat({NopOption(), MssOption(kMss6)})), 3),
      {.name = "v4_vxlan_syn_mss_clamped",
       .routes = StandardRoutes(),
       .in = Tcp4(kVxlanDst4, 64, kTcpSyn, MssOption(1460)),
       .verdict = TC_ACT_REDIRECT,
       .out = Tcp4(kVxlanDst4, 63, kTcpSyn, MssOption(kMss4)),
       .mark_out = kTunnelMark,
       .counted_peer = 2},
      Redirect("v4_mss_below_limit_untouched", Syn4(64, MssOption(1300)),
               Syn4(63, MssOption(1300))),
      Redirect("v4_mss_at_limit_untouched", Syn4(64, MssOption(kMss4)), Syn4(63, MssOption(kMss4))),
      Redirect("v4_non_syn_mss_untouched", Tcp4(kWireGuardDst4, 64, kTcpAck, MssOption(1460)),
               Tcp4(kWireGuardDst4, 63, kTcpAck, MssOption(1460))),
      Redirect("v4_syn_without_mss_untouched", Syn4(64, SackPermittedOption()),
               Syn4(63, SackPermittedOption())),
      Redirect("v4_syn_cut_inside_options_redirects_unclamped",
               Truncated(Syn4(64, LinuxSynOptions(1460)), 14 + 20 + 20 + 6),
               Truncated(Syn4(63, LinuxSynOptions(1460)), 14 + 20 + 20 + 6)),
      {.name = "host_egress_syn_clamped_ttl_kept",
       .program = Program::kHostEgress,
       .routes = StandardRoutes(),
       .in = Syn4(64, MssOption(1460)),
       .verdict = TC_ACT_REDIRECT,
       .out = Syn4(64, MssOption(kMss4)),
       .counted_peer = 1},
      {.name = "route_without_mtu_does_not_clamp",
       .routes = Routes({{"10.20.0.0/16",
                          [] {
                            RouteValue value = WireGuardRoute(1);
                            value.mtu = 0;
                            return value;
                          }()}}),
       .in = Syn4(64, MssOption(1460)),
       .verdict = TC_ACT_REDIRECT,
       .out = Syn4(63, MssOption(1460)),
       .counted_peer = 1},
  };
}

INSTANTIATE_TEST_SUITE_P(Ttl, DataplaneCaseTest, ::testing::ValuesIn(TtlCases()), CaseName);
INSTANTIATE_TEST_SUITE_P(Mss, DataplaneCaseTest, ::testing::ValuesIn(MssCases()), CaseName);

}  // namespace
}  // namespace raven::bpf::testing
