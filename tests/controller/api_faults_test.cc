// raven-controller when the API misbehaves: watches cut mid-stream, bursts of
// 500s, and a status write racing a stale writer (409) — no update is lost
// and the status converges.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
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
using lab::TestGateway;
using lab::WaitForGateway;

class ApiFaultsTest : public testing::ClusterTest {
 protected:
  void SetUp() override {
    ClusterTest::SetUp();
    AddPool(1, 3, 2);
    AddPool(2, 3, 2);
    StartController([](ControllerConfig& config) {
      config.informer.backoff = {absl::Milliseconds(20), absl::Milliseconds(500), 2.0, 0.5};
      config.retry_max = absl::Milliseconds(500);
      config.resync_period = kFastResync;
    });
    ASSERT_THAT(WaitForGateway(
                    *cluster_, "gw-1", [](const Gateway& g) { return ActiveNodes(g).size() == 1; },
                    absl::Seconds(5)),
                IsOk());
  }

  size_t WritesWithCode(int code) {
    size_t n = 0;
    for (const auto& w : wire_->status_writes()) n += w.code == code;
    return n;
  }
};

TEST_F(ApiFaultsTest, DroppedWatchesLoseNoUpdate) {
  // Changes land while every watch is being cut, repeatedly.
  for (int round = 0; round < 5; ++round) {
    env_->server().DropAllWatches();
    if (round == 1) {
      ASSERT_THAT(cluster_->SetNodeLabel("g1-n3", "gw-2"), IsOk());
    }
    if (round == 3) {
      ASSERT_THAT(cluster_->SetNodeReady("g2-n1", false), IsOk());
    }
    absl::SleepFor(absl::Milliseconds(30));
  }
  EXPECT_THAT(WaitForGateway(
                  *cluster_, "gw-2",
                  [](const Gateway& g) {
                    return g.status.nodes.size() == 4 &&
                           ActiveNodes(g) == std::vector<std::string>{"g2-n2"};
                  },
                  absl::Seconds(10)),
              IsOk());
  EXPECT_THAT(WaitForGateway(
                  *cluster_, "gw-1", [](const Gateway& g) { return g.status.nodes.size() == 2; },
                  absl::Seconds(5)),
              IsOk());
}

TEST_F(ApiFaultsTest, BurstOf500sDelaysButDoesNotLoseAFailover) {
  cluster_->StopHeartbeat("g1-n1");
  absl::SleepFor(absl::Milliseconds(1800));  // the Lease expires in ~0.2 s
  env_->server().FailNext(8, 500);
  EXPECT_THAT(
      WaitForGateway(
          *cluster_, "gw-1",
          [](const Gateway& g) { return ActiveNodes(g) == std::vector<std::string>{"g1-n2"}; },
          absl::Seconds(15)),
      IsOk());
  std::printf("500 burst: %zu status writes answered 500, %g reconcile errors\n",
              WritesWithCode(500), controller_->controller->metrics().reconcile_errors.value());
}

TEST_F(ApiFaultsTest, ConflictingWritersConverge) {
  // Just before the controller's failover write for gw-1 goes out, a stale
  // writer (an old leader) puts g1-n1 back as active: the PUT meets a 409,
  // and the controller must re-read and re-elect on the fresh object.
  std::atomic<int> raced{0};
  wire_->set_before_status_write([&](const kube::Request& r) {
    if (!absl::StrContains(r.target, "/gw-1/") || raced++ > 0) return;
    auto stale = cluster_->GetGateway("gw-1");
    ASSERT_THAT(stale, IsOk());
    stale->status.active_endpoints.resize(1);
    stale->status.active_endpoints[0].node_name = "g1-n1";
    stale->status.active_endpoints[0].public_ip =
        IpAddress::Parse("198.18.1.99").value();  // a real change: a new version
    ASSERT_THAT(env_->server()
                    .UpdateJson(absl::StrCat(lab::kGatewaysPath, "/gw-1/status"),
                                kube::EncodeGatewayJson(*stale))
                    .status(),
                IsOk());
  });
  cluster_->StopHeartbeat("g1-n1");
  auto switched = WaitForGateway(
      *cluster_, "gw-1",
      [](const Gateway& g) { return ActiveNodes(g) == std::vector<std::string>{"g1-n2"}; },
      absl::Seconds(10));
  ASSERT_THAT(switched, IsOk());
  EXPECT_EQ(raced.load() > 0, true);
  EXPECT_EQ(WritesWithCode(409), 1u);
  EXPECT_EQ(controller_->controller->metrics().reconcile_errors.value(), 0);
  // Settled: the next passes find nothing to write (the first two may have
  // started before the switch was written).
  ASSERT_TRUE(PassesRun(2));
  size_t writes = wire_->status_writes().size();
  ASSERT_TRUE(PassesRun(5));
  EXPECT_EQ(wire_->status_writes().size(), writes);
  auto gw = cluster_->GetGateway("gw-1");
  ASSERT_THAT(gw, IsOk());
  EXPECT_THAT(ActiveNodes(*gw), ::testing::ElementsAre("g1-n2"));
}

// /healthz says what the controller is ("leader"; standby: replicas_test),
// fails once the API server has been unreachable for api_stale_after, saying
// so, and is ok again when the API server is back.
class ControllerHealthTest : public testing::ClusterTest {};

TEST_F(ControllerHealthTest, FailsWhileTheApiServerIsUnreachableAndRecovers) {
  AddPool(1, 2, 2);
  StartController([](ControllerConfig& config) {
    config.informer.backoff = {absl::Milliseconds(20), absl::Milliseconds(200), 2.0, 0.5};
    config.api_stale_after = absl::Milliseconds(500);
  });
  ASSERT_TRUE(controller_->controller->Health().ok);
  EXPECT_EQ(controller_->controller->Health().message, "leader");

  env_->server().FailNext(1 << 20, 503);
  env_->server().DropAllWatches();
  const absl::Time cut = absl::Now();
  ASSERT_TRUE(PollUntil([&] { return !controller_->controller->Health().ok; }, absl::Seconds(10)));
  EXPECT_GE(absl::Now() - cut, absl::Milliseconds(500));
  EXPECT_THAT(controller_->controller->Health().message,
              ::testing::StartsWith("leader: the API server is unreachable"));

  env_->server().ResetFaults();
  EXPECT_TRUE(PollUntil([&] { return controller_->controller->Health().ok; }, absl::Seconds(10)))
      << controller_->controller->Health().message;
}

}  // namespace
}  // namespace raven::controller
