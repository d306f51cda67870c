// The controller's per-Gateway logic without an API server: status
// comparison and conditions, validation rejection, event dedup, and the
// reconciler's write decisions against a fake status client (409s included).
#include "controller/reconciler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/metrics/registry.h"
#include "controller/gateway_status.h"
#include "tests/unit/kube/fakes.h"

namespace raven::controller {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

NodeView Healthy(const std::string& name, const std::string& gw) {
  NodeView n;
  n.name = name;
  n.labels[kGatewayLabel] = gw;
  n.annotations[kPublicKeyAnnotation] = "key-" + name;
  n.internal_ip = "100.64.0." + std::to_string(name.back() - '0');
  n.pod_cidrs = {"100.96." + std::to_string(name.back() - '0') + ".0/24"};
  n.ready = true;
  n.lease_fresh = true;
  return n;
}

Gateway Gw(std::vector<std::string> candidates) {
  Gateway gw;
  gw.name = "gw-a";
  gw.resource_version = "1";
  gw.generation = 3;
  gw.spec.tunnel_replicas = 1;
  for (const auto& c : candidates) {
    gw.spec.endpoints.push_back({.node_name = c, .type = "tunnel", .public_ip = "198.18.0.1"});
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
  GatewayOutcome first = ComputeOutcome(gw, nodes, kNow);
  EXPECT_TRUE(first.changed);
  const GatewayCondition* ready = FindCondition(first.status, kConditionReady);
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->status, "True");
  EXPECT_EQ(ready->reason, kReasonElected);
  EXPECT_EQ(ready->observed_generation, 3);
  EXPECT_EQ(ready->last_transition_time, "2027-01-15T08:00:00Z");
  gw.status = first.status;
  // Later, same health: nothing to write, and the transition time stays.
  GatewayOutcome again = ComputeOutcome(gw, nodes, kNow + absl::Hours(1));
  EXPECT_FALSE(again.changed);
}

TEST(GatewayStatusTest, NoHealthyCandidateSaysWhyAndTransitionTimeMoves) {
  std::map<std::string, NodeView> nodes{{"a1", Healthy("a1", "gw-a")},
                                        {"a2", Healthy("a2", "gw-a")}};
  Gateway gw = Gw({"a1", "a2"});
  gw.status = ComputeOutcome(gw, nodes, kNow).status;
  nodes["a1"].lease_fresh = false;
  nodes["a2"].ready = false;
  GatewayOutcome o = ComputeOutcome(gw, nodes, kNow + absl::Minutes(1));
  EXPECT_TRUE(o.changed);
  EXPECT_TRUE(o.status.active_endpoints.empty());
  EXPECT_THAT(o.election.lost, ElementsAre("tunnel/a1"));
  const GatewayCondition* ready = FindCondition(o.status, kConditionReady);
  EXPECT_EQ(ready->status, "False");
  EXPECT_EQ(ready->reason, kReasonNoHealthyEndpoint);
  EXPECT_EQ(ready->message,
            "no healthy tunnel endpoint: a1 (heartbeat lease expired), a2 (NotReady)");
  EXPECT_EQ(ready->last_transition_time, "2027-01-15T08:01:00Z");
}

TEST(GatewayStatusTest, InvalidSpecTouchesNothingButTheCondition) {
  std::map<std::string, NodeView> nodes{{"a1", Healthy("a1", "gw-a")},
                                        {"a2", Healthy("a2", "gw-a")}};
  Gateway gw = Gw({"a1", "a2"});
  gw.status = ComputeOutcome(gw, nodes, kNow).status;
  GatewayStatus before = gw.status;
  gw.spec.endpoints[1].under_nat = true;  // endpoints disagree on underNAT
  nodes["a1"].lease_fresh = false;        // would fail over, if acted on
  nodes.erase("a2");
  GatewayOutcome o = ComputeOutcome(gw, nodes, kNow);
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
    if (g.resource_version != stored.resource_version) return absl::AbortedError("stale");
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
  void Bump() { stored.resource_version = std::to_string(std::stoi(stored.resource_version) + 1); }
};

class RecordingEvents : public EventRecorder {
 public:
  std::vector<std::string> reasons;
  void Record(const Gateway&, absl::string_view, const std::string& reason,
              const std::string&) override {
    reasons.push_back(reason);
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
  PassStats Pass() {
    return reconciler_.ReconcileAll({{"gw-a", informer_copy_}}, nodes_, changes_);
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
  PassStats s = Pass();
  EXPECT_EQ(s.writes, 1);
  EXPECT_THAT(Active(client_.stored.status), ElementsAre("a1"));
  EXPECT_THAT(events_.reasons, ElementsAre("ActiveEndpointElected"));
  // The informer still holds the old object: no second (conflicting) write.
  EXPECT_EQ(Pass().writes, 0);
  EXPECT_EQ(client_.puts, 1);
  informer_copy_ = client_.stored;  // caught up
  EXPECT_EQ(Pass().writes, 0);
  EXPECT_EQ(metrics_.elections.value(), 1);
  EXPECT_EQ(metrics_.status_writes.value(), 1);
}

TEST_F(ReconcilerTest, ConflictReelectsOnTheFreshObject) {
  informer_copy_ = client_.stored;
  client_.conflicts_to_inject = 2;
  PassStats s = Pass();
  EXPECT_EQ(s.errors, 0);
  EXPECT_EQ(s.writes, 1);
  EXPECT_THAT(Active(client_.stored.status), ElementsAre("a1"));
  EXPECT_GE(client_.gets, 1);
}

TEST_F(ReconcilerTest, ConflictWhereTheFreshObjectIsAlreadyRightWritesNothing) {
  // Someone else (an old leader) already published the same election.
  Gateway done = client_.stored;
  done.status = ComputeOutcome(done, nodes_, absl::Now()).status;
  client_.stored = done;
  client_.Bump();
  PassStats s = Pass();  // informer copy is stale (rv 1): 409, re-read, nothing to do
  EXPECT_EQ(s.errors, 0);
  EXPECT_EQ(s.writes, 0);
  EXPECT_TRUE(events_.reasons.empty());
}

TEST_F(ReconcilerTest, FailoverCountsAndMeasuresFromTheHealthChange) {
  Pass();
  informer_copy_ = client_.stored;
  nodes_["a1"].lease_fresh = false;
  changes_["a1"] = clock_.MonotonicNow();
  clock_.Advance(absl::Milliseconds(300));
  EXPECT_EQ(Pass().writes, 1);
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
  PassStats s = Pass();
  EXPECT_EQ(s.writes, 0);
  EXPECT_EQ(client_.puts, 0);
}

TEST_F(ReconcilerTest, InvalidGatewayGetsEventAndCountsAsWithoutEndpoint) {
  informer_copy_.spec.expose_type = "Bogus";
  client_.stored.spec.expose_type = "Bogus";
  PassStats s = Pass();
  EXPECT_EQ(s.writes, 1);
  EXPECT_EQ(s.without_active_endpoint, 1);
  EXPECT_TRUE(client_.stored.status.active_endpoints.empty());
  EXPECT_THAT(events_.reasons, ElementsAre("InvalidGateway"));
}

}  // namespace
}  // namespace raven::controller
