#include "daemon/model/desired_dataplane.h"

#include <gtest/gtest.h>

#include "tests/unit/daemon/gateway_builder.h"

namespace raven {
namespace {

using kube::Gateway;
using testing::ByName;
using testing::GatewayBuilder;
using testing::Key;
using testing::TunnelHost;

constexpr DataplaneDevices kDevices{.wireguard_ifindex = 7, .vxlan_ifindex = 9, .path_mtu = 1420};
const absl::Time kCreated = absl::FromUnixSeconds(1'790'000'000);

IpPrefix P(const char* text) { return IpPrefix::Parse(text).value(); }

std::map<std::string, Gateway> TwoPools() {
  return ByName({GatewayBuilder("gw-a")
                     .Node("a1", "100.127.1.1", {"100.64.1.0/24", "fd64:1::/64"})
                     .Node("a2", "100.127.1.2", {"100.64.3.0/24"})
                     .Active("a1", "198.18.0.1", 'a')
                     .Created(kCreated)
                     .Build(),
                 GatewayBuilder("gw-b")
                     .Node("b1", "100.127.2.1", {"100.64.2.0/24", "fd64:2::/64"})
                     .Node("b2", "100.127.2.2", {"100.64.4.0/24"})
                     .Active("b1", "198.18.0.2", 'b')
                     .Created(kCreated)
                     .Build()});
}

DataplaneInput At(const std::string& node, DataplaneOptions options = {}) {
  DataplaneInput in;
  in.node_name = node;
  in.public_key = Key(node[0]);
  in.devices = kDevices;
  in.options = options;
  return in;
}

TEST(DesiredDataplaneTest, GatewayRoutesRemotePrefixesIntoWireGuardWithAPeerPerPool) {
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), At("a1"));
  EXPECT_EQ(d.role, NodeRole::kGateway);
  EXPECT_EQ(d.local_gateway, "gw-a");
  ASSERT_EQ(d.routes.size(), 3u);
  const bpf::RouteValue& v = d.routes.at(P("fd64:2::/64"));
  EXPECT_EQ(v.action, bpf::RouteAction::kWireGuard);
  EXPECT_EQ(v.ifindex, 7u);
  EXPECT_EQ(v.mtu, 1420);
  EXPECT_EQ(d.route_gateways.at(P("100.64.4.0/24")), "gw-b");
  EXPECT_EQ(d.peer_names.at(v.peer_id), "gw-b");
  ASSERT_EQ(d.peers.size(), 1u);
  const PeerPlan& peer = d.peers.at(Key('b'));
  EXPECT_EQ(peer.gateway, "gw-b");
  EXPECT_EQ(peer.config.endpoint, "198.18.0.2:4500");
  EXPECT_EQ(peer.config.allowed_ips, (std::vector<IpPrefix>{P("100.64.2.0/24"), P("100.64.4.0/24"),
                                                            P("fd64:2::/64"), TunnelHost('b')}));
  EXPECT_EQ(peer.config.persistent_keepalive_seconds, 25);  // not behind NAT: the usual one
  EXPECT_EQ(d.relay_members,
            (std::map<IpAddress, std::string>{{IpAddress::Parse("100.127.1.2").value(), "a2"}}));
}

TEST(DesiredDataplaneTest, MemberRelaysToItsGatewayThroughVxlanAndHasNoPeers) {
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), At("a2"));
  EXPECT_EQ(d.role, NodeRole::kMember);
  EXPECT_EQ(d.routes.size(), 3u);
  const bpf::RouteValue& v = d.routes.at(P("100.64.2.0/24"));
  EXPECT_EQ(v.action, bpf::RouteAction::kVxlan);
  EXPECT_EQ(v.ifindex, 9u);
  EXPECT_EQ(v.tunnel_dst.ToString(), "100.127.1.1");
  EXPECT_TRUE(d.peers.empty());
  EXPECT_TRUE(d.relay_members.empty());  // a member relays for nobody
}

TEST(DesiredDataplaneTest, NodeInNoGatewayHasNoRoutes) {
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), At("c9"));
  EXPECT_EQ(d.role, NodeRole::kNone);
  EXPECT_TRUE(d.routes.empty());
  EXPECT_NE(d.reason.find("c9"), std::string::npos);
}

TEST(DesiredDataplaneTest, PoolWithoutActiveEndpointRoutesNothing) {
  auto gws = TwoPools();
  gws["gw-a"].status.active_endpoints.clear();
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a2"));
  EXPECT_EQ(d.role, NodeRole::kNone);
  EXPECT_TRUE(d.routes.empty());
}

TEST(DesiredDataplaneTest, RemotePoolWithoutActiveEndpointIsSkipped) {
  auto gws = TwoPools();
  gws["gw-b"].status.active_endpoints.clear();
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1"));
  EXPECT_EQ(d.role, NodeRole::kGateway);
  EXPECT_TRUE(d.routes.empty());
  EXPECT_TRUE(d.peers.empty());
}

TEST(DesiredDataplaneTest, MissingDeviceRoutesNothingAndSaysWhy) {
  DataplaneInput in = At("a1");
  in.devices.wireguard_ifindex = 0;
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), in);
  EXPECT_EQ(d.role, NodeRole::kNone);
  EXPECT_TRUE(d.routes.empty());
  EXPECT_NE(d.reason.find("WireGuard device"), std::string::npos);
}

TEST(DesiredDataplaneTest, NodeIpForwardingAddsHostPrefixes) {
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), At("a1", {.forward_node_ip = true}));
  EXPECT_TRUE(d.routes.count(P("100.127.2.1/32")));
  EXPECT_TRUE(d.routes.count(P("100.127.2.2/32")));
  EXPECT_FALSE(d.routes.count(P("100.127.1.2/32")));  // own pool stays with the CNI
}

// Dual-stack pools: each node has privateIP and, of the other family, a
// secondaryPrivateIPs entry.
std::map<std::string, Gateway> DualStackPools() {
  return ByName({GatewayBuilder("gw-a")
                     .Node("a1", "100.127.1.1,fd7f:1::1", {"100.64.1.0/24", "fd64:1::/64"})
                     .Node("a2", "100.127.1.2,fd7f:1::2", {"100.64.3.0/24"})
                     .Active("a1", "198.18.0.1", 'a')
                     .Created(kCreated)
                     .Build(),
                 GatewayBuilder("gw-b")
                     .Node("b1", "100.127.2.1,fd7f:2::1", {"100.64.2.0/24", "fd64:2::/64"})
                     .Node("b2", "fd7f:2::2,100.127.2.2", {"100.64.4.0/24"})  // IPv6 first
                     .Active("b1", "198.18.0.2", 'b')
                     .Created(kCreated)
                     .Build()});
}

TEST(DesiredDataplaneTest, NodeIpForwardingCoversEveryAddressOfADualStackNode) {
  DesiredDataplane d =
      ComputeDesiredDataplane(DualStackPools(), At("a1", {.forward_node_ip = true}));
  for (const char* host : {"100.127.2.1/32", "fd7f:2::1/128", "100.127.2.2/32", "fd7f:2::2/128"}) {
    EXPECT_EQ(d.route_gateways.count(P(host)), 1u) << host;
  }
  for (const char* own : {"100.127.1.2/32", "fd7f:1::2/128"}) {  // own pool stays with the CNI
    EXPECT_FALSE(d.routes.count(P(own))) << own;
  }
  EXPECT_EQ(d.peers.at(Key('b')).config.allowed_ips,
            (std::vector<IpPrefix>{P("100.64.2.0/24"), P("100.64.4.0/24"), P("100.127.2.1/32"),
                                   P("100.127.2.2/32"), P("fd64:2::/64"), P("fd7f:2::1/128"),
                                   P("fd7f:2::2/128"), TunnelHost('b')}));
  // The relay accepts a member from each of its addresses: one listing IPv6
  // first still sends VXLAN to the gateway's IPv4 privateIP from its IPv4 one.
  EXPECT_EQ(d.relay_members,
            (std::map<IpAddress, std::string>{{IpAddress::Parse("100.127.1.2").value(), "a2"},
                                              {IpAddress::Parse("fd7f:1::2").value(), "a2"}}));
  DesiredDataplane at_b1 =
      ComputeDesiredDataplane(DualStackPools(), At("b1", {.forward_node_ip = true}));
  EXPECT_EQ(at_b1.relay_members.count(IpAddress::Parse("100.127.2.2").value()), 1u);

  // A member relays the IPv6 node addresses to its gateway's privateIP.
  DesiredDataplane member =
      ComputeDesiredDataplane(DualStackPools(), At("a2", {.forward_node_ip = true}));
  const bpf::RouteValue& v = member.routes.at(P("fd7f:2::1/128"));
  EXPECT_EQ(v.action, bpf::RouteAction::kVxlan);
  EXPECT_EQ(v.tunnel_dst.ToString(), "100.127.1.1");
}

TEST(DesiredDataplaneTest, OnlyUnicastNodeAddressesAreForwarded) {
  auto gws = DualStackPools();
  for (const char* bogus : {"fe80::1", "ff02::1:ff00:2"}) {
    SCOPED_TRACE(bogus);
    gws["gw-b"].status.nodes[0].secondary_private_ips = {IpAddress::Parse(bogus).value()};
    DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1", {.forward_node_ip = true}));
    EXPECT_FALSE(d.routes.count(IpPrefix::Host(IpAddress::Parse(bogus).value())));
    EXPECT_TRUE(d.routes.count(P("100.127.2.1/32")));  // its privateIP still is
  }
}

TEST(DesiredDataplaneTest, WithoutNodeIpForwardingNoNodeAddressIsRouted) {
  DesiredDataplane d = ComputeDesiredDataplane(DualStackPools(), At("a1"));
  EXPECT_EQ(d.routes.size(), 3u);  // gw-b's pod CIDRs only
  for (const auto& [prefix, value] : d.routes) {
    EXPECT_FALSE(prefix.length == prefix.address.bit_length()) << prefix.ToString();
  }
}

// The local nodes' secondary addresses are the local pool's, as privateIP is,
// whether node IPs are forwarded or not.
TEST(DesiredDataplaneTest, RemotePrefixCoveringALocalSecondaryAddressIsRefused) {
  auto gws = DualStackPools();
  gws["gw-b"].status.nodes[1].subnets.push_back(P("fd7f:1::/64"));  // a1's and a2's IPv6
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1"));
  EXPECT_FALSE(d.routes.count(P("fd7f:1::/64")));
  ASSERT_EQ(d.refused.size(), 1u);
  EXPECT_EQ(d.refused[0].holder, "gw-a");
  EXPECT_EQ(d.refused[0].held.ToString(), "fd7f:1::1/128");
}

TEST(DesiredDataplaneTest, EndpointFallsBackToNodeIpUnlessBehindNat) {
  auto gws = TwoPools();
  auto& active = gws["gw-b"].status.active_endpoints[0];
  active.public_ip.reset();
  auto endpoint = [&] {
    return ComputeDesiredDataplane(gws, At("a1")).peers.at(Key('b')).config.endpoint;
  };
  EXPECT_EQ(endpoint(), "100.127.2.1:4500");
  active.under_nat = true;
  EXPECT_EQ(endpoint(), std::nullopt);
  active.public_ip = IpAddress::Parse("fd00::2").value();
  active.public_port = 30000;
  EXPECT_EQ(endpoint(), "[fd00::2]:30000");
}

TEST(DesiredDataplaneTest, OneEndOfAPairInitiatesTheOtherWaits) {
  DesiredDataplane at_a = ComputeDesiredDataplane(TwoPools(), At("a1"));  // key 'a' < 'b'
  DesiredDataplane at_b = ComputeDesiredDataplane(TwoPools(), At("b1"));
  const PeerPlan& a_to_b = at_a.peers.at(Key('b'));
  const PeerPlan& b_to_a = at_b.peers.at(Key('a'));
  EXPECT_TRUE(a_to_b.initiates);
  EXPECT_EQ(a_to_b.config.endpoint, "198.18.0.2:4500");
  EXPECT_FALSE(b_to_a.initiates);
  EXPECT_EQ(b_to_a.config.endpoint, std::nullopt);  // so that it cannot start a handshake too
  EXPECT_EQ(b_to_a.fallback_endpoint, "198.18.0.1:4500");
}

TEST(DesiredDataplaneTest, TheEndThatCanReachTheOtherInitiates) {
  auto gws = TwoPools();
  // gw-a is behind NAT with no public address: only it can start handshakes.
  gws["gw-a"].status.active_endpoints[0].public_ip.reset();
  gws["gw-a"].status.active_endpoints[0].under_nat = true;
  DataplaneInput a = At("a1"), b = At("b1");
  EXPECT_TRUE(ComputeDesiredDataplane(gws, a).peers.at(Key('b')).initiates);
  const PeerPlan b_to_a = ComputeDesiredDataplane(gws, b).peers.at(Key('a'));
  EXPECT_FALSE(b_to_a.initiates);
  EXPECT_EQ(b_to_a.fallback_endpoint, std::nullopt);  // nowhere to call it
  // Also when gw-a's key is the higher one.
  std::swap(a.public_key, b.public_key);
  gws["gw-a"].status.active_endpoints[0].public_key = Key('b');
  gws["gw-b"].status.active_endpoints[0].public_key = Key('a');
  EXPECT_TRUE(ComputeDesiredDataplane(gws, a).peers.at(Key('a')).initiates);
  EXPECT_FALSE(ComputeDesiredDataplane(gws, b).peers.at(Key('b')).initiates);
}

TEST(DesiredDataplaneTest, PoolsWhoseGatewaysAreBothBehindNatGetACountedDropNotADeadPeer) {
  auto gws = TwoPools();
  for (const char* name : {"gw-a", "gw-b"}) {
    gws[name].status.active_endpoints[0].public_ip.reset();
    gws[name].status.active_endpoints[0].under_nat = true;
  }
  for (const char* node : {"a1", "a2"}) {
    SCOPED_TRACE(node);
    DesiredDataplane d = ComputeDesiredDataplane(gws, At(node));
    ASSERT_EQ(d.routes.size(), 3u);
    for (const auto& [prefix, value] : d.routes) {
      EXPECT_EQ(value.action, bpf::RouteAction::kNoPath) << prefix.ToString();
      EXPECT_EQ(value.ifindex, 0u);
      EXPECT_EQ(d.peer_names.at(value.peer_id), "gw-b");  // still counted per pool
    }
    EXPECT_TRUE(d.peers.empty());
    ASSERT_EQ(d.unreachable.size(), 1u);
    EXPECT_EQ(d.unreachable.at("gw-b"),
              "both active gateways (a1, b1) are behind NAT without a public address, and no "
              "NAT relay is up (a Gateway with exposeType PublicIP or LoadBalancer whose active "
              "endpoint is not underNAT)");
    EXPECT_TRUE(d.nat_relay.registrations.empty());
  }
  // One public address is enough: that end is called.
  gws["gw-b"].status.active_endpoints[0].public_ip = IpAddress::Parse("198.18.0.2").value();
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1"));
  EXPECT_TRUE(d.unreachable.empty());
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).action, bpf::RouteAction::kWireGuard);
  EXPECT_TRUE(d.peers.at(Key('b')).initiates);
}

TEST(DesiredDataplaneTest, KeepaliveWhenOurGatewayIsBehindNat) {
  auto gws = TwoPools();
  gws["gw-a"].status.active_endpoints[0].under_nat = true;
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1", {.nat_keepalive_seconds = 7}));
  EXPECT_EQ(d.peers.at(Key('b')).config.persistent_keepalive_seconds, 7);
}

TEST(DesiredDataplaneTest, PeerIdsAreStableAndDistinct) {
  auto first = AssignPeerIds({"gw-a", "gw-b", "gw-c"});
  auto again = AssignPeerIds({"gw-a", "gw-b", "gw-c"});
  EXPECT_EQ(first, again);
  EXPECT_NE(first["gw-a"], first["gw-b"]);
  auto same = AssignPeerIds({"x", "x"});
  EXPECT_EQ(same.size(), 1u);
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), At("a1"));
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).peer_id, first["gw-b"]);
}

// Prefix ownership: who gets a prefix that several Gateways claim.
Gateway Newcomer(std::vector<std::string> subnets, absl::Time created) {
  return GatewayBuilder("gw-aaa")
      .Node("x1", "100.127.9.1", std::move(subnets))
      .Active("x1", "198.18.0.9", 'x')
      .Created(created)
      .Build();
}

TEST(DesiredDataplaneTest, PrefixOverlappingTheLocalPoolIsRefusedNestedOrNot) {
  auto gws = TwoPools();
  gws["gw-aaa"] = Newcomer({"100.64.1.0/24", "100.64.0.0/16", "100.127.1.2/32", "100.65.0.0/24"},
                           kCreated - absl::Hours(1));
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1"));
  EXPECT_FALSE(d.routes.count(P("100.64.1.0/24")));   // a local pod CIDR
  EXPECT_FALSE(d.routes.count(P("100.64.0.0/16")));   // covers the local ones
  EXPECT_FALSE(d.routes.count(P("100.127.1.2/32")));  // a local node
  EXPECT_EQ(d.route_gateways.at(P("100.65.0.0/24")), "gw-aaa");
  ASSERT_EQ(d.refused.size(), 3u);
  for (const RefusedPrefix& r : d.refused) EXPECT_EQ(r.holder, "gw-a");
  EXPECT_EQ(d.peers.at(Key('x')).config.allowed_ips,
            (std::vector<IpPrefix>{P("100.65.0.0/24"), TunnelHost('x')}));
}

TEST(DesiredDataplaneTest, EstablishedPoolKeepsItsPrefixWhenANewcomerClaimsIt) {
  auto gws = TwoPools();
  DataplaneInput in = At("a1");
  in.routed = ComputeDesiredDataplane(gws, in).route_gateways;  // gw-b's are routed
  // gw-aaa sorts first by name and is even older, but gw-b holds the prefix.
  gws["gw-aaa"] = Newcomer({"100.64.2.0/24"}, kCreated - absl::Hours(1));
  DesiredDataplane d = ComputeDesiredDataplane(gws, in);
  EXPECT_EQ(d.route_gateways.at(P("100.64.2.0/24")), "gw-b");
  ASSERT_EQ(d.refused.size(), 1u);
  EXPECT_EQ(d.refused[0],
            (RefusedPrefix{"gw-aaa", P("100.64.2.0/24"), "gw-b", P("100.64.2.0/24")}));
  EXPECT_EQ(d.peers.at(Key('b')).config.allowed_ips.size(), 4u);  // its WireGuard peer unchanged
  EXPECT_EQ(d.peers.count(Key('x')), 0u);                         // nothing to send it
}

TEST(DesiredDataplaneTest, NestedNewcomerPrefixIsRefusedInBothDirections) {
  auto gws = TwoPools();
  DataplaneInput in = At("a1");
  in.routed = ComputeDesiredDataplane(gws, in).route_gateways;
  gws["gw-aaa"] = Newcomer({"100.64.0.0/14"}, kCreated + absl::Hours(1));  // over gw-b's /24s
  EXPECT_FALSE(ComputeDesiredDataplane(gws, in).routes.count(P("100.64.0.0/14")));
  gws["gw-aaa"] = Newcomer({"100.64.2.128/25"}, kCreated + absl::Hours(1));  // inside one
  EXPECT_FALSE(ComputeDesiredDataplane(gws, in).routes.count(P("100.64.2.128/25")));
}

TEST(DesiredDataplaneTest, WithNoPrefixRoutedYetTheOlderGatewayWins) {
  auto gws = TwoPools();
  gws["gw-aaa"] = Newcomer({"100.64.2.0/24"}, kCreated + absl::Hours(1));  // first by name only
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1"));
  EXPECT_EQ(d.route_gateways.at(P("100.64.2.0/24")), "gw-b");
}

}  // namespace
}  // namespace raven
