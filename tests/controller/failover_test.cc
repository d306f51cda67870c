// raven-controller against the project's API server over HTTPS: it publishes
// members and active endpoints, fails over within 3 s of an agent's last
// heartbeat, never hands the role back to a returning node, and rejects an
// invalid Gateway without touching its endpoints.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/poll.h"
#include "controller/controller.h"
#include "lab/cluster/cluster.h"
#include "tests/controller/test_controller.h"
#include "tests/unit/kube/apiserver_env.h"

namespace raven::controller {
namespace {

using kube::testing::IsOk;
using lab::ActiveNodes;
using lab::Cluster;
using lab::MemberNode;
using lab::NodeSpec;
using lab::TestGateway;
using lab::TestKey;
using lab::WaitForGateway;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class ControllerTest : public testing::ClusterTest {
 protected:
  absl::Time WaitActive(const std::string& gw, std::vector<std::string> want,
                        absl::Duration timeout = absl::Seconds(10)) {
    auto at = WaitForGateway(
        *cluster_, gw, [&](const Gateway& g) { return ActiveNodes(g) == want; }, timeout);
    EXPECT_THAT(at, IsOk());
    return at.ok() ? *at : absl::Now();
  }

  std::string Events() {
    auto json = env_->server().GetJson("/api/v1/namespaces/default/events");
    return json.ok() ? *json : "";
  }

  // A controller whose resync passes come every 200 ms, so that "nothing is
  // written" can be checked over a number of passes instead of a fixed time.
  void StartResyncingController() {
    StartController([](ControllerConfig& c) { c.resync_period = kFastResync; });
  }

  // Events and metrics follow the status write by a few milliseconds.
  static bool Eventually(const std::function<bool()>& pred) {
    return PollUntil(pred, absl::Seconds(2));
  }
  bool EventSeen(const std::string& text) {
    return Eventually([&] { return absl::StrContains(Events(), text); });
  }
  bool MetricSeen(const std::string& text) {
    return Eventually([&] { return absl::StrContains(controller_->registry.Render(), text); });
  }
};

TEST_F(ControllerTest, PublishesMembersAndActiveEndpointWithAgentAnnotations) {
  NodeSpec first = MemberNode(1, 1);
  first.wireguard_port = 51820;  // spec gives no port: the agent's port is published
  ASSERT_THAT(cluster_->AddNode(first), IsOk());
  ASSERT_THAT(cluster_->StartHeartbeat(first.name), IsOk());
  for (int i = 2; i <= 3; ++i) {
    ASSERT_THAT(cluster_->AddNode(MemberNode(1, i)), IsOk());
    ASSERT_THAT(cluster_->StartHeartbeat(MemberNode(1, i).name), IsOk());
  }
  NodeSpec no_ip = MemberNode(1, 9);  // a member without InternalIP is left out, not a 422
  no_ip.internal_ip.clear();
  ASSERT_THAT(cluster_->AddNode(no_ip), IsOk());
  NodeSpec stranger = MemberNode(2, 1);  // another pool's node
  ASSERT_THAT(cluster_->AddNode(stranger), IsOk());
  ASSERT_THAT(cluster_->AddGateway(TestGateway(1, 2)), IsOk());
  StartResyncingController();

  WaitActive("gw-1", {"g1-n1"});
  auto gw = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw, IsOk());
  ASSERT_EQ(gw->status.nodes.size(), 3u);
  EXPECT_EQ(gw->status.nodes[0].node_name, "g1-n1");
  EXPECT_EQ(gw->status.nodes[2].node_name, "g1-n3");
  EXPECT_EQ(gw->status.nodes[1].private_ip, IpAddress::Parse("100.64.1.2").value());
  EXPECT_THAT(gw->status.nodes[0].subnets, ElementsAre(IpPrefix::Parse("100.96.1.8/29").value(),
                                                       IpPrefix::Parse("fd00:1:1::/64").value()));
  const GatewayEndpoint& ep = gw->status.active_endpoints[0];
  EXPECT_EQ(ep.type, kube::EndpointType::kTunnel);
  EXPECT_EQ(ep.port, 51820);
  EXPECT_EQ(ep.public_ip, IpAddress::Parse("198.18.1.1").value());
  ASSERT_TRUE(ep.public_key.has_value());
  EXPECT_EQ(ep.public_key->ToBase64(), TestKey(101));
  const GatewayCondition* ready = FindCondition(gw->status, kConditionReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->reason, kReasonElected);
  EXPECT_TRUE(EventSeen("ActiveEndpointElected")) << Events();
  EXPECT_FALSE(absl::StrContains(Events(), "NoActiveEndpoint")) << Events();

  // Nothing changes: no more writes, whatever the heartbeats and resyncs do.
  // Six passes span more than a heartbeat round (1 s).
  size_t writes = wire_->status_writes().size();
  ASSERT_TRUE(PassesRun(6));
  EXPECT_EQ(wire_->status_writes().size(), writes);
}

// A dual-stack Node's InternalIPs of both families reach status.nodes:
// privateIP the first, secondaryPrivateIPs the other family's.
TEST_F(ControllerTest, PublishesBothFamiliesOfADualStackNode) {
  NodeSpec dual = MemberNode(1, 1);
  dual.internal_ip = "100.64.1.1,100.64.1.11,fd7f:1::1";
  ASSERT_THAT(cluster_->AddNode(dual), IsOk());
  ASSERT_THAT(cluster_->StartHeartbeat(dual.name), IsOk());
  ASSERT_THAT(cluster_->AddNode(MemberNode(1, 2)), IsOk());
  ASSERT_THAT(cluster_->AddGateway(TestGateway(1, 1)), IsOk());
  StartController();

  WaitActive("gw-1", {"g1-n1"});
  auto gw = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw, IsOk());
  ASSERT_EQ(gw->status.nodes.size(), 2u);
  EXPECT_EQ(gw->status.nodes[0].private_ip, IpAddress::Parse("100.64.1.1").value());
  EXPECT_THAT(gw->status.nodes[0].secondary_private_ips,
              ElementsAre(IpAddress::Parse("fd7f:1::1").value()));
  EXPECT_TRUE(gw->status.nodes[1].secondary_private_ips.empty());
  // As stored: the field once, the single-stack node's entry has none.
  auto json = env_->server().GetJson(absl::StrCat(lab::kGatewaysPath, "/gw-1"));
  ASSERT_THAT(json, IsOk());
  EXPECT_THAT(*json, HasSubstr(R"("secondaryPrivateIPs":["fd7f:1::1"])"));
  EXPECT_EQ(json->find("secondaryPrivateIPs"), json->rfind("secondaryPrivateIPs")) << *json;
}

TEST_F(ControllerTest, FailsOverWithinThreeSecondsAndNeverTakesTheRoleBack) {
  AddPool(1, 3, 2);
  AddPool(2, 2, 2);
  StartResyncingController();
  WaitActive("gw-1", {"g1-n1"});
  WaitActive("gw-2", {"g2-n1"});

  // The agent of g1-n1 dies: its Lease is no longer renewed.
  absl::Time stop = absl::Now();
  absl::Time last_renewal = cluster_->StopHeartbeat("g1-n1");
  absl::Time switched = WaitActive("gw-1", {"g1-n2"});
  double from_stop = absl::ToDoubleSeconds(switched - stop);
  double from_renewal = absl::ToDoubleSeconds(switched - last_renewal);
  std::printf(
      "failover: lease stop -> status write %.2f s (last renewal -> status write %.2f s, "
      "lease duration 2 s)\n",
      from_stop, from_renewal);
  EXPECT_LT(from_renewal, 3.0);
  EXPECT_GE(from_renewal, 2.0);  // not before the Lease expired
  auto gw2 = cluster_->GetGateway("gw-2");
  ASSERT_THAT(gw2, IsOk());
  EXPECT_THAT(ActiveNodes(*gw2), ElementsAre("g2-n1"));  // other pools untouched
  EXPECT_TRUE(MetricSeen("raven_controller_failovers_total 1")) << controller_->registry.Render();
  EXPECT_TRUE(EventSeen("ActiveEndpointLost")) << Events();
  EXPECT_TRUE(EventSeen("g1-n1 is no longer an active tunnel endpoint (heartbeat lease expired)"))
      << Events();
  EXPECT_TRUE(MetricSeen("raven_controller_health_change_to_status_write_seconds_count 1"))
      << controller_->registry.Render();

  // The agent comes back: g1-n2 keeps the role, and nothing is written.
  size_t writes = wire_->status_writes().size();
  ASSERT_THAT(cluster_->ResumeHeartbeat("g1-n1"), IsOk());
  ASSERT_TRUE(PassesRun(5));
  auto gw = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw, IsOk());
  EXPECT_THAT(ActiveNodes(*gw), ElementsAre("g1-n2"));
  EXPECT_EQ(wire_->status_writes().size(), writes);

  // g1-n2 goes NotReady (its agent still renewing): back to g1-n1; and once
  // g1-n2 is Ready again it stays a standby candidate.
  ASSERT_THAT(cluster_->SetNodeReady("g1-n2", false), IsOk());
  WaitActive("gw-1", {"g1-n1"}, absl::Seconds(2));
  ASSERT_THAT(cluster_->SetNodeReady("g1-n2", true), IsOk());
  ASSERT_TRUE(PassesRun(5));
  gw = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw, IsOk());
  EXPECT_THAT(ActiveNodes(*gw), ElementsAre("g1-n1"));
}

TEST_F(ControllerTest, NoHealthyCandidateIsReportedAndRecovers) {
  AddPool(1, 2, 1);
  StartController();
  WaitActive("gw-1", {"g1-n1"});
  cluster_->StopHeartbeat("g1-n1");
  WaitActive("gw-1", {}, absl::Seconds(5));
  auto gw = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw, IsOk());
  const GatewayCondition* ready = FindCondition(gw->status, kConditionReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, kReasonNoHealthyEndpoint);
  EXPECT_THAT(ready->message, HasSubstr("g1-n1 (heartbeat lease expired)"));
  EXPECT_TRUE(EventSeen("NoActiveEndpoint")) << Events();
  EXPECT_TRUE(MetricSeen("raven_controller_gateways_without_active_endpoint 1"))
      << controller_->registry.Render();
  ASSERT_THAT(cluster_->ResumeHeartbeat("g1-n1"), IsOk());
  WaitActive("gw-1", {"g1-n1"}, absl::Seconds(3));
}

bool Rejected(const Gateway& g) {
  const GatewayCondition* c = FindCondition(g.status, kConditionReady);
  return c && c->reason == kReasonInvalidSpec;
}

TEST_F(ControllerTest, InvalidGatewayGetsConditionAndEventAndKeepsItsEndpoints) {
  AddPool(1, 3, 2);
  Gateway bad = TestGateway(2, 1);
  bad.spec.expose_type = kube::ExposeType::kNone;
  bad.spec.endpoints.push_back(bad.spec.endpoints[0]);
  bad.spec.endpoints[1].node_name = "g2-n2";
  bad.spec.endpoints[1].under_nat = true;  // endpoints disagree on underNAT
  ASSERT_THAT(cluster_->AddGateway(bad), IsOk());
  StartController();
  WaitActive("gw-1", {"g1-n1"});

  auto rejected = WaitForGateway(*cluster_, "gw-2", Rejected, absl::Seconds(5));
  ASSERT_THAT(rejected, IsOk());
  auto gw2 = cluster_->GetGateway("gw-2");
  ASSERT_THAT(gw2, IsOk());
  EXPECT_TRUE(gw2->status.active_endpoints.empty());
  EXPECT_TRUE(gw2->status.nodes.empty());
  EXPECT_THAT(FindCondition(gw2->status, kConditionReady)->message, HasSubstr("underNAT"));
  EXPECT_TRUE(EventSeen("InvalidGateway")) << Events();

  // A valid, elected Gateway turns invalid: its endpoints stay as they were,
  // even when the active node dies (never acted on half-way).
  Gateway gw1 = TestGateway(1, 2);
  gw1.spec.proxy_replicas = 1;  // but no proxy endpoint: valid for the schema, not the controller
  ASSERT_THAT(cluster_->UpdateGatewaySpec("gw-1", gw1.spec), IsOk());
  auto invalid = WaitForGateway(*cluster_, "gw-1", Rejected, absl::Seconds(5));
  ASSERT_THAT(invalid, IsOk());
  cluster_->StopHeartbeat("g1-n1");
  absl::SleepFor(absl::Milliseconds(3000));
  auto now = cluster_->GetGateway("gw-1");
  ASSERT_THAT(now, IsOk());
  EXPECT_THAT(ActiveNodes(*now), ElementsAre("g1-n1"));
  EXPECT_EQ(now->status.nodes.size(), 3u) << EncodeGatewayJson(*now);

  // Fixed: elected again, on current health.
  gw1.spec.proxy_replicas = 0;
  ASSERT_THAT(cluster_->UpdateGatewaySpec("gw-1", gw1.spec), IsOk());
  WaitActive("gw-1", {"g1-n2"}, absl::Seconds(3));
}

TEST_F(ControllerTest, NodeMovingToAnotherGatewayChangesBothMemberLists) {
  AddPool(1, 3, 2);
  AddPool(2, 2, 2);
  StartController();
  WaitActive("gw-1", {"g1-n1"});
  ASSERT_THAT(cluster_->SetNodeLabel("g1-n1", "gw-2"), IsOk());
  // It is no longer a member of gw-1, so no longer its candidate.
  WaitActive("gw-1", {"g1-n2"}, absl::Seconds(3));
  auto gw2 = WaitForGateway(
      *cluster_, "gw-2", [](const Gateway& g) { return g.status.nodes.size() == 3; },
      absl::Seconds(3));
  ASSERT_THAT(gw2, IsOk());
  auto gw1 = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw1, IsOk());
  EXPECT_EQ(gw1->status.nodes.size(), 2u);
}

}  // namespace
}  // namespace raven::controller
