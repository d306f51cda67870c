// Two raven-controller replicas under Lease leader election (2 s / 1.5 s /
// 0.25 s), each with its own connection, recorded on the wire:
//  - a leader whose lease renewals stall stops writing before the standby
//    starts (checked on the recorded status writes, not on callbacks);
//  - a leader that crashes (stopped without releasing) is replaced within
//    one lease duration, and the failover it had pending still happens;
//  - the result is a fixed point of a fresh single controller.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <functional>
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

using kube::testing::ApiServerEnv;
using kube::testing::IsOk;
using lab::ActiveNodes;
using lab::Cluster;
using lab::MemberNode;
using lab::TestGateway;
using lab::WaitForGateway;
using testing::TestController;
using testing::WireWrite;

constexpr absl::Duration kLeaseDuration = absl::Seconds(2);  // StartTestController's timings
constexpr absl::Duration kRenewDeadline = absl::Milliseconds(1500);
constexpr absl::Duration kRetryPeriod = absl::Milliseconds(250);

std::unique_ptr<TestController> StartReplica(const ApiServerEnv& env, const std::string& identity,
                                             bool leader_elect = true) {
  auto r = testing::StartTestController(env.config(), identity, leader_elect);
  EXPECT_THAT(r, IsOk());
  return r.ok() ? *std::move(r) : nullptr;
}

bool WaitLeader(TestController& r, absl::Duration timeout) {
  return testing::WaitLeader(*r.controller, timeout);
}

// The test sees a write on the server a moment before the writer's
// transport has recorded the answer: wait for the record.
bool Eventually(const std::function<bool()>& pred) { return PollUntil(pred, absl::Seconds(2)); }

// Successful status writes on the wire.
std::vector<WireWrite> Successful(const std::vector<WireWrite>& writes) {
  std::vector<WireWrite> out;
  for (const auto& w : writes) {
    if (w.code >= 200 && w.code < 300) out.push_back(w);
  }
  return out;
}

TEST(ReplicasTest, OneWriterAtATimeAndTakeoverWithinOneLeaseDuration) {
  auto env = ApiServerEnv::Start();
  ASSERT_THAT(env, IsOk());
  Cluster cluster(&(*env)->server());
  for (int g = 1; g <= 3; ++g) {
    for (int i = 1; i <= 3; ++i) {
      ASSERT_THAT(cluster.AddNode(MemberNode(g, i)), IsOk());
      ASSERT_THAT(cluster.StartHeartbeat(MemberNode(g, i).name), IsOk());
    }
    ASSERT_THAT(cluster.AddGateway(TestGateway(g, 3)), IsOk());
  }

  auto a = StartReplica(**env, "replica-a");
  ASSERT_TRUE(WaitLeader(*a, absl::Seconds(5)));
  auto b = StartReplica(**env, "replica-b");
  for (int g = 1; g <= 3; ++g) {
    ASSERT_THAT(
        WaitForGateway(
            cluster, absl::StrCat("gw-", g),
            [&](const Gateway& gw) { return ActiveNodes(gw).size() == 1; }, absl::Seconds(5)),
        IsOk());
  }
  EXPECT_FALSE(b->controller->IsLeader());
  EXPECT_TRUE(b->wire->status_writes().empty()) << "a standby wrote";

  // 1. A's lease renewals stall (its other requests still work), and a
  // failover becomes due at the same time. A must stop writing within its
  // renew deadline; B may lead only a lease duration after A's last renewal.
  // (g1-n1's failover falls due while A may still count itself leader, so
  // either may write it; g3-n1's falls due after A stepped down: B's.)
  a->wire->set_election_blocked(true);
  absl::Time stalled = absl::Now();
  cluster.StopHeartbeat("g1-n1");
  ASSERT_TRUE(PollUntil([&] { return !a->controller->IsLeader(); }, kRenewDeadline * 2));
  cluster.StopHeartbeat("g3-n1");
  ASSERT_TRUE(WaitLeader(*b, absl::Seconds(6)));
  double takeover = absl::ToDoubleSeconds(absl::Now() - stalled);
  ASSERT_THAT(
      WaitForGateway(
          cluster, "gw-1",
          [](const Gateway& gw) { return ActiveNodes(gw) == std::vector<std::string>{"g1-n2"}; },
          absl::Seconds(5)),
      IsOk());
  ASSERT_THAT(
      WaitForGateway(
          cluster, "gw-3",
          [](const Gateway& gw) { return ActiveNodes(gw) == std::vector<std::string>{"g3-n2"}; },
          absl::Seconds(5)),
      IsOk());
  EXPECT_FALSE(a->controller->IsLeader());

  absl::Time a_last_renewal = absl::InfinitePast();
  for (const auto& w : Successful(a->wire->election_writes())) a_last_renewal = w.start;
  std::vector<WireWrite> a_writes = Successful(a->wire->status_writes());
  ASSERT_TRUE(Eventually([&] { return !Successful(b->wire->status_writes()).empty(); }));
  std::vector<WireWrite> b_writes = Successful(b->wire->status_writes());
  for (const auto& w : a_writes) {
    // No write from A after its leadership lapsed, none overlapping B's.
    EXPECT_LT(w.start, a_last_renewal + kRenewDeadline) << w.target;
    EXPECT_LT(w.end, b_writes.front().start) << w.target;
  }
  std::printf(
      "stalled leader: A's last write %s before B's first; B leads %.2f s after the "
      "stall (lease duration %.1f s)\n",
      a_writes.empty() ? "(none)"
                       : absl::FormatDuration(b_writes.front().start - a_writes.back().end).c_str(),
      takeover, absl::ToDoubleSeconds(kLeaseDuration));

  // 2. A comes back as a standby; B crashes (stopped without releasing)
  // while a failover is due. A takes over within a lease duration of B's
  // last renewal and applies it.
  a->wire->set_election_blocked(false);
  // A observes B's lease again.
  ASSERT_TRUE(PollUntil(
      [&] { return absl::StrContains(a->controller->Health().message, "(leader: replica-b)"); },
      absl::Seconds(5)))
      << a->controller->Health().message;
  ASSERT_FALSE(a->controller->IsLeader());
  size_t a_before = Successful(a->wire->status_writes()).size();
  b->controller->Stop();
  absl::Time crashed = absl::Now();
  absl::Time b_last_renewal = absl::InfinitePast();
  for (const auto& w : Successful(b->wire->election_writes())) b_last_renewal = w.start;
  cluster.StopHeartbeat("g2-n1");
  ASSERT_TRUE(WaitLeader(*a, absl::Seconds(6)));
  absl::Time a_leads = absl::Now();
  auto switched = WaitForGateway(
      cluster, "gw-2",
      [](const Gateway& gw) { return ActiveNodes(gw) == std::vector<std::string>{"g2-n2"}; },
      absl::Seconds(5));
  ASSERT_THAT(switched, IsOk());
  std::printf(
      "crashed leader: A leads %.2f s after the crash (%.2f s after B's last renewal); "
      "gw-2 failed over %.2f s after the crash\n",
      absl::ToDoubleSeconds(a_leads - crashed), absl::ToDoubleSeconds(a_leads - b_last_renewal),
      absl::ToDoubleSeconds(*switched - crashed));
  // One lease duration, judged on A's clock from when A saw B's last renewal
  // (up to a jittered retry period late), plus the retry period of the
  // attempt that takes over, plus slack for slow (sanitizer) builds.
  EXPECT_LT(a_leads - b_last_renewal, kLeaseDuration + 2 * kRetryPeriod + absl::Seconds(1));
  EXPECT_TRUE(Eventually([&] { return Successful(a->wire->status_writes()).size() > a_before; }));
  for (const auto& w : Successful(b->wire->status_writes())) EXPECT_LT(w.end, a_leads);

  // 3. The final state is what a single controller would keep: a fresh one
  // (no election) finds nothing to change.
  std::map<std::string, Gateway> before;
  for (int g = 1; g <= 3; ++g) {
    auto gw = cluster.GetGateway(absl::StrCat("gw-", g));
    ASSERT_THAT(gw, IsOk());
    before[gw->meta.name] = *gw;
  }
  a->controller->Stop();
  auto single = StartReplica(**env, "single", /*leader_elect=*/false);
  // Its first pass, a full election over what it listed, writes nothing.
  ASSERT_TRUE(
      PollUntil([&] { return single->controller->first_pass().has_value(); }, absl::Seconds(5)));
  EXPECT_TRUE(Successful(single->wire->status_writes()).empty());
  for (const auto& [name, gw] : before) {
    auto now = cluster.GetGateway(name);
    ASSERT_THAT(now, IsOk());
    EXPECT_EQ(now->status, gw.status) << name;
  }
  EXPECT_EQ(ActiveNodes(before["gw-1"]), std::vector<std::string>{"g1-n2"});
  EXPECT_EQ(ActiveNodes(before["gw-2"]), std::vector<std::string>{"g2-n2"});
  EXPECT_EQ(ActiveNodes(before["gw-3"]), std::vector<std::string>{"g3-n2"});
  single->controller->Stop();
}

// A leader whose acquisition came back after its renew deadline counts as no
// leader until its next renewal, and the pass its new term asked for is put
// off, not dropped: the Gateways are elected without waiting for a resync.
TEST(ReplicasTest, ALateAcquisitionStillElectsWithoutAResync) {
  auto env = ApiServerEnv::Start();
  ASSERT_THAT(env, IsOk());
  Cluster cluster(&(*env)->server());
  for (int i = 1; i <= 2; ++i) {
    ASSERT_THAT(cluster.AddNode(MemberNode(1, i)), IsOk());
    ASSERT_THAT(cluster.StartHeartbeat(MemberNode(1, i).name), IsOk());
  }
  ASSERT_THAT(cluster.AddGateway(TestGateway(1, 2)), IsOk());

  // Get and Create of the election Lease take 1.2 s each: 2.4 s in all,
  // past the 1.5 s renew deadline (by the controller's stepped clock).
  testing::SteppedClock clock;
  auto late =
      testing::StartTestController((*env)->config(), "late", true,
                                   [&](ControllerConfig& config) {
                                     config.resync_period = absl::Hours(1);
                                     config.clock = &clock;
                                     config.election.clock = &clock;
                                   },
                                   [&](testing::RecordingTransport& wire) {
                                     wire.set_election_latency(absl::Milliseconds(1200), &clock);
                                   });
  ASSERT_THAT(late, IsOk());
  TestController& c = **late;
  ASSERT_TRUE(
      PollUntil([&] { return c.controller->metrics().is_leader.value() == 1; }, absl::Seconds(10)));
  c.wire->set_election_latency(absl::ZeroDuration(), nullptr);
  EXPECT_THAT(WaitForGateway(
                  cluster, "gw-1", [](const Gateway& gw) { return ActiveNodes(gw).size() == 1; },
                  absl::Seconds(5)),
              IsOk());
}

}  // namespace
}  // namespace raven::controller
