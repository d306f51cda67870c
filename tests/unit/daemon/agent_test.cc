// The agent's decisions over fake parts: role changes, repair with the
// heartbeat withheld, keep-last-good, API outages, writing nothing when
// nothing changed, and the handshake watchdog.
#include "daemon/agent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/daemon/agent_fixture.h"

namespace raven {
namespace {

using kube::Gateway;
using testing::AgentTest;
using ::testing::ElementsAre;
using testing::GatewayBuilder;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using testing::Joined;
using testing::Key;
using testing::PoolA;
using testing::PoolB;
using testing::PoolC;
using testing::TunnelHost;

IpPrefix P(const char* text) { return *IpPrefix::Parse(text); }
IpAddress A(const char* text) { return *IpAddress::Parse(text); }

TEST_F(AgentTest, StartSetsUpTheNodeAndAppliesTheGateways) {
  Start({PoolA("a1"), PoolB()});
  EXPECT_EQ(node_.ensures, 1);
  EXPECT_EQ(status_.Get().role, NodeRole::kGateway);
  EXPECT_EQ(routes_.routes.size(), 1u);
  EXPECT_EQ(wg_.peers.size(), 1u);
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());
  EXPECT_EQ(agent_->HeartbeatProblem(), "");
}

TEST_F(AgentTest, StartFailsWhenTheNodeCannotBeSetUp) {
  node_.repair_error = absl::PermissionDeniedError("CAP_NET_ADMIN missing");
  source_.Set({PoolA("a1"), PoolB()});
  settings_.node_name = "a1";
  Agent agent(settings_,
              AgentParts{&source_, &node_, &routes_, &members_, &wg_, nullptr, nullptr, &clock_},
              status_);
  absl::Status st = agent.Start();
  EXPECT_EQ(st.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(routes_.routes, IsEmpty());
}

TEST_F(AgentTest, RoleChangesFromGatewayToMemberAndBack) {
  Start({PoolA("a1"), PoolB()});
  // Gateway: remote prefixes over WireGuard, the remote gateway as a peer,
  // the pool's other node as a relay member.
  AgentSnapshot s = status_.Get();
  EXPECT_EQ(s.role, NodeRole::kGateway);
  EXPECT_EQ(s.local_gateway, "gw-a");
  const bpf::RouteValue& gw_route = routes_.routes.at(P("100.64.2.0/24"));
  EXPECT_EQ(gw_route.action, bpf::RouteAction::kWireGuard);
  EXPECT_EQ(gw_route.ifindex, 7u);
  ASSERT_TRUE(wg_.peers.count(Key('b')));
  EXPECT_EQ(wg_.peers[Key('b')].allowed_ips,
            (std::vector<IpPrefix>{P("100.64.2.0/24"), TunnelHost('b')}));
  EXPECT_EQ(members_.members, std::set<IpAddress>{A("100.127.1.2")});
  EXPECT_EQ(s.member_names.at(A("100.127.1.2")), "a2");
  EXPECT_EQ(s.routes, 1u);

  // a2 takes over: this node relays to it through VXLAN.
  Sync({PoolA("a2"), PoolB()});
  s = status_.Get();
  EXPECT_EQ(s.role, NodeRole::kMember);
  EXPECT_EQ(s.local_gateway, "gw-a");
  const bpf::RouteValue& member_route = routes_.routes.at(P("100.64.2.0/24"));
  EXPECT_EQ(member_route.action, bpf::RouteAction::kVxlan);
  EXPECT_EQ(member_route.ifindex, 9u);
  EXPECT_EQ(member_route.tunnel_dst, A("100.127.1.2"));
  EXPECT_THAT(wg_.peers, IsEmpty());
  EXPECT_THAT(wg_.removed_keys, ElementsAre(Key('b')));
  EXPECT_THAT(members_.members, IsEmpty());
  EXPECT_THAT(s.member_names, IsEmpty());
  EXPECT_EQ(routes_.routes.size(), 1u);

  // And back.
  Sync({PoolA("a1"), PoolB()});
  EXPECT_EQ(status_.Get().role, NodeRole::kGateway);
  EXPECT_EQ(routes_.routes.at(P("100.64.2.0/24")).action, bpf::RouteAction::kWireGuard);
  EXPECT_TRUE(wg_.peers.count(Key('b')));
  EXPECT_EQ(members_.members, std::set<IpAddress>{A("100.127.1.2")});
}

TEST_F(AgentTest, NodeLeftOutOfEveryGatewayRoutesNothing) {
  Start({PoolA("a1"), PoolB()});
  ASSERT_FALSE(routes_.routes.empty());
  Gateway without = GatewayBuilder("gw-a")
                        .Node("a2", "100.127.1.2", {"100.64.3.0/24"})
                        .Active("a2", "198.18.0.11", 'e')
                        .Build();
  Sync({without, PoolB()});
  AgentSnapshot s = status_.Get();
  EXPECT_EQ(s.role, NodeRole::kNone);
  EXPECT_NE(s.role_reason, "");
  EXPECT_THAT(routes_.routes, IsEmpty());
  EXPECT_THAT(wg_.peers, IsEmpty());
  EXPECT_THAT(members_.members, IsEmpty());
}

TEST_F(AgentTest, UnchangedGatewaysWriteNothing) {
  Start({PoolA("a1"), PoolB(), PoolC()});
  const Writes first = Count();
  EXPECT_GT(first.route_upserts, 0);
  EXPECT_GT(first.peer_upserts, 0);
  EXPECT_GT(first.member_adds, 0);
  agent_->Sync();
  agent_->CheckDataplane();
  agent_->Sync();
  EXPECT_EQ(Count(), first);

  // The same as a member.
  Sync({PoolA("a2"), PoolB(), PoolC()});
  const Writes member = Count();
  EXPECT_NE(member, first);
  agent_->Sync();
  EXPECT_EQ(Count(), member);
}

TEST_F(AgentTest, DetachedProgramIsRepairedAndWithholdsTheHeartbeatMeanwhile) {
  Start({PoolA("a1"), PoolB()});
  ASSERT_EQ(node_.ensures, 1);
  node_.problems = {"host egress program not attached to eth0"};
  agent_->CheckDataplane();
  EXPECT_EQ(node_.ensures, 2);  // repaired
  EXPECT_THAT(agent_->HeartbeatProblem(), HasSubstr("host egress program not attached"));
  EXPECT_THAT(Joined(status_.HealthProblems()), HasSubstr("host egress program not attached"));

  // The next check finds it in place: the heartbeat may be renewed again.
  agent_->CheckDataplane();
  EXPECT_EQ(agent_->HeartbeatProblem(), "");
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());
  EXPECT_EQ(node_.ensures, 2);  // nothing to repair
}

TEST_F(AgentTest, FailedRepairKeepsTheHeartbeatWithheldAndRetries) {
  Start({PoolA("a1"), PoolB()});
  node_.problems = {"VXLAN device raven-vx0 missing"};
  node_.repair_error = absl::InternalError("cannot create raven-vx0");
  for (int i = 0; i < 3; ++i) {
    agent_->CheckDataplane();
    EXPECT_EQ(node_.ensures, 2 + i);
    EXPECT_THAT(agent_->HeartbeatProblem(), HasSubstr("raven-vx0 missing"));
  }
  // Broken dataplane or not, the Gateways are still applied.
  agent_->Sync();
  EXPECT_THAT(agent_->HeartbeatProblem(), HasSubstr("raven-vx0 missing"));
  EXPECT_TRUE(wg_.peers.count(Key('b')));

  node_.repair_error = absl::OkStatus();
  agent_->CheckDataplane();
  EXPECT_NE(agent_->HeartbeatProblem(), "");  // seen broken; repaired after the look
  agent_->CheckDataplane();
  EXPECT_EQ(agent_->HeartbeatProblem(), "");
}

TEST_F(AgentTest, UnreadableWireGuardDeviceWithholdsTheHeartbeat) {
  Start({PoolA("a1"), PoolB()});
  wg_.get_peers_error = absl::NotFoundError("no device raven-wg0");
  agent_->CheckDataplane();
  EXPECT_THAT(agent_->HeartbeatProblem(), HasSubstr("WireGuard device: no device raven-wg0"));
  EXPECT_EQ(node_.ensures, 2);
  wg_.get_peers_error = absl::OkStatus();
  agent_->CheckDataplane();
  EXPECT_EQ(agent_->HeartbeatProblem(), "");
}

// A repair re-creates devices: routes must follow the new device (and a new
// WireGuard device its peers) at once, not at the next resync, since the
// heartbeat resumes at the next check.
TEST_F(AgentTest, RepairReappliesTheDataplaneToRecreatedDevices) {
  Start({PoolA("a2"), PoolB()});
  ASSERT_EQ(routes_.routes.at(P("100.64.2.0/24")).ifindex, 9u);
  node_.problems = {"VXLAN device raven-vx0 missing"};
  node_.devices.vxlan_ifindex = 19;  // what the repair creates
  agent_->CheckDataplane();
  EXPECT_EQ(routes_.routes.at(P("100.64.2.0/24")).ifindex, 19u);
  agent_->CheckDataplane();
  EXPECT_EQ(agent_->HeartbeatProblem(), "");

  Sync({PoolA("a1"), PoolB()});
  ASSERT_TRUE(wg_.peers.count(Key('b')));
  wg_.peers.clear();  // the WireGuard device was replaced, empty
  node_.problems = {"WireGuard device raven-wg0 missing"};
  node_.devices.wireguard_ifindex = 17;
  agent_->CheckDataplane();
  EXPECT_TRUE(wg_.peers.count(Key('b')));
  EXPECT_EQ(routes_.routes.at(P("100.64.2.0/24")).ifindex, 17u);
}

TEST_F(AgentTest, MalformedGatewayKeepsTheLastGoodDataplane) {
  Start({PoolA("a1"), PoolB()});
  const Writes before = Count();
  const bpf::RouteMap routes = routes_.routes;
  const auto peers = wg_.peers;

  // gw-b no longer decodes.
  source_.gateways = {{"gw-a", PoolA("a1")},
                      {"gw-b", absl::InvalidArgumentError("status.nodes[0].subnets[0]: bad")}};
  agent_->Sync();
  EXPECT_EQ(Count(), before);
  EXPECT_EQ(routes_.routes, routes);
  EXPECT_EQ(wg_.peers, peers);
  EXPECT_THAT(Joined(status_.Warnings()), HasSubstr("gw-b"));
  EXPECT_THAT(Joined(status_.Warnings()), HasSubstr("status.nodes[0].subnets[0]: bad"));
  EXPECT_EQ(status_.Get().role, NodeRole::kGateway);

  // gw-b decodes but its active endpoint lost its key.
  Gateway keyless = PoolB();
  keyless.status.active_endpoints[0].public_key.reset();
  Sync({PoolA("a1"), keyless});
  EXPECT_EQ(Count(), before);
  EXPECT_EQ(wg_.peers, peers);
  EXPECT_THAT(Joined(status_.Warnings()), HasSubstr("missing WireGuard public key"));

  // Valid again: the warning goes.
  Sync({PoolA("a1"), PoolB()});
  EXPECT_EQ(Count(), before);
  EXPECT_THAT(status_.Warnings(), IsEmpty());
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());
}

TEST_F(AgentTest, TheNodesWarningsAreShownButLeaveItHealthy) {
  Start({PoolA("a1"), PoolB()});
  node_.warnings = {"egress device tunl0 has no Ethernet header"};
  agent_->CheckDataplane();
  EXPECT_THAT(Joined(status_.Warnings()), HasSubstr("egress device tunl0 has no Ethernet header"));
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());
  EXPECT_EQ(node_.ensures, 1);  // nothing to repair
}

TEST_F(AgentTest, APoolNoPathLeadsToIsDroppedAndSaidNotBlackHoled) {
  auto behind_nat = [](Gateway gw) {
    gw.status.active_endpoints[0].public_ip.reset();
    gw.status.active_endpoints[0].under_nat = true;
    return gw;
  };
  Start({behind_nat(PoolA("a1")), behind_nat(PoolB())});
  EXPECT_EQ(routes_.routes.at(P("100.64.2.0/24")).action, bpf::RouteAction::kNoPath);
  EXPECT_THAT(wg_.peers, IsEmpty());  // no peer that could never answer
  EXPECT_THAT(Joined(status_.Warnings()), HasSubstr("no path to Gateway gw-b: both active gateways "
                                                    "(a1, b1) are behind NAT"));
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());  // the topology's problem, not this node's
  EXPECT_EQ(status_.Get().paths_annotation, "gw-b=None");

  // A public Gateway relays the pair.
  Gateway relay = PoolC();
  relay.spec.expose_type = kube::ExposeType::kPublicIP;
  Sync({behind_nat(PoolA("a1")), behind_nat(PoolB()), relay});
  EXPECT_EQ(status_.Get().paths_annotation, "gw-b=Relay/gw-c,gw-c=Direct");

  // gw-b gets a public address: the path is there, the warning gone.
  Sync({behind_nat(PoolA("a1")), PoolB()});
  EXPECT_EQ(routes_.routes.at(P("100.64.2.0/24")).action, bpf::RouteAction::kWireGuard);
  EXPECT_EQ(wg_.peers.size(), 1u);
  EXPECT_THAT(status_.Warnings(), IsEmpty());
  EXPECT_EQ(status_.Get().paths_annotation, "gw-b=Direct");
  // A member publishes no paths.
  Sync({behind_nat(PoolA("a2")), PoolB()});
  EXPECT_EQ(status_.Get().paths_annotation, "");
}

TEST_F(AgentTest, APublishedEndpointThatAnswersNothingIsSaidInThePaths) {
  Start({PoolA("a1"), PoolB()});
  EXPECT_EQ(status_.Get().paths_annotation, "gw-b=Direct");
  agent_->CheckDataplane();
  wg_.tx_bytes[Key('b')] = 148;  // a handshake initiation, unanswered
  agent_->CheckDataplane();
  clock_.Advance(absl::Seconds(14));
  agent_->CheckDataplane();
  EXPECT_EQ(status_.Get().paths_annotation, "gw-b=Direct");
  clock_.Advance(absl::Seconds(1));
  agent_->CheckDataplane();
  EXPECT_EQ(status_.Get().paths_annotation, "gw-b=Direct:EndpointUnanswered");
  agent_->Sync();  // the next sync keeps saying it
  EXPECT_EQ(status_.Get().paths_annotation, "gw-b=Direct:EndpointUnanswered");
}

TEST_F(AgentTest, MalformedLocalGatewayKeepsTheRole) {
  Start({PoolA("a1"), PoolB()});
  const Writes before = Count();
  source_.gateways = {{"gw-a", absl::InvalidArgumentError("status.activeEndpoints[0]: bad")},
                      {"gw-b", PoolB()}};
  agent_->Sync();
  EXPECT_EQ(Count(), before);
  EXPECT_EQ(status_.Get().role, NodeRole::kGateway);
  EXPECT_THAT(Joined(status_.Warnings()), HasSubstr("gw-a"));
}

TEST_F(AgentTest, FailingSourceTearsNothingDown) {
  Start({PoolA("a1"), PoolB()});
  const Writes before = Count();
  const bpf::RouteMap routes = routes_.routes;

  source_.error = absl::UnavailableError("connection refused");
  agent_->Sync();
  agent_->CheckDataplane();
  agent_->Sync();
  EXPECT_EQ(Count(), before);
  EXPECT_EQ(routes_.routes, routes);
  EXPECT_EQ(status_.Get().role, NodeRole::kGateway);
  EXPECT_THAT(Joined(status_.HealthProblems()), HasSubstr("connection refused"));
  // The API's trouble is not the dataplane's: the heartbeat is not withheld.
  EXPECT_EQ(agent_->HeartbeatProblem(), "");

  source_.error = absl::OkStatus();
  agent_->Sync();
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());
  EXPECT_EQ(Count(), before);
}

TEST_F(AgentTest, StaleSourceIsReported) {
  Start({PoolA("a1"), PoolB()});
  source_.staleness = "Gateway watch failing for 12s";
  agent_->CheckDataplane();
  EXPECT_THAT(Joined(status_.HealthProblems()), HasSubstr("Gateway watch failing"));
  EXPECT_EQ(agent_->HeartbeatProblem(), "");
  source_.staleness = "";
  agent_->CheckDataplane();
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());
}

// A hung API server: the watch stays open and silent, the heartbeat's
// renewals fail. After watch_stale_after that is reported; the dataplane stays.
TEST_F(AgentTest, HungApiServerIsReportedAfterWatchStaleAfter) {
  settings_.watch_stale_after = absl::Seconds(10);
  heartbeat_.beat.last_renewal = clock_.Now();
  Start({PoolA("a1"), PoolB()});
  wg_.handshakes[Key('b')] = absl::ToUnixNanos(clock_.Now());  // the tunnel is up
  const Writes before = Count();
  heartbeat_.beat.last_error = "context deadline exceeded";

  clock_.Advance(absl::Seconds(9));
  agent_->CheckDataplane();
  agent_->Sync();
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());

  clock_.Advance(absl::Seconds(2));
  agent_->CheckDataplane();
  EXPECT_THAT(Joined(status_.HealthProblems()), HasSubstr("API server unreachable"));
  EXPECT_THAT(Joined(status_.HealthProblems()), HasSubstr("context deadline exceeded"));
  agent_->Sync();  // the Gateways the source still has change nothing, and keep the report
  EXPECT_THAT(Joined(status_.HealthProblems()), HasSubstr("API server unreachable"));
  EXPECT_EQ(Count(), before);
  EXPECT_EQ(agent_->HeartbeatProblem(), "");

  heartbeat_.beat.last_renewal = clock_.Now();
  heartbeat_.beat.last_error = "";
  agent_->CheckDataplane();
  EXPECT_THAT(status_.HealthProblems(), IsEmpty());
}

TEST_F(AgentTest, StalledInitiatedHandshakeIsRestarted) {
  // Our key (a) is the lowest: we initiate to gw-b and gw-c.
  Start({PoolA("a1"), PoolB(), PoolC()});
  ASSERT_EQ(wg_.peers.size(), 2u);
  const int upserts = wg_.upserted;
  const int64_t now_nanos = absl::ToUnixNanos(clock_.Now());
  wg_.handshakes[Key('c')] = now_nanos;  // gw-c is up

  // Not yet due.
  clock_.Advance(absl::Milliseconds(400));
  std::optional<absl::Time> next = agent_->WatchHandshakes();
  ASSERT_TRUE(next.has_value());
  EXPECT_THAT(wg_.removed_keys, IsEmpty());

  clock_.Advance(*next - clock_.Now());
  next = agent_->WatchHandshakes();
  EXPECT_THAT(wg_.removed_keys, ElementsAre(Key('b')));
  EXPECT_EQ(wg_.upserted, upserts + 1);
  ASSERT_TRUE(wg_.peers.count(Key('b')));
  EXPECT_EQ(wg_.peers[Key('b')].endpoint, "198.18.0.2:4500");
  ASSERT_TRUE(next.has_value());
  EXPECT_GT(*next, clock_.Now());  // backing off

  // Once its handshake comes, it is left alone.
  wg_.handshakes[Key('b')] = absl::ToUnixNanos(clock_.Now());
  clock_.Advance(absl::Seconds(30));
  EXPECT_EQ(agent_->WatchHandshakes(), std::nullopt);
  EXPECT_EQ(wg_.removed_keys.size(), 1u);
  EXPECT_EQ(wg_.upserted, upserts + 1);
}

TEST_F(AgentTest, ResponderWhoseHandshakeNeverComesInitiatesItself) {
  settings_.public_key = Key('d');  // gw-b's key (b) is lower: gw-b initiates
  Start({PoolA("a1"), PoolB()});
  ASSERT_TRUE(wg_.peers.count(Key('b')));
  EXPECT_EQ(wg_.peers[Key('b')].endpoint, std::nullopt);

  clock_.Advance(settings_.handshakes.responder_wait - absl::Milliseconds(100));
  agent_->WatchHandshakes();
  EXPECT_THAT(wg_.removed_keys, IsEmpty());

  clock_.Advance(absl::Milliseconds(100));
  agent_->WatchHandshakes();
  EXPECT_THAT(wg_.removed_keys, ElementsAre(Key('b')));
  // Re-created with the address it can be reached at.
  EXPECT_EQ(wg_.peers[Key('b')].endpoint, "198.18.0.2:4500");
}

TEST_F(AgentTest, DataplaneCheckKicksStalledHandshakesToo) {
  Start({PoolA("a1"), PoolB()});
  clock_.Advance(settings_.handshakes.first_kick);
  agent_->CheckDataplane();
  EXPECT_THAT(wg_.removed_keys, ElementsAre(Key('b')));
  AgentSnapshot s = status_.Get();
  ASSERT_EQ(s.peers.size(), 1u);
  EXPECT_EQ(s.peers[0].gateway, "gw-b");
  EXPECT_EQ(s.peers[0].last_handshake, std::nullopt);
}

}  // namespace
}  // namespace raven
