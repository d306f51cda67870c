#include "daemon/model/desired_dataplane.h"

#include <gtest/gtest.h>

#include "tests/unit/daemon/gateway_builder.h"

namespace raven {
namespace {

using testing::ByName;
using testing::GatewayBuilder;
using testing::TestKey;

IpPrefix P(const char* text) { return *IpPrefix::Parse(text); }

std::map<std::string, Gateway> TwoPools() {
  return ByName({GatewayBuilder("gw-a")
                     .Node("a1", "100.127.1.1", {"100.64.1.0/24", "fd64:1::/64"})
                     .Node("a2", "100.127.1.2", {"100.64.3.0/24"})
                     .Active("a1", "198.18.0.1", 'a')
                     .Build(),
                 GatewayBuilder("gw-b")
                     .Node("b1", "100.127.2.1", {"100.64.2.0/24", "fd64:2::/64"})
                     .Node("b2", "100.127.2.2", {"100.64.4.0/24"})
                     .Active("b1", "198.18.0.2", 'b')
                     .Build()});
}

TEST(DesiredDataplaneTest, GatewayGetsPeerPerRemotePoolWithItsPrefixes) {
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), "a1", {});
  EXPECT_EQ(d.role, NodeRole::kGateway);
  EXPECT_EQ(d.local_gateway, "gw-a");
  ASSERT_EQ(d.routes.size(), 3u);
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).gateway, "gw-b");
  EXPECT_TRUE(d.routes.count(P("100.64.4.0/24")));
  EXPECT_TRUE(d.routes.count(P("fd64:2::/64")));
  ASSERT_EQ(d.peers.size(), 1u);
  const DesiredPeer& peer = d.peers.at("gw-b");
  EXPECT_EQ(peer.public_key, TestKey('b'));
  EXPECT_EQ(peer.endpoint, "198.18.0.2:4500");
  EXPECT_EQ(peer.allowed_ips,
            (std::vector<IpPrefix>{P("100.64.2.0/24"), P("100.64.4.0/24"), P("fd64:2::/64")}));
  EXPECT_EQ(peer.persistent_keepalive_seconds, 25);  // not behind NAT: the usual keepalive
}

TEST(DesiredDataplaneTest, MemberRelaysToItsGatewayAndHasNoPeers) {
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), "a2", {});
  EXPECT_EQ(d.role, NodeRole::kMember);
  ASSERT_TRUE(d.relay_to.has_value());
  EXPECT_EQ(d.relay_to->ToString(), "100.127.1.1");
  EXPECT_EQ(d.routes.size(), 3u);
  EXPECT_TRUE(d.peers.empty());
}

TEST(DesiredDataplaneTest, NodeInNoGatewayHasNoRoutes) {
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), "c9", {});
  EXPECT_EQ(d.role, NodeRole::kNone);
  EXPECT_TRUE(d.routes.empty());
  EXPECT_NE(d.reason.find("c9"), std::string::npos);
}

TEST(DesiredDataplaneTest, PoolWithoutActiveEndpointRoutesNothing) {
  auto gws = TwoPools();
  gws["gw-a"].status.active_endpoints.clear();
  DesiredDataplane d = ComputeDesiredDataplane(gws, "a2", {});
  EXPECT_EQ(d.role, NodeRole::kNone);
  EXPECT_TRUE(d.routes.empty());
}

TEST(DesiredDataplaneTest, RemotePoolWithoutActiveEndpointIsSkipped) {
  auto gws = TwoPools();
  gws["gw-b"].status.active_endpoints.clear();
  DesiredDataplane d = ComputeDesiredDataplane(gws, "a1", {});
  EXPECT_EQ(d.role, NodeRole::kGateway);
  EXPECT_TRUE(d.routes.empty());
  EXPECT_TRUE(d.peers.empty());
}

TEST(DesiredDataplaneTest, NodeIpForwardingAddsHostPrefixes) {
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), "a1", {.forward_node_ip = true});
  EXPECT_TRUE(d.routes.count(P("100.127.2.1/32")));
  EXPECT_TRUE(d.routes.count(P("100.127.2.2/32")));
  EXPECT_FALSE(d.routes.count(P("100.127.1.2/32")));  // own pool stays with the CNI
}

TEST(DesiredDataplaneTest, EndpointFallsBackToNodeIpUnlessBehindNat) {
  auto gws = TwoPools();
  gws["gw-b"].status.active_endpoints[0].public_ip = "";
  EXPECT_EQ(ComputeDesiredDataplane(gws, "a1", {}).peers.at("gw-b").endpoint, "100.127.2.1:4500");
  gws["gw-b"].status.active_endpoints[0].under_nat = true;
  EXPECT_EQ(ComputeDesiredDataplane(gws, "a1", {}).peers.at("gw-b").endpoint, std::nullopt);
  gws["gw-b"].status.active_endpoints[0].public_ip = "fd00::2";
  gws["gw-b"].status.active_endpoints[0].public_port = 30000;
  EXPECT_EQ(ComputeDesiredDataplane(gws, "a1", {}).peers.at("gw-b").endpoint, "[fd00::2]:30000");
}

TEST(DesiredDataplaneTest, OneEndOfAPairInitiatesTheOtherWaits) {
  const std::string key_a = TestKey('a'), key_b = TestKey('b');  // key_a < key_b
  DesiredDataplane at_a = ComputeDesiredDataplane(TwoPools(), "a1", {.public_key = key_a});
  DesiredDataplane at_b = ComputeDesiredDataplane(TwoPools(), "b1", {.public_key = key_b});
  const DesiredPeer& a_to_b = at_a.peers.at("gw-b");
  const DesiredPeer& b_to_a = at_b.peers.at("gw-a");
  EXPECT_TRUE(a_to_b.initiates);
  EXPECT_EQ(a_to_b.endpoint, "198.18.0.2:4500");
  EXPECT_FALSE(b_to_a.initiates);
  EXPECT_EQ(b_to_a.endpoint, std::nullopt);  // so that it cannot start a handshake too
  EXPECT_EQ(b_to_a.fallback_endpoint, "198.18.0.1:4500");
}

TEST(DesiredDataplaneTest, TheEndThatCanReachTheOtherInitiates) {
  auto gws = TwoPools();
  // gw-a is behind NAT with no public address: only it can start handshakes.
  gws["gw-a"].status.active_endpoints[0].public_ip = "";
  gws["gw-a"].status.active_endpoints[0].under_nat = true;
  const std::string key_a = TestKey('a'), key_b = TestKey('b');
  DesiredDataplane at_a = ComputeDesiredDataplane(gws, "a1", {.public_key = key_a});
  DesiredDataplane at_b = ComputeDesiredDataplane(gws, "b1", {.public_key = key_b});
  EXPECT_TRUE(at_a.peers.at("gw-b").initiates);
  EXPECT_FALSE(at_b.peers.at("gw-a").initiates);
  EXPECT_EQ(at_b.peers.at("gw-a").fallback_endpoint, std::nullopt);  // nowhere to call it
  // The same with the keys the other way round.
  at_a = ComputeDesiredDataplane(gws, "a1", {.public_key = key_b});
  at_b = ComputeDesiredDataplane(gws, "b1", {.public_key = key_a});
  EXPECT_TRUE(at_a.peers.at("gw-b").initiates);
  EXPECT_FALSE(at_b.peers.at("gw-a").initiates);
}

TEST(DesiredDataplaneTest, KeepaliveWhenOurGatewayIsBehindNat) {
  auto gws = TwoPools();
  gws["gw-a"].status.active_endpoints[0].under_nat = true;
  DesiredDataplane d = ComputeDesiredDataplane(gws, "a1", {.nat_keepalive_seconds = 7});
  EXPECT_EQ(d.peers.at("gw-b").persistent_keepalive_seconds, 7);
}

TEST(DesiredDataplaneTest, OverlapsWithLocalPoolAndOtherPoolsAreSkippedWithWarnings) {
  auto gws = TwoPools();
  gws["gw-c"] = GatewayBuilder("gw-c")
                    .Node("c1", "100.127.3.1", {"100.64.2.0/24", "100.64.0.0/16"})
                    .Active("c1", "198.18.0.3", 'c')
                    .Build();
  DesiredDataplane d = ComputeDesiredDataplane(gws, "a1", {});
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).gateway, "gw-b");  // first by name keeps it
  EXPECT_FALSE(d.routes.count(P("100.64.0.0/16")));            // covers the local pool
  EXPECT_EQ(d.warnings.size(), 2u);
  EXPECT_TRUE(d.peers.at("gw-c").allowed_ips.empty());
}

TEST(DesiredDataplaneTest, PeerIdsAreStableAndDistinct) {
  auto first = AssignPeerIds({"gw-a", "gw-b", "gw-c"});
  auto again = AssignPeerIds({"gw-a", "gw-b", "gw-c"});
  EXPECT_EQ(first, again);
  EXPECT_NE(first["gw-a"], first["gw-b"]);
  auto same = AssignPeerIds({"x", "x"});
  EXPECT_EQ(same.size(), 1u);
  DesiredDataplane d = ComputeDesiredDataplane(TwoPools(), "a1", {});
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).peer_id, first["gw-b"]);
}

}  // namespace
}  // namespace raven
