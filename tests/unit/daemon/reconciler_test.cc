#include "daemon/reconciler.h"

#include <gtest/gtest.h>

#include <set>

#include "tests/unit/daemon/fakes.h"
#include "tests/unit/daemon/gateway_builder.h"

namespace raven {
namespace {

using kube::Gateway;
using testing::ByName;
using testing::FakeRelayMembers;
using testing::FakeRouteTable;
using testing::FakeWireGuardDevice;
using testing::GatewayBuilder;
using testing::Key;

constexpr DataplaneDevices kDevices{.wireguard_ifindex = 7, .vxlan_ifindex = 9, .path_mtu = 1420};

DesiredDataplane Desired(const std::map<std::string, Gateway>& gws, const std::string& node,
                         std::map<std::string, UdpAddress> direct_paths = {}) {
  return ComputeDesiredDataplane(gws, {node, Key(node[0]), kDevices, {}, {}, direct_paths});
}

IpPrefix P(const char* text) { return *IpPrefix::Parse(text); }

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

std::map<std::string, Gateway> Pools(const char* active_a, std::vector<std::string> b_subnets) {
  return ByName({GatewayBuilder("gw-a")
                     .Node("a1", "100.127.1.1", {"100.64.1.0/24"})
                     .Node("a2", "100.127.1.2", {"100.64.3.0/24"})
                     .Active(active_a, "198.18.0.1", 'a')
                     .Build(),
                 GatewayBuilder("gw-b")
                     .Node("b1", "100.127.2.1", std::move(b_subnets))
                     .Active("b1", "198.18.0.2", 'b')
                     .Build()});
}

class ReconcilerTest : public ::testing::Test {
 protected:
  absl::StatusOr<ReconcileStats> Apply(const std::map<std::string, Gateway>& gws,
                                       const std::string& node) {
    return reconciler_.Apply(Desired(gws, node), kNow);
  }
  FakeRouteTable routes_;
  FakeRelayMembers members_;
  FakeWireGuardDevice wg_;
  Reconciler reconciler_{routes_, members_, wg_};
};

TEST_F(ReconcilerTest, GatewayWritesWireGuardRoutesAndPeer) {
  auto stats = Apply(Pools("a1", {"100.64.2.0/24", "fd64:2::/64"}), "a1");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->routes_written, 2);
  EXPECT_EQ(stats->peers_written, 1);
  const bpf::RouteValue& v = routes_.routes.at(P("fd64:2::/64"));
  EXPECT_EQ(v.action, bpf::RouteAction::kWireGuard);
  EXPECT_EQ(v.ifindex, 7u);
  EXPECT_EQ(v.mtu, 1420);
  auto key = Key('b');
  ASSERT_TRUE(wg_.peers.count(key));
  EXPECT_EQ(wg_.peers[key].allowed_ips.size(), 3u);  // and its tunnel address
  EXPECT_EQ(wg_.peers[key].endpoint, "198.18.0.2:4500");
}

TEST_F(ReconcilerTest, SecondApplyOfSameStateWritesNothing) {
  auto gws = Pools("a1", {"100.64.2.0/24", "fd64:2::/64"});
  ASSERT_TRUE(Apply(gws, "a1").ok());
  int writes = routes_.writes, upserts = wg_.upserted;
  auto stats = Apply(gws, "a1");
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->changed());
  EXPECT_EQ(routes_.writes, writes);
  EXPECT_EQ(wg_.upserted, upserts);
}

TEST_F(ReconcilerTest, AddingOnePrefixWritesOnlyThatPrefix) {
  ASSERT_TRUE(Apply(Pools("a1", {"100.64.2.0/24"}), "a1").ok());
  auto stats = Apply(Pools("a1", {"100.64.2.0/24", "100.64.9.0/24"}), "a1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->routes_written, 1);
  EXPECT_EQ(stats->routes_deleted, 0);
  EXPECT_EQ(stats->peers_written, 1);  // its allowed IPs grew
}

TEST_F(ReconcilerTest, RoleChangeSwitchesRoutesThenDropsPeers) {
  ASSERT_TRUE(Apply(Pools("a1", {"100.64.2.0/24"}), "a1").ok());
  // a2 becomes the pool's gateway: a1 now relays through VXLAN to a2.
  auto stats = Apply(Pools("a2", {"100.64.2.0/24"}), "a1");
  ASSERT_TRUE(stats.ok());
  const bpf::RouteValue& v = routes_.routes.at(P("100.64.2.0/24"));
  EXPECT_EQ(v.action, bpf::RouteAction::kVxlan);
  EXPECT_EQ(v.ifindex, 9u);
  EXPECT_EQ(v.tunnel_dst.ToString(), "100.127.1.2");
  EXPECT_EQ(stats->routes_deleted, 0);  // updated in place: no gap
  EXPECT_EQ(stats->peers_removed, 1);
  EXPECT_TRUE(wg_.peers.empty());
}

TEST_F(ReconcilerTest, GatewayAcceptsRelayOnlyFromItsPoolsOtherNodes) {
  auto stats = Apply(Pools("a1", {"100.64.2.0/24"}), "a1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->members_added, 1);
  EXPECT_EQ(members_.members, std::set<IpAddress>{*IpAddress::Parse("100.127.1.2")});
  int adds = members_.adds;
  ASSERT_TRUE(Apply(Pools("a1", {"100.64.2.0/24"}), "a1").ok());
  EXPECT_EQ(members_.adds, adds);  // unchanged: its counters are kept
}

TEST_F(ReconcilerTest, MemberAcceptsRelayFromNobody) {
  ASSERT_TRUE(Apply(Pools("a1", {"100.64.2.0/24"}), "a1").ok());
  // a2 takes over: a1 is a member now and must not relay for a2 any more.
  auto stats = Apply(Pools("a2", {"100.64.2.0/24"}), "a1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->members_removed, 1);
  EXPECT_TRUE(members_.members.empty());
}

TEST_F(ReconcilerTest, RemovedPoolLosesRoutesAndPeer) {
  ASSERT_TRUE(Apply(Pools("a1", {"100.64.2.0/24"}), "a1").ok());
  auto only_a = Pools("a1", {});
  only_a.erase("gw-b");
  auto stats = Apply(only_a, "a1");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->routes_deleted, 1);
  EXPECT_EQ(stats->peers_removed, 1);
  EXPECT_TRUE(routes_.routes.empty());
}

TEST_F(ReconcilerTest, PeerFailureLeavesRoutesUntouched) {
  wg_.fail_upserts = true;
  auto stats = Apply(Pools("a1", {"100.64.2.0/24"}), "a1");
  EXPECT_FALSE(stats.ok());
  EXPECT_TRUE(routes_.routes.empty());  // no route to a peer that does not exist
}

TEST_F(ReconcilerTest, RoamedEndpointOfNatPeerIsNotRewritten) {
  auto gws = Pools("a1", {"100.64.2.0/24"});
  gws["gw-b"].status.active_endpoints[0].public_ip.reset();
  gws["gw-b"].status.active_endpoints[0].under_nat = true;
  ASSERT_TRUE(Apply(gws, "a1").ok());
  auto key = Key('b');
  wg_.peers[key].endpoint = "198.18.7.7:31000";  // learned from the peer's handshake
  int upserts = wg_.upserted;
  ASSERT_TRUE(Apply(gws, "a1").ok());
  EXPECT_EQ(wg_.upserted, upserts);
}

TEST_F(ReconcilerTest, EndpointRoamedByALiveSessionIsNotRewritten) {
  auto gws = Pools("a1", {"100.64.2.0/24"});
  ASSERT_TRUE(Apply(gws, "a1").ok());
  auto key = Key('b');
  wg_.peers[key].endpoint = "198.18.0.2:48044";  // the NAT mapped the peer's port
  wg_.handshakes[key] = absl::ToUnixNanos(kNow - absl::Seconds(20));
  int upserts = wg_.upserted;
  auto stats = Apply(gws, "a1");
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->changed());
  EXPECT_EQ(wg_.upserted, upserts);
  EXPECT_EQ(wg_.peers[key].endpoint, "198.18.0.2:48044");
}

TEST_F(ReconcilerTest, RoamedEndpointWithoutASessionIsRewritten) {
  auto gws = Pools("a1", {"100.64.2.0/24"});
  ASSERT_TRUE(Apply(gws, "a1").ok());
  auto key = Key('b');
  wg_.peers[key].endpoint = "198.18.0.2:48044";
  wg_.handshakes[key] = absl::ToUnixNanos(kNow - absl::Seconds(181));  // the session is gone
  ASSERT_TRUE(Apply(gws, "a1").ok());
  EXPECT_EQ(wg_.peers[key].endpoint, "198.18.0.2:4500");
}

TEST_F(ReconcilerTest, NewEndpointFromTheGatewaysIsWrittenOverALiveSession) {
  auto gws = Pools("a1", {"100.64.2.0/24"});
  ASSERT_TRUE(Apply(gws, "a1").ok());
  auto key = Key('b');
  wg_.peers[key].endpoint = "198.18.0.2:48044";
  wg_.handshakes[key] = absl::ToUnixNanos(kNow - absl::Seconds(20));
  gws["gw-b"].status.active_endpoints[0].public_port = 4600;
  ASSERT_TRUE(Apply(gws, "a1").ok());
  EXPECT_EQ(wg_.peers[key].endpoint, "198.18.0.2:4600");
}

// Edge pools a and b behind NAT without public addresses, relayed through one
// of two public pools.
std::map<std::string, Gateway> RelayedPools() {
  std::vector<Gateway> gws = {GatewayBuilder("gw-a")
                                  .Node("a1", "100.127.1.1", {"100.64.1.0/24"})
                                  .Active("a1", "", 'a', /*under_nat=*/true)
                                  .Build(),
                              GatewayBuilder("gw-b")
                                  .Node("b1", "100.127.2.1", {"100.64.2.0/24"})
                                  .Active("b1", "", 'b', /*under_nat=*/true)
                                  .Build()};
  for (char c : {'1', '2'}) {
    std::string node = std::string("c") + c;
    Gateway gw = GatewayBuilder("gw-" + node)
                     .Node(node, std::string("198.18.0.1") + c, {})
                     .Active(node, "", c == '1' ? 'C' : 'D')
                     .Build();
    gw.spec.expose_type = kube::ExposeType::kPublicIP;
    gws.push_back(gw);
  }
  return ByName(gws);
}

TEST_F(ReconcilerTest, APeerWeWaitForFollowsItsMovedRelayOnlyWithALiveSession) {
  auto gws = RelayedPools();
  DesiredDataplane first = Desired(gws, "b1");
  const PeerPlan& plan = first.peers.at(Key('a'));
  ASSERT_FALSE(plan.initiates);  // gw-a has the lower key
  ASSERT_TRUE(reconciler_.Apply(first, kNow).ok());
  EXPECT_EQ(wg_.peers[Key('a')].endpoint, std::nullopt);
  // gw-a's handshake came through the relay: the session roamed there.
  wg_.peers[Key('a')].endpoint = plan.fallback_endpoint;
  wg_.handshakes[Key('a')] = absl::ToUnixNanos(kNow - absl::Seconds(20));
  // The relay goes (its pool lost its active endpoint): the new one is written.
  gws[plan.relay].status.active_endpoints.clear();
  DesiredDataplane moved = Desired(gws, "b1");
  const std::optional<std::string> new_relay = moved.peers.at(Key('a')).fallback_endpoint;
  ASSERT_NE(new_relay, plan.fallback_endpoint);
  ASSERT_TRUE(reconciler_.Apply(moved, kNow).ok());
  EXPECT_EQ(wg_.peers[Key('a')].endpoint, new_relay);
  // Without a live session it is left alone: writing it would start a
  // handshake that crosses gw-a's.
  Reconciler fresh{routes_, members_, wg_};
  ASSERT_TRUE(fresh.Apply(first, kNow).ok());
  wg_.peers[Key('a')].endpoint = plan.fallback_endpoint;
  wg_.handshakes[Key('a')] = absl::ToUnixNanos(kNow - absl::Seconds(181));
  ASSERT_TRUE(fresh.Apply(moved, kNow).ok());
  EXPECT_EQ(wg_.peers[Key('a')].endpoint, plan.fallback_endpoint);
}

TEST_F(ReconcilerTest, ARelayedPairIsPutBackOnItsPathWhenWireGuardRoamsOff) {
  auto gws = RelayedPools();
  DesiredDataplane direct =
      Desired(gws, "a1", {{"gw-b", {IpAddress::Parse("198.18.0.30").value(), 17847}}});
  const PeerPlan& plan = direct.peers.at(Key('b'));
  ASSERT_TRUE(plan.initiates);
  ASSERT_TRUE(reconciler_.Apply(direct, kNow).ok());
  EXPECT_EQ(wg_.peers[Key('b')].endpoint, "198.18.0.30:17847");
  // A packet still in flight through the relay: WireGuard roams back there.
  wg_.peers[Key('b')].endpoint = "198.18.0.12:4602";
  wg_.handshakes[Key('b')] = absl::ToUnixNanos(kNow - absl::Seconds(20));
  std::vector<wg::PeerStatus> peers = wg_.GetPeers().value();
  EXPECT_TRUE(Reconciler::PathsDrifted(direct, peers, kNow));
  ASSERT_TRUE(reconciler_.Apply(direct, kNow).ok());
  EXPECT_EQ(wg_.peers[Key('b')].endpoint, "198.18.0.30:17847");
  EXPECT_FALSE(Reconciler::PathsDrifted(direct, wg_.GetPeers().value(), kNow));
  // The other end (b1 waits for a1's handshake) too, while the session lives.
  DesiredDataplane other =
      Desired(gws, "b1", {{"gw-a", {IpAddress::Parse("198.18.0.20").value(), 4500}}});
  ASSERT_FALSE(other.peers.at(Key('a')).initiates);
  Reconciler at_b1{routes_, members_, wg_};
  ASSERT_TRUE(at_b1.Apply(other, kNow).ok());  // a1's peer, without an endpoint
  wg_.peers[Key('a')].endpoint = "198.18.0.12:4601";
  wg_.handshakes[Key('a')] = absl::ToUnixNanos(kNow - absl::Seconds(20));
  ASSERT_TRUE(at_b1.Apply(other, kNow).ok());
  EXPECT_EQ(wg_.peers[Key('a')].endpoint, "198.18.0.20:4500");
  // Without a session it waits for the initiator's handshake.
  wg_.peers[Key('a')].endpoint = "198.18.0.12:4601";
  wg_.handshakes[Key('a')] = absl::ToUnixNanos(kNow - absl::Seconds(181));
  EXPECT_FALSE(Reconciler::PathsDrifted(other, wg_.GetPeers().value(), kNow));
  ASSERT_TRUE(at_b1.Apply(other, kNow).ok());
  EXPECT_EQ(wg_.peers[Key('a')].endpoint, "198.18.0.12:4601");
}

TEST(PathToRestoreTest, ADetourablePairIsPutBackOnItsDirectPathToo) {
  PeerPlan plan;
  plan.initiates = true;
  plan.config.endpoint = "198.18.0.30:4500";
  wg::PeerStatus have;
  have.config.endpoint = "198.18.0.11:4603";  // roamed onto a detour's relay
  EXPECT_EQ(Reconciler::PathToRestore(plan, have, kNow), std::nullopt);  // a plain direct pair
  plan.detour_endpoints = {"198.18.0.12:4603", "198.18.0.11:4603"};
  EXPECT_EQ(Reconciler::PathToRestore(plan, have, kNow), "198.18.0.30:4500");
  have.config.endpoint = "198.18.0.30:40123";  // roamed elsewhere (a NAT's mapping): kept
  EXPECT_EQ(Reconciler::PathToRestore(plan, have, kNow), std::nullopt);
}

TEST_F(ReconcilerTest, APeerThatBecomesWaitedForKeepsItsRoamedEndpoint) {
  auto gws = RelayedPools();
  gws["gw-a"].status.active_endpoints[0].under_nat = false;  // b1 calls a1 directly
  DesiredDataplane direct = Desired(gws, "b1");
  ASSERT_EQ(direct.peers.at(Key('a')).fallback_endpoint, std::nullopt);
  ASSERT_TRUE(reconciler_.Apply(direct, kNow).ok());
  wg_.peers[Key('a')].endpoint = "198.18.0.30:40123";  // roamed: a1's packets come from there
  wg_.handshakes[Key('a')] = absl::ToUnixNanos(kNow - absl::Seconds(20));
  // b1 is reachable now too: a1, with the lower key, calls; b1 waits, with
  // a1's address as the fallback if the handshake never comes.
  gws["gw-b"].status.active_endpoints[0].public_ip = IpAddress::Parse("198.18.0.40").value();
  DesiredDataplane waits = Desired(gws, "b1");
  ASSERT_FALSE(waits.peers.at(Key('a')).initiates);
  ASSERT_NE(waits.peers.at(Key('a')).fallback_endpoint, std::nullopt);
  ASSERT_TRUE(reconciler_.Apply(waits, kNow).ok());
  EXPECT_EQ(wg_.peers[Key('a')].endpoint, "198.18.0.30:40123");
}

TEST_F(ReconcilerTest, RestartedAgentKeepsTheEndpointOfALiveSession) {
  auto gws = Pools("a1", {"100.64.2.0/24"});
  ASSERT_TRUE(Apply(gws, "a1").ok());
  auto key = Key('b');
  wg_.peers[key].endpoint = "198.18.0.2:48044";
  wg_.handshakes[key] = absl::ToUnixNanos(kNow - absl::Seconds(20));
  Reconciler restarted{routes_, members_, wg_};
  int upserts = wg_.upserted;
  auto stats = restarted.Apply(Desired(gws, "a1"), kNow);
  ASSERT_TRUE(stats.ok());
  EXPECT_FALSE(stats->changed());
  EXPECT_EQ(wg_.upserted, upserts);
}

}  // namespace
}  // namespace raven
