// Which pairs go through which NAT relay, as every node computes it.
#include "daemon/model/nat_relay_plan.h"

#include <gtest/gtest.h>

#include "daemon/model/desired_dataplane.h"
#include "tests/unit/daemon/gateway_builder.h"

namespace raven {
namespace {

using kube::ExposeType;
using kube::Gateway;
using testing::ByName;
using testing::GatewayBuilder;
using testing::Key;

constexpr DataplaneDevices kDevices{.wireguard_ifindex = 7, .vxlan_ifindex = 9, .path_mtu = 1420};

// Two public pools (cloud-1, cloud-2) that can relay, and three edge pools
// behind NATs without public addresses.
std::map<std::string, Gateway> Pools() {
  std::vector<Gateway> gws;
  int n = 1;
  for (const char* name : {"cloud-1", "cloud-2"}) {
    std::string node = std::string("c") + std::to_string(n);
    Gateway gw = GatewayBuilder(name)
                     .Node(node, "198.18.0." + std::to_string(10 + n),
                           {"100.64.1" + std::to_string(n) + ".0/24"})
                     .Active(node, "", static_cast<char>('A' + n))
                     .Build();
    gw.spec.expose_type = ExposeType::kPublicIP;
    gws.push_back(gw);
    ++n;
  }
  for (char site : {'a', 'b', 'd'}) {
    std::string node = std::string(1, site) + "1";
    gws.push_back(GatewayBuilder(std::string("edge-") + site)
                      .Node(node, "100.127.0." + std::to_string(site),
                            {"100.64." + std::to_string(site) + ".0/24"})
                      .Active(node, "", site, /*under_nat=*/true)
                      .Build());
  }
  return ByName(gws);
}

DataplaneInput At(const std::string& node, char key) {
  DataplaneInput in;
  in.node_name = node;
  in.public_key = Key(key);
  in.devices = kDevices;
  return in;
}

TEST(NatRelayPlanTest, CandidatesArePublicGatewaysOutsideNat) {
  auto gws = Pools();
  std::vector<RelayCandidate> c = RelayCandidates(gws);
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].gateway, "cloud-1");
  EXPECT_EQ(c[0].address.ToString(), "198.18.0.11");  // no publicIP: the node's privateIP
  EXPECT_EQ(c[0].key, Key('B'));
  // Not exposed, or exposed but behind NAT (even with a port forward): no relay.
  gws["cloud-1"].spec.expose_type = ExposeType::kNone;
  gws["cloud-2"].status.active_endpoints[0].under_nat = true;
  gws["cloud-2"].status.active_endpoints[0].public_ip = IpAddress::Parse("198.18.0.99").value();
  EXPECT_TRUE(RelayCandidates(gws).empty());
  // A load balancer's address is the public one.
  gws["cloud-2"].spec.expose_type = ExposeType::kLoadBalancer;
  gws["cloud-2"].status.active_endpoints[0].under_nat = false;
  ASSERT_EQ(RelayCandidates(gws).size(), 1u);
  EXPECT_EQ(RelayCandidates(gws)[0].address.ToString(), "198.18.0.99");
}

TEST(NatRelayPlanTest, TheChoiceIsTheSameFromBothEndsAndMovesOnlyTheGoneRelaysPairs) {
  auto gws = Pools();
  std::vector<RelayCandidate> both = RelayCandidates(gws);
  std::map<std::pair<std::string, std::string>, std::string> chosen;
  for (const char* a : {"edge-a", "edge-b", "edge-d"}) {
    for (const char* b : {"edge-a", "edge-b", "edge-d"}) {
      if (std::string(a) >= b) continue;
      std::string relay = ChooseRelay(both, a, b)->gateway;
      EXPECT_EQ(ChooseRelay(both, b, a)->gateway, relay);
      chosen[{a, b}] = relay;
    }
  }
  // Without cloud-2, its pairs move to cloud-1 and cloud-1's stay.
  std::vector<RelayCandidate> one = {both[0]};
  for (const auto& [pair, relay] : chosen) {
    EXPECT_EQ(ChooseRelay(one, pair.first, pair.second)->gateway, "cloud-1");
  }
  EXPECT_FALSE(ChooseRelay({}, "edge-a", "edge-b").has_value());
}

TEST(NatRelayPlanTest, PortsFollowNameOrder) {
  std::map<std::string, uint16_t> ports = RelayPorts(Pools(), 4600);
  EXPECT_EQ(ports.at("cloud-1"), 4600);
  EXPECT_EQ(ports.at("cloud-2"), 4601);
  EXPECT_EQ(ports.at("edge-a"), 4602);
  EXPECT_EQ(ports.at("edge-d"), 4604);
}

TEST(NatRelayPlanTest, BothEndsOfARelayedPairRegisterAndTheRelayServesIt) {
  auto gws = Pools();
  gws.erase("cloud-2");  // one relay: every edge pair goes through cloud-1
  DesiredDataplane a = ComputeDesiredDataplane(gws, At("a1", 'a'));
  DesiredDataplane b = ComputeDesiredDataplane(gws, At("b1", 'b'));
  EXPECT_TRUE(a.unreachable.empty());
  const PeerPlan& a_to_b = a.peers.at(Key('b'));
  const PeerPlan& b_to_a = b.peers.at(Key('a'));
  EXPECT_EQ(a_to_b.relay, "cloud-1");
  // Each sends to the relay port of the other; the lower key initiates.
  EXPECT_EQ(a_to_b.config.endpoint, "198.18.0.11:4602");  // edge-b's port (cloud-1, edge-a, edge-b)
  EXPECT_TRUE(a_to_b.initiates);
  EXPECT_FALSE(b_to_a.initiates);
  EXPECT_EQ(b_to_a.fallback_endpoint, "198.18.0.11:4601");
  EXPECT_EQ(a.routes.begin()->second.action, bpf::RouteAction::kWireGuard);
  // Registrations: one per relayed peer, at the peer's port.
  ASSERT_EQ(a.nat_relay.registrations.size(), 2u);  // edge-b and edge-d
  EXPECT_EQ(a.nat_relay.registrations[0].peer, "edge-b");
  EXPECT_EQ(a.nat_relay.registrations[0].address.ToString(), "198.18.0.11:4602");
  EXPECT_EQ(a.nat_relay.registrations[0].relay_key, Key('B'));
  EXPECT_EQ(a.nat_relay.registrations[0].peer_key, Key('b'));  // whom to probe directly
  EXPECT_TRUE(a.nat_relay.duty.empty());
  // One discovery probe per relay, at edge-a's own port.
  ASSERT_EQ(a.nat_relay.probes.size(), 1u);
  EXPECT_EQ(a.nat_relay.probes[0].address.ToString(), "198.18.0.11:4601");
  EXPECT_EQ(a.nat_relay.probes[0].peer, "edge-a");
  // The cloud reaches the edges directly (they call it) and relays their pairs.
  DesiredDataplane c = ComputeDesiredDataplane(gws, At("c1", 'B'));
  EXPECT_TRUE(c.nat_relay.registrations.empty());
  EXPECT_EQ(c.peers.at(Key('a')).relay, "");
  EXPECT_EQ(c.nat_relay.duty.pairs.size(), 3u);
  EXPECT_EQ(c.nat_relay.duty.ports.at("edge-a"), 4601);
  EXPECT_EQ(c.nat_relay.duty.gateways.at(Key('d')), "edge-d");
  // A member of a relay's pool relays nothing.
  gws["cloud-1"].status.nodes.push_back({"c9", IpAddress::Parse("198.18.0.19").value(), {}, {}});
  EXPECT_TRUE(ComputeDesiredDataplane(gws, At("c9", 'Z')).nat_relay.duty.empty());
}

TEST(NatRelayPlanTest, AProvenDirectPathReplacesTheRelaysAddressOnBothEnds) {
  auto gws = Pools();
  gws.erase("cloud-2");
  DataplaneInput at_a = At("a1", 'a'), at_b = At("b1", 'b');
  const UdpAddress b_mapped{IpAddress::Parse("198.18.0.30").value(), 17847};
  const UdpAddress a_mapped{IpAddress::Parse("198.18.0.20").value(), 4500};
  at_a.direct_paths = {{"edge-b", b_mapped}};
  at_b.direct_paths = {{"edge-a", a_mapped}};
  DesiredDataplane a = ComputeDesiredDataplane(gws, at_a);
  DesiredDataplane b = ComputeDesiredDataplane(gws, at_b);
  const PeerPlan& a_to_b = a.peers.at(Key('b'));
  EXPECT_TRUE(a_to_b.direct);
  EXPECT_EQ(a_to_b.relay, "cloud-1");  // standing by: still registered
  EXPECT_TRUE(a_to_b.initiates);       // the roles stay
  EXPECT_EQ(a_to_b.config.endpoint, "198.18.0.30:17847");
  EXPECT_EQ(b.peers.at(Key('a')).fallback_endpoint, "198.18.0.20:4500");
  EXPECT_EQ(a.nat_relay.registrations.size(), 2u);
  // edge-d has none: through the relay.
  EXPECT_FALSE(a.peers.at(Key('d')).direct);
  EXPECT_EQ(a.peers.at(Key('d')).config.endpoint, "198.18.0.11:4603");
}

TEST(NatRelayPlanTest, AnUnansweredPublishedEndpointTakesThePairThroughARelay) {
  auto gws = Pools();
  gws.erase("cloud-2");
  // edge-a publishes an address (a port forward) that does not answer.
  auto& a_active = gws["edge-a"].status.active_endpoints[0];
  a_active.public_ip = IpAddress::Parse("198.18.0.99").value();
  a_active.public_port = 4500;
  DesiredDataplane b = ComputeDesiredDataplane(gws, At("b1", 'b'));
  EXPECT_EQ(b.peers.at(Key('a')).relay, "");  // direct: edge-b calls it
  EXPECT_EQ(b.peers.at(Key('a')).config.endpoint, "198.18.0.99:4500");
  EXPECT_EQ(b.peers.at(Key('a')).published, "198.18.0.99:4500");

  // edge-b's status says so: edge-a, edge-b and the relay all take the pair
  // through cloud-1 (only that pair).
  gws["edge-b"].status.paths.push_back(
      {"b1", "edge-a", kube::PathKind::kDirect, "", kube::kReasonEndpointUnanswered});
  b = ComputeDesiredDataplane(gws, At("b1", 'b'));
  DesiredDataplane a = ComputeDesiredDataplane(gws, At("a1", 'a'));
  DesiredDataplane c = ComputeDesiredDataplane(gws, At("c1", 'B'));
  EXPECT_EQ(b.peers.at(Key('a')).relay, "cloud-1");
  EXPECT_EQ(b.peers.at(Key('a')).config.endpoint.value_or(
                b.peers.at(Key('a')).fallback_endpoint.value_or("")),
            "198.18.0.11:4601");
  EXPECT_EQ(b.peers.at(Key('a')).published, "198.18.0.99:4500");  // still known, for the mark
  EXPECT_EQ(a.peers.at(Key('b')).relay, "cloud-1");
  EXPECT_TRUE(c.nat_relay.duty.pairs.contains({"edge-a", "edge-b"}));
  EXPECT_EQ(c.peers.at(Key('a')).relay, "");  // cloud <-> edge-a: untouched
  EXPECT_EQ(a.peers.at(Key('B')).relay, "");

  // A pair never relays through one of its own Gateways; with no other
  // relay it stays direct (no dropped prefixes).
  gws["cloud-1"].status.paths.push_back(
      {"c1", "edge-a", kube::PathKind::kDirect, "", kube::kReasonEndpointUnanswered});
  c = ComputeDesiredDataplane(gws, At("c1", 'B'));
  EXPECT_EQ(c.peers.at(Key('a')).relay, "");
  EXPECT_EQ(c.peers.at(Key('a')).config.endpoint.value_or(
                c.peers.at(Key('a')).fallback_endpoint.value_or("")),
            "198.18.0.99:4500");
  EXPECT_TRUE(c.unreachable.empty());
}

TEST(NatRelayPlanTest, APairWithADirectPathKeepsTwoThirdGatewaysReadyToDetourThrough) {
  auto gws = Pools();
  // edge-a and edge-b reachable through port forwards: a direct pair.
  for (auto [name, ip] : {std::pair{"edge-a", "198.18.0.20"}, std::pair{"edge-b", "198.18.0.30"}}) {
    gws[name].status.active_endpoints[0].public_ip = IpAddress::Parse(ip).value();
    gws[name].status.active_endpoints[0].public_port = 4500;
  }
  const std::vector<RelayCandidate> ranked = RankRelays(RelayCandidates(gws), "edge-a", "edge-b");
  ASSERT_EQ(ranked.size(), 2u);
  DesiredDataplane a = ComputeDesiredDataplane(gws, At("a1", 'a'));
  DesiredDataplane b = ComputeDesiredDataplane(gws, At("b1", 'b'));
  const std::vector<std::string> order = {ranked[0].gateway, ranked[1].gateway};
  EXPECT_EQ(a.detour_relays.at("edge-b"), order);
  EXPECT_EQ(b.detour_relays.at("edge-a"), order);    // the same from both ends
  EXPECT_FALSE(a.detour_relays.contains("edge-d"));  // edge-d only calls out
  // Direct until told otherwise; registered with both relays; probed at its forward.
  EXPECT_EQ(a.peers.at(Key('b')).relay, "");
  EXPECT_EQ(a.nat_relay.direct_candidates.at("edge-b").ToString(), "198.18.0.30:4500");
  int registrations = 0;
  for (const RelayRegistrationTarget& t : a.nat_relay.registrations) {
    if (t.peer == "edge-b") ++registrations;
  }
  EXPECT_EQ(registrations, 2);
  for (const RelayCandidate& r : ranked) {
    DesiredDataplane relay = ComputeDesiredDataplane(
        gws, At(r.gateway == "cloud-1" ? "c1" : "c2", r.gateway == "cloud-1" ? 'B' : 'C'));
    EXPECT_TRUE(relay.nat_relay.duty.pairs.contains({"edge-a", "edge-b"})) << r.gateway;
  }
  // Told to detour through the second: its relay port for edge-b, said to be a detour.
  DataplaneInput at_a = At("a1", 'a');
  at_a.detours["edge-b"] = ranked[1].gateway;
  a = ComputeDesiredDataplane(gws, at_a);
  const PeerPlan& a_to_b = a.peers.at(Key('b'));
  EXPECT_EQ(a_to_b.relay, ranked[1].gateway);
  EXPECT_TRUE(a_to_b.detour);
  EXPECT_FALSE(a_to_b.direct);
  EXPECT_EQ(a_to_b.config.endpoint.value_or(a_to_b.fallback_endpoint.value_or("")),
            UdpAddress({ranked[1].address, 4603}).ToString());  // edge-b's port
  // A relay that is not one of the pair's is ignored; no detours without relays.
  at_a.detours["edge-b"] = "edge-d";
  EXPECT_EQ(ComputeDesiredDataplane(gws, at_a).peers.at(Key('b')).relay, "");
  at_a.options.detour_relays = 0;
  at_a.detours.clear();
  a = ComputeDesiredDataplane(gws, at_a);
  EXPECT_TRUE(a.detour_relays.empty());
  EXPECT_TRUE(a.nat_relay.direct_candidates.empty());
}

}  // namespace
}  // namespace raven
