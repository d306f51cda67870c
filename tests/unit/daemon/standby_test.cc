// Standby sessions and the data-path failover in the desired dataplane:
// Gateways with two active endpoints (Replicas 2), some found silent.
#include <gtest/gtest.h>

#include "daemon/failover/tunnel_address.h"
#include "daemon/model/desired_dataplane.h"
#include "tests/unit/daemon/gateway_builder.h"

namespace raven {
namespace {

using testing::ByName;
using testing::GatewayBuilder;
using testing::Key;
using testing::TunnelHost;

constexpr DataplaneDevices kDevices{.wireguard_ifindex = 7, .vxlan_ifindex = 9, .path_mtu = 1420};

IpPrefix P(const char* text) { return IpPrefix::Parse(text).value(); }
IpAddress A(const char* text) { return IpAddress::Parse(text).value(); }

// gw-a: a1 (key a), a2 (key c) active in that order; gw-b: b1 (key b), b2
// (key d). `b_under_nat`: gw-b's endpoints only call out.
std::map<std::string, kube::Gateway> Replicated(bool b_under_nat = false) {
  return ByName({GatewayBuilder("gw-a")
                     .Node("a1", "100.127.1.1", {"100.64.1.0/24"})
                     .Node("a2", "100.127.1.2", {"100.64.3.0/24"})
                     .Node("a3", "100.127.1.3", {"100.64.5.0/24"})
                     .Active("a1", "198.18.0.1", 'a')
                     .Active("a2", "198.18.0.3", 'c')
                     .Build(),
                 GatewayBuilder("gw-b")
                     .Node("b1", "100.127.2.1", {"100.64.2.0/24"})
                     .Node("b2", "100.127.2.2", {"100.64.4.0/24"})
                     .Active("b1", b_under_nat ? "" : "198.18.0.2", 'b', b_under_nat)
                     .Active("b2", b_under_nat ? "" : "198.18.0.4", 'd', b_under_nat)
                     .Build()});
}

DataplaneInput At(const std::string& node, char key, std::set<std::string> silent = {}) {
  DataplaneInput in;
  in.node_name = node;
  in.public_key = Key(key);
  in.devices = kDevices;
  in.silent_endpoints = std::move(silent);
  return in;
}

std::vector<IpPrefix> Allowed(std::vector<IpPrefix> prefixes, char key) {
  prefixes.push_back(TunnelHost(key));
  return prefixes;
}

TEST(StandbyTest, TheGatewayKeepsASessionWithEachRemoteStandbyAndEchoesBoth) {
  DesiredDataplane d = ComputeDesiredDataplane(Replicated(), At("a1", 'a'));
  ASSERT_EQ(d.role, NodeRole::kGateway);
  ASSERT_EQ(d.peers.size(), 2u);
  const PeerPlan& active = d.peers.at(Key('b'));
  EXPECT_FALSE(active.standby);
  EXPECT_EQ(active.node, "b1");
  EXPECT_EQ(active.config.allowed_ips, Allowed({P("100.64.2.0/24"), P("100.64.4.0/24")}, 'b'));
  const PeerPlan& standby = d.peers.at(Key('d'));
  EXPECT_TRUE(standby.standby);
  EXPECT_EQ(standby.gateway, "gw-b");
  EXPECT_EQ(standby.node, "b2");
  EXPECT_EQ(standby.config.allowed_ips, std::vector<IpPrefix>{TunnelHost('d')});
  EXPECT_TRUE(standby.initiates);  // the smaller key, and both are reachable
  EXPECT_EQ(standby.config.endpoint, "198.18.0.4:4500");
  // Echoes: to both of gw-b's endpoints through their sessions, from our
  // tunnel address; none over the LAN (a1 is its Gateway's first).
  ASSERT_EQ(d.echo_targets.size(), 2u);
  const failover::EchoTarget& b2 = d.echo_targets.at("b2");
  EXPECT_EQ(b2.address, failover::TunnelAddress(Key('d')));
  EXPECT_EQ(b2.ifindex, 7u);
  EXPECT_EQ(b2.source, failover::TunnelAddress(Key('a')));
  EXPECT_EQ(d.echo_targets.at("b1").address, failover::TunnelAddress(Key('b')));
}

TEST(StandbyTest, ASilentRemoteEndpointHandsItsPrefixesToTheNextAtOnce) {
  DesiredDataplane d = ComputeDesiredDataplane(Replicated(), At("a1", 'a', {"b1"}));
  const PeerPlan& now_active = d.peers.at(Key('d'));
  EXPECT_FALSE(now_active.standby);
  EXPECT_EQ(now_active.config.allowed_ips, Allowed({P("100.64.2.0/24"), P("100.64.4.0/24")}, 'd'));
  // The silent one keeps a session (its tunnel address only): when it
  // answers again, the echoes see it.
  const PeerPlan& old = d.peers.at(Key('b'));
  EXPECT_TRUE(old.standby);
  EXPECT_EQ(old.config.allowed_ips, std::vector<IpPrefix>{TunnelHost('b')});
  EXPECT_TRUE(d.echo_targets.contains("b1"));
}

TEST(StandbyTest, TheLocalStandbyIsAMemberWithSessionsToEveryRemoteGateway) {
  DesiredDataplane d = ComputeDesiredDataplane(Replicated(), At("a2", 'c'));
  ASSERT_EQ(d.role, NodeRole::kMember);
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).tunnel_dst, A("100.127.1.1"));
  ASSERT_EQ(d.peers.size(), 1u);  // gw-b's active endpoint only
  const PeerPlan& session = d.peers.at(Key('b'));
  EXPECT_TRUE(session.standby);
  // It accepts gw-b's prefixes already: gw-b's gateway may move the pool's
  // traffic to it a moment before it turns gateway.
  EXPECT_EQ(session.config.allowed_ips, Allowed({P("100.64.2.0/24"), P("100.64.4.0/24")}, 'b'));
  EXPECT_FALSE(session.initiates);  // b's key is smaller than c's: b calls
  EXPECT_EQ(session.fallback_endpoint, "198.18.0.2:4500");
  // It watches the endpoint it stands by for, over the LAN.
  ASSERT_EQ(d.echo_targets.size(), 1u);
  EXPECT_EQ(d.echo_targets.at("a1"), failover::EchoTarget{A("100.127.1.1")});
}

TEST(StandbyTest, TheLocalStandbyTakesOverWhenTheActiveEndpointIsSilent) {
  DesiredDataplane d = ComputeDesiredDataplane(Replicated(), At("a2", 'c', {"a1"}));
  ASSERT_EQ(d.role, NodeRole::kGateway);
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).action, bpf::RouteAction::kWireGuard);
  EXPECT_EQ(d.peers.at(Key('b')).config.allowed_ips,
            Allowed({P("100.64.2.0/24"), P("100.64.4.0/24")}, 'b'));
  EXPECT_FALSE(d.peers.at(Key('b')).standby);
  EXPECT_TRUE(d.peers.at(Key('d')).standby);
  // a1 and a3 are its members now; it still echoes a1 (to hand back if the
  // controller never confirms the failover).
  EXPECT_EQ(d.relay_members.size(), 2u);
  EXPECT_TRUE(d.echo_targets.contains("a1"));
}

TEST(StandbyTest, AMemberEchoesEveryActiveEndpointAndFollowsTheFirstThatAnswers) {
  DesiredDataplane d = ComputeDesiredDataplane(Replicated(), At("a3", 'e'));
  EXPECT_TRUE(d.peers.empty());
  EXPECT_EQ(d.echo_targets.size(), 2u);
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).tunnel_dst, A("100.127.1.1"));
  d = ComputeDesiredDataplane(Replicated(), At("a3", 'e', {"a1"}));
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).tunnel_dst, A("100.127.1.2"));
  // Both silent: the controller's first.
  d = ComputeDesiredDataplane(Replicated(), At("a3", 'e', {"a1", "a2"}));
  EXPECT_EQ(d.routes.at(P("100.64.2.0/24")).tunnel_dst, A("100.127.1.1"));
}

TEST(StandbyTest, APairThatNeedsARelayGetsNoStandbySession) {
  auto gws = Replicated(/*b_under_nat=*/true);
  // gw-a calls out too: every gw-a <-> gw-b pair needs a relay, and there is none.
  for (auto& ep : gws.at("gw-a").status.active_endpoints) {
    ep.public_ip.reset();
    ep.under_nat = true;
  }
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1", 'a'));
  EXPECT_TRUE(d.unreachable.contains("gw-b"));
  EXPECT_TRUE(d.peers.empty());
  // gw-a reachable: b2's standby session is called by b2 (it alone can call).
  d = ComputeDesiredDataplane(Replicated(/*b_under_nat=*/true), At("a1", 'a'));
  ASSERT_TRUE(d.peers.contains(Key('d')));
  EXPECT_FALSE(d.peers.at(Key('d')).initiates);
  EXPECT_FALSE(d.peers.at(Key('d')).fallback_endpoint);
}

TEST(StandbyTest, ARelayedPairStaysWithTheControllersChoice) {
  auto gws = Replicated(/*b_under_nat=*/true);
  for (auto& ep : gws.at("gw-a").status.active_endpoints) {
    ep.public_ip.reset();
    ep.under_nat = true;
  }
  gws["gw-c"] = GatewayBuilder("gw-c")
                    .Node("c1", "198.18.0.11", {"100.64.11.0/24"})
                    .Active("c1", "198.18.0.11", 'f')
                    .Build();
  gws["gw-c"].spec.expose_type = kube::ExposeType::kPublicIP;
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1", 'a', {"b1"}));
  ASSERT_TRUE(d.peers.contains(Key('b')));
  EXPECT_EQ(d.peers.at(Key('b')).relay, "gw-c");
  EXPECT_FALSE(d.peers.at(Key('b')).standby);
  EXPECT_FALSE(d.peers.contains(Key('d')));
  ASSERT_TRUE(d.echo_targets.contains("b1"));      // measured through the relay
  EXPECT_FALSE(d.echo_targets.at("b1").failover);  // its silence would move nothing
}

TEST(StandbyTest, WithoutStandbysTheGatewayOnlyMeasuresThePaths) {
  auto gws = Replicated();
  for (auto& [name, gw] : gws) gw.status.active_endpoints.resize(1);
  DesiredDataplane d = ComputeDesiredDataplane(gws, At("a1", 'a'));
  ASSERT_EQ(d.echo_targets.size(), 1u);
  EXPECT_EQ(d.echo_targets.at("b1").address, failover::TunnelAddress(Key('b')));
  EXPECT_FALSE(d.echo_targets.at("b1").failover);
  EXPECT_TRUE(ComputeDesiredDataplane(gws, At("a3", 'e')).echo_targets.empty());  // a member
  // Only gw-b with a standby: a1 echoes gw-b's endpoints to fail over, a3 nothing.
  gws = Replicated();
  gws.at("gw-a").status.active_endpoints.resize(1);
  d = ComputeDesiredDataplane(gws, At("a1", 'a'));
  ASSERT_EQ(d.echo_targets.size(), 2u);
  EXPECT_TRUE(d.echo_targets.at("b1").failover);
  EXPECT_TRUE(d.echo_targets.at("b2").failover);
  EXPECT_TRUE(ComputeDesiredDataplane(gws, At("a3", 'e')).echo_targets.empty());
}

}  // namespace
}  // namespace raven
