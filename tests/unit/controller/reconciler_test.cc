// The controller's per-Gateway logic without an API server: status
// comparison and conditions, validation rejection, prefix conflicts, event
// dedup, and the reconciler's write decisions against a fake status client
// (409s included).
#include "controller/reconciler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/metrics/registry.h"
#include "controller/gateway_status.h"
#include "controller/prefix_ownership.h"
#include "tests/unit/kube/fakes.h"

namespace raven::controller {
namespace {

using kube::Gateway;
using kube::GatewayCondition;
using kube::GatewayStatus;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

IpPrefix P(const std::string& text) { return IpPrefix::Parse(text).value(); }

NodeView Healthy(const std::string& name, const std::string& gw, const std::string& cidr = "") {
  NodeView n;
  n.name = name;
  n.labels[kGatewayLabel] = gw;
  n.annotations[kPublicKeyAnnotation] = std::string(42, name.back()) + "A=";
  n.internal_ip = IpAddress::Parse("100.64.0." + std::to_string(name.back() - '0')).value();
  n.pod_cidrs = {P(cidr.empty() ? "100.96." + std::to_string(name.back() - '0') + ".0/24" : cidr)};
  n.ready = true;
  n.lease_fresh = true;
  return n;
}

Gateway Gw(std::vector<std::string> candidates, const std::string& name = "gw-a") {
  Gateway gw;
  gw.meta.name = name;
  gw.meta.resource_version = "1";
  gw.meta.generation = 3;
  gw.spec.tunnel_replicas = 1;
  for (const auto& c : candidates) {
    gw.spec.endpoints.push_back({.node_name = c,
                                 .type = kube::EndpointType::kTunnel,
                                 .public_ip = IpAddress::Parse("198.18.0.1").value()});
  }
  return gw;
}

std::vector<std::string> Active(const GatewayStatus& s) {
  std::vector<std::string> out;
  for (const auto& ep : s.active_endpoints) out.push_back(ep.node_name);
  return out;
}

TEST(GatewayStatusTest, ElectedGatewayIsReadyAndUnchangedStatusIsNotAChange) {
  std::map<std::string, NodeView> nodes{{"a1", Healthy("a1", "gw-a")}};
  Gateway gw = Gw({"a1"});
  GatewayOutcome first = ComputeOutcome(gw, nodes, {}, kNow);
  EXPECT_TRUE(first.changed);
  const GatewayCondition* ready = FindCondition(first.status, kConditionReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->reason, kReasonElected);
  EXPECT_EQ(ready->observed_generation, 3);
  EXPECT_EQ(ready->last_transition_time, kNow);
  gw.status = first.status;
  // Later, same health: nothing to write, and the transition time stays.
  GatewayOutcome again = ComputeOutcome(gw, nodes, {}, kNow + absl::Hours(1));
  EXPECT_FALSE(again.changed);
}

TEST(GatewayStatusTest, NoHealthyCandidateSaysWhyAndTransitionTimeMoves) {
  std::map<std::string, NodeView> nodes{{"a1", Healthy("a1", "gw-a")},
                                        {"a2", Healthy("a2", "gw-a")}};
  Gateway gw = Gw({"a1", "a2"});
  gw.status = ComputeOutcome(gw, nodes, {}, kNow).status;
  nodes["a1"].lease_fresh = false;
  nodes["a2"].ready = false;
  GatewayOutcome o = ComputeOutcome(gw, nodes, {}, kNow + absl::Minutes(1));
  EXPECT_TRUE(o.changed);
  EXPECT_TRUE(o.status.active_endpoints.empty());
  EXPECT_THAT(o.election.lost, ElementsAre("tunnel/a1"));
  const GatewayCondition* ready = FindCondition(o.status, kConditionReady);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, kReasonNoHealthyEndpoint);
  EXPECT_EQ(ready->message,
            "no healthy tunnel endpoint: a1 (heartbeat lease expired), a2 (NotReady)");
  EXPECT_EQ(ready->last_transition_time, kNow + absl::Minutes(1));
}

TEST(GatewayStatusTest, InvalidSpecTouchesNothingButTheCondition) {
  std::map<std::string, NodeView> nodes{{"a1", Healthy("a1", "gw-a")},
                                        {"a2", Healthy("a2", "gw-a")}};
  Gateway gw = Gw({"a1", "a2"});
  gw.status = ComputeOutcome(gw, nodes, {}, kNow).status;
  GatewayStatus before = gw.status;
  gw.spec.endpoints[1].under_nat = true;  // endpoints disagree on underNAT
  nodes["a1"].lease_fresh = false;        // would fail over, if acted on
  nodes.erase("a2");
  GatewayOutcome o = ComputeOutcome(gw, nodes, {}, kNow);
  EXPECT_FALSE(o.validation.ok());
  EXPECT_TRUE(o.changed);
  EXPECT_EQ(o.status.active_endpoints, before.active_endpoints);
  EXPECT_EQ(o.status.nodes, before.nodes);
  const GatewayCondition* ready = FindCondition(o.status, kConditionReady);
  EXPECT_EQ(ready->reason, kReasonInvalidSpec);
  EXPECT_THAT(ready->message, HasSubstr("spec.endpoints[1].underNAT"));
  EXPECT_TRUE(o.election.elected.empty());
  EXPECT_TRUE(o.election.lost.empty());
}

TEST(EventDeduperTest, SameEventOncePerWindow) {
  EventDeduper d(absl::Minutes(10));
  absl::Time t = absl::FromUnixSeconds(100);
  EXPECT_TRUE(d.ShouldRecord("gw", "Warning", "NoActiveEndpoint", "m", t));
  EXPECT_FALSE(d.ShouldRecord("gw", "Warning", "NoActiveEndpoint", "m", t + absl::Minutes(9)));
  EXPECT_TRUE(d.ShouldRecord("gw", "Warning", "NoActiveEndpoint", "other", t));
  EXPECT_TRUE(d.ShouldRecord("gw2", "Warning", "NoActiveEndpoint", "m", t));
  EXPECT_TRUE(d.ShouldRecord("gw", "Warning", "NoActiveEndpoint", "m", t + absl::Minutes(10)));
}

// An in-memory status endpoint with resourceVersions and injectable 409s.
class FakeStatusClient : public StatusClient {
 public:
  Gateway stored;
  int conflicts_to_inject = 0;
  int puts = 0;
  int gets = 0;

  absl::StatusOr<Gateway> UpdateStatus(const Gateway& g) override {
    ++puts;
    if (conflicts_to_inject > 0) {
      --conflicts_to_inject;
      Bump();  // someone else wrote meanwhile
      return absl::AbortedError("conflict");
    }
    if (g.meta.resource_version != stored.meta.resource_version) {
      return absl::AbortedError("stale");
    }
    stored.status = g.status;
    Bump();
    return stored;
  }
  absl::StatusOr<Gateway> UpdateStatusWithRetry(const std::string&,
                                                const Mutator& mutate) override {
    for (int i = 0; i < 16; ++i) {
      ++gets;
      Gateway fresh = stored;
      absl::Status st = mutate(fresh);
      if (!st.ok()) return st;
      if (fresh == stored) return stored;
      absl::StatusOr<Gateway> r = UpdateStatus(fresh);
      if (!absl::IsAborted(r.status())) return r;
    }
    return absl::AbortedError("too many conflicts");
  }
  void Bump() {
    stored.meta.resource_version = std::to_string(std::stoi(stored.meta.resource_version) + 1);
  }
};

class RecordingEvents : public EventRecorder {
 public:
  std::vector<std::string> reasons;
  std::vector<std::string> messages;
  void Record(const Gateway&, absl::string_view, const std::string& reason,
              const std::string& message) override {
    reasons.push_back(reason);
    messages.push_back(message);
  }
};

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest()
      : metrics_(registry_),
        reconciler_(&client_, &events_, &metrics_, &clock_, [this] { return leader_; }) {
    client_.stored = Gw({"a1", "a2"});
    nodes_ = {{"a1", Healthy("a1", "gw-a")}, {"a2", Healthy("a2", "gw-a")}};
  }
  // One pass; health changes its writes reflect are done with, as the
  // controller does.
  GatewayResult Pass() {
    PassResult pass = reconciler_.ReconcileAll({{"gw-a", informer_copy_}}, nodes_, changes_);
    for (const std::string& node : pass.gateways["gw-a"].reflected) changes_.erase(node);
    return pass.gateways["gw-a"];
  }

  metrics::Registry registry_;
  ControllerMetrics metrics_;
  FakeStatusClient client_;
  RecordingEvents events_;
  kube::testing::FakeClock clock_;
  bool leader_ = true;
  Reconciler reconciler_;
  Gateway informer_copy_ = Gw({"a1", "a2"});
  std::map<std::string, NodeView> nodes_;
  std::map<std::string, absl::Time> changes_;
};

TEST_F(ReconcilerTest, WritesOnceAndNotAgainBeforeTheInformerCatchesUp) {
  GatewayResult s = Pass();
  EXPECT_TRUE(s.wrote);
  EXPECT_THAT(Active(client_.stored.status), ElementsAre("a1"));
  EXPECT_THAT(events_.reasons, ElementsAre("ActiveEndpointElected"));
  // The informer still holds the old object: no second (conflicting) write.
  EXPECT_FALSE(Pass().wrote);
  EXPECT_EQ(client_.puts, 1);
  informer_copy_ = client_.stored;  // caught up
  EXPECT_FALSE(Pass().wrote);
  EXPECT_EQ(metrics_.elections.value(), 1);
  EXPECT_EQ(metrics_.status_writes.value(), 1);
}

TEST_F(ReconcilerTest, PathsFromTheActiveEndpointAndEventsWhenTheyChange) {
  nodes_["a1"].annotations[kPathsAnnotation] = "gw-a=Direct,gw-b=Relay/gw-c,gw-c=Direct";
  nodes_["a2"].annotations[kPathsAnnotation] = "gw-b=None";  // a standby: not published
  ASSERT_TRUE(Pass().wrote);
  EXPECT_EQ(client_.stored.status.paths,
            (std::vector<kube::GatewayPath>{{"a1", "gw-b", kube::PathKind::kRelay, "gw-c"},
                                            {"a1", "gw-c", kube::PathKind::kDirect, ""}}));
  EXPECT_THAT(events_.reasons, ElementsAre("ActiveEndpointElected"));  // first reports: no Event
  informer_copy_ = client_.stored;
  events_.reasons.clear();
  nodes_["a1"].annotations[kPathsAnnotation] = "gw-b=HolePunched,gw-c=None";
  ASSERT_TRUE(Pass().wrote);
  EXPECT_THAT(events_.reasons, ElementsAre("PathChanged", "NoPath"));
  EXPECT_THAT(events_.messages[events_.messages.size() - 2],
              HasSubstr("node a1 reaches Gateway gw-b directly, through both NATs (hole punched); "
                        "before: through the NAT relay of Gateway gw-c"));
  informer_copy_ = client_.stored;
  events_.reasons.clear();
  nodes_["a1"].annotations[kPathsAnnotation] = "gw-b=Direct,<script>=None";  // does not parse
  ASSERT_TRUE(Pass().wrote);
  EXPECT_TRUE(client_.stored.status.paths.empty());
  EXPECT_TRUE(events_.reasons.empty());
}

TEST_F(ReconcilerTest, ConflictReelectsOnTheFreshObject) {
  informer_copy_ = client_.stored;
  client_.conflicts_to_inject = 2;
  GatewayResult s = Pass();
  EXPECT_TRUE(s.error.ok()) << s.error;
  EXPECT_TRUE(s.wrote);
  EXPECT_THAT(Active(client_.stored.status), ElementsAre("a1"));
  EXPECT_GE(client_.gets, 1);
}

TEST_F(ReconcilerTest, ConflictWhereTheFreshObjectIsAlreadyRightWritesNothing) {
  // Someone else (an old leader) already published the same election.
  Gateway done = client_.stored;
  done.status = ComputeOutcome(done, nodes_, {}, absl::Now()).status;
  client_.stored = done;
  client_.Bump();
  GatewayResult s = Pass();  // informer copy is stale (rv 1): 409, re-read, nothing to do
  EXPECT_TRUE(s.error.ok()) << s.error;
  EXPECT_FALSE(s.wrote);
  EXPECT_TRUE(events_.reasons.empty());
}

TEST_F(ReconcilerTest, FailoverCountsAndMeasuresFromTheHealthChange) {
  Pass();
  informer_copy_ = client_.stored;
  nodes_["a1"].lease_fresh = false;
  changes_["a1"] = clock_.MonotonicNow();
  clock_.Advance(absl::Milliseconds(300));
  EXPECT_TRUE(Pass().wrote);
  EXPECT_THAT(Active(client_.stored.status), ElementsAre("a2"));
  EXPECT_EQ(metrics_.failovers.value(), 1);
  EXPECT_TRUE(changes_.empty());
  EXPECT_THAT(registry_.Render(),
              HasSubstr("raven_controller_health_change_to_status_write_seconds_sum 0.3\n"));
  EXPECT_THAT(events_.reasons,
              ElementsAre("ActiveEndpointElected", "ActiveEndpointElected", "ActiveEndpointLost"));
}

TEST_F(ReconcilerTest, StandbyNeverWrites) {
  leader_ = false;
  EXPECT_FALSE(Pass().wrote);
  EXPECT_EQ(client_.puts, 0);
}

TEST_F(ReconcilerTest, InvalidGatewayGetsEventAndCountsAsWithoutEndpoint) {
  informer_copy_.spec.endpoints[1].under_nat = true;
  client_.stored.spec.endpoints[1].under_nat = true;
  GatewayResult s = Pass();
  EXPECT_TRUE(s.wrote);
  EXPECT_TRUE(s.without_active_endpoint);
  EXPECT_TRUE(client_.stored.status.active_endpoints.empty());
  EXPECT_THAT(events_.reasons, ElementsAre("InvalidGateway"));
}

// A status that did not decode (forged, say) reads as empty. It is rewritten
// from the last good status: the active endpoint stays where it was (no
// take-back of a1 after a failover to a2) and no election happens.
TEST_F(ReconcilerTest, UndecodableStatusIsRewrittenFromTheLastGoodOne) {
  Pass();
  informer_copy_ = client_.stored;
  nodes_["a1"].lease_fresh = false;
  Pass();  // fails over to a2
  informer_copy_ = client_.stored;
  nodes_["a1"].lease_fresh = true;
  EXPECT_FALSE(Pass().wrote);
  const GatewayStatus good = client_.stored.status;
  ASSERT_THAT(Active(good), ElementsAre("a2"));
  events_.reasons.clear();

  for (Gateway* g : {&informer_copy_, &client_.stored}) {
    g->invalid_status = "status.nodes[0].subnets[0]: invalid CIDR";
    g->status = {};
  }
  GatewayResult s = Pass();
  EXPECT_TRUE(s.error.ok()) << s.error;
  EXPECT_TRUE(s.wrote);
  EXPECT_THAT(Active(client_.stored.status), ElementsAre("a2"));
  EXPECT_EQ(client_.stored.status.nodes, good.nodes);
  EXPECT_THAT(events_.reasons, ElementsAre("InvalidStatus"));
}

// Prefix ownership across Gateways: the one publishing a prefix keeps it.
class PrefixOwnershipTest : public ::testing::Test {
 protected:
  PrefixOwnershipTest() {
    // gw-b is established: b1's CIDR is published in its status.
    Gateway b = Gw({"b1"}, "gw-b");
    b.meta.creation_timestamp = kNow;
    b.status.nodes.push_back({"b1", std::nullopt, {P("100.64.31.0/24")}});
    gateways_["gw-b"] = b;
    nodes_["b1"] = Healthy("b1", "gw-b", "100.64.31.0/24");
  }
  // A newcomer, created after gw-b, whose member claims `cidr`.
  void Newcomer(const std::string& cidr, absl::Time created = kNow + absl::Hours(1)) {
    Gateway aaa = Gw({"x1"}, "gw-aaa");
    aaa.meta.creation_timestamp = created;
    gateways_["gw-aaa"] = aaa;
    nodes_["x1"] = Healthy("x1", "gw-aaa", cidr);
  }
  std::map<std::string, std::vector<RefusedPrefix>> Resolve() {
    return ResolvePrefixOwnership(gateways_, NodesByGateway(gateways_, nodes_));
  }

  std::map<std::string, Gateway> gateways_;
  std::map<std::string, NodeView> nodes_;
};

TEST_F(PrefixOwnershipTest, NewcomerClaimingAnEstablishedPrefixIsRefused) {
  Newcomer("100.64.31.0/24");
  auto refused = Resolve();
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_THAT(refused["gw-aaa"],
              ElementsAre(RefusedPrefix{"x1", P("100.64.31.0/24"), "gw-b", P("100.64.31.0/24")}));
}

TEST_F(PrefixOwnershipTest, PublishedPrefixWinsEvenOverAnOlderGateway) {
  Newcomer("100.64.31.0/24", kNow - absl::Hours(100));  // older, and first by name
  EXPECT_EQ(Resolve()["gw-aaa"].size(), 1u);
}

TEST_F(PrefixOwnershipTest, NestedClaimsConflictBothWays) {
  Newcomer("100.64.0.0/16");  // over b1's /24
  EXPECT_EQ(Resolve()["gw-aaa"][0].held, P("100.64.31.0/24"));
  Newcomer("100.64.31.128/25");  // inside it
  EXPECT_EQ(Resolve()["gw-aaa"][0].held, P("100.64.31.0/24"));
}

TEST_F(PrefixOwnershipTest, WithNothingPublishedTheOlderGatewayWins) {
  gateways_["gw-b"].status.nodes.clear();
  Newcomer("100.64.31.0/24");
  auto refused = Resolve();
  EXPECT_EQ(refused.count("gw-b"), 0u);
  EXPECT_EQ(refused["gw-aaa"].size(), 1u);
}

TEST_F(PrefixOwnershipTest, DisjointPrefixesAreNoConflict) {
  Newcomer("100.64.32.0/24");
  EXPECT_TRUE(Resolve().empty());
}

TEST_F(PrefixOwnershipTest, RefusedPrefixLeavesStatusAndSaysWhy) {
  Newcomer("100.64.31.0/24");
  nodes_["x1"].pod_cidrs.push_back(P("fd64:99::/64"));
  auto by_gateway = NodesByGateway(gateways_, nodes_);
  GatewayOutcome o =
      ComputeOutcome(gateways_["gw-aaa"], by_gateway["gw-aaa"], Resolve()["gw-aaa"], kNow);
  ASSERT_EQ(o.status.nodes.size(), 1u);
  EXPECT_EQ(o.status.nodes[0].subnets, std::vector<IpPrefix>{P("fd64:99::/64")});
  const GatewayCondition* ready = FindCondition(o.status, kConditionReady);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, kReasonPrefixConflict);
  EXPECT_THAT(ready->message, HasSubstr("100.64.31.0/24 of x1 (Gateway gw-b has 100.64.31.0/24)"));
}

TEST(GatewayStatusTest, MessagesStayBoundedWithThousandsOfEndpoints) {
  Gateway gw = Gw({});
  for (int i = 0; i < 5000; ++i) {
    gw.spec.endpoints.push_back({.node_name = "unknown-node-" + std::to_string(i)});
  }
  GatewayOutcome o = ComputeOutcome(gw, {}, {}, kNow);
  const GatewayCondition* ready = FindCondition(o.status, kConditionReady);
  EXPECT_LE(ready->message.size(), kMaxMessageBytes);
  EXPECT_THAT(ready->message, HasSubstr(" more"));
}

}  // namespace
}  // namespace raven::controller
