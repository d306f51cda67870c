// Which packets the TC programs redirect, pass or drop, and whom they count.
#include "tests/bpf/dataplane_case.h"

namespace raven::bpf::testing {
namespace {

constexpr char kPod4[] = "10.0.0.1";
constexpr char kWireGuardDst4[] = "10.20.1.9";  // in 10.20.0.0/16 only
constexpr char kVxlanDst4[] = "10.20.5.9";      // in 10.20.0.0/16 and 10.20.5.0/24
constexpr char kPod6[] = "fd00:10::1";
constexpr char kWireGuardDst6[] = "fd00:20:0:1::9";
constexpr char kVxlanDst6[] = "fd00:20:0:5::9";

Bytes Tcp4(const char* dst, uint8_t ttl = 64) {
  return PacketBuilder::Ipv4(kPod4, dst)
      .Ttl(ttl)
      .Tcp(40000, 80, kTcpAck)
      .Payload({1, 2, 3})
      .Build();
}

Bytes Udp4(const char* dst, uint16_t sport, uint16_t dport, uint8_t ttl = 64) {
  return PacketBuilder::Ipv4(kPod4, dst).Ttl(ttl).Udp(sport, dport).Payload({9, 9}).Build();
}

Bytes Tcp6(const char* dst, uint8_t hop_limit = 64) {
  return PacketBuilder::Ipv6(kPod6, dst).Ttl(hop_limit).Tcp(40000, 80, kTcpAck).Build();
}

// frame with one byte overwritten: a header the builder would not produce.
Bytes WithByte(Bytes frame, size_t offset, uint8_t value) {
  frame.at(offset) = value;
  return frame;
}

Bytes Udp6(const char* dst, uint16_t sport, uint16_t dport) {
  return PacketBuilder::Ipv6(kPod6, dst).Udp(sport, dport).Payload({7}).Build();
}

std::vector<DataplaneCase> RoutingCases() {
  const int kRedirect = TC_ACT_REDIRECT;
  return {
      // Hits, and the longest prefix deciding between the /16 and the /24.
      {.name = "v4_16_only_goes_to_wireguard_peer1",
       .routes = StandardRoutes(),
       .in = Tcp4(kWireGuardDst4),
       .verdict = kRedirect,
       .out = Tcp4(kWireGuardDst4, 63),
       .counted_peer = 1},
      {.name = "v4_24_beats_16_goes_to_vxlan_peer2_and_marks",
       .routes = StandardRoutes(),
       .in = Udp4(kVxlanDst4, 40000, 53),
       .verdict = kRedirect,
       .out = Udp4(kVxlanDst4, 40000, 53, 63),
       .mark_out = kTunnelMark,
       .counted_peer = 2},
      {.name = "v4_icmp_hit_redirects",
       .routes = StandardRoutes(),
       .in = PacketBuilder::Ipv4(kPod4, kWireGuardDst4).Icmp().Build(),
       .verdict = kRedirect,
       .out = PacketBuilder::Ipv4(kPod4, kWireGuardDst4).Ttl(63).Icmp().Build(),
       .counted_peer = 1},
      {.name = "v6_48_only_goes_to_wireguard_peer3",
       .routes = StandardRoutes(),
       .in = Tcp6(kWireGuardDst6),
       .verdict = kRedirect,
       .out = Tcp6(kWireGuardDst6, 63),
       .counted_peer = 3},
      {.name = "v6_64_beats_48_goes_to_vxlan_peer4_and_marks",
       .routes = StandardRoutes(),
       .in = Tcp6(kVxlanDst6),
       .verdict = kRedirect,
       .out = Tcp6(kVxlanDst6, 63),
       .mark_out = kTunnelMark,
       .counted_peer = 4},
      {.name = "v6_icmp_hit_redirects",
       .routes = StandardRoutes(),
       .in = PacketBuilder::Ipv6(kPod6, kWireGuardDst6).Icmp().Build(),
       .verdict = kRedirect,
       .out = PacketBuilder::Ipv6(kPod6, kWireGuardDst6).Ttl(63).Icmp().Build(),
       .counted_peer = 3},
      {.name = "host_egress_vxlan_hit_redirects_and_marks",
       .program = Program::kHostEgress,
       .routes = StandardRoutes(),
       .in = Udp4(kVxlanDst4, 40000, 53),
       .verdict = kRedirect,
       .mark_out = kTunnelMark,
       .counted_peer = 2},

      // Misses: the CNI's traffic, untouched and uncounted.
      {.name = "v4_miss_passes_untouched", .routes = StandardRoutes(), .in = Tcp4("10.30.0.1")},
      {.name = "v4_empty_map_passes_untouched", .in = Tcp4(kWireGuardDst4)},
      {.name = "v6_miss_passes_untouched", .routes = StandardRoutes(), .in = Tcp6("fd00:30::1")},
      {.name = "v4_route_does_not_match_v6",
       .routes = Routes({{"0.0.0.0/0", WireGuardRoute(1)}}),
       .in = Tcp6(kWireGuardDst6)},

      // Frames that are not IP, or too short to parse, are not ours.
      {.name = "arp_passes_untouched", .routes = StandardRoutes(), .in = ArpRequest()},
      {.name = "ethernet_header_only_passes",
       .routes = StandardRoutes(),
       .in = Truncated(Tcp4(kWireGuardDst4), 14)},
      {.name = "ipv4_header_cut_short_passes",
       .routes = StandardRoutes(),
       .in = Truncated(Tcp4(kWireGuardDst4), 14 + 19)},
      {.name = "ipv6_header_cut_short_passes",
       .routes = StandardRoutes(),
       .in = Truncated(Tcp6(kWireGuardDst6), 14 + 39)},
      {.name = "ipv4_ihl_below_5_passes",
       .routes = StandardRoutes(),
       .in = WithByte(Tcp4(kWireGuardDst4), 14, 0x44)},
      {.name = "ipv4_ethertype_with_version_6_passes",
       .routes = StandardRoutes(),
       .in = WithByte(Tcp4(kWireGuardDst4), 14, 0x65)},
      {.name = "ipv6_ethertype_with_version_4_passes",
       .routes = StandardRoutes(),
       .in = WithByte(Tcp6(kWireGuardDst6), 14, 0x40)},

      // The tunnels' own packets never loop back into a tunnel.
      {.name = "wireguard_sport_passes",
       .routes = StandardRoutes(),
       .in = Udp4(kWireGuardDst4, 4500, 51820)},
      {.name = "wireguard_dport_passes",
       .routes = StandardRoutes(),
       .in = Udp4(kWireGuardDst4, 51820, 4500)},
      {.name = "vxlan_dport_passes",
       .routes = StandardRoutes(),
       .in = Udp4(kVxlanDst4, 40000, 4472)},
      {.name = "v6_wireguard_dport_passes",
       .routes = StandardRoutes(),
       .in = Udp6(kWireGuardDst6, 51820, 4500)},
      {.name = "v6_vxlan_dport_passes",
       .routes = StandardRoutes(),
       .in = Udp6(kVxlanDst6, 40000, 4472)},
      {.name = "vxlan_port_as_sport_is_not_tunnel_traffic",
       .routes = StandardRoutes(),
       .in = Udp4(kWireGuardDst4, 4472, 40000),
       .verdict = kRedirect,
       .out = Udp4(kWireGuardDst4, 4472, 40000, 63),
       .counted_peer = 1},
      {.name = "tunnel_mark_passes",
       .routes = StandardRoutes(),
       .in = Tcp4(kWireGuardDst4),
       .mark_in = kTunnelMark},
      {.name = "other_mark_redirects_and_keeps_mark",
       .routes = StandardRoutes(),
       .in = Tcp4(kWireGuardDst4),
       .mark_in = 0x1,
       .verdict = kRedirect,
       .out = Tcp4(kWireGuardDst4, 63),
       .counted_peer = 1},

      // The real relay entry point: what arrives without VXLAN metadata from
      // a member (relay_cases_test.cc has the rest) never goes anywhere.
      {.name = "relay_ingress_without_tunnel_metadata_dropped_foreign",
       .program = Program::kRelayIngress,
       .routes = StandardRoutes(),
       .in = Tcp4(kWireGuardDst4),
       .verdict = TC_ACT_SHOT,
       .drop = RAVEN_DROP_RELAY_FOREIGN},

      // A pool no path leads to: dropped and counted, from pods and from the host.
      {.name = "v4_no_path_dropped_counted",
       .routes = StandardRoutes(),
       .in = Tcp4("10.40.0.9"),
       .verdict = TC_ACT_SHOT,
       .drop = RAVEN_DROP_NO_PATH},
      {.name = "v6_no_path_from_host_dropped_counted",
       .program = Program::kHostEgress,
       .routes = StandardRoutes(),
       .in = Tcp6("fd00:40::9"),
       .verdict = TC_ACT_SHOT,
       .drop = RAVEN_DROP_NO_PATH},

      // A route the agent should never write.
      {.name = "route_without_ifindex_dropped_bad_route",
       .routes = Routes({{"10.20.0.0/16",
                          [] {
                            RouteValue value = WireGuardRoute(1);
                            value.ifindex = 0;
                            return value;
                          }()}}),
       .in = Tcp4(kWireGuardDst4),
       .verdict = TC_ACT_SHOT,
       .drop = RAVEN_DROP_BAD_ROUTE},
  };
}

INSTANTIATE_TEST_SUITE_P(Routing, DataplaneCaseTest, ::testing::ValuesIn(RoutingCases()), CaseName);

}  // namespace
}  // namespace raven::bpf::testing
